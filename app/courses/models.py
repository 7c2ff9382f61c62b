"""The course engine's tables: courses, sections, activities, enrolments and completions."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

COURSE_MODES = ("online", "classroom", "blended")


def new_content_version() -> int:
    """A course's next content version: random in 1 … 2**62, never in practice drawn twice."""
    return secrets.randbelow(2**62) + 1
ACTIVITY_TYPES = ("lesson", "file", "link", "video", "quiz", "classroom")


class Course(db.Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # unique per site; a package re-import updates it
    title: Mapped[str] = mapped_column(String(250))
    summary: Mapped[str] = mapped_column(Text, default="")
    jp: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(0))  # JP credited on completion
    mode: Mapped[str] = mapped_column(String(20), default="online")
    self_enrol: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate: Mapped[bool] = mapped_column(Boolean, default=False)  # issue a certificate on completion
    published: Mapped[bool] = mapped_column(Boolean, default=True)  # visible in the catalogue
    organiser: Mapped[str | None] = mapped_column(String(250))  # penyelenggara (SIASN, certificates)
    training_type: Mapped[str | None] = mapped_column(String(30))  # SIASN jenis diklat, e.g. "teknis"
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A fresh random number at every change to the course, its sections or activities, written in
    # the author's transaction (app/courses/versioning.py): the key of every worker's cached copy of
    # the structure (app/cache.py). Random, not a counter, so that a number is never used twice, even
    # after a restore from a backup or when SQLite gives a deleted course's id to a new one.
    content_version: Mapped[int] = mapped_column(BigInteger, default=lambda: new_content_version(),
                                                 server_default="1")

    owner: Mapped[User | None] = relationship()
    sections: Mapped[list[Section]] = relationship(back_populates="course", order_by="Section.position",
                                                   cascade="all, delete-orphan")
    competencies: Mapped[list[CourseCompetency]] = relationship(back_populates="course", cascade="all, delete-orphan")
    instructors: Mapped[list[CourseInstructor]] = relationship(back_populates="course", cascade="all, delete-orphan")


class ContentVersion(db.Model):
    """A named version of something every reader sees alike and every worker keeps (app/cache.py):
    "catalogue" changes with any course's card (title, summary, JP, mode, publication, competencies)
    and with courses added or removed. Replaced, like a course's content_version, by a random number
    in the author's transaction (app/courses/versioning.py)."""

    __tablename__ = "content_versions"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=lambda: new_content_version())


class CourseInstructor(db.Model):
    """Instructors who may edit and teach a course, besides its owner."""

    __tablename__ = "course_instructors"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course: Mapped[Course] = relationship(back_populates="instructors")
    user: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_course_instructors_course_user"),)


class CourseCompetency(db.Model):
    """A competency (by dictionary code) that completing the course is evidence of, at a level.

    The course engine keeps only the code; the CMB layer owns the dictionary and checks codes.
    """

    __tablename__ = "course_competencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[int] = mapped_column(default=1)
    course: Mapped[Course] = relationship(back_populates="competencies")
    __table_args__ = (UniqueConstraint("course_id", "code", name="uq_course_competencies_course_code"),)


class Section(db.Model):
    __tablename__ = "sections"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(250))
    summary: Mapped[str] = mapped_column(Text, default="")
    visible: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[Course] = relationship(back_populates="sections")
    activities: Mapped[list[Activity]] = relationship(back_populates="section", order_by="Activity.position",
                                                      cascade="all, delete-orphan")


class Activity(db.Model):
    """One thing to do in a section. Type-specific settings live in `settings` (JSON) or in the
    owning module's own table keyed by activity id (quizzes, video assets)."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML (lessons; description for others)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)  # counts towards course completion
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    file_key: Mapped[str | None] = mapped_column(String(500))  # storage key (file activities, video sources)
    file_name: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    section: Mapped[Section] = relationship(back_populates="activities")
    course: Mapped[Course] = relationship()


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(20), default="manual")  # self | manual | unit | position | api
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    last_access_at: Mapped[datetime | None] = mapped_column()

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_enrolments_course_user"),)


class ActivityCompletion(db.Model):
    """An activity's completion rule was met by a user. One row per (activity, user), ever."""

    __tablename__ = "activity_completions"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(30), default="view")  # view | watch | quiz | attendance | manual
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (UniqueConstraint("activity_id", "user_id", name="uq_activity_completions_activity_user"),)


class CourseCompletion(db.Model):
    """The course's completion criteria were met. The unique key is what makes `course_completed`
    fire exactly once per (user, course), even when two completions race."""

    __tablename__ = "course_completions"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_course_completions_course_user"),
                      Index("ix_course_completions_user_completed", "user_id", "completed_at"))


# The flush hook that bumps Course.content_version with every change to a course's structure.
from app.courses import versioning as _versioning  # noqa: E402,F401
