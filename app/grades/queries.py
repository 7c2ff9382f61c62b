"""The grade book: every graded item of a course, each learner's grade in it, the course total.

The whole book is a fixed number of queries (settings, items, categories, learners, overrides and
one per grade source), whatever the number of learners or items.

The course total is a percentage: the weighted mean of the items' grade / maximum, an item not
graded yet counting 0. An item in a category shares that category's weight with the other items
in it (in proportion to their own weights); an item outside any category counts with its own
weight. A total or an item grade set by hand (an override) replaces the computed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from app.accounts.models import Unit, User
from app.accounts.queries import Reach
from app.courses.models import Activity, Course, Enrolment, Section
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.grades.models import DEFAULT_PASS_PERCENT, GradeCategory, GradeHistory, GradeItemSetting, GradeOverride, GradeSettings
from app.grades.sources import SOURCES

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass
class Item:
    activity: Activity
    max: Decimal
    weight: Decimal
    category: GradeCategory | None
    share: Decimal = Decimal(0)  # percent of the course total this item counts for

    @property
    def title(self) -> str:
        return self.activity.title

    @property
    def type(self) -> str:
        return self.activity.type


@dataclass(slots=True)
class Learner:
    """The columns of a learner the grade book shows (plain values: 500 ORM users cost more)."""

    id: int
    name: str
    nip: str | None
    unit_name: str | None


@dataclass(slots=True)
class Cell:
    grade: Decimal | None
    computed: Decimal | None
    override: GradeOverride | None = None


@dataclass(slots=True)
class Row:
    user: Learner
    cells: dict[int, Cell]
    computed_total: Decimal | None
    total: Decimal | None
    total_override: GradeOverride | None
    passed: bool


@dataclass
class Book:
    course: Course
    pass_percent: Decimal
    completion_requires_pass: bool
    items: list[Item]
    categories: list[GradeCategory]
    rows: list[Row] = field(default_factory=list)
    letters: list = field(default_factory=list)
    learner_total: int = 0

    def letter(self, total: Decimal | None) -> str | None:
        """The letter a total earns, when the course uses letters."""
        if total is None or not self.letters:
            return None
        return next((letter for letter, minimum in self.letters if total >= Decimal(str(minimum))), None)


def settings_of(course: Course) -> GradeSettings | None:
    return db.session.scalar(select(GradeSettings).where(GradeSettings.course_id == course.id))


def graded_activities(course: Course) -> list[Activity]:
    """Visible activities of a graded type, in course order."""
    return list(db.session.scalars(
        select(Activity).join(Section, Section.id == Activity.section_id)
        .where(Activity.course_id == course.id, Activity.type.in_(list(SOURCES)), Activity.visible.is_(True),
               Section.visible.is_(True))
        .order_by(Section.position, Activity.position, Activity.id)))


def _items(course: Course) -> tuple[list[Item], list[GradeCategory]]:
    activities = graded_activities(course)
    settings = {s.activity_id: s for s in db.session.scalars(
        select(GradeItemSetting).where(GradeItemSetting.course_id == course.id))}
    categories = list(db.session.scalars(select(GradeCategory).where(GradeCategory.course_id == course.id)
                                         .order_by(GradeCategory.position, GradeCategory.id)))
    cats = {c.id: c for c in categories}
    maxima: dict[int, Decimal] = {}
    by_type: dict[str, list[Activity]] = {}
    for a in activities:
        by_type.setdefault(a.type, []).append(a)
    for type_name, acts in by_type.items():
        maxima.update(SOURCES[type_name].maxima(acts))
    items = []
    for a in activities:
        s = settings.get(a.id)
        items.append(Item(activity=a, max=maxima.get(a.id, HUNDRED), weight=s.weight if s else Decimal(1),
                          category=cats.get(s.category_id) if s and s.category_id else None))
    # Effective shares: a category's weight split over its items by their weights.
    effective: list[Decimal] = []
    for it in items:
        if it.category is None:
            effective.append(it.weight)
        else:
            inside = sum((x.weight for x in items if x.category is it.category), Decimal(0))
            effective.append(it.category.weight * it.weight / inside if inside else Decimal(0))
    total = sum(effective, Decimal(0))
    for it, w in zip(items, effective, strict=True):
        it.share = (w * HUNDRED / total).quantize(CENT) if total else Decimal(0)
    return items, categories


def _total(items: list[Item], cells: dict[int, Cell], aids: list[int]) -> Decimal | None:
    if not items or not any(it.share for it in items):
        return None
    acc = Decimal(0)
    for it, aid in zip(items, aids, strict=True):
        g = cells[aid].grade
        if g is not None and it.max:
            acc += it.share * g / it.max
    return acc.quantize(CENT, rounding=ROUND_HALF_UP)


def gradebook(course: Course, *, reach: Reach | None = None, user_ids: list[int] | None = None,
              q: str = "", limit: int | None = None, offset: int = 0) -> Book:
    """The grade book of the enrolled learners (within `reach`, or just `user_ids`); `limit` and
    `offset` take one page of learners (by name), `Book.learner_total` counts them all."""
    s = settings_of(course)
    items, categories = _items(course)
    book = Book(course=course, pass_percent=s.pass_percent if s else DEFAULT_PASS_PERCENT,
                completion_requires_pass=bool(s and s.completion_requires_pass), items=items,
                categories=categories, letters=list(s.letters or []) if s else [])
    stmt = (select(User.id, User.name, User.nip, Unit.name)
            .select_from(User).join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
            .outerjoin(Unit, Unit.id == User.unit_id).order_by(User.name, User.id))
    if reach is not None and not reach.everything:
        stmt = stmt.where(reach.unit_filter(Unit.path))
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(User.name.ilike(like) | User.nip.ilike(like))
    paged = limit is not None
    if paged:
        book.learner_total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        stmt = stmt.limit(limit).offset(offset)
    learners = [Learner(*row) for row in db.session.execute(stmt)]
    if not paged:
        book.learner_total = len(learners)
    ids = [u.id for u in learners] if (paged or user_ids is not None or q or
                                       (reach is not None and not reach.everything)) else None
    grades: dict[tuple[int, int], Decimal] = {}
    by_type: dict[str, list[Activity]] = {}
    for it in items:
        by_type.setdefault(it.type, []).append(it.activity)
    for type_name, acts in by_type.items():
        grades.update(SOURCES[type_name].grades(acts, ids))
    ostmt = select(GradeOverride).where(GradeOverride.course_id == course.id)
    if ids is not None:
        ostmt = ostmt.where(GradeOverride.user_id.in_(ids))
    overrides: dict[tuple[int | None, int], GradeOverride] = {
        (o.activity_id, o.user_id): o for o in db.session.scalars(ostmt)}
    aids = [it.activity.id for it in items]  # read once: ORM attribute access costs, times 10,000 cells
    for u in learners:
        uid = u.id
        cells = {}
        for aid in aids:
            computed = grades.get((aid, uid))
            o = overrides.get((aid, uid)) if overrides else None
            cells[aid] = Cell(grade=o.grade if o is not None else computed, computed=computed, override=o)
        computed_total = _total(items, cells, aids)
        to = overrides.get((None, uid))
        total = to.grade if to else computed_total
        book.rows.append(Row(user=u, cells=cells, computed_total=computed_total, total=total, total_override=to,
                             passed=total is not None and total >= book.pass_percent))
    return book


def learner_grades(course: Course, user: User) -> dict:
    """One learner's grades as the API and the learner's page give them."""
    book = gradebook(course, user_ids=[user.id])
    row = book.rows[0] if book.rows else None
    items = []
    for it in book.items:
        cell = row.cells[it.activity.id] if row else None
        items.append({"item": it.title, "type": it.type, "activity_id": it.activity.id,
                      "grade": float(cell.grade) if cell and cell.grade is not None else None,
                      "max": float(it.max), "weight": float(it.share),
                      "category": it.category.name if it.category else None,
                      "overridden": bool(cell and cell.override)})
    total = row.total if row else None
    return {"items": items, "total": float(total) if total is not None else None, "max_total": 100.0,
            "pass_percent": float(book.pass_percent), "passed": bool(row and row.passed),
            "letter": book.letter(total)}


def course_passed(user: User, course: Course) -> bool:
    book = gradebook(course, user_ids=[user.id])
    return bool(book.rows and book.rows[0].passed)


def history(course: Course, *, user_ids: list[int] | None = None, limit: int = 200) -> list[GradeHistory]:
    stmt = select(GradeHistory).where(GradeHistory.course_id == course.id).order_by(GradeHistory.at.desc(),
                                                                                     GradeHistory.id.desc())
    if user_ids is not None:
        stmt = stmt.where(GradeHistory.user_id.in_(user_ids))
    return list(db.session.scalars(stmt.limit(limit)))


def staff_course(user: User, course_id: int) -> tuple[Course, Reach]:
    """The course and the reach of someone who may see its grade book (its instructors, admins)."""
    from app.courses.queries import can_edit, get_course, staff_reach

    course = get_course(course_id)
    if not can_edit(user, course):
        raise Forbidden(_("Buku nilai hanya untuk pengajar kursus ini."), code="not_grader")
    r = staff_reach(user, course)
    if r is None:
        raise Forbidden(_("Buku nilai hanya untuk pengajar kursus ini."), code="not_grader")
    return course, r


def enrolled(course: Course, user: User) -> bool:
    return db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == course.id,
                                                        Enrolment.user_id == user.id)) is not None


def person_in_course(course: Course, nip: str) -> User:
    person = db.session.scalar(select(User).where(User.nip == nip))
    if person is None or not enrolled(course, person):
        raise NotFound(_("Peserta dengan NIP %(nip)s tidak terdaftar di kursus ini.", nip=nip), code="learner_not_found")
    return person
