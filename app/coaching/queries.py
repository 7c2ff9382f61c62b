"""The read side of coaching: who sees an engagement (the two parties, the learner's atasan,
BPSDM and admins in reach), lists, and BPSDM's counts and hours per unit."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.accounts.models import Unit, User
from app.accounts.queries import Reach, can_see_person, reach, supervisor_reach
from app.coaching.models import CoachingSession, Engagement
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.home import home_row


def is_party(user: User, e: Engagement) -> bool:
    return user.id in (e.learner_id, e.coach_id)


def can_see(user: User, e: Engagement) -> bool:
    return is_party(user, e) or can_see_person(user, e.learner)


def get_engagement(engagement_id: int) -> Engagement:
    e = db.session.get(Engagement, engagement_id, options=[joinedload(Engagement.learner), joinedload(Engagement.coach),
                                                            selectinload(Engagement.goals),
                                                            selectinload(Engagement.sessions)])
    if e is None:
        raise NotFound(_("Pendampingan tidak ditemukan."), code="engagement_not_found")
    return e


def visible_engagement(user: User, engagement_id: int) -> Engagement:
    e = get_engagement(engagement_id)
    if not can_see(user, e):
        raise Forbidden(_("Pendampingan ini di luar jangkauan Anda."), code="out_of_reach")
    return e


def get_session(e: Engagement, session_id: int) -> CoachingSession:
    s = db.session.get(CoachingSession, session_id)
    if s is None or s.engagement_id != e.id:
        raise NotFound(_("Sesi tidak ditemukan."), code="session_not_found")
    return s


def _with_people(stmt):
    return stmt.options(joinedload(Engagement.learner), joinedload(Engagement.coach)).order_by(
        Engagement.created_at.desc(), Engagement.id.desc())


def mine_stmt(user: User):
    """The engagements where the person is the learner or the coach/mentor."""
    return _with_people(select(Engagement).where(or_(Engagement.learner_id == user.id, Engagement.coach_id == user.id)))


def staff_stmt(viewer: User, r: Reach | None = None):
    """Engagements of the people the viewer oversees: an atasan their staff, BPSDM their units."""
    r = r or supervisor_reach(viewer)
    learner = aliased(User)
    stmt = select(Engagement).join(learner, learner.id == Engagement.learner_id).outerjoin(
        Unit, Unit.id == learner.unit_id).where(Engagement.learner_id != viewer.id)
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return _with_people(stmt)


def pending_for(user: User) -> list[CoachingSession]:
    """Sessions waiting for this person's confirmation."""
    return list(db.session.scalars(
        select(CoachingSession).join(Engagement).options(joinedload(CoachingSession.engagement))
        .where(or_(and_(Engagement.learner_id == user.id, CoachingSession.learner_confirmed_at.is_(None)),
                   and_(Engagement.coach_id == user.id, CoachingSession.coach_confirmed_at.is_(None))))
        .order_by(CoachingSession.held_on)))


@functools.cache
def home_pending_rows() -> Select:
    """`pending_for` as a branch of the home statement (app.home): engagement, day, minutes, topics."""
    order = (CoachingSession.held_on, CoachingSession.id)
    person = bindparam("home_user")
    return (select(*home_row("coaching.pending", order, i1=CoachingSession.engagement_id, i2=CoachingSession.minutes,
                             d1=CoachingSession.held_on, s1=CoachingSession.topics))
            .join(Engagement, Engagement.id == CoachingSession.engagement_id)
            .where(or_(and_(Engagement.learner_id == person, CoachingSession.learner_confirmed_at.is_(None)),
                       and_(Engagement.coach_id == person, CoachingSession.coach_confirmed_at.is_(None)))))


def session_totals(engagement_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(confirmed sessions, confirmed minutes) per engagement, one grouped query."""
    if not engagement_ids:
        return {}
    rows = db.session.execute(select(CoachingSession.engagement_id, func.count(), func.coalesce(
        func.sum(CoachingSession.minutes), 0)).where(
        CoachingSession.engagement_id.in_(engagement_ids), CoachingSession.learner_confirmed_at.is_not(None),
        CoachingSession.coach_confirmed_at.is_not(None)).group_by(CoachingSession.engagement_id))
    return {e: (n, int(m)) for e, n, m in rows}


@dataclass
class UnitRow:
    unit: str
    path: str
    engagements: int
    coaching_sessions: int
    mentoring_sessions: int
    minutes: int

    @property
    def jp(self) -> Decimal:
        from app.ledger.rules import jp_minutes, q

        return q(Decimal(self.minutes) / jp_minutes())


def per_unit(viewer: User, year: int) -> list[UnitRow]:
    """BPSDM's view: per unit of the learners, engagements with a session in the year, confirmed
    sessions by kind and their minutes; only units in the viewer's reach."""
    r = reach(viewer)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    learner = aliased(User)
    stmt = (select(Unit.name, Unit.path, func.count(func.distinct(Engagement.id)),
                   func.sum(case((Engagement.kind == "coaching", 1), else_=0)),
                   func.sum(case((Engagement.kind == "mentoring", 1), else_=0)),
                   func.coalesce(func.sum(CoachingSession.minutes), 0))
            .select_from(CoachingSession).join(Engagement, Engagement.id == CoachingSession.engagement_id)
            .join(learner, learner.id == Engagement.learner_id).join(Unit, Unit.id == learner.unit_id)
            .where(CoachingSession.held_on >= start, CoachingSession.held_on < end,
                   CoachingSession.learner_confirmed_at.is_not(None), CoachingSession.coach_confirmed_at.is_not(None))
            .group_by(Unit.name, Unit.path).order_by(Unit.path))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return [UnitRow(name, path, n, int(c or 0), int(m or 0), int(mins or 0))
            for name, path, n, c, m, mins in db.session.execute(stmt)]


def learner_goal_choices(learner: User) -> tuple[list, list]:
    """The learner's open competency gaps and this year's development plan items, to link goals to."""
    from app.corpu.gaps import open_gaps
    from app.corpu.models import DevelopmentPlan, PlanItem
    from app.ledger.operations import current_year

    gaps = open_gaps(learner)
    items = list(db.session.scalars(select(PlanItem).join(DevelopmentPlan).where(
        DevelopmentPlan.user_id == learner.id, DevelopmentPlan.year == current_year()).order_by(PlanItem.id)))
    return gaps, items
