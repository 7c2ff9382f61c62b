"""What the server keeps of offline learning.

`SyncEvent`: every event a device sent that was applied, keyed by (person, client event id), so
that the same event sent twice (a retried sync, two tabs, a sync cut half-way) is applied once.
Refused events are not kept: nothing of theirs was applied, and the answer says why.
`OfflineQuiz`: the instructor's "may be taken offline" setting of a quiz activity (the quiz engine
knows nothing of devices; the setting lives here).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db


class SyncEvent(db.Model):
    __tablename__ = "sync_events"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),
                      Index("ix_sync_events_late_open", "late", "reviewed_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))  # the device's own id for the event (a UUID)
    device_id: Mapped[str] = mapped_column(String(64), default="")
    type: Mapped[str] = mapped_column(String(10))  # view | watch | answer | submit
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"), index=True)
    occurred_at: Mapped[datetime] = mapped_column()  # the device's clock, in UTC
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: arrived after the year it belongs to was closed (or long after): applied, and shown to BPSDM
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class OfflineQuiz(db.Model):
    __tablename__ = "sync_offline_quizzes"
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
