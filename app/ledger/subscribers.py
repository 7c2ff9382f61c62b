"""The ledger listens to the course engine: a completed course credits its JP, in the same
transaction as the completion, once per (employee, course, year)."""

from __future__ import annotations

from app.jobs.operations import periodic
from app.signals import course_completed


@course_completed.connect
def credit_completed_course(user, course=None, completed_at=None, **_kw) -> None:
    from app.accounts.models import utcnow
    from app.ledger.operations import credit_course

    credit_course(user, course, completed_at or utcnow())


@periodic("ledger.checkpoint", 24 * 3600)
def seal_the_chain_daily() -> None:
    """Once a day the elected scheduler verifies the chain and, when intact, seals its head outside
    the database (app/ledger/seal.py); a broken chain is logged, never sealed."""
    import logging

    from app.ledger.chain import checkpoint, verify

    result = verify()
    if result.ok:
        checkpoint()
    else:
        logging.getLogger(__name__).error("ledger chain broken at entry %s (%s): no checkpoint written",
                                          result.first_bad_entry, result.problem)
