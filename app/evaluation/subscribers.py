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


@course_completed.connect
def tell_about_waiting_certificate(user, course, **_kw) -> None:
    # The JP are credited now; say plainly that the certificate follows the evaluation.
    if not course.certificate:
        return
    pending = ops.pending_certificate_surveys(user, course)
    if pending:
        from flask_babel import gettext as _

        from app.notifications.operations import link_to, notify

        notify(user, _("Kursus selesai: isi evaluasi agar sertifikat terbit"),
               _("JP kursus %(c)s sudah tercatat. Sertifikat terbit setelah Anda mengisi: %(s)s.", c=course.title,
                 s=", ".join(s.activity.title for s in pending)),
               link=link_to("evaluation.take", survey_id=pending[0].id))


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
