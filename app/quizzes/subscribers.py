"""Background work of the quiz engine: closing attempts whose time ran out, large imports."""

from __future__ import annotations

from app.jobs.operations import handler, periodic


@periodic("quizzes.close_overdue", 60)
def close_overdue_attempts() -> dict:
    """An attempt left open past its deadline (browser closed, connection lost) is closed and
    graded with the answers saved before the deadline."""
    from app.quizzes.operations import close_overdue

    return {"closed": close_overdue()}


@handler("quizzes.import")
def _import_job(job):
    from app.quizzes.operations import run_import_job

    return run_import_job(job)
