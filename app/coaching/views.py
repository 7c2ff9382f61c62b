"""Coaching and mentoring pages: thin routes over coaching.operations and coaching.queries."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.queries import user_by_nip
from app.coaching import operations as ops
from app.coaching import queries as q
from app.coaching.forms import EngagementForm, SessionForm
from app.errors import BadInput, LenteraError
from app.extensions import db
from app.home import PanelRows
from app.web import HomePanel, NavItem, flash_error, page_args, run_operation, staff_required

bp = Blueprint("coaching", __name__)

STAFF = ("bpsdm", "admin")
NAV = [
    NavItem(_l("Coaching & mentoring"), "coaching.index", order=33, group="development"),
    NavItem(_l("Coaching per unit"), "coaching.per_unit", roles=STAFF, order=67, group="manage"),
]


def _panel_rows(user) -> PanelRows:
    def context(parts: dict[str, list]) -> dict | None:
        pending = [SimpleNamespace(engagement_id=r.i1, held_on=r.d1, minutes=r.i2, topics=r.s1)
                   for r in parts["coaching.pending"]]
        return {"pending": pending} if pending else None

    return PanelRows([q.home_pending_rows()], context=context)


HOME_PANELS = [HomePanel("coaching/_home.html", order=9, rows=_panel_rows)]


@bp.get("/pendampingan")
@login_required
def index():
    page, per_page = page_args()
    mine = list(db.session.scalars(q.mine_stmt(current_user).limit(per_page).offset((page - 1) * per_page)))
    staff = list(db.session.scalars(q.staff_stmt(current_user).limit(50)))
    totals = q.session_totals([e.id for e in mine + staff])
    return render_template("coaching/index.html", mine=mine, staff=staff, totals=totals,
                           pending=q.pending_for(current_user))


@bp.route("/pendampingan/baru", methods=["GET", "POST"])
@login_required
def new():
    form = EngagementForm()
    if request.method == "GET":
        form.learner_nip.data = form.learner_nip.data or current_user.nip
    learner = user_by_nip((form.learner_nip.data or "").strip()) if form.learner_nip.data else None
    gaps, items = q.learner_goal_choices(learner) if learner is not None and learner.id == current_user.id else ([], [])
    form.links.choices = [(f"gap:{g.competency}", f"{g.competency} {g.name}") for g in gaps] + \
                         [(f"plan:{i.id}", i.title) for i in items]
    if form.validate_on_submit():
        try:
            coach = user_by_nip(form.coach_nip.data.strip())
            if learner is None or coach is None:
                raise BadInput(_("NIP peserta atau coach/mentor tidak ditemukan."))
            goals = [{"text": line.strip()} for line in (form.goals.data or "").splitlines() if line.strip()]
            names = {g.competency: g.name for g in gaps}
            titles = {str(i.id): i for i in items}
            for link in form.links.data or []:
                kind, _sep, value = link.partition(":")
                if kind == "gap" and value in names:
                    goals.append({"text": _("Menutup kesenjangan %(c)s %(n)s", c=value, n=names[value]), "competency": value})
                elif kind == "plan" and value in titles:
                    goals.append({"text": titles[value].title, "plan_item_id": int(value)})
            e = ops.start_engagement(current_user, kind=form.kind.data, learner=learner, coach=coach, goals=goals)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Pendampingan dibuka."), "success")
            return redirect(url_for("coaching.engagement", engagement_id=e.id))
    return render_template("coaching/new.html", form=form)


def _visible(engagement_id: int):
    return q.visible_engagement(current_user, engagement_id)


@bp.route("/pendampingan/<int:engagement_id>", methods=["GET", "POST"])
@login_required
def engagement(engagement_id: int):
    e = _visible(engagement_id)
    form = SessionForm()
    if q.is_party(current_user, e) and form.validate_on_submit():
        if run_operation(lambda: ops.record_session(current_user, e, held_on=form.held_on.data,
                                                    minutes=form.minutes.data, topics=form.topics.data,
                                                    actions=form.actions.data or ""),
                         _("Sesi dicatat; menunggu konfirmasi pihak lain.")):
            return redirect(url_for("coaching.engagement", engagement_id=e.id))
    return render_template("coaching/engagement.html", e=e, form=form, party=q.is_party(current_user, e))


@bp.post("/pendampingan/<int:engagement_id>/sesi/<int:session_id>/konfirmasi")
@login_required
def confirm(engagement_id: int, session_id: int):
    e = _visible(engagement_id)
    try:
        s = q.get_session(e, session_id)
        ops.confirm_session(current_user, e, s)
    except LenteraError as exc:
        flash_error(exc)
    else:
        flash(_("Sesi dikonfirmasi; JP dicatat di riwayat JP peserta.") if s.confirmed else _("Sesi dikonfirmasi."),
              "success")
    return redirect(url_for("coaching.engagement", engagement_id=e.id))


@bp.post("/pendampingan/<int:engagement_id>/tutup")
@login_required
def close(engagement_id: int):
    e = _visible(engagement_id)
    run_operation(lambda: ops.close_engagement(current_user, e), _("Pendampingan ditutup."))
    return redirect(url_for("coaching.engagement", engagement_id=e.id))


@bp.get("/bpsdm/pendampingan")
@staff_required(*STAFF)
def per_unit():
    from app.ledger.operations import current_year

    try:
        year = int(request.args.get("tahun", current_year()))
    except ValueError:
        year = current_year()
    if not 2000 <= year <= 2100:
        year = current_year()
    return render_template("coaching/per_unit.html", rows=q.per_unit(current_user, year), year=year)
