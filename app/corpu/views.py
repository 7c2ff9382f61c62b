"""CMB pages: my competencies, the dictionary, standards and assessments, development plans,
the training-needs map, programs and the talent pool."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.forms import ImportForm
from app.accounts.models import Unit, User
from app.accounts.queries import can_see_person, organisation_wide, person_in_reach, reach, units_in_reach, user_by_nip
from app.corpu import operations as ops
from app.corpu import queries as q
from app.corpu.forms import (
    KIND_LABELS,
    RATING_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    AssessmentForm,
    BudgetForm,
    CompetencyForm,
    DecisionForm,
    PlanItemForm,
    ProgramForm,
    RecertifyForm,
    StandardForm,
)
from app.corpu.gaps import employee_gaps, home_gap_rows, home_gaps
from app.corpu.models import DevelopmentPlan, PlanItem, PositionStandard, Program
from app.corpu.needs import instansi_of, needs_xlsx, training_needs
from app.corpu.recommend import recommendations
from app.courses.models import Course
from app.errors import LenteraError
from app.extensions import db
from app.home import PanelRows
from app.inputs import is_digits
from app.web import HomePanel, NavItem, flash_error, run_operation, staff_required

bp = Blueprint("corpu", __name__)

STAFF = ("admin", "bpsdm")


def require_organisation_wide(*roles: str) -> None:
    """403 unless the person's reach is the whole organisation: the dictionary, position standards,
    programs and course costs belong to no unit, so a unit-limited admin or BPSDM officer would be
    changing them for everyone."""
    if not organisation_wide(current_user, roles or STAFF):
        abort(403)


def _top_gaps_rows(user) -> PanelRows:
    branches = [q.home_notice_rows()]
    if user.position_id is not None:  # without a position there is no standard to fall short of
        branches.append(home_gap_rows())

    def context(parts: dict[str, list]) -> dict | None:
        gaps = home_gaps(parts["corpu.gaps"])[:3]
        notices = [SimpleNamespace(message=r.s1) for r in parts["corpu.notices"]]
        if not gaps and not notices:
            return None
        return {"gaps": gaps, "notices": notices}

    return PanelRows(branches, {"corpu_position": user.position_id}, context)


def _awaiting(user):
    if not q.headed_paths(user):
        return None
    return {"plans": q.staff_plans(user, status="submitted")}


NAV = [
    NavItem(_l("Kompetensi saya"), "corpu.mine", order=30, group="development"),
    NavItem(_l("Rencana pengembangan"), "corpu.plan", order=31, group="development"),
    NavItem(_l("Program"), "corpu.programs", order=32, group="development"),
    NavItem(_l("Kamus kompetensi"), "corpu.dictionary", roles=STAFF, order=63, group="manage"),
    NavItem(_l("Kebutuhan pelatihan"), "corpu.needs", roles=STAFF, order=64, group="manage"),
    NavItem(_l("Talenta"), "corpu.talent", roles=STAFF, order=65, group="manage"),
]
HOME_PANELS = [
    HomePanel("corpu/_home_gaps.html", order=30, rows=_top_gaps_rows),
    HomePanel("corpu/_home_approvals.html", _awaiting, order=31),
]


@bp.app_context_processor
def labels():
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS,
            "rating_labels": RATING_LABELS}


def _competency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} · {c.name}") for c in q.all_competencies()]


# --- my competencies ---------------------------------------------------------------------------

def _profile(person: User, own: bool):
    gaps = employee_gaps(person)
    return render_template("corpu/mine.html", person=person, own=own, gaps=gaps,
                           recs=recommendations(person, gaps), evidence=q.course_evidence(person),
                           history=q.assessment_history(person, 20),
                           chart={"labels": [g.competency for g in gaps],
                                  "names": [g.name for g in gaps],
                                  "required": [g.required_level for g in gaps],
                                  "current": [g.current_level for g in gaps],
                                  "title_required": _("Level dipersyaratkan"),
                                  "title_current": _("Level saat ini")})


@bp.get("/kompetensi")
@login_required
def mine():
    return _profile(current_user, True)


@bp.get("/kompetensi/pegawai/<nip>")
@login_required
def person(nip: str):
    who = person_in_reach(current_user, nip)
    return _profile(who, who.id == current_user.id)


@bp.post("/kompetensi/daftar/<int:course_id>")
@login_required
def enrol(course_id: int):
    """Enrol oneself in a recommended course, through the course engine's own self-enrolment rule."""
    from app.courses.operations import self_enrol

    course = db.get_or_404(Course, course_id)
    run_operation(lambda: self_enrol(course, current_user), _("Anda terdaftar di kursus %(t)s.", t=course.title))
    return redirect(url_for("corpu.mine"))


@bp.post("/kompetensi/pemberitahuan/<int:notice_id>/baca")
@login_required
def notice_read(notice_id: int):
    run_operation(lambda: ops.mark_notice_read(notice_id, current_user))
    from app.redirects import safe_local_path

    return redirect(safe_local_path(request.referrer))


# --- dictionary --------------------------------------------------------------------------------

@bp.get("/kompetensi/kamus")
@login_required
def dictionary():
    return render_template("corpu/dictionary.html", competencies=q.all_competencies())


def _competency_levels(form: CompetencyForm) -> dict[int, tuple[str, str]]:
    out = {}
    for i in range(1, 6):
        desc = getattr(form, f"level{i}").data or ""
        ind = getattr(form, f"ind{i}").data or ""
        if desc.strip() or ind.strip():
            out[i] = (desc, ind)
    return out


@bp.route("/kompetensi/kamus/baru", methods=["GET", "POST"])
@bp.route("/kompetensi/kamus/<code>/ubah", methods=["GET", "POST"])
@staff_required("admin")
def competency_edit(code: str | None = None):
    require_organisation_wide("admin")
    comp = ops.get_competency(code) if code else None
    form = CompetencyForm(obj=comp)
    if request.method == "GET" and comp is not None:
        for lv in comp.levels:
            getattr(form, f"level{lv.level}").data = lv.description
            getattr(form, f"ind{lv.level}").data = lv.indicators
    status = 200
    if form.validate_on_submit():
        try:
            saved = ops.save_competency(form.code.data, name=form.name.data, group=form.group.data,
                                        description=form.description.data or "", levels=_competency_levels(form),
                                        competency=comp)
            flash(_("Kompetensi %(c)s disimpan.", c=saved.code), "success")
            return redirect(url_for("corpu.dictionary") + f"#{saved.code}")
        except LenteraError as exc:
            flash_error(exc)
            status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("corpu/competency_edit.html", form=form, comp=comp), status


IMPORTS = {
    "kamus": (_l("Impor kamus kompetensi"), "code, name, group, level, description",
              _l("Satu baris per level; kolom opsional indicators (dipisah |)."), ("admin",)),
    "standar": (_l("Impor standar kompetensi jabatan"), "jabatan, competency, required_level", "", ("admin",)),
    "asesmen": (_l("Impor hasil penilaian kompetensi"), "nip, competency, level, assessed_on, source",
                _l("source: assessment_centre atau supervisor; tanggal YYYY-MM-DD."), STAFF),
    "talenta": (_l("Impor nilai kinerja dan potensi"), "nip, kinerja, potensi, periode",
                _l("Nilai low/medium/high (rendah/sedang/tinggi); periode mis. 2025 atau 2025-S1."), STAFF),
}


@bp.route("/kompetensi/impor/<kind>", methods=["GET", "POST"])
@login_required
def import_page(kind: str):
    if kind not in IMPORTS:
        abort(404)
    title, columns, hint, roles = IMPORTS[kind]
    if not current_user.has_role(*roles):
        abort(403)
    if kind in ("kamus", "standar"):
        require_organisation_wide("admin")
    form = ImportForm()
    details, status, result = [], 200, None
    if form.validate_on_submit():
        f = form.file.data
        name, data = f.filename or "", f.read()
        try:
            if kind == "kamus":
                result = ops.import_competencies(name, data)
            elif kind == "standar":
                result = ops.import_standards(name, data)
            elif kind == "asesmen":
                result = ops.import_assessments(name, data, reach(current_user), by=current_user)
            else:
                result = ops.import_talent(name, data, reach(current_user))
            flash(_("Impor selesai."), "success")
        except LenteraError as exc:
            flash_error(exc)
            details, status = exc.details, exc.status
    return render_template("corpu/import.html", form=form, title=title, columns=columns, hint=hint,
                           details=details, result=result), status


# --- standards and assessments -----------------------------------------------------------------

@bp.route("/kompetensi/standar", methods=["GET", "POST"])
@staff_required(*STAFF)
def standards():
    form = StandardForm()
    form.competency.choices = _competency_choices()
    status = 200
    if request.method == "POST":
        require_organisation_wide("admin")
        if form.validate_on_submit():
            from app.accounts.operations import get_or_create_position

            try:
                ops.set_standard(get_or_create_position(" ".join(form.position.data.split())),
                                 ops.get_competency(form.competency.data), form.required_level.data)
                flash(_("Standar disimpan."), "success")
                return redirect(url_for("corpu.standards"))
            except LenteraError as exc:
                flash_error(exc)
                status = exc.status
        else:
            status = 400
    return render_template("corpu/standards.html", form=form, standards=q.standards(),
                           positions=q.positions()), status


@bp.post("/kompetensi/standar/<int:std_id>/hapus")
@staff_required("admin")
def standard_delete(std_id: int):
    require_organisation_wide("admin")
    std = db.get_or_404(PositionStandard, std_id)
    ops.delete_standard(std)
    flash(_("Standar dihapus."), "success")
    return redirect(url_for("corpu.standards"))


@bp.route("/kompetensi/asesmen", methods=["GET", "POST"])
@staff_required(*STAFF)
def assessment_new():
    form = AssessmentForm()
    form.competency.choices = _competency_choices()
    status = 200
    if form.validate_on_submit():
        who = user_by_nip(form.nip.data.strip())
        if who is None:
            form.nip.errors.append(_("Pegawai dengan NIP ini tidak ditemukan."))
            status = 400
        elif not reach(current_user).covers(who):
            form.nip.errors.append(_("Pegawai ini di luar jangkauan Anda."))
            status = 403
        else:
            try:
                ops.record_assessment(who, ops.get_competency(form.competency.data), form.level.data,
                                      form.assessed_on.data, form.source.data, by=current_user)
                flash(_("Penilaian untuk %(n)s dicatat.", n=who.name), "success")
                return redirect(url_for("corpu.person", nip=who.nip))
            except LenteraError as exc:
                flash_error(exc)
                status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("corpu/assessment_new.html", form=form), status


# --- development plans -------------------------------------------------------------------------

def _year() -> int:
    try:
        year = int(request.args.get("tahun", date.today().year))
    except ValueError:
        abort(400)
    if not 2000 <= year <= 2100:
        abort(400)
    return year


@bp.get("/rencana")
@login_required
def plan():
    year = _year()
    plan = ops.plan_for(current_user, year, create=False)
    form = PlanItemForm()
    form.competency.choices = [("", "—")] + _competency_choices()
    recs = recommendations(current_user)
    in_plan = {i.course_id for i in plan.items} if plan else set()
    return render_template("corpu/plan.html", plan=plan, year=year, form=form,
                           progress=q.plan_progress(plan) if plan else None,
                           recs=[r for r in recs if r.course.id not in in_plan],
                           can_approve=bool(q.headed_paths(current_user)))


@bp.post("/rencana/<int:year>/kursus/<int:course_id>")
@login_required
def plan_add_course(year: int, course_id: int):
    course = db.get_or_404(Course, course_id)
    codes = next((r.closes for r in recommendations(current_user) if r.course.id == course_id), [])
    run_operation(lambda: ops.add_plan_item(ops.plan_for(current_user, year), current_user, kind="course",
                                            course=course, competency_code=codes[0] if codes else None),
                  _("%(t)s ditambahkan ke rencana.", t=course.title))
    return redirect(url_for("corpu.plan", tahun=year))


@bp.post("/rencana/<int:year>/kegiatan")
@login_required
def plan_add_activity(year: int):
    form = PlanItemForm()
    form.competency.choices = [("", "—")] + _competency_choices()
    if form.validate_on_submit():
        run_operation(lambda: ops.add_plan_item(ops.plan_for(current_user, year), current_user, kind=form.kind.data,
                                                title=form.title.data, planned_jp=form.planned_jp.data,
                                                competency_code=form.competency.data or None),
                      _("Kegiatan ditambahkan ke rencana."))
    else:
        for name, field_errors in form.errors.items():
            for e in field_errors:
                flash(f"{form[name].label.text}: {e}", "error")
    return redirect(url_for("corpu.plan", tahun=year))


def _own_item(item_id: int) -> PlanItem:
    item = db.session.get(PlanItem, item_id)
    if item is None or item.plan.user_id != current_user.id:
        abort(404)
    return item


@bp.post("/rencana/butir/<int:item_id>/hapus")
@login_required
def plan_item_delete(item_id: int):
    item = _own_item(item_id)
    year = item.plan.year
    run_operation(lambda: ops.remove_plan_item(item, current_user))
    return redirect(url_for("corpu.plan", tahun=year))


@bp.post("/rencana/butir/<int:item_id>/selesai")
@login_required
def plan_item_done(item_id: int):
    item = _own_item(item_id)
    year = item.plan.year
    run_operation(lambda: ops.mark_item_done(item, current_user))
    return redirect(url_for("corpu.plan", tahun=year))


@bp.post("/rencana/<int:year>/ajukan")
@login_required
def plan_submit(year: int):
    plan = ops.plan_for(current_user, year, create=False)
    if plan is None:
        abort(404)
    run_operation(lambda: ops.submit_plan(plan, current_user), _("Rencana diajukan ke atasan."))
    return redirect(url_for("corpu.plan", tahun=year))


@bp.get("/rencana/staf")
@login_required
def staff_plans():
    if not q.headed_paths(current_user):
        abort(403)
    return render_template("corpu/staff_plans.html", waiting=q.staff_plans(current_user, status="submitted"),
                           plans=q.staff_plans(current_user))


def _visible_plan(plan_id: int) -> DevelopmentPlan:
    plan = db.get_or_404(DevelopmentPlan, plan_id)
    if not can_see_person(current_user, plan.user):
        abort(403)
    return plan


@bp.route("/rencana/<int:plan_id>/tinjau", methods=["GET", "POST"])
@login_required
def plan_review(plan_id: int):
    from app.accounts.queries import is_supervisor_of

    plan = _visible_plan(plan_id)
    form = DecisionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                if request.form.get("decision") == "approve":
                    ops.approve_plan(plan, current_user, form.comment.data or "")
                    msg = _("Rencana %(n)s disetujui.", n=plan.user.name)
                else:
                    ops.return_plan(plan, current_user, form.comment.data or "")
                    msg = _("Rencana %(n)s dikembalikan dengan catatan.", n=plan.user.name)
                flash(msg, "success")
                return redirect(url_for("corpu.staff_plans"))
            except LenteraError as exc:
                flash_error(exc)
                status = exc.status
        else:
            status = 400
    return render_template("corpu/plan_review.html", plan=plan, form=form, progress=q.plan_progress(plan),
                           can_decide=is_supervisor_of(current_user, plan.user) and plan.status == "submitted"), status


# --- training-needs map ------------------------------------------------------------------------

def _needs_unit() -> Unit | None:
    raw = request.args.get("unit", "")
    if not raw:
        return None
    try:
        unit = db.session.get(Unit, int(raw))
    except ValueError:
        abort(400)
    if unit is None:
        abort(404)
    if not reach(current_user).covers_unit(unit):
        abort(403)
    return unit


@bp.get("/kebutuhan-pelatihan")
@staff_required(*STAFF)
def needs():
    year, unit = _year(), _needs_unit()
    units = units_in_reach(current_user)
    if unit is None and units and not reach(current_user).everything:
        unit = units[0]
    m = training_needs(unit, year, reach(current_user))
    return render_template("corpu/needs.html", m=m, units=units, unit=unit, year=year, budget_form=BudgetForm(),
                           instansi=instansi_of(unit) if unit else None)


@bp.get("/kebutuhan-pelatihan.xlsx")
@staff_required(*STAFF)
def needs_export():
    import io

    year, unit = _year(), _needs_unit()
    data = needs_xlsx(training_needs(unit, year, reach(current_user)))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"kebutuhan-pelatihan-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/kebutuhan-pelatihan/anggaran/<int:unit_id>/<int:year>")
@staff_required(*STAFF)
def budget(unit_id: int, year: int):
    unit = db.get_or_404(Unit, unit_id)
    if not reach(current_user).covers_unit(instansi_of(unit)):
        abort(403)  # the APBD is the whole instansi's, not one OPD's
    form = BudgetForm()
    if form.validate_on_submit():
        run_operation(lambda: ops.set_budget(instansi_of(unit), year, form.apbd.data, by=current_user),
                      _("APBD %(y)d disimpan.", y=year))
    else:
        flash(_("APBD harus angka tidak negatif."), "error")
    return redirect(url_for("corpu.needs", unit=unit_id, tahun=year))


@bp.route("/kebutuhan-pelatihan/biaya", methods=["GET", "POST"])
@staff_required(*STAFF)
def costs():
    if request.method == "POST":
        from flask_wtf import FlaskForm

        require_organisation_wide()  # a course's cost is the same for every unit that sends people
        if not FlaskForm().validate_on_submit():  # the CSRF token
            abort(400)
        course_id = request.form.get("course_id", "")
        course = db.session.get(Course, int(course_id)) if is_digits(course_id) else None
        if course is None:
            abort(404)
        run_operation(lambda: ops.set_course_cost(course, request.form.get("cost", "")),
                      _("Biaya %(t)s disimpan.", t=course.title))
        return redirect(url_for("corpu.costs"))
    return render_template("corpu/costs.html", rows=q.course_costs())


# --- programs ----------------------------------------------------------------------------------

@bp.get("/program")
@login_required
def programs():
    items = [q.program_status(p, current_user) for p in q.programs()]
    return render_template("corpu/programs.html", items=items)


@bp.route("/program/<int:program_id>", methods=["GET", "POST"])
@login_required
def program(program_id: int):
    prog = db.get_or_404(Program, program_id)
    form = RecertifyForm()
    status = 200
    if request.method == "POST":
        if not current_user.has_role(*STAFF):
            abort(403)
        if form.validate_on_submit():
            who = user_by_nip(form.nip.data.strip())
            if who is None or not reach(current_user).covers(who):
                form.nip.errors.append(_("Pegawai tidak ditemukan dalam jangkauan Anda."))
                status = 400
            else:
                try:
                    ops.recertify(prog, who, form.on.data, by=current_user)
                    flash(_("Sertifikasi ulang %(n)s dicatat.", n=who.name), "success")
                    return redirect(url_for("corpu.program", program_id=prog.id))
                except LenteraError as exc:
                    flash_error(exc)
                    status = exc.status
        else:
            status = 400
    holders = q.program_holders(prog, reach(current_user)) if current_user.has_role(*STAFF) else []
    return render_template("corpu/program.html", prog=prog, st=q.program_status(prog, current_user), form=form,
                           holders=holders, today=date.today()), status


@bp.route("/program/baru", methods=["GET", "POST"])
@bp.route("/program/<int:program_id>/ubah", methods=["GET", "POST"])
@staff_required(*STAFF)
def program_edit(program_id: int | None = None):
    require_organisation_wide()
    prog = db.session.get(Program, program_id) if program_id else None
    if program_id and prog is None:
        abort(404)
    form = ProgramForm(obj=prog)
    if request.method == "GET" and prog is not None:
        form.courses.data = "\n".join(pc.course.code for pc in prog.courses)
    elif request.method == "POST":
        # Without a `courses` field WTForms falls back to the program's own `courses` (a list of rows).
        form.courses.data = request.form.get("courses", "")
    status = 200
    if form.validate_on_submit():
        codes = [c.strip() for c in form.courses.data.splitlines() if c.strip()]
        found = {c.code: c.id for c in db.session.scalars(select(Course).where(Course.code.in_(codes)))}
        missing = [c for c in codes if c not in found]
        if missing:
            form.courses.errors.append(_("Kode kursus tidak dikenal: %(c)s.", c=", ".join(missing)))
            status = 400
        else:
            try:
                saved = ops.save_program(code=form.code.data, title=form.title.data,
                                         description=form.description.data or "",
                                         validity_years=form.validity_years.data,
                                         certificate=form.certificate.data,
                                         course_ids=[found[c] for c in codes], program=prog)
                flash(_("Program disimpan."), "success")
                return redirect(url_for("corpu.program", program_id=saved.id))
            except LenteraError as exc:
                flash_error(exc)
                status = exc.status
    elif request.method == "POST":
        status = 400
    return render_template("corpu/program_edit.html", form=form, prog=prog), status


# --- talent pool -------------------------------------------------------------------------------

@bp.get("/talenta")
@staff_required(*STAFF)
def talent():
    periods = q.talent_periods()
    period = request.args.get("periode") or (periods[0] if periods else "")
    unit = _needs_unit()
    r = reach(current_user)
    counts = q.nine_box(unit, period, r) if period else dict.fromkeys(range(1, 10), 0)
    box = request.args.get("kotak", type=int)
    people = q.box_people(unit, period, box, r) if period and box in range(1, 10) else None
    return render_template("corpu/talent.html", periods=periods, period=period, unit=unit,
                           units=units_in_reach(current_user), counts=counts, grid=q.nine_box_grid(), box=box,
                           people=people, total=sum(counts.values()))


def _decimal(value) -> Decimal:
    return Decimal(value or 0)


@bp.app_template_filter("rupiah")
def rupiah(value) -> str:
    """Rupiah with thousands separated by dots, no decimals: Rp1.250.000."""
    amount = _decimal(value).quantize(Decimal(1))
    return "Rp" + f"{amount:,}".replace(",", ".")


__all__ = ["bp", "NAV", "HOME_PANELS"]
