"""Certificates follow completions: issued inside the completion's own transaction."""

from __future__ import annotations

from app.certificates import operations as ops
from app.jobs.operations import handler
from app.signals import course_completed, program_completed


@course_completed.connect
def issue_on_completion(user, course, completed_at=None, **_kw) -> None:
    ops.issue_for_course(user, course, at=completed_at)


@program_completed.connect
def issue_on_program_completion(user, program, completion, completed_at=None, **_kw) -> None:
    # Same transaction as the ProgramCompletion row: no completion without its certificate.
    ops.issue_for_program(user, program, completion, at=completed_at)


@handler("certificates.zip")
def zip_job(job):
    return ops.build_zip(job)
