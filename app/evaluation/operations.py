"""Every state change of the evaluation domain: templates, surveys, responses, learning-gain
set-up and job-impact evaluations. Pages, the API and package import call these alike."""

from __future__ import annotations

import math
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course, CourseInstructor, Enrolment
from app.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation
from app.evaluation.models import (
    CHOICE_KINDS,
    QUESTION_KINDS,
    SCALE_KINDS,
    TEXT_KINDS,
    ImpactEvaluation,
    LearningGainSetup,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveySubmission,
    SurveyTemplate,
)
from app.evaluation.template_data import SHIPPED
from app.extensions import db
from app.signals import certificate_hold_released

MAX_QUESTIONS = 200
TEXT_MAX = {"short_text": 500, "long_text": 5000}
QUESTION_TEXT_MAX = 1000
OPTION_MAX = 200
KEY_RE = r"^[a-z0-9][a-z0-9_-]{1,39}$"


# --- question items (templates and a survey's `questions`) ----------------------------------------

def check_items(items: Any) -> tuple[list[dict], list[str]]:
    """Normalise a list of question items; answers (items, problems), every problem named by its
    number, so that a template or an activity is refused whole with all its faults listed."""
    problems: list[str] = []
    if not isinstance(items, list):
        return [], [_("Daftar pertanyaan harus berupa list.")]
    if not items:
        return [], [_("Survei perlu sedikitnya satu pertanyaan.")]
    if len(items) > MAX_QUESTIONS:
        return [], [_("Survei paling banyak %(n)d pertanyaan.", n=MAX_QUESTIONS)]
    out: list[dict] = []
    for n, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            problems.append(_("Pertanyaan %(n)d harus berupa objek.", n=n))
            continue
        kind = raw.get("kind")
        text = raw.get("text")
        if kind not in QUESTION_KINDS:
            problems.append(_("Pertanyaan %(n)d: jenis '%(k)s' tidak dikenal (pilih: %(all)s).", n=n, k=kind,
                              all=", ".join(QUESTION_KINDS)))
        if not isinstance(text, str) or not text.strip():
            problems.append(_("Pertanyaan %(n)d tanpa teks.", n=n))
        elif len(text) > QUESTION_TEXT_MAX:
            problems.append(_("Pertanyaan %(n)d: teks paling panjang %(m)d karakter.", n=n, m=QUESTION_TEXT_MAX))
        options = raw.get("options") or []
        if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
            problems.append(_("Pertanyaan %(n)d: pilihan harus daftar teks yang tidak kosong.", n=n))
            options = []
        options = [o.strip()[:OPTION_MAX] for o in options]
        if kind in CHOICE_KINDS:
            if len(options) < 2:
                problems.append(_("Pertanyaan %(n)d: pilihan ganda perlu sedikitnya dua pilihan.", n=n))
            elif len(set(options)) != len(options):
                problems.append(_("Pertanyaan %(n)d: ada pilihan yang sama.", n=n))
        elif kind in QUESTION_KINDS:
            options = []  # scales and free answers have no options of their own
        for flag in ("instructor", "required"):
            if flag in raw and not isinstance(raw[flag], bool):
                problems.append(_("Pertanyaan %(n)d: %(f)s harus true atau false.", n=n, f=flag))
        code = raw.get("code")
        if code is not None and (not isinstance(code, str) or len(code) > 60):
            problems.append(_("Pertanyaan %(n)d: kode paling panjang 60 karakter.", n=n))
            code = None
        group = raw.get("group") or ""
        if not isinstance(group, str):
            group = ""
        out.append({"code": code or None, "kind": kind, "text": text.strip() if isinstance(text, str) else "",
                    "options": options, "instructor": bool(raw.get("instructor", False)),
                    "required": bool(raw.get("required", kind not in TEXT_KINDS)), "group": group.strip()[:120]})
    return out, problems


# --- templates ------------------------------------------------------------------------------------

def ensure_templates() -> None:
    """Put the shipped templates in the database once; after that BPSDM's edits are the truth."""
    have = set(db.session.scalars(select(SurveyTemplate.key)))
    for key, data in SHIPPED.items():
        if key not in have:
            try:
                with db.session.begin_nested():
                    db.session.add(SurveyTemplate(key=key, title=data["title"], description=data["description"],
                                                  anonymous=data["anonymous"], items=data["items"]))
            except IntegrityError:
                pass  # a concurrent request put it there first


def get_template(key: str) -> SurveyTemplate | None:
    if not isinstance(key, str):
        return None
    tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.key == key))
    if tpl is None and key in SHIPPED:
        ensure_templates()
        tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.key == key))
    return tpl


def template_items(key: str) -> list[dict] | None:
    """The items of a template without writing anything (package checks run before any write)."""
    tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.key == key)) if isinstance(key, str) else None
    if tpl is not None:
        return list(tpl.items or [])
    return list(SHIPPED[key]["items"]) if key in SHIPPED else None


def save_template(key: str, *, title: str, description: str, anonymous: bool, items: Any, by: User,
                  create: bool = False) -> SurveyTemplate:
    """Create or change a template (BPSDM, admin). Refused whole with every problem listed."""
    import re

    if not by.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya BPSDM atau admin yang dapat mengubah templat evaluasi."))
    title = (title or "").strip()
    problems = []
    if not title:
        problems.append(_("Judul templat wajib diisi."))
    elif len(title) > 250:
        problems.append(_("Judul templat paling panjang 250 karakter."))
    clean, item_problems = check_items(items)
    problems += item_problems
    tpl = get_template(key)
    if create:
        if not isinstance(key, str) or not re.match(KEY_RE, key):
            problems.append(_("Kode templat 2–40 huruf kecil, angka, - atau _."))
        elif tpl is not None:
            raise Conflict(_("Templat dengan kode %(k)s sudah ada.", k=key), code="template_exists")
    elif tpl is None:
        raise NotFound(_("Templat evaluasi tidak ditemukan."))
    if problems:
        raise RuleViolation(_("Templat ditolak: %(n)d masalah.", n=len(problems)), code="invalid_template",
                            details=[{"message": p} for p in problems])
    if tpl is None:
        tpl = SurveyTemplate(key=key)
        db.session.add(tpl)
    tpl.title, tpl.description, tpl.anonymous, tpl.items = title, (description or "").strip(), bool(anonymous), clean
    tpl.updated_by_id = by.id
    tpl.updated_at = utcnow()
    db.session.flush()
    return tpl


def reset_template(key: str, by: User) -> SurveyTemplate:
    """Back to the shipped wording."""
    if key not in SHIPPED:
        raise NotFound(_("Templat ini bukan bawaan Lentera."))
    data = SHIPPED[key]
    return save_template(key, title=data["title"], description=data["description"], anonymous=data["anonymous"],
                         items=data["items"], by=by)


# --- surveys ------------------------------------------------------------------------------------

def parse_when(value: Any, field: str) -> datetime | None:
    """A date (start of day) or an ISO date-time, naive UTC; a clear message otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(tz=None).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                from datetime import UTC

                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
    raise BadInput(_("%(f)s harus tanggal (YYYY-MM-DD) atau waktu ISO 8601.", f=field), code="invalid_date")


def survey_spec_problems(spec: dict) -> list[str]:
    """Every problem of a survey activity's settings (course.yaml entry or API body)."""
    problems: list[str] = []
    template = spec.get("template")
    questions = spec.get("questions")
    if template is None and questions is None:
        problems.append(_("Survei perlu template (penyelenggaraan, pengajar) atau questions."))
    if template is not None:
        items = template_items(template) if isinstance(template, str) else None
        if items is None:
            problems.append(_("Templat evaluasi tidak dikenal: %(t)s", t=template))
        elif not items and questions is None:
            problems.append(_("Templat '%(t)s' tidak berisi pertanyaan.", t=template))
    if questions is not None:
        problems += check_items(questions)[1]
    for flag in ("anonymous", "before_certificate"):
        if flag in spec and not isinstance(spec[flag], bool):
            problems.append(_("%(f)s harus true atau false.", f=flag))
    when: dict[str, datetime | None] = {}
    for field in ("open_at", "close_at"):
        try:
            when[field] = parse_when(spec.get(field), field)
        except BadInput as exc:
            problems.append(exc.message)
    if when.get("open_at") and when.get("close_at") and when["close_at"] <= when["open_at"]:
        problems.append(_("close_at harus sesudah open_at."))
    return problems


def create_survey(activity: Activity, spec: dict) -> Survey:
    """The survey of a new activity, from a template or its own questions (a template's anonymity
    unless the spec says otherwise). Call after `survey_spec_problems` found nothing."""
    template = spec.get("template")
    tpl = get_template(template) if template else None
    items = spec.get("questions") if spec.get("questions") is not None else (tpl.items if tpl else [])
    clean, problems = check_items(items)
    if problems:
        raise RuleViolation(problems[0], code="invalid_survey", details=[{"message": p} for p in problems])
    anonymous = spec.get("anonymous", tpl.anonymous if tpl is not None else True)
    survey = db.session.scalar(select(Survey).where(Survey.activity_id == activity.id))
    if survey is None:
        survey = Survey(activity_id=activity.id, course_id=activity.course_id)
        db.session.add(survey)
    survey.template_key = tpl.key if tpl is not None else None
    survey.anonymous = bool(anonymous)
    survey.open_at = parse_when(spec.get("open_at"), "open_at")
    survey.close_at = parse_when(spec.get("close_at"), "close_at")
    survey.before_certificate = bool(spec.get("before_certificate", False))
    if survey.before_certificate and "required" not in spec:
        # The certificate waits for the evaluation; the course completion (and so the JP) must not.
        activity.required = False
    set_questions(survey, clean)
    return survey


def set_questions(survey: Survey, items: list[dict]) -> None:
    """Replace a survey's questions; refused once someone has answered (their answers name them)."""
    if survey.id is not None and db.session.scalar(select(SurveySubmission.id).where(
            SurveySubmission.survey_id == survey.id).limit(1)) is not None:
        raise Conflict(_("Pertanyaan tidak dapat diubah: survei ini sudah diisi peserta."), code="survey_answered")
    survey.questions.clear()
    db.session.flush()
    for pos, it in enumerate(items):
        survey.questions.append(SurveyQuestion(position=pos, code=it["code"], group=it["group"], kind=it["kind"],
                                               text=it["text"], options=it["options"], instructor=it["instructor"],
                                               required=it["required"]))
    db.session.flush()


def update_survey(survey: Survey, *, anonymous: bool | None = None, open_at: Any = None, close_at: Any = None,
                  before_certificate: bool | None = None, questions: list | None = None) -> Survey:
    """Change a survey's settings. Anonymity cannot change after the first answer: people answered
    under the promise they were given."""
    answered = db.session.scalar(select(SurveySubmission.id).where(SurveySubmission.survey_id == survey.id).limit(1))
    if anonymous is not None and anonymous != survey.anonymous:
        if answered is not None:
            raise Conflict(_("Sifat anonim tidak dapat diubah setelah ada yang mengisi."), code="survey_answered")
        survey.anonymous = anonymous
    o = parse_when(open_at, "open_at")
    c = parse_when(close_at, "close_at")
    if o and c and c <= o:
        raise RuleViolation(_("Waktu tutup harus sesudah waktu buka."), code="invalid_dates")
    survey.open_at, survey.close_at = o, c
    released = False
    if before_certificate is not None and before_certificate != survey.before_certificate:
        survey.before_certificate = before_certificate
        if before_certificate:
            survey.activity.required = False
        else:
            released = True
    if questions is not None:
        clean, problems = check_items(questions)
        if problems:
            raise RuleViolation(_("Pertanyaan ditolak: %(n)d masalah.", n=len(problems)), code="invalid_survey",
                                details=[{"message": p} for p in problems])
        set_questions(survey, clean)
    db.session.flush()
    if released:
        release_holds(survey)
    return survey


def course_instructors(course: Course) -> list[User]:
    """The people an "instructor" question is asked about: the owner and co-instructors."""
    ids: list[int] = []
    if course.owner_id is not None:
        ids.append(course.owner_id)
    ids += [i for i in db.session.scalars(select(CourseInstructor.user_id).where(
        CourseInstructor.course_id == course.id).order_by(CourseInstructor.id)) if i not in ids]
    if not ids:
        return []
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [people[i] for i in ids if i in people and people[i].has_role("instructor", "admin")]


def survey_items(survey: Survey) -> list[tuple[str, SurveyQuestion, User | None]]:
    """What a respondent answers: (answer key, question, instructor) with instructor questions
    repeated for each instructor of the course; the key is "<question id>" or "<question id>:<user id>"."""
    instructors = None
    out = []
    for q in survey.questions:
        if q.instructor:
            if instructors is None:
                instructors = course_instructors(survey.activity.course)
            if instructors:
                out += [(f"{q.id}:{u.id}", q, u) for u in instructors]
                continue
        out.append((str(q.id), q, None))
    return out


def survey_state(survey: Survey, now: datetime | None = None) -> str:
    """"open", "not_yet" or "closed"."""
    now = now or utcnow()
    if survey.open_at is not None and now < survey.open_at:
        return "not_yet"
    if survey.close_at is not None and now >= survey.close_at:
        return "closed"
    return "open"


def _flatten(answers: dict) -> dict[str, Any]:
    """Accept {"12": v, "13:7": v} and the nested form {"13": {"7": v}} for instructor questions."""
    flat: dict[str, Any] = {}
    for key, value in answers.items():
        key = str(key).strip()
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}:{str(sub).strip()}"] = v
        else:
            flat[key] = value
    return flat


def _answer_rows(q: SurveyQuestion, value: Any) -> tuple[list[tuple[float | None, str | None]], str | None]:
    """The (value, text) rows of one answer, or the reason it is refused."""
    if q.kind in SCALE_KINDS:
        top = 5 if q.kind == "likert5" else 4
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or not 1 <= value <= top:
            return [], _("harus bilangan bulat 1 sampai %(top)d", top=top)
        return [(float(value), None)], None
    if q.kind == "number":
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                return [], _("harus angka")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > 1e12:
            return [], _("harus angka")
        return [(float(value), None)], None
    if q.kind in CHOICE_KINDS:
        values = value if isinstance(value, list) else [value]
        if q.kind == "single" and isinstance(value, list):
            return [], _("hanya boleh satu pilihan")
        if not values:
            return [], _("pilih sedikitnya satu")
        picked: list[int] = []
        for v in values:
            if isinstance(v, str) and v in q.options:
                idx = q.options.index(v)
            elif isinstance(v, str) and v.strip().isdigit() and int(v) < len(q.options):
                idx = int(v)
            elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(q.options):
                idx = v
            else:
                return [], _("bukan salah satu pilihan")
            if idx not in picked:
                picked.append(idx)
        return [(float(i), None) for i in picked], None
    if not isinstance(value, str):
        return [], _("harus teks")
    text = value.strip()
    if len(text) > TEXT_MAX[q.kind]:
        return [], _("paling panjang %(m)d karakter", m=TEXT_MAX[q.kind])
    return ([(None, text)] if text else []), None


def submit_response(survey: Survey, user: User, answers: Any, *, now: datetime | None = None) -> SurveySubmission:
    """Record one person's answers, once; completes the activity and, when the certificate was
    waiting for this evaluation, lets certificates issue it."""
    from app.courses import operations as course_ops

    if not isinstance(answers, dict):
        raise BadInput(_("answers harus objek {id pertanyaan: jawaban}."), code="invalid_answers")
    activity = survey.activity
    if not activity.visible or not activity.section.visible:
        raise NotFound(_("Survei tidak ditemukan."))
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.course_id == survey.course_id,
                                                          Enrolment.user_id == user.id))
    if enrolment is None:
        raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    now = now or utcnow()
    state = survey_state(survey, now)
    if state == "not_yet":
        raise RuleViolation(_("Survei ini belum dibuka."), code="survey_not_open")
    if state == "closed":
        raise RuleViolation(_("Survei ini sudah ditutup; jawaban tidak dapat dikirim lagi."), code="survey_closed")
    if db.session.scalar(select(SurveySubmission.id).where(SurveySubmission.survey_id == survey.id,
                                                           SurveySubmission.user_id == user.id)) is not None:
        raise Conflict(_("Anda sudah mengisi survei ini; setiap orang mengisi satu kali."), code="already_submitted")
    flat = _flatten(answers)
    items = survey_items(survey)
    known = {key for key, _q, _i in items}
    details = [{"question": k, "message": _("Pertanyaan %(k)s tidak ada di survei ini.", k=k)}
               for k in flat if k not in known]
    rows: list[SurveyAnswer] = []
    for key, q, instructor in items:
        value = flat.get(key)
        label = q.text if instructor is None else f"{q.text} ({instructor.name})"
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            if q.required:
                details.append({"question": key, "message": _("'%(q)s' wajib diisi.", q=label)})
            continue
        out, reason = _answer_rows(q, value)
        if reason:
            details.append({"question": key, "message": f"'{label}': {reason}."})
            continue
        rows += [SurveyAnswer(question_id=q.id, instructor_id=instructor.id if instructor else None, value=v, text=t)
                 for v, t in out]
    if details:
        raise RuleViolation(_("Jawaban belum dapat dikirim: %(n)d masalah.", n=len(details)), code="invalid_answers",
                            details=details)
    submission = SurveySubmission(survey_id=survey.id, user_id=user.id,
                                  submitted_on=now if not survey.anonymous else now.replace(
                                      hour=0, minute=0, second=0, microsecond=0))
    try:
        with db.session.begin_nested():
            db.session.add(submission)
    except IntegrityError:
        raise Conflict(_("Anda sudah mengisi survei ini; setiap orang mengisi satu kali."),
                       code="already_submitted") from None
    response = SurveyResponse(id=secrets.token_hex(16), survey_id=survey.id,
                              user_id=None if survey.anonymous else user.id, unit_id=user.unit_id, year=now.year)
    db.session.add(response)
    db.session.flush()
    for r in rows:
        r.response_id = response.id
    db.session.add_all(rows)
    course_ops.touch_enrolment(enrolment, activity)
    course_ops.complete_activity(user, activity, source="survey", at=now)
    if survey.before_certificate:
        certificate_hold_released.send(user, course=activity.course)
    db.session.flush()
    return submission


# --- the certificate hold ------------------------------------------------------------------------

def pending_certificate_surveys(user: User, course: Course) -> list[Survey]:
    """Surveys of the course that must be answered before its certificate, not yet answered."""
    return list(db.session.scalars(select(Survey).join(Activity, Activity.id == Survey.activity_id).where(
        Survey.course_id == course.id, Survey.before_certificate.is_(True), Activity.visible.is_(True),
        ~select(SurveySubmission.id).where(SurveySubmission.survey_id == Survey.id,
                                           SurveySubmission.user_id == user.id).exists())))


def certificate_hold(user: User, course: Course) -> str | None:
    """Registered with certificates: the reason the certificate waits, or None."""
    pending = pending_certificate_surveys(user, course)
    if not pending:
        return None
    return _("Isi evaluasi berikut agar sertifikat terbit: %(t)s",
             t=", ".join(s.activity.title for s in pending))


def release_holds(survey: Survey) -> None:
    """A survey no longer holds the certificate: everyone held only by it may now get theirs."""
    from app.courses.models import CourseCompletion

    for user in db.session.scalars(select(User).join(CourseCompletion, CourseCompletion.user_id == User.id).where(
            CourseCompletion.course_id == survey.course_id)):
        certificate_hold_released.send(user, course=survey.activity.course)


# --- learning gain ------------------------------------------------------------------------------

def set_learning_gain(course: Course, pre_quiz_id: int | None, post_quiz_id: int | None) -> LearningGainSetup:
    """Mark a quiz of the course as its pre-test and one as its post-test."""
    from app.quizzes.models import Quiz

    for label, quiz_id in (("pre_quiz_id", pre_quiz_id), ("post_quiz_id", post_quiz_id)):
        if quiz_id is not None:
            quiz = db.session.get(Quiz, quiz_id)
            if quiz is None or quiz.course_id != course.id:
                raise RuleViolation(_("%(f)s: kuis %(id)s bukan milik kursus ini.", f=label, id=quiz_id),
                                    code="quiz_not_in_course")
    if pre_quiz_id is not None and pre_quiz_id == post_quiz_id:
        raise RuleViolation(_("Pre-test dan post-test harus kuis yang berbeda."), code="same_quiz")
    setup = db.session.scalar(select(LearningGainSetup).where(LearningGainSetup.course_id == course.id))
    if setup is None:
        setup = LearningGainSetup(course_id=course.id)
        db.session.add(setup)
    setup.pre_quiz_id, setup.post_quiz_id = pre_quiz_id, post_quiz_id
    db.session.flush()
    return setup


# --- job impact (Kirkpatrick level 3) -----------------------------------------------------------

IMPACT_APPLIED = ("ya", "sebagian", "tidak")


def setting(name: str, default: int) -> int:
    """A whole-number setting of this domain: the app config (tests, create_app), else the
    environment as LENTERA_<NAME>, else the default (DOMAIN.md: settings, not constants)."""
    import os

    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(f"LENTERA_{name}")
    try:
        number = int(value) if value is not None else default
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def impact_delay_days() -> int:
    """Days between a completion and its job-impact evaluation (default 90)."""
    return setting("EVALUATION_IMPACT_DAYS", 90)


def schedule_impact(user: User, course: Course, completed_at: datetime | None) -> None:
    """Queue the job that opens the level-3 evaluation N days after the completion."""
    from app.jobs.operations import enqueue

    job = enqueue("evaluation.impact_open", {"user_id": user.id, "course_id": course.id},
                  dedupe_key=f"evaluation.impact:{course.id}:{user.id}")
    if job.state == "queued" and job.attempts == 0:  # a new job (one per completion, ever)
        job.run_after = (completed_at or utcnow()) + timedelta(days=impact_delay_days())
    db.session.flush()


def open_impact(user: User, course: Course) -> list[ImpactEvaluation]:
    """Open the learner's and the atasan's evaluation of one completion, once, and tell them."""
    from app.accounts.queries import supervisors_of
    from app.notifications.operations import link_to, notify

    created = []
    heads = supervisors_of(user)
    for role, respondent in (("learner", user), ("supervisor", heads[0] if heads else None)):
        if respondent is None or not respondent.active:
            continue
        if db.session.scalar(select(ImpactEvaluation.id).where(
                ImpactEvaluation.course_id == course.id, ImpactEvaluation.learner_id == user.id,
                ImpactEvaluation.role == role)) is not None:
            continue
        ev = ImpactEvaluation(course_id=course.id, learner_id=user.id, respondent_id=respondent.id, role=role)
        try:
            with db.session.begin_nested():
                db.session.add(ev)
        except IntegrityError:
            continue
        created.append(ev)
        if role == "learner":
            title = _("Evaluasi dampak pelatihan: %(c)s", c=course.title)
            body = _("Bagaimana pelatihan ini diterapkan dalam pekerjaan Anda? Isi evaluasi singkat.")
        else:
            title = _("Evaluasi dampak pelatihan pegawai Anda: %(n)s", n=user.name)
            body = _("Nilai penerapan pelatihan %(c)s dalam pekerjaan %(n)s.", c=course.title, n=user.name)
        notify(respondent, title, body, link=link_to("evaluation.impact_form", evaluation_id=ev.id))
    return created


def remind_impact(now: datetime | None = None) -> int:
    """Remind whoever has not answered: after 14 days, then every 14 days, three times at most."""
    from app.notifications.operations import link_to, notify

    now = now or utcnow()
    every = timedelta(days=setting("EVALUATION_IMPACT_REMINDER_DAYS", 14))
    due = db.session.scalars(select(ImpactEvaluation).where(
        ImpactEvaluation.submitted_at.is_(None), ImpactEvaluation.reminders < 3,
        ImpactEvaluation.opened_at <= now - every).limit(500))
    sent = 0
    for ev in due:
        if ev.reminded_at is not None and ev.reminded_at > now - every:
            continue
        notify(ev.respondent, _("Pengingat: evaluasi dampak pelatihan %(c)s", c=ev.course.title),
               _("Evaluasi ini belum diisi."), link=link_to("evaluation.impact_form", evaluation_id=ev.id))
        ev.reminded_at, ev.reminders = now, ev.reminders + 1
        sent += 1
    db.session.flush()
    return sent


def submit_impact(ev: ImpactEvaluation, user: User, *, applied: Any, change: Any, ratings: Any) -> ImpactEvaluation:
    """The respondent's answers; recorded once, then kept as evidence beside the competencies."""
    if ev.respondent_id != user.id:
        raise Forbidden(_("Evaluasi ini bukan untuk Anda."))
    if ev.submitted_at is not None:
        raise Conflict(_("Evaluasi ini sudah diisi."), code="already_submitted")
    details = []
    if applied not in IMPACT_APPLIED:
        details.append({"field": "applied", "message": _("Pilih: ya, sebagian atau tidak.")})
    if change is not None and not isinstance(change, str):
        details.append({"field": "change", "message": _("Perubahan harus teks.")})
    elif isinstance(change, str) and len(change) > 5000:
        details.append({"field": "change", "message": _("Perubahan paling panjang 5000 karakter.")})
    codes = [c.code for c in ev.course.competencies]
    clean: dict[str, int] = {}
    if not isinstance(ratings, dict):
        details.append({"field": "ratings", "message": _("Nilai dampak harus objek {kode kompetensi: 1–5}.")})
    else:
        for code, value in ratings.items():
            if code not in codes:
                details.append({"field": "ratings", "message": _("Kompetensi %(c)s bukan kompetensi kursus ini.", c=code)})
                continue
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                details.append({"field": "ratings", "message": _("Nilai dampak %(c)s harus 1 sampai 5.", c=code)})
                continue
            clean[code] = value
        missing = [c for c in codes if c not in clean and c not in ratings]
        if missing:
            details.append({"field": "ratings", "message": _("Beri nilai untuk: %(c)s.", c=", ".join(missing))})
    if details:
        raise RuleViolation(_("Evaluasi belum dapat dikirim: %(n)d masalah.", n=len(details)), code="invalid_impact",
                            details=details)
    ev.applied, ev.change, ev.ratings, ev.submitted_at = applied, (change or "").strip(), clean, utcnow()
    db.session.flush()
    return ev
