"""Notifications: generic, so any domain (ledger claims, monitoring reminders, …) can tell a person something."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import utcnow
from app.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))  # a path inside the app
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),
                      Index("ix_notifications_user_created", "user_id", "created_at"))


#: How a person wants their notifications by mail; in the app they always appear.
MAIL_MODES = ("none", "immediate", "daily")


class NotificationSetting(db.Model):
    """A person's choice; without a row, `DEFAULT_MAIL_MODE` applies."""

    __tablename__ = "notification_settings"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mail: Mapped[str] = mapped_column(String(16), default="daily")
    #: Up to when the daily digest has covered this person's notifications.
    digest_until: Mapped[datetime | None] = mapped_column()


DEFAULT_MAIL_MODE = "daily"
