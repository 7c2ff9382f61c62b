"""Enqueue, claim, run and retry jobs; elect the one scheduler among workers.

A job's handler runs in its own transaction. A worker that dies mid-job stops sending
heartbeats; after `STALE_SECONDS` another runner takes the job over and runs it again, so a
handler must be safe to run twice (write its results idempotently).
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import utcnow
from app.extensions import db
from app.jobs.models import Job, SchedulerLock

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[Job], Any]] = {}
PERIODIC: dict[str, tuple[int, Callable[[], Any]]] = {}
STALE_SECONDS = 120
LOCK_SECONDS = 30
RUNNER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobFailed(Exception):
    """Raised by a handler for a failure that retrying will not fix; its message is shown to people."""


def handler(kind: str) -> Callable:
    """Register the function that runs jobs of `kind`."""

    def deco(fn: Callable[[Job], Any]) -> Callable[[Job], Any]:
        HANDLERS[kind] = fn
        return fn

    return deco


def periodic(name: str, every_seconds: int) -> Callable:
    """Register a task the elected scheduler runs every `every_seconds` (e.g. closing overdue attempts)."""

    def deco(fn: Callable[[], Any]) -> Callable[[], Any]:
        PERIODIC[name] = (every_seconds, fn)
        return fn

    return deco


def enqueue(kind: str, payload: dict | None = None, *, dedupe_key: str | None = None,
            created_by_id: int | None = None, max_attempts: int = 3) -> Job:
    if dedupe_key:
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    job = Job(kind=kind, payload=payload or {}, dedupe_key=dedupe_key, created_by_id=created_by_id,
              max_attempts=max_attempts)
    db.session.add(job)
    db.session.flush()
    return job


def retry(job: Job) -> Job:
    """Put a failed job back in the queue (a person pressed "coba lagi")."""
    job.state, job.progress, job.message, job.attempts = "queued", 0, None, 0
    job.run_after = utcnow()
    db.session.flush()
    return job


def report_progress(job: Job, percent: int, message: str | None = None) -> None:
    """Record progress and renew the heartbeat; committed at once so pages see it."""
    db.session.execute(update(Job).where(Job.id == job.id).values(
        progress=max(0, min(100, int(percent))), message=message, heartbeat_at=utcnow()))
    db.session.commit()


def _claim_next(kinds: list[str] | None = None) -> Job | None:
    now = utcnow()
    stale = now - timedelta(seconds=STALE_SECONDS)
    cond = or_(and_(Job.state == "queued", Job.run_after <= now),
               and_(Job.state == "running", Job.heartbeat_at < stale))
    stmt = select(Job.id).where(cond).order_by(Job.id).limit(5)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    for job_id in db.session.scalars(stmt).all():
        # Compare-and-set: only one runner wins a job even without row locks (SQLite).
        res = db.session.execute(
            update(Job).where(Job.id == job_id, cond)
            .values(state="running", owner=RUNNER_ID, heartbeat_at=now, started_at=now, attempts=Job.attempts + 1))
        db.session.commit()
        if res.rowcount == 1:
            return db.session.get(Job, job_id)
    return None


def run_job(job: Job) -> None:
    fn = HANDLERS.get(job.kind)
    try:
        if fn is None:
            raise JobFailed(f"no handler for {job.kind}")
        result = fn(job)
        db.session.commit()
    except Exception as exc:  # a job's failure is recorded, never lost
        db.session.rollback()
        job = db.session.get(Job, job.id)
        final = isinstance(exc, JobFailed) or job.attempts >= job.max_attempts
        if not isinstance(exc, JobFailed):
            log.error("job %s (%s) failed: %s", job.id, job.kind, traceback.format_exc())
        job.state = "failed" if final else "queued"
        job.message = str(exc)[:2000]
        job.run_after = utcnow() + timedelta(seconds=5 * job.attempts)
        job.finished_at = utcnow() if final else None
        db.session.commit()
        return
    job = db.session.get(Job, job.id)
    job.state, job.progress, job.finished_at = "done", 100, utcnow()
    if isinstance(result, dict):
        job.result = result
    db.session.commit()


def run_pending(limit: int = 50, kinds: list[str] | None = None) -> int:
    """Run up to `limit` due jobs in this process; returns how many ran."""
    ran = 0
    while ran < limit:
        job = _claim_next(kinds)
        if job is None:
            break
        run_job(job)
        ran += 1
    return ran


def acquire_scheduler_lock(name: str = "main", holder: str = RUNNER_ID) -> bool:
    """Take or renew the scheduler lock; True when this process is the one that runs jobs."""
    now = utcnow()
    expires = now + timedelta(seconds=LOCK_SECONDS)
    res = db.session.execute(
        update(SchedulerLock)
        .where(SchedulerLock.name == name, or_(SchedulerLock.holder == holder, SchedulerLock.expires_at < now))
        .values(holder=holder, expires_at=expires))
    if res.rowcount == 1:
        db.session.commit()
        return True
    db.session.rollback()
    if db.session.get(SchedulerLock, name) is None:
        try:
            db.session.add(SchedulerLock(name=name, holder=holder, expires_at=expires))
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
    return False


def scheduler_holder(name: str = "main") -> SchedulerLock | None:
    return db.session.get(SchedulerLock, name)


_last_periodic: dict[str, float] = {}


def tick() -> None:
    """One beat of the scheduler: if elected, run due periodic tasks and pending jobs."""
    import time

    if not acquire_scheduler_lock():
        return
    now = time.monotonic()
    for name, (every, fn) in PERIODIC.items():
        if now - _last_periodic.get(name, 0) >= every:
            _last_periodic[name] = now
            try:
                fn()
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("periodic task %s failed", name)
    run_pending(limit=10)


def start_scheduler(app) -> None:
    """Start APScheduler in this process. Every worker starts one; only the lock holder works."""
    from apscheduler.schedulers.background import BackgroundScheduler

    sched = BackgroundScheduler(daemon=True)

    def beat():
        with app.app_context():
            try:
                tick()
            finally:
                db.session.remove()

    sched.add_job(beat, "interval", seconds=app.config.get("SCHEDULER_INTERVAL", 2), max_instances=1,
                  coalesce=True, id="lentera-beat")
    sched.start()
    app.extensions["lentera_scheduler"] = sched
    current_app_logger = app.logger
    current_app_logger.info("scheduler started as %s", RUNNER_ID)


