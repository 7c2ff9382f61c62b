"""What is coming up for a person, from every domain that has dates.

Each provider answers the events of one kind between two instants for one person. The ones here
read the course engine, quizzes and programs; other domains add theirs with `register_provider`
from their own package (this module imports none of them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.agenda.models import CalendarFeed
from app.agenda.operations import token_hash
from app.courses.models import Activity, Course, CourseCompletion, Enrolment
from app.extensions import db

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


def register_provider(provider: Provider, label: tuple[str, object] | None = None) -> Provider:
    """Add a source of events (a domain's due dates); `label` = (kind, its label) for the page."""
    PROVIDERS.append(provider)
    if label:
        KIND_LABELS[label[0]] = label[1]
    return provider


def _open_enrolments(user: User):
    """The courses the person is enrolled in and has not finished: only those still have dates for them."""
    done = select(CourseCompletion.course_id).where(CourseCompletion.user_id == user.id)
    return select(Enrolment.course_id).where(Enrolment.user_id == user.id, Enrolment.course_id.not_in(done))


def _classroom(user: User, start: datetime, end: datetime) -> list[Event]:
    rows = db.session.execute(select(Activity, Course.title).join(Course, Course.id == Activity.course_id).where(
        Activity.type == "classroom", Activity.visible.is_(True), Course.published.is_(True),
        Activity.course_id.in_(_open_enrolments(user)))).all()
    events = []
    for activity, course_title in rows:
        raw = (activity.settings or {}).get("date") or ""
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            continue
        all_day = "T" not in raw and len(raw) == 10
        if when.tzinfo is None:  # written in the organisation's local time
            when = when.replace(tzinfo=WIB)
        minutes = int((activity.settings or {}).get("minutes") or 0)
        ends = when + timedelta(minutes=minutes) if minutes and not all_day else None
        if start <= when < end or (ends and start <= ends < end):
            events.append(Event(uid=f"classroom-{activity.id}", kind="classroom", title=activity.title, starts_at=when,
                                ends_at=ends, all_day=all_day, course=course_title,
                                link=url_for("courses.activity", activity_id=activity.id),
                                location=(activity.settings or {}).get("place", "")))
    return events


def _quiz_closings(user: User, start: datetime, end: datetime) -> list[Event]:
    from app.quizzes.models import Quiz

    rows = db.session.execute(select(Quiz, Activity, Course.title).join(Activity, Activity.id == Quiz.activity_id)
                              .join(Course, Course.id == Quiz.course_id).where(
        Quiz.close_at.is_not(None), Quiz.close_at >= start.astimezone(UTC).replace(tzinfo=None),
        Quiz.close_at < end.astimezone(UTC).replace(tzinfo=None), Activity.visible.is_(True),
        Course.published.is_(True), Quiz.course_id.in_(_open_enrolments(user)))).all()
    return [Event(uid=f"quiz-close-{quiz.id}", kind="quiz_close", title=activity.title,
                  starts_at=quiz.close_at.replace(tzinfo=UTC), course=course_title,
                  link=url_for("courses.activity", activity_id=activity.id)) for quiz, activity, course_title in rows]


def _program_expiries(user: User, start: datetime, end: datetime) -> list[Event]:
    from app.corpu.models import Program, ProgramCompletion

    rows = db.session.execute(select(ProgramCompletion, Program.title).join(Program, Program.id == ProgramCompletion.program_id)
                              .where(ProgramCompletion.user_id == user.id, ProgramCompletion.expires_on.is_not(None),
                                     ProgramCompletion.expires_on >= start.astimezone(WIB).date(),
                                     ProgramCompletion.expires_on < end.astimezone(WIB).date())).all()
    newest: dict[str, tuple] = {}
    for completion, name in rows:  # only the newest completion of a program counts
        if name not in newest or completion.completed_on > newest[name][0].completed_on:
            newest[name] = (completion, name)
    return [Event(uid=f"program-expiry-{c.id}", kind="program_expiry", title=name,
                  starts_at=datetime.combine(c.expires_on, time(), WIB), all_day=True,
                  link=url_for("corpu.programs")) for c, name in newest.values()]


register_provider(_classroom)
register_provider(_quiz_closings)
register_provider(_program_expiries)


def events_for(user: User, start: datetime, end: datetime) -> list[Event]:
    """Every event of the person between `start` and `end` (aware datetimes), soonest first."""
    events = [e for provider in PROVIDERS for e in provider(user, start, end)]
    return sorted(events, key=lambda e: (e.starts_at, e.title))


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
