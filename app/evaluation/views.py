"""Evaluation pages: a learner fills a survey (made for a phone: one column, big targets); the
course's instructors and BPSDM read its report, the instructor report and the learning gain;
BPSDM edits the shipped templates; learners and atasan answer the job-impact evaluation."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.courses import queries as course_q
from app.courses.models import Activity, Course
from app.errors import LenteraError
from app.evaluation import operations as ops
from app.evaluation import queries as q
from app.evaluation.exports import course_report_xlsx, instructor_report_xlsx
from app.evaluation.models import QUESTION_KINDS, ImpactEvaluation, Survey, SurveyTemplate
from app.extensions import db
from app.home import PanelRows
from app.monitoring.exports import XLSX_TYPE
from app.web import HomePanel, NavItem, flash_error, run_operation

bp = Blueprint("evaluation", __name__)

NAV = [NavItem(_l("Evaluasi pelatihan"), "evaluation.overview", roles=("instructor", "bpsdm", "admin"), order=65,
               group="manage"),
       NavItem(_l("Evaluasi dampak pelatihan"), "evaluation.impact_list", order=66, group="development")]

KIND_LABELS = {
    "likert5": _l("Skala 1–5"), "likert4": _l("Skala 1–4"), "single": _l("Pilihan tunggal"),
    "multiple": _l("Pilihan ganda (boleh lebih dari satu)"), "number": _l("Angka"),
    "short_text": _l("Teks singkat"), "long_text": _l("Teks panjang"),
}
BLANK_ROWS = 3


def _impact_panel_rows(user) -> PanelRows:
    def context(parts: dict[str, list]) -> dict | None:
        rows = parts["evaluation.impact"]
        if not rows:
            return None
        waiting = [SimpleNamespace(id=r.i1, role=r.s1, course=SimpleNamespace(title=r.s2),
                                   learner=SimpleNamespace(name=r.s3)) for r in rows]
        return {"waiting": waiting, "total": rows[0].i2}

    return PanelRows([q.home_impact_rows()], context=context)


def _waiting_panel_rows(user) -> PanelRows:
    def context(parts: dict[str, list]) -> dict | None:
        waiting = q.home_waiting(parts["evaluation.waiting"])
        return {"waiting": waiting} if waiting else None

    return PanelRows([q.home_waiting_rows()], context=context)


def _staff_impact_panel(user) -> dict | None:
    """For an atasan: what the job-impact evaluations say about the staff of the units they head."""
    from app.accounts.models import Unit, User
    from app.accounts.queries import reach

    r = reach(user, roles=("supervisor",))
    if not r.unit_paths:
        return None
    stmt = (select(ImpactEvaluation).join(User, User.id == ImpactEvaluation.learner_id)
            .join(Unit, Unit.id == User.unit_id)
            .where(r.unit_filter(Unit.path), ImpactEvaluation.submitted_at.is_not(None), User.id != user.id)
            .order_by(ImpactEvaluation.submitted_at.desc()).limit(5))
    latest = list(db.session.scalars(stmt))
    return {"latest": latest} if latest else None


HOME_PANELS = [HomePanel("evaluation/_home_certificates.html", order=34, rows=_waiting_panel_rows),
               HomePanel("evaluation/_home_staff_impact.html", _staff_impact_panel, order=36),
               HomePanel("evaluation/_home_impact.html", order=35, rows=_impact_panel_rows)]


def _survey_for_staff(survey_id: int):
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    try:
        r = q.report_reach(current_user, survey)
    except LenteraError:
        abort(403)
    return survey, r


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


# --- learner ------------------------------------------------------------------------------------

def _form_answers(survey: Survey) -> dict:
    """The answers of the plain HTML form: field `a-<answer key>`; several values for a multiple choice."""
    answers = {}
    for key, question, _instructor in ops.survey_items(survey):
        if question.kind == "multiple":
            values = request.form.getlist(f"a-{key}")
            if values:
                answers[key] = values
        else:
            value = request.form.get(f"a-{key}", "")
            if value.strip():
                answers[key] = int(value) if question.kind in ("likert5", "likert4", "single") and \
                    value.strip().isdigit() else value
    return answers


@bp.route("/survei/<int:survey_id>", methods=["GET", "POST"])
@login_required
def take(survey_id: int):
    survey = q.visible_survey(current_user, survey_id)
    done = q.submitted(survey, current_user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            ops.submit_response(survey, current_user, _form_answers(survey))
            waits = ops.pending_certificate_surveys(current_user, survey.activity.course)
        except LenteraError as exc:
            flash_error(exc)
            errors = {d["question"]: d["message"] for d in exc.details if "question" in d}
            status = exc.status
        else:
            flash(_("Terima kasih, jawaban Anda tersimpan."), "success")
            if survey.before_certificate and not waits:
                flash(_("Evaluasi lengkap: sertifikat Anda diterbitkan bila kursus sudah selesai."), "success")
            return redirect(url_for("courses.activity", activity_id=survey.activity_id))
    items = ops.survey_items(survey)
    return render_template("evaluation/take.html", survey=survey, items=items, done=done, errors=errors,
                           state=ops.survey_state(survey), scale=q.SCALE_LABELS, form_values=request.form), status


# --- staff: reports -----------------------------------------------------------------------------

@bp.get("/evaluasi")
@login_required
def overview():
    if not current_user.has_role("instructor", "bpsdm", "admin"):
        abort(403)
    rows = q.courses_with_surveys(current_user)
    surveys = {}
    if rows:
        for s in db.session.scalars(select(Survey).where(Survey.course_id.in_([c.id for c, _s, _n in rows]))):
            surveys.setdefault(s.course_id, []).append(s)
    return render_template("evaluation/overview.html", rows=rows, surveys=surveys,
                           instructors=q.instructors_in_reach(current_user)
                           if current_user.has_role("bpsdm", "admin") else [])


@bp.get("/evaluasi/ringkasan")
@login_required
def summary():
    if not current_user.has_role("instructor", "bpsdm", "admin"):
        abort(403)
    by = request.args.get("per", "organiser")
    if by not in ("organiser", "unit"):
        abort(404)
    rows = q.summary(current_user, by)
    years = sorted({row.year for row in rows})
    table: dict[str, dict[int, q.SummaryRow]] = {}
    for row in rows:
        table.setdefault(row.key, {})[row.year] = row
    if request.args.get("format") == "xlsx":
        from app.evaluation.exports import summary_xlsx

        return _xlsx(summary_xlsx(rows, by), f"evaluasi-per-{by}")
    trend = {key: [per_year[y].average if y in per_year else None for y in years] for key, per_year in table.items()}
    return render_template("evaluation/summary.html", by=by, years=years, table=table, trend=trend,
                           min_group=q.min_group())


@bp.get("/survei/<int:survey_id>/laporan")
@login_required
def report(survey_id: int):
    survey, r = _survey_for_staff(survey_id)
    rep = q.survey_report(survey, r, comment_limit=None if request.args.get("format") == "xlsx" else 200)
    if request.args.get("format") == "xlsx":
        return _xlsx(course_report_xlsx(rep), f"evaluasi-{survey.id}")
    return render_template("evaluation/report.html", survey=survey, rep=rep, kind_labels=KIND_LABELS,
                           min_group=q.min_group())


@bp.get("/evaluasi/pengajar/<int:user_id>")
@login_required
def instructor(user_id: int):
    from app.accounts.models import User

    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    try:
        r = q.instructor_reach(current_user, person)
    except LenteraError:
        abort(403)
    rep = q.instructor_report(person, r)
    if request.args.get("format") == "xlsx":
        return _xlsx(instructor_report_xlsx(rep), f"evaluasi-pengajar-{person.id}")
    return render_template("evaluation/instructor.html", rep=rep, min_group=q.min_group())


# --- staff: survey set-up (the activity edit page's partial posts here) ---------------------------

@bp.app_template_filter("evaluation_local_input")
def local_input(value) -> str:
    """A stored UTC time as a datetime-local field's value in the person's zone."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from flask_babel import get_timezone

    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(str(get_timezone()))).strftime("%Y-%m-%dT%H:%M")


def _local_to_utc(text: str) -> str | None:
    """A datetime-local field, read in the person's zone (WIB by default), as ISO UTC; text that is
    no date is passed on for the operation to refuse with its message."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from flask_babel import get_timezone

    text = (text or "").strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return text
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(str(get_timezone())))
    return local.astimezone(UTC).isoformat()


def _editable_activity(activity_id: int) -> Activity:
    a = db.session.get(Activity, activity_id)
    if a is None or a.type != "survey":
        abort(404)
    if not course_q.can_edit(current_user, a.course):
        abort(403)
    return a


@bp.post("/mengajar/aktivitas/<int:activity_id>/survei")
@login_required
def setup(activity_id: int):
    a = _editable_activity(activity_id)
    survey = db.session.scalar(select(Survey).where(Survey.activity_id == a.id))
    f = request.form
    when = {k: _local_to_utc(f.get(k, "")) for k in ("open_at", "close_at")}
    if survey is None:
        spec = {"template": f.get("template") or None, "anonymous": f.get("anonymous") == "1",
                "before_certificate": f.get("before_certificate") == "1", **when}
        problems = ops.survey_spec_problems(spec)
        if problems:
            for p in problems:
                flash(p, "error")
        else:
            run_operation(lambda: ops.create_survey(a, spec), _("Survei disiapkan."))
    else:
        run_operation(lambda: ops.update_survey(
            survey, anonymous=f.get("anonymous") == "1", before_certificate=f.get("before_certificate") == "1",
            **when), _("Pengaturan survei disimpan."))
    return redirect(url_for("courses.activity_edit", activity_id=a.id) + "#type-settings")


def _items_from_form() -> list[dict]:
    """The rows of the question editor: `kind-N`, `text-N`, `options-N` (one per line), flags."""
    f = request.form
    items = []
    for n in sorted({int(k.split("-", 1)[1]) for k in f if k.startswith("text-") and k[5:].isdigit()}):
        if f.get(f"delete-{n}") or not f.get(f"text-{n}", "").strip():
            continue
        items.append({"code": f.get(f"code-{n}") or None, "kind": f.get(f"kind-{n}"), "text": f.get(f"text-{n}"),
                      "options": [o.strip() for o in f.get(f"options-{n}", "").splitlines() if o.strip()],
                      "instructor": bool(f.get(f"instructor-{n}")), "required": bool(f.get(f"required-{n}")),
                      "group": f.get(f"group-{n}", "")})
    return items


def _rows(items: list[dict]) -> list[dict]:
    return list(items) + [{"kind": "likert5", "text": "", "options": [], "instructor": False, "required": True,
                           "group": "", "code": None} for _i in range(BLANK_ROWS)]


@bp.route("/mengajar/survei/<int:survey_id>/pertanyaan", methods=["GET", "POST"])
@login_required
def questions(survey_id: int):
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if not course_q.can_edit(current_user, survey.activity.course):
        abort(403)
    items = [{"code": x.code, "kind": x.kind, "text": x.text, "options": x.options, "instructor": x.instructor,
              "required": x.required, "group": x.group} for x in survey.questions]
    status = 200
    if request.method == "POST":
        items = _items_from_form()
        try:
            ops.update_survey(survey, anonymous=survey.anonymous, open_at=survey.open_at, close_at=survey.close_at,
                              questions=items)
        except LenteraError as exc:
            flash_error(exc)
            for d in exc.details:
                flash(d.get("message", ""), "error")
            status = exc.status
        else:
            flash(_("Pertanyaan disimpan."), "success")
            return redirect(url_for("evaluation.questions", survey_id=survey.id))
    return render_template("evaluation/questions.html", survey=survey, rows=_rows(items), kinds=QUESTION_KINDS,
                           kind_labels=KIND_LABELS, title=survey.activity.title,
                           action=url_for("evaluation.questions", survey_id=survey.id), template=None), status


# --- BPSDM: templates -----------------------------------------------------------------------------

def _template_staff() -> None:
    if not current_user.has_role("bpsdm", "admin"):
        abort(403)


@bp.get("/evaluasi/templat")
@login_required
def templates():
    _template_staff()
    ops.ensure_templates()
    return render_template("evaluation/templates.html",
                           templates=list(db.session.scalars(select(SurveyTemplate).order_by(SurveyTemplate.key))))


@bp.route("/evaluasi/templat/<key>", methods=["GET", "POST"])
@login_required
def template_edit(key: str):
    _template_staff()
    creating = key == "baru"
    tpl = None if creating else ops.get_template(key)
    if tpl is None and not creating:
        abort(404)
    items = list(tpl.items) if tpl is not None else []
    values = {"key": "" if creating else key, "title": tpl.title if tpl else "",
              "description": tpl.description if tpl else "", "anonymous": tpl.anonymous if tpl else True}
    status = 200
    if request.method == "POST":
        items = _items_from_form()
        values = {"key": request.form.get("key", "").strip() if creating else key,
                  "title": request.form.get("title", ""), "description": request.form.get("description", ""),
                  "anonymous": request.form.get("anonymous") == "1"}
        try:
            saved = ops.save_template(values["key"], title=values["title"], description=values["description"],
                                      anonymous=values["anonymous"], items=items, by=current_user, create=creating)
        except LenteraError as exc:
            flash_error(exc)
            for d in exc.details:
                flash(d.get("message", ""), "error")
            status = exc.status
        else:
            flash(_("Templat disimpan. Survei baru memakai isi ini; survei yang sudah ada tidak berubah."), "success")
            return redirect(url_for("evaluation.template_edit", key=saved.key))
    return render_template("evaluation/questions.html", rows=_rows(items), kinds=QUESTION_KINDS,
                           kind_labels=KIND_LABELS, template=values, creating=creating, survey=None,
                           title=values["title"] or _("Templat baru"),
                           action=url_for("evaluation.template_edit", key=key)), status


@bp.post("/evaluasi/templat/<key>/kembalikan")
@login_required
def template_reset(key: str):
    _template_staff()
    run_operation(lambda: ops.reset_template(key, current_user), _("Templat dikembalikan ke isi bawaan."))
    return redirect(url_for("evaluation.template_edit", key=key) if key in ("penyelenggaraan", "pengajar")
                    else url_for("evaluation.templates"))


# --- learning gain ----------------------------------------------------------------------------------

@bp.route("/mengajar/kursus/<int:course_id>/hasil-belajar", methods=["GET", "POST"])
@login_required
def gain(course_id: int):
    from app.quizzes.models import Quiz

    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    r = course_q.staff_reach(current_user, course)
    if r is None:
        abort(403)
    editor = course_q.can_edit(current_user, course)
    if request.method == "POST":
        if not editor:
            abort(403)

        def _id(name: str) -> int | None:
            value = request.form.get(name, "")
            return int(value) if value.isdigit() and len(value) < 10 else None

        if run_operation(lambda: ops.set_learning_gain(course, _id("pre_quiz_id"), _id("post_quiz_id")),
                         _("Pre-test dan post-test disimpan.")):
            return redirect(url_for("evaluation.gain", course_id=course.id))
    quizzes = list(db.session.execute(select(Quiz.id, Activity.title).join(Activity, Activity.id == Quiz.activity_id)
                                      .where(Quiz.course_id == course.id).order_by(Activity.position)))
    return render_template("evaluation/gain.html", course=course, g=q.learning_gain(course, r), quizzes=quizzes,
                           editor=editor)


# --- job impact -------------------------------------------------------------------------------------

@bp.get("/evaluasi/dampak")
@login_required
def impact_list():
    from app.accounts.queries import supervisor_reach

    r = supervisor_reach(current_user)
    return render_template("evaluation/impact_list.html", mine=q.impact_for_respondent(current_user),
                           heads_staff=r.everything or bool(r.unit_paths))


@bp.get("/evaluasi/dampak/staf")
@login_required
def impact_staff():
    """The atasan's page: what the job-impact evaluations say about their staff."""
    from app.accounts.models import Unit, User
    from app.accounts.queries import supervisor_reach

    r = supervisor_reach(current_user)
    if not r.everything and not r.unit_paths:
        abort(403)
    stmt = select(ImpactEvaluation).join(User, User.id == ImpactEvaluation.learner_id)
    if not r.everything:
        stmt = stmt.join(Unit, Unit.id == User.unit_id).where(r.unit_filter(Unit.path))
    rows = list(db.session.scalars(stmt.order_by(User.name, ImpactEvaluation.opened_at.desc()).limit(500)))
    return render_template("evaluation/impact_staff.html", rows=rows, evidence=q.impact_evidence(rows))


@bp.route("/evaluasi/dampak/<int:evaluation_id>", methods=["GET", "POST"])
@login_required
def impact_form(evaluation_id: int):
    ev = db.session.get(ImpactEvaluation, evaluation_id)
    if ev is None:
        abort(404)
    if ev.respondent_id != current_user.id:
        abort(403)
    status = 200
    if request.method == "POST":
        ratings = {c.code: request.form.get(f"rating-{c.code}", "") for c in ev.course.competencies
                   if request.form.get(f"rating-{c.code}")}
        try:
            ops.submit_impact(ev, current_user, applied=request.form.get("applied"),
                              change=request.form.get("change", ""), ratings=ratings)
        except LenteraError as exc:
            flash_error(exc)
            for d in exc.details:
                flash(d.get("message", ""), "error")
            status = exc.status
        else:
            flash(_("Terima kasih, evaluasi dampak tersimpan."), "success")
            return redirect(url_for("evaluation.impact_list"))
    return render_template("evaluation/impact_form.html", ev=ev, applied=ops.IMPACT_APPLIED), status
