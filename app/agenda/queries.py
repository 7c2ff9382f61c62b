"""What is coming up for a person, from every domain that has dates.

Each provider answers the events of one kind between two instants for one person. The ones here
read the course engine, quizzes and programs; other domains add theirs with `register_provider`
from their own package (this module imports none of them)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select

from app.accounts.models import User
from app.agenda.models import CalendarFeed
from app.agenda.operations import token_hash
from app.courses.models import Activity, Course, CourseCompletion, Enrolment
from app.extensions import db
from app.home import PanelRows, home_row, read_parts

WIB = ZoneInfo("Asia/Jakarta")

KIND_LABELS = {
    "classroom": _l("Tatap muka"),
    "quiz_close": _l("Kuis ditutup"),
    "program_expiry": _l("Sertifikasi program berakhir"),
}


@dataclass
class Event:
    uid: str  # stable across feeds, so a calendar app updates the event instead of adding another
    kind: str
    title: str
    starts_at: datetime  # aware
    ends_at: datetime | None = None
    all_day: bool = False
    course: str = ""
    link: str = ""
    location: str = ""

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


Provider = Callable[[User, datetime, datetime], list[Event]]
PROVIDERS: list[Provider] = []


@dataclass(frozen=True)
class RowProvider:
    """A source of events read as one branch of a shared statement (app.home): the calendar, its
    feed and the home page's "Segera" ask every such source in one round trip instead of one
    each. `branch()` gives the same SELECT of `app.home.home_row` columns (tagged `part`) on
    every call, filtered with the parameters of `window_params` and `home_user`; `events` turns
    its rows into events. Called alone, it is a plain Provider."""

    part: str
    branch: Callable[[], Select]
    events: Callable[[list, datetime, datetime], list[Event]]

    def __call__(self, user: User, start: datetime, end: datetime) -> list[Event]:
        rows = read_parts(user.id, [PanelRows([self.branch()], window_params(start, end))])[self.part]
        return self.events(rows, start, end)


def register_provider(provider: Provider, label: tuple[str, object] | None = None) -> Provider:
    """Add a source of events (a domain's due dates); `label` = (kind, its label) for the page.
    A RowProvider costs no statement of its own."""
    PROVIDERS.append(provider)
    if label:
        KIND_LABELS[label[0]] = label[1]
    return provider


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def window_params(start: datetime, end: datetime) -> dict:
    """The bound parameters of every RowProvider's branch for events between `start` and `end`:
    naive UTC instants as stored, a day earlier for what may have started before and still run,
    and the WIB dates for all-day events."""
    return {"agenda_lo": _utc(start), "agenda_hi": _utc(end), "agenda_lo_early": _utc(start - timedelta(days=1)),
            "agenda_lo_day": start.astimezone(WIB).date(), "agenda_hi_day": end.astimezone(WIB).date()}


def open_enrolments():
    """The courses the person (`home_user`) is enrolled in and has not finished: only those still
    have dates for them."""
    done = select(CourseCompletion.course_id).where(CourseCompletion.user_id == bindparam("home_user"))
    return select(Enrolment.course_id).where(Enrolment.user_id == bindparam("home_user"),
                                             Enrolment.course_id.not_in(done))


@functools.cache
def _classroom_branch() -> Select:
    # The date is inside the activity's settings (written in local time, or a plain day): read
    # every classroom session of the open courses and compare in Python.
    settings = Activity.settings
    return (select(*home_row("agenda.classroom", i1=Activity.id, s1=Activity.title, s2=Course.title,
                             s3=settings["date"].as_string(), s4=settings["minutes"].as_string(),
                             s5=settings["place"].as_string()))
            .join(Course, Course.id == Activity.course_id)
            .where(Activity.type == "classroom", Activity.visible.is_(True), Course.published.is_(True),
                   Activity.course_id.in_(open_enrolments())))


def _classroom_events(rows: list, start: datetime, end: datetime) -> list[Event]:
    events = []
    for r in rows:
        raw = r.s3 or ""
        try:
            when = datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            continue
        all_day = "T" not in raw and len(raw) == 10
        if when.tzinfo is None:  # written in the organisation's local time
            when = when.replace(tzinfo=WIB)
        minutes = int(float(r.s4)) if r.s4 not in (None, "") else 0  # JSON text on PostgreSQL
        ends = when + timedelta(minutes=minutes) if minutes and not all_day else None
        if start <= when < end or (ends and start <= ends < end):
            events.append(Event(uid=f"classroom-{r.i1}", kind="classroom", title=r.s1, starts_at=when,
                                ends_at=ends, all_day=all_day, course=r.s2,
                                link=url_for("courses.activity", activity_id=r.i1), location=r.s5 or ""))
    return events


@functools.cache
def _quiz_branch() -> Select:
    from app.quizzes.models import Quiz

    return (select(*home_row("agenda.quiz_close", i1=Quiz.id, i2=Activity.id, s1=Activity.title, s2=Course.title,
                             t1=Quiz.close_at))
            .join(Activity, Activity.id == Quiz.activity_id).join(Course, Course.id == Quiz.course_id)
            .where(Quiz.close_at.is_not(None), Quiz.close_at >= bindparam("agenda_lo"),
                   Quiz.close_at < bindparam("agenda_hi"), Activity.visible.is_(True), Course.published.is_(True),
                   Quiz.course_id.in_(open_enrolments())))


def _quiz_events(rows: list, start: datetime, end: datetime) -> list[Event]:
    return [Event(uid=f"quiz-close-{r.i1}", kind="quiz_close", title=r.s1, starts_at=r.t1.replace(tzinfo=UTC),
                  course=r.s2, link=url_for("courses.activity", activity_id=r.i2)) for r in rows]


@functools.cache
def _program_branch() -> Select:
    from app.corpu.models import Program, ProgramCompletion

    return (select(*home_row("agenda.program_expiry", i1=ProgramCompletion.id, s1=Program.title,
                             d1=ProgramCompletion.expires_on, d2=ProgramCompletion.completed_on))
            .join(Program, Program.id == ProgramCompletion.program_id)
            .where(ProgramCompletion.user_id == bindparam("home_user"), ProgramCompletion.expires_on.is_not(None),
                   ProgramCompletion.expires_on >= bindparam("agenda_lo_day"),
                   ProgramCompletion.expires_on < bindparam("agenda_hi_day")))


def _program_events(rows: list, start: datetime, end: datetime) -> list[Event]:
    newest: dict[str, object] = {}
    for r in rows:  # only the newest completion of a program counts
        if r.s1 not in newest or r.d2 > newest[r.s1].d2:
            newest[r.s1] = r
    return [Event(uid=f"program-expiry-{r.i1}", kind="program_expiry", title=name,
                  starts_at=datetime.combine(r.d1, time(), WIB), all_day=True,
                  link=url_for("corpu.programs")) for name, r in newest.items()]


register_provider(RowProvider("agenda.classroom", _classroom_branch, _classroom_events))
register_provider(RowProvider("agenda.quiz_close", _quiz_branch, _quiz_events))
register_provider(RowProvider("agenda.program_expiry", _program_branch, _program_events))


def _row_providers() -> list[RowProvider]:
    return [p for p in PROVIDERS if isinstance(p, RowProvider)]


def rows_between(start: datetime, end: datetime) -> PanelRows:
    """Every RowProvider's branch for events between `start` and `end` (to read with app.home)."""
    return PanelRows([p.branch() for p in _row_providers()], window_params(start, end))


def events_from(user: User, parts: dict[str, list], start: datetime, end: datetime) -> list[Event]:
    """The events between `start` and `end`, soonest first, from the rows of `rows_between` (read
    with app.home) and the providers that read for themselves."""
    events = [e for p in _row_providers() for e in p.events(parts.get(p.part, []), start, end)]
    events += [e for p in PROVIDERS if not isinstance(p, RowProvider) for e in p(user, start, end)]
    return sorted(events, key=lambda e: (e.starts_at, e.title))


def events_for(user: User, start: datetime, end: datetime) -> list[Event]:
    """Every event of the person between `start` and `end` (aware datetimes), soonest first."""
    return events_from(user, read_parts(user.id, [rows_between(start, end)]), start, end)


def upcoming(user: User, days: int = 14, now: datetime | None = None) -> list[Event]:
    now = now or datetime.now(UTC)
    return events_for(user, now, now + timedelta(days=days))


def user_for_feed(token: str) -> User | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    return db.session.get(User, feed.user_id) if feed else None


def has_feed(user: User) -> bool:
    return db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.user_id == user.id)) is not None


def day_of(event: Event, zone: ZoneInfo) -> date:
    return event.starts_at.date() if event.all_day else event.starts_at.astimezone(zone).date()
