"""The ledger listens to the course engine: a completed course credits its JP, in the same
transaction as the completion, once per (employee, course, year)."""

from __future__ import annotations

from app.signals import course_completed


@course_completed.connect
def credit_completed_course(user, course=None, completed_at=None, **_kw) -> None:
    from app.accounts.models import utcnow
    from app.ledger.operations import credit_course

    credit_course(user, course, completed_at or utcnow())
