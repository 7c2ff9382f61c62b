"""Authoring a course through the API (API.md, second wave): sections, activities of every type
through the same checks and hooks as a course package, and PATCH to publish and set completion.
A client follows the course document to a quiz's own routes through `quiz_id`."""

from __future__ import annotations

import io

GIFT = b"""::Ibukota::Ibukota Indonesia adalah {=Jakarta ~Bandung ~Surabaya}

::Tahun::Proklamasi kemerdekaan tahun {#1945}
"""


def _new_course(client, h) -> int:
    resp = client.post("/api/v1/courses", headers=h, json={"title": "Tata Naskah Dinas", "jp": 2, "mode": "online"})
    assert resp.status_code == 201
    return resp.json["id"]


def test_a_client_authors_publishes_and_a_learner_completes(client, org, auth):
    h = auth(org.instructor)
    cid = _new_course(client, h)
    sec = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Pekan 1"})
    assert sec.status_code == 201 and sec.json["title"] == "Pekan 1"
    sid = sec.json["id"]

    lesson = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                         json={"section_id": sid, "type": "lesson", "title": "Pengantar",
                               "body": "# Naskah dinas\n\n<script>alert(1)</script>Isi"})
    assert lesson.status_code == 201, lesson.json
    assert (lesson.json["type"], lesson.json["completion"], lesson.json["section_id"]) == ("lesson", "view", sid)
    link = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                       json={"section_id": sid, "type": "link", "title": "JDIH", "url": "https://jdih.example.go.id",
                             "required": False})
    assert link.status_code == 201 and link.json["required"] is False
    room = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                       json={"section_id": sid, "type": "classroom", "title": "Kelas", "minutes": 90,
                             "date": "2027-01-05T09:00", "place": "Aula"})
    assert room.status_code == 201
    pdf = client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data",
                      data={"section_id": str(sid), "type": "file", "title": "Pedoman", "required": "false",
                            "file": (io.BytesIO(b"%PDF-1.4 pedoman"), "pedoman naskah.pdf")})
    assert pdf.status_code == 201, pdf.json
    quiz = client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data",
                       data={"section_id": str(sid), "type": "quiz", "title": "Kuis akhir",
                             "spec": '{"pass_percent": 50, "max_attempts": 2}',
                             "file": (io.BytesIO(GIFT), "soal.gift")})
    assert quiz.status_code == 201, quiz.json
    quiz_id = quiz.json["quiz_id"]
    assert isinstance(quiz_id, int) and quiz_id != quiz.json["id"]

    # Publish, open self-enrolment, and require only the lesson and the quiz.
    patch = client.patch(f"/api/v1/courses/{cid}", headers=h, json={
        "published": True, "self_enrol": True,
        "completion": {"required_activities": [lesson.json["id"], quiz.json["id"]]}})
    assert patch.status_code == 200, patch.json
    assert patch.json["published"] is True and patch.json["self_enrol"] is True
    acts = patch.json["sections"][0]["activities"]
    assert [a["title"] for a in acts] == ["Pengantar", "JDIH", "Kelas", "Pedoman", "Kuis akhir"]
    assert {a["title"]: a["required"] for a in acts} == {
        "Pengantar": True, "JDIH": False, "Kelas": False, "Pedoman": False, "Kuis akhir": True}

    # A learner follows the course document to the quiz routes.
    me = auth(org.learner_a1)
    assert client.post(f"/api/v1/courses/{cid}/enrolments", headers=me, json={"nip": org.learner_a1.nip}).status_code == 201
    doc = client.get(f"/api/v1/courses/{cid}", headers=me).json
    quiz_doc = next(a for s in doc["sections"] for a in s["activities"] if a["type"] == "quiz")
    assert quiz_doc["quiz_id"] == quiz_id
    lesson_doc = next(a for s in doc["sections"] for a in s["activities"] if a["type"] == "lesson")
    assert "quiz_id" not in lesson_doc
    assert client.post(f"/api/v1/activities/{lesson_doc['id']}/view", headers=me).status_code == 200
    attempt = client.post(f"/api/v1/quizzes/{quiz_doc['quiz_id']}/attempts", headers=me)
    assert attempt.status_code in (200, 201), attempt.json
    for question in attempt.json["questions"]:
        if question["type"] == "multichoice":
            answer = next(c["id"] for c in question["choices"] if c["text"] == "Jakarta")
        else:
            answer = 1945
        put = client.put(f"/api/v1/attempts/{attempt.json['id']}/answers/{question['id']}", headers=me,
                         json={"response": answer})
        assert put.status_code == 200, put.json
    result = client.post(f"/api/v1/attempts/{attempt.json['id']}/submit", headers=me).json
    assert result["passed"] is True
    progress = client.get(f"/api/v1/courses/{cid}/progress", headers=me).json
    assert progress["completed"] is True


def test_the_lesson_body_is_sanitised_and_the_file_stored(client, org, auth, app):
    from app.courses.models import Activity
    from app.extensions import db
    from app.storage import get_storage

    h = auth(org.instructor)
    cid = _new_course(client, h)
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "A"}).json["id"]
    lid = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "lesson", "title": "L", "body": "<p>Isi</p><script>alert(1)</script>"}).json["id"]
    fid = client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data", data={
        "section_id": str(sid), "type": "file", "title": "F",
        "file": (io.BytesIO(b"%PDF-1.4 isi"), "pedoman.pdf")}).json["id"]
    lesson, file_ = db.session.get(Activity, lid), db.session.get(Activity, fid)
    assert "<script" not in lesson.body and "Isi" in lesson.body
    assert file_.file_name == "pedoman.pdf"
    assert get_storage().read_bytes(file_.file_key) == b"%PDF-1.4 isi"


def test_bad_authoring_requests_get_clear_answers(client, org, auth):
    h = auth(org.instructor)
    cid = _new_course(client, h)
    other = _new_course(client, h)
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "A"}).json["id"]
    url = f"/api/v1/courses/{cid}/activities"

    unknown = client.post(url, headers=h, json={"section_id": sid, "type": "kapal", "title": "X"})
    assert unknown.status_code == 422 and unknown.json["error"]["code"] == "invalid_activity"
    assert "kapal" in unknown.json["error"]["details"][0]["message"]
    no_url = client.post(url, headers=h, json={"section_id": sid, "type": "link", "title": "X", "url": "javascript:x"})
    assert no_url.status_code == 422 and "http" in no_url.json["error"]["details"][0]["message"]
    no_minutes = client.post(url, headers=h, json={"section_id": sid, "type": "classroom", "title": "X"})
    assert no_minutes.status_code == 422
    bad_gift = client.post(url, headers=h, content_type="multipart/form-data", data={
        "section_id": str(sid), "type": "quiz", "title": "Q", "file": (io.BytesIO(b"::a:: tanpa jawaban"), "s.gift")})
    assert bad_gift.status_code == 422 and bad_gift.json["error"]["details"]
    missing = client.post(url, headers=h, json={"type": "lesson", "title": "X", "body": "x"})
    assert missing.status_code == 400 and missing.json["error"]["code"] == "invalid_body"
    foreign = client.post(f"/api/v1/courses/{other}/activities", headers=h,
                          json={"section_id": sid, "type": "lesson", "title": "X", "body": "x"})
    assert foreign.status_code == 404 and foreign.json["error"]["code"] == "section_not_found"
    not_json = client.post(url, headers=h, data="[1]", content_type="application/json")
    assert not_json.status_code == 400
    bad_spec = client.post(url, headers=h, content_type="multipart/form-data",
                           data={"section_id": str(sid), "type": "lesson", "title": "X", "spec": "{oops"})
    assert bad_spec.status_code == 400 and bad_spec.json["error"]["code"] == "invalid_json"
    # nothing half-saved
    doc = client.get(f"/api/v1/courses/{cid}", headers=h).json
    assert doc["sections"][0]["activities"] == []

    patch = client.patch(f"/api/v1/courses/{cid}", headers=h, json={"completion": {"required_activities": [999999]}})
    assert patch.status_code == 400 and patch.json["error"]["code"] == "activity_not_in_course"
    assert client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": None}).status_code == 400
    assert client.patch(f"/api/v1/courses/{cid}", headers=h, json={"colour": "red"}).status_code == 400
    assert client.patch(f"/api/v1/courses/{cid}", headers=h, json={"jp": "NaN"}).status_code == 400
    empty = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": ""})
    assert empty.status_code == 400


def test_only_the_course_instructors_and_admins_author(client, org, auth):
    h = auth(org.instructor)
    cid = _new_course(client, h)
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "A"}).json["id"]
    learner = auth(org.learner_a1)
    assert client.post(f"/api/v1/courses/{cid}/sections", headers=learner, json={"title": "B"}).status_code == 403
    assert client.post(f"/api/v1/courses/{cid}/activities", headers=learner,
                       json={"section_id": sid, "type": "lesson", "title": "X", "body": "x"}).status_code == 403
    assert client.patch(f"/api/v1/courses/{cid}", headers=learner, json={"published": True}).status_code == 403
    assert client.patch(f"/api/v1/courses/{cid}", headers=auth(org.admin), json={"published": True}).status_code == 200
    assert client.post("/api/v1/courses/99999/sections", headers=h, json={"title": "B"}).status_code == 404
