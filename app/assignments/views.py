"""Assignment pages: the learner hands in on the activity page (forms posting here); the
instructor sets the assignment up, grades on one page for a whole class (filter, inline grades,
one-by-one with next/previous, release); the atasan gives the workplace assessment."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from app.assignments import operations as ops
from app.assignments import queries as q
from app.assignments.forms import RubricForm, SettingsForm
from app.assignments.models import Assignment, Rubric, Submission
from app.courses.models import Activity
from app.errors import LenteraError
from app.extensions import db
from app.home import PanelRows
from app.web import HomePanel, after_commit, flash_error, run_operation

bp = Blueprint("assignments", __name__)


def _local_to_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise LenteraError(_("Waktu harus berformat YYYY-MM-DDTHH:MM.")) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(str(get_timezone())))  # what the person typed is in their own zone
    return dt.astimezone(UTC).replace(tzinfo=None)


def _utc_to_local_text(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(str(get_timezone()))).strftime("%Y-%m-%dT%H:%M")


def _for_grader(assignment_id: int) -> tuple[Assignment, object]:
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        abort(404)
    r = q.grader_reach(current_user, a)
    if r is None:
        abort(403)
    return a, r


def _for_learner(assignment_id: int) -> Assignment:
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        abort(404)
    return q.visible_assignment(current_user, assignment_id)


def _back(a: Assignment):
    return redirect(url_for("courses.activity", activity_id=a.activity_id) + "#tugas")


# --- setting up ---------------------------------------------------------------------------------

@bp.get("/aktivitas/<int:activity_id>/tugas")
@login_required
def for_activity(activity_id: int):
    """The assignment of a course activity: its settings for those who teach, else the activity page."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.type != "assignment":
        abort(404)
    from app.courses.queries import can_edit

    if can_edit(current_user, activity.course):
        a = ops.get_or_create_assignment(activity)
        return redirect(url_for("assignments.settings", assignment_id=a.id))
    return redirect(url_for("courses.activity", activity_id=activity.id))


def _rubric_choices(a: Assignment) -> list[tuple[int, str]]:
    rubrics = db.session.scalars(select(Rubric).where(or_(
        Rubric.owner_id == current_user.id, Rubric.id == (a.rubric_id or 0),
        Rubric.id.in_(select(Assignment.rubric_id).where(Assignment.course_id == a.course_id)))).order_by(Rubric.title))
    return [(0, _("— pilih rubrik —"))] + [(r.id, r.title) for r in rubrics]


@bp.route("/tugas/<int:assignment_id>/pengaturan", methods=["GET", "POST"])
@login_required
def settings(assignment_id: int):
    a, _r = _for_grader(assignment_id)
    form = SettingsForm(obj=a if request.method == "GET" else None)
    form.rubric_id.choices = _rubric_choices(a)
    if request.method == "GET":
        form.open_at.data, form.due_at.data = _utc_to_local_text(a.open_at), _utc_to_local_text(a.due_at)
        form.cutoff_at.data = _utc_to_local_text(a.cutoff_at)
        form.scale.data = "\n".join(a.scale or ops.DEFAULT_SCALE)
        form.rubric_id.data = a.rubric_id or 0
    status = 200
    if request.method == "POST" and form.validate():
        try:
            spec = {"submission_types": form.submission_types.data or [], "allowed_types": form.allowed_types.data or [],
                    "max_files": form.max_files.data, "max_file_mb": form.max_file_mb.data,
                    "open_at": _local_to_utc(form.open_at.data), "due_at": _local_to_utc(form.due_at.data),
                    "cutoff_at": _local_to_utc(form.cutoff_at.data), "max_attempts": form.max_attempts.data,
                    "require_statement": form.require_statement.data, "grading": form.grading.data,
                    "pass_grade": form.pass_grade.data, "workplace_assessment": form.workplace_assessment.data}
            # The page's times are already UTC: give them to the operation with their offset.
            for key in ("open_at", "due_at", "cutoff_at"):
                spec[key] = spec[key].replace(tzinfo=UTC) if spec[key] else None
            if form.grading.data == "points":
                spec["max_grade"] = form.max_grade.data if form.max_grade.data is not None else Decimal(100)
            if form.grading.data == "scale":
                spec["scale"] = form.scale.data or ""
            rubric = db.session.get(Rubric, form.rubric_id.data) if form.rubric_id.data else None
            if rubric is not None and rubric.id not in {rid for rid, _t in form.rubric_id.choices}:
                rubric = None
            ops.update_assignment(a, spec, rubric=rubric)
        except LenteraError as exc:
            flash_error(exc)
            status = 422
        else:
            flash(_("Pengaturan tugas disimpan."), "success")
            return redirect(url_for("assignments.settings", assignment_id=a.id))
    elif request.method == "POST":
        status = 422
    return render_template("assignments/settings.html", a=a, form=form, rubric_form=RubricForm()), status


@bp.post("/tugas/<int:assignment_id>/rubrik")
@login_required
def rubric_new(assignment_id: int):
    a, _r = _for_grader(assignment_id)
    form = RubricForm()

    def make():
        rubric = ops.create_rubric(current_user, form.title.data or "", ops.parse_rubric_text(form.body.data or ""))
        ops.use_rubric(a, rubric, current_user)

    if form.validate():
        run_operation(make, _("Rubrik disimpan dan dipakai untuk tugas ini."))
    return redirect(url_for("assignments.settings", assignment_id=a.id))


# --- the learner's work ---------------------------------------------------------------------------

@bp.post("/tugas/<int:assignment_id>/kumpul")
@login_required
def learner_action(assignment_id: int):
    """Every button of the learner's part: save the draft, upload, remove a file, submit."""
    a = _for_learner(assignment_id)
    action = request.form.get("action", "save")
    statement = request.form.get("statement") == "1"
    text = request.form.get("text") if "text" in request.form else None
    if action == "remove":
        file_id = request.form.get("file_id", type=int) or 0
        if run_operation(lambda: ops.remove_file(a, current_user, file_id), _("Berkas dihapus dari draf.")):
            after_commit(ops.purge_pending_files)  # the bytes go once the rows are gone for good
        return _back(a)
    try:
        if text is not None or "statement_field" in request.form:
            ops.save_draft(a, current_user, text=text if "text" in a.submission_types else None,
                           statement=statement if "statement_field" in request.form else None)
    except LenteraError as exc:
        flash_error(exc)
        return _back(a)
    uploads = [f for f in request.files.getlist("file") if f and f.filename]
    for upload in uploads:
        # Each file on its own: one refused never loses the draft or the files accepted before it.
        if not run_operation(lambda u=upload: ops.add_file(a, current_user, u.filename, u.read())):
            return _back(a)
    if action == "submit":
        if run_operation(lambda: ops.submit(a, current_user), None):
            sub = ops.latest_submission(a, current_user)
            flash(_("Tugas dikumpulkan (terlambat).") if sub and sub.late else _("Tugas dikumpulkan."), "success")
    else:
        flash(_("Draf disimpan."), "success")
    return _back(a)


@bp.get("/tugas/berkas/<int:file_id>")
@login_required
def file_download(file_id: int):
    from app.assignments import filetypes
    from app.storage import send_stored

    f, _sub = q.file_for(current_user, file_id)
    return send_stored(f.key, filename=f.name, mimetype=filetypes.content_type(f.kind), as_attachment=True)


@bp.get("/tugas/<int:assignment_id>/petunjuk")
@login_required
def instructions_file(assignment_id: int):
    from app.storage import send_stored

    a = _for_learner(assignment_id)
    if not a.activity.file_key:
        abort(404)
    return send_stored(a.activity.file_key, filename=a.activity.file_name, as_attachment=True)


@bp.get("/tugas/umpan-balik/<int:submission_id>")
@login_required
def feedback_file(submission_id: int):
    from app.assignments import filetypes
    from app.storage import send_stored

    sub = db.session.get(Submission, submission_id)
    if sub is None or not sub.feedback_file_key:
        abort(404)
    own = sub.user_id == current_user.id and sub.marking_state == "released"
    r = q.grader_reach(current_user, sub.assignment)
    if not own and not (r is not None and r.covers(sub.user)):
        abort(403)
    kind = filetypes.sniff_name(sub.feedback_file_name or "")
    return send_stored(sub.feedback_file_key, filename=sub.feedback_file_name, as_attachment=True,
                       mimetype=filetypes.content_type(kind))


# --- grading ------------------------------------------------------------------------------------------

@bp.get("/tugas/<int:assignment_id>/penilaian")
@login_required
def grading(assignment_id: int):
    a, r = _for_grader(assignment_id)
    flt = request.args.get("filter", "")
    if flt not in q.FILTERS:
        flt = ""
    search = (request.args.get("q") or "").strip()[:100]
    rows = q.grader_rows(a, r, flt=flt, q=search)
    # A class of hundreds on one page: every cell is made here once, with labels translated once and
    # addresses built from one pattern, so the template only writes strings.
    from flask_babel import get_locale

    sep = "," if str(get_locale()) == "id" else "."
    zone = str(get_timezone())
    status = {k: str(v) for k, v in q.STATUS_LABELS.items()}
    marking = {k: str(v) for k, v in q.MARKING_LABELS.items()}
    one_url = url_for("assignments.grade_one", assignment_id=a.id, user_id=0).rsplit("/", 1)[0] + "/"
    file_url = url_for("assignments.file_download", file_id=0).rsplit("/", 1)[0] + "/"
    view = []
    for row in rows:
        sub = row.submission
        view.append({
            "id": row.user.id, "name": row.user.name, "nip": row.user.nip or "", "status": status[row.status],
            "late": row.late, "extension": row.extension.reason if row.extension else None,
            "submitted": q.local_text(sub.submitted_at, zone) if sub and sub.submitted_at else "—",
            "files": [(file_url + str(f.id), f.name) for f in sub.files] if sub else [],
            "grade": q.number_text(sub.grade, sep) if sub else "",
            "grade_int": int(sub.grade) if sub and sub.grade is not None else None,
            "workplace": q.number_text(sub.workplace_grade, sep) if sub and sub.workplace_grade is not None else "",
            "marking": marking[sub.marking_state if sub else "not_graded"], "url": one_url + str(row.user.id)})
    return render_template("assignments/grading.html", a=a, rows=view, flt=flt, search=search, filters=q.FILTERS,
                           counts=q.counts(a, r), max_grade=q.number_text(a.max_grade, sep))


def _grade_from_form(a: Assignment, sub: Submission) -> None:
    rubric = None
    if a.grading == "rubric" and a.rubric is not None:
        rubric = {str(c.id): request.form.get(f"c{c.id}", "") for c in a.rubric.criteria}
    ops.grade_submission(sub, current_user, grade=request.form.get("grade", "").strip(), rubric=rubric,
                         feedback=request.form.get("feedback") if "feedback" in request.form else None,
                         release=request.form.get("release") == "1",
                         state="ready" if request.form.get("ready") == "1" else None)
    upload = request.files.get("feedback_file")
    if upload is not None and upload.filename:
        ops.set_feedback_file(sub, upload.filename, upload.read())


@bp.route("/tugas/<int:assignment_id>/penilaian/<int:user_id>", methods=["GET", "POST"])
@login_required
def grade_one(assignment_id: int, user_id: int):
    a, r = _for_grader(assignment_id)
    from app.accounts.models import User

    learner = db.session.get(User, user_id)
    if learner is None:
        abort(404)
    if not r.covers(learner):
        abort(403)
    flt = request.values.get("filter", "")
    rows = q.grader_rows(a, r, flt=flt if flt in q.FILTERS else "")
    ids = [x.user.id for x in rows]
    if learner.id not in ids and not q.is_enrolled(a, learner):
        abort(404)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "grade")
        try:
            sub = ops.submission_for_grading(a, learner)
            if action == "reopen":
                ops.reopen(sub, current_user)
                message = _("Tugas dibuka kembali untuk %(n)s.", n=learner.name)
            elif action == "assessor":
                from app.accounts.queries import user_by_nip

                nip = (request.form.get("assessor_nip") or "").strip()
                mentor = user_by_nip(nip) if nip else None
                if nip and mentor is None:
                    raise LenteraError(_("Tidak ada pegawai dengan NIP %(nip)s.", nip=nip))
                ops.set_assessor(a, learner, mentor, by=current_user)
                message = _("Penilai tempat kerja untuk %(n)s disimpan.", n=learner.name)
            elif action == "extension":
                ops.grant_extension(a, learner, due_at=_local_to_utc(request.form.get("ext_due")).replace(tzinfo=UTC)
                                    if request.form.get("ext_due") else None,
                                    cutoff_at=_local_to_utc(request.form.get("ext_cutoff")).replace(tzinfo=UTC)
                                    if request.form.get("ext_cutoff") else None,
                                    reason=request.form.get("ext_reason", ""), by=current_user)
                message = _("Perpanjangan untuk %(n)s disimpan.", n=learner.name)
            else:
                _grade_from_form(a, sub)
                message = _("Nilai %(n)s disimpan.", n=learner.name)
        except LenteraError as exc:
            flash_error(exc)
            status = 422
        else:
            after_commit(ops.purge_pending_files)  # the bytes go once the rows are gone for good
            flash(message, "success")
            if request.form.get("next") and request.form.get("go") == "next":
                nxt = request.form.get("next", type=int)
                return redirect(url_for("assignments.grade_one", assignment_id=a.id, user_id=nxt, filter=flt))
            if request.form.get("inline") == "1":
                return redirect(url_for("assignments.grading", assignment_id=a.id, filter=flt,
                                        q=request.form.get("q", "")) + f"#p{learner.id}")
            return redirect(url_for("assignments.grade_one", assignment_id=a.id, user_id=learner.id, filter=flt))
        if request.form.get("inline") == "1":
            return redirect(url_for("assignments.grading", assignment_id=a.id, filter=flt) + f"#p{learner.id}")
    sub = ops.latest_submission(a, learner)
    pos = ids.index(learner.id) if learner.id in ids else None
    prev_id = ids[pos - 1] if pos else None
    next_id = ids[pos + 1] if pos is not None and pos + 1 < len(ids) else None
    earlier = list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == a.id, Submission.user_id == learner.id, Submission.latest.is_(False))
        .order_by(Submission.attempt)))
    due, cutoff = ops.effective_dates(a, learner)
    ext = next((x.extension for x in rows if x.user.id == learner.id), None)
    return render_template("assignments/grade_one.html", a=a, learner=learner, sub=sub, prev_id=prev_id,
                           next_id=next_id, position=(pos + 1 if pos is not None else None), total=len(ids),
                           flt=flt, earlier=earlier, due=due, cutoff=cutoff, ext=ext,
                           status_labels=q.STATUS_LABELS, marking_labels=q.MARKING_LABELS,
                           grade_text=q.grade_text, local=_utc_to_local_text,
                           mentor=ops.named_assessor(a, learner) if a.workplace_assessment else None), status


@bp.post("/tugas/<int:assignment_id>/rilis")
@login_required
def release(assignment_id: int):
    a, r = _for_grader(assignment_id)
    ids = None if r.everything else {x.user.id for x in q.grader_rows(a, r)}
    holder: dict[str, int] = {}

    def go():
        holder["n"] = ops.release_grades(a, current_user, user_ids=ids)

    if run_operation(go):
        flash(_("%(n)d nilai dirilis ke peserta.", n=holder["n"]), "success")
    return redirect(url_for("assignments.grading", assignment_id=a.id))


@bp.post("/tugas/<int:assignment_id>/pengingat")
@login_required
def reminders(assignment_id: int):
    a, r = _for_grader(assignment_id)
    people = q.not_submitted_people(a, r)
    if run_operation(lambda: ops.remind(a, people, by=current_user)):
        flash(_("Pengingat dikirim ke %(n)d peserta yang belum mengumpulkan.", n=len(people)), "success")
    return redirect(url_for("assignments.grading", assignment_id=a.id))


@bp.get("/tugas/<int:assignment_id>/semua.zip")
@login_required
def download_all(assignment_id: int):
    """Every submission in reach as one ZIP, built in a temporary file (on disk past a few MB) and
    streamed: the server's memory stays small for a class of hundreds."""
    import tempfile

    from flask import send_file

    a, r = _for_grader(assignment_id)
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    ops.write_all_submissions(a, q.grader_rows(a, r, with_text=True), tmp)
    tmp.seek(0)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", a.activity.title).strip("-")[:60] or "tugas"
    return send_file(tmp, mimetype="application/zip", as_attachment=True, download_name=f"{name}.zip")


@bp.post("/tugas/<int:assignment_id>/umpan-balik-zip")
@login_required
def feedback_zip(assignment_id: int):
    a, r = _for_grader(assignment_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Pilih berkas ZIP."), "error")
        return redirect(url_for("assignments.grading", assignment_id=a.id))
    allowed = {x.user.nip: x.user for x in q.grader_rows(a, r) if x.user.nip}
    holder: dict[str, int] = {}

    def go():
        holder["n"] = ops.apply_feedback_zip(a, upload.read(), allowed=allowed, by=current_user)

    try:
        go()
    except LenteraError as exc:
        flash_error(exc)
        for d in exc.details[:20]:
            flash(f"{d.get('file', '')}: {d.get('message', '')}", "error")
    else:
        after_commit(ops.purge_pending_files)  # the bytes go once the rows are gone for good
        flash(_("%(n)d berkas umpan balik disimpan.", n=holder["n"]), "success")
    return redirect(url_for("assignments.grading", assignment_id=a.id))


# --- the atasan's workplace assessment ----------------------------------------------------------------

@bp.route("/penilaian-atasan", methods=["GET", "POST"])
@login_required
def workplace():
    if request.method == "POST":
        sub = db.session.get(Submission, request.form.get("submission_id", type=int) or 0)
        if sub is None:
            abort(404)
        run_operation(lambda: ops.workplace_assess(sub, current_user, grade=request.form.get("grade", "").strip(),
                                                   feedback=request.form.get("feedback", "")),
                      _("Penilaian tempat kerja disimpan."))
        return redirect(url_for("assignments.workplace") + f"#s{sub.id}")
    return render_template("assignments/workplace.html", items=q.workplace_queue(current_user))


def _workplace_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    items = q.workplace_queue(user)
    waiting = [s for s, _a in items if s.workplace_grade is None]
    return {"waiting": len(waiting)} if waiting else None


def _workplace_panel_rows(user) -> PanelRows | None:
    from app.accounts.queries import headed_unit_paths

    if headed_unit_paths(user):  # a head of unit's queue: read by `workplace_queue` itself
        return None

    def context(parts: dict[str, list]) -> dict | None:
        (row,) = parts["assignments.workplace"]  # a count: always one row
        return {"waiting": row.i1} if row.i1 else None

    return PanelRows([q.home_workplace_rows()], context=context)


HOME_PANELS = [HomePanel(template="assignments/_home_workplace.html", context=_workplace_panel, order=35,
                         rows=_workplace_panel_rows)]
NAV: list = []
LABEL = _l("Tugas")
