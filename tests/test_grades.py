"""The grade book: quiz and assignment items with weights and categories, the course total, the
pass mark as a completion rule (course_completed -> JP), overrides with reason and history, the
learner's grades through the API, exports that neutralise formulas, and a query count that stays
flat in the number of learners."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from app.accounts import operations as accounts_ops
from app.assignments import operations as aops
from app.courses.models import CourseCompletion
from app.errors import RuleViolation
from app.extensions import db
from app.grades import operations as gops
from app.grades import queries as gq
from app.grades.models import GradeHistory
from app.ledger.models import LedgerEntry
from app.quizzes import operations as qops
from app.quizzes.models import Attempt
from tests.conftest import nip_for
from tests.factories import enrol_all, make_course


def _course(owner, *learners):
    course = make_course(owner, jp=5, activities=[{"type": "quiz", "title": "Kuis"},
                                                  {"type": "assignment", "title": "Laporan"}])
    quiz_act, asg_act = course.sections[0].activities
    quiz = qops.get_or_create_quiz(quiz_act)
    assignment = aops.get_or_create_assignment(asg_act)
    enrol_all(course, *learners)
    return course, quiz, assignment


def _quiz_score(quiz, user, score: float, max_score: float = 10.0) -> None:
    db.session.add(Attempt(quiz_id=quiz.id, user_id=user.id, number=1, state="finished", score=score,
                           max_score=max_score, passed=score / max_score >= 0.7, layout=[]))
    db.session.flush()


def _graded(assignment, user, grade) -> None:
    aops.save_draft(assignment, user, text="isi")
    sub = aops.submit(assignment, user)
    aops.grade_submission(sub, assignment.course.owner, grade=grade, release=True)


def test_total_is_the_weighted_mean_with_categories(app, org):
    course, quiz, assignment = _course(org.instructor, org.learner_a1, org.learner_b)
    _quiz_score(quiz, org.learner_a1, 8)  # 80 %
    _graded(assignment, org.learner_a1, 60)  # 60 / 100
    book = gq.gradebook(course)
    row = next(r for r in book.rows if r.user.id == org.learner_a1.id)
    assert [it.share for it in book.items] == [Decimal("50.00"), Decimal("50.00")]
    assert row.total == Decimal("70.00") and row.passed is True
    other = next(r for r in book.rows if r.user.id == org.learner_b.id)
    assert other.total == Decimal("0.00") and other.passed is False  # nothing graded counts 0

    # Assignment weighs 3 times the quiz.
    gops.set_item(course, assignment.activity, weight=3)
    row = next(r for r in gq.gradebook(course).rows if r.user.id == org.learner_a1.id)
    assert row.total == Decimal("65.00")
    # Categories: "Tugas" 60 holds the assignment, "Kuis" 40 the quiz.
    tugas = gops.add_category(course, "Tugas", 60)
    kuis = gops.add_category(course, "Kuis", 40)
    gops.set_item(course, assignment.activity, category_id=tugas.id)
    gops.set_item(course, quiz.activity, category_id=kuis.id)
    book = gq.gradebook(course)
    assert [it.share for it in book.items] == [Decimal("40.00"), Decimal("60.00")]
    row = next(r for r in book.rows if r.user.id == org.learner_a1.id)
    assert row.total == Decimal("68.00")
    with pytest.raises(RuleViolation):
        gops.set_item(course, assignment.activity, weight="-1")


def test_pass_mark_rule_and_override_complete_the_course_and_credit_jp(app, org):
    course, quiz, assignment = _course(org.instructor, org.learner_a1)
    quiz.activity.required = False  # only the assignment is required
    gops.update_settings(course, pass_percent=70, completion_requires_pass=True)
    aops.update_assignment(assignment, {"pass_grade": 50})
    _graded(assignment, org.learner_a1, 60)  # assignment passed, but the course total is 30 %
    db.session.commit()
    assert db.session.scalar(select(CourseCompletion.id)) is None
    # The instructor sets the course total by hand, with a reason: the course completes, JP follow.
    with pytest.raises(RuleViolation):
        gops.override(course, org.learner_a1, None, 75, "  ", by=org.instructor)
    with pytest.raises(RuleViolation):
        gops.override(course, org.learner_a1, None, 101, "Ujian ulang", by=org.instructor)
    gops.override(course, org.learner_a1, None, 75, "Ujian ulang lisan", by=org.instructor)
    db.session.commit()
    assert db.session.scalar(select(CourseCompletion.id)) is not None
    assert db.session.scalar(select(LedgerEntry.jp).where(LedgerEntry.user_id == org.learner_a1.id)) == Decimal(5)
    hist = db.session.scalars(select(GradeHistory)).all()
    assert [(h.old_grade, h.new_grade, h.reason) for h in hist] == [(Decimal("30.00"), Decimal("75.00"),
                                                                     "Ujian ulang lisan")]


def test_a_rising_grade_completes_a_course_waiting_for_its_pass_mark(app, org):
    course, quiz, assignment = _course(org.instructor, org.learner_a1)
    quiz.activity.required = False
    gops.set_item(course, quiz.activity, weight=0)
    gops.update_settings(course, pass_percent=70, completion_requires_pass=True)
    _graded(assignment, org.learner_a1, 50)
    assert db.session.scalar(select(CourseCompletion.id)) is None
    sub = aops.latest_submission(assignment, org.learner_a1)
    aops.grade_submission(sub, org.instructor, grade=80, release=True)
    assert db.session.scalar(select(CourseCompletion.id)) is not None


def test_grades_api_for_self_graders_and_nobody_else(client, org, auth):
    course, quiz, assignment = _course(org.instructor, org.learner_a1, org.learner_b)
    _quiz_score(quiz, org.learner_a1, 9)
    _graded(assignment, org.learner_a1, 70)
    db.session.commit()
    mine = client.get(f"/api/v1/courses/{course.id}/grades", headers=auth(org.learner_a1))
    assert mine.status_code == 200
    body = mine.json
    assert [(i["item"], i["type"], i["grade"], i["max"], i["weight"]) for i in body["items"]] == [
        ("Kuis", "quiz", 90.0, 100.0, 50.0), ("Laporan", "assignment", 70.0, 100.0, 50.0)]
    assert body["total"] == 80.0 and body["max_total"] == 100.0 and body["passed"] is True
    staff = client.get(f"/api/v1/courses/{course.id}/grades", query_string={"nip": org.learner_a1.nip},
                       headers=auth(org.instructor))
    assert staff.status_code == 200 and staff.json["total"] == 80.0
    peer = client.get(f"/api/v1/courses/{course.id}/grades", query_string={"nip": org.learner_a1.nip},
                      headers=auth(org.learner_b))
    assert peer.status_code == 403
    book = client.get(f"/api/v1/courses/{course.id}/gradebook", headers=auth(org.instructor))
    assert book.status_code == 200 and book.json["total"] == 2 and len(book.json["columns"]) == 2
    assert client.get(f"/api/v1/courses/{course.id}/gradebook", headers=auth(org.learner_a1)).status_code == 403
    s = client.put(f"/api/v1/courses/{course.id}/gradebook/settings", headers=auth(org.instructor),
                   json={"pass_percent": 150})
    assert s.status_code == 422


def test_export_xlsx_and_csv_neutralise_formulas(client, org, login):
    evil = accounts_ops.create_user("evil", password="rahasia123", name="=HYPERLINK(\"http://x\")", nip=nip_for(77),
                                    unit=org.a1)
    course, quiz, assignment = _course(org.instructor, evil, org.learner_a1)
    _graded(assignment, evil, 88)
    db.session.commit()
    login(org.instructor)
    x = client.get(f"/kursus/{course.id}/nilai.xlsx")
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.data)).active
    names = [ws.cell(r, 2).value for r in range(2, ws.max_row + 1)]
    assert "'=HYPERLINK(\"http://x\")" in names
    c = client.get(f"/kursus/{course.id}/nilai.csv")
    assert c.status_code == 200 and "'=HYPERLINK" in c.get_data(as_text=True)
    page = client.get(f"/kursus/{course.id}/nilai")
    assert page.status_code == 200 and b"gradebook" in page.data
    client.post("/keluar")
    login(org.learner_a1)
    assert client.get(f"/kursus/{course.id}/nilai").status_code == 403
    assert client.get(f"/kursus/{course.id}/nilai.xlsx").status_code == 403
    mine = client.get("/nilai-saya")
    assert mine.status_code == 200 and b"Laporan" in mine.data


def test_override_page_records_history(client, org, login):
    course, quiz, assignment = _course(org.instructor, org.learner_a1)
    db.session.commit()
    login(org.instructor)
    url = f"/kursus/{course.id}/nilai/peserta/{org.learner_a1.id}"
    bad = client.post(url, data={"activity_id": str(assignment.activity_id), "grade": "90", "reason": ""})
    assert bad.status_code == 422
    ok = client.post(url, data={"activity_id": str(assignment.activity_id), "grade": "90", "reason": "Remedial"})
    assert ok.status_code == 302
    page = client.get(url)
    assert b"Remedial" in page.data and b"grade-history" in page.data


def test_gradebook_query_count_is_flat_in_learners(app, org):
    course, quiz, assignment = _course(org.instructor)

    def add_learners(n, start):
        people = [accounts_ops.create_user(f"p{start + i}", password="rahasia123", name=f"Peserta {start + i}",
                                           nip=nip_for(200 + start + i), unit=org.a1) for i in range(n)]
        enrol_all(course, *people)
        for p in people:
            _quiz_score(quiz, p, 7)
            _graded(assignment, p, 75)

    def queries_for_book() -> int:
        db.session.expire_all()
        n = {"q": 0}

        def counter(*_a, **_k):
            n["q"] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            book = gq.gradebook(course)
            assert all(r.total is not None for r in book.rows)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return n["q"]

    add_learners(3, 0)
    small = queries_for_book()
    add_learners(20, 3)
    assert queries_for_book() == small


def test_letter_grades(client, org, auth, login):
    course, quiz, assignment = _course(org.instructor, org.learner_a1)
    _quiz_score(quiz, org.learner_a1, 9)
    _graded(assignment, org.learner_a1, 70)  # total 80
    with pytest.raises(RuleViolation):
        gops.update_settings(course, letters="A=85\nB")
    with pytest.raises(RuleViolation):
        gops.update_settings(course, letters="A=85\nB=85")
    gops.update_settings(course, letters="B=70\nA=85\nC=0")
    db.session.commit()
    g = client.get(f"/api/v1/courses/{course.id}/grades", headers=auth(org.learner_a1)).json
    assert g["total"] == 80.0 and g["letter"] == "B"
    login(org.instructor)
    page = client.get(f"/kursus/{course.id}/nilai").get_data(as_text=True)
    assert "<td>B</td>" in page and "A=85" in page


def test_gradebook_pages(client, org, auth):
    course, quiz, assignment = _course(org.instructor, org.learner_a1, org.learner_b)
    db.session.commit()
    h = auth(org.instructor)
    first = client.get(f"/api/v1/courses/{course.id}/gradebook", query_string={"per_page": 1}, headers=h).json
    second = client.get(f"/api/v1/courses/{course.id}/gradebook", query_string={"per_page": 1, "page": 2},
                        headers=h).json
    assert first["total"] == second["total"] == 2
    assert [first["items"][0]["name"], second["items"][0]["name"]] == ["Learner A1", "Learner B"]


def test_a_better_quiz_attempt_completes_a_course_waiting_for_its_pass_mark(app, org):
    from tests.quizzes_fixtures import make_quiz, right_responses

    quiz, questions = make_quiz(org.instructor, org.learner_a1, pass_percent=10, max_attempts=0)
    course = quiz.course
    gops.update_settings(course, pass_percent=90, completion_requires_pass=True)
    right = right_responses(questions)
    first = qops.start_attempt(quiz, org.learner_a1)
    qid = next(iter(right))
    qops.save_answer(first.id, qid, right_responses(questions, first)[qid], org.learner_a1)
    qops.submit_attempt(first.id, org.learner_a1)
    assert first.passed  # the quiz is complete, but the course total is far below 90
    assert db.session.scalar(select(CourseCompletion.id)) is None
    second = qops.start_attempt(quiz, org.learner_a1)
    for q, response in right_responses(questions, second).items():
        qops.save_answer(second.id, q, response, org.learner_a1)
    qops.submit_attempt(second.id, org.learner_a1)
    assert db.session.scalar(select(CourseCompletion.id)) is not None
