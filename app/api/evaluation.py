"""Evaluation routes of API.md (second wave): a survey, its responses and report, the instructor
report, learning gain and job-impact evaluations. Thin: the same operations and queries as the pages."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.queries import user_by_nip
from app.api.core import route, user_ctx
from app.courses import queries as course_q
from app.errors import BadInput, Forbidden, NotFound
from app.evaluation import operations as ops
from app.evaluation import queries as q
from app.evaluation.exports import course_report_xlsx
from app.evaluation.models import ImpactEvaluation
from app.extensions import db
from app.monitoring.exports import XLSX_TYPE
from app.web import paginate


class PersonRef(BaseModel):
    id: int
    nip: str | None
    name: str


class SurveyQuestionOut(BaseModel):
    id: int | str = Field(description="the key of this question's answer: the question id, or "
                                      "'<question id>:<instructor id>' for a question asked per instructor")
    question_id: int
    kind: str = Field(description="likert5, likert4, single, multiple, number, short_text, long_text")
    text: str
    group: str
    options: list[str]
    scale: list[str]
    required: bool
    instructor: PersonRef | None


class SurveyOut(BaseModel):
    id: int
    activity_id: int
    course_id: int
    title: str
    anonymous: bool
    template: str | None
    open_at: str | None
    close_at: str | None
    state: str = Field(description="open, not_yet or closed")
    before_certificate: bool
    questions: list[SurveyQuestionOut]


class ResponseIn(BaseModel):
    answers: dict[str, Any] = Field(description="{answer key: value}; a scale point 1–5 (1–4), a number, "
                                                "an option (its text or index), a list of options, or text")
    model_config = ConfigDict(extra="forbid")


class ResponseOut(BaseModel):
    survey_id: int
    submitted: bool
    activity_completed: bool
    certificate_waits: bool


class ReportQuestionOut(BaseModel):
    id: str
    question_id: int
    kind: str
    text: str
    group: str
    instructor: PersonRef | None
    count: int
    average: float | None
    distribution: dict[str, int] | None


class CommentOut(BaseModel):
    id: str
    question_id: int
    text: str


class RespondentOut(BaseModel):
    nip: str | None
    name: str
    submitted_at: str | None


class ReportOut(BaseModel):
    survey_id: int
    title: str
    anonymous: bool
    responses: int
    invited: int
    response_rate: float | None
    suppressed: bool = Field(description="fewer respondents than min_group in an anonymous survey: counts only")
    min_group: int
    questions: list[ReportQuestionOut]
    comments: list[CommentOut]
    respondents: list[RespondentOut] | None = None


class InstructorCourseOut(BaseModel):
    course_id: int
    title: str
    year: int | None
    respondents: int
    average: float | None
    suppressed: bool


class InstructorItemOut(BaseModel):
    code: str
    text: str
    count: int
    average: float | None
    distribution: dict[str, int]


class YearOut(BaseModel):
    year: int
    respondents: int
    average: float | None


class InstructorCommentOut(BaseModel):
    course: str
    text: str


class InstructorReportOut(BaseModel):
    instructor: PersonRef
    respondents: int
    average: float | None
    min_group: int
    courses: list[InstructorCourseOut]
    questions: list[InstructorItemOut]
    years: list[YearOut]
    comments: list[InstructorCommentOut]


class GainLearnerOut(BaseModel):
    nip: str | None
    name: str
    pre: float | None
    post: float | None
    gain: float | None = Field(description="post − pre, in percentage points")
    normalised_gain: float | None = Field(description="gain / (100 − pre)")


class LearningGainOut(BaseModel):
    course_id: int
    pre_quiz_id: int | None
    post_quiz_id: int | None
    pre_average: float | None
    post_average: float | None
    normalised_gain: float | None = Field(description="Hake's <g> over learners with both tests")
    learners: list[GainLearnerOut]


class LearningGainIn(BaseModel):
    pre_quiz_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    post_quiz_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    model_config = ConfigDict(extra="forbid")


class EvidenceOut(BaseModel):
    competency: str
    course_level: int
    assessment_id: int | None
    level: int | None
    rating: int | None


class ImpactOut(BaseModel):
    id: int
    course_id: int
    course: str
    learner: PersonRef
    role: str = Field(description="learner or supervisor (the atasan)")
    opened_at: str
    submitted_at: str | None
    applied: str | None
    change: str | None
    ratings: dict[str, int]
    competencies: list[str]
    evidence: list[EvidenceOut] = Field(description="per competency of the course: the level the completion "
                                                    "recorded as evidence (assessment) and this impact rating")


class ImpactPage(BaseModel):
    items: list[ImpactOut]
    page: int
    per_page: int
    total: int


class ImpactIn(BaseModel):
    applied: str = Field(description="ya, sebagian or tidak")
    change: str | None = None
    ratings: dict[str, Any] = Field(default_factory=dict, description="{competency code: 1–5}")
    model_config = ConfigDict(extra="forbid")


def _person(u) -> dict:
    return {"id": u.id, "nip": u.nip, "name": u.name}


@route("/surveys/<int:survey_id>", summary="A survey with its questions (instructor questions once per instructor)",
       tag="evaluation", response=SurveyOut)
def survey_get(survey_id: int):
    return q.survey_document(q.visible_survey(user_ctx(), survey_id))


@route("/surveys/<int:survey_id>/responses", "POST", summary="Submit one's answers to a survey (once)",
       tag="evaluation", body=ResponseIn, response=ResponseOut, status=201)
def survey_respond(survey_id: int, body: ResponseIn):
    user = user_ctx()
    survey = q.get_survey(survey_id)
    ops.submit_response(survey, user, body.answers)
    waits = bool(ops.pending_certificate_surveys(user, survey.activity.course))
    return {"survey_id": survey.id, "submitted": True, "activity_completed": True, "certificate_waits": waits}, 201


@route("/surveys/<int:survey_id>/report", summary="The survey's report: response rate, averages with n, "
       "distributions, comments (no per-person rows when anonymous)", tag="evaluation", response=ReportOut)
def survey_report(survey_id: int):
    viewer = user_ctx()
    survey = q.get_survey(survey_id)
    return q.report_document(q.survey_report(survey, q.report_reach(viewer, survey)))


@route("/surveys/<int:survey_id>/report.xlsx", summary="The survey's report as a spreadsheet", tag="evaluation",
       response_content=XLSX_TYPE)
def survey_report_xlsx(survey_id: int):
    viewer = user_ctx()
    survey = q.get_survey(survey_id)
    rep = q.survey_report(survey, q.report_reach(viewer, survey))
    return Response(course_report_xlsx(rep), mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="evaluasi-{survey.id}.xlsx"'})


@route("/evaluation/instructors/<nip>/report", summary="Everything said about one instructor, across courses",
       tag="evaluation", response=InstructorReportOut)
def instructor_report(nip: str):
    viewer = user_ctx()
    person = user_by_nip(nip)
    # As for every NIP route: a learner gets the same 404 for an unknown NIP and one out of reach,
    # so no one learns which NIPs exist; staff are told it is out of their reach.
    if person is None or (person.id != viewer.id and not viewer.has_role("admin", "bpsdm")):
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
    return q.instructor_document(q.instructor_report(person, q.instructor_reach(viewer, person)))


def _gain_reach(course_id: int):
    viewer = user_ctx()
    course = course_q.get_course(course_id)
    r = course_q.staff_reach(viewer, course)
    if r is None:
        raise Forbidden(_("Hasil belajar hanya untuk pengajar kursus dan staf BPSDM."))
    return course, r


def _gain_document(course, r) -> dict:
    g = q.learning_gain(course, r)
    return {"course_id": course.id, "pre_quiz_id": g.setup.pre_quiz_id if g.setup else None,
            "post_quiz_id": g.setup.post_quiz_id if g.setup else None, "pre_average": g.pre_average,
            "post_average": g.post_average, "normalised_gain": g.normalised_gain,
            "learners": [{"nip": row.user.nip, "name": row.user.name, "pre": row.pre, "post": row.post,
                          "gain": row.gain, "normalised_gain": row.normalised} for row in g.rows]}


@route("/courses/<int:course_id>/learning-gain", summary="Pre-test, post-test, each learner's gain and Hake's <g>",
       tag="evaluation", response=LearningGainOut)
def learning_gain(course_id: int):
    course, r = _gain_reach(course_id)
    return _gain_document(course, r)


@route("/courses/<int:course_id>/learning-gain", "PUT", summary="Mark the course's pre-test and post-test quizzes",
       tag="evaluation", body=LearningGainIn, response=LearningGainOut)
def learning_gain_set(course_id: int, body: LearningGainIn):
    course = course_q.editable_course(user_ctx(), course_id)
    ops.set_learning_gain(course, body.pre_quiz_id, body.post_quiz_id)
    return _gain_document(course, course_q.staff_reach(user_ctx(), course))


def _impact_dict(ev: ImpactEvaluation) -> dict:
    return {"id": ev.id, "course_id": ev.course_id, "course": ev.course.title, "learner": _person(ev.learner),
            "role": ev.role, "opened_at": ev.opened_at.isoformat(timespec="seconds") + "+00:00",
            "submitted_at": ev.submitted_at.isoformat(timespec="seconds") + "+00:00" if ev.submitted_at else None,
            "applied": ev.applied, "change": ev.change, "ratings": ev.ratings or {},
            "competencies": [c.code for c in ev.course.competencies],
            "evidence": q.impact_evidence([ev]).get(ev.id, [])}


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


@route("/evaluation/impact", summary="The job-impact evaluations waiting for me (and those I answered)",
       tag="evaluation", query=PageQuery, response=ImpactPage)
def impact_list(params: PageQuery):
    from sqlalchemy import select

    stmt = select(ImpactEvaluation).where(ImpactEvaluation.respondent_id == user_ctx().id).order_by(
        ImpactEvaluation.submitted_at.is_not(None), ImpactEvaluation.opened_at.desc(), ImpactEvaluation.id)
    return paginate(stmt, _impact_dict)


@route("/evaluation/impact/<int:evaluation_id>", "POST", summary="Answer a job-impact evaluation (once)",
       tag="evaluation", body=ImpactIn, response=ImpactOut, status=201)
def impact_submit(evaluation_id: int, body: ImpactIn):
    ev = db.session.get(ImpactEvaluation, evaluation_id)
    if ev is None:
        raise NotFound(_("Evaluasi tidak ditemukan."))
    if body.change is not None and not isinstance(body.change, str):
        raise BadInput(_("Perubahan harus teks."))
    ops.submit_impact(ev, user_ctx(), applied=body.applied, change=body.change, ratings=body.ratings)
    return _impact_dict(ev), 201


class SummaryQuery(BaseModel):
    by: str = Field(default="organiser", pattern="^(organiser|unit)$", description="organiser or unit")


class SummaryRowOut(BaseModel):
    key: str = Field(description="the organiser, or the respondents' unit")
    year: int
    respondents: int
    answers: int
    average: float | None = Field(description="of the 1–5 scale answers; null for a group under min_group")


class SummaryOut(BaseModel):
    by: str
    min_group: int
    items: list[SummaryRowOut]


@route("/evaluation/summary", summary="Evaluation results per organiser or per unit, by year", tag="evaluation",
       query=SummaryQuery, response=SummaryOut, roles=("instructor", "bpsdm", "admin"))
def evaluation_summary(params: SummaryQuery):
    rows = q.summary(user_ctx(), params.by)
    return {"by": params.by, "min_group": q.min_group(),
            "items": [{"key": r.key, "year": r.year, "respondents": r.respondents, "answers": r.answers,
                       "average": r.average} for r in rows]}


class SurveyPatch(BaseModel):
    anonymous: bool | None = None
    open_at: str | None = Field(default=None, max_length=40)
    close_at: str | None = Field(default=None, max_length=40)
    before_certificate: bool | None = None
    questions: list[dict[str, Any]] | None = Field(default=None, description="replaces the questions (refused "
                                                                             "once someone has answered)")
    model_config = ConfigDict(extra="forbid")


@route("/surveys/<int:survey_id>", "PATCH", summary="Change a survey: anonymity, open/close, certificate rule, questions",
       tag="evaluation", body=SurveyPatch, response=SurveyOut)
def survey_patch(survey_id: int, body: SurveyPatch):
    survey = q.get_survey(survey_id)
    course_q.editable_course(user_ctx(), survey.course_id)
    fields = body.model_dump(exclude_unset=True)
    ops.update_survey(survey, anonymous=fields.get("anonymous"),
                      open_at=fields.get("open_at", survey.open_at), close_at=fields.get("close_at", survey.close_at),
                      before_certificate=fields.get("before_certificate"), questions=fields.get("questions"))
    return q.survey_document(survey)


class TemplateItemOut(BaseModel):
    code: str | None = None
    kind: str
    text: str
    options: list[str] = []
    instructor: bool = False
    required: bool = True
    group: str = ""


class TemplateOut(BaseModel):
    key: str
    title: str
    description: str
    anonymous: bool
    questions: list[TemplateItemOut]


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    page: int
    per_page: int
    total: int


class TemplateIn(BaseModel):
    title: str = Field(max_length=250)
    description: str = Field(default="", max_length=5000)
    anonymous: bool = True
    questions: list[dict[str, Any]]
    model_config = ConfigDict(extra="forbid")


def _template_dict(t) -> dict:
    return {"key": t.key, "title": t.title, "description": t.description or "", "anonymous": t.anonymous,
            "questions": list(t.items or [])}


@route("/evaluation/templates", summary="The survey templates (shipped ones and BPSDM's own)", tag="evaluation",
       response=TemplatePage, roles=("instructor", "bpsdm", "admin"))
def templates_list():
    from sqlalchemy import select

    from app.evaluation.models import SurveyTemplate

    ops.ensure_templates()
    items = [_template_dict(t) for t in db.session.scalars(select(SurveyTemplate).order_by(SurveyTemplate.key))]
    return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items)}


@route("/evaluation/templates/<key>", "PUT", summary="Create or change a survey template (BPSDM)", tag="evaluation",
       body=TemplateIn, response=TemplateOut, roles=("bpsdm", "admin"))
def template_put(key: str, body: TemplateIn):
    exists = ops.get_template(key) is not None
    tpl = ops.save_template(key, title=body.title, description=body.description, anonymous=body.anonymous,
                            items=body.questions, by=user_ctx(), create=not exists)
    return _template_dict(tpl)
