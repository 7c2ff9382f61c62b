"""The read side of live sessions: the session of an activity, times in WIB/WITA/WIT, attendance lists."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.courses.models import Activity, Enrolment
from app.extensions import db
from app.live.models import ZONES, LiveAttendance, LiveSession

ZONE_LABELS = {v: k for k, v in ZONES.items()}


def session_of(activity: Activity) -> LiveSession | None:
    return db.session.scalar(select(LiveSession).where(LiveSession.activity_id == activity.id))


def zone_label(zone: str) -> str:
    return ZONE_LABELS.get(zone, zone)


def local(dt: datetime | None, zone: str) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def time_label(dt: datetime | None, zone: str) -> str:
    """'Selasa, 05-01-2027 09.00 WITA' style, without depending on the page's locale for the zone name."""
    when = local(dt, zone)
    return f"{when:%d-%m-%Y %H.%M} {zone_label(zone)}" if when else ""


def local_time_label(s: LiveSession, user: User | None) -> str:
    """The session's time in its own zone, and in the person's zone when that differs."""
    label = time_label(s.starts_at, s.zone)
    mine = (user.timezone if user is not None and getattr(user, "timezone", None) else None) or "Asia/Jakarta"
    if s.starts_at is not None and mine != s.zone and mine in ZONE_LABELS:
        label += f" ({time_label(s.starts_at, mine)})"
    return label


def attendance_of(s: LiveSession, user: User) -> LiveAttendance | None:
    return db.session.scalar(select(LiveAttendance).where(LiveAttendance.session_id == s.id,
                                                          LiveAttendance.user_id == user.id))


def attendance_list(activity: Activity, s: LiveSession, r) -> list[tuple[User, LiveAttendance | None]]:
    """Every enrolled person in the staff's reach with their attendance row (None: no record)."""
    from app.accounts.models import Unit

    stmt = (select(User).join(Enrolment, Enrolment.user_id == User.id).outerjoin(Unit, Unit.id == User.unit_id)
            .where(Enrolment.course_id == activity.course_id).order_by(User.name))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    people = list(db.session.scalars(stmt))
    rows = {a.user_id: a for a in db.session.scalars(select(LiveAttendance).options(joinedload(LiveAttendance.user))
                                                       .where(LiveAttendance.session_id == s.id))}
    return [(p, rows.get(p.id)) for p in people]
