"""The read side of the course engine: who may do what with a course, the catalogue, a
learner's courses with their progress, the course page's outline, participants.

The pages learners hit most (the course page, "Kursus saya") are a fixed number of queries,
whatever the number of activities or courses: progress is counted by the database in one
grouped query, never per course or per activity.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from flask import g
from flask.globals import _cv_request
from sqlalchemy import Select, String, and_, bindparam, case, cast, false, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.sql.functions import aggregate_strings

from app.accounts.models import Unit, User
from app.accounts.queries import Reach, administers_owner, reach
from app.cache import versioned
from app.courses.activity_types import REGISTRY
from app.courses.marks import EnrolmentMark
from app.courses.models import (
    Activity,
    ActivityCompletion,
    ContentVersion,
    Course,
    CourseCompetency,
    CourseCompletion,
    CourseInstructor,
    Enrolment,
    Section,
)
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.home import home_row

# --- who may do what --------------------------------------------------------------------------------


def teaches(user: User, course: Course) -> bool:
    """Owner or co-instructor of the course."""
    if not user.is_authenticated:
        return False
    if course.owner_id == user.id:
        return True
    return db.session.scalar(select(CourseInstructor.id).where(CourseInstructor.course_id == course.id,
                                                               CourseInstructor.user_id == user.id)) is not None


def administers(user: User, course: Course) -> bool:
    """An admin's say over a course: a course belongs to its owner's unit, so a unit-limited admin
    administers the courses of the people they reach, an organisation-wide admin every course."""
    # The role first: a learner's course page must not load the owner (one query per page).
    return user.is_authenticated and user.has_role("admin") and administers_owner(user, course.owner)


def can_edit(user: User, course: Course) -> bool:
    """Authoring: the course's instructors and the admins who administer it."""
    return user.is_authenticated and ((user.has_role("instructor") and teaches(user, course)) or administers(user, course))


def can_view(user: User, course: Course) -> bool:
    """Learners see published courses; unpublished ones only their instructors and admins."""
    return course.published or can_edit(user, course)


def staff_reach(user: User, course: Course) -> Reach | None:
    """Whose enrolment and progress `user` may manage in this course: the course's instructors
    and site admins everyone; BPSDM staff (and scoped admins) the units they reach; learners nobody."""
    if not user.is_authenticated:
        return None
    if can_edit(user, course):
        r = reach(user, ("admin",))
        return r if user.has_role("admin") and not teaches(user, course) else Reach(everything=True, user_id=user.id)
    if user.has_role("bpsdm", "admin"):
        return reach(user)
    return None


@functools.cache
def _course_stmt():
    return select(Course).options(joinedload(Course.competencies)).where(Course.id == bindparam("course_id"))


def get_course(course_id: int) -> Course:
    # The competencies are shown wherever a course is: one joined query instead of two, built once.
    course = db.session.execute(_course_stmt(), {"course_id": course_id}).unique().scalar_one_or_none()
    if course is None:
        raise NotFound(_not_found())
    return course


def _not_found() -> str:
    from flask_babel import gettext as _

    return _("Kursus tidak ditemukan.")


def visible_course(user: User, course_id: int) -> Course:
    course = get_course(course_id)
    if not can_view(user, course):
        raise NotFound(_not_found())  # an unpublished course does not exist for learners
    return course


def editable_course(user: User, course_id: int) -> Course:
    course = get_course(course_id)
    if not can_edit(user, course):
        from flask_babel import gettext as _

        raise Forbidden(_("Anda bukan instruktur kursus ini."))
    return course


def get_activity(activity_id: int) -> Activity:
    # With its section and course (and the course's competencies, which get_course would load) in
    # the same statement: the activity page needs all three, and this runs on every one.
    activity = db.session.get(Activity, activity_id, options=[
        joinedload(Activity.section), joinedload(Activity.course).joinedload(Course.competencies)])
    if activity is None:
        from flask_babel import gettext as _

        raise NotFound(_("Aktivitas tidak ditemukan."))
    return activity


@functools.cache
def _activity_for_viewer_stmt(type_name: str | None = None):
    # The viewer's state in the course rides along as single-row columns: the enrolment (its id
    # and last visit, all the page reads and touches: marks.EnrolmentMark), the course's
    # completion time and the ids of the activities of this course the viewer has completed,
    # aggregated into one string (string_agg / group_concat) so that the row count stays one
    # whatever the size of the course. With a type_name whose type has viewer_columns, that
    # type's own per-viewer columns follow.
    others = aliased(Activity)
    done_ids = (select(aggregate_strings(cast(ActivityCompletion.activity_id, String), ","))
                .join(others, others.id == ActivityCompletion.activity_id)
                .where(others.course_id == Activity.course_id, ActivityCompletion.user_id == bindparam("user_id"))
                .correlate(Activity).scalar_subquery().label("done_ids"))
    stmt = (select(Activity, Enrolment.id, Enrolment.last_activity_id, Enrolment.last_access_at,
                   CourseCompletion.completed_at, done_ids)
            .outerjoin(Enrolment, and_(Enrolment.course_id == Activity.course_id, Enrolment.user_id == bindparam("user_id")))
            .outerjoin(CourseCompletion, and_(CourseCompletion.course_id == Activity.course_id,
                                              CourseCompletion.user_id == bindparam("user_id")))
            .options(joinedload(Activity.section, innerjoin=True), joinedload(Activity.course, innerjoin=True))
            .where(Activity.id == bindparam("activity_id")))
    t = REGISTRY.get(type_name) if type_name else None
    return t.viewer_columns(stmt) if t is not None and t.viewer_columns is not None else stmt


#: activity id -> its type, as this worker last read it: lets the activity page choose, before
#: reading the row, the statement with that type's viewer columns. Only a hint: the row read says
#: the type, and a wrong guess (an id reused after a delete) costs a statement, never a wrong value.
_TYPE_OF: dict[int, str] = {}
_TYPE_OF_MAX = 100_000


@dataclass
class ViewerState:
    """The viewer's enrolment and progress in the course of the activity they opened."""

    enrolment: EnrolmentMark | None
    course_completed_at: datetime | None
    completed_ids: frozenset[int]


def activity_for_viewer(user: User, activity_id: int) -> tuple[Activity, ViewerState]:
    """The activity with its section and course, and the viewer's enrolment and progress in that
    course: one statement, built once per process (the activity page runs it on every view), so
    that the page's outline needs no statement of its own (course_outline(person=...)). For a
    type with viewer_columns, that type's per-viewer values too (viewer_values)."""
    if not user.is_authenticated:
        return get_activity(activity_id), ViewerState(None, None, frozenset())
    guess = _TYPE_OF.get(activity_id)
    row = db.session.execute(_activity_for_viewer_stmt(guess), {"activity_id": activity_id, "user_id": user.id}).first()
    if row is None:
        from flask_babel import gettext as _

        raise NotFound(_("Aktivitas tidak ditemukan."))
    activity, enrolment_id, last_activity_id, last_access_at, course_done, done_ids = row[:6]
    enrolment = EnrolmentMark(enrolment_id, last_activity_id, last_access_at) if enrolment_id is not None else None
    if guess != activity.type:
        if len(_TYPE_OF) >= _TYPE_OF_MAX:
            _TYPE_OF.clear()
        _TYPE_OF[activity_id] = activity.type
    elif len(row) > 6:
        g.lentera_viewer_values = (_cv_request.get(None), activity_id, user.id, tuple(row[6:]))
    ids = frozenset(int(x) for x in done_ids.split(",")) if done_ids and enrolment is not None else frozenset()
    return activity, ViewerState(enrolment, course_done if enrolment is not None else None, ids)


def viewer_values(activity: Activity, user_id: int | None) -> tuple | None:
    """The values of the activity type's viewer_columns that activity_for_viewer read for this
    activity and viewer in this request, once (None: read them yourself). Taken at the first ask:
    whoever asks again after the request wrote reads afresh."""
    kept = g.pop("lentera_viewer_values", None)
    # Of this request only (the tests' requests share one application context, and so `g`).
    if kept is None or kept[0] is not _cv_request.get(None) or kept[1] != activity.id or kept[2] != user_id:
        return None
    return kept[3]


def get_section(section_id: int) -> Section:
    section = db.session.get(Section, section_id)
    if section is None:
        from flask_babel import gettext as _

        raise NotFound(_("Bagian tidak ditemukan."))
    return section


def enrolment_of(user: User, course_id: int) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.course_id == course_id, Enrolment.user_id == user.id))


# --- catalogue ------------------------------------------------------------------------------------------

@dataclass
class CatalogueFilters:
    q: str = ""
    competency: str = ""
    mode: str = ""
    jp_min: Decimal | None = None
    jp_max: Decimal | None = None


def catalogue_stmt(user: User, f: CatalogueFilters):
    """Courses the user may see, filtered; instructors and admins also see their unpublished ones."""
    stmt = select(Course).options(selectinload(Course.competencies)).order_by(Course.title, Course.id)
    if user.is_authenticated and user.has_role("admin"):
        r = reach(user, ("admin",))
        if not r.everything:  # a unit-limited admin sees the unpublished courses of people in reach
            mine = select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
            owners = select(User.id).outerjoin(Unit, User.unit_id == Unit.id).where(r.unit_filter(Unit.path))
            stmt = stmt.where(or_(Course.published.is_(True), Course.owner_id == user.id, Course.id.in_(mine),
                                  Course.owner_id.in_(owners)))
    elif user.is_authenticated and user.has_role("instructor"):
        mine = select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
        stmt = stmt.where(or_(Course.published.is_(True), Course.owner_id == user.id, Course.id.in_(mine)))
    else:
        stmt = stmt.where(Course.published.is_(True))
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Course.title).like(like), func.lower(Course.summary).like(like),
                              func.lower(Course.code).like(like)))
    if f.competency:
        stmt = stmt.where(Course.id.in_(select(CourseCompetency.course_id).where(
            CourseCompetency.code == f.competency.strip().upper())))
    if f.mode:
        stmt = stmt.where(Course.mode == f.mode)
    if f.jp_min is not None:
        stmt = stmt.where(Course.jp >= f.jp_min)
    if f.jp_max is not None:
        stmt = stmt.where(Course.jp <= f.jp_max)
    return stmt


_CATALOGUE_VERSION = select(ContentVersion.version).where(ContentVersion.name == "catalogue")


def _card(course: Course) -> SimpleNamespace:
    """What a catalogue card shows of a course, as a plain read-only value (kept across requests,
    so no database object that could load lazily from a finished session)."""
    return SimpleNamespace(id=course.id, code=course.code, title=course.title, summary=course.summary, jp=course.jp,
                           mode=course.mode, published=course.published, self_enrol=course.self_enrol,
                           competencies=tuple(SimpleNamespace(code=c.code, level=c.level) for c in course.competencies))


def catalogue(user: User, f: CatalogueFilters, page: int, per_page: int) -> tuple[list, int, list[str]]:
    """One page of the catalogue the user may see (cards, total) and the competency codes of its
    filter. What a learner sees is what every learner sees: kept per worker under the catalogue's
    version (any change to a course's card replaces it in the author's transaction), except free-text
    searches, which are too many to keep. Instructors and admins, who also see unpublished courses
    of their own, read it every time."""
    page = max(1, page)

    def load() -> tuple[list, int, list[str]]:
        stmt = catalogue_stmt(user, f)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = [_card(c) for c in db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))]
        return rows, total, competency_codes_in_use()

    if f.q or not user.is_authenticated or user.has_role("admin", "instructor"):
        return load()
    version = db.session.scalar(_CATALOGUE_VERSION)
    if version is None:
        return load()
    key = (page, per_page, f.competency.strip().upper(), f.mode, str(f.jp_min), str(f.jp_max))
    return versioned("catalogue", key, version, load)


def competency_codes_in_use() -> list[str]:
    return list(db.session.scalars(select(CourseCompetency.code).distinct().order_by(CourseCompetency.code)))


# Built once (the catalogue asks on every page): an expanding IN takes the page's course ids.
_ENROLLED_IN = select(Enrolment.course_id).where(Enrolment.user_id == bindparam("user_id"),
                                                 Enrolment.course_id.in_(bindparam("course_ids", expanding=True)))


def enrolled_course_ids(user: User, course_ids: list[int]) -> set[int]:
    if not user.is_authenticated or not course_ids:
        return set()
    return set(db.session.scalars(_ENROLLED_IN, {"user_id": user.id, "course_ids": list(course_ids)}))


# --- progress -------------------------------------------------------------------------------------------

def _counted_activities():
    """Activities that count towards completion: required, visible, in a visible section."""
    return (select(Activity.id, Activity.course_id).join(Section, Activity.section_id == Section.id)
            .where(Activity.required.is_(True), Activity.visible.is_(True), Section.visible.is_(True)))


@dataclass
class CourseProgress:
    course: Any  # a read-only row: id, code, title, jp, mode
    enrolment: Any  # a read-only row: id, last_activity_id, enrolled_at, last_access_at
    total: int
    done: int
    completed_at: datetime | None

    @property
    def percent(self) -> float:
        if self.completed_at is not None:
            return 100.0
        return 100.0 * self.done / self.total if self.total else 0.0


@functools.cache
def _my_courses_stmt(limited: bool):
    # Built once per process with bound parameters: building this statement (three subqueries)
    # cost more Python than running it and reading thirty rows.
    total, done, order, joined = _enrolment_progress(bindparam("user_id"))
    stmt = joined(select(Course.id, Course.code, Course.title, Course.jp, Course.mode,
                         Enrolment.id.label("enrolment_id"), Enrolment.last_activity_id, Enrolment.enrolled_at,
                         Enrolment.last_access_at, total.label("total"), done.label("done"),
                         CourseCompletion.completed_at)).order_by(*order)
    return stmt.limit(bindparam("limit")) if limited else stmt


def _course_order() -> tuple[Any, Any]:
    """How a person's courses are ordered ("Kursus saya", the home panel): unfinished (0) before
    completed (1), then the most recently used; over `_person_courses`' joins."""
    return (case((CourseCompletion.id.is_(None), 0), else_=1),
            func.coalesce(Enrolment.last_access_at, Enrolment.enrolled_at))


def _person_courses(stmt: Select, person: Any) -> Select:
    """`stmt` over courses joined to the person's enrolment in each and, where there is one, their
    completion of it."""
    return (stmt.join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == person))
            .outerjoin(CourseCompletion, and_(CourseCompletion.course_id == Course.id,
                                              CourseCompletion.user_id == person)))


def _enrolment_progress(person: Any) -> tuple[Any, Any, tuple, Callable[[Select], Select]]:
    """The pieces of a person's courses with progress ("Kursus saya"): the counted and done
    activities per course, the order, and a function joining a SELECT of those columns to the
    person's enrolments, completions and counts."""
    counted = _counted_activities().subquery()
    mine = select(Enrolment.course_id).where(Enrolment.user_id == person)
    totals = (select(counted.c.course_id, func.count().label("n")).where(counted.c.course_id.in_(mine))
              .group_by(counted.c.course_id).subquery())
    done = (select(counted.c.course_id, func.count().label("n"))
            .join(ActivityCompletion, and_(ActivityCompletion.activity_id == counted.c.id,
                                           ActivityCompletion.user_id == person))
            .group_by(counted.c.course_id).subquery())
    unfinished, recent = _course_order()
    order = (unfinished, recent.desc(), Course.id)

    def joined(stmt: Select) -> Select:
        return (_person_courses(stmt, person).outerjoin(totals, totals.c.course_id == Course.id)
                .outerjoin(done, done.c.course_id == Course.id))

    return func.coalesce(totals.c.n, 0), func.coalesce(done.c.n, 0), order, joined


def my_courses(user: User, *, limit: int | None = None) -> list[CourseProgress]:
    """The learner's enrolments with progress, unfinished and most recently used first — one query
    of plain columns, whatever the number of courses."""
    params = {"user_id": user.id, "limit": limit} if limit else {"user_id": user.id}
    return [CourseProgress(course=SimpleNamespace(id=r.id, code=r.code, title=r.title, jp=r.jp, mode=r.mode),
                           enrolment=SimpleNamespace(id=r.enrolment_id, last_activity_id=r.last_activity_id,
                                                     enrolled_at=r.enrolled_at, last_access_at=r.last_access_at),
                           total=r.total, done=r.done, completed_at=r.completed_at)
            for r in db.session.execute(_my_courses_stmt(bool(limit)), params)]


@functools.cache
def home_my_courses_rows() -> Select:
    """`my_courses(user, limit=5)` as a branch of the home statement (app.home): course id and
    title, counted and done activities, completion time.

    The five courses are chosen first, then only theirs are counted (two correlated counts per
    course, by index): "Kursus saya" counts every enrolled course's activities in two grouped
    subqueries, which the home page, showing five, would set up and run at every request. The
    counts are the same (`_counted_activities`), and so are the joins and the order."""
    person = bindparam("home_user")
    unfinished, recent = _course_order()
    unfinished, recent = unfinished.label("unfinished"), recent.label("recent")
    top = (_person_courses(select(Course.id, Course.title, CourseCompletion.completed_at, unfinished, recent), person)
           .order_by(unfinished, recent.desc(), Course.id).limit(5).subquery("top_courses"))
    counted = _counted_activities().where(Activity.course_id == top.c.id)
    total = counted.with_only_columns(func.count()).scalar_subquery()
    done = (counted.with_only_columns(func.count())
            .join(ActivityCompletion, and_(ActivityCompletion.activity_id == Activity.id,
                                           ActivityCompletion.user_id == person))
            .scalar_subquery())
    order = (top.c.unfinished, top.c.recent.desc(), top.c.id)
    return select(*home_row("courses.mine", order, i1=top.c.id, s1=top.c.title, i2=total, i3=done,
                            t1=top.c.completed_at)).select_from(top)


def home_my_courses(rows: list) -> list[CourseProgress]:
    """The rows of `home_my_courses_rows` as the progress the home panel shows."""
    return [CourseProgress(course=SimpleNamespace(id=r.i1, title=r.s1), enrolment=None, total=r.i2, done=r.i3,
                           completed_at=r.t1) for r in rows]


@dataclass
class Outline:
    """The course page: sections with activities, and what the viewer has done."""

    course: Course
    sections: list[tuple[Section, list[Activity]]]
    #: activity id -> when the viewer completed it (None: completed, the time was not read; the
    #: activity page reads only which ones)
    completed: dict[int, datetime | None]
    enrolment: Enrolment | None
    course_completed_at: datetime | None
    staff_view: bool

    def activities(self) -> list[Activity]:
        return [a for _s, acts in self.sections for a in acts]

    @property
    def counted(self) -> list[Activity]:
        return [a for a in self.activities() if a.required]

    @property
    def percent(self) -> float:
        if self.course_completed_at is not None:
            return 100.0
        counted = self.counted
        if not counted:
            return 0.0
        return 100.0 * sum(1 for a in counted if a.id in self.completed) / len(counted)

    @property
    def next_activity(self) -> Activity | None:
        """The first activity not done yet, in course order."""
        return next((a for a in self.activities() if a.id not in self.completed), None)

    @property
    def resume_activity(self) -> Activity | None:
        """Where the learner left off, else the next one to do."""
        if self.enrolment and self.enrolment.last_activity_id:
            last = next((a for a in self.activities() if a.id == self.enrolment.last_activity_id), None)
            if last is not None and last.id not in self.completed:
                return last
        return self.next_activity or (self.activities()[0] if self.activities() else None)


# The course page is the hottest read of the site: its statements are built once (with bound
# parameters) and select plain columns, so a request neither rebuilds SQL nor hydrates ORM objects.
_OUTLINE_SECTIONS = (select(Section.id, Section.title, Section.summary, Section.visible, Section.position)
                     .where(Section.course_id == bindparam("course_id")).order_by(Section.position, Section.id))
_OUTLINE_ACTIVITIES = (select(Activity.id, Activity.section_id, Activity.type, Activity.title, Activity.visible,
                              Activity.required, Activity.settings, Activity.position)
                       .where(Activity.course_id == bindparam("course_id")).order_by(Activity.position, Activity.id))
def _with_progress(stmt: Select) -> Select:
    """`stmt` (which selects from enrolments) joined with the enrolment's course completion and one row
    per completed activity of the course (none: a single row with empty completion columns)."""
    return (stmt.outerjoin(CourseCompletion, and_(CourseCompletion.course_id == Enrolment.course_id,
                                                  CourseCompletion.user_id == Enrolment.user_id))
            .outerjoin(ActivityCompletion, and_(
                ActivityCompletion.user_id == Enrolment.user_id,
                ActivityCompletion.activity_id.in_(select(Activity.id).where(
                    Activity.course_id == bindparam("course_id")).scalar_subquery()))))


_PROGRESS_COLUMNS = (Enrolment.id.label("enrolment_id"), Enrolment.last_activity_id, CourseCompletion.completed_at,
                     ActivityCompletion.activity_id, ActivityCompletion.completed_at.label("activity_done_at"))
# The viewer's state in one statement: the enrolment, the course's completion, the completed activities.
_OUTLINE_PERSON = _with_progress(select(*_PROGRESS_COLUMNS)).where(
    Enrolment.course_id == bindparam("course_id"), Enrolment.user_id == bindparam("user_id"))


def _progress(rows: Sequence[Any]) -> tuple[SimpleNamespace | None, dict[int, datetime | None], datetime | None]:
    """(enrolment, completed activities, course completion) from the rows of `_with_progress`."""
    first = rows[0] if rows else None
    if first is None or first.enrolment_id is None:
        return None, {}, None
    enrolment = SimpleNamespace(id=first.enrolment_id, last_activity_id=first.last_activity_id,
                                completed_at=first.completed_at)
    return enrolment, {r.activity_id: r.activity_done_at for r in rows if r.activity_id is not None}, first.completed_at


def _shown_sections(sections: tuple, activities: tuple, include_hidden: bool) -> list[tuple[Any, list]]:
    """(section, its activities) in order, hidden ones only for `include_hidden`."""
    by_section: dict[int, list] = {}
    for a in activities:
        if a.visible or include_hidden:
            by_section.setdefault(a.section_id, []).append(a)
    return [(s, by_section.get(s.id, [])) for s in sections if s.visible or include_hidden]


def course_structure(course: Course) -> tuple[tuple, tuple]:
    """(sections, activities) of the course as read-only rows, hidden ones included, in order — the
    same for every reader, so kept per worker under the course's content version (app/cache.py)
    and read from the database only when an author has changed the course since."""
    def load() -> tuple[tuple, tuple]:
        params = {"course_id": course.id}
        return (tuple(db.session.execute(_OUTLINE_SECTIONS, params)),
                tuple(db.session.execute(_OUTLINE_ACTIVITIES, params)))

    return versioned("course_structure", course.id, course.content_version, load)


def course_outline(course: Course, user: User, *, include_hidden: bool = False,
                   person: ViewerState | None = None) -> Outline:
    """Sections and activities in order (as read-only rows: id, title, type, visible, required,
    settings), with the user's completions. The structure comes from the worker's copy when the
    course has not changed (course_structure); the person's enrolment and progress are read every
    time, in one statement, whatever the size of the course — or taken from `person` when the
    caller read them already (the activity page, activity_for_viewer)."""
    shown = _shown_sections(*course_structure(course), include_hidden)
    completed: dict[int, datetime | None] = {}
    enrolment = None
    course_done = None
    if person is not None:
        if person.enrolment is not None:
            enrolment = SimpleNamespace(id=person.enrolment.id, last_activity_id=person.enrolment.last_activity_id,
                                        completed_at=person.course_completed_at)
            course_done = person.course_completed_at
            completed = dict.fromkeys(person.completed_ids)
    elif user.is_authenticated:
        enrolment, completed, course_done = _progress(
            db.session.execute(_OUTLINE_PERSON, {"course_id": course.id, "user_id": user.id}).all())
    return Outline(course=course, sections=shown, completed=completed, enrolment=enrolment,
                   course_completed_at=course_done, staff_view=include_hidden)


# The course page of a reader who may neither edit the course nor manage anyone in it (a learner:
# most readers): the course's version and whether it is published, with the reader's enrolment and
# progress, in one statement; the rest of the course (its card and outline) the worker keeps.
_LEARNER_PAGE = _with_progress(
    select(Course.content_version, Course.published, *_PROGRESS_COLUMNS).select_from(Course)
    .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("user_id")))
).where(Course.id == bindparam("course_id"))


def _course_card(course_id: int, version: int) -> SimpleNamespace:
    """What the course page shows of the course itself, as a read-only copy for the worker to keep
    (every column of a course is part of its content version, app.courses.versioning)."""
    c = get_course(course_id)
    return SimpleNamespace(id=c.id, content_version=version, title=c.title, code=c.code, summary=c.summary, jp=c.jp,
                           mode=c.mode, organiser=c.organiser, published=c.published, self_enrol=c.self_enrol,
                           competencies=tuple(SimpleNamespace(code=x.code, level=x.level) for x in c.competencies))


def learner_course_page(user: User, course_id: int) -> Outline:
    """The course page's outline (its `course` the kept card) for a reader with none of the roles
    that may edit a course or manage its people (instructor, admin, bpsdm): what `visible_course`
    and `course_outline` give such a reader, in one statement while the course is unchanged."""
    rows = db.session.execute(_LEARNER_PAGE, {"course_id": course_id, "user_id": user.id}).all()
    if not rows or not rows[0].published:
        raise NotFound(_not_found())  # an unpublished course does not exist for learners
    version = rows[0].content_version
    course = versioned("course_card", course_id, version, lambda: _course_card(course_id, version))
    enrolment, completed, course_done = _progress(rows)
    return Outline(course=course, sections=_shown_sections(*course_structure(course), False), completed=completed,
                   enrolment=enrolment, course_completed_at=course_done, staff_view=False)


def user_progress(course: Course, user: User) -> tuple[bool, list[tuple[Activity, datetime | None]]]:
    """(course completed?, every visible activity with the user's completion time)."""
    outline = course_outline(course, user)
    return outline.course_completed_at is not None, [(a, outline.completed.get(a.id)) for a in outline.activities()]


# --- teaching -------------------------------------------------------------------------------------------

def teaching_courses(user: User) -> list[Course]:
    """Courses the user authors or teaches; an admin also those they administer (every course for
    an organisation-wide admin, the courses of people in reach for a unit-limited one)."""
    stmt = select(Course).order_by(Course.updated_at.desc(), Course.id.desc())
    r = reach(user, ("admin",)) if user.has_role("admin") else None
    if r is None or not r.everything:
        mine = select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
        cond = or_(Course.owner_id == user.id, Course.id.in_(mine))
        if r is not None:
            owners = select(User.id).outerjoin(Unit, User.unit_id == Unit.id).where(r.unit_filter(Unit.path))
            cond = or_(cond, Course.owner_id.in_(owners))
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))


def enrolment_counts(course_ids: list[int]) -> dict[int, int]:
    if not course_ids:
        return {}
    rows = db.session.execute(select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(course_ids))
                              .group_by(Enrolment.course_id)).all()
    return {course_id: n for course_id, n in rows}


@dataclass
class Participant:
    user: User
    enrolment: Enrolment
    done: int
    total: int
    completed_at: datetime | None

    @property
    def percent(self) -> float:
        if self.completed_at is not None:
            return 100.0
        return 100.0 * self.done / self.total if self.total else 0.0


def participants(course: Course, r: Reach, *, q: str = "", unit: Unit | None = None) -> list[Participant]:
    """The course's learners within reach, with progress — one query for the rows plus one for the total."""
    counted = _counted_activities().where(Activity.course_id == course.id).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted))
    done = (select(ActivityCompletion.user_id, func.count().label("n"))
            .join(counted, counted.c.id == ActivityCompletion.activity_id)
            .group_by(ActivityCompletion.user_id).subquery())
    stmt = (select(User, Enrolment, func.coalesce(done.c.n, 0), CourseCompletion.completed_at)
            .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
            .outerjoin(Unit, User.unit_id == Unit.id)
            .outerjoin(done, done.c.user_id == User.id)
            .outerjoin(CourseCompletion, and_(CourseCompletion.course_id == course.id, CourseCompletion.user_id == User.id))
            .options(selectinload(User.unit), selectinload(User.position))
            .order_by(User.name))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path) if r.unit_paths else false())
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.nip.like(f"%{q.strip()}%")))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    return [Participant(u, e, n, total, at) for u, e, n, at in db.session.execute(stmt)]


@dataclass
class CompletionReport:
    """Learners x activities: who completed what, and when."""

    activities: list[Activity]
    rows: list[Participant]
    done: dict[tuple[int, int], datetime]  # (user id, activity id) -> completed at
    units: list[Unit]  # the units of the learners in reach, for the filter


def completion_report(course: Course, r: Reach, *, unit: Unit | None = None) -> CompletionReport:
    """Three queries whatever the number of learners and activities: the activities, the learners
    with their progress, and every completion of those learners in this course."""
    activities = list(db.session.scalars(
        select(Activity).join(Section, Section.id == Activity.section_id)
        .where(Activity.course_id == course.id, Activity.visible.is_(True), Section.visible.is_(True))
        .order_by(Section.position, Section.id, Activity.position, Activity.id)))
    rows = participants(course, r, unit=unit)
    done: dict[tuple[int, int], datetime] = {}
    if rows and activities:
        enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id)
        for user_id, activity_id, at in db.session.execute(
                select(ActivityCompletion.user_id, ActivityCompletion.activity_id, ActivityCompletion.completed_at)
                .where(ActivityCompletion.activity_id.in_([a.id for a in activities]),
                       ActivityCompletion.user_id.in_(enrolled))):
            done[(user_id, activity_id)] = at
    units_stmt = (select(Unit).join(User, User.unit_id == Unit.id)
                  .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
                  .distinct().order_by(Unit.path))
    if not r.everything:
        units_stmt = units_stmt.where(r.unit_filter(Unit.path) if r.unit_paths else false())
    return CompletionReport(activities, rows, done, list(db.session.scalars(units_stmt)))


def attendance_list(activity: Activity, r: Reach) -> list[tuple[User, datetime | None]]:
    """Participants within reach and when their attendance was recorded."""
    stmt = (select(User, ActivityCompletion.completed_at)
            .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == activity.course_id))
            .outerjoin(Unit, User.unit_id == Unit.id)
            .outerjoin(ActivityCompletion, and_(ActivityCompletion.user_id == User.id,
                                                ActivityCompletion.activity_id == activity.id))
            .options(selectinload(User.unit))
            .order_by(User.name))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path) if r.unit_paths else false())
    return list(db.session.execute(stmt))


def course_by_code(code: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.code == code))


def schedule_warnings(activity: Activity) -> list[str]:
    """What an author should look at again after saving: a classroom session dated in the past
    (allowed, to record attendance afterwards, but usually a typo in the year)."""
    from zoneinfo import ZoneInfo

    from flask import current_app
    from flask_babel import gettext as _

    when = (activity.settings or {}).get("date") if activity.type == "classroom" else None
    if not when:
        return []
    try:
        local = datetime.fromisoformat(str(when))
    except ValueError:
        return []
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    if local < datetime.now(zone):
        return [_("Perhatian: tanggal sesi %(d)s sudah lewat. Periksa tahunnya bila ini bukan sesi yang sudah "
                  "berlangsung.", d=local.strftime("%d-%m-%Y %H:%M"))]
    return []
