"""Assignments: work a learner hands in (online text and/or files), graded by points, a scale or a
rubric, with an optional second, workplace assessment by the learner's atasan.

One `Assignment` row per assignment activity (the activity holds the title and the instructions);
one `Submission` row per (assignment, learner, attempt number): a reopened submission starts a new
attempt, so earlier work and its grade stay on record.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course
from app.extensions import db

SUBMISSION_TYPES = ("text", "file")
GRADING_METHODS = ("points", "scale", "rubric")
#: draft -> submitted -> (graded, by release); reopened work starts a new attempt.
SUBMISSION_STATES = ("new", "draft", "submitted")
#: The marking workflow: a grade is seen by the learner only once released.
MARKING_STATES = ("not_graded", "in_marking", "ready", "released")


class Rubric(db.Model):
    """Criteria x levels with points. Owned by its author and reusable in any of their courses."""

    __tablename__ = "assignment_rubrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(250))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    criteria: Mapped[list[RubricCriterion]] = relationship(back_populates="rubric", order_by="RubricCriterion.position",
                                                           cascade="all, delete-orphan")
    owner: Mapped[User | None] = relationship()


class RubricCriterion(db.Model):
    __tablename__ = "assignment_rubric_criteria"
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("assignment_rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text)
    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[RubricLevel]] = relationship(back_populates="criterion", order_by="RubricLevel.position",
                                                     cascade="all, delete-orphan")


class RubricLevel(db.Model):
    __tablename__ = "assignment_rubric_levels"
    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("assignment_rubric_criteria.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text)
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    criterion: Mapped[RubricCriterion] = relationship(back_populates="levels")


class Assignment(db.Model):
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    submission_types: Mapped[list] = mapped_column(JSON, default=lambda: ["text", "file"])
    allowed_types: Mapped[list] = mapped_column(JSON, default=list)  # extensions checked by content; [] = all known
    max_files: Mapped[int] = mapped_column(default=3)
    max_file_mb: Mapped[int] = mapped_column(default=10)
    # Times are stored in UTC; a time given without an offset is read in WIB (Asia/Jakarta).
    open_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    cutoff_at: Mapped[datetime | None] = mapped_column()
    max_attempts: Mapped[int] = mapped_column(default=0)  # attempts a learner may have; 0 = unlimited
    require_statement: Mapped[bool] = mapped_column(Boolean, default=False)
    grading: Mapped[str] = mapped_column(String(10), default="points")
    max_grade: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(100))
    pass_grade: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    scale: Mapped[list] = mapped_column(JSON, default=list)  # level names, lowest first (grading "scale")
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_rubrics.id", ondelete="SET NULL"))
    workplace_assessment: Mapped[bool] = mapped_column(Boolean, default=False)  # the atasan assesses too
    activity: Mapped[Activity] = relationship()
    course: Mapped[Course] = relationship()
    rubric: Mapped[Rubric | None] = relationship()


class Submission(db.Model):
    __tablename__ = "assignment_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    latest: Mapped[bool] = mapped_column(Boolean, default=True)  # the attempt that counts
    status: Mapped[str] = mapped_column(String(12), default="new")
    text: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    statement_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    grade: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    feedback: Mapped[str] = mapped_column(Text, default="")
    rubric_choice: Mapped[dict] = mapped_column(JSON, default=dict)  # {criterion id: level id}
    marking_state: Mapped[str] = mapped_column(String(12), default="not_graded")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    graded_at: Mapped[datetime | None] = mapped_column()
    released_at: Mapped[datetime | None] = mapped_column()
    feedback_file_key: Mapped[str | None] = mapped_column(String(500))
    feedback_file_name: Mapped[str | None] = mapped_column(String(250))
    workplace_grade: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    workplace_feedback: Mapped[str] = mapped_column(Text, default="")
    workplace_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    workplace_at: Mapped[datetime | None] = mapped_column()
    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    graded_by: Mapped[User | None] = relationship(foreign_keys=[graded_by_id])
    workplace_by: Mapped[User | None] = relationship(foreign_keys=[workplace_by_id])
    files: Mapped[list[SubmissionFile]] = relationship(back_populates="submission", order_by="SubmissionFile.id",
                                                       cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("assignment_id", "user_id", "attempt", name="uq_assignment_submissions_attempt"),
                      Index("ix_assignment_submissions_assignment_latest", "assignment_id", "latest"))


class SubmissionFile(db.Model):
    __tablename__ = "assignment_submission_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("assignment_submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(250))
    size: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))  # the type found in the content: pdf, docx, png, …
    key: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submission: Mapped[Submission] = relationship(back_populates="files")


class Extension(db.Model):
    """A person's own due and cut-off dates for one assignment (illness, a field posting)."""

    __tablename__ = "assignment_extensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_at: Mapped[datetime] = mapped_column()
    cutoff_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    __table_args__ = (UniqueConstraint("assignment_id", "user_id", name="uq_assignment_extensions_assignment_user"),)


class Upload(db.Model):
    """A resumable upload of one file to a learner's draft (tus 1.0, as for videos): chunks append
    to a file under the instance dir; the whole file is checked like any other when it is complete."""

    __tablename__ = "assignment_uploads"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(250))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | done | refused | abandoned
    file_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_submission_files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessor(db.Model):
    """A named workplace assessor for one learner (a mentor or coach), instead of the atasan."""

    __tablename__ = "assignment_assessors"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    __table_args__ = (UniqueConstraint("assignment_id", "learner_id", name="uq_assignment_assessors_learner"),)


# The assignment activity type plugs into the course engine's registry when this module is imported.
from app.assignments import activity as _activity  # noqa: E402,F401
