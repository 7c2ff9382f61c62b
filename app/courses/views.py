"""Course pages: the catalogue, "Kursus saya", the course and activity pages for learners;
authoring, participants, attendance and packages for instructors and staff. Thin routes:
parse, call an operation or a query, commit, render."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_domain, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from jinja2 import TemplateNotFound
from markupsafe import Markup
from sqlalchemy import select

from app import spreadsheets
from app.accounts.models import Position, Unit
from app.accounts.queries import session_writes, units_in_reach, user_by_nip, user_by_username
from app.cache import versioned
from app.courses import operations as ops
from app.courses import queries as q
from app.courses.activity_types import LABELS, REGISTRY
from app.courses.forms import (
    ActivityForm,
    CourseForm,
    EnrolNipForm,
    EnrolPositionForm,
    EnrolUnitForm,
    PackageForm,
    SectionForm,
    parse_competencies,
)
from app.courses.models import COURSE_MODES
from app.courses.package import export_package, import_package
from app.courses.render import outline_html
from app.errors import Forbidden, LenteraError, NotFound, error_response
from app.extensions import db
from app.home import PanelRows
from app.inputs import is_digits
from app.web import HomePanel, NavItem, flash_error, run_operation, staff_required, undo

bp = Blueprint("courses", __name__)

NAV = [
    NavItem(_l("Katalog"), "courses.catalogue", order=10),
    NavItem(_l("Kursus saya"), "courses.my_courses", order=11),
    NavItem(_l("Mengajar"), "courses.teach", roles=("instructor", "admin"), order=12),
]


def _teacher_panel(user):
    courses = q.teaching_courses(user)[:6]
    return {"teaching": courses, "counts": q.enrolment_counts([c.id for c in courses])}


def _learner_panel_rows(user) -> PanelRows:
    return PanelRows([q.home_my_courses_rows()], context=lambda parts: {"my": q.home_my_courses(parts["courses.mine"])})


HOME_PANELS = [
    HomePanel("courses/_home_learner.html", order=10, rows=_learner_panel_rows),
    HomePanel("courses/_home_instructor.html", _teacher_panel, roles=("instructor",), order=11),
]
MODE_LABELS = {"online": _l("Daring"), "classroom": _l("Klasikal"), "blended": _l("Campuran")}


@bp.app_context_processor
def _labels():
    return {"activity_labels": LABELS, "mode_labels": MODE_LABELS}


_LABELS_BY_CATALOG: dict[object, dict[str, dict[str, Markup]]] = {}


def _labels_here() -> dict[str, dict[str, Markup]]:
    """The activity-type and mode labels in the reader's language, for the learner pages that show
    one per course or activity: translated once per language and process (a lazy label looks the
    request's catalog up again each time it is shown). Markup, as a lazy label is shown unescaped."""
    catalog = get_domain().get_translations()
    kept = _LABELS_BY_CATALOG.get(catalog)
    if kept is None or len(kept["activity_labels"]) != len(LABELS):  # a module registered a type late
        kept = {"activity_labels": {k: Markup(str(v)) for k, v in LABELS.items()},
                "mode_labels": {k: Markup(str(v)) for k, v in MODE_LABELS.items()}}
        _LABELS_BY_CATALOG[catalog] = kept
    return kept


def _decimal_arg(name: str) -> Decimal | None:
    raw = (request.args.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None  # ?jp_min=NaN filters nothing rather than crashing


# --- learners -------------------------------------------------------------------------------------------

@bp.get("/katalog")
@login_required
def catalogue():
    f = q.CatalogueFilters(q=(request.args.get("q") or "").strip(), competency=(request.args.get("competency") or "").strip(),
                           mode=request.args.get("mode") if request.args.get("mode") in COURSE_MODES else "",
                           jp_min=_decimal_arg("jp_min"), jp_max=_decimal_arg("jp_max"))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    cards, total, codes = q.catalogue(current_user, f, page, per_page=24)
    enrolled = q.enrolled_course_ids(current_user, [c.id for c in cards])
    return render_template("courses/catalogue.html", courses=cards, f=f, enrolled=enrolled,
                           total=total, page=page, per_page=24, codes=codes, modes=COURSE_MODES,
                           jp_min=request.args.get("jp_min", ""), jp_max=request.args.get("jp_max", ""),
                           **_labels_here())


@bp.get("/kursus-saya")
@login_required
def my_courses():
    return render_template("courses/my_courses.html", rows=q.my_courses(current_user))


#: The roles that may edit a course or manage its people (queries.can_edit, queries.staff_reach):
#: without one of them a reader's course page needs no rights checked beyond the course being published.
COURSE_STAFF_ROLES = ("instructor", "admin", "bpsdm")


@bp.get("/kursus/<int:course_id>")
@login_required
def course(course_id: int):
    if not current_user.has_role(*COURSE_STAFF_ROLES):
        # Most readers: nothing to edit, nobody to manage; the course's card and outline are the
        # worker's kept copies, the reader's progress read with the course's version.
        outline = q.learner_course_page(current_user, course_id)
        c, editor, preview, staff = outline.course, False, False, False
    else:
        c = q.visible_course(current_user, course_id)
        editor = q.can_edit(current_user, c)
        preview = editor and request.args.get("pratinjau") == "1"
        outline = q.course_outline(c, current_user, include_hidden=editor and not preview)
        # An editor always has a reach; bpsdm staff and scoped admins may have one (staff_reach).
        staff = editor or (current_user.has_role("bpsdm", "admin") and q.staff_reach(current_user, c) is not None)
    labels = _labels_here()
    return render_template("courses/course.html", course=c, outline=outline, editor=editor, preview=preview,
                           staff=staff, offline_card=_offline_card(c, outline, editor),
                           outline_html=outline_html(outline, editor, labels["activity_labels"]), **labels)


def _offline_card(c, outline, editor: bool) -> Markup:
    """The offline-learning card of the sync module on the course page (sync/_download.html, if
    installed). An enrolled learner's is the same for every learner of the course in one language
    (its addresses, the course's title, fifteen translated labels: a tenth of the page's work), so
    it is rendered once per course version, language and script root and kept per worker
    (app/cache.py: an author's change to the course renders it again); the rest every time."""
    def render() -> Markup:
        try:
            return Markup(render_template("sync/_download.html", course=c, outline=outline, editor=editor))
        except TemplateNotFound:
            return Markup("")

    if outline.enrolment is None or current_app.debug or current_app.config.get("TEMPLATES_AUTO_RELOAD"):
        return render()
    key = (get_domain().get_translations(), request.script_root, c.id)
    return versioned("offline_card", key, c.content_version, render)


@bp.post("/kursus/<int:course_id>/daftar")
@login_required
def enrol_self(course_id: int):
    c = q.visible_course(current_user, course_id)
    run_operation(lambda: ops.self_enrol(c, current_user), _("Anda terdaftar di kursus ini. Selamat belajar!"))
    return redirect(url_for("courses.course", course_id=c.id))


@bp.get("/kursus/<int:course_id>/lanjutkan")
@login_required
def resume(course_id: int):
    c = q.visible_course(current_user, course_id)
    outline = q.course_outline(c, current_user)
    target = outline.resume_activity
    if outline.enrolment is None or target is None:
        return redirect(url_for("courses.course", course_id=c.id))
    return redirect(url_for("courses.activity", activity_id=target.id))


def _activity_for_viewer(activity_id: int):
    """The activity, its course, the viewer's enrolment, whether this is a staff preview and the
    viewer's progress in the course (q.ViewerState)."""
    user = current_user._get_current_object()  # each read through the proxy is a few calls
    a, person = q.activity_for_viewer(user, activity_id)
    c = a.course
    if not q.can_view(user, c):
        raise NotFound(_("Kursus tidak ditemukan."))  # an unpublished course does not exist for learners
    editor = q.can_edit(user, c)
    if not editor and (not a.visible or not a.section.visible):
        raise NotFound(_("Aktivitas tidak ditemukan."))
    if person.enrolment is None and not editor:
        raise Forbidden(_("Daftar ke kursus ini dulu untuk membuka aktivitasnya."))
    return a, c, person.enrolment, editor, person


@bp.get("/aktivitas/<int:activity_id>")
@login_required
def activity(activity_id: int):
    a, c, enrolment, editor, person = _activity_for_viewer(activity_id)
    user = current_user._get_current_object()
    t = REGISTRY.get(a.type)
    # A device storing the page for offline learning (app/sync) is not the learner reading it:
    # the device records the visit when the page is opened.
    if enrolment is not None and request.headers.get("X-Lentera-Offline-Copy") != "1":
        ops.touch_enrolment(enrolment, a)
        if a.type == "lesson" and a.visible and a.section.visible and a.id not in person.completed_ids:
            # The first view completes the lesson (and maybe the course): the outline reads the
            # progress again, after it. A lesson already done has nothing to lock or read.
            ops.complete_activity(user, a, source="view")
            person = None
        db.session.flush()
    session = db.session()  # the request's session itself: each read through the scoped proxy is a few calls
    writes = session_writes(session)
    ctx = t.view_context(a, user) if t is not None and t.view_context is not None else {}
    if session_writes(session) != writes or session.new or session.dirty or session.deleted:
        person = None  # the activity's own part wrote (an overdue attempt submitted...): read again
    outline = q.course_outline(c, user, person=person)
    acts = outline.activities()
    idx = next((i for i, x in enumerate(acts) if x.id == a.id), None)
    prev_a = acts[idx - 1] if idx else None
    next_a = acts[idx + 1] if idx is not None and idx + 1 < len(acts) else None
    page = render_template("courses/activity.html", activity=a, course=c, t=t, ctx=ctx, outline=outline,
                           enrolled=enrolment is not None, editor=editor, prev_a=prev_a, next_a=next_a,
                           **_labels_here())
    # The visit is committed by the request once this view returns, after rendering: a commit
    # expires every loaded object, and the page would load the person, the course and the activity
    # a second time to show them (app/web.py, one transaction per request).
    return page


@bp.get("/aktivitas/<int:activity_id>/berkas")
@login_required
def activity_file(activity_id: int):
    a, _c, enrolment, _editor, _person = _activity_for_viewer(activity_id)
    if a.type != "file" or not a.file_key:
        abort(404)
    if enrolment is not None:
        ops.record_view(current_user, a)
    from app.storage import send_stored

    return send_stored(a.file_key, filename=a.file_name, as_attachment=True)


_IMAGE_NAME = r"[0-9a-f]{24}\.(?:png|jpg|gif|webp)"


@bp.post("/kursus/<int:course_id>/gambar")
@login_required
def course_image_upload(course_id: int):
    """The rich-text editor's picture upload: answers {"url"} to insert, or the error envelope."""
    c = q.editable_course(current_user, course_id)
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return error_response(400, "bad_request", _("Pilih gambar yang akan diunggah."))
    try:
        name = ops.store_course_image(c, upload.stream)
    except LenteraError as exc:
        undo()
        return error_response(exc.status, exc.code, exc.message)
    return {"url": url_for("courses.course_image", course_id=c.id, name=name)}, 201


@bp.get("/kursus/<int:course_id>/gambar/<name>")
@login_required
def course_image(course_id: int, name: str):
    """Pictures in a course's text, for whoever may read the course."""
    import re

    c = q.get_course(course_id)
    if not q.can_view(current_user, c) or not re.fullmatch(_IMAGE_NAME, name):
        abort(404)
    from app.storage import send_stored

    # The name is the content's hash: it never changes, so the browser may keep it.
    return send_stored(f"courses/{c.id}/images/{name}", filename=name, max_age=30 * 24 * 3600)


@bp.get("/aktivitas/<int:activity_id>/buka")
@login_required
def activity_link(activity_id: int):
    a, _c, enrolment, _editor, _person = _activity_for_viewer(activity_id)
    if a.type != "link":
        abort(404)
    if enrolment is not None:
        ops.record_view(current_user, a)
    return redirect(a.settings.get("url") or url_for("courses.activity", activity_id=a.id))


# --- teaching: courses ------------------------------------------------------------------------------------

@bp.get("/mengajar")
@staff_required("instructor", "admin")
def teach():
    courses = q.teaching_courses(current_user)
    return render_template("courses/teach.html", courses=courses, counts=q.enrolment_counts([c.id for c in courses]))


def _course_fields(form: CourseForm) -> dict:
    return dict(title=form.title.data, summary=form.summary.data or "", jp=form.jp.data, mode=form.mode.data,
                self_enrol=form.self_enrol.data, certificate=form.certificate.data, published=form.published.data,
                organiser=form.organiser.data, training_type=form.training_type.data or None,
                start_date=form.start_date.data, end_date=form.end_date.data)


@bp.route("/mengajar/kursus/baru", methods=["GET", "POST"])
@staff_required("instructor", "admin")
def course_new():
    form = CourseForm(data={"jp": "2", "published": False} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            c = ops.create_course(current_user, code=form.code.data, competencies=parse_competencies(form.competency_lines.data),
                                  **_course_fields(form))
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Kursus dibuat. Tambahkan bagian dan aktivitasnya."), "success")
            return redirect(url_for("courses.course_edit", course_id=c.id))
    return render_template("courses/course_form.html", form=form, course=None), 200 if request.method == "GET" else 422


@bp.route("/mengajar/kursus/<int:course_id>", methods=["GET", "POST"])
@login_required
def course_edit(course_id: int):
    c = q.editable_course(current_user, course_id)
    data = None
    if request.method == "GET":
        data = {"competency_lines": "\n".join(f"{x.code}:{x.level}" for x in c.competencies),
                "jp": format(c.jp.normalize(), "f"), "training_type": c.training_type or ""}
    form = CourseForm(obj=c, data=data)
    form.code.render_kw = {"readonly": True}
    if form.validate_on_submit():
        if run_operation(lambda: ops.update_course(c, competencies=parse_competencies(form.competency_lines.data),
                                                   **_course_fields(form)), _("Kursus disimpan.")):
            return redirect(url_for("courses.course_edit", course_id=c.id))
    outline = q.course_outline(c, current_user, include_hidden=True)
    return render_template("courses/course_edit.html", form=form, course=c, outline=outline, section_form=SectionForm(),
                           types=[(name, t.label) for name, t in REGISTRY.items()])


@bp.post("/mengajar/kursus/<int:course_id>/duplikat")
@login_required
def course_duplicate(course_id: int):
    c = q.editable_course(current_user, course_id)
    copy = ops.duplicate_course(c, current_user)
    flash(_("Salinan dibuat (belum terbit)."), "success")
    return redirect(url_for("courses.course_edit", course_id=copy.id))


@bp.get("/mengajar/kursus/<int:course_id>/ekspor")
@login_required
def course_export(course_id: int):
    c = q.editable_course(current_user, course_id)
    data = export_package(c)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{c.code}.zip"'})


@bp.route("/mengajar/impor", methods=["GET", "POST"])
@staff_required("instructor", "admin")
def package_import():
    form = PackageForm()
    details, status = [], 200
    if form.validate_on_submit():
        try:
            c, created = import_package(form.file.data.read(), current_user, editor=current_user)
        except LenteraError as exc:
            flash_error(exc)
            details, status = exc.details, exc.status
        else:
            flash(_("Paket diimpor: kursus %(t)s %(w)s.", t=c.title, w=_("dibuat") if created else _("diperbarui")),
                  "success")
            return redirect(url_for("courses.course_edit", course_id=c.id))
    return render_template("courses/package_import.html", form=form, details=details), status


@bp.post("/mengajar/kursus/<int:course_id>/instruktur")
@login_required
def course_instructors(course_id: int):
    c = q.editable_course(current_user, course_id)
    person = user_by_username((request.form.get("username") or "").strip())
    if person is None:
        flash(_("Pengguna tidak ditemukan."), "error")
        return redirect(url_for("courses.course_edit", course_id=c.id))
    if request.form.get("action") == "hapus":
        return _run(c.id, ops.remove_instructor, c, person, message=_("Instruktur dilepas dari kursus."))
    return _run(c.id, ops.add_instructor, c, person, message=_("%(n)s menjadi instruktur kursus ini.", n=person.name))


# --- teaching: sections and activities ------------------------------------------------------------------

def _editable_section(section_id: int):
    s = q.get_section(section_id)
    q.editable_course(current_user, s.course_id)
    return s


def _editable_activity(activity_id: int):
    a = q.get_activity(activity_id)
    q.editable_course(current_user, a.course_id)
    return a


def _back(course_id: int, anchor: str = ""):
    return redirect(url_for("courses.course_edit", course_id=course_id) + anchor)


def _run(course_id: int, fn, *args, anchor: str = "", message: str | None = None, **kwargs):
    run_operation(lambda: fn(*args, **kwargs), message)
    return _back(course_id, anchor)


@bp.post("/mengajar/kursus/<int:course_id>/bagian")
@login_required
def section_add(course_id: int):
    c = q.editable_course(current_user, course_id)
    return _run(c.id, ops.add_section, c, request.form.get("title", ""), message=_("Bagian ditambahkan."))


@bp.post("/mengajar/bagian/<int:section_id>")
@login_required
def section_update(section_id: int):
    s = _editable_section(section_id)
    return _run(s.course_id, ops.update_section, s, title=request.form.get("title", ""), anchor=f"#bagian-{s.id}")


@bp.post("/mengajar/bagian/<int:section_id>/<any(naik, turun):direction>")
@login_required
def section_move(section_id: int, direction: str):
    s = _editable_section(section_id)
    return _run(s.course_id, ops.move_section, s, -1 if direction == "naik" else 1, anchor=f"#bagian-{s.id}")


@bp.post("/mengajar/bagian/<int:section_id>/<any(tampilkan, sembunyikan):action>")
@login_required
def section_visibility(section_id: int, action: str):
    s = _editable_section(section_id)
    return _run(s.course_id, ops.set_section_visible, s, action == "tampilkan", anchor=f"#bagian-{s.id}")


@bp.post("/mengajar/bagian/<int:section_id>/hapus")
@login_required
def section_delete(section_id: int):
    s = _editable_section(section_id)
    return _run(s.course_id, ops.delete_section, s, message=_("Bagian dihapus."))


def _activity_settings(type_name: str, form: ActivityForm) -> dict:
    if type_name == "link":
        return {"url": form.url.data or ""}
    if type_name == "classroom":
        return {"date": form.date.data or "", "place": form.place.data or "", "minutes": form.minutes.data or 0}
    return {}


@bp.route("/mengajar/bagian/<int:section_id>/aktivitas/baru", methods=["GET", "POST"])
@login_required
def activity_new(section_id: int):
    s = _editable_section(section_id)
    type_name = request.values.get("type", "lesson")
    if type_name not in REGISTRY:
        abort(404)
    form = ActivityForm()
    if form.validate_on_submit():
        try:
            if type_name == "file" and not (form.file.data and form.file.data.filename):
                raise LenteraError(_("Pilih berkas yang diunggah."))
            a = ops.add_activity(s, type_name, form.title.data, body=form.body.data or "",
                                 settings=_activity_settings(type_name, form), required=form.required.data,
                                 visible=form.visible.data)
            if type_name == "file":
                ops.store_activity_file(a, form.file.data.filename, form.file.data.read())
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Aktivitas ditambahkan."), "success")
            for warning in q.schedule_warnings(a):
                flash(warning, "warning")
            t = REGISTRY[type_name]
            if t.edit_template:  # the module's own settings (quiz questions, video source) come next
                return redirect(url_for("courses.activity_edit", activity_id=a.id))
            return _back(s.course_id, f"#aktivitas-{a.id}")
    return render_template("courses/activity_form.html", form=form, section=s, course=s.course, activity=None,
                           type_name=type_name, t=REGISTRY[type_name])


@bp.route("/mengajar/aktivitas/<int:activity_id>", methods=["GET", "POST"])
@login_required
def activity_edit(activity_id: int):
    a = _editable_activity(activity_id)
    data = None
    if request.method == "GET":
        st = a.settings or {}
        data = {"url": st.get("url", ""), "date": st.get("date", ""), "place": st.get("place", ""),
                "minutes": st.get("minutes")}
    form = ActivityForm(obj=a, data=data)
    if form.validate_on_submit():
        try:
            ops.update_activity(a, title=form.title.data, body=form.body.data or "",
                                settings=_activity_settings(a.type, form), required=form.required.data,
                                visible=form.visible.data)
            if a.type == "file" and form.file.data and form.file.data.filename:
                ops.store_activity_file(a, form.file.data.filename, form.file.data.read())
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Aktivitas disimpan."), "success")
            for warning in q.schedule_warnings(a):
                flash(warning, "warning")
            return _back(a.course_id, f"#aktivitas-{a.id}")
    t = REGISTRY.get(a.type)
    edit_ctx = t.edit_context(a) if t is not None and t.edit_context is not None else {}
    return render_template("courses/activity_form.html", form=form, section=a.section, course=a.course, activity=a,
                           type_name=a.type, t=t, edit_ctx=edit_ctx)


@bp.post("/mengajar/aktivitas/<int:activity_id>/<any(naik, turun):direction>")
@login_required
def activity_move(activity_id: int, direction: str):
    a = _editable_activity(activity_id)
    return _run(a.course_id, ops.move_activity, a, -1 if direction == "naik" else 1, anchor=f"#aktivitas-{a.id}")


@bp.post("/mengajar/aktivitas/<int:activity_id>/<any(tampilkan, sembunyikan):action>")
@login_required
def activity_visibility(activity_id: int, action: str):
    a = _editable_activity(activity_id)
    return _run(a.course_id, ops.update_activity, a, visible=action == "tampilkan", anchor=f"#aktivitas-{a.id}")


@bp.post("/mengajar/aktivitas/<int:activity_id>/hapus")
@login_required
def activity_delete(activity_id: int):
    a = _editable_activity(activity_id)
    return _run(a.course_id, ops.delete_activity, a, message=_("Aktivitas dihapus."))


# --- staff: participants, enrolment, attendance --------------------------------------------------------------

def _staff_course(course_id: int):
    c = q.get_course(course_id)
    r = q.staff_reach(current_user, c)
    if r is None:
        abort(403)
    return c, r


@bp.route("/kursus/<int:course_id>/peserta", methods=["GET", "POST"])
@login_required
def participants(course_id: int):
    c, r = _staff_course(course_id)
    nip_form, unit_form, pos_form = EnrolNipForm(prefix="n"), EnrolUnitForm(prefix="u"), EnrolPositionForm(prefix="p")
    units = units_in_reach(current_user, r)
    unit_form.unit_id.choices = [(u.id, "\u2003" * u.depth + u.name) for u in units]
    pos_form.position_id.choices = [(p.id, p.name) for p in db.session.scalars(select(Position).order_by(Position.name))]
    if request.method == "POST":
        try:
            which = request.form.get("by")
            if which == "nip" and nip_form.validate():
                person = user_by_nip(nip_form.nip.data.strip())
                if person is None:
                    raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip_form.nip.data.strip()))
                if not r.covers(person):
                    raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))
                ops.enrol(c, person, method="manual", by=current_user)
                message = _("%(n)s didaftarkan.", n=person.name)
            elif which == "unit" and unit_form.validate():
                unit = next((u for u in units if u.id == unit_form.unit_id.data), None)
                if unit is None:
                    abort(403)
                added, skipped = ops.enrol_unit(c, unit, r, by=current_user)
                message = _("%(a)d pegawai didaftarkan; %(s)d sudah terdaftar.", a=added, s=skipped)
            elif which == "position" and pos_form.validate():
                added, skipped = ops.enrol_position(c, pos_form.position_id.data, r, by=current_user)
                message = _("%(a)d pegawai didaftarkan; %(s)d sudah terdaftar.", a=added, s=skipped)
            else:
                chosen = {"nip": nip_form, "unit": unit_form, "position": pos_form}.get(which)
                problems = [f"{chosen[name].label.text}: {errs[0]}" for name, errs in chosen.errors.items()
                            if errs and name != "csrf_token"] if chosen else []
                raise LenteraError("; ".join(problems) or _("Isian pendaftaran tidak lengkap."))
            flash(message, "success")
        except LenteraError as exc:
            flash_error(exc)
        return redirect(url_for("courses.participants", course_id=c.id))
    search = (request.args.get("q") or "").strip()
    rows = q.participants(c, r, q=search)
    classrooms = [a for s in c.sections for a in s.activities if a.type == "classroom"]
    return render_template("courses/participants.html", course=c, rows=rows, nip_form=nip_form, unit_form=unit_form,
                           pos_form=pos_form, q=search, classrooms=classrooms)


def _report_unit(r) -> Unit | None:
    """The unit a report is filtered to (`?unit=`), only within the viewer's reach."""
    raw = request.args.get("unit") or ""
    if not (raw.isascii() and is_digits(raw)):
        return None
    unit = db.session.get(Unit, int(raw))
    if unit is None or not r.covers_unit(unit):
        abort(404)
    return unit


@bp.get("/kursus/<int:course_id>/laporan-penyelesaian")
@login_required
def completion_report(course_id: int):
    c, r = _staff_course(course_id)
    unit = _report_unit(r)
    report = q.completion_report(c, r, unit=unit)
    return render_template("courses/completion_report.html", course=c, report=report, unit=unit)


@bp.get("/kursus/<int:course_id>/laporan-penyelesaian.xlsx")
@login_required
def completion_report_xlsx(course_id: int):
    from openpyxl import Workbook

    c, r = _staff_course(course_id)
    report = q.completion_report(c, r, unit=_report_unit(r))
    zone = ZoneInfo(str(get_timezone()))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Penyelesaian")[:31]
    spreadsheets.append(ws, [_("NIP"), _("Nama"), _("Unit kerja")]
                        + [a.title + (" *" if a.required else "") for a in report.activities]
                        + [_("Kemajuan (%)"), _("Kursus selesai")])
    for p in report.rows:
        cells = [report.done.get((p.user.id, a.id)) for a in report.activities]
        spreadsheets.append(ws, [p.user.nip or p.user.username, p.user.name, p.user.unit.name if p.user.unit else ""]
                                + [_local(at, zone) for at in cells] + [round(p.percent), _local(p.completed_at, zone)])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="penyelesaian-{c.code}.xlsx"'})


def _local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored UTC time as the person reads it on the page (spreadsheets have no time zones)."""
    return at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) if at else None


@bp.get("/kursus/<int:course_id>/peserta.xlsx")
@login_required
def participants_xlsx(course_id: int):
    from openpyxl import Workbook

    c, r = _staff_course(course_id)
    zone = ZoneInfo(str(get_timezone()))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Peserta")[:31]
    ws.append([_("NIP"), _("Nama"), _("Unit kerja"), _("Jabatan"), _("Terdaftar"), _("Aktivitas selesai"),
               _("Aktivitas wajib"), _("Kemajuan (%)"), _("Selesai pada")])
    for p in q.participants(c, r):
        spreadsheets.append(ws, [p.user.nip or p.user.username, p.user.name, p.user.unit.name if p.user.unit else "",
                   p.user.position.name if p.user.position else "", _local(p.enrolment.enrolled_at, zone), p.done,
                   p.total, round(p.percent), _local(p.completed_at, zone)])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="peserta-{c.code}.xlsx"'})


@bp.route("/aktivitas/<int:activity_id>/kehadiran", methods=["GET", "POST"])
@login_required
def attendance(activity_id: int):
    a = q.get_activity(activity_id)
    c, r = _staff_course(a.course_id)
    if a.type != "classroom":
        abort(404)
    rows = q.attendance_list(a, r)
    if request.method == "POST":
        allowed = {u.id: u for u, _at in rows}
        chosen = [allowed[int(x)] for x in request.form.getlist("user_id") if is_digits(x) and int(x) in allowed]
        nips = [n.strip() for n in (request.form.get("nips") or "").replace(",", "\n").splitlines() if n.strip()]
        by_nip = {u.nip: u for u in allowed.values() if u.nip}
        unknown = [n for n in nips if n not in by_nip]
        chosen += [by_nip[n] for n in nips if n in by_nip]
        if not chosen:
            flash(_("Tidak ada peserta yang dicatat hadir: centang peserta atau tulis NIP mereka.")
                  + (" " + _("NIP berikut bukan peserta kursus ini (atau di luar jangkauan): %(l)s", l=", ".join(unknown))
                     if unknown else ""), "error")
            return redirect(url_for("courses.attendance", activity_id=a.id))
        try:
            n = ops.record_attendance(a, list({u.id: u for u in chosen}.values()), by=current_user)
            flash(_("Kehadiran dicatat untuk %(n)d peserta.", n=n), "success")
            if unknown:
                flash(_("NIP berikut bukan peserta kursus ini (atau di luar jangkauan): %(l)s", l=", ".join(unknown)),
                      "warning")
        except LenteraError as exc:
            flash_error(exc)
        return redirect(url_for("courses.attendance", activity_id=a.id))
    return render_template("courses/attendance.html", activity=a, course=c, rows=rows)

