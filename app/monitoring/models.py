"""Monitoring's tables: a per-(person, year) JP aggregate and the reminder schedule and log.

`JpYearTotal` is a cache of `ledger_entries` kept by a subscriber of `ledger_entry_recorded`
in the appending transaction, so it is exact whenever the ledger is. One row per (person, year)
holds the year's total, the three learning categories and the running total at each month's end: the
dashboard's every figure (attainment, cumulative attainment by month end, category mix,
histogram) is one scan of at most one row per employee instead of an aggregate over millions
of ledger entries. `rebuild_totals()` recomputes it from the ledger (after a bulk load).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Unit, User, utcnow
from app.extensions import db

MONTHS = range(1, 13)


class JpYearTotal(db.Model):
    """A person's JP for a year in integer hundredths of a JP (ledger JP are Numeric(8,2), so
    hundredths are exact): the total, per learning category, and cumulative through the end of
    each month (`cum03` = everything up to 31 March). Integers and running sums make every
    dashboard figure a comparison, not arithmetic on numerics, over 50,000 rows."""

    __tablename__ = "monitoring_jp_totals"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    jp: Mapped[int] = mapped_column(BigInteger, default=0)
    classical: Mapped[int] = mapped_column(BigInteger, default=0)
    social: Mapped[int] = mapped_column(BigInteger, default=0)
    experiential: Mapped[int] = mapped_column(BigInteger, default=0)
    cum01: Mapped[int] = mapped_column(BigInteger, default=0)
    cum02: Mapped[int] = mapped_column(BigInteger, default=0)
    cum03: Mapped[int] = mapped_column(BigInteger, default=0)
    cum04: Mapped[int] = mapped_column(BigInteger, default=0)
    cum05: Mapped[int] = mapped_column(BigInteger, default=0)
    cum06: Mapped[int] = mapped_column(BigInteger, default=0)
    cum07: Mapped[int] = mapped_column(BigInteger, default=0)
    cum08: Mapped[int] = mapped_column(BigInteger, default=0)
    cum09: Mapped[int] = mapped_column(BigInteger, default=0)
    cum10: Mapped[int] = mapped_column(BigInteger, default=0)
    cum11: Mapped[int] = mapped_column(BigInteger, default=0)
    cum12: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_monitoring_jp_totals_year", "year"),)


class ReminderSchedule(db.Model):
    """When BPSDM wants people below target reminded.

    kind "monthly": on `day_of_month` of every month from `start_month` to `end_month` of `year`;
    kind "dates": on each date of `dates` (ISO strings). `unit_id` is the subtree reminded
    (None = the whole site, admins only).
    """

    __tablename__ = "monitoring_reminder_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(10), default="monthly")  # monthly | dates
    day_of_month: Mapped[int | None] = mapped_column()
    start_month: Mapped[int | None] = mapped_column()
    end_month: Mapped[int | None] = mapped_column()
    dates: Mapped[list] = mapped_column(JSON, default=list)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    notify_supervisors: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class ReminderSent(db.Model):
    """One reminder told to one person for one scheduled date: the unique key makes a second run
    of the same date send nothing."""

    __tablename__ = "monitoring_reminders_sent"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("monitoring_reminder_schedules.id", ondelete="CASCADE"))
    run_date: Mapped[date] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(12))  # employee | supervisor
    jp: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    target_jp: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    staff_count: Mapped[int | None] = mapped_column()
    mailed: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("schedule_id", "run_date", "user_id", "audience",
                                       name="uq_monitoring_reminders_sent"),)
