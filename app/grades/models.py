"""The grade book's own rows: per-course settings, categories, item weights, overrides and the
history of every manual change. The grades themselves stay where they are made (quiz attempts,
assignment submissions); the grade book reads them through `app.grades.sources`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

#: The pass mark a course's grade book starts with (percent of the course total); a setting per course.
DEFAULT_PASS_PERCENT = Decimal(70)


class GradeSettings(db.Model):
    __tablename__ = "grade_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    pass_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=DEFAULT_PASS_PERCENT)
    #: the course completes only when the course grade reaches the pass mark
    completion_requires_pass: Mapped[bool] = mapped_column(Boolean, default=False)
    #: letter grades, highest first: [["A", 85], ["B", 70], …] (a total ≥ the number earns the letter)
    letters: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeCategory(db.Model):
    """A group of items whose mean counts with one weight (e.g. "Tugas" 60, "Kuis" 40)."""

    __tablename__ = "grade_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    position: Mapped[int] = mapped_column(default=0)
    __table_args__ = (UniqueConstraint("course_id", "name", name="uq_grade_categories_course_name"),)


class GradeItemSetting(db.Model):
    """How one graded activity counts: its weight and category (default: weight 1, no category)."""

    __tablename__ = "grade_item_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("grade_categories.id", ondelete="SET NULL"))
    category: Mapped[GradeCategory | None] = relationship()


class GradeOverride(db.Model):
    """A grade set by hand, with its reason: of one item (activity_id) or of the course total (None)."""

    __tablename__ = "grade_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    grade: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
    __table_args__ = (UniqueConstraint("course_id", "user_id", "activity_id", name="uq_grade_overrides_item"),)


class GradeHistory(db.Model):
    """Every manual change of the grade book, never edited: who, when, from what to what, why."""

    __tablename__ = "grade_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    item_title: Mapped[str] = mapped_column(String(250), default="")
    old_grade: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    new_grade: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
