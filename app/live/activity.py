"""The `live` activity type, plugged into the course engine's registry.

Settings (package and API): `url` (https), `starts_at` (ISO 8601; without an offset it is read in
`zone`), `zone` (WIB, WITA, WIT; default WIB), `minutes`, `min_minutes_present`, `platform`
(zoom, jitsi, bbb, other), `reminder_minutes` (default 60, 0 = none), `ledger_rule` (optional JP rule
code, e.g. KL06, crediting each attendee). Completion: attendance, recorded by staff.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activity_types import LABELS, ActivityType, register
from app.extensions import db

KEYS = ("url", "starts_at", "zone", "minutes", "min_minutes_present", "platform", "reminder_minutes", "ledger_rule")


def validate(spec: dict, reader, problems) -> None:
    from app.live.operations import settings_problems

    for message in settings_problems({k: spec[k] for k in KEYS if k in spec}):
        problems.add("course.yaml", None, f"Sesi daring '{spec.get('title', '')}': {message}")


def apply(activity, spec: dict, reader) -> None:
    from app.live import operations as ops

    ops.configure(ops.session_for(activity), {k: spec[k] for k in KEYS if k in spec})


def export(activity, writer) -> dict:
    from app.live.queries import local, session_of, zone_label

    s = session_of(activity)
    if s is None:
        return {}
    out = {"platform": s.platform, "zone": zone_label(s.zone), "minutes": s.minutes,
           "min_minutes_present": s.min_minutes_present, "reminder_minutes": s.reminder_minutes}
    if s.url:
        out["url"] = s.url
    if s.starts_at:
        out["starts_at"] = local(s.starts_at, s.zone).isoformat(timespec="minutes")
    if s.ledger_rule:
        out["ledger_rule"] = s.ledger_rule
    return out


def duplicate(source, new) -> None:
    from app.live import operations as ops
    from app.live.queries import session_of

    src = session_of(source)
    if src is None:
        return
    s = ops.session_for(new)
    for attr in ("platform", "url", "starts_at", "zone", "minutes", "min_minutes_present", "reminder_minutes",
                 "ledger_rule"):
        setattr(s, attr, getattr(src, attr))
    db.session.flush()


def meets_rule(activity, user) -> bool:
    from app.live.models import LiveAttendance, LiveSession

    return db.session.scalar(select(LiveAttendance.id).join(LiveSession).where(
        LiveSession.activity_id == activity.id, LiveAttendance.user_id == user.id,
        LiveAttendance.present.is_(True))) is not None


def api_fields(activity) -> dict:
    from app.live.models import LiveSession

    return {"live_session_id": db.session.scalar(select(LiveSession.id).where(LiveSession.activity_id == activity.id))}


def view_context(activity, user) -> dict:
    from app.live import operations as ops
    from app.live import queries as q

    s = ops.session_for(activity)
    return {"session": s, "when": q.local_time_label(s, user), "zone": q.zone_label(s.zone),
            "attendance": q.attendance_of(s, user) if user.is_authenticated else None}


def edit_context(activity) -> dict:
    from app.live import operations as ops
    from app.live import queries as q

    s = ops.session_for(activity)
    local = q.local(s.starts_at, s.zone)
    return {"session": s, "zone": q.zone_label(s.zone), "local_start": local.strftime("%Y-%m-%dT%H:%M") if local else ""}


# The engine's pages name a type by LABELS (its own and the modules' types alike).
LABELS.setdefault("live", _l("Sesi daring"))

register(ActivityType(
    name="live", label=_l("Sesi daring"), completion="attendance",
    template="live/_activity.html", view_context=view_context,
    edit_template="live/_activity_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export, duplicate=duplicate, meets_rule=meets_rule,
    api_fields=api_fields,
))
