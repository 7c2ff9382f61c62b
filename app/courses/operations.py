"""Every state change of the course engine.

Completion is the heart: `complete_activity()` is the one door every activity type goes
through (a lesson viewed, a video watched, a quiz passed, attendance recorded). It records the
activity's completion once, sends `activity_completed`, and when the course's criteria are met
records the course completion once and sends `course_completed` — in the caller's transaction,
so the ledger's credit and the completion commit together.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.models import Activity, ActivityCompletion, Course, CourseCompletion, Enrolment
from app.errors import Conflict, RuleViolation
from app.extensions import db
from app.signals import activity_completed, course_completed, user_enrolled


def enrol(course: Course, user: User, *, method: str = "manual", by: User | None = None) -> Enrolment:
    """Enrol a user; a second enrolment of the same person is a Conflict (409)."""
    existing = db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id,
                                                         Enrolment.user_id == user.id))
    if existing is not None:
        raise Conflict(_("%(name)s sudah terdaftar di kursus ini.", name=user.name), code="already_enrolled")
    enrolment = Enrolment(course=course, user=user, method=method, enrolled_by_id=by.id if by else None)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        raise Conflict(_("%(name)s sudah terdaftar di kursus ini.", name=user.name), code="already_enrolled") from None
    user_enrolled.send(user, course=course, enrolment=enrolment)
    return enrolment


def get_enrolment(course: Course, user: User) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id))


def complete_activity(user: User, activity: Activity, *, source: str = "view", by: User | None = None,
                      at: datetime | None = None) -> bool:
    """Record that `user` met `activity`'s completion rule. Returns True when this call recorded it
    (False when it was already complete). Idempotent and safe under concurrency."""
    if get_enrolment(activity.course, user) is None:
        raise RuleViolation(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    at = at or utcnow()
    exists = db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.activity_id == activity.id, ActivityCompletion.user_id == user.id))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ActivityCompletion(activity_id=activity.id, user_id=user.id, source=source,
                                              completed_at=at, recorded_by_id=by.id if by else None))
    except IntegrityError:
        return False  # a concurrent request recorded it first
    activity_completed.send(user, activity=activity, completed_at=at)
    check_course_completion(user, activity.course, at=at)
    return True


def required_activity_ids(course: Course) -> list[int]:
    return list(db.session.scalars(select(Activity.id).where(
        Activity.course_id == course.id, Activity.required.is_(True), Activity.visible.is_(True))))


def check_course_completion(user: User, course: Course, *, at: datetime | None = None) -> bool:
    """Record the course completion when every required, visible activity is complete.

    Returns True only for the call that recorded it; `course_completed` is sent by that call
    alone, so receivers (ledger, certificates, CMB) act exactly once per (user, course).
    """
    required = required_activity_ids(course)
    if not required:
        return False
    done = db.session.scalar(select(func.count()).select_from(ActivityCompletion).where(
        ActivityCompletion.user_id == user.id, ActivityCompletion.activity_id.in_(required)))
    if done < len(required):
        return False
    if db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == course.id,
                                                           CourseCompletion.user_id == user.id)) is not None:
        return False
    at = at or utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(CourseCompletion(course_id=course.id, user_id=user.id, completed_at=at))
    except IntegrityError:
        return False
    course_completed.send(user, course=course, completed_at=at)
    return True
