"""The read side of the CMB layer for pages and the API. Reads of another person's data take the
viewer's `Reach` (app.accounts.queries) and filter by it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Position, Unit, User
from app.accounts.queries import Reach
from app.corpu.models import (
    RATINGS,
    Assessment,
    Competency,
    CourseCost,
    DevelopmentPlan,
    PlanItem,
    PositionStandard,
    Program,
    ProgramCompletion,
    ProgramNotice,
    TalentRating,
)
from app.corpu.settings import nine_box_numbering, talent_pool_boxes
from app.courses.models import Course, CourseCompletion
from app.extensions import db
from app.home import home_row


def all_competencies() -> list[Competency]:
    return list(db.session.scalars(select(Competency).options(selectinload(Competency.levels))
                                   .order_by(Competency.group, Competency.code)))


def standards(position_id: int | None = None) -> list[PositionStandard]:
    stmt = (select(PositionStandard).join(Position).join(Competency)
            .options(selectinload(PositionStandard.position), selectinload(PositionStandard.competency))
            .order_by(Position.name, Competency.code))
    if position_id:
        stmt = stmt.where(PositionStandard.position_id == position_id)
    return list(db.session.scalars(stmt))


def positions() -> list[Position]:
    return list(db.session.scalars(select(Position).order_by(Position.name)))


def assessment_history(user: User, limit: int = 50) -> list[Assessment]:
    return list(db.session.scalars(
        select(Assessment).where(Assessment.user_id == user.id)
        .options(selectinload(Assessment.competency), selectinload(Assessment.course))
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc()).limit(limit)))


def course_evidence(user: User) -> list[Assessment]:
    """The levels a course raised (shown on the profile as "naik ke level 2 dari kursus X")."""
    return [a for a in assessment_history(user, 200) if a.source == "course"]


# --- plans -------------------------------------------------------------------------------------

@dataclass
class ItemProgress:
    item: PlanItem
    done: bool
    done_on: date | None


@dataclass
class PlanProgress:
    plan: DevelopmentPlan
    items: list[ItemProgress]

    @property
    def planned_jp(self) -> Decimal:
        return sum((i.item.planned_jp for i in self.items), Decimal(0))

    @property
    def done_jp(self) -> Decimal:
        return sum((i.item.planned_jp for i in self.items if i.done), Decimal(0))

    @property
    def percent(self) -> float:
        return float(self.done_jp / self.planned_jp * 100) if self.planned_jp else 0.0


def plan_progress(plan: DevelopmentPlan) -> PlanProgress:
    course_ids = [i.course_id for i in plan.items if i.course_id]
    done = {}
    if course_ids:
        done = dict(db.session.execute(select(CourseCompletion.course_id, CourseCompletion.completed_at).where(
            CourseCompletion.user_id == plan.user_id, CourseCompletion.course_id.in_(course_ids))).all())
    items = []
    for item in plan.items:
        if item.kind == "course":
            at = done.get(item.course_id)
            items.append(ItemProgress(item, at is not None, at.date() if at else None))
        else:
            items.append(ItemProgress(item, item.done_on is not None, item.done_on))
    return PlanProgress(plan, items)


def headed_paths(viewer: User) -> list[str]:
    from app.accounts.queries import headed_unit_paths

    return headed_unit_paths(viewer)


def staff_plans(viewer: User, *, status: str | None = None, year: int | None = None) -> list[DevelopmentPlan]:
    """Plans of the people in the units `viewer` heads (a supervisor sees only their staff)."""
    paths = headed_paths(viewer)
    if not paths:
        return []
    from sqlalchemy import or_

    stmt = (select(DevelopmentPlan).join(User, DevelopmentPlan.user_id == User.id).join(Unit, User.unit_id == Unit.id)
            .where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]), User.id != viewer.id)
            .options(selectinload(DevelopmentPlan.user), selectinload(DevelopmentPlan.items))
            .order_by(DevelopmentPlan.submitted_at.desc().nulls_last(), User.name))
    if status:
        stmt = stmt.where(DevelopmentPlan.status == status)
    if year:
        stmt = stmt.where(DevelopmentPlan.year == year)
    return list(db.session.scalars(stmt))


# --- costs -------------------------------------------------------------------------------------

def course_costs() -> list[tuple[Course, Decimal | None]]:
    rows = db.session.execute(select(Course, CourseCost.cost_per_participant)
                              .outerjoin(CourseCost, CourseCost.course_id == Course.id)
                              .order_by(Course.title)).all()
    return [(c, cost) for c, cost in rows]


# --- programs ----------------------------------------------------------------------------------

def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).options(selectinload(Program.courses)).order_by(Program.title)))


@dataclass
class ProgramStatus:
    program: Program
    done_course_ids: set[int]
    completion: ProgramCompletion | None

    @property
    def total(self) -> int:
        return len(self.program.courses)

    @property
    def done(self) -> int:
        return sum(1 for pc in self.program.courses if pc.course_id in self.done_course_ids)

    @property
    def expired(self) -> bool:
        c = self.completion
        return bool(c and c.expires_on and c.expires_on < date.today())

    @property
    def state(self) -> str:
        if self.completion is None:
            return "in_progress" if self.done else "not_started"
        return "expired" if self.expired else "completed"


def program_status(program: Program, user: User) -> ProgramStatus:
    ids = [pc.course_id for pc in program.courses]
    done = set(db.session.scalars(select(CourseCompletion.course_id).where(
        CourseCompletion.user_id == user.id, CourseCompletion.course_id.in_(ids)))) if ids else set()
    completion = db.session.scalar(select(ProgramCompletion).where(
        ProgramCompletion.program_id == program.id, ProgramCompletion.user_id == user.id)
        .order_by(ProgramCompletion.completed_on.desc(), ProgramCompletion.id.desc()).limit(1))
    return ProgramStatus(program, done, completion)


def program_holders(program: Program, reach: Reach) -> list[ProgramCompletion]:
    """The newest completion of each holder within reach."""
    newest = (select(ProgramCompletion.user_id, func.max(ProgramCompletion.id).label("mid"))
              .where(ProgramCompletion.program_id == program.id).group_by(ProgramCompletion.user_id).subquery())
    stmt = (select(ProgramCompletion).join(newest, ProgramCompletion.id == newest.c.mid)
            .join(User, ProgramCompletion.user_id == User.id).outerjoin(Unit, User.unit_id == Unit.id)
            .options(selectinload(ProgramCompletion.user)).order_by(ProgramCompletion.expires_on.nulls_last(), User.name))
    if not reach.everything:
        stmt = stmt.where(reach.unit_filter(Unit.path))
    return list(db.session.scalars(stmt))


def notices_for(user: User, unread_only: bool = True) -> list[ProgramNotice]:
    stmt = select(ProgramNotice).where(ProgramNotice.user_id == user.id).order_by(ProgramNotice.created_at.desc())
    if unread_only:
        stmt = stmt.where(ProgramNotice.read_at.is_(None))
    return list(db.session.scalars(stmt))


@functools.cache
def home_notice_rows() -> Select:
    """`notices_for(user)` (the unread ones) as a branch of the home statement (app.home)."""
    return (select(*home_row("corpu.notices", (ProgramNotice.created_at.desc(),), s1=ProgramNotice.message))
            .where(ProgramNotice.user_id == bindparam("home_user"), ProgramNotice.read_at.is_(None)))


# --- talent ------------------------------------------------------------------------------------

def talent_periods() -> list[str]:
    return list(db.session.scalars(select(TalentRating.period).distinct().order_by(TalentRating.period.desc())))


def _talent_stmt(unit: Unit | None, period: str, reach: Reach):
    stmt = (select(TalentRating).join(User, TalentRating.user_id == User.id).outerjoin(Unit, User.unit_id == Unit.id)
            .where(TalentRating.period == period, User.active.is_(True)))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    if not reach.everything:
        stmt = stmt.where(reach.unit_filter(Unit.path))
    return stmt


def nine_box(unit: Unit | None, period: str, reach: Reach) -> dict[int, int]:
    """People per box (1–9) for the period, under `unit` and within reach."""
    numbering = nine_box_numbering()
    sub = _talent_stmt(unit, period, reach).subquery()
    rows = db.session.execute(select(sub.c.kinerja, sub.c.potensi, func.count()).group_by(sub.c.kinerja, sub.c.potensi))
    counts = dict.fromkeys(range(1, 10), 0)
    for kinerja, potensi, n in rows:
        counts[numbering[(kinerja, potensi)]] += n
    return counts


def box_people(unit: Unit | None, period: str, box: int, reach: Reach) -> list[User]:
    numbering = nine_box_numbering()
    pairs = [k for k, v in numbering.items() if v == box]
    if not pairs:
        return []
    from sqlalchemy import and_, or_

    stmt = _talent_stmt(unit, period, reach).where(
        or_(*[and_(TalentRating.kinerja == k, TalentRating.potensi == p) for k, p in pairs]))
    return [r.user for r in db.session.scalars(stmt.options(selectinload(TalentRating.user)).order_by(User.name))]


def nine_box_grid() -> list[list[dict]]:
    """Rows top (high kinerja) to bottom, columns low to high potensi, each {box, kinerja, potensi, pool}."""
    numbering = nine_box_numbering()
    pool = talent_pool_boxes()
    grid = []
    for kinerja in reversed(RATINGS):
        row = []
        for potensi in RATINGS:
            box = numbering[(kinerja, potensi)]
            row.append({"box": box, "kinerja": kinerja, "potensi": potensi, "pool": box in pool})
        grid.append(row)
    return grid
