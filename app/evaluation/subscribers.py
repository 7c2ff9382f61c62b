"""Evaluation hears about completions (the level-3 schedule) and tells certificates when a
required evaluation holds a certificate back — through the certificates registry, so that
certificates never import this package."""

from __future__ import annotations

from app.certificates.operations import COURSE_CERTIFICATE_HOLDS
from app.courses.models import Course
from app.evaluation import operations as ops
from app.extensions import db
from app.jobs.operations import handler, periodic
from app.signals import course_completed

if ops.certificate_hold not in COURSE_CERTIFICATE_HOLDS:
    COURSE_CERTIFICATE_HOLDS.append(ops.certificate_hold)


@course_completed.connect
def schedule_job_impact(user, course, completed_at=None, **_kw) -> None:
    # Only courses that are evidence of a competency get a level-3 evaluation: it rates the
    # impact per competency of the course, and links the answers to the person's evidence.
    if course.competencies:
        ops.schedule_impact(user, course, completed_at)


@handler("evaluation.impact_open")
def impact_open_job(job) -> dict:
    from app.accounts.models import User

    user = db.session.get(User, job.payload.get("user_id"))
    course = db.session.get(Course, job.payload.get("course_id"))
    if user is None or course is None:
        return {"opened": 0}
    return {"opened": len(ops.open_impact(user, course))}


@periodic("evaluation.impact_reminders", 6 * 3600)
def impact_reminders() -> None:
    ops.remind_impact()
