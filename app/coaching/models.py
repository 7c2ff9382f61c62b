"""Coaching and mentoring: an engagement between a learner and a coach or mentor, its goals
(linked to the learner's competency gaps or development plan items), and its sessions.

A session is recorded by either party and counts only when both have confirmed it; the
confirmation that completes the pair appends one ledger entry (NKL01 coaching / NKL02 mentoring,
minutes / 45 by the rule's data), whose id the session keeps. Source of that entry:
("coaching", session id), so it is credited once whatever happens.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

KINDS = ("coaching", "mentoring")
STATES = ("active", "closed")


class Engagement(db.Model):
    __tablename__ = "coaching_engagements"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # coaching | mentoring
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    goals: Mapped[list[Goal]] = relationship(back_populates="engagement", order_by="Goal.id",
                                             cascade="all, delete-orphan")
    sessions: Mapped[list[CoachingSession]] = relationship(back_populates="engagement",
                                                           order_by="CoachingSession.held_on",
                                                           cascade="all, delete-orphan")


class Goal(db.Model):
    __tablename__ = "coaching_goals"
    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("coaching_engagements.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    competency: Mapped[str | None] = mapped_column(String(40))  # a gap's competency code
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id", ondelete="SET NULL"))

    engagement: Mapped[Engagement] = relationship(back_populates="goals")


class CoachingSession(db.Model):
    __tablename__ = "coaching_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("coaching_engagements.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column()
    minutes: Mapped[int] = mapped_column()
    topics: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(Text, default="")  # agreed actions
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    learner_confirmed_at: Mapped[datetime | None] = mapped_column()
    coach_confirmed_at: Mapped[datetime | None] = mapped_column()
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    engagement: Mapped[Engagement] = relationship(back_populates="sessions")

    @property
    def confirmed(self) -> bool:
        return self.learner_confirmed_at is not None and self.coach_confirmed_at is not None
