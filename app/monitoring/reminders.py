"""JP reminders on the dates BPSDM set: each employee below target hears how far they are and
which courses could close the gap; each head of unit hears which of their staff are below.

The elected scheduler calls `enqueue_due()` every hour; a date due today (or in the last
`CATCH_UP_DAYS`, in case the scheduler was down) becomes one job per (schedule, date). The job
writes one `ReminderSent` row per person before telling them, under a unique key on
(schedule, date, person, audience), so a second run — a re-run job, a second enqueue — tells
nobody twice. In-app notifications always; mail when MAIL_SERVER is set and the person has an
address.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from app.accounts.models import Unit, User
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import enqueue, handler, periodic, report_progress
from app.mail import send_mail
from app.monitoring import queries as q
from app.monitoring.models import ReminderSchedule, ReminderSent
from app.monitoring.operations import schedule_dates
from app.notifications.models import Notification

log = logging.getLogger(__name__)

JOB_KIND = "monitoring.reminders"
CATCH_UP_DAYS = 2


def due_dates(schedule: ReminderSchedule, today: date) -> list[date]:
    earliest = today - timedelta(days=CATCH_UP_DAYS)
    return [d for d in schedule_dates(schedule) if earliest <= d <= today]


def enqueue_due(today: date | None = None) -> list[Job]:
    """One job per (active schedule, due date); enqueue's dedupe key makes this idempotent."""
    today = today or q.local_today()
    jobs = []
    for schedule in db.session.scalars(select(ReminderSchedule).where(ReminderSchedule.active.is_(True))):
        for d in due_dates(schedule, today):
            jobs.append(enqueue(JOB_KIND, {"schedule_id": schedule.id, "date": d.isoformat()},
                                dedupe_key=f"{JOB_KIND}:{schedule.id}:{d.isoformat()}"))
    return jobs


@periodic("monitoring.reminders", 3600)
def _periodic_reminders() -> None:
    enqueue_due()


def _path(endpoint: str, **values) -> str | None:
    """A path inside the app, outside any request (jobs run without one)."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def _claim(schedule: ReminderSchedule, run_date: date, user: User, audience: str, **extra) -> ReminderSent | None:
    """Write the sent-row first; None if this person was already told for this date."""
    exists = db.session.scalar(select(ReminderSent.id).where(
        ReminderSent.schedule_id == schedule.id, ReminderSent.run_date == run_date,
        ReminderSent.user_id == user.id, ReminderSent.audience == audience))
    if exists:
        return None
    row = ReminderSent(schedule_id=schedule.id, run_date=run_date, user_id=user.id, audience=audience, **extra)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def _fmt(d: Decimal) -> str:
    return q._fmt(Decimal(d))


def _deliver(row: ReminderSent, user: User, title: str, body: str, link: str | None) -> None:
    db.session.add(Notification(user_id=user.id, title=title, body=body, link=link))
    db.session.commit()  # recorded before mailing: a crash after this point never mails twice
    if user.email and current_app.config.get("MAIL_SERVER"):
        try:
            row.mailed = send_mail(user.email, title, body)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("reminder mail to %s failed: %s", user.email, exc)
        db.session.commit()


def send_reminders(schedule: ReminderSchedule, run_date: date, job: Job | None = None) -> dict:
    year = schedule.year
    below = q.below_target_people(schedule.unit, year)
    told = supervisors_told = 0
    by_head: dict[int, dict[int, tuple[User, Decimal, Decimal]]] = defaultdict(dict)
    if schedule.notify_supervisors:
        heads = list(db.session.execute(select(Unit.head_id, Unit.path).where(Unit.head_id.is_not(None))))
    else:
        heads = []
    for i, (person, jp, target) in enumerate(below):
        for head_id, path in heads:
            if head_id != person.id and person.unit is not None and person.unit.path.startswith(path):
                by_head[head_id][person.id] = (person, jp, target)
        row = _claim(schedule, run_date, person, "employee", jp=jp, target_jp=target)
        if row is None:
            continue
        with force_locale(person.locale or "id"):
            courses = q.recommended_courses(person)
            shortfall = target - jp
            title = _("Pengingat JP %(y)d: kurang %(n)s JP", y=year, n=_fmt(shortfall))
            lines = [_("JP Anda tahun %(y)d sampai %(d)s: %(jp)s dari target %(t)s JP. Masih kurang %(n)s JP.",
                       y=year, d=run_date.isoformat(), jp=_fmt(jp), t=_fmt(target), n=_fmt(shortfall))]
            if courses:
                lines.append(_("Kursus yang dapat Anda ikuti:"))
                lines += [f"- {c.title} ({_fmt(c.jp)} JP)" for c in courses]
        _deliver(row, person, title, "\n".join(lines), _path("courses.catalogue") if courses else None)
        told += 1
        if job is not None and i % 200 == 0:
            report_progress(job, int(80 * i / max(1, len(below))), _("Mengirim pengingat ke pegawai"))
    for head_id, staff_by_id in by_head.items():
        staff = list(staff_by_id.values())
        head = db.session.get(User, head_id)
        if head is None or not head.active:
            continue
        row = _claim(schedule, run_date, head, "supervisor", staff_count=len(staff))
        if row is None:
            continue
        with force_locale(head.locale or "id"):
            title = _("%(n)d staf Anda belum mencapai target JP %(y)d", n=len(staff), y=year)
            lines = [_("Staf di unit Anda yang JP-nya masih di bawah target per %(d)s:", d=run_date.isoformat())]
            lines += [f"- {p.name} ({p.nip or p.username}): {_fmt(jp)} / {_fmt(t)} JP"
                      for p, jp, t in sorted(staff, key=lambda s: (s[1], s[0].name))]
        _deliver(row, head, title, "\n".join(lines), None)
        supervisors_told += 1
    return {"employees_below": len(below), "employees_told": told, "supervisors_told": supervisors_told}


@handler(JOB_KIND)
def _run(job: Job) -> dict:
    schedule = db.session.get(ReminderSchedule, job.payload["schedule_id"])
    if schedule is None or not schedule.active:
        return {"skipped": True}
    return send_reminders(schedule, date.fromisoformat(job.payload["date"]), job)
