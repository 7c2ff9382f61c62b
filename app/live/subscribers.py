"""Live sessions in the calendar (agenda's provider registry) and its iCal feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db


def live_sessions(user: User, start: datetime, end: datetime) -> list:
    from app.agenda.queries import Event, _open_enrolments
    from app.courses.models import Activity, Course
    from app.live.models import LiveSession

    rows = db.session.execute(
        select(LiveSession, Activity, Course.title).join(Activity, Activity.id == LiveSession.activity_id)
        .join(Course, Course.id == Activity.course_id).where(
            LiveSession.starts_at.is_not(None),
            LiveSession.starts_at >= (start - timedelta(days=1)).astimezone(UTC).replace(tzinfo=None),
            LiveSession.starts_at < end.astimezone(UTC).replace(tzinfo=None), Activity.visible.is_(True),
            Course.published.is_(True), Activity.course_id.in_(_open_enrolments(user)))).all()
    events = []
    for s, activity, course_title in rows:
        when = s.starts_at.replace(tzinfo=UTC)
        ends = when + timedelta(minutes=s.minutes)
        if start <= when < end or start <= ends < end:
            events.append(Event(uid=f"live-{s.id}", kind="live", title=activity.title, starts_at=when, ends_at=ends,
                                course=course_title, link=url_for("courses.activity", activity_id=activity.id),
                                location=s.url or ""))
    return events


def _register() -> None:
    try:
        from app.agenda.queries import register_provider
    except ModuleNotFoundError:  # the calendar is optional
        return
    from app.agenda import queries

    if live_sessions not in queries.PROVIDERS:
        register_provider(live_sessions, ("live", _l("Sesi daring")))


_register()
