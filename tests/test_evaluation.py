"""Training evaluation (issue 19) through the API as a client drives it: a survey activity made
from a shipped template, answered once per person, its report with anonymity kept; the
certificate that waits for the evaluation while the JP do not; bad input answered in Indonesian."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts import operations as acc_ops
from app.accounts.models import utcnow
from app.extensions import db
from tests.conftest import nip_for


def _course(client, h, **extra) -> tuple[int, int]:
    resp = client.post("/api/v1/courses", headers=h, json={"title": "Pelayanan Publik Digital", "jp": 3,
                                                            "mode": "online"})
    assert resp.status_code == 201, resp.json
    cid = resp.json["id"]
    sec = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Materi"})
    return cid, sec.json["id"]


def _publish(client, h, cid, **extra) -> None:
    resp = client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True, "self_enrol": True, **extra})
    assert resp.status_code == 200, resp.json


def _learners(org, n: int, unit=None):
    people = []
    for i in range(n):
        u = acc_ops.create_user(f"peserta{i}", password="rahasia123", name=f"Peserta {i}", nip=nip_for(100 + i),
                                unit=unit or org.a1, position="Analis", golongan="III/a", employment_type="PNS")
        people.append(u)
    db.session.commit()
    return people


def _enrol(client, h, cid, *people) -> None:
    for p in people:
        resp = client.post(f"/api/v1/courses/{cid}/enrolments", headers=h, json={"nip": p.nip})
        assert resp.status_code == 201, resp.json


def _answers(doc: dict, value=4) -> dict:
    out = {}
    for q in doc["questions"]:
        if q["kind"] in ("likert5", "likert4"):
            out[str(q["id"])] = value
        elif q["kind"] == "single":
            out[str(q["id"])] = q["options"][0]
        elif q["kind"] == "long_text":
            out[str(q["id"])] = "Materi sangat relevan <b>bagus</b>"
    return out


def test_a_template_survey_is_answered_once_and_reported_without_names(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    lesson = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                         json={"section_id": sid, "type": "lesson", "title": "Pengantar", "body": "Isi"})
    assert lesson.status_code == 201
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                      json={"section_id": sid, "type": "survey", "title": "Evaluasi pengajar", "template": "pengajar"})
    assert act.status_code == 201, act.json
    assert act.json["completion"] == "survey" and isinstance(act.json["survey_id"], int)
    survey_id = act.json["survey_id"]
    _publish(client, h, cid)
    course_doc = client.get(f"/api/v1/courses/{cid}", headers=h).json
    assert course_doc["sections"][0]["activities"][1]["survey_id"] == survey_id

    people = _learners(org, 6)
    _enrol(client, h, cid, *people)
    doc = client.get(f"/api/v1/surveys/{survey_id}", headers=auth(people[0])).json
    assert doc["anonymous"] is True and doc["title"] == "Evaluasi pengajar"
    # Every "instructor" question is asked about the course's instructor, keyed "<question>:<instructor>".
    assert all(q["instructor"]["nip"] == org.instructor.nip for q in doc["questions"])
    assert {q["text"] for q in doc["questions"]} >= {"Penguasaan materi", "Sikap dan perilaku"}

    for i, p in enumerate(people[:4]):
        resp = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=auth(p), json={"answers": _answers(doc, 3 + i % 3)})
        assert resp.status_code == 201, resp.json
    again = client.post(f"/api/v1/surveys/{survey_id}/responses", headers=auth(people[0]), json={"answers": _answers(doc)})
    assert again.status_code == 409 and "satu kali" in again.json["error"]["message"]

    progress = client.get(f"/api/v1/courses/{cid}/progress", headers=auth(people[0]), query_string={"nip": people[0].nip})
    survey_row = [a for a in progress.json["activities"] if a["id"] == act.json["id"]][0]
    assert survey_row["completed"] is True

    # Four respondents: under the group minimum of five, only counts.
    rep = client.get(f"/api/v1/surveys/{survey_id}/report", headers=h).json
    assert rep["responses"] == 4 and rep["suppressed"] is True and rep["comments"] == []
    assert all(q["average"] is None and q["distribution"] is None for q in rep["questions"])

    client.post(f"/api/v1/surveys/{survey_id}/responses", headers=auth(people[4]), json={"answers": _answers(doc, 5)})
    rep = client.get(f"/api/v1/surveys/{survey_id}/report", headers=h).json
    assert rep["responses"] == 5 and rep["suppressed"] is False and rep["invited"] == 6
    assert rep["response_rate"] == round(100 * 5 / 6, 1)
    mastery = [q for q in rep["questions"] if q["text"] == "Penguasaan materi"][0]
    # 3, 4, 5, 3, 5 -> 4.0
    assert mastery["count"] == 5 and mastery["average"] == 4.0
    assert mastery["distribution"] == {"1": 0, "2": 0, "3": 2, "4": 1, "5": 2}
    assert len(rep["comments"]) == 5 and "respondents" not in rep
    assert "nip" not in str(rep["comments"])

    # Nothing in the database ties an anonymous answer to a person.
    from app.evaluation.models import SurveyResponse

    assert db.session.scalars(select(SurveyResponse.user_id)).all() == [None] * 5

    # Learners never read the report; unit-limited BPSDM staff count only their units.
    assert client.get(f"/api/v1/surveys/{survey_id}/report", headers=auth(people[5])).status_code == 403
    b_staff = acc_ops.create_user("bpsdm_b", password="rahasia123", name="Bpsdm B", nip=nip_for(90), unit=org.b)
    acc_ops.set_roles(b_staff, ["bpsdm"], {"bpsdm": org.b})
    db.session.commit()
    rep_b = client.get(f"/api/v1/surveys/{survey_id}/report", headers=auth(b_staff)).json
    assert rep_b["responses"] == 0 and rep_b["invited"] == 0
    rep_a = client.get(f"/api/v1/surveys/{survey_id}/report", headers=auth(org.bpsdm_a)).json
    assert rep_a["responses"] == 5


def test_bad_answers_are_refused_with_reasons(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    close = (utcnow() + timedelta(days=1)).isoformat(timespec="seconds") + "+00:00"
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "survey", "title": "Evaluasi", "anonymous": False, "close_at": close,
        "questions": [{"kind": "likert4", "text": "Kepuasan umum"},
                      {"kind": "multiple", "text": "Topik yang berguna", "options": ["Regulasi", "Praktik", "Studi kasus"]},
                      {"kind": "number", "text": "Jam belajar mandiri", "required": False},
                      {"kind": "short_text", "text": "Satu kata", "required": False}]})
    assert act.status_code == 201, act.json
    survey_id = act.json["survey_id"]
    _publish(client, h, cid)
    learner = org.learner_a1
    doc = client.get(f"/api/v1/surveys/{survey_id}", headers=auth(learner))
    assert doc.status_code == 403  # not enrolled yet
    _enrol(client, h, cid, learner)
    doc = client.get(f"/api/v1/surveys/{survey_id}", headers=auth(learner)).json
    ids = [q["id"] for q in doc["questions"]]
    url = f"/api/v1/surveys/{survey_id}/responses"
    out_of_range = client.post(url, headers=auth(learner), json={"answers": {str(ids[0]): 5, str(ids[1]): ["Praktik"]}})
    assert out_of_range.status_code == 422
    assert "1 sampai 4" in out_of_range.json["error"]["details"][0]["message"]
    missing = client.post(url, headers=auth(learner), json={"answers": {str(ids[1]): ["Lainnya"]}})
    assert missing.status_code == 422
    messages = " ".join(d["message"] for d in missing.json["error"]["details"])
    assert "wajib diisi" in messages and "bukan salah satu pilihan" in messages
    unknown = client.post(url, headers=auth(learner), json={"answers": {"999999": 1, str(ids[0]): 2,
                                                                            str(ids[1]): [0, 2]}})
    assert unknown.status_code == 422 and "tidak ada di survei" in unknown.json["error"]["details"][0]["message"]
    bad_shape = client.post(url, headers=auth(learner), json={"answers": [1, 2]})
    assert bad_shape.status_code == 400
    ok = client.post(url, headers=auth(learner), json={"answers": {str(ids[0]): 4, str(ids[1]): [0, "Studi kasus"],
                                                                   str(ids[2]): "2,5"}})
    assert ok.status_code == 201, ok.json
    rep = client.get(f"/api/v1/surveys/{survey_id}/report", headers=h).json
    # A named survey shows who answered (never to learners), and is not held back by the group size.
    assert rep["respondents"][0]["nip"] == learner.nip and rep["suppressed"] is False
    topics = [q for q in rep["questions"] if q["kind"] == "multiple"][0]
    assert topics["distribution"] == {"Regulasi": 1, "Praktik": 0, "Studi kasus": 1} and topics["count"] == 1
    hours = [q for q in rep["questions"] if q["kind"] == "number"][0]
    assert hours["average"] == 2.5

    # After the close date: refused with the reason.
    from app.evaluation.models import Survey

    s = db.session.get(Survey, survey_id)
    s.close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    late_person = _learners(org, 1)[0]
    _enrol(client, h, cid, late_person)
    late = client.post(url, headers=auth(late_person), json={"answers": {str(ids[0]): 3, str(ids[1]): [1]}})
    assert late.status_code == 422 and late.json["error"]["code"] == "survey_closed"
    assert "ditutup" in late.json["error"]["message"]


def test_a_survey_without_questions_or_with_bad_settings_is_refused(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    url = f"/api/v1/courses/{cid}/activities"
    base = {"section_id": sid, "type": "survey", "title": "Evaluasi"}
    for extra, needle in (({}, "template"), ({"template": "tidak-ada"}, "tidak dikenal"),
                          ({"questions": []}, "sedikitnya satu pertanyaan"),
                          ({"questions": [{"kind": "likert9", "text": "X"}]}, "tidak dikenal"),
                          ({"questions": [{"kind": "single", "text": "X", "options": ["a"]}]}, "dua pilihan"),
                          ({"template": "pengajar", "open_at": "besok"}, "tanggal"),
                          ({"template": "pengajar", "open_at": "2027-01-02", "close_at": "2027-01-01"}, "sesudah")):
        resp = client.post(url, headers=h, json={**base, **extra})
        assert resp.status_code == 422, (extra, resp.json)
        assert needle in str(resp.json["error"]["details"]), (extra, resp.json)

    # BPSDM empties a template: a survey from it is refused with that reason.
    from app.errors import RuleViolation
    from app.evaluation import operations as ops

    ops.ensure_templates()
    tpl = ops.get_template("penyelenggaraan")
    tpl.items = []
    db.session.commit()
    resp = client.post(url, headers=h, json={**base, "template": "penyelenggaraan"})
    assert resp.status_code == 422 and "tidak berisi pertanyaan" in str(resp.json["error"]["details"])
    try:
        ops.save_template("penyelenggaraan", title="X", description="", anonymous=True, items=[], by=org.bpsdm_a)
    except RuleViolation as exc:
        assert "sedikitnya satu pertanyaan" in str(exc.details)
    else:
        raise AssertionError("an empty template was saved")
    db.session.rollback()


def _certificates(client, h, person) -> list[dict]:
    body = client.get("/api/v1/certificates", headers=h, query_string={"nip": person.nip}).json
    return body["items"] if isinstance(body, dict) else body  # the list envelope (API.md) or a bare list


def test_the_certificate_waits_for_the_evaluation_but_the_jp_do_not(client, org, auth, login):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    lesson = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                         json={"section_id": sid, "type": "lesson", "title": "Pengantar", "body": "Isi"}).json
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "survey", "title": "Evaluasi penyelenggaraan", "template": "penyelenggaraan",
        "before_certificate": True}).json
    assert act["required"] is False  # the JP do not wait for it
    _publish(client, h, cid, certificate=True)
    learner = org.learner_a1
    _enrol(client, h, cid, learner)
    hl = auth(learner)
    assert client.post(f"/api/v1/activities/{lesson['id']}/view", headers=hl).status_code == 200
    progress = client.get(f"/api/v1/courses/{cid}/progress", headers=hl, query_string={"nip": learner.nip}).json
    assert progress["completed"] is True
    ledger = client.get(f"/api/v1/ledger/{learner.nip}", headers=hl).json
    assert any(e["title"] == "Pelayanan Publik Digital" for e in ledger["entries"])
    assert _certificates(client, hl, learner) == []
    from app.notifications.models import Notification

    notes = db.session.scalars(select(Notification.title).where(Notification.user_id == learner.id)).all()
    assert "Kursus selesai: isi evaluasi agar sertifikat terbit" in notes
    login(learner)
    home = client.get("/").get_data(as_text=True)
    assert "Sertifikat menunggu evaluasi" in home and "Evaluasi penyelenggaraan" in home

    doc = client.get(f"/api/v1/surveys/{act['survey_id']}", headers=hl).json
    resp = client.post(f"/api/v1/surveys/{act['survey_id']}/responses", headers=hl, json={"answers": _answers(doc)})
    assert resp.status_code == 201 and resp.json["certificate_waits"] is False
    certs = _certificates(client, hl, learner)
    assert len(certs) == 1 and certs[0]["course"] == "Pelayanan Publik Digital"
    assert "Sertifikat menunggu evaluasi" not in client.get("/").get_data(as_text=True)
    # The JP were credited once, at completion; the evaluation added nothing to the ledger.
    ledger = client.get(f"/api/v1/ledger/{learner.nip}", headers=hl).json
    assert sum(1 for e in ledger["entries"] if e["title"] == "Pelayanan Publik Digital") == 1


def test_surveys_and_templates_are_changed_through_the_api(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "survey", "title": "Evaluasi", "template": "penyelenggaraan"}).json
    url = f"/api/v1/surveys/{act['survey_id']}"
    changed = client.patch(url, headers=h, json={"anonymous": False, "close_at": "2030-06-30T17:00:00+07:00",
                                                 "questions": [{"kind": "likert5", "text": "Secara umum"}]})
    assert changed.status_code == 200, changed.json
    assert changed.json["anonymous"] is False and changed.json["close_at"] == "2030-06-30T10:00:00+00:00"
    assert [q["text"] for q in changed.json["questions"]] == ["Secara umum"]
    assert client.patch(url, headers=auth(org.learner_a1), json={"anonymous": True}).status_code == 403
    bad = client.patch(url, headers=h, json={"questions": [{"kind": "likert5"}]})
    assert bad.status_code == 422 and "tanpa teks" in str(bad.json["error"]["details"])
    _publish(client, h, cid)
    _enrol(client, h, cid, org.learner_a1)
    q_id = changed.json["questions"][0]["id"]
    assert client.post(f"{url}/responses", headers=auth(org.learner_a1), json={"answers": {str(q_id): 5}}).status_code == 201
    # Once answered, neither the questions nor the promise of (non-)anonymity change.
    locked = client.patch(url, headers=h, json={"anonymous": True})
    assert locked.status_code == 409 and "setelah ada yang mengisi" in locked.json["error"]["message"]
    assert client.patch(url, headers=h, json={"questions": [{"kind": "number", "text": "Jam"}]}).status_code == 409

    # Templates: everyone on the staff side reads them; BPSDM writes them.
    listed = client.get("/api/v1/evaluation/templates", headers=h).json
    assert {t["key"] for t in listed["items"]} >= {"penyelenggaraan", "pengajar"}
    hb = auth(org.bpsdm_a)
    body = {"title": "Evaluasi Coaching", "questions": [{"kind": "likert4", "text": "Manfaat sesi coaching"}]}
    assert client.put("/api/v1/evaluation/templates/coaching", headers=h, json=body).status_code == 403
    made = client.put("/api/v1/evaluation/templates/coaching", headers=hb, json=body)
    assert made.status_code == 200 and made.json["questions"][0]["kind"] == "likert4"
    empty = client.put("/api/v1/evaluation/templates/coaching", headers=hb, json={**body, "questions": []})
    assert empty.status_code == 422
    bad_key = client.put("/api/v1/evaluation/templates/Bukan Kode!", headers=hb, json=body)
    assert bad_key.status_code == 422 and "Kode templat" in str(bad_key.json["error"]["details"])
    new = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "survey", "title": "Evaluasi coaching", "template": "coaching"})
    assert new.status_code == 201 and new.json["survey_id"]


def test_unit_limited_staff_read_only_their_units_answers(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "survey", "title": "Evaluasi",
        "questions": [{"kind": "likert5", "text": "Kepuasan"}, {"kind": "multiple", "text": "Topik",
                                                                 "options": ["A", "B"]},
                      {"kind": "short_text", "text": "Kesan", "required": False}]}).json
    _publish(client, h, cid)
    in_a = _learners(org, 5, org.a1)
    in_b = [acc_ops.create_user(f"orang_b{i}", password="rahasia123", name=f"Orang B {i}", nip=nip_for(150 + i),
                                unit=org.b) for i in range(5)]
    db.session.commit()
    _enrol(client, h, cid, *in_a, *in_b)
    doc = client.get(f"/api/v1/surveys/{act['survey_id']}", headers=auth(in_a[0])).json
    k1, k2, k3 = (str(q["id"]) for q in doc["questions"])
    for p in in_a:
        client.post(f"/api/v1/surveys/{act['survey_id']}/responses", headers=auth(p),
                    json={"answers": {k1: 5, k2: ["A", "B"], k3: "dari A"}})
    for p in in_b:
        client.post(f"/api/v1/surveys/{act['survey_id']}/responses", headers=auth(p),
                    json={"answers": {k1: 1, k2: ["B"], k3: "dari B"}})
    everyone = client.get(f"/api/v1/surveys/{act['survey_id']}/report", headers=h).json
    assert everyone["responses"] == 10 and everyone["questions"][0]["average"] == 3.0
    assert everyone["questions"][1]["distribution"] == {"A": 5, "B": 10} and everyone["questions"][1]["count"] == 10
    unit_a = client.get(f"/api/v1/surveys/{act['survey_id']}/report", headers=auth(org.bpsdm_a)).json
    assert unit_a["responses"] == 5 and unit_a["invited"] == 5
    assert unit_a["questions"][0]["average"] == 5.0 and unit_a["questions"][1]["distribution"] == {"A": 5, "B": 5}
    assert {c["text"] for c in unit_a["comments"]} == {"dari A"}
