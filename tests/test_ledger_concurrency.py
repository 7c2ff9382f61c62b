"""Exactly once under concurrency: parallel completions and credits, each in its own session and
connection, as gunicorn workers would run them. Meaningful on PostgreSQL (row locks, READ
COMMITTED); on SQLite the database write lock serialises and the same assertions hold."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts.models import User
from app.courses.models import Activity, Course, CourseCompletion
from app.courses.operations import complete_activity
from app.extensions import db
from app.ledger import chain, queries
from app.ledger import operations as ops
from app.ledger.models import LedgerChainHead, LedgerEntry
from tests.factories import enrol_all, make_course

THREADS = 8


def run_parallel(app, fn, n: int = THREADS) -> list[BaseException]:
    """Run fn(i) in n threads released together; each thread has its own app context and session."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                fn(i)
                db.session.commit()
            except BaseException as exc:  # collected and asserted on by the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_parallel_credits_of_one_course_count_once(app, org):
    course = make_course(org.instructor, jp="3.5")
    db.session.commit()
    user_id, course_id = org.learner_a1.id, course.id

    def credit(_i):
        ops.credit_course(db.session.get(User, user_id), db.session.get(Course, course_id), datetime(2026, 7, 1, 2, 0))

    assert run_parallel(app, credit) == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert queries.year_total(user_id, 2026) == Decimal("3.50")
    assert chain.verify().ok


def test_parallel_completions_of_the_last_activity_credit_once(app, org):
    course = make_course(org.instructor, jp=2)
    enrol_all(course, org.learner_a1)
    first, last = [a for s in course.sections for a in s.activities]
    complete_activity(org.learner_a1, first)
    db.session.commit()
    user_id, last_id = org.learner_a1.id, last.id

    def complete(_i):
        complete_activity(db.session.get(User, user_id), db.session.get(Activity, last_id))

    errors = run_parallel(app, complete)
    # A loser may see the unique key of the activity completion; it must never credit twice.
    assert all("IntegrityError" in type(e).__name__ or "UniqueViolation" in repr(e) for e in errors), errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert queries.year_total(user_id, ops.current_year()) == Decimal(2)
    assert chain.verify().ok


def test_parallel_appends_keep_one_unbroken_chain(app, org):
    courses = [make_course(org.instructor, jp=i + 1) for i in range(THREADS)]
    db.session.commit()
    ids = [c.id for c in courses]
    people = [org.learner_a1.id, org.learner_b.id]

    def credit(i):
        for uid in people:
            ops.credit_course(db.session.get(User, uid), db.session.get(Course, ids[i]), datetime(2026, 8, 1))

    assert run_parallel(app, credit) == []
    db.session.expire_all()
    result = chain.verify()
    assert result.ok and result.entries_checked == THREADS * len(people)
    head = db.session.get(LedgerChainHead, 1)
    assert head.entries == THREADS * len(people)
    assert queries.year_total(org.learner_b.id, 2026) == Decimal(sum(range(1, THREADS + 1)))


def test_parallel_reversals_of_one_entry_reverse_once(app, org):
    from datetime import date

    entry = ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title="Seminar",
                              occurred_on=date(2026, 5, 5), jp=Decimal(4))
    db.session.commit()
    staff_id, entry_id = org.bpsdm_a.id, entry.id

    def reverse(i):
        ops.reverse_entry(db.session.get(User, staff_id), db.session.get(LedgerEntry, entry_id), f"dobel {i}")

    errors = run_parallel(app, reverse)
    assert len(errors) == THREADS - 1 and all(type(e).__name__ == "Conflict" for e in errors)
    db.session.expire_all()
    assert queries.year_total(org.learner_a1.id, 2026) == Decimal(0)
    assert chain.verify().ok
