"""Learning gain (Kirkpatrick level 2) from a pre- and a post-test, and job impact (level 3):
the evaluation opened N days after a completion by the one job runner, answered by the learner
and the atasan, reminded, linked to the competency evidence and shown on the atasan's page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import utcnow
from app.corpu import operations as corpu_ops
from app.courses.operations import complete_activity
from app.evaluation.models import ImpactEvaluation
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.notifications.models import Notification
from app.quizzes import operations as quiz_ops
from app.quizzes.models import Attempt
from tests.factories import enrol_all, make_course


def _finished(quiz, user, number: int, percent: float) -> None:
    db.session.add(Attempt(quiz_id=quiz.id, user_id=user.id, number=number, state="finished", score=percent,
                           max_score=100.0, finished_at=utcnow(), passed=percent >= 70))


def test_learning_gain_per_learner_and_hakes_g(client, org, auth):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Pre-test"},
                                                     {"type": "quiz", "title": "Post-test"}])
    pre = quiz_ops.get_or_create_quiz(course.sections[0].activities[0])
    post = quiz_ops.get_or_create_quiz(course.sections[0].activities[1])
    enrol_all(course, org.learner_a1, org.learner_b, org.head_a)
    db.session.flush()
    # learner_a1: pre 40 (first attempt; a later 90 does not count), post best of 70/80 -> 80
    _finished(pre, org.learner_a1, 1, 40)
    _finished(pre, org.learner_a1, 2, 90)
    _finished(post, org.learner_a1, 1, 70)
    _finished(post, org.learner_a1, 2, 80)
    # learner_b: pre 60, post 100
    _finished(pre, org.learner_b, 1, 60)
    _finished(post, org.learner_b, 1, 100)
    # head_a: only the pre-test
    _finished(pre, org.head_a, 1, 50)
    db.session.commit()
    h = auth(org.instructor)
    url = f"/api/v1/courses/{course.id}/learning-gain"
    empty = client.get(url, headers=h).json
    assert empty["pre_quiz_id"] is None and empty["learners"] == [] and empty["normalised_gain"] is None
    same = client.put(url, headers=h, json={"pre_quiz_id": pre.id, "post_quiz_id": pre.id})
    assert same.status_code == 422 and "berbeda" in same.json["error"]["message"]
    other = make_course(org.instructor, activities=[{"type": "quiz", "title": "Lain"}])
    foreign = quiz_ops.get_or_create_quiz(other.sections[0].activities[0])
    db.session.commit()
    bad = client.put(url, headers=h, json={"pre_quiz_id": foreign.id, "post_quiz_id": post.id})
    assert bad.status_code == 422 and "bukan milik kursus ini" in bad.json["error"]["message"]
    resp = client.put(url, headers=h, json={"pre_quiz_id": pre.id, "post_quiz_id": post.id})
    assert resp.status_code == 200, resp.json
    doc = client.get(url, headers=h).json
    rows = {r["nip"]: r for r in doc["learners"]}
    assert (rows[org.learner_a1.nip]["pre"], rows[org.learner_a1.nip]["post"], rows[org.learner_a1.nip]["gain"]) == (40, 80, 40)
    assert rows[org.learner_a1.nip]["normalised_gain"] == round(40 / 60, 3)
    assert rows[org.learner_b.nip]["normalised_gain"] == 1.0
    assert rows[org.head_a.nip]["post"] is None and rows[org.head_a.nip]["gain"] is None
    # <g> over those with both: pre 50, post 90 -> (90 - 50) / (100 - 50) = 0.8
    assert doc["pre_average"] == 50 and doc["post_average"] == 90 and doc["normalised_gain"] == 0.8
    # Unit-limited BPSDM staff see their units only; learners nothing.
    doc_a = client.get(url, headers=auth(org.bpsdm_a)).json
    assert {r["nip"] for r in doc_a["learners"]} == {org.learner_a1.nip, org.head_a.nip}
    assert client.get(url, headers=auth(org.learner_a1)).status_code == 403
    assert client.put(url, headers=auth(org.bpsdm_a), json={}).status_code == 403


def test_gain_page_for_the_instructor(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Pre-test"},
                                                     {"type": "quiz", "title": "Post-test"}])
    pre = quiz_ops.get_or_create_quiz(course.sections[0].activities[0])
    post = quiz_ops.get_or_create_quiz(course.sections[0].activities[1])
    enrol_all(course, org.learner_a1)
    _finished(pre, org.learner_a1, 1, 20)
    _finished(post, org.learner_a1, 1, 60)
    db.session.commit()
    login(org.instructor)
    page = f"/mengajar/kursus/{course.id}/hasil-belajar"
    assert client.post(page, data={"pre_quiz_id": str(pre.id), "post_quiz_id": str(post.id)}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert 'id="hake-g">0,50<' in html and org.learner_a1.name in html


def _impact_course(org):
    if corpu_ops.competency_by_code("TEK-LITDIG") is None:  # the dictionary ships it
        corpu_ops.save_competency("TEK-LITDIG", name="Literasi Digital", group="Teknis")
    course = make_course(org.instructor, title="Literasi Digital", competencies=[("TEK-LITDIG", 2)])
    enrol_all(course, org.learner_a1)
    for a in course.sections[0].activities:
        complete_activity(org.learner_a1, a)
    db.session.commit()
    return course


def test_job_impact_opens_after_the_delay_for_learner_and_atasan(app, client, org, auth, login):
    _impact_course(org)
    job = db.session.scalar(select(Job).where(Job.kind == "evaluation.impact_open"))
    assert job is not None and job.run_after > utcnow() + timedelta(days=89)
    assert run_pending(kinds=["evaluation.impact_open"]) == 0  # not due yet
    job.run_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert run_pending(kinds=["evaluation.impact_open"]) == 1
    evs = {e.role: e for e in db.session.scalars(select(ImpactEvaluation))}
    assert evs["learner"].respondent_id == org.learner_a1.id and evs["supervisor"].respondent_id == org.head_a.id
    titles = set(db.session.scalars(select(Notification.title).where(Notification.user_id == org.head_a.id)))
    assert any(org.learner_a1.name in t for t in titles)

    mine = client.get("/api/v1/evaluation/impact", headers=auth(org.learner_a1)).json
    assert mine["total"] == 1 and mine["items"][0]["competencies"] == ["TEK-LITDIG"]
    url = f"/api/v1/evaluation/impact/{evs['learner'].id}"
    bad = client.post(url, headers=auth(org.learner_a1), json={"applied": "mungkin", "ratings": {"TEK-LITDIG": 7}})
    assert bad.status_code == 422
    assert {"applied", "ratings"} == {d["field"] for d in bad.json["error"]["details"]}
    assert client.post(url, headers=auth(org.head_a), json={"applied": "ya", "ratings": {"TEK-LITDIG": 4}}).status_code == 403
    ok = client.post(url, headers=auth(org.learner_a1), json={"applied": "sebagian", "change": "Surat dinas kini digital",
                                                               "ratings": {"TEK-LITDIG": 4}})
    assert ok.status_code == 201, ok.json
    ev = ok.json["evidence"][0]
    assert ev["competency"] == "TEK-LITDIG" and ev["level"] == 2 and ev["assessment_id"] and ev["rating"] == 4
    assert client.post(url, headers=auth(org.learner_a1), json={"applied": "ya", "ratings": {"TEK-LITDIG": 4}}).status_code == 409

    # Reminders: the atasan has not answered; 15 days on, one reminder, and not again the next day.
    from app.evaluation.operations import remind_impact

    assert remind_impact(utcnow() + timedelta(days=15)) == 1
    assert remind_impact(utcnow() + timedelta(days=16)) == 0
    db.session.commit()

    # The atasan answers through the page and sees it on the staff page (and on the home page).
    login(org.head_a)
    home = client.get("/").get_data(as_text=True)
    assert "Dampak pelatihan staf" in home and "sebagian diterapkan" in home
    form = client.get(f"/evaluasi/dampak/{evs['supervisor'].id}").get_data(as_text=True)
    assert "TEK-LITDIG" in form
    resp = client.post(f"/evaluasi/dampak/{evs['supervisor'].id}", data={"applied": "ya", "change": "<b>lebih cepat</b>",
                                                                         "rating-TEK-LITDIG": "5"})
    assert resp.status_code == 302
    staff = client.get("/evaluasi/dampak/staf").get_data(as_text=True)
    assert "Surat dinas kini digital" in staff and "&lt;b&gt;lebih cepat&lt;/b&gt;" in staff
    assert "level 2 dari pelatihan" in staff
    client.post("/keluar")
    login(org.learner_b)
    assert client.get("/evaluasi/dampak/staf").status_code == 403
    assert client.get(f"/evaluasi/dampak/{evs['supervisor'].id}").status_code == 403


def test_a_course_without_competencies_has_no_job_impact(org):
    course = make_course(org.instructor)
    enrol_all(course, org.learner_a1)
    for a in course.sections[0].activities:
        complete_activity(org.learner_a1, a)
    db.session.commit()
    assert db.session.scalar(select(Job).where(Job.kind == "evaluation.impact_open")) is None
