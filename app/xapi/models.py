"""The xAPI outbox: every statement Lentera makes waits here until the LRS has acknowledged it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import utcnow
from app.extensions import db


class XapiStatement(db.Model):
    """One statement, with its own id (a UUID the LRS keeps), so sending it twice after an
    ambiguous failure stores it once (the LRS drops an equivalent duplicate)."""

    __tablename__ = "xapi_statements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    verb: Mapped[str] = mapped_column(String(40))
    statement: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued | sent
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_xapi_statements_state_next_try", "state", "next_try_at"),)
