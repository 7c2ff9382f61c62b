"""The quiz engine end to end through the API and the operations: import, attempts, deadlines,
resume, submit (once, even concurrently), completion, regrade, essays, authorisation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import utcnow
from app.courses.models import ActivityCompletion, CourseInstructor
from app.extensions import db
from app.jobs.operations import PERIODIC
from app.quizzes import operations as ops
from app.quizzes.models import Attempt, AttemptAnswer, Question, QuestionCategory
from app.quizzes.queries import shown_response
from tests.conftest import count
from tests.factories import make_course
from tests.quizzes_fixtures import FIXTURES, make_quiz, right_responses


def completed(user, quiz) -> bool:
    return db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.user_id == user.id, ActivityCompletion.activity_id == quiz.activity_id)) is not None


# --- import -------------------------------------------------------------------------------------

def test_import_gift_through_api(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    resp = client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "sample.gift").read_bytes(),
                        headers={**auth(org.instructor), "Content-Type": "text/plain"})
    assert resp.status_code == 201, resp.json
    assert resp.json == {"imported": 13, "category": "Etika/Dasar", "skipped": []}
    paths = set(db.session.scalars(select(QuestionCategory.path)))
    assert {"Etika", "Etika/Dasar", "Etika/Hitungan"} <= paths


def test_import_bad_gift_is_422_with_lines_and_saves_nothing(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    resp = client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "broken.gift").read_bytes(),
                       headers={**auth(org.instructor), "Content-Type": "text/plain"})
    assert resp.status_code == 422
    assert [d["line"] for d in resp.json["error"]["details"]] == [5, 7, 9]
    assert all(d["message"] for d in resp.json["error"]["details"])
    assert count(Question) == 0


def test_import_moodle_xml_and_bad_xml(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    h = {**auth(org.instructor), "Content-Type": "application/xml"}
    ok = client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "sample.xml").read_bytes(), headers=h)
    assert ok.status_code == 201 and ok.json == {"imported": 6, "category": "Impor/XML", "skipped": []}
    bad = client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "broken.xml").read_bytes(), headers=h)
    assert bad.status_code == 422
    assert bad.json["error"]["details"][0] == {"line": 13, "element": "quiz/question[2]/answer[2]/@fraction",
                                               "message": "Nilai fraction 'seratus' bukan angka."}
    assert count(Question) == 6


def test_only_course_instructors_and_admin_manage_the_bank(client, org, auth):
    course = make_course(org.admin)
    db.session.commit()
    url = f"/api/v1/courses/{course.id}/questions/import"
    gift = b"Soal {=a ~b}"
    for who in (org.learner_a1, org.instructor):  # an instructor of another course is not enough
        assert client.post(url, data=gift, headers={**auth(who), "Content-Type": "text/plain"}).status_code == 403
    db.session.add(CourseInstructor(course_id=course.id, user_id=org.instructor.id))
    db.session.commit()
    assert client.post(url, data=gift, headers={**auth(org.instructor), "Content-Type": "text/plain"}).status_code == 201
    assert client.post(url, data=gift, headers={**auth(org.admin), "Content-Type": "text/plain"}).status_code == 201
    assert client.get(f"/api/v1/courses/{course.id}/questions/export", headers=auth(org.learner_a1)).status_code == 403


def test_export_import_round_trip_through_the_bank(client, org, auth):
    course = make_course(org.instructor)
    other = make_course(org.instructor)
    db.session.commit()
    h = auth(org.instructor)
    client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "sample.gift").read_bytes(),
                headers={**h, "Content-Type": "text/plain"})
    client.post(f"/api/v1/courses/{course.id}/questions/import", data=(FIXTURES / "sample.xml").read_bytes(),
                headers={**h, "Content-Type": "application/xml"})
    xml = client.get(f"/api/v1/courses/{course.id}/questions/export", headers=h)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    resp = client.post(f"/api/v1/courses/{other.id}/questions/import", data=xml.data,
                       headers={**h, "Content-Type": "application/xml"})
    assert resp.status_code == 201 and resp.json["imported"] == 19

    def bank(c):
        rows = db.session.execute(select(QuestionCategory.path, Question).join(
            Question, Question.category_id == QuestionCategory.id).where(Question.course_id == c.id)
            .order_by(QuestionCategory.path, Question.id)).all()
        return [(p, q.type, q.name, q.text, q.general_feedback, q.default_mark, q.data) for p, q in rows]

    assert bank(course) == bank(other)


# --- attempts -------------------------------------------------------------------------------------

def test_attempt_api_shapes_save_submit_and_complete(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, shuffle_choices=True, shuffle_questions=True)
    h = auth(org.learner_a1)
    resp = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h)
    assert resp.status_code == 201
    body = resp.json
    assert set(body) >= {"id", "deadline", "questions"} and body["deadline"] is None
    assert {q["id"] for q in body["questions"]} == {q.id for q in qs.values()}
    for q in body["questions"]:
        assert set(q) >= {"id", "type", "text", "choices"}
        assert all(set(c) == {"id", "text"} for c in q["choices"])
        if q["type"] == "matching":
            assert sorted(s["text"] for s in q["stems"]) == ["Dua", "Satu", "Tiga"]  # shuffled, as in Moodle
    for qid, response in right_responses(qs, body).items():
        r = client.put(f"/api/v1/attempts/{body['id']}/answers/{qid}", json={"response": response}, headers=h)
        assert r.status_code == 200, r.json
    result = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=h)
    assert result.status_code == 200
    assert {k: result.json[k] for k in ("score", "max_score", "passed", "state")} == {
        "score": 6.0, "max_score": 6.0, "passed": True, "state": "finished"}
    assert completed(org.learner_a1, quiz)
    again = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=h)
    assert again.json == result.json
    late = client.put(f"/api/v1/attempts/{body['id']}/answers/{qs['tf'].id}", json={"response": False}, headers=h)
    assert late.status_code == 409 and late.json["error"]["code"] == "attempt_closed"


def test_choice_ids_stable_when_shuffled(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, shuffle_choices=True)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    entry = next(e for e in attempt.layout if e["q"] == qs["mc"].id)
    assert sorted(entry["choices"]) == ["1", "2", "3"]


def test_bad_response_is_400_not_saved(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1)
    h = auth(org.learner_a1)
    aid = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json["id"]
    r = client.put(f"/api/v1/attempts/{aid}/answers/{qs['num'].id}", json={"response": "empat"}, headers=h)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_response"
    r = client.put(f"/api/v1/attempts/{aid}/answers/{qs['mc'].id}", json={"response": "99"}, headers=h)
    assert r.status_code == 400
    assert client.put(f"/api/v1/attempts/{aid}/answers/999999", json={"response": 1}, headers=h).status_code == 404
    assert count(AttemptAnswer) == 0


def test_resume_returns_the_open_attempt_with_saved_answers(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=20)
    h = auth(org.learner_a1)
    first = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    client.put(f"/api/v1/attempts/{first['id']}/answers/{qs['sa'].id}", json={"response": "jakarta"}, headers=h)
    again = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h)
    assert again.status_code == 200 and again.json["id"] == first["id"] and again.json["deadline"] == first["deadline"]
    saved = next(q for q in again.json["questions"] if q["id"] == qs["sa"].id)
    assert saved["response"] == "jakarta"
    assert count(Attempt) == 1


def test_deadline_refuses_late_answers_and_job_closes_overdue(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=10)
    start = utcnow() - timedelta(minutes=11)
    attempt = ops.start_attempt(quiz, org.learner_a1, now=start)
    ops.save_answer(attempt.id, qs["tf"].id, True, org.learner_a1, now=start + timedelta(minutes=5))
    db.session.commit()
    h = auth(org.learner_a1)
    late = client.put(f"/api/v1/attempts/{attempt.id}/answers/{qs['mc'].id}", json={"response": "1"}, headers=h)
    assert late.status_code == 409 and late.json["error"]["code"] == "deadline_passed"
    _every, job = PERIODIC["quizzes.close_overdue"]
    assert job() == {"closed": 1}
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.state == "finished" and attempt.score == 1.0 and attempt.passed is False
    assert attempt.finished_at == attempt.deadline
    assert job() == {"closed": 0}


def test_deadline_capped_by_close_date_and_dates_enforced(org):
    now = utcnow()
    quiz, _ = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=60, close_at=now + timedelta(minutes=5))
    attempt = ops.start_attempt(quiz, org.learner_a1, now=now)
    assert attempt.deadline == now + timedelta(minutes=5)
    quiz2, _ = make_quiz(org.instructor, org.learner_a1, open_at=now + timedelta(days=1))
    with pytest.raises(ops.RuleViolation) as exc:
        ops.start_attempt(quiz2, org.learner_a1, now=now)
    assert exc.value.code == "quiz_not_open"


def test_max_attempts(client, org, auth):
    quiz, _ = make_quiz(org.instructor, org.learner_a1, max_attempts=1)
    h = auth(org.learner_a1)
    aid = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json["id"]
    client.post(f"/api/v1/attempts/{aid}/submit", headers=h)
    resp = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "no_attempts_left"


def test_nobody_touches_another_learners_attempt(client, org, auth):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, org.learner_b)
    aid = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth(org.learner_a1)).json["id"]
    other = auth(org.learner_b)
    assert client.get(f"/api/v1/attempts/{aid}", headers=other).status_code == 404
    assert client.put(f"/api/v1/attempts/{aid}/answers/{qs['tf'].id}", json={"response": True},
                      headers=other).status_code == 404
    assert client.post(f"/api/v1/attempts/{aid}/submit", headers=other).status_code == 404
    assert db.session.get(Attempt, aid).state == "open"
    # and a learner not enrolled cannot start
    quiz_b, _ = make_quiz(org.instructor)
    assert client.post(f"/api/v1/quizzes/{quiz_b.id}/attempts", headers=other).status_code == 422


def test_simultaneous_submits_grade_once(app, org, backend):
    quiz, qs = make_quiz(org.instructor, org.learner_a1)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    for qid, response in right_responses(qs, attempt).items():
        ops.save_answer(attempt.id, qid, response, org.learner_a1)
    db.session.commit()
    aid, uid = attempt.id, org.learner_a1.id
    results, errors = [], []
    barrier = threading.Barrier(6)

    def submit():
        with app.app_context():
            try:
                from app.accounts.models import User

                user = db.session.get(User, uid)
                barrier.wait()
                a = ops.submit_attempt(aid, user)
                results.append((a.score, a.passed, a.finished_at))
                db.session.commit()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r for r in results}) == 1 and results[0][:2] == (6.0, True)
    db.session.expire_all()
    assert count(ActivityCompletion) == 1
    assert count(AttemptAnswer) == len(qs)


def test_answer_racing_submit_is_graded_or_refused_never_lost(app, org):
    quiz, qs = make_quiz(org.instructor, org.learner_a1)
    uid = org.learner_a1.id
    qid = qs["tf"].id
    for _round in range(5):
        attempt = ops.start_attempt(quiz, org.learner_a1)
        db.session.commit()
        aid = attempt.id
        outcome = {}
        barrier = threading.Barrier(2)

        def worker(kind, aid=aid, outcome=outcome, barrier=barrier):
            with app.app_context():
                from app.accounts.models import User

                user = db.session.get(User, uid)
                barrier.wait()
                try:
                    if kind == "save":
                        ops.save_answer(aid, qid, True, user)
                    else:
                        ops.submit_attempt(aid, user)
                    db.session.commit()
                    outcome[kind] = "ok"
                except ops.Conflict:
                    db.session.rollback()
                    outcome[kind] = "refused"
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker, args=(k,)) for k in ("save", "submit")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcome["submit"] == "ok"
        db.session.expire_all()
        ans = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == aid,
                                                            AttemptAnswer.question_id == qid))
        if outcome["save"] == "ok":
            assert ans.response is True and ans.mark == 1.0  # saved before the submit graded it
        else:
            assert outcome["save"] == "refused" and ans.response is None


def test_essay_graded_by_hand_then_passes_and_completes(org):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, gift="::e::Jelaskan.{}\n\n::t::Benar?{T}", pass_percent=100)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    ops.save_answer(attempt.id, qs["e"].id, "Jawaban saya", org.learner_a1)
    ops.save_answer(attempt.id, qs["t"].id, True, org.learner_a1)
    ops.submit_attempt(attempt.id, org.learner_a1)
    db.session.commit()
    assert attempt.needs_grading and attempt.score == 1.0 and not attempt.passed
    assert not completed(org.learner_a1, quiz)
    answer = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.question_id == qs["e"].id))
    with pytest.raises(ops.RuleViolation):
        ops.grade_answer(answer, 5, "", org.instructor)
    ops.grade_answer(answer, 1, "<p>Bagus</p><script>x</script>", org.instructor)
    db.session.commit()
    assert attempt.score == 2.0 and attempt.passed and not attempt.needs_grading
    assert answer.feedback == "<p>Bagus</p>"
    assert completed(org.learner_a1, quiz)


def test_regrade_after_fixing_a_question_completes_never_undoes(org):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, org.learner_b,
                         gift="::k::Kunci keliru?{=salah ~benar}\n\n::t::Benar?{T}", pass_percent=100)
    mc = qs["k"]
    a1 = ops.start_attempt(quiz, org.learner_a1)
    ops.save_answer(a1.id, mc.id, shown_response(a1, mc, "2"), org.learner_a1)  # "benar", wrong by the faulty key
    ops.save_answer(a1.id, qs["t"].id, True, org.learner_a1)
    ops.submit_attempt(a1.id, org.learner_a1)
    b = ops.start_attempt(quiz, org.learner_b)
    ops.save_answer(b.id, mc.id, shown_response(b, mc, "1"), org.learner_b)
    ops.save_answer(b.id, qs["t"].id, True, org.learner_b)
    ops.submit_attempt(b.id, org.learner_b)
    db.session.commit()
    assert not a1.passed and b.passed and completed(org.learner_b, quiz)
    data = dict(mc.data)
    data["choices"] = [{**c, "fraction": 1.0 - c["fraction"]} for c in data["choices"]]
    ops.save_question(quiz.course, qtype="multichoice", name=mc.name, text=mc.text, data=data, question=mc,
                      category=mc.category.path)
    assert ops.regrade(quiz) == 2
    db.session.commit()
    assert a1.passed and a1.score == 2.0 and completed(org.learner_a1, quiz)
    assert not b.passed and completed(org.learner_b, quiz)  # completion is never taken back


def test_random_questions_from_category(org):
    gift = "$CATEGORY: Acak\n\n" + "\n\n".join(f"::r{i}::Soal {i}?{{T}}" for i in range(6))
    quiz, qs = make_quiz(org.instructor, org.learner_a1, gift=gift)
    cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.path == "Acak"))
    ops.set_slots(quiz, question_ids=[], random_from=[(cat.id, 3)])
    attempt = ops.start_attempt(quiz, org.learner_a1)
    assert len(attempt.layout) == 3 and len({e["q"] for e in attempt.layout}) == 3
    assert attempt.max_score == 3.0
    with pytest.raises(ops.RuleViolation):
        ops.set_slots(quiz, question_ids=[], random_from=[(cat.id, 7)])


def test_item_analysis_and_histogram(org):
    from app.quizzes.queries import item_analysis

    quiz, qs = make_quiz(org.instructor, org.learner_a1, org.learner_b, org.head_a,
                         gift="::a::A?{T}\n\n::b::B?{T}\n\n::c::C?{T}")
    plans = [(org.learner_a1, [True, True, True]), (org.learner_b, [True, False, False]),
             (org.head_a, [True, True, False])]
    for user, answers in plans:
        att = ops.start_attempt(quiz, user)
        for name, value in zip("abc", answers, strict=True):
            ops.save_answer(att.id, qs[name].id, value, user)
        ops.submit_attempt(att.id, user)
    db.session.commit()
    stats = item_analysis(quiz)
    by = {i["question"].name: i for i in stats["items"]}
    assert by["a"]["facility"] == 100.0 and by["a"]["discrimination"] is None  # everyone right: no spread
    assert round(by["b"]["facility"], 2) == 66.67
    assert by["b"]["discrimination"] > 0
    assert sum(stats["histogram"]["counts"]) == 3 and stats["histogram"]["counts"][9] == 1


def test_activity_type_registered_with_package_hooks(org):
    from app.courses.activity_types import get_type

    qtype = get_type("quiz")
    assert qtype is not None and qtype.completion == "quiz"

    class Reader:
        def __init__(self, files):
            self.files = files

        def exists(self, p):
            return p in self.files

        def read_bytes(self, p):
            return self.files[p]

        def read_text(self, p):
            return self.files[p].decode()

    class Problems(list):
        def add(self, file, line, message):
            self.append((file, line, message))

    problems = Problems()
    reader = Reader({"quizzes/kuis.gift": (FIXTURES / "broken.gift").read_bytes(),
                     "quizzes/ok.gift": (FIXTURES / "sample.gift").read_bytes()})
    qtype.validate({"type": "quiz", "title": "K", "file": "quizzes/kuis.gift"}, reader, problems)
    assert [(f, line) for f, line, _ in problems] == [("quizzes/kuis.gift", 5), ("quizzes/kuis.gift", 7),
                                                      ("quizzes/kuis.gift", 9)]
    problems.clear()
    qtype.validate({"type": "quiz", "title": "K", "file": "quizzes/tidak-ada.gift"}, reader, problems)
    assert problems and problems[0][0] == "quizzes/tidak-ada.gift"

    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis akhir"}])
    activity = course.sections[0].activities[0]
    spec = {"type": "quiz", "title": "Kuis akhir", "file": "quizzes/ok.gift", "pass_percent": 80,
            "max_attempts": 3, "time_limit_minutes": 20, "shuffle": True}
    problems.clear()
    qtype.validate(spec, reader, problems)
    assert problems == []
    qtype.apply(activity, spec, reader)
    quiz = ops.get_or_create_quiz(activity)
    assert (quiz.pass_percent, quiz.max_attempts, quiz.time_limit_minutes, quiz.shuffle_questions) == (80, 3, 20, True)
    assert len(quiz.slots) == 13
    assert db.session.scalar(select(QuestionCategory.path).where(QuestionCategory.path == "Kuis akhir/Etika/Dasar"))

    written = {}

    class Writer:
        def write_bytes(self, p, data):
            written[p] = data

    keys = qtype.export(activity, Writer())
    assert keys == {"file": "quizzes/kuis-akhir.xml", "pass_percent": 80, "max_attempts": 3,
                    "time_limit_minutes": 20, "shuffle": True}
    from app.quizzes.moodle_xml import parse_moodle_xml

    assert len(parse_moodle_xml(written["quizzes/kuis-akhir.xml"]).questions) == 13


def test_cli_import_export_and_close_overdue(app, org, tmp_path):
    course = make_course(org.instructor, code="CLI-01")
    db.session.commit()
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["quizzes", "import", "CLI-01", str(FIXTURES / "broken.gift")])
    assert bad.exit_code != 0 and "broken.gift:5:" in bad.output
    ok = runner.invoke(args=["quizzes", "import", "CLI-01", str(FIXTURES / "sample.xml")])
    assert ok.exit_code == 0 and "6 soal" in ok.output
    out = tmp_path / "bank.xml"
    exported = runner.invoke(args=["quizzes", "export", "CLI-01", str(out)])
    assert exported.exit_code == 0 and len(ops.parse_moodle_xml(out.read_bytes()).questions) == 6
    assert runner.invoke(args=["quizzes", "close-overdue"]).output.startswith("0 ")
    assert course.id


def test_duplicate_hook_copies_quiz_and_questions_into_another_course(org):
    from app.courses.activity_types import get_type
    from app.quizzes.models import Quiz

    quiz, qs = make_quiz(org.instructor, max_attempts=2, time_limit_minutes=15)
    cat = qs["mc"].category
    ops.set_slots(quiz, question_ids=[qs["mc"].id], random_from=[(cat.id, 2)])
    target = make_course(org.instructor, activities=[{"type": "quiz", "title": "Salinan"}])
    new_activity = target.sections[0].activities[0]
    get_type("quiz").duplicate(quiz.activity, new_activity)
    db.session.commit()
    copy = db.session.scalar(select(Quiz).where(Quiz.activity_id == new_activity.id))
    assert (copy.max_attempts, copy.time_limit_minutes, copy.course_id) == (2, 15, target.id)
    assert all(s.question is None or s.question.course_id == target.id for s in copy.slots)
    assert all(s.category is None or s.category.course_id == target.id for s in copy.slots)
    in_target = db.session.scalars(select(Question).where(Question.course_id == target.id)).all()
    assert len(in_target) == len(qs)  # the fixed one and the whole random pool, each copied once
    assert get_type("quiz").meets_rule(new_activity, org.learner_a1) is False
