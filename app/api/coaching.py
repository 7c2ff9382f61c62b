"""Coaching and mentoring routes of API.md (second wave)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts.queries import user_by_nip
from app.api.core import require_role, route, user_ctx
from app.coaching import operations as ops
from app.coaching import queries as q
from app.coaching.models import CoachingSession, Engagement
from app.errors import BadInput, Forbidden
from app.extensions import db
from app.ledger.operations import current_year
from app.web import paginate


def _iso(dt: datetime | None) -> str | None:
    return dt.replace(tzinfo=UTC).isoformat() if dt is not None else None


class GoalIn(BaseModel):
    text: str = Field(max_length=100_000)
    competency: str | None = Field(default=None, max_length=100)
    plan_item_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class EngagementIn(BaseModel):
    kind: Literal["coaching", "mentoring"]
    learner_nip: str = Field(max_length=100)
    coach_nip: str = Field(max_length=100)
    goals: list[GoalIn] | str = Field(description="a list of goals, or one goal as text")


class GoalOut(BaseModel):
    id: int
    text: str
    competency: str | None
    plan_item_id: int | None


class SessionOut(BaseModel):
    id: int
    engagement_id: int
    held_on: str
    minutes: int
    topics: str
    actions: str
    confirmed_by: list[str] = Field(description="NIPs of those who confirmed")
    confirmed: bool
    jp: float | None = Field(description="the JP credited, once both confirmed")
    ledger_entry_id: int | None


class EngagementOut(BaseModel):
    id: int
    kind: str
    state: str
    learner_nip: str | None
    learner: str
    coach_nip: str | None
    coach: str
    created_at: str
    goals: list[GoalOut]
    sessions: list[SessionOut]


class EngagementSummaryOut(BaseModel):
    id: int
    kind: str
    state: str
    learner_nip: str | None
    learner: str
    coach_nip: str | None
    coach: str
    created_at: str


class EngagementPage(BaseModel):
    items: list[EngagementSummaryOut]
    page: int
    per_page: int
    total: int


class ListQuery(BaseModel):
    scope: Literal["mine", "staff"] = "mine"
    page: int = 1
    per_page: int = 50


class SessionIn(BaseModel):
    held_on: date
    minutes: int = Field(ge=-(2**31), le=2**31 - 1)
    topics: str = Field(max_length=100_000)
    actions: str = Field(default="", max_length=100_000)


class UnitOut(BaseModel):
    unit: str
    engagements: int
    coaching_sessions: int
    mentoring_sessions: int
    minutes: int
    jp: float


class SummaryOut(BaseModel):
    year: int
    units: list[UnitOut]


class SummaryQuery(BaseModel):
    year: int = Field(default=0, ge=0, le=9999)


def session_dict(s: CoachingSession, e: Engagement) -> dict:
    by = []
    if s.learner_confirmed_at is not None:
        by.append(e.learner.nip)
    if s.coach_confirmed_at is not None:
        by.append(e.coach.nip)
    jp = None
    if s.ledger_entry_id is not None:
        from app.ledger.models import LedgerEntry

        entry = db.session.get(LedgerEntry, s.ledger_entry_id)
        jp = float(entry.jp) if entry is not None else None
    return {"id": s.id, "engagement_id": e.id, "held_on": s.held_on.isoformat(), "minutes": s.minutes,
            "topics": s.topics, "actions": s.actions, "confirmed_by": [n for n in by if n], "confirmed": s.confirmed,
            "jp": jp, "ledger_entry_id": s.ledger_entry_id}


def summary_dict(e: Engagement) -> dict:
    return {"id": e.id, "kind": e.kind, "state": e.state, "learner_nip": e.learner.nip, "learner": e.learner.name,
            "coach_nip": e.coach.nip, "coach": e.coach.name, "created_at": _iso(e.created_at)}


def engagement_dict(e: Engagement) -> dict:
    return {**summary_dict(e),
            "goals": [{"id": g.id, "text": g.text, "competency": g.competency, "plan_item_id": g.plan_item_id}
                      for g in e.goals],
            "sessions": [session_dict(s, e) for s in e.sessions]}


def _person(nip: str, field: str):
    person = user_by_nip(nip.strip())
    if person is None:
        raise BadInput(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip), code="unknown_nip",
                       details=[{"field": field, "message": _("tidak dikenal")}])
    return person


@route("/coaching", summary="Coaching and mentoring engagements: one's own, or (scope=staff) those of the "
       "people one oversees", tag="coaching", query=ListQuery, response=EngagementPage)
def coaching_list(params: ListQuery):
    user = user_ctx()
    stmt = q.mine_stmt(user) if params.scope == "mine" else q.staff_stmt(user)
    return paginate(stmt, summary_dict)


@route("/coaching", "POST", summary="Open a coaching or mentoring engagement with goals", tag="coaching",
       body=EngagementIn, response=EngagementOut, status=201)
def coaching_create(body: EngagementIn):
    user = user_ctx()
    learner, coach = _person(body.learner_nip, "learner_nip"), _person(body.coach_nip, "coach_nip")
    goals = [{"text": body.goals}] if isinstance(body.goals, str) else [g.model_dump() for g in body.goals]
    e = ops.start_engagement(user, kind=body.kind, learner=learner, coach=coach, goals=goals)
    return engagement_dict(q.get_engagement(e.id)), 201


@route("/coaching/summary", summary="BPSDM: engagements, confirmed sessions and hours per unit in a year",
       tag="coaching", query=SummaryQuery, response=SummaryOut, roles=("bpsdm", "admin"))
def coaching_summary(params: SummaryQuery):
    user = user_ctx()
    require_role("bpsdm", "admin")
    year = params.year or current_year()
    return {"year": year, "units": [{"unit": r.unit, "engagements": r.engagements,
                                     "coaching_sessions": r.coaching_sessions,
                                     "mentoring_sessions": r.mentoring_sessions, "minutes": r.minutes,
                                     "jp": float(r.jp)} for r in q.per_unit(user, year)]}


@route("/coaching/<int:engagement_id>", summary="An engagement with its goals and sessions", tag="coaching",
       response=EngagementOut)
def coaching_get(engagement_id: int):
    return engagement_dict(q.visible_engagement(user_ctx(), engagement_id))


@route("/coaching/<int:engagement_id>/sessions", "POST", summary="Record a session (the recording party "
       "confirms it by recording)", tag="coaching", body=SessionIn, response=SessionOut, status=201)
def coaching_record_session(engagement_id: int, body: SessionIn):
    user = user_ctx()
    e = q.visible_engagement(user, engagement_id)
    s = ops.record_session(user, e, held_on=body.held_on, minutes=body.minutes, topics=body.topics,
                           actions=body.actions)
    return session_dict(s, e), 201


@route("/coaching/<int:engagement_id>/sessions/<int:session_id>/confirm", "POST", summary="The other party "
       "confirms a session; confirmed by both, it becomes one ledger entry", tag="coaching", response=SessionOut)
def coaching_confirm_session(engagement_id: int, session_id: int):
    user = user_ctx()
    e = q.visible_engagement(user, engagement_id)
    s = q.get_session(e, session_id)
    if not q.is_party(user, e):
        raise Forbidden(_("Hanya peserta atau coach/mentor yang mengonfirmasi sesi."), code="not_a_party")
    s = ops.confirm_session(user, e, s)
    return session_dict(s, e)


