"""The survey activity type, plugged into the course engine's registry (the engine imports
nothing of this package). In course.yaml and in `POST /api/v1/courses/{id}/activities`:

    - type: survey
      title: Evaluasi penyelenggaraan
      template: penyelenggaraan        # or `questions: [{kind, text, options, instructor}]`
      anonymous: true                  # default: the template's (shipped ones are anonymous)
      open_at: 2026-12-01              # optional; close_at likewise
      before_certificate: true         # the certificate waits for it; the JP do not
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activity_types import ActivityType, register
from app.extensions import db


def _survey(activity):
    from app.evaluation.models import Survey

    return db.session.scalar(select(Survey).where(Survey.activity_id == activity.id))


def validate(spec: dict, reader, problems) -> None:
    from datetime import date, datetime

    from app.evaluation.operations import survey_spec_problems

    for field in ("open_at", "close_at"):
        # YAML reads 2030-01-31 as a date; the activity's settings are JSON: keep the ISO text.
        if isinstance(spec.get(field), datetime | date):
            spec[field] = spec[field].isoformat()

    for message in survey_spec_problems(spec):
        problems.add("course.yaml", None, f"Survei '{spec.get('title', '')}': {message}")


def apply(activity, spec: dict, reader) -> None:
    from app.errors import Conflict
    from app.evaluation.operations import create_survey

    if _survey(activity) is None:
        create_survey(activity, spec)
        return
    # A package re-import: an unanswered survey takes the package's questions; an answered one
    # keeps its own, since the answers name them.
    try:
        with db.session.begin_nested():
            create_survey(activity, spec)
    except Conflict:
        pass


def _item(q) -> dict:
    out = {"kind": q.kind, "text": q.text}
    if q.code:
        out["code"] = q.code
    if q.group:
        out["group"] = q.group
    if q.options:
        out["options"] = list(q.options)
    if q.instructor:
        out["instructor"] = True
    out["required"] = q.required
    return out


def export(activity, writer) -> dict:
    survey = _survey(activity)
    if survey is None:
        return {}
    out: dict = {"questions": [_item(q) for q in survey.questions], "anonymous": survey.anonymous,
                 "before_certificate": survey.before_certificate}
    if survey.template_key:
        out["template"] = survey.template_key  # where the questions came from; `questions` win
    for field in ("open_at", "close_at"):
        value = getattr(survey, field)
        if value is not None:
            out[field] = value.isoformat(timespec="minutes")
    return out


def duplicate(source, new) -> None:
    from app.evaluation.operations import check_items, create_survey

    src = _survey(source)
    if src is None:
        return
    items, _problems = check_items([_item(q) for q in src.questions])
    create_survey(new, {"questions": items, "anonymous": src.anonymous, "open_at": src.open_at,
                        "close_at": src.close_at, "before_certificate": src.before_certificate,
                        "required": new.required})
    created = _survey(new)
    created.template_key = src.template_key


def meets_rule(activity, user) -> bool:
    from app.evaluation.models import Survey, SurveySubmission

    return db.session.scalar(select(SurveySubmission.id).join(Survey, Survey.id == SurveySubmission.survey_id).where(
        Survey.activity_id == activity.id, SurveySubmission.user_id == user.id).limit(1)) is not None


def api_fields(activity) -> dict:
    from app.evaluation.models import Survey

    return {"survey_id": db.session.scalar(select(Survey.id).where(Survey.activity_id == activity.id))}


def view_context(activity, user) -> dict:
    from app.evaluation.queries import learner_summary

    return learner_summary(activity, user)


def edit_context(activity) -> dict:
    return {"survey": _survey(activity)}


register(ActivityType(
    name="survey", label=_l("Survei evaluasi"), completion="survey",
    template="evaluation/_activity.html", view_context=view_context,
    edit_template="evaluation/_activity_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export, duplicate=duplicate, meets_rule=meets_rule,
    api_fields=api_fields,
))
