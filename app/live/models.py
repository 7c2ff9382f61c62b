"""A live online session (one per `live` activity) and who attended it.

`starts_at` is stored in UTC; `zone` is the zone the organiser set it in (WIB, WITA or WIT), so the
page says "09.00 WITA" as the invitation did, and the viewer's own zone beside it. Attendance is one
row per (session, person) with the minutes attended, whatever the source (a platform's participant
report, BigBlueButton's end-of-meeting data, or staff by hand); `present` is minutes >= the minimum.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

PLATFORMS = ("zoom", "jitsi", "bbb", "other")
#: The three Indonesian time zones, by the names people use.
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


class LiveSession(db.Model):
    __tablename__ = "live_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    platform: Mapped[str] = mapped_column(String(20), default="zoom")
    url: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime | None] = mapped_column(index=True)  # UTC
    zone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    minutes: Mapped[int] = mapped_column(default=60)
    min_minutes_present: Mapped[int] = mapped_column(default=0)
    reminder_minutes: Mapped[int] = mapped_column(default=60)  # 0 = no reminder
    reminder_sent_at: Mapped[datetime | None] = mapped_column()
    #: a JP rule code (e.g. KL06 seminar) crediting each attendee beside the course's own completion
    ledger_rule: Mapped[str | None] = mapped_column(String(10))
    bbb_meeting_id: Mapped[str | None] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column()


class LiveAttendance(db.Model):
    __tablename__ = "live_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    minutes: Mapped[int] = mapped_column(default=0)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20))  # import | manual | bbb
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


from app.live import activity as _activity  # noqa: E402,F401  (registers the live activity type)
