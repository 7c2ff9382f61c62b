"""Pages of the JP ledger: "JP saya", claims, the verification queue, attendance, rules, export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_domain
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from app.accounts.models import Unit, User
from app.accounts.queries import can_see_person, organisation_wide, person_in_reach, reach, units_in_reach, user_by_nip
from app.errors import LenteraError, NotFound
from app.extensions import db
from app.home import PanelRows
from app.ledger import chain, queries, rules
from app.ledger import operations as ops
from app.ledger.forms import (
    AttendanceListForm,
    AttendanceUploadForm,
    BatchForm,
    ClaimForm,
    ExportForm,
    ManualEntryForm,
    ReverseForm,
    ReviewForm,
    RuleForm,
)
from app.ledger.models import SIASN_TYPES, AttendanceBatch, Claim, JpRule, LedgerEntry
from app.web import HomePanel, NavItem, flash_error, staff_required

bp = Blueprint("ledger", __name__)
STAFF = ("bpsdm", "admin")

NAV = [
    NavItem(_l("JP saya"), "ledger.my_jp", order=20),
    NavItem(_l("Buku besar JP"), "ledger.manage", roles=STAFF, order=61, group="manage"),
]


def _staff_panel(user: User) -> dict:
    pending = db.session.scalar(select(func.count()).select_from(queries.claims_queue(user).order_by(None).subquery()))
    return {"pending": pending}


def _home_panel_rows(user: User) -> PanelRows:
    year = ops.current_year()
    root_unit = queries.home_root_unit(user)

    def context(parts: dict[str, list]) -> dict:
        (row,) = parts["ledger.total"]  # an aggregate: always one row
        total = rules.q(row.n1 or 0)
        return {"ring": queries.ring(total, queries.home_target(root_unit, row.i1)), "year": year}

    return PanelRows([queries.home_total_rows()], {"ledger_year": year, "ledger_root_unit": root_unit}, context)


HOME_PANELS = [
    HomePanel("ledger/_home_learner.html", order=20, rows=_home_panel_rows),
    HomePanel("ledger/_home_staff.html", _staff_panel, roles=STAFF, order=60),
]


#: Where an entry came from, as the entries table names it.
SOURCE_LABELS = {"course": _l("Kursus Lentera"), "claim": _l("Klaim"), "attendance": _l("Daftar hadir"),
                 "manual": _l("Dicatat BPSDM"), "reversal": _l("Pembatalan")}
#: The 10:20:70 mix's categories, in the order shown.
MIX_LABELS = (("classical", _l("Klasikal / formal")), ("social", _l("Sosial")), ("experiential", _l("Pengalaman kerja")))
_LABELS_BY_CATALOG: dict[object, dict[str, Any]] = {}


@bp.app_template_global("jp_labels")
def jp_labels() -> dict[str, Any]:
    """The labels of a year's entries table and mix in the reader's language ("sources": by source
    type, "mix": (category, label) in order), translated once per language and process instead of
    eight translations every time a ledger is shown; Markup, as the templates' `_()` gave them."""
    catalog = get_domain().get_translations()
    kept = _LABELS_BY_CATALOG.get(catalog)
    if kept is None:
        kept = _LABELS_BY_CATALOG[catalog] = {
            "sources": {k: Markup(str(v)) for k, v in SOURCE_LABELS.items()},
            "mix": tuple((k, Markup(str(v))) for k, v in MIX_LABELS)}
    return kept


@bp.app_template_filter("jp_kind")
def jp_kind(kind: str) -> str:
    """The Indonesian name of a ledger kind (course, seminar, coaching, …)."""
    return rules.kind_label(kind)


def _year_arg() -> int:
    try:
        year = int(request.args.get("year") or ops.current_year())
    except ValueError:
        abort(400)
    if not 1900 <= year <= 2200:
        abort(400)
    return year


def _ledger_context(person: User, year: int, target: int, ledger: queries.YearLedger | None = None) -> dict:
    ledger = ledger or queries.year_ledger(person.id, year)
    return {"person": person, "year": year, "entries": ledger.entries, "reversed": ledger.reversed,
            "ring": queries.ring(ledger.total, target), "years": ledger.years, "mix": ledger.mix(),
            "siasn": SIASN_TYPES}


# --- the learner ---------------------------------------------------------------------------------

@bp.get("/jp")
@login_required
def my_jp():
    year = _year_arg()
    ledger, target, claims = queries.my_jp(current_user, year)
    ctx = _ledger_context(current_user, year, target, ledger)
    return render_template("ledger/my_jp.html", claims=claims, **ctx)


@bp.get("/jp/transkrip/<int:year>.pdf")
@login_required
def my_transcript(year: int):
    return _transcript(current_user, year)


def _transcript(person: User, year: int) -> Response:
    from app.ledger.pdf import transcript_pdf

    ledger = queries.year_ledger(person.id, year)
    pdf = transcript_pdf(person, year, ledger.entries, ledger.total, queries.target_for(person), ledger.reversed)
    name = f"transkrip-jp-{person.nip or person.username}-{year}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/jp/klaim")
@login_required
def my_claims():
    return render_template("ledger/my_claims.html", claims=queries.my_claims(current_user))


def _rule_choices(rules_list: list[JpRule]) -> list[tuple[str, str]]:
    units = {"per_day": _("per hari"), "minutes": _("menit"), "per_curriculum": _("kurikulum")}
    return [(r.code, f"{r.code} · {r.name} ({units.get(r.unit, r.unit)})") for r in rules_list]


@bp.route("/jp/klaim/baru", methods=["GET", "POST"])
@login_required
def new_claim():
    form = ClaimForm()
    active = rules.active_rules()
    form.rule.choices = _rule_choices(active)
    if form.validate_on_submit():
        f = form.evidence.data
        try:
            claim = ops.submit_claim(
                current_user, rule=rules.rule_by_code(form.rule.data), title=form.title.data,
                organiser=form.organiser.data, start_date=form.start_date.data, end_date=form.end_date.data,
                days=form.days.data, minutes=form.minutes.data, stated_jp=form.stated_jp.data,
                international=form.international.data, certificate_number=form.certificate_number.data,
                filename=f.filename or "", data=f.read())
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Klaim \u201c%(title)s\u201d dikirim untuk diverifikasi BPSDM.", title=claim.title), "success")
            return redirect(url_for("ledger.my_claims"))
    return render_template("ledger/claim_form.html", form=form, rules=active, jp_minutes=rules.jp_minutes()), \
        (422 if request.method == "POST" else 200)


@bp.get("/jp/klaim/<int:claim_id>/bukti")
@login_required
def claim_evidence(claim_id: int):
    from app.storage import send_stored

    claim = db.get_or_404(Claim, claim_id)
    if claim.user_id != current_user.id and not ops.can_review(current_user, claim) and not (
            current_user.has_role(*STAFF) and reach(current_user).covers(claim.user)):
        abort(403)
    return send_stored(claim.evidence_key, filename=claim.evidence_name, mimetype=claim.evidence_type)


# --- BPSDM: the verification queue -----------------------------------------------------------------

@bp.get("/jp/verifikasi")
@staff_required(*STAFF)
def queue():
    state = request.args.get("state", "submitted")
    if state not in ("submitted", "approved", "rejected"):
        abort(400)
    claims = list(db.session.scalars(queries.claims_queue(current_user, state).limit(500)))
    return render_template("ledger/queue.html", claims=claims, state=state)


def _claim_for_review(claim_id: int) -> Claim:
    claim = db.get_or_404(Claim, claim_id)
    if not (current_user.has_role(*STAFF) and claim.user_id != current_user.id
            and reach(current_user).covers(claim.user)):
        abort(403)
    return claim


@bp.get("/jp/verifikasi/<int:claim_id>")
@staff_required(*STAFF)
def review(claim_id: int):
    claim = _claim_for_review(claim_id)
    computed = error = None
    try:
        computed = rules.compute(claim.rule, days=claim.days, minutes=claim.minutes, stated_jp=claim.stated_jp,
                                 international=claim.international)
    except LenteraError as exc:
        error = exc.message
    return render_template("ledger/review.html", claim=claim, computed=computed, error=error, form=ReviewForm(),
                           person_total=queries.year_total(claim.user_id, claim.end_date.year))


@bp.post("/jp/verifikasi/<int:claim_id>/setujui")
@staff_required(*STAFF)
def approve(claim_id: int):
    claim = _claim_for_review(claim_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        entry = ops.approve_claim(current_user, claim, form.reason.data)
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("ledger.review", claim_id=claim_id))
    flash(_("Klaim disetujui: %(jp)s JP dicatat untuk %(name)s.", jp=f"{entry.jp:f}".rstrip("0").rstrip("."),
            name=claim.user.name), "success")
    return redirect(url_for("ledger.queue"))


@bp.post("/jp/verifikasi/<int:claim_id>/tolak")
@staff_required(*STAFF)
def reject(claim_id: int):
    claim = _claim_for_review(claim_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.reject_claim(current_user, claim, form.reason.data or "")
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("ledger.review", claim_id=claim_id))
    flash(_("Klaim ditolak; %(name)s diberi tahu alasannya.", name=claim.user.name), "success")
    return redirect(url_for("ledger.queue"))


# --- BPSDM: the hub, a person's ledger, manual entries and reversals ---------------------------------

@bp.get("/jp/kelola")
@staff_required(*STAFF)
def manage():
    nip = (request.args.get("nip") or "").strip()
    if nip:
        person = user_by_nip(nip)
        if person is None or not can_see_person(current_user, person):
            flash(_("Pegawai dengan NIP %(nip)s tidak ditemukan di jangkauan Anda.", nip=nip), "error")
        else:
            return redirect(url_for("ledger.person", nip=nip))
    pending = db.session.scalar(select(func.count()).select_from(
        queries.claims_queue(current_user).order_by(None).subquery()))
    return render_template("ledger/manage.html", pending=pending, nip=nip)


@bp.get("/jp/integritas")
@staff_required(*STAFF)
def integrity():
    return render_template("ledger/integrity.html", result=chain.verify())


@bp.get("/jp/pegawai/<nip>")
@login_required
def person(nip: str):
    p = person_in_reach(current_user, nip)
    ctx = _ledger_context(p, _year_arg(), queries.target_for(p))
    ctx["can_reverse"] = current_user.has_role(*STAFF) and reach(current_user).covers_unit(p.unit)
    ctx["reverse_form"] = ReverseForm()
    return render_template("ledger/person.html", **ctx)


@bp.get("/jp/pegawai/<nip>/transkrip/<int:year>.pdf")
@login_required
def person_transcript(nip: str, year: int):
    return _transcript(person_in_reach(current_user, nip), year)


@bp.post("/jp/entri/<int:entry_id>/batal")
@staff_required(*STAFF)
def reverse(entry_id: int):
    entry = db.get_or_404(LedgerEntry, entry_id)
    person = db.session.get(User, entry.user_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        flash(_("Alasan pembatalan wajib diisi."), "error")
    else:
        try:
            ops.reverse_entry(current_user, entry, form.reason.data)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Entri dibatalkan. Catat entri pengganti bila perlu."), "success")
    return redirect(url_for("ledger.person", nip=person.nip, year=entry.year) if person.nip else url_for("ledger.manage"))


@bp.route("/jp/entri-baru", methods=["GET", "POST"])
@staff_required(*STAFF)
def new_entry():
    form = ManualEntryForm()
    form.kind.choices = [(k, rules.kind_label(k)) for k in rules.known_kinds()]
    if request.method == "GET" and request.args.get("nip"):
        form.nip.data = request.args["nip"]
    if form.validate_on_submit():
        try:
            p = user_by_nip(form.nip.data.strip())
            if p is None:
                raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=form.nip.data))
            entry = ops.record_manual(current_user, p, kind=form.kind.data, title=form.title.data,
                                      occurred_on=form.occurred_on.data, jp=form.jp.data, minutes=form.minutes.data,
                                      organiser=form.organiser.data, certificate_number=form.certificate_number.data,
                                      reason=form.reason.data or None)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("%(jp)s JP dicatat untuk %(name)s.", jp=f"{entry.jp:f}".rstrip("0").rstrip("."), name=p.name),
                  "success")
            return redirect(url_for("ledger.person", nip=p.nip, year=entry.year))
    return render_template("ledger/entry_form.html", form=form)


# --- BPSDM: attendance ---------------------------------------------------------------------------

@bp.route("/jp/kehadiran", methods=["GET", "POST"])
@staff_required(*STAFF)
def batches():
    form = BatchForm()
    form.rule.choices = _rule_choices([r for r in rules.active_rules() if r.code.startswith("KL")])
    if form.validate_on_submit():
        try:
            batch = ops.create_batch(current_user, rule=rules.rule_by_code(form.rule.data), title=form.title.data,
                                     organiser=form.organiser.data, start_date=form.start_date.data,
                                     end_date=form.end_date.data, days=form.days.data, minutes=form.minutes.data,
                                     stated_jp=form.stated_jp.data, international=form.international.data)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Pelatihan dibuat: %(jp)s JP per peserta. Sekarang catat daftar hadirnya.",
                    jp=f"{batch.jp:f}".rstrip("0").rstrip(".")), "success")
            return redirect(url_for("ledger.batch", batch_id=batch.id))
    rows = list(db.session.scalars(queries.batches(current_user).limit(200)))
    counts = dict(db.session.execute(select(LedgerEntry.source_id, func.count()).where(
        LedgerEntry.source_type == "attendance", LedgerEntry.source_id.in_([b.id for b in rows]))
        .group_by(LedgerEntry.source_id)).all()) if rows else {}
    return render_template("ledger/batches.html", form=form, batches=rows, counts=counts)


def _batch(batch_id: int) -> AttendanceBatch:
    batch = db.get_or_404(AttendanceBatch, batch_id)
    r = reach(current_user)
    if not (r.everything or batch.created_by_id == current_user.id or (batch.unit and r.covers_unit(batch.unit))):
        abort(403)
    return batch


def _render_batch(batch: AttendanceBatch, details=None, result=None, status: int = 200):
    return render_template("ledger/batch.html", batch=batch, list_form=AttendanceListForm(),
                           upload_form=AttendanceUploadForm(), entries=queries.batch_entries(batch),
                           details=details, result=result), status


@bp.get("/jp/kehadiran/<int:batch_id>")
@staff_required(*STAFF)
def batch(batch_id: int):
    return _render_batch(_batch(batch_id))


@bp.post("/jp/kehadiran/<int:batch_id>/daftar")
@staff_required(*STAFF)
def batch_list(batch_id: int):
    b = _batch(batch_id)
    form = AttendanceListForm()
    if not form.validate_on_submit():
        flash(_("Isi NIP peserta, satu per baris."), "error")
        return _render_batch(b, status=400)
    return _record(b, lambda: ops.record_attendance(current_user, b, ops.parse_nip_list(form.nips.data)))


@bp.post("/jp/kehadiran/<int:batch_id>/unggah")
@staff_required(*STAFF)
def batch_upload(batch_id: int):
    b = _batch(batch_id)
    form = AttendanceUploadForm()
    if not form.validate_on_submit():
        flash(_("Pilih berkas CSV atau XLSX."), "error")
        return _render_batch(b, status=400)
    f = form.file.data
    return _record(b, lambda: ops.import_attendance(current_user, b, f.filename or "", f.read()))


def _record(b: AttendanceBatch, action):
    try:
        result = action()
    except LenteraError as exc:
        flash_error(exc)
        return _render_batch(db.session.get(AttendanceBatch, b.id), details=exc.details, status=exc.status)
    flash(_("%(n)d peserta dikreditkan; %(k)d sudah tercatat sebelumnya.", n=result["credited"], k=result["already"]),
          "success")
    return _render_batch(b, result=result)


# --- BPSDM: rules -----------------------------------------------------------------------------------

@bp.get("/jp/aturan")
@staff_required(*STAFF)
def rules_list():
    return render_template("ledger/rules.html", rules=rules.all_rules(), siasn=SIASN_TYPES,
                           jp_minutes=rules.jp_minutes(), can_edit=organisation_wide(current_user))


@bp.route("/jp/aturan/<code>", methods=["GET", "POST"])
@staff_required(*STAFF)
def rule_edit(code: str):
    rule = db.session.scalar(select(JpRule).where(JpRule.code == code))
    if rule is None:
        abort(404)
    if not organisation_wide(current_user):
        abort(403)  # the rules hold for every unit: see ledger.operations.update_rule
    form = RuleForm(obj=rule)
    form.jenis_diklat_id.choices = [(0, "—")] + [(k, f"{k} · {v}") for k, v in SIASN_TYPES.items()]
    if request.method == "GET":
        form.jenis_diklat_id.data = rule.jenis_diklat_id or 0
    if form.validate_on_submit():
        try:
            ops.update_rule(current_user, rule, name=form.name.data, category=form.category.data, unit=form.unit.data,
                            jp_national=form.jp_national.data, jp_international=form.jp_international.data,
                            international_bonus_pct=form.international_bonus_pct.data or 0,
                            jenis_diklat_id=form.jenis_diklat_id.data or None, active=form.active.data)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Aturan %(code)s disimpan. Entri yang sudah tercatat tidak berubah.", code=code), "success")
            return redirect(url_for("ledger.rules_list"))
    return render_template("ledger/rule_form.html", form=form, rule=rule)


# --- BPSDM: SIASN export -----------------------------------------------------------------------------

@bp.get("/jp/ekspor")
@staff_required(*STAFF)
def export():
    form = ExportForm(request.args)
    units = units_in_reach(current_user)
    form.unit.choices = [(u.id, ("— " * u.depth) + u.name) for u in units]
    if request.args.get("unit") and form.validate():
        unit = db.session.get(Unit, form.unit.data)
        if unit is None or not reach(current_user).covers_unit(unit):
            abort(403)
        body = queries.export_csv(current_user, unit, form.year.data)
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="siasn-diklat-{unit.id}-{form.year.data}.csv"'})
    if not form.year.data:
        form.year.data = ops.current_year()
    return render_template("ledger/export.html", form=form, columns=queries.SIASN_COLUMNS)


