"""Monitoring's state changes: reminder schedules (BPSDM sets the dates people are reminded on)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import Unit, User
from app.accounts.queries import reach
from app.errors import Forbidden, RuleViolation
from app.extensions import db
from app.monitoring.models import ReminderSchedule, ReminderSent

STAFF = ("admin", "bpsdm")


def parse_dates(text: str | list, year: int) -> list[date]:
    """Dates from ISO strings (one per line, or commas); each must fall in `year`."""
    items = text if isinstance(text, list) else text.replace(",", "\n").split()
    out: set[date] = set()
    for raw in items:
        raw = str(raw).strip()
        if not raw:
            continue
        try:
            d = date.fromisoformat(raw)
        except ValueError:
            raise RuleViolation(_("Tanggal \u201c%(d)s\u201d tidak valid; gunakan YYYY-MM-DD.", d=raw),
                                code="invalid_date") from None
        if d.year != year:
            raise RuleViolation(_("Tanggal %(d)s tidak berada pada tahun %(y)d.", d=raw, y=year), code="invalid_date")
        out.add(d)
    return sorted(out)


def schedule_dates(schedule: ReminderSchedule) -> list[date]:
    if schedule.kind == "dates":
        return sorted(date.fromisoformat(d) for d in schedule.dates or [])
    return [date(schedule.year, m, schedule.day_of_month or 1)
            for m in range(schedule.start_month or 1, (schedule.end_month or 12) + 1)]


def create_schedule(viewer: User, *, name: str, year: int, kind: str = "monthly", day_of_month: int | None = 1,
                    start_month: int | None = 7, end_month: int | None = 12, dates_text: str | list = "",
                    unit_id: int | None = None, notify_supervisors: bool = True) -> ReminderSchedule:
    r = reach(viewer, STAFF)
    if not viewer.has_role(*STAFF):
        raise Forbidden(_("Hanya BPSDM dan admin yang dapat mengatur pengingat."))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        raise RuleViolation(_("Unit tidak ditemukan."))
    if unit is None and not r.everything:
        raise Forbidden(_("Pilih unit dalam cakupan Anda."))
    if unit is not None and not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar cakupan Anda."), code="unit_out_of_reach")
    if not (name or "").strip():
        raise RuleViolation(_("Nama jadwal wajib diisi."))
    schedule = ReminderSchedule(name=name.strip(), year=year, kind=kind, unit=unit, created_by_id=viewer.id,
                                notify_supervisors=notify_supervisors, dates=[])
    if kind == "monthly":
        if not day_of_month or not 1 <= day_of_month <= 28:
            raise RuleViolation(_("Tanggal setiap bulan harus 1–28 (ada di setiap bulan)."))
        if not (start_month and end_month and 1 <= start_month <= end_month <= 12):
            raise RuleViolation(_("Bulan mulai harus sebelum atau sama dengan bulan akhir."))
        schedule.day_of_month, schedule.start_month, schedule.end_month = day_of_month, start_month, end_month
    elif kind == "dates":
        dates = parse_dates(dates_text, year)
        if not dates:
            raise RuleViolation(_("Isi paling sedikit satu tanggal."))
        schedule.dates = [d.isoformat() for d in dates]
    else:
        raise RuleViolation(_("Jenis jadwal tidak dikenal."))
    db.session.add(schedule)
    db.session.flush()
    return schedule


def schedules_for(viewer: User) -> list[ReminderSchedule]:
    r = reach(viewer, STAFF)
    stmt = select(ReminderSchedule).outerjoin(Unit, ReminderSchedule.unit_id == Unit.id)
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return list(db.session.scalars(stmt.order_by(ReminderSchedule.active.desc(), ReminderSchedule.year.desc(),
                                                 ReminderSchedule.id.desc())))


def schedule_in_reach(viewer: User, schedule_id: int) -> ReminderSchedule | None:
    schedule = db.session.get(ReminderSchedule, schedule_id)
    if schedule is None:
        return None
    r = reach(viewer, STAFF)
    if not (r.everything or (schedule.unit is not None and r.covers_unit(schedule.unit))):
        raise Forbidden(_("Jadwal ini di luar cakupan Anda."))
    return schedule


def deactivate_schedule(viewer: User, schedule: ReminderSchedule) -> None:
    schedule.active = False
    db.session.flush()


def sent_counts(schedules: list[ReminderSchedule]) -> dict[int, int]:
    if not schedules:
        return {}
    return dict(db.session.execute(select(ReminderSent.schedule_id, func.count()).where(
        ReminderSent.schedule_id.in_([s.id for s in schedules])).group_by(ReminderSent.schedule_id)).all())
