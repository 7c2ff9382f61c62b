"""What the CMB layer does when something happens elsewhere: a completed course is competency
evidence and may complete a program; course packages are checked against the dictionary; a
periodic job tells holders of expiring certifications."""

from __future__ import annotations

from app.corpu import operations as ops
from app.courses.activity_types import COMPETENCY_CHECKERS
from app.jobs.operations import periodic
from app.signals import course_completed


@course_completed.connect
def on_course_completed(user, course, completed_at, **_kw) -> None:
    # Same transaction as the completion: the evidence commits with it or not at all.
    ops.apply_course_evidence(user, course, completed_at)
    ops.check_program_completion(user, course, completed_at)


if ops.unknown_codes not in COMPETENCY_CHECKERS:
    COMPETENCY_CHECKERS.append(ops.unknown_codes)


@periodic("corpu-expiring-certifications", 6 * 3600)
def expiring_certifications() -> None:
    ops.notify_expiring()
