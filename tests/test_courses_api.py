"""The course routes of API.md: shapes, filters, paging, enrolment rules, progress and views."""

from __future__ import annotations

from app.courses import operations as ops
from app.extensions import db
from tests.factories import enrol_all, make_course


def test_catalogue_filters_and_pages(client, org, auth):
    make_course(org.instructor, title="Literasi Digital", jp=4, competencies=[("TEK-LITDIG", 2)])
    make_course(org.instructor, title="Pelayanan Publik", jp=2, mode="classroom", competencies=[("MJ-PP", 3)])
    hidden = make_course(org.instructor, title="Draf")
    hidden.published = False
    db.session.commit()
    h = auth(org.learner_a1)
    body = client.get("/api/v1/courses", headers=h).json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    item = next(i for i in body["items"] if i["title"] == "Literasi Digital")
    assert item["jp"] == 4 and item["mode"] == "online" and item["competencies"] == [{"code": "TEK-LITDIG", "level": 2}]
    assert [i["title"] for i in client.get("/api/v1/courses?q=publik", headers=h).json["items"]] == ["Pelayanan Publik"]
    assert [i["title"] for i in client.get("/api/v1/courses?competency=TEK-LITDIG", headers=h).json["items"]] == [
        "Literasi Digital"]
    assert [i["title"] for i in client.get("/api/v1/courses?mode=classroom", headers=h).json["items"]] == [
        "Pelayanan Publik"]
    page2 = client.get("/api/v1/courses?per_page=1&page=2", headers=h).json
    assert page2["total"] == 2 and len(page2["items"]) == 1
    assert client.get("/api/v1/courses?mode=kapal", headers=h).status_code == 400
    assert client.get("/api/v1/courses").status_code == 401
    # an admin also sees the draft
    assert client.get("/api/v1/courses", headers=auth(org.admin)).json["total"] == 3


def test_create_course_and_its_shape(client, org, auth):
    resp = client.post("/api/v1/courses", headers=auth(org.instructor),
                       json={"title": "Etika Digital", "summary": "Ringkas", "jp": 2.5, "mode": "blended"})
    assert resp.status_code == 201
    body = resp.json
    assert body["title"] == "Etika Digital" and body["jp"] == 2.5 and body["mode"] == "blended" and body["sections"] == []
    assert client.post("/api/v1/courses", headers=auth(org.learner_a1),
                       json={"title": "X", "summary": "", "jp": 1, "mode": "online"}).status_code == 403
    bad = client.post("/api/v1/courses", headers=auth(org.instructor), json={"title": "", "jp": -1, "mode": "online"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_body"


def test_course_detail_shape_and_who_may_read_it(client, org, auth):
    course = make_course(org.instructor, activities=[
        {"type": "lesson", "title": "Materi"}, {"type": "classroom", "title": "Sesi", "settings": {"minutes": 60}}])
    enrol_all(course, org.learner_a1)
    ops.record_view(org.learner_a1, course.sections[0].activities[0])
    db.session.commit()
    body = client.get(f"/api/v1/courses/{course.id}", headers=auth(org.learner_a1)).json
    assert {"id", "title", "jp", "sections"} <= set(body)
    assert body["jp"] == 4
    section = body["sections"][0]
    assert {"id", "title", "activities"} <= set(section)
    lesson, classroom = section["activities"]
    assert {"id", "type", "title", "completion"} <= set(lesson)
    assert (lesson["type"], lesson["completion"], lesson["completed"]) == ("lesson", "view", True)
    assert (classroom["completion"], classroom["completed"]) == ("attendance", False)
    # not enrolled: 403; the instructor and admin: yes; unpublished to a learner: 404
    assert client.get(f"/api/v1/courses/{course.id}", headers=auth(org.learner_b)).status_code == 403
    assert client.get(f"/api/v1/courses/{course.id}", headers=auth(org.instructor)).status_code == 200
    assert client.get(f"/api/v1/courses/{course.id}", headers=auth(org.admin)).status_code == 200
    course.published = False
    db.session.commit()
    assert client.get(f"/api/v1/courses/{course.id}", headers=auth(org.learner_a1)).status_code == 404
    assert client.get("/api/v1/courses/99999", headers=auth(org.admin)).status_code == 404


def test_enrolments_self_staff_twice_and_scope(client, org, auth):
    open_ = make_course(org.instructor, self_enrol=True)
    closed = make_course(org.instructor, self_enrol=False)
    db.session.commit()
    me = auth(org.learner_a1)
    resp = client.post(f"/api/v1/courses/{open_.id}/enrolments", headers=me, json={"nip": org.learner_a1.nip})
    assert resp.status_code == 201 and resp.json["nip"] == org.learner_a1.nip and resp.json["method"] == "self"
    again = client.post(f"/api/v1/courses/{open_.id}/enrolments", headers=me, json={"nip": org.learner_a1.nip})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_enrolled"
    assert client.post(f"/api/v1/courses/{closed.id}/enrolments", headers=me,
                       json={"nip": org.learner_a1.nip}).status_code == 422
    # a learner cannot enrol somebody else
    assert client.post(f"/api/v1/courses/{open_.id}/enrolments", headers=me,
                       json={"nip": org.learner_b.nip}).status_code == 403
    # bpsdm_a reaches unit A only
    bp = auth(org.bpsdm_a)
    assert client.post(f"/api/v1/courses/{closed.id}/enrolments", headers=bp,
                       json={"nip": org.learner_b.nip}).status_code == 403
    assert client.post(f"/api/v1/courses/{closed.id}/enrolments", headers=bp,
                       json={"nip": org.learner_a1.nip}).status_code == 201
    # the course's instructor enrols anyone; an unknown NIP is 404
    ins = auth(org.instructor)
    assert client.post(f"/api/v1/courses/{closed.id}/enrolments", headers=ins,
                       json={"nip": org.learner_b.nip}).status_code == 201
    assert client.post(f"/api/v1/courses/{closed.id}/enrolments", headers=ins,
                       json={"nip": "199001012015011999"}).status_code == 404


def test_progress_and_view(client, org, auth):
    course = make_course(org.instructor, activities=[
        {"type": "lesson", "title": "A"}, {"type": "link", "title": "B", "settings": {"url": "https://x.go.id"}},
        {"type": "classroom", "title": "C", "settings": {"minutes": 30}, "required": False}])
    enrol_all(course, org.learner_a1, org.learner_b)
    db.session.commit()
    a, b, c = course.sections[0].activities
    me = auth(org.learner_a1)
    resp = client.post(f"/api/v1/activities/{a.id}/view", headers=me)
    assert resp.status_code == 200 and resp.json == {"activity_id": a.id, "completed": True, "course_completed": False}
    assert client.post(f"/api/v1/activities/{c.id}/view", headers=me).status_code == 422  # attendance, not a view
    resp = client.post(f"/api/v1/activities/{b.id}/view", headers=me)
    assert resp.json["course_completed"] is True
    prog = client.get(f"/api/v1/courses/{course.id}/progress", headers=me).json
    assert prog["completed"] is True and prog["percent"] == 100
    assert [(x["id"], x["completed"]) for x in prog["activities"]] == [(a.id, True), (b.id, True), (c.id, False)]
    assert prog["activities"][0]["completed_at"].endswith("+00:00")
    # another learner's progress: refused to a learner, allowed to the instructor and to bpsdm within reach
    assert client.get(f"/api/v1/courses/{course.id}/progress?nip={org.learner_b.nip}", headers=me).status_code == 403
    ins = client.get(f"/api/v1/courses/{course.id}/progress?nip={org.learner_a1.nip}", headers=auth(org.instructor))
    assert ins.status_code == 200 and ins.json["completed"] is True
    bp = auth(org.bpsdm_a)
    assert client.get(f"/api/v1/courses/{course.id}/progress?nip={org.learner_a1.nip}", headers=bp).status_code == 200
    assert client.get(f"/api/v1/courses/{course.id}/progress?nip={org.learner_b.nip}", headers=bp).status_code == 403
    # not enrolled: viewing is refused
    other = make_course(org.instructor)
    db.session.commit()
    assert client.post(f"/api/v1/activities/{other.sections[0].activities[0].id}/view", headers=me).status_code == 422


def test_openapi_documents_the_course_routes(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/courses", "/api/v1/courses/{course_id}", "/api/v1/courses/{course_id}/enrolments",
                 "/api/v1/courses/{course_id}/progress", "/api/v1/activities/{activity_id}/view",
                 "/api/v1/courses/import"):
        assert path in doc["paths"], path
    assert "multipart/form-data" in doc["paths"]["/api/v1/courses/import"]["post"]["requestBody"]["content"]
