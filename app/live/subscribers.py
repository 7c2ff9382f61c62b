"""Live sessions in the calendar (agenda's provider registry) and its iCal feed."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select


@functools.cache
def _branch():
    from app.agenda.queries import open_enrolments
    from app.courses.models import Activity, Course
    from app.home import home_row
    from app.live.models import LiveSession

    return (select(*home_row("live.sessions", i1=LiveSession.id, i2=Activity.id, i3=LiveSession.minutes,
                             s1=Activity.title, s2=Course.title, s3=LiveSession.url, t1=LiveSession.starts_at))
            .join(Activity, Activity.id == LiveSession.activity_id).join(Course, Course.id == Activity.course_id)
            .where(LiveSession.starts_at.is_not(None), LiveSession.starts_at >= bindparam("agenda_lo_early"),
                   LiveSession.starts_at < bindparam("agenda_hi"), Activity.visible.is_(True),
                   Course.published.is_(True), Activity.course_id.in_(open_enrolments())))


def _events(rows: list, start: datetime, end: datetime) -> list:
    from app.agenda.queries import Event

    events = []
    for r in rows:
        when = r.t1.replace(tzinfo=UTC)
        ends = when + timedelta(minutes=r.i3)
        if start <= when < end or start <= ends < end:
            events.append(Event(uid=f"live-{r.i1}", kind="live", title=r.s1, starts_at=when, ends_at=ends,
                                course=r.s2, link=url_for("courses.activity", activity_id=r.i2), location=r.s3 or ""))
    return events


def _register() -> None:
    try:
        from app.agenda.queries import register_provider
    except ModuleNotFoundError:  # the calendar is optional
        return
    from app.agenda import queries

    if not any(getattr(p, "part", None) == "live.sessions" for p in queries.PROVIDERS):
        register_provider(queries.RowProvider("live.sessions", _branch, _events), ("live", _l("Sesi daring")))


_register()
