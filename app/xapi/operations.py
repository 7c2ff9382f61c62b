"""xAPI out: statements made from Lentera's events, queued in the outbox inside the event's own
transaction, and sent to the LRS by a job — so a learner's page never waits for the LRS, and an
LRS that is down loses nothing: unsent statements stay queued and are retried with back-off.

Settings (environment or app config): LENTERA_XAPI_ENDPOINT (the LRS's xAPI base, e.g.
https://lrs.example.go.id/xAPI/), LENTERA_XAPI_KEY, LENTERA_XAPI_SECRET; unset endpoint = off.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from flask import current_app
from sqlalchemy import func, select, update

from app.accounts.models import User, utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import enqueue, handler, periodic
from app.xapi.models import XapiStatement

log = logging.getLogger(__name__)

JOB_KIND = "xapi_send"
XAPI_VERSION = "1.0.3"
BATCH = 200
MAX_BACKOFF_SECONDS = 300
JP_EXTENSION = "https://w3id.org/lentera/xapi/extensions/jp"

VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "attended": "http://adlnet.gov/expapi/verbs/attended",
    "earned": "http://id.tincanapi.com/verb/earned",
}
VERB_NAMES = {"launched": "meluncurkan", "completed": "menyelesaikan", "passed": "lulus", "failed": "tidak lulus",
              "answered": "menjawab", "attended": "menghadiri", "earned": "memperoleh"}


def setting(name: str) -> str | None:
    value = current_app.config.get(f"XAPI_{name}")
    if value is None:
        value = os.environ.get(f"LENTERA_XAPI_{name}")
    return value or None


def enabled() -> bool:
    return bool(setting("ENDPOINT"))


def base_iri() -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or current_app.config.get("CERT_PUBLIC_BASE_URL")
            or "http://lentera.invalid")
    return base.rstrip("/")


# --- statements ---------------------------------------------------------------------------------------

def actor(user: User) -> dict:
    """The learner as an xAPI account agent: their NIP on this site (no e-mail leaves Lentera)."""
    return {"objectType": "Agent", "name": user.name or user.username,
            "account": {"homePage": base_iri(), "name": user.nip or user.username}}


def activity_object(path: str, name: str, type_iri: str, description: str | None = None) -> dict:
    definition: dict[str, Any] = {"name": {"id-ID": name[:250]}, "type": type_iri}
    if description:
        definition["description"] = {"id-ID": description[:500]}
    return {"objectType": "Activity", "id": base_iri() + path, "definition": definition}


def make_statement(user: User, verb: str, obj: dict, *, result: dict | None = None, context: dict | None = None,
                   at: datetime | None = None) -> dict:
    stmt: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor(user),
        "verb": {"id": VERBS[verb], "display": {"id-ID": VERB_NAMES[verb], "en-US": verb}},
        "object": obj,
        "timestamp": (at or utcnow()).isoformat(timespec="milliseconds") + "Z",
    }
    if result:
        stmt["result"] = result
    if context:
        stmt["context"] = context
    return stmt


def queue(statement: dict, verb: str) -> XapiStatement | None:
    """Put a statement in the outbox (inside the caller's transaction) and make sure a send job
    is waiting. Does nothing when no LRS is configured."""
    if not enabled():
        return None
    row = XapiStatement(id=statement["id"], verb=verb, statement=statement)
    db.session.add(row)
    session = db.session()
    tx = session.get_transaction()
    if tx is None or session.info.get("xapi_job_tx") is not tx:
        # Once per transaction is enough (a commit of 50 answers makes 50 statements); a statement
        # that misses a job finishing meanwhile is picked up by the periodic outbox watch.
        _ensure_job()
        session.info["xapi_job_tx"] = session.get_transaction()
    return row


def _ensure_job(run_after: datetime | None = None) -> None:
    waiting = db.session.scalar(select(Job.id).where(Job.kind == JOB_KIND, Job.state.in_(("queued", "running")))
                                .limit(1))
    if waiting is None:
        job = enqueue(JOB_KIND, {}, max_attempts=1)
        if run_after is not None:
            job.run_after = run_after


# --- sending ----------------------------------------------------------------------------------------------

class LrsError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def post_batch(statements: list[dict]) -> None:
    """POST statements to the LRS; raises LrsError on anything but success."""
    endpoint = setting("ENDPOINT")
    url = endpoint.rstrip("/") + "/statements"
    auth = (setting("KEY") or "", setting("SECRET") or "")
    try:
        resp = requests.post(url, json=statements, auth=auth, timeout=(5, 30),
                             headers={"X-Experience-API-Version": XAPI_VERSION})
    except requests.RequestException as exc:
        raise LrsError(f"LRS tidak dapat dihubungi: {type(exc).__name__}") from None
    if resp.status_code in (200, 204):
        return
    raise LrsError(f"LRS menjawab {resp.status_code}: {resp.text[:300]}", resp.status_code)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 9)))


def drain(*, budget_seconds: float = 50.0, batch: int = BATCH) -> dict[str, int]:
    """Send due statements in batches until none is due or the time budget is spent. A batch the
    LRS refuses as a whole (4xx) is retried one by one, so one bad statement cannot hold the rest
    back; an LRS that cannot be reached (or answers 5xx) backs off the whole queue at once."""
    started = time.monotonic()
    sent = failed = 0
    while time.monotonic() - started < budget_seconds:
        now = utcnow()
        rows = db.session.execute(select(XapiStatement.id, XapiStatement.statement, XapiStatement.attempts).where(
            XapiStatement.state == "queued", XapiStatement.next_try_at <= now)
            .order_by(XapiStatement.created_at, XapiStatement.id).limit(batch)).all()
        if not rows:
            break
        try:
            post_batch([r.statement for r in rows])
            ok, bad = [r.id for r in rows], []
        except LrsError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                ok, bad = _one_by_one(rows)
            else:
                # Down: every due statement waits, together, for the next try.
                attempts = max(r.attempts for r in rows) + 1
                db.session.execute(update(XapiStatement).where(
                    XapiStatement.state == "queued", XapiStatement.next_try_at <= now).values(
                    attempts=XapiStatement.attempts + 1, last_error=str(exc)[:1000],
                    next_try_at=utcnow() + _backoff(attempts)))
                db.session.commit()
                failed += len(rows)
                break
        if ok:
            db.session.execute(update(XapiStatement).where(XapiStatement.id.in_(ok)).values(
                state="sent", sent_at=utcnow(), last_error=None))
        for row_id, attempts, err in bad:
            db.session.execute(update(XapiStatement).where(XapiStatement.id == row_id).values(
                attempts=attempts + 1, last_error=err[:1000], next_try_at=utcnow() + _backoff(attempts + 1)))
        db.session.commit()
        sent += len(ok)
        failed += len(bad)
    return {"sent": sent, "failed": failed}


def _one_by_one(rows) -> tuple[list[str], list[tuple[str, int, str]]]:
    ok, bad = [], []
    for r in rows:
        try:
            post_batch([r.statement])
            ok.append(r.id)
        except LrsError as exc:
            if exc.status == 409:
                ok.append(r.id)  # our own UUID is already there: an earlier send arrived after all
            else:
                bad.append((r.id, r.attempts, str(exc)))
    return ok, bad


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(XapiStatement).where(XapiStatement.state == "queued")) or 0


@handler(JOB_KIND)
def _send_job(job: Job) -> dict:
    result = drain()
    # Still statements waiting (the LRS was down, or more than one budget's worth): a follow-up
    # job at the earliest next try. The job row itself is "done"; the statements are the queue.
    next_due = db.session.scalar(select(func.min(XapiStatement.next_try_at)).where(XapiStatement.state == "queued"))
    if next_due is not None:
        follow = enqueue(JOB_KIND, {}, max_attempts=1)
        follow.run_after = max(next_due, utcnow())
    return result


@periodic("xapi-outbox", every_seconds=60)
def _outbox_watch() -> None:
    """A safety net: a crash between commit and job creation can never strand a statement."""
    if enabled() and pending_count():
        _ensure_job()


def jp_number(value: Decimal) -> float | int:
    v = Decimal(value).quantize(Decimal("0.01"))
    return int(v) if v == v.to_integral_value() else float(v)
