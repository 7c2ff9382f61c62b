"""xAPI out, against a real LRS (Ralph, started by the fixture): statements for SCORM launches,
answers, results, activity and course completions, classroom attendance and JP credits; queued
in the event's transaction, sent by a job, retried when the LRS is down, none lost, none twice."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.xapi import operations as xops
from app.xapi.models import XapiStatement
from tests.factories import enrol_all, make_course
from tests.lrs import KEY, SECRET, RalphLRS
from tests.scorm_packages import single_sco

JP = xops.JP_EXTENSION


@pytest.fixture(scope="session")
def ralph():
    lrs = RalphLRS().start()
    yield lrs
    lrs.close()


@pytest.fixture
def lrs(app, ralph):
    """The app configured to send to Ralph (restored afterwards: the app lives for the session)."""
    if ralph.proc is None:
        ralph.start()
    app.config.update(XAPI_ENDPOINT=ralph.endpoint, XAPI_KEY=KEY, XAPI_SECRET=SECRET,
                      PUBLIC_BASE_URL="https://lentera.example.go.id")
    yield ralph
    for key in ("XAPI_ENDPOINT", "XAPI_KEY", "XAPI_SECRET", "PUBLIC_BASE_URL"):
        app.config.pop(key, None)


def _statements_of(ralph, nip: str) -> list[dict]:
    """This test's statements (the LRS outlives each test's database) of one person."""
    ours = set(db.session.scalars(select(XapiStatement.id)))
    return [s for s in ralph.statements() if s["actor"].get("account", {}).get("name") == nip and s["id"] in ours]


def _scorm_course(client, org, auth, *, interactions: int = 2):
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Literasi Data", "jp": 2.5, "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Modul"}).json["id"]
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data", data={
        "section_id": str(sid), "type": "scorm", "title": "Modul data",
        "package": (io.BytesIO(single_sco(mastery=70, title="Data Terbuka")), "data.zip")})
    assert act.status_code == 201, act.json
    client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True, "self_enrol": True})
    me = auth(org.learner_a1)
    client.post(f"/api/v1/courses/{cid}/enrolments", headers=me, json={"nip": org.learner_a1.nip})
    scorm_id = act.json["scorm_id"]
    sco_id = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["id"]
    values = {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "80"}
    for i in range(interactions):
        values.update({f"cmi.interactions.{i}.id": f"soal-{i}", f"cmi.interactions.{i}.type": "choice",
                       f"cmi.interactions.{i}.student_response": "b", f"cmi.interactions.{i}.result":
                       "correct" if i == 0 else "wrong"})
    return me, scorm_id, sco_id, values, act.json["id"]


def test_a_scorm_course_reaches_the_lrs_with_results_and_jp(client, org, auth, lrs):
    me, scorm_id, sco_id, values, activity_id = _scorm_course(client, org, auth)
    resp = client.put(f"/api/v1/scorm/{scorm_id}/scos/{sco_id}/cmi", headers=me, json=values)
    assert resp.status_code == 200 and resp.json["lesson_status"] == "passed"
    queued = db.session.scalars(select(XapiStatement)).all()
    assert {r.verb for r in queued} == {"answered", "passed", "completed", "earned"}
    assert db.session.scalar(select(Job.id).where(Job.kind == xops.JOB_KIND, Job.state == "queued")) is not None
    assert run_pending(kinds=[xops.JOB_KIND]) >= 1
    assert xops.pending_count() == 0

    got = _statements_of(lrs, org.learner_a1.nip)
    by_verb: dict[str, list[dict]] = {}
    for s in got:
        by_verb.setdefault(s["verb"]["id"].rsplit("/", 1)[-1], []).append(s)
    assert sorted(by_verb) == ["answered", "completed", "earned", "passed"]
    assert len(by_verb["answered"]) == 2 and len(by_verb["completed"]) == 2  # the activity and the course
    answers = {s["object"]["definition"]["name"]["id-ID"]: s["result"]["success"] for s in by_verb["answered"]}
    assert answers == {"soal-0": True, "soal-1": False}
    passed = by_verb["passed"][0]
    assert passed["result"]["score"]["raw"] == 80 and passed["result"]["success"] is True
    assert passed["object"]["id"] == f"https://lentera.example.go.id/aktivitas/{activity_id}/sco/ITEM-1"
    earned = by_verb["earned"][0]
    assert earned["result"]["extensions"][JP] == 2.5
    assert earned["object"]["definition"]["name"]["id-ID"] == "Literasi Data"
    assert all(s["actor"]["account"]["homePage"] == "https://lentera.example.go.id" for s in got)
    assert "mbox" not in got[0]["actor"]  # no e-mail address leaves Lentera


def test_attendance_and_launch(client, org, auth, lrs, login):
    from app.courses.operations import record_attendance

    course = make_course(org.instructor, title="Rapat Koordinasi", activities=[
        {"type": "classroom", "title": "Sesi tatap muka", "settings": {"minutes": 90}}])
    enrol_all(course, org.learner_b)
    db.session.commit()
    record_attendance(course.sections[0].activities[0], [org.learner_b], by=org.instructor)
    db.session.commit()
    me, scorm_id, sco_id, values, activity_id = _scorm_course(client, org, auth, interactions=0)
    login(org.learner_a1)
    assert client.get(f"/aktivitas/{activity_id}").status_code == 200  # the player page launches the SCO
    run_pending(kinds=[xops.JOB_KIND])
    verbs_b = [s["verb"]["id"].rsplit("/", 1)[-1] for s in _statements_of(lrs, org.learner_b.nip)]
    assert verbs_b.count("attended") == 1 and "earned" in verbs_b
    verbs_a = [s["verb"]["id"].rsplit("/", 1)[-1] for s in _statements_of(lrs, org.learner_a1.nip)]
    assert verbs_a == ["launched"]


def test_a_down_lrs_loses_nothing_and_nothing_is_sent_twice(client, org, auth, lrs):
    me, scorm_id, sco_id, values, _a = _scorm_course(client, org, auth, interactions=5)
    lrs.stop()
    try:
        client.put(f"/api/v1/scorm/{scorm_id}/scos/{sco_id}/cmi", headers=me, json=values)
        n = xops.pending_count()
        assert n == 9  # 5 answered, passed, the activity and the course completed, the JP earned
        run_pending(kinds=[xops.JOB_KIND])
        rows = db.session.scalars(select(XapiStatement)).all()
        assert all(r.state == "queued" and r.attempts == 1 and "tidak dapat dihubungi" in r.last_error for r in rows)
        assert all(r.next_try_at > utcnow() for r in rows)  # backed off, not hammering
        follow = db.session.scalar(select(Job).where(Job.kind == xops.JOB_KIND, Job.state == "queued"))
        assert follow is not None and follow.run_after > utcnow() - timedelta(seconds=1)
    finally:
        lrs.start()
    db.session.execute(update(XapiStatement).values(next_try_at=utcnow()))
    db.session.execute(update(Job).where(Job.kind == xops.JOB_KIND).values(run_after=utcnow()))
    db.session.commit()
    run_pending(kinds=[xops.JOB_KIND])
    assert xops.pending_count() == 0
    # A statement whose acknowledgement was lost is sent again: the LRS keeps one.
    again = db.session.scalars(select(XapiStatement)).first()
    again.state = "queued"
    db.session.commit()
    assert xops.drain()["sent"] == 1
    got = _statements_of(lrs, org.learner_a1.nip)
    assert len(got) == 9 and len({s["id"] for s in got}) == 9


def test_the_learners_request_never_waits_for_the_lrs(client, org, auth, app, lrs):
    """An LRS that accepts connections and never answers: the commit still returns at once."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(50)
    threading.Thread(target=lambda: time.sleep(60), daemon=True).start()
    me, scorm_id, sco_id, values, _a = _scorm_course(client, org, auth)
    app.config["XAPI_ENDPOINT"] = f"http://127.0.0.1:{hole.getsockname()[1]}/xAPI/"
    try:
        started = time.monotonic()
        resp = client.put(f"/api/v1/scorm/{scorm_id}/scos/{sco_id}/cmi", headers=me, json=values)
        assert resp.status_code == 200 and time.monotonic() - started < 3
        assert xops.pending_count() > 0
    finally:
        hole.close()


def test_no_lrs_configured_queues_nothing(client, org, auth):
    me, scorm_id, sco_id, values, _a = _scorm_course(client, org, auth)
    assert client.put(f"/api/v1/scorm/{scorm_id}/scos/{sco_id}/cmi", headers=me, json=values).status_code == 200
    assert db.session.scalar(select(XapiStatement.id)) is None


def test_a_finished_quiz_attempt_sends_one_answered_statement_per_question(org, lrs):
    """The quiz module's attempt_graded signal: one "answered" per answered question, in the
    attempt's own transaction, with success, the mark as score and the response in the xAPI
    interaction format where one maps; received by the real LRS."""
    from app.quizzes import operations as qops
    from tests.quizzes_fixtures import make_quiz, right_responses

    quiz, qs = make_quiz(org.instructor, org.learner_a1)
    attempt = qops.start_attempt(quiz, org.learner_a1)
    right = right_responses(qs)  # in the questions' own ids, as stored and as sent to the LRS
    typed = right_responses(qs, attempt)  # as this attempt's page shows them
    for name in ("mc", "tf", "num", "match"):
        qops.save_answer(attempt.id, qs[name].id, typed[qs[name].id], org.learner_a1)
    qops.save_answer(attempt.id, qs["sa"].id, "Bandung", org.learner_a1)  # wrong
    # "multi" left unanswered: nothing is sent for it
    db.session.commit()
    qops.submit_attempt(attempt.id, org.learner_a1)
    rows = db.session.scalars(select(XapiStatement).where(XapiStatement.verb == "answered")).all()
    assert len(rows) == 5
    db.session.rollback()  # the statements live and die with the attempt's transaction
    assert db.session.scalars(select(XapiStatement).where(XapiStatement.verb == "answered")).all() == []
    attempt = qops.start_attempt(quiz, org.learner_a1)  # the same open attempt again
    qops.submit_attempt(attempt.id, org.learner_a1)
    db.session.commit()
    assert run_pending(kinds=[xops.JOB_KIND]) >= 1
    got = {s["object"]["definition"]["name"]["id-ID"]: s for s in _statements_of(lrs, org.learner_a1.nip)
           if s["verb"]["id"].endswith("/answered")}
    assert set(got) == {"mc", "tf", "num", "match", "sa"}
    mc = got["mc"]
    assert mc["object"]["definition"]["interactionType"] == "choice"
    assert mc["result"]["success"] is True and mc["result"]["score"]["scaled"] == 1
    assert mc["result"]["response"] == str(right[qs["mc"].id])
    assert {c["id"] for c in mc["object"]["definition"]["choices"]} == {str(c["id"]) for c in qs["mc"].data["choices"]}
    assert got["tf"]["result"]["response"] == ("true" if right[qs["tf"].id] else "false")
    assert got["tf"]["object"]["definition"]["interactionType"] == "true-false"
    assert got["num"]["object"]["definition"]["interactionType"] == "numeric"
    match = got["match"]["result"]["response"]
    assert match.count("[.]") == len(qs["match"].data["pairs"]) and "[,]" in match
    sa = got["sa"]
    assert sa["result"]["success"] is False and sa["result"]["score"]["raw"] == 0
    assert sa["result"]["response"] == "Bandung" and sa["object"]["definition"]["interactionType"] == "fill-in"
    assert mc["context"]["contextActivities"]["parent"][0]["id"].endswith(f"/aktivitas/{quiz.activity.id}")
    assert mc["object"]["id"].startswith("https://lentera.example.go.id/aktivitas/")
