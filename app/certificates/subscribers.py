"""Certificates follow completions: issued inside the completion's own transaction."""

from __future__ import annotations

from app.certificates import operations as ops
from app.jobs.operations import handler
from app.signals import certificate_hold_released, course_completed, program_completed


@course_completed.connect
def issue_on_completion(user, course, completed_at=None, **_kw) -> None:
    ops.issue_for_course(user, course, at=completed_at)


@certificate_hold_released.connect
def issue_after_hold(user, course, **_kw) -> None:
    # Issued on the day the hold ends, for the completion recorded earlier (its JP already credited).
    from sqlalchemy import select

    from app.courses.models import CourseCompletion
    from app.extensions import db

    if db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == course.id,
                                                           CourseCompletion.user_id == user.id)) is not None:
        ops.issue_for_course(user, course)


@program_completed.connect
def issue_on_program_completion(user, program, completion, completed_at=None, **_kw) -> None:
    # Same transaction as the ProgramCompletion row: no completion without its certificate.
    ops.issue_for_program(user, program, completion, at=completed_at)


@handler("certificates.zip")
def zip_job(job):
    return ops.build_zip(job)
