"""Quiz pages: the instructor's question bank and quiz settings, results, essays, statistics;
the learner's quiz page, attempt (autosaved through the API, with a plain form as fallback)
and review."""

from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Row

from app.accounts.models import utcnow
from app.courses.models import Activity, Course
from app.errors import Conflict, LenteraError, RuleViolation
from app.extensions import db
from app.inputs import is_digits
from app.quizzes import operations as ops
from app.quizzes import qtypes, queries, render
from app.quizzes.forms import (
    TYPE_LABELS,
    CategoryForm,
    GradeForm,
    ImportForm,
    QuestionForm,
    QuizSettingsForm,
    question_data_from_form,
    responses_from_form,
)
from app.quizzes.models import Attempt, AttemptAnswer, Question, QuestionCategory, Quiz
from app.quizzes.moodle_xml import export_moodle_xml
from app.web import after_commit, flash_error, run_operation

bp = Blueprint("quizzes", __name__)


def _course(course_id: int) -> Course:
    course = db.get_or_404(Course, course_id)
    if not queries.can_manage_course(current_user, course):
        abort(403)
    return course


def _quiz(quiz_id: int, *, manage: bool = False) -> Quiz:
    quiz = db.get_or_404(Quiz, quiz_id)
    if manage and not queries.can_manage_course(current_user, quiz.course):
        abort(403)
    return quiz


def _local_to_utc(dt):
    if dt is None:
        return None
    return dt.replace(tzinfo=ZoneInfo(str(get_timezone()))).astimezone(UTC).replace(tzinfo=None)


def _utc_to_local(dt):
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(str(get_timezone()))).replace(tzinfo=None)


# --- question bank -----------------------------------------------------------------------------

@bp.route("/kursus/<int:course_id>/bank-soal", methods=["GET", "POST"])
@login_required
def bank(course_id: int):
    course = _course(course_id)
    cat_form = CategoryForm(prefix="cat")
    if cat_form.validate_on_submit():
        ops.ensure_category(course, cat_form.path.data)
        flash(_("Kategori disimpan."), "success")
        return redirect(url_for("quizzes.bank", course_id=course.id))
    category_id = request.args.get("kategori", type=int)
    quizzes = list(db.session.scalars(db.select(Quiz).where(Quiz.course_id == course.id)))
    return render_template("quizzes/bank.html", course=course, categories=queries.categories(course),
                           questions=queries.questions(course, category_id), category_id=category_id,
                           cat_form=cat_form, types=TYPE_LABELS, quizzes=quizzes)


@bp.post("/kursus/<int:course_id>/bank-soal/kategori/<int:category_id>")
@login_required
def category_action(course_id: int, category_id: int):
    course = _course(course_id)
    cat = db.session.get(QuestionCategory, category_id)
    if cat is None or cat.course_id != course.id:
        abort(404)
    try:
        if request.form.get("action") == "delete":
            ops.delete_category(cat)
            flash(_("Kategori dihapus."), "success")
        else:
            ops.rename_category(cat, request.form.get("path", ""))
            flash(_("Kategori diubah."), "success")
    except LenteraError as exc:
        flash_error(exc)
    return redirect(url_for("quizzes.bank", course_id=course.id))


def _question_editor(course: Course, qtype: str, question: Question | None):
    form = QuestionForm(obj=question)
    if question is not None and (request.method == "GET" or not isinstance(form.category.data, str)):
        form.category.data = question.category.path  # the path, never the category object itself
    if question is not None and request.method == "GET":
        form.text.data = qtypes.get(qtype).editor_text(question.text, question.data)
    data = question.data if question else {}
    errors: list[str] = []
    if request.method == "POST":
        data, errors = question_data_from_form(qtype, request.form, question.data if question else None)
        if form.validate() and not errors:
            try:
                saved = ops.save_question(course, qtype=qtype, name=form.name.data or "", text=form.text.data,
                                          data=data, category=form.category.data, question=question,
                                          general_feedback=form.general_feedback.data or "",
                                          default_mark=form.default_mark.data)
            except LenteraError as exc:
                db.session.rollback()
                errors.append(exc.message)
            else:
                flash(_("Soal disimpan."), "success")
                if request.form.get("then") == "regrade":
                    return redirect(url_for("quizzes.question_regrade_pick", question_id=saved.id))
                if request.form.get("then") == "generate":  # "Buat set data": back to the editor's table
                    return redirect(url_for("quizzes.question_edit", question_id=saved.id))
                return redirect(url_for("quizzes.bank", course_id=course.id, kategori=saved.category_id))
    return render_template("quizzes/question_edit.html", course=course, form=form, qtype=qtype, question=question,
                           data=data, errors=errors, type_label=TYPE_LABELS[qtype], kind=qtypes.get(qtype)), \
        (422 if errors else 200)


@bp.route("/kursus/<int:course_id>/bank-soal/baru/<qtype>", methods=["GET", "POST"])
@login_required
def question_new(course_id: int, qtype: str):
    course = _course(course_id)
    if qtype not in TYPE_LABELS:
        abort(404)
    return _question_editor(course, qtype, None)


@bp.route("/bank-soal/soal/<int:question_id>", methods=["GET", "POST"])
@login_required
def question_edit(question_id: int):
    question = db.get_or_404(Question, question_id)
    course = _course(question.course_id)
    return _question_editor(course, question.type, question)


@bp.post("/bank-soal/soal/<int:question_id>/hapus")
@login_required
def question_delete(question_id: int):
    question = db.get_or_404(Question, question_id)
    course = _course(question.course_id)
    run_operation(lambda: ops.delete_question(question), _("Soal dihapus."))
    return redirect(url_for("quizzes.bank", course_id=course.id))


@bp.get("/bank-soal/soal/<int:question_id>/nilai-ulang")
@login_required
def question_regrade_pick(question_id: int):
    """After fixing a question: regrade every quiz whose attempts used it."""
    question = db.get_or_404(Question, question_id)
    course = _course(question.course_id)
    quizzes = list(db.session.scalars(db.select(Quiz).where(Quiz.course_id == course.id)))
    return render_template("quizzes/regrade_pick.html", course=course, question=question, quizzes=quizzes)


@bp.route("/kursus/<int:course_id>/bank-soal/impor", methods=["GET", "POST"])
@login_required
def bank_import(course_id: int):
    course = _course(course_id)
    form = ImportForm()
    details: list[dict] = []
    skipped: list[dict] = []
    status = 200
    if form.validate_on_submit():
        upload = request.files.get("file")
        raw = upload.read() if upload and upload.filename else (form.text.data or "").encode("utf-8")
        if not raw.strip():
            flash(_("Pilih berkas atau tempel teks soal."), "error")
            status = 400
        else:
            fmt = ops.detect_format(None, upload.filename if upload and upload.filename else None, raw)
            if ops.is_large_import(raw):
                job = ops.start_import_job(course, raw, fmt, by=current_user, category=form.category.data,
                                           on_error=form.on_error.data or "stop")
                return redirect(url_for("quizzes.bank_import_job", course_id=course.id, job_id=job.id))
            try:
                report = ops.import_bank(course, raw, fmt, category=form.category.data,
                                         on_error=form.on_error.data or "stop")
            except LenteraError as exc:
                flash_error(exc)
                details, status = exc.details, 422
            else:
                flash(_("%(n)d soal diimpor ke kategori %(c)s.", n=len(report.questions), c=report.category),
                      "success")
                if not report.skipped:
                    return redirect(url_for("quizzes.bank", course_id=course.id))
                # the skipped ones stay on screen with their lines, so the author can fix and re-import them
                flash(_("%(n)d soal dilewati karena salah; lihat daftar di bawah.", n=len(report.skipped)), "warning")
                skipped = report.skipped
    return render_template("quizzes/import.html", course=course, form=form, details=details,
                           skipped=skipped), status


@bp.get("/kursus/<int:course_id>/bank-soal/impor/<int:job_id>")
@login_required
def bank_import_job(course_id: int, job_id: int):
    """The progress of a large import (a job): the page refreshes itself until it is done."""
    from app.jobs.models import Job

    course = _course(course_id)
    job = db.session.get(Job, job_id)
    if job is None or job.kind != ops.IMPORT_JOB or (job.payload or {}).get("course_id") != course.id:
        abort(404)
    return render_template("quizzes/import_job.html", course=course, job=job, result=job.result or {})


@bp.get("/kursus/<int:course_id>/bank-soal/berkas/<digest>/<name>")
@login_required
def bank_file(course_id: int, digest: str, name: str):
    """A picture or file that came embedded in an imported question: for the course's staff and
    its enrolled learners (who see it in their quiz)."""
    from app.courses.operations import get_enrolment
    from app.storage import send_stored

    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    if not queries.can_manage_course(current_user, course) and get_enrolment(course, current_user) is None:
        abort(403)
    if not re.fullmatch(r"[0-9a-f]{32}", digest) or "/" in name or name.startswith("."):
        abort(404)
    import mimetypes

    kind = mimetypes.guess_type(name)[0] or ""
    # pictures, sound and video show inline; anything else (SVG, HTML: they can carry scripts) downloads
    inline = kind in ("image/png", "image/jpeg", "image/gif", "image/webp") or kind.startswith(("audio/", "video/"))
    return send_stored(ops.file_key(course.id, digest, name), filename=name, max_age=86400,
                       mimetype=kind if inline else "application/octet-stream", as_attachment=not inline)


@bp.get("/kursus/<int:course_id>/bank-soal/ekspor.xml")
@login_required
def bank_export(course_id: int):
    course = _course(course_id)
    return Response(export_moodle_xml(queries.bank_for_export(course)), mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="bank-soal-{course.code}.xml"'})


@bp.get("/kursus/<int:course_id>/bank-soal/ekspor.gift")
@login_required
def bank_export_gift(course_id: int):
    from app.quizzes.gift import export_gift

    course = _course(course_id)
    return Response(export_gift(queries.bank_for_export(course)), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="bank-soal-{course.code}.gift.txt"'})


# --- quiz settings, results, essays, statistics ---------------------------------------------------

@bp.get("/aktivitas/<int:activity_id>/kuis")
@login_required
def for_activity(activity_id: int):
    """The quiz of a course activity: its settings for those who manage it, else the learner page."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.type != "quiz":
        abort(404)
    if queries.can_manage_course(current_user, activity.course):
        quiz = ops.get_or_create_quiz(activity)
        return redirect(url_for("quizzes.settings", quiz_id=quiz.id))
    quiz = queries.quiz_for_activity(activity)
    if quiz is None:
        abort(404)
    return redirect(url_for("quizzes.quiz_page", quiz_id=quiz.id))


@bp.route("/kuis/<int:quiz_id>/pengaturan", methods=["GET", "POST"])
@login_required
def settings(quiz_id: int):
    quiz = _quiz(quiz_id, manage=True)
    form = QuizSettingsForm(obj=quiz)
    if request.method == "GET":
        form.open_at.data, form.close_at.data = _utc_to_local(quiz.open_at), _utc_to_local(quiz.close_at)
    status = 200
    if request.method == "POST" and form.validate():
        try:
            ops.update_quiz(quiz, pass_percent=form.pass_percent.data, max_attempts=form.max_attempts.data,
                            time_limit_minutes=form.time_limit_minutes.data,
                            questions_per_page=form.questions_per_page.data,
                            shuffle_questions=form.shuffle_questions.data, shuffle_choices=form.shuffle_choices.data,
                            open_at=_local_to_utc(form.open_at.data), close_at=_local_to_utc(form.close_at.data),
                            clear_dates=True, review_after=form.review_after.data, behaviour=form.behaviour.data)
            fixed = [int(x) for x in request.form.getlist("question") if is_digits(x)]
            randoms = []
            for cat in queries.categories(quiz.course):
                n = request.form.get(f"random-{cat.id}", "").strip()
                if n and n != "0":
                    if not is_digits(n):
                        raise RuleViolation(_("Jumlah soal acak harus bilangan bulat."), code="invalid_quiz")
                    randoms.append((cat.id, int(n)))
            ops.set_slots(quiz, question_ids=fixed, random_from=randoms)
        except LenteraError as exc:
            flash_error(exc)
            status = 422
        else:
            flash(_("Pengaturan kuis disimpan."), "success")
            return redirect(url_for("quizzes.settings", quiz_id=quiz.id))
    elif request.method == "POST":
        status = 422
    chosen = {s.question_id for s in quiz.slots if s.question_id}
    random_counts = {s.category_id: s.count for s in quiz.slots if s.category_id}
    return render_template("quizzes/settings.html", quiz=quiz, form=form, questions=queries.questions(quiz.course),
                           categories=queries.categories(quiz.course), chosen=chosen,
                           random_counts=random_counts), status


@bp.route("/kuis/<int:quiz_id>/hasil", methods=["GET", "POST"])
@login_required
def results(quiz_id: int):
    quiz = _quiz(quiz_id, manage=True)
    if request.method == "POST":
        n = ops.regrade(quiz)
        flash(_("%(n)d percobaan dinilai ulang.", n=n), "success")
        return redirect(url_for("quizzes.results", quiz_id=quiz.id))
    covers = queries.grader_covers(current_user, quiz.course)  # a unit-limited grader: people within reach
    attempts = [a for a in queries.quiz_attempts(quiz) if covers(a)]
    by_user: dict = {}
    for a in attempts:
        by_user.setdefault(a.user, []).append(a)
    return render_template("quizzes/results.html", quiz=quiz, by_user=by_user)


@bp.route("/kuis/<int:quiz_id>/esai", methods=["GET", "POST"])
@login_required
def essays(quiz_id: int):
    quiz = _quiz(quiz_id, manage=True)
    if request.method == "POST":
        answer = db.session.get(AttemptAnswer, request.form.get("answer_id", type=int) or 0)
        if answer is None or answer.attempt.quiz_id != quiz.id or not queries.can_see_attempt(current_user,
                                                                                             answer.attempt):
            abort(404)
        form = GradeForm()
        if form.validate():
            run_operation(lambda: ops.grade_answer(answer, form.mark.data, form.feedback.data or "", current_user),
                          _("Nilai esai disimpan."))
        else:
            flash(_("Nilai harus berupa angka 0 atau lebih."), "error")
        return redirect(url_for("quizzes.essays", quiz_id=quiz.id))
    covers = queries.grader_covers(current_user, quiz.course)
    rows = [row for row in queries.essays_to_grade(quiz) if covers(row[1])]
    return render_template("quizzes/essays.html", quiz=quiz, rows=rows,
                           files=queries.files_by_answer(sorted({a.id for _ans, a, _q in rows})))


@bp.post("/percobaan/<int:attempt_id>/hapus")
@login_required
def delete_attempt(attempt_id: int):
    """A manager deletes an attempt (Moodle's results page does too), its attached files with it."""
    attempt = db.get_or_404(Attempt, attempt_id)
    quiz = _quiz(attempt.quiz_id, manage=True)
    if not queries.can_see_attempt(current_user, attempt):
        abort(404)
    keys = ops.delete_attempt(attempt)
    after_commit(lambda: ops.purge_files(keys))  # the bytes go once the rows are gone for good
    flash(_("Percobaan dihapus."), "success")
    return redirect(url_for("quizzes.results", quiz_id=quiz.id))


@bp.get("/kuis/<int:quiz_id>/statistik")
@login_required
def statistics(quiz_id: int):
    quiz = _quiz(quiz_id, manage=True)
    return render_template("quizzes/statistics.html", quiz=quiz, stats=queries.item_analysis(quiz))


@bp.post("/kuis/<int:quiz_id>/nilai-ulang/<int:question_id>")
@login_required
def regrade_question(quiz_id: int, question_id: int):
    quiz = _quiz(quiz_id, manage=True)
    question = db.session.get(Question, question_id)
    if question is None or question.course_id != quiz.course_id:
        abort(404)
    n = ops.regrade(quiz, question=question)
    flash(_("%(n)d percobaan dinilai ulang.", n=n), "success")
    return redirect(url_for("quizzes.results", quiz_id=quiz.id))


# --- learner ----------------------------------------------------------------------------------------

@bp.get("/kuis/<int:quiz_id>")
@login_required
def quiz_page(quiz_id: int):
    quiz = _quiz(quiz_id)
    summary = queries.learner_summary(quiz.activity, current_user)
    manage = queries.can_manage_course(current_user, quiz.course)
    from app.courses.operations import get_enrolment

    if not manage and get_enrolment(quiz.course, current_user) is None:
        abort(403)
    return render_template("quizzes/quiz.html", quiz=quiz, s=summary, manage=manage)


@bp.post("/kuis/<int:quiz_id>/mulai")
@login_required
def start(quiz_id: int):
    quiz = _quiz(quiz_id)
    try:
        attempt = ops.start_attempt(quiz, current_user)
    except LenteraError as exc:
        flash_error(exc)
        return redirect(url_for("quizzes.quiz_page", quiz_id=quiz.id))
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))


def _pages(quiz: Quiz | Row, items: list[dict]) -> list[list[dict]]:
    per = quiz.questions_per_page or len(items) or 1
    return [items[i:i + per] for i in range(0, len(items), per)] or [[]]


@bp.get("/percobaan/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int):
    attempt = queries.own_attempt_row(attempt_id, current_user)  # a plain row: this page is hot
    if attempt.state != "open":
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    now = utcnow()
    if attempt.deadline is not None and attempt.deadline <= now and ops.close_overdue_attempt(
            ops.get_own_attempt(attempt_id, current_user), now):
        flash(_("Waktu habis: percobaan dikumpulkan dengan jawaban yang sudah tersimpan."), "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    items = queries.attempt_questions(attempt, behaviour=attempt.behaviour)
    pages = _pages(attempt, items)
    page = max(1, min(request.args.get("hal", 1, type=int), len(pages)))
    shown = pages[page - 1]
    written = render.attach_html(shown)  # the commonest types written in Python: this page is hot
    return render_template("quizzes/attempt.html", attempt=attempt, items=shown,
                           templated=written is None, questions_html=written,
                           with_files=any(item.get("attachments") for item in items), page=page, pages=len(pages),
                           deadline_iso=attempt.deadline.replace(tzinfo=UTC).isoformat() if attempt.deadline else "",
                           deadline_text=render.deadline_text(attempt.deadline) if attempt.deadline else "",
                           now_iso=now.replace(tzinfo=UTC).isoformat())


@bp.post("/percobaan/<int:attempt_id>")
@login_required
def attempt_post(attempt_id: int):
    """The no-JavaScript path: save this page's answers, then go to another page or submit."""
    attempt = ops.get_own_attempt(attempt_id, current_user)
    go = request.form.get("go", "")
    refused_on_page = None
    if attempt.state == "open":
        items = queries.attempt_questions(attempt)
        numbers = {item["id"]: item["number"] for item in items}
        late = False
        for qid, response in responses_from_form(items, request.form).items():
            try:
                ops.save_answer(attempt.id, qid, response, current_user)
            except Conflict:
                late = True
                break
            except LenteraError as exc:
                # Named, and the attempt is not submitted over it: the learner fixes it first.
                flash(_("Soal %(n)d: %(msg)s", n=numbers.get(qid, 0), msg=exc.message), "error")
                refused_on_page = refused_on_page or _page_of(attempt.quiz, items, qid)
        if not late:
            late = _attachments_from_form(attempt, items)
        anchor = None
        if not late:
            late, anchor = _check_from_form(attempt, numbers)
        if late:
            flash(_("Waktu habis: jawaban terakhir tidak tersimpan."), "error")
            go = "submit"
        elif refused_on_page and not is_digits(go):
            go = str(refused_on_page)
        elif request.form.get("upload") or request.form.get("remove_file") or anchor:
            go = request.form.get("page", "1")  # back to the page the learner is on
            if is_digits(go) and anchor:
                return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, hal=int(go), _anchor=anchor))
    if go == "summary":
        return redirect(url_for("quizzes.attempt_summary", attempt_id=attempt.id))
    if go == "submit":
        # An essay still lacking its required attachments refuses the submit; the answers saved
        # above stay (the operation runs in its own savepoint).
        if not run_operation(lambda: ops.submit_attempt(attempt.id, current_user)):
            return redirect(url_for("quizzes.attempt_summary", attempt_id=attempt.id))
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    page = int(go) if is_digits(go) else 1
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, hal=page))


def _check_from_form(attempt: Attempt, numbers: dict[int, int]) -> tuple[bool, str | None]:
    """Interactive behaviour: "Periksa" checks the question just saved, "Coba lagi" reopens it.
    (time ran out, the question's anchor to return to)."""
    for action, op in (("check", ops.check_answer), ("retry", ops.retry_answer)):
        raw = request.form.get(action, "")
        if not is_digits(raw):
            continue
        qid = int(raw)
        try:
            op(attempt.id, qid, current_user)
        except Conflict:
            return True, None
        except LenteraError as exc:
            flash(_("Soal %(n)d: %(msg)s", n=numbers.get(qid, 0), msg=exc.message), "error")
        return False, f"soal-{qid}"
    return False, None


def _attachments_from_form(attempt: Attempt, items: list[dict]) -> bool:
    """Files chosen for this page's essays are attached and a pressed "Hapus" removes its file;
    each refusal is named (the file and why) and the others still go in. True: time ran out."""
    numbers = {item["id"]: item["number"] for item in items}
    try:
        remove = request.form.get("remove_file", "")
        if is_digits(remove):
            try:
                keys = ops.remove_file(attempt.id, int(remove), current_user)
                after_commit(lambda: ops.purge_files(keys))
            except LenteraError as exc:
                if isinstance(exc, Conflict):
                    raise
                flash(exc.message, "error")
        for item in items:
            if not item.get("attachments"):
                continue
            for upload in request.files.getlist(f"q-{item['id']}-files"):
                if not upload or not upload.filename:
                    continue  # the empty file field a browser sends when nothing was chosen
                try:
                    with db.session.begin_nested():
                        ops.attach_file(attempt.id, item["id"], upload.filename, upload.stream, current_user)
                except LenteraError as exc:
                    if isinstance(exc, Conflict):
                        raise
                    flash(_("Soal %(n)d: %(msg)s", n=numbers.get(item["id"], 0), msg=exc.message), "error")
    except Conflict:
        return True
    return False


@bp.get("/percobaan/<int:attempt_id>/berkas/<int:file_id>")
@login_required
def attempt_file(attempt_id: int, file_id: int):
    """A file attached to an essay: for the attempt's owner and the course's graders (a
    unit-limited one only within reach); always downloaded, never shown inline, so an uploaded
    HTML or SVG file cannot run in the app's origin."""
    from app.quizzes.models import AttemptFile
    from app.storage import send_stored

    f = db.session.get(AttemptFile, file_id)
    if f is None or f.attempt_id != attempt_id or not queries.can_see_attempt(current_user, f.attempt):
        abort(404)
    return send_stored(f.key, filename=f.name, mimetype="application/octet-stream", as_attachment=True)


def _page_of(quiz: Quiz, items: list[dict], question_id: int) -> int:
    for number, page_items in enumerate(_pages(quiz, items), 1):
        if any(item["id"] == question_id for item in page_items):
            return number
    return 1


@bp.get("/percobaan/<int:attempt_id>/ringkasan")
@login_required
def attempt_summary(attempt_id: int):
    """Moodle's summary before the final submit: every question, answered or not, with a way back."""
    attempt = ops.get_own_attempt(attempt_id, current_user)
    if attempt.state != "open":
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    items = queries.attempt_questions(attempt)
    rows = [(item, _page_of(attempt.quiz, items, item["id"]),
             item["response"] not in (None, "", [], {}) or bool(item.get("files")))
            for item in items if item["graded"]]
    # essays still short of the attachments they require: named here, and the submit refuses them
    short = [(item, _page_of(attempt.quiz, items, item["id"])) for item in items
             if item.get("attachments") and len(item.get("files", [])) < item.get("attachments_required", 0)]
    return render_template("quizzes/attempt_summary.html", attempt=attempt, quiz=attempt.quiz, rows=rows, short=short,
                           unanswered=sum(1 for _i, _p, answered in rows if not answered))


@bp.get("/percobaan/<int:attempt_id>/tinjau")
@login_required
def review(attempt_id: int):
    attempt = db.get_or_404(Attempt, attempt_id)
    manage = queries.can_manage_course(current_user, attempt.quiz.course)
    if not queries.can_see_attempt(current_user, attempt):
        abort(404)
    if attempt.state == "open":
        if attempt.user_id == current_user.id:
            return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
        abort(404)
    show = manage or ops.review_allowed(attempt.quiz, attempt)
    return render_template("quizzes/review.html", attempt=attempt, quiz=attempt.quiz, show=show, manage=manage,
                           items=queries.attempt_questions(attempt, with_answers=True))
