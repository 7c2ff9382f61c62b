"""Pages: my certificates, the PDF, public verification, staff search/revoke/re-issue, bulk ZIP,
templates with preview."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import Unit, utcnow
from app.accounts.queries import organisation_wide, reach, units_in_reach
from app.certificates import operations as ops
from app.certificates import queries as q
from app.certificates.forms import ReissueForm, RevokeForm, TemplateForm, ZipForm
from app.certificates.models import Certificate, CertificateTemplate
from app.certificates.operations import throttle_public_verify
from app.errors import LenteraError
from app.extensions import db
from app.home import PanelRows
from app.jobs.models import Job
from app.storage import send_stored
from app.web import HomePanel, NavItem, flash_error, page_of, run_operation, staff_required

bp = Blueprint("certificates", __name__)

NAV = [
    NavItem(_l("Sertifikat saya"), "certificates.mine", order=40),
    NavItem(_l("Sertifikat"), "certificates.staff_list", roles=("admin", "bpsdm"), order=66, group="manage"),
]


def _home_panel_rows(user) -> PanelRows:
    def context(parts: dict[str, list]) -> dict | None:
        rows = [SimpleNamespace(serial=r.s1, title=r.s2) for r in parts["certificates.latest"]]
        return {"certificates": rows} if rows else None

    return PanelRows([q.home_latest_rows()], context=context)


HOME_PANELS = [HomePanel("certificates/_home.html", order=40, rows=_home_panel_rows)]

STATUS_LABELS = {"valid": _l("Sah"), "revoked": _l("Dicabut"), "expired": _l("Kedaluwarsa"),
                 "replaced": _l("Diganti")}


#: Training types of certificates not tied to a course (a course's SIASN type prints as stored).
TYPE_LABELS = {"program": _l("Program pelatihan"), "sertifikasi": _l("Sertifikasi")}


def type_label(training_type: str | None) -> str:
    return str(TYPE_LABELS[training_type]) if training_type in TYPE_LABELS else (training_type or "")


@bp.app_context_processor
def _labels():
    return {"cert_status_labels": STATUS_LABELS, "cert_type_label": type_label}


def _today() -> date:
    return utcnow().date()


# --- learners ------------------------------------------------------------------------------------

@bp.get("/sertifikat-saya")
@login_required
def mine():
    return render_template("certificates/mine.html", rows=q.certificates_of(current_user), today=_today())


@bp.get("/certificates/<path:serial>.pdf")
@login_required
def pdf(serial: str):
    cert = q.by_serial(serial)
    if cert is None:
        abort(404)
    if not q.can_download(current_user, cert):
        abort(403)
    key = ops.ensure_pdf(cert)
    return send_stored(key, filename=ops.pdf_filename(cert), mimetype="application/pdf",
                       as_attachment=request.args.get("download") == "1")


# --- public verification ---------------------------------------------------------------------------

@bp.get("/verify")
def verify_form():
    """The public form: type (or paste, or scan) a certificate's number and open its verify page."""
    throttle_public_verify()
    raw = (request.args.get("serial") or "").strip()
    serial = q.serial_from_input(raw)
    if serial:
        return redirect(url_for("certificates.verify", serial=serial))
    return render_template("certificates/verify_form.html", raw=raw), 400 if raw else 200


@bp.get("/verify/<path:serial>")
def verify(serial: str):
    throttle_public_verify()
    cert = q.by_public_id(serial)
    if cert is None:
        return render_template("certificates/verify.html", cert=None, serial=serial), 404
    return render_template("certificates/verify.html", cert=cert, serial=cert.serial, status=cert.status(_today()),
                           masked_nip=q.mask_nip(cert.holder_nip))


# --- staff -------------------------------------------------------------------------------------

def _filters_from(args) -> dict:
    def _int(name):
        try:
            return int(args.get(name) or 0) or None
        except ValueError:
            return None

    def _date(name):
        try:
            return date.fromisoformat(args.get(name)) if args.get(name) else None
        except ValueError:
            return None

    return {"q": (args.get("q") or "").strip() or None, "course_id": _int("course_id"), "unit_id": _int("unit_id"),
            "date_from": _date("date_from"), "date_to": _date("date_to"),
            "status": args.get("status") if args.get("status") in ("active", "revoked", "replaced") else None}


def _course_choices():
    from app.courses.models import Course

    courses = db.session.execute(select(Course.id, Course.title).where(Course.certificate.is_(True))
                                 .order_by(Course.title)).all()
    return [(0, _("Semua kursus"))] + [(c.id, c.title) for c in courses]


def _unit_choices():
    return [(0, _("Semua unit"))] + [(u.id, ("— " * u.depth) + u.name) for u in units_in_reach(current_user)]


@bp.get("/sertifikat")
@staff_required("admin", "bpsdm")
def staff_list():
    filters = _filters_from(request.args)
    listing = page_of(q.search_stmt(current_user, **filters), per_page=50)
    zip_form = ZipForm(formdata=None, course_id=filters["course_id"] or 0, unit_id=filters["unit_id"] or 0,
                       date_from=filters["date_from"], date_to=filters["date_to"])
    zip_form.course_id.choices = _course_choices()
    zip_form.unit_id.choices = _unit_choices()
    args = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    return render_template("certificates/staff_list.html", rows=listing.rows, total=listing.total,
                           page=listing.page, per_page=listing.per_page,
                           filters=filters, args=args, zip_form=zip_form, today=_today(),
                           courses=_course_choices(), units=_unit_choices())


def _managed(cert_id: int) -> Certificate:
    cert = db.get_or_404(Certificate, cert_id)
    if not q.can_manage(current_user, cert):
        abort(403)
    return cert


@bp.get("/sertifikat/<int:cert_id>")
@staff_required("admin", "bpsdm")
def detail(cert_id: int):
    cert = _managed(cert_id)
    replaces = db.session.scalars(select(Certificate).where(Certificate.replaced_by_id == cert.id)).all()
    return render_template("certificates/detail.html", cert=cert, status=cert.status(_today()), replaces=replaces,
                           revoke_form=RevokeForm(), reissue_form=ReissueForm())


@bp.post("/sertifikat/<int:cert_id>/cabut")
@staff_required("admin", "bpsdm")
def revoke(cert_id: int):
    cert = _managed(cert_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Alasan pencabutan wajib diisi."), "error")
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    run_operation(lambda: ops.revoke(cert, current_user, form.reason.data),
                  _("Sertifikat %(s)s dicabut.", s=cert.serial))
    return redirect(url_for("certificates.detail", cert_id=cert_id))


@bp.post("/sertifikat/<int:cert_id>/terbitkan-ulang")
@staff_required("admin", "bpsdm")
def reissue(cert_id: int):
    cert = _managed(cert_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        flash(_("Periksa isian formulir."), "error")
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    try:
        new = ops.reissue(cert, current_user, holder_name=form.holder_name.data)
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("certificates.detail", cert_id=cert_id))
    flash(_("Sertifikat baru %(new)s menggantikan %(old)s.", new=new.serial, old=cert.serial), "success")
    return redirect(url_for("certificates.detail", cert_id=new.id))


@bp.post("/sertifikat/zip")
@staff_required("admin", "bpsdm")
def zip_request():
    form = ZipForm()
    form.course_id.choices = _course_choices()
    form.unit_id.choices = _unit_choices()
    if not form.validate_on_submit():
        flash(_("Periksa saringan unduhan."), "error")
        return redirect(url_for("certificates.staff_list"))
    filters = {"course_id": form.course_id.data or None, "unit_id": form.unit_id.data or None,
               "date_from": form.date_from.data, "date_to": form.date_to.data}
    try:
        job = ops.request_zip(current_user, filters)
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("certificates.staff_list"))
    return redirect(url_for("certificates.zip_status", job_id=job.id))


def _own_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.kind != "certificates.zip":
        abort(404)
    if job.created_by_id != current_user.id:
        abort(403)
    return job


@bp.get("/sertifikat/zip/<int:job_id>")
@staff_required("admin", "bpsdm")
def zip_status(job_id: int):
    return render_template("certificates/zip.html", job=_own_job(job_id))


@bp.get("/sertifikat/zip/<int:job_id>.json")
@staff_required("admin", "bpsdm")
def zip_status_json(job_id: int):
    job = _own_job(job_id)
    return jsonify({"state": job.state, "progress": job.progress, "message": job.message,
                    "download": url_for("certificates.zip_download", job_id=job.id) if job.state == "done" else None})


@bp.get("/sertifikat/zip/<int:job_id>/unduh")
@staff_required("admin", "bpsdm")
def zip_download(job_id: int):
    job = _own_job(job_id)
    if job.state != "done" or not job.result:
        abort(404)
    return send_stored(job.result["key"], filename=job.result["filename"], mimetype="application/zip",
                       as_attachment=True)


# --- templates ----------------------------------------------------------------------------------

@bp.get("/sertifikat/templat")
@staff_required("admin", "bpsdm")
def templates():
    from app.courses.models import Course

    r = reach(current_user)
    instansi = [u for u in units_in_reach(current_user) if u.parent_id is None and r.covers_unit(u)]
    have = {t.unit_id for t in q.templates_in_reach(current_user) if t.unit_id}
    courses = db.session.execute(select(Course.id, Course.title).where(Course.certificate.is_(True))
                                 .order_by(Course.title)).all()
    have_course = {t.course_id for t in q.templates_in_reach(current_user) if t.course_id}
    return render_template("certificates/templates.html", rows=q.templates_in_reach(current_user),
                           instansi=[u for u in instansi if u.id not in have],
                           courses=[c for c in courses if c.id not in have_course])


def _editable(tpl: CertificateTemplate) -> CertificateTemplate:
    if tpl.unit_id is not None and not reach(current_user).covers_unit(tpl.unit):
        abort(403)
    if tpl.unit_id is None and not organisation_wide(current_user):
        abort(403)  # a course's template is printed on every holder's certificate, whatever their unit
    return tpl


def _template_fields(form: TemplateForm) -> dict:
    layout = None
    if form.layout_json.data and form.layout_json.data.strip():
        try:
            layout = json.loads(form.layout_json.data)
        except ValueError:
            from app.errors import BadInput

            raise BadInput(_("Tata letak bukan JSON yang valid."), code="layout") from None
    fields = {"heading": form.heading.data, "serial_format": form.serial_format.data,
              "serial_code": form.serial_code.data, "place_of_issue": form.place_of_issue.data or "",
              "signatory_name": form.signatory_name.data or "", "signatory_position": form.signatory_position.data or "",
              "signatory_nip": form.signatory_nip.data or "", "validity_years": form.validity_years.data,
              "layout": layout if layout is not None else {}}
    for kind in ops.IMAGE_KINDS:
        f = request.files.get(kind)
        if f is not None and f.filename:
            fields[kind] = (f.filename, f.read())
        elif request.form.get(f"remove_{kind}"):
            fields[kind] = ""
    return fields


@bp.route("/sertifikat/templat/baru", methods=["GET", "POST"])
@staff_required("admin", "bpsdm")
def template_new():
    from app.courses.models import Course

    unit = db.session.get(Unit, request.args.get("unit_id", type=int) or 0)
    course = db.session.get(Course, request.args.get("course_id", type=int) or 0)
    if unit is None and course is None:
        abort(404)
    if unit is not None and not reach(current_user).covers_unit(unit):
        abort(403)
    if unit is None and not organisation_wide(current_user):
        abort(403)  # see _editable
    form = TemplateForm()
    if request.method == "GET":
        base = ops.default_template(unit)
        form.heading.data, form.serial_format.data, form.serial_code.data = base.heading, base.serial_format, \
            base.serial_code
    if form.validate_on_submit():
        try:
            tpl = ops.save_template(None, unit=unit, course_id=course.id if course else None, **_template_fields(form))
            flash(_("Templat disimpan."), "success")
            return redirect(url_for("certificates.template_edit", tpl_id=tpl.id))
        except LenteraError as exc:
            flash_error(exc)
    return render_template("certificates/template_edit.html", form=form, tpl=None, unit=unit, course=course)


@bp.route("/sertifikat/templat/<int:tpl_id>", methods=["GET", "POST"])
@staff_required("admin", "bpsdm")
def template_edit(tpl_id: int):
    tpl = _editable(db.session.get(CertificateTemplate, tpl_id) or abort(404))
    form = TemplateForm(obj=tpl)
    if request.method == "GET":
        form.layout_json.data = json.dumps(tpl.layout or {}, indent=1) if tpl.layout else ""
    if form.validate_on_submit():
        try:
            ops.save_template(tpl, **_template_fields(form))
            flash(_("Templat disimpan."), "success")
            return redirect(url_for("certificates.template_edit", tpl_id=tpl.id))
        except LenteraError as exc:
            flash_error(exc)
    from app.courses.models import Course

    course = db.session.get(Course, tpl.course_id) if tpl.course_id else None
    return render_template("certificates/template_edit.html", form=form, tpl=tpl, unit=tpl.unit, course=course,
                           default_layout=json.dumps(ops.DEFAULT_LAYOUT, indent=1))


@bp.get("/sertifikat/templat/<int:tpl_id>/pratinjau")
@staff_required("admin", "bpsdm")
def template_preview(tpl_id: int):
    tpl = _editable(db.session.get(CertificateTemplate, tpl_id) or abort(404))
    return render_template("certificates/preview.html", tpl=tpl)


@bp.get("/sertifikat/templat/<int:tpl_id>/pratinjau.pdf")
@staff_required("admin", "bpsdm")
def template_preview_pdf(tpl_id: int):
    tpl = _editable(db.session.get(CertificateTemplate, tpl_id) or abort(404))
    return Response(ops.sample_certificate(tpl), mimetype="application/pdf",
                    headers={"Content-Disposition": "inline; filename=pratinjau-sertifikat.pdf",
                             "Cache-Control": "no-store"})


# --- classroom training (attendance lists of the JP ledger) ----------------------------------------

@bp.get("/sertifikat/kehadiran")
@staff_required("admin", "bpsdm")
def attendance_batches():
    from sqlalchemy import func

    from app.ledger.queries import batches

    rows = list(db.session.scalars(batches(current_user).limit(200)))
    issued = dict(db.session.execute(
        select(Certificate.source_ref, func.count()).where(Certificate.source == "attendance",
                                                           Certificate.current_key.is_not(None),
                                                           Certificate.source_ref.in_([str(b.id) for b in rows]))
        .group_by(Certificate.source_ref)).all())
    counts = {b.id: len(ops.attendees(b)) for b in rows}
    return render_template("certificates/attendance.html", rows=rows, issued=issued, counts=counts)


@bp.post("/sertifikat/kehadiran/<int:batch_id>/terbitkan")
@staff_required("admin", "bpsdm")
def attendance_issue(batch_id: int):
    from app.ledger.models import AttendanceBatch

    batch = db.get_or_404(AttendanceBatch, batch_id)
    try:
        result = ops.issue_for_attendance(current_user, batch)
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("certificates.attendance_batches"))
    flash(_("%(n)d sertifikat diterbitkan untuk \u201c%(t)s\u201d (%(a)d sudah punya).", n=result["issued"],
            t=batch.title, a=result["already"]), "success")
    return redirect(url_for("certificates.staff_list", q=batch.title))
