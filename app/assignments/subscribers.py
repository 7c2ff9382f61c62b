"""Assignment due dates in each learner's agenda (and iCal feed): their own date when they were
given an extension, and only while they have not handed the work in."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, select

from app.assignments.models import Assignment, Extension, Submission
from app.courses.models import Activity, Course, Enrolment


@functools.cache
def _due_branch():
    from app.home import home_row

    due = func.coalesce(Extension.due_at, Assignment.due_at)  # their own date after an extension
    return (select(*home_row("assignments.due", i1=Assignment.id, i2=Activity.id, s1=Activity.title,
                             s2=Course.title, t1=due))
            .join(Activity, Activity.id == Assignment.activity_id).join(Course, Course.id == Assignment.course_id)
            .join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("home_user")))
            .outerjoin(Extension, and_(Extension.assignment_id == Assignment.id,
                                       Extension.user_id == bindparam("home_user")))
            .outerjoin(Submission, and_(Submission.assignment_id == Assignment.id,
                                        Submission.user_id == bindparam("home_user"), Submission.latest.is_(True)))
            .where(Activity.visible.is_(True), Course.published.is_(True),
                   (Submission.id.is_(None)) | (Submission.status != "submitted"),
                   due >= bindparam("agenda_lo"), due < bindparam("agenda_hi")))


def _due_events(rows: list, start: datetime, end: datetime) -> list:
    from app.agenda.queries import Event

    return [Event(uid=f"assignment-due-{r.i1}", kind="assignment_due", title=r.s1, starts_at=r.t1.replace(tzinfo=UTC),
                  course=r.s2, link=url_for("courses.activity", activity_id=r.i2)) for r in rows]


try:
    from app.agenda.queries import register_provider
except ModuleNotFoundError:  # a site without the agenda
    register_provider = None
if register_provider is not None:
    from app.agenda.queries import RowProvider

    register_provider(RowProvider("assignments.due", _due_branch, _due_events), ("assignment_due", _l("Tenggat tugas")))
