"""Applying what a device recorded offline: exactly once, in order, through the same operations as
online learning (so completion → `course_completed` → ledger → certificate follow as usual).

Each event is applied in its own savepoint: one refused event (a forged attempt, a span longer
than the time that passed on the device) changes nothing and does not stop the others. The
event's row is written first, under a unique (person, client id) key, so the same event sent
twice — a retried sync, two tabs, a sync cut half-way and sent again — is applied once.

Trust: the device's clock dates an event (when the learning happened, which decides the JP
year), but it is checked: no event from the future, watched spans sequential on the device and no
longer than the device's elapsed time allows, answers only to the person's own open attempt of a
quiz that may be taken offline. An event dated in a year already closed (or long ago) is applied
and flagged for BPSDM review, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.activity_types import REGISTRY
from app.courses.models import Activity
from app.courses.operations import complete_activity, get_enrolment, touch_enrolment
from app.errors import Forbidden, LenteraError, RuleViolation
from app.extensions import db
from app.sync.models import OfflineQuiz, SyncEvent

EVENT_TYPES = ("view", "watch", "answer", "submit")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
def max_events() -> int:
    """The most events one request may carry (SYNC_MAX_EVENTS), so that one request stays well within
    a worker's timeout; a device sends its queue in pieces of this size or less (and 100 at most)."""
    return int(current_app.config.get("SYNC_MAX_EVENTS", 200))


class Refused(Exception):
    """An event that cannot be applied, with the reason a person can read."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class SyncResult:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    late: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "duplicates": self.duplicates, "refused": self.refused, "late": self.late}


def _clock_skew() -> timedelta:
    """How far ahead of the server a device's clock may run before its events are refused."""
    return timedelta(seconds=current_app.config.get("SYNC_CLOCK_SKEW_SECONDS", 300))


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time with its offset (as the API takes every time) → naive UTC."""
    if not isinstance(value, str):
        raise Refused(_("Waktu 'at' wajib diisi (ISO 8601 dengan zona waktu)."), "invalid_time")
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(_("Waktu '%(v)s' tidak dapat dibaca (ISO 8601 dengan zona waktu).", v=value[:40]),
                      "invalid_time") from None
    if at.tzinfo is None:
        raise Refused(_("Waktu '%(v)s' tidak menyebut zona waktu.", v=value[:40]), "invalid_time")
    return at.astimezone(UTC).replace(tzinfo=None)


def _seconds(data: dict, key: str) -> Decimal:
    try:
        value = Decimal(str(data.get(key)))
    except (InvalidOperation, ValueError):
        raise Refused(_("'%(k)s' harus berupa angka detik.", k=key), "invalid_data") from None
    if not value.is_finite() or value < 0 or value > 10**7:
        raise Refused(_("'%(k)s' di luar batas.", k=key), "invalid_data")
    return value


def _late_reason(at: datetime, now: datetime) -> str | None:
    """Why an event arrived late enough for BPSDM to look at it, or None."""
    from app.ledger.operations import local_date

    year, this_year = local_date(at).year, local_date(now).year
    if year < this_year:
        return _("Kegiatan tahun %(y)d baru tersinkron pada tahun %(n)d, setelah tahun itu ditutup.", y=year, n=this_year)
    days = current_app.config.get("SYNC_LATE_DAYS", 30)
    if now - at > timedelta(days=days):
        return _("Kegiatan tersinkron %(d)d hari setelah dilakukan.", d=(now - at).days)
    return None


def offline_quiz_allowed(activity: Activity) -> bool:
    """Allowed by the instructor, and still without a time limit (one set later wins)."""
    from app.sync.queries import offline_quiz_ids

    return activity.id in offline_quiz_ids([activity.id])


def set_offline_quiz(activity: Activity, allowed: bool, *, by: User) -> None:
    """The quiz setting "may be taken offline". A time-limited quiz cannot be: its clock runs on
    the server, and a device without a signal cannot be held to it."""
    from app.quizzes.operations import get_or_create_quiz

    if activity.type != "quiz":
        raise RuleViolation(_("Hanya kuis yang punya pengaturan offline."), code="not_quiz")
    row = db.session.get(OfflineQuiz, activity.id)
    if allowed:
        quiz = get_or_create_quiz(activity)
        if quiz.time_limit_minutes:
            raise RuleViolation(_("Kuis dengan batas waktu tidak dapat dikerjakan offline."), code="time_limited")
        if row is None:
            db.session.add(OfflineQuiz(activity_id=activity.id, set_by_id=by.id))
    elif row is not None:
        db.session.delete(row)
    db.session.flush()


def mark_reviewed(event: SyncEvent, *, by: User) -> None:
    """BPSDM looked at a late entry (the learning stays recorded; a correction is a ledger reversal)."""
    from app.accounts.queries import reach

    if not by.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya staf BPSDM atau admin yang meninjau entri terlambat."))
    if not reach(by).covers_unit(event.user.unit):
        raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))
    if event.reviewed_at is None:
        event.reviewed_at, event.reviewed_by_id = utcnow(), by.id
        db.session.flush()


# --- applying one event -----------------------------------------------------------------------

def _activity_for(user: User, activity_id: Any) -> Activity:
    if not isinstance(activity_id, int) or isinstance(activity_id, bool):
        raise Refused(_("activity_id harus berupa bilangan bulat."), "invalid_activity")
    activity = db.session.get(Activity, activity_id) if 0 < activity_id < 2**31 else None
    if activity is None or not activity.visible or not activity.section.visible:
        raise Refused(_("Aktivitas %(id)s tidak ditemukan.", id=activity_id), "unknown_activity")
    if get_enrolment(activity.course, user) is None:
        raise Refused(_("Anda tidak terdaftar di kursus '%(c)s'.", c=activity.course.title), "not_enrolled")
    return activity


def _apply_view(user: User, activity: Activity, at: datetime, data: dict) -> None:
    kind = REGISTRY.get(activity.type)
    if kind is None or kind.completion != "view":
        raise Refused(_("Aktivitas ini tidak selesai hanya dengan dibuka."), "not_view_activity")
    enrolment = get_enrolment(activity.course, user)
    touch_enrolment(enrolment, activity)
    complete_activity(user, activity, source="view", at=at)


def _previous_watch_end(user: User, activity: Activity, device_id: str, this: SyncEvent) -> datetime | None:
    """When the device's last applied span of this video ended (its clock)."""
    rows = db.session.scalars(select(SyncEvent).where(
        SyncEvent.user_id == user.id, SyncEvent.activity_id == activity.id, SyncEvent.type == "watch",
        SyncEvent.device_id == device_id, SyncEvent.id != this.id).order_by(SyncEvent.occurred_at.desc()).limit(1)).all()
    return rows[0].occurred_at if rows else None


def _apply_watch(user: User, activity: Activity, at: datetime, data: dict, device_id: str, this: SyncEvent) -> None:
    """A span played offline: `from`/`to` in the video, `started_at` on the device's clock (the
    event's `at` is when it ended). Spans of one device must follow each other, and a span may not
    be longer than the device's clock allows at the player's fastest speed."""
    from app.media import operations as media_ops
    from app.media.watch import MAX_SPEED, to_tenths

    if activity.type != "video":
        raise Refused(_("Rentang tontonan hanya untuk aktivitas video."), "not_video")
    start, end = _seconds(data, "from"), _seconds(data, "to")
    if end < start:
        raise Refused(_("'to' tidak boleh lebih kecil dari 'from'."), "invalid_interval")
    started_at = parse_time(data.get("started_at"))
    if started_at > at:
        raise Refused(_("'started_at' sesudah waktu akhir tontonan."), "invalid_interval")
    previous_end = _previous_watch_end(user, activity, device_id, this)
    if previous_end is not None and started_at < previous_end:
        raise Refused(_("Rentang tontonan ini tumpang tindih dengan rentang sebelumnya dari perangkat yang sama."),
                      "spans_not_sequential")
    elapsed = to_tenths(Decimal((at - started_at).total_seconds()))
    if to_tenths(end) - to_tenths(start) > elapsed * MAX_SPEED:
        raise Refused(_("Rentang tontonan %(s)s detik lebih panjang daripada waktu yang berlalu di perangkat "
                        "(%(e)s detik).", s=end - start, e=Decimal(elapsed) / 10), "span_exceeds_elapsed")
    position = _seconds(data, "position") if data.get("position") is not None else None
    try:
        media_ops.record_watch(user, activity, start, end, position, now=at, device_elapsed_tenths=elapsed)
    except LenteraError as exc:
        raise Refused(exc.message, exc.code) from None


def _own_attempt(user: User, activity: Activity, data: dict, at: datetime):
    from app.quizzes.models import Attempt

    if activity.type != "quiz":
        raise Refused(_("Jawaban kuis hanya untuk aktivitas kuis."), "not_quiz")
    attempt_id = data.get("attempt_id")
    attempt = db.session.get(Attempt, attempt_id) if isinstance(attempt_id, int) and 0 < attempt_id < 2**31 else None
    if attempt is None or attempt.user_id != user.id:
        raise Refused(_("Percobaan kuis ini tidak ditemukan atau bukan milik Anda."), "not_own_attempt")
    if attempt.quiz.activity_id != activity.id:
        raise Refused(_("Percobaan ini bukan untuk aktivitas %(id)d.", id=activity.id), "attempt_activity_mismatch")
    if not offline_quiz_allowed(activity):
        raise Refused(_("Kuis ini tidak boleh dikerjakan offline."), "quiz_not_offline")
    if at < attempt.started_at - _clock_skew():
        raise Refused(_("Jawaban bertanggal sebelum percobaan dimulai."), "before_attempt")
    return attempt


def _apply_answer(user: User, activity: Activity, at: datetime, data: dict) -> None:
    from app.quizzes import operations as quiz_ops

    attempt = _own_attempt(user, activity, data, at)
    question_id = data.get("question_id")
    if not isinstance(question_id, int) or "response" not in data:
        raise Refused(_("Jawaban perlu 'question_id' dan 'response'."), "invalid_data")
    try:
        quiz_ops.save_answer(attempt.id, question_id, data["response"], user, now=max(at, attempt.started_at))
    except LenteraError as exc:
        raise Refused(exc.message, exc.code) from None


def _apply_submit(user: User, activity: Activity, at: datetime, data: dict) -> None:
    from app.quizzes import operations as quiz_ops

    attempt = _own_attempt(user, activity, data, at)
    try:
        quiz_ops.submit_attempt(attempt.id, user, now=max(at, attempt.started_at))
    except LenteraError as exc:
        raise Refused(exc.message, exc.code) from None


def _apply_one(user: User, device_id: str, event: Any, now: datetime, result: SyncResult, known: set[str]) -> None:
    if not isinstance(event, dict):
        result.refused.append({"id": "", "code": "invalid_event", "message": _("Setiap kegiatan harus berupa objek JSON.")})
        return
    client_id = event.get("id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        result.refused.append({"id": str(client_id)[:64] if client_id is not None else "", "code": "invalid_id",
                               "message": _("id kegiatan wajib diisi: 8–64 huruf, angka, '-' atau '_'.")})
        return
    if client_id in known:
        result.duplicates.append(client_id)
        return
    try:
        etype = event.get("type")
        if etype not in EVENT_TYPES:
            raise Refused(_("Jenis kegiatan '%(t)s' tidak dikenal (view, watch, answer, submit).", t=str(etype)[:20]),
                          "unknown_type")
        at = parse_time(event.get("at"))
        if at > now + _clock_skew():
            raise Refused(_("Waktu kegiatan %(t)s ada di masa depan; periksa jam perangkat.", t=event.get("at")),
                          "future_time")
        data = event.get("data") or {}
        if not isinstance(data, dict):
            raise Refused(_("'data' harus berupa objek JSON."), "invalid_data")
        with db.session.begin_nested():
            activity = _activity_for(user, event.get("activity_id"))
            late = _late_reason(at, now)
            row = SyncEvent(user_id=user.id, client_id=client_id, device_id=device_id, type=etype,
                            activity_id=activity.id, occurred_at=at, received_at=now, data=data,
                            late=late is not None, late_reason=late)
            db.session.add(row)
            db.session.flush()  # the unique key first: a concurrent sync of the same event stops here
            if etype == "view":
                _apply_view(user, activity, at, data)
            elif etype == "watch":
                _apply_watch(user, activity, at, data, device_id, row)
            elif etype == "answer":
                _apply_answer(user, activity, at, data)
            else:
                _apply_submit(user, activity, at, data)
    except (Refused, LenteraError) as exc:
        result.refused.append({"id": client_id, "code": exc.code, "message": exc.message})
        return
    except IntegrityError:
        result.duplicates.append(client_id)  # the same event, applied by a sync running alongside
        return
    result.applied.append(client_id)
    known.add(client_id)
    if late:
        result.late.append(client_id)


def apply_events(user: User, device_id: str, events: list[Any], *, now: datetime | None = None) -> SyncResult:
    """Apply a device's queued events in the order sent. Returns what was applied, what had been
    applied before (duplicates), what was refused and why, and which applied events are late."""
    from app.errors import BadInput

    now = now or utcnow()
    if not isinstance(device_id, str) or len(device_id) > 64:
        raise BadInput(_("device_id harus berupa teks, paling panjang 64 karakter."), code="invalid_device")
    if len(events) > max_events():
        raise BadInput(_("Paling banyak %(n)d kegiatan per sinkronisasi; kirim sisanya sesudahnya.", n=max_events()),
                       code="too_many_events")
    result = SyncResult()
    # the events this person's devices already synced, in one query for the whole request
    ids = [e["id"] for e in events if isinstance(e, dict) and isinstance(e.get("id"), str)]
    known = set(db.session.scalars(select(SyncEvent.client_id).where(
        SyncEvent.user_id == user.id, SyncEvent.client_id.in_(ids)))) if ids else set()
    for event in events:
        _apply_one(user, device_id, event, now, result, known)
    return result
