"""Every state change of coaching and mentoring. Views and the API call these; they flush, the
caller commits. A session confirmed by both parties becomes one ledger entry, without a claim."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User, utcnow
from app.coaching import queries as q
from app.coaching.models import KINDS, CoachingSession, Engagement, Goal
from app.errors import BadInput, Conflict, Forbidden, RuleViolation
from app.extensions import db
from app.notifications.operations import link_to, notify

#: The JP rule each kind is credited under (rules are data: BPSDM edits the conversion).
RULES = {"coaching": "NKL01", "mentoring": "NKL02"}
MAX_SESSION_MINUTES = 24 * 60
TEXT_MAX = 5000
GOALS_MAX = 20


def _text(value: str | None, field: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BadInput(_("%(f)s wajib diisi.", f=field), code=f"{field}_required",
                       details=[{"field": field, "message": _("wajib diisi")}])
    if len(value) > limit:
        raise BadInput(_("%(f)s paling panjang %(n)d karakter.", f=field, n=limit), code=f"{field}_too_long",
                       details=[{"field": field, "message": _("terlalu panjang")}])
    return value


def start_engagement(actor: User, *, kind: str, learner: User, coach: User, goals: list[dict]) -> Engagement:
    """A learner and a coach or mentor open an engagement; either of them may start it, as may the
    learner's atasan or BPSDM in reach. `goals`: [{"text", "competency"?, "plan_item_id"?}]."""
    if kind not in KINDS:
        raise BadInput(_("Jenis harus coaching atau mentoring."), code="invalid_kind",
                       details=[{"field": "kind", "message": _("nilai tidak dikenal")}])
    if learner.id == coach.id:
        raise RuleViolation(_("Peserta dan coach/mentor harus dua orang berbeda."), code="same_person")
    if actor.id not in (learner.id, coach.id):
        from app.accounts.queries import can_see_person

        if not (actor.id != learner.id and can_see_person(actor, learner)):
            raise Forbidden(_("Hanya peserta, coach/mentor, atasan atau BPSDM yang membuka pendampingan."),
                            code="not_a_party")
    if not coach.active or not learner.active:
        raise RuleViolation(_("Akun peserta atau coach/mentor tidak aktif."), code="inactive_user")
    if not goals:
        raise BadInput(_("Tuliskan minimal satu tujuan."), code="goals_required",
                       details=[{"field": "goals", "message": _("wajib diisi")}])
    if len(goals) > GOALS_MAX:
        raise BadInput(_("Paling banyak %(n)d tujuan.", n=GOALS_MAX), code="too_many_goals")
    from app.corpu.models import DevelopmentPlan, PlanItem
    from app.courses.operations import check_competency_codes

    e = Engagement(kind=kind, learner_id=learner.id, coach_id=coach.id, created_by_id=actor.id)
    db.session.add(e)
    db.session.flush()
    for g in goals:
        text = _text(g.get("text"), "goals")
        code = (g.get("competency") or "").strip().upper() or None
        if code and check_competency_codes([code]):
            raise BadInput(_("Kode kompetensi %(c)s tidak ada di kamus kompetensi.", c=code), code="unknown_competency",
                           details=[{"field": "goals.competency", "message": code}])
        item_id = g.get("plan_item_id")
        if item_id is not None:
            owner = db.session.scalar(select(DevelopmentPlan.user_id).join(PlanItem).where(PlanItem.id == item_id))
            if owner != learner.id:
                raise BadInput(_("Butir rencana %(id)s bukan milik rencana pengembangan peserta.", id=item_id),
                               code="invalid_plan_item", details=[{"field": "goals.plan_item_id", "message": str(item_id)}])
            if code is None:
                code = db.session.scalar(select(PlanItem.competency_code).where(PlanItem.id == item_id))
        db.session.add(Goal(engagement_id=e.id, text=text, competency=code, plan_item_id=item_id))
    db.session.flush()
    other = coach if actor.id == learner.id else learner
    if other.id != actor.id:
        notify(other, _("%(who)s membuka %(kind)s bersama Anda", who=actor.name, kind=kind),
               link=link_to("coaching.engagement", engagement_id=e.id))
    return e


def close_engagement(actor: User, e: Engagement) -> Engagement:
    if not q.is_party(actor, e):
        raise Forbidden(_("Hanya peserta atau coach/mentor yang menutup pendampingan."), code="not_a_party")
    e.state, e.closed_at = "closed", utcnow()
    db.session.flush()
    return e


def record_session(actor: User, e: Engagement, *, held_on: date, minutes: int, topics: str,
                   actions: str = "") -> CoachingSession:
    """Either party records a session; their own record is their confirmation. The other party is
    asked to confirm."""
    from app.ledger.operations import local_date

    if not q.is_party(actor, e):
        raise Forbidden(_("Hanya peserta atau coach/mentor yang mencatat sesi."), code="not_a_party")
    if e.state != "active":
        raise Conflict(_("Pendampingan ini sudah ditutup."), code="engagement_closed")
    today = local_date(utcnow())
    if held_on > today:
        raise RuleViolation(_("Tanggal sesi %(d)s belum terjadi: catat sesi setelah berlangsung.", d=held_on.isoformat()),
                            code="future_date", details=[{"field": "held_on", "message": _("di masa depan")}])
    oldest = today.year - current_app.config.get("CLAIM_OLDEST_YEARS", 1)
    if held_on.year < oldest:
        raise RuleViolation(_("Sesi tahun %(y)d sudah terlalu lama untuk dicatat.", y=held_on.year), code="too_old",
                            details=[{"field": "held_on", "message": _("terlalu lama")}])
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise BadInput(_("Durasi sesi harus bilangan menit lebih dari 0."), code="invalid_minutes",
                       details=[{"field": "minutes", "message": _("terlalu kecil")}])
    if minutes > MAX_SESSION_MINUTES:
        raise RuleViolation(_("Satu sesi paling lama sehari (%(n)d menit); catat sesi beberapa hari terpisah.",
                              n=MAX_SESSION_MINUTES), code="session_too_long",
                            details=[{"field": "minutes", "message": _("terlalu besar")}])
    now = utcnow()
    s = CoachingSession(engagement_id=e.id, held_on=held_on, minutes=minutes, topics=_text(topics, "topics"),
                        actions=_text(actions, "actions", required=False), recorded_by_id=actor.id,
                        learner_confirmed_at=now if actor.id == e.learner_id else None,
                        coach_confirmed_at=now if actor.id == e.coach_id else None)
    db.session.add(s)
    db.session.flush()
    other = e.coach if actor.id == e.learner_id else e.learner
    notify(other, _("Mohon konfirmasi sesi %(kind)s %(d)s bersama %(who)s", kind=e.kind, d=held_on.isoformat(),
                    who=actor.name), _("Topik: %(t)s", t=s.topics[:300]),
           link=link_to("coaching.engagement", engagement_id=e.id))
    return s


def confirm_session(actor: User, e: Engagement, s: CoachingSession) -> CoachingSession:
    """The other party confirms; the confirmation that makes two appends the ledger entry."""
    if not q.is_party(actor, e):
        raise Forbidden(_("Hanya peserta atau coach/mentor yang mengonfirmasi sesi."), code="not_a_party")
    mine = "learner_confirmed_at" if actor.id == e.learner_id else "coach_confirmed_at"
    if getattr(s, mine) is not None:
        raise Conflict(_("Anda sudah mengonfirmasi sesi ini; menunggu pihak lain."), code="already_confirmed")
    # Lock the row: two confirmations at once must not both see "one missing" and skip the credit.
    locked = db.session.scalar(select(CoachingSession).where(CoachingSession.id == s.id).with_for_update()
                               .execution_options(populate_existing=True))
    setattr(locked, mine, utcnow())
    db.session.flush()
    if locked.confirmed and locked.ledger_entry_id is None:
        _credit(e, locked)
    return locked


def _credit(e: Engagement, s: CoachingSession) -> None:
    from app.ledger import rules
    from app.ledger.operations import append_entry

    rule = rules.rule_by_code(RULES[e.kind])
    computed = rules.compute(rule, minutes=s.minutes)
    title = (_("Coaching bersama %(who)s", who=e.coach.name) if e.kind == "coaching"
             else _("Mentoring bersama %(who)s", who=e.coach.name))
    entry, _created = append_entry(
        e.learner, kind=rule.kind, category=rule.category, title=title, occurred_on=s.held_on, jp=computed.jp,
        minutes=computed.minutes, rule=rule, source_type="coaching", source_id=s.id, organiser=e.coach.name,
        start_date=s.held_on, end_date=s.held_on)
    s.ledger_entry_id = entry.id
    db.session.flush()
    jp = f"{computed.jp:f}".rstrip("0").rstrip(".")
    notify(e.learner, _("%(jp)s JP dari sesi %(kind)s %(d)s", jp=jp, kind=e.kind, d=s.held_on.isoformat()),
           computed.explanation, link=link_to("ledger.my_jp", year=entry.year))
