"""Every state change of live sessions: settings, attendance (imported, by hand, or from
BigBlueButton), the reminder job. Views and the API call these; they flush, the caller commits.

Attendance completes the activity through the course engine (as classroom attendance does), so the
course's completion and its JP follow; a session may also name a JP rule (e.g. KL06 seminar) that
credits each attendee its own ledger entry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Enrolment
from app.errors import BadInput, Forbidden, RuleViolation, TooLarge
from app.extensions import db
from app.jobs.operations import periodic
from app.live import queries as q
from app.live.models import PLATFORMS, ZONES, LiveAttendance, LiveSession
from app.live.report import attended_minutes, read_report
from app.notifications.operations import link_to, notify

MAX_REPORT_BYTES = 2 * 1024 * 1024
REMINDER_JOB = "live.reminders"


def session_for(activity: Activity) -> LiveSession:
    """The session row of a live activity, made on first need."""
    s = q.session_of(activity)
    if s is None:
        s = LiveSession(activity_id=activity.id)
        try:
            with db.session.begin_nested():
                db.session.add(s)
        except IntegrityError:
            s = q.session_of(activity)
    return s


def zone_name(value: str | None) -> str:
    value = (value or "").strip()
    if value.upper() in ZONES:
        return ZONES[value.upper()]
    if value in ZONES.values():
        return value
    raise BadInput(_("Zona waktu harus WIB, WITA atau WIT."), code="invalid_zone",
                   details=[{"field": "zone", "message": _("nilai tidak dikenal")}])


def parse_starts_at(value, zone: str) -> datetime:
    """UTC (naive) from an ISO time with offset, or a local time in the session's zone."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(_("starts_at harus waktu ISO 8601, mis. 2027-01-05T09:00+08:00 atau 2027-01-05T09:00."),
                           code="invalid_starts_at", details=[{"field": "starts_at", "message": _("tidak valid")}]) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(zone))
    return dt.astimezone(UTC).replace(tzinfo=None)


def _int(value, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not lo <= number <= hi or (isinstance(value, float) and value != number):
        raise BadInput(_("%(f)s harus bilangan bulat %(lo)d–%(hi)d.", f=field, lo=lo, hi=hi), code=f"invalid_{field}",
                       details=[{"field": field, "message": _("tidak valid")}])
    return number


def settings_problems(spec: dict) -> list[str]:
    """What is wrong with a package's / the API's settings, in words (nothing written)."""
    problems = []
    try:
        clean_settings(spec)
    except BadInput as exc:
        problems.append(exc.message)
    return problems


def clean_settings(spec: dict) -> dict:
    out: dict = {}
    platform = spec.get("platform")
    if platform is not None:
        if platform not in PLATFORMS:
            raise BadInput(_("platform harus zoom, jitsi, bbb atau other."), code="invalid_platform")
        out["platform"] = platform
    if "url" in spec and spec["url"] not in (None, ""):
        url = str(spec["url"]).strip()
        if not re.match(r"^https://\S+$", url) or len(url) > 500:
            raise BadInput(_("Tautan sesi harus alamat https:// (paling panjang 500 karakter)."), code="invalid_url",
                           details=[{"field": "url", "message": _("tidak valid")}])
        out["url"] = url
    zone = zone_name(spec.get("zone") or "WIB")
    out["zone"] = zone
    if spec.get("starts_at") not in (None, ""):
        out["starts_at"] = parse_starts_at(spec["starts_at"], zone)
    if "minutes" in spec:
        out["minutes"] = _int(spec["minutes"], "minutes", 1, 24 * 60)
    if "min_minutes_present" in spec:
        out["min_minutes_present"] = _int(spec["min_minutes_present"], "min_minutes_present", 0, 24 * 60)
    if "reminder_minutes" in spec:
        out["reminder_minutes"] = _int(spec["reminder_minutes"], "reminder_minutes", 0, 7 * 24 * 60)
    if spec.get("ledger_rule") not in (None, ""):
        from app.ledger.models import JpRule

        code = str(spec["ledger_rule"]).strip().upper()
        if db.session.scalar(select(JpRule.id).where(JpRule.code == code)) is None:
            raise BadInput(_("Aturan JP %(c)s tidak dikenal.", c=code), code="invalid_ledger_rule")
        out["ledger_rule"] = code
    if out.get("min_minutes_present", 0) > out.get("minutes", 24 * 60):
        raise BadInput(_("Menit minimal hadir melebihi lama sesi."), code="invalid_min_minutes_present")
    return out


def configure(session: LiveSession, spec: dict) -> LiveSession:
    clean = clean_settings(spec)
    if "starts_at" in clean and clean["starts_at"] != session.starts_at:
        session.reminder_sent_at = None  # a moved session is reminded again
    for key, value in clean.items():
        setattr(session, key, value)
    if "ledger_rule" in spec and spec["ledger_rule"] in (None, ""):
        session.ledger_rule = None
    if session.min_minutes_present > session.minutes:
        raise BadInput(_("Menit minimal hadir melebihi lama sesi."), code="invalid_min_minutes_present")
    db.session.flush()
    return session


# --- attendance ------------------------------------------------------------------------------------------

def _check_staff(user: User, activity: Activity):
    from app.courses.queries import staff_reach

    r = staff_reach(user, activity.course)
    if r is None:
        raise Forbidden(_("Hanya pengajar atau staf kursus ini yang mencatat kehadiran."), code="not_course_staff")
    return r


def _enrolled(activity: Activity) -> dict[int, User]:
    return {u.id: u for u in db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.course_id == activity.course_id))}


def apply_attendance(session: LiveSession, activity: Activity, minutes_by_user: dict[int, int], *, source: str,
                     by: User | None) -> tuple[int, int]:
    """Write each person's minutes; those at or above the minimum are present and complete the
    activity (and its course, and the ledger through it). Returns (present, absent of the enrolled)."""
    from app.courses.operations import complete_activity

    enrolled = _enrolled(activity)
    existing = {a.user_id: a for a in db.session.scalars(select(LiveAttendance).where(
        LiveAttendance.session_id == session.id))}
    at = utcnow()
    for user_id, minutes in minutes_by_user.items():
        row = existing.get(user_id)
        if row is None:
            row = LiveAttendance(session_id=session.id, user_id=user_id)
            db.session.add(row)
            existing[user_id] = row
        row.minutes, row.source, row.recorded_at = minutes, source, at
        row.recorded_by_id = by.id if by else None
        row.present = minutes >= session.min_minutes_present and minutes > 0
    db.session.flush()
    for user_id, row in existing.items():
        if row.present and user_id in minutes_by_user and user_id in enrolled:
            complete_activity(enrolled[user_id], activity, source="attendance", by=by)
            _credit(session, activity, enrolled[user_id], row)
    present = sum(1 for uid, row in existing.items() if row.present and uid in enrolled)
    return present, len(enrolled) - present


def _credit(session: LiveSession, activity: Activity, user: User, row: LiveAttendance) -> None:
    if not session.ledger_rule:
        return
    from decimal import Decimal

    from app.ledger import rules
    from app.ledger.operations import append_entry, local_date

    rule = rules.rule_by_code(session.ledger_rule)
    computed = rules.compute(rule, days=1, minutes=session.minutes,
                             stated_jp=Decimal(activity.course.jp) if activity.course.jp else None)
    day = local_date(session.starts_at or utcnow())
    append_entry(user, kind=rule.kind, category=rule.category, title=activity.title, occurred_on=day, jp=computed.jp,
                 minutes=computed.minutes, rule=rule, source_type="live", source_id=session.id,
                 organiser=activity.course.organiser or current_app.config.get("SITE_NAME", "Lentera"),
                 start_date=day, end_date=day)


def import_report(staff: User, activity: Activity, filename: str, data: bytes, *, on_unknown: str = "stop") -> dict:
    """A platform's participant report (CSV). Bad rows -> 422 naming each, nothing saved. People who
    cannot be matched to an enrolled participant within the staff's reach are listed; with
    on_unknown=stop (default) nothing is saved while any are listed, with skip the others are saved."""
    r = _check_staff(staff, activity)
    s = session_for(activity)
    if not data:
        raise BadInput(_("Berkas laporan kosong."), code="empty_file")
    if len(data) > MAX_REPORT_BYTES:
        raise TooLarge(_("Laporan peserta paling besar %(mb)d MB.", mb=MAX_REPORT_BYTES // (1024 * 1024)))
    if filename and not filename.lower().endswith((".csv", ".txt")):
        raise BadInput(_("Laporan peserta harus berkas CSV (ekspor peserta Zoom/BigBlueButton/Jitsi)."),
                       code="unsupported_format")
    report = read_report(data, ZoneInfo(s.zone))
    if report.problems:
        raise RuleViolation(_("Laporan ditolak: %(n)d baris bermasalah. Tidak ada yang disimpan.", n=len(report.problems)),
                            code="invalid_rows", details=report.problems)
    enrolled = _enrolled(activity)
    by_nip = {u.nip: u for u in enrolled.values() if u.nip}
    by_email = {u.email.lower(): u for u in enrolled.values() if u.email}
    minutes: dict[int, int] = {}
    unknown: list[dict] = []
    hosts = _course_staff_keys(activity)
    for row in report.rows:
        person = by_nip.get(row.nip) if row.nip else None
        person = person or (by_email.get(row.email) if row.email else None)
        if person is None and (row.nip in hosts or row.email in hosts):
            continue  # the host and co-instructors are in every report; they are not participants
        if person is None or not r.covers(person):
            reason = _("tidak terdaftar di kursus ini atau tidak dikenal") if person is None else _("di luar jangkauan Anda")
            unknown.append({"row": row.row, "name": row.name, "email": row.email, "nip": row.nip, "message": reason})
            continue
        minutes[person.id] = minutes.get(person.id, 0) + attended_minutes(row)
    if unknown and on_unknown != "skip":
        raise RuleViolation(_("%(n)d peserta di laporan tidak dikenali. Tidak ada yang disimpan; perbaiki laporan atau "
                              "impor dengan on_unknown=skip.", n=len(unknown)), code="unknown_participants",
                            details=unknown)
    present, absent = apply_attendance(s, activity, minutes, source="import", by=staff)
    return {"present": present, "absent": absent, "unknown": unknown, "matched": len(minutes)}


def _course_staff_keys(activity: Activity) -> set[str]:
    from app.courses.models import CourseInstructor

    ids = set(db.session.scalars(select(CourseInstructor.user_id).where(CourseInstructor.course_id == activity.course_id)))
    if activity.course.owner_id:
        ids.add(activity.course.owner_id)
    keys: set[str] = set()
    for u in db.session.scalars(select(User).where(User.id.in_(ids))):
        keys.update(k for k in (u.nip, (u.email or "").lower()) if k)
    return keys


def record_by_hand(staff: User, activity: Activity, items: list[tuple[User, int | None]]) -> dict:
    """Staff tick who attended (minutes default to the whole session)."""
    r = _check_staff(staff, activity)
    s = session_for(activity)
    enrolled = _enrolled(activity)
    minutes: dict[int, int] = {}
    for person, mins in items:
        if person.id not in enrolled or not r.covers(person):
            raise RuleViolation(_("%(n)s tidak terdaftar di kursus ini atau di luar jangkauan Anda.", n=person.name),
                                code="not_enrolled")
        minutes[person.id] = s.minutes if mins is None else _int(mins, "minutes", 0, 24 * 60)
    present, absent = apply_attendance(s, activity, minutes, source="manual", by=staff)
    return {"present": present, "absent": absent, "unknown": [], "matched": len(minutes)}


# --- reminders -----------------------------------------------------------------------------------------------

def send_reminders(now: datetime | None = None) -> int:
    """Remind the enrolled of sessions starting within their reminder window; each session once
    (`reminder_sent_at` is set in the same transaction as the notifications)."""
    now = now or utcnow()
    sent = 0
    due = db.session.scalars(select(LiveSession).where(
        LiveSession.starts_at.is_not(None), LiveSession.starts_at > now, LiveSession.reminder_minutes > 0,
        LiveSession.reminder_sent_at.is_(None), LiveSession.starts_at <= now + timedelta(days=7)).with_for_update(
        skip_locked=True))
    for s in due:
        if s.starts_at - timedelta(minutes=s.reminder_minutes) > now:
            continue
        activity = db.session.get(Activity, s.activity_id)
        if activity is None or not activity.visible or not activity.course.published:
            continue
        s.reminder_sent_at = now
        for user in _enrolled(activity).values():
            when = q.local_time_label(s, user)
            notify(user, _("Sesi daring %(t)s dimulai %(when)s", t=activity.title, when=when),
                   _("Kursus: %(c)s", c=activity.course.title), link=link_to("courses.activity", activity_id=activity.id))
            sent += 1
    db.session.flush()
    return sent


@periodic(REMINDER_JOB, 300)
def _reminders() -> dict:
    return {"sent": send_reminders()}  # the scheduler's tick commits


# --- BigBlueButton -------------------------------------------------------------------------------------------

def bbb_join(user: User, activity: Activity, callback_url: str) -> str:
    """The signed join URL for this person, creating the meeting first (staff join as moderators)."""
    from app.courses.queries import can_edit
    from app.live import bbb

    s = session_for(activity)
    if not bbb.configured() or s.platform != "bbb":
        raise RuleViolation(_("Sesi ini tidak memakai server BigBlueButton."), code="not_bbb")
    bbb.create_meeting(s, activity.title, callback_url)
    db.session.flush()
    return bbb.join_url(s, user, moderator=can_edit(user, activity.course))


def bbb_meeting_ended(s: LiveSession, payload: dict | None) -> dict:
    """BBB's end-of-meeting callback: the meeting is over; with the analytics payload, everyone's
    online minutes become attendance (as an imported report would)."""
    from app.live import bbb

    activity = db.session.get(Activity, s.activity_id)
    s.ended_at = s.ended_at or utcnow()
    minutes = bbb.attendance_from_analytics(payload or {})
    enrolled = _enrolled(activity)
    minutes = {uid: m for uid, m in minutes.items() if uid in enrolled}
    if not minutes:
        db.session.flush()
        return {"present": 0, "absent": len(enrolled), "unknown": [], "matched": 0}
    present, absent = apply_attendance(s, activity, minutes, source="bbb", by=None)
    return {"present": present, "absent": absent, "unknown": [], "matched": len(minutes)}
