"""Assignment due dates in each learner's agenda (and iCal feed): their own date when they were
given an extension, and only while they have not handed the work in."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from app.accounts.models import User
from app.assignments.models import Assignment, Extension, Submission
from app.courses.models import Activity, Course, Enrolment
from app.extensions import db


def due_dates(user: User, start: datetime, end: datetime) -> list:
    from app.agenda.queries import Event

    lo, hi = start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)
    rows = db.session.execute(
        select(Assignment, Activity, Course.title, Extension.due_at)
        .join(Activity, Activity.id == Assignment.activity_id).join(Course, Course.id == Assignment.course_id)
        .join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == user.id))
        .outerjoin(Extension, and_(Extension.assignment_id == Assignment.id, Extension.user_id == user.id))
        .outerjoin(Submission, and_(Submission.assignment_id == Assignment.id, Submission.user_id == user.id,
                                    Submission.latest.is_(True)))
        .where(Activity.visible.is_(True), Course.published.is_(True),
               (Submission.id.is_(None)) | (Submission.status != "submitted"))).all()
    events = []
    for a, activity, course_title, ext_due in rows:
        due = ext_due or a.due_at
        if due is None or not lo <= due < hi:
            continue
        events.append(Event(uid=f"assignment-due-{a.id}", kind="assignment_due", title=activity.title,
                            starts_at=due.replace(tzinfo=UTC), course=course_title,
                            link=url_for("courses.activity", activity_id=activity.id)))
    return events


try:
    from app.agenda.queries import register_provider
except ModuleNotFoundError:  # a site without the agenda
    register_provider = None
if register_provider is not None:
    register_provider(due_dates, ("assignment_due", _l("Tenggat tugas")))
