"""The CMB / Corporate University tables: the competency dictionary, position standards,
assessments (and each employee's current level), development plans, course costs and budgets,
programs (learning paths) and talent ratings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Position, Unit, User, utcnow
from app.courses.models import Course
from app.extensions import db

#: Competency groups (stored code → the regulation's name).
GROUPS = {
    "manajerial": "Manajerial",
    "sosial_kultural": "Sosial Kultural",
    "teknis": "Teknis",
    "pemerintahan": "Pemerintahan",
}
ASSESSMENT_SOURCES = ("assessment_centre", "supervisor", "course")
PLAN_STATUSES = ("draft", "submitted", "approved", "returned")
PLAN_ITEM_KINDS = ("course", "coaching", "mentoring", "internship", "other")
RATINGS = ("low", "medium", "high")


class Competency(db.Model):
    """An entry of the competency dictionary (Permenpan RB 38/2017; technical and government
    competencies added by BPSDM)."""

    __tablename__ = "competencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")

    levels: Mapped[list[CompetencyLevel]] = relationship(back_populates="competency", order_by="CompetencyLevel.level",
                                                         cascade="all, delete-orphan")

    @property
    def group_label(self) -> str:
        return GROUPS.get(self.group, self.group)


class CompetencyLevel(db.Model):
    """What level N of a competency means: a description and behaviour indicators (one per line)."""

    __tablename__ = "competency_levels"
    id: Mapped[int] = mapped_column(primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[str] = mapped_column(Text, default="")

    competency: Mapped[Competency] = relationship(back_populates="levels")
    __table_args__ = (UniqueConstraint("competency_id", "level", name="uq_competency_levels_competency_level"),)

    @property
    def indicator_list(self) -> list[str]:
        return [line.strip() for line in self.indicators.splitlines() if line.strip()]


class PositionStandard(db.Model):
    """The level a position (jabatan) requires in a competency."""

    __tablename__ = "position_standards"
    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    required_level: Mapped[int] = mapped_column()

    position: Mapped[Position] = relationship()
    competency: Mapped[Competency] = relationship()
    __table_args__ = (UniqueConstraint("position_id", "competency_id", name="uq_position_standards_position_competency"),)


class Assessment(db.Model):
    """One assessed level of one employee in one competency. Never changed: a later assessment
    (by `assessed_on`, then by id) supersedes it. Course evidence is an assessment with source
    "course" and the course it came from."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column()
    previous_level: Mapped[int | None] = mapped_column()  # the current level when this was recorded
    assessed_on: Mapped[date] = mapped_column()
    source: Mapped[str] = mapped_column(String(30))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    competency: Mapped[Competency] = relationship()
    course: Mapped[Course | None] = relationship()
    __table_args__ = (Index("ix_assessments_user_competency", "user_id", "competency_id", "assessed_on"),)


class CurrentLevel(db.Model):
    """The level that counts now for (employee, competency): the newest assessment's.

    Kept by `record_assessment()` so that gap analysis over tens of thousands of employees is a
    plain join and GROUP BY instead of a "latest row per group" search over every assessment.
    """

    __tablename__ = "competency_current_levels"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column()
    assessed_on: Mapped[date] = mapped_column()
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))

    # covering: the training-needs aggregate reads (user, competency, level) from the index alone
    __table_args__ = (Index("ix_competency_current_levels_cover", "user_id", "competency_id", "level"),)


class CourseCost(db.Model):
    """Estimated cost per participant of a course (rupiah), for the training-needs map."""

    __tablename__ = "course_costs"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    cost_per_participant: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    course: Mapped[Course] = relationship()


class TrainingBudget(db.Model):
    """The regional budget (APBD) of an instansi for a year, entered by BPSDM; the HR-development
    envelope is a share of it (setting)."""

    __tablename__ = "training_budgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    apbd: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    unit: Mapped[Unit] = relationship()
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_training_budgets_unit_year"),)


class DevelopmentPlan(db.Model):
    """Rencana pengembangan: one per employee per year, approved by the head of unit."""

    __tablename__ = "development_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="draft")
    comment: Mapped[str] = mapped_column(Text, default="")  # the supervisor's last word
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    items: Mapped[list[PlanItem]] = relationship(back_populates="plan", order_by="PlanItem.id",
                                                 cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("user_id", "year", name="uq_development_plans_user_year"),)


class PlanItem(db.Model):
    """A course or another learning activity (coaching, mentoring, internship) in a plan."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(250))
    planned_jp: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(0))
    competency_code: Mapped[str | None] = mapped_column(String(40))
    done_on: Mapped[date | None] = mapped_column()  # non-course activities: marked done by the learner

    plan: Mapped[DevelopmentPlan] = relationship(back_populates="items")
    course: Mapped[Course | None] = relationship()


class Program(db.Model):
    """A learning path: an ordered set of courses; optionally a certification that expires."""

    __tablename__ = "programs"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(Text, default="")
    validity_years: Mapped[int | None] = mapped_column()  # None: never expires
    #: Issue a certificate to whoever completes (or is recertified in) the program. On by default:
    #: a BPSDM sets a program up as a formal learning path or a certification, whose expected proof
    #: is an STTPP; a path meant only as a reading list can switch it off.
    certificate: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    courses: Mapped[list[ProgramCourse]] = relationship(back_populates="program", order_by="ProgramCourse.position",
                                                        cascade="all, delete-orphan")

    @property
    def total_jp(self) -> Decimal:
        return sum((pc.course.jp for pc in self.courses), Decimal(0))


class ProgramCourse(db.Model):
    __tablename__ = "program_courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    program: Mapped[Program] = relationship(back_populates="courses")
    course: Mapped[Course] = relationship()
    __table_args__ = (UniqueConstraint("program_id", "course_id", name="uq_program_courses_program_course"),)


class ProgramCompletion(db.Model):
    """A person completed (or was recertified in) a program. The newest row counts."""

    __tablename__ = "program_completions"
    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    completed_on: Mapped[date] = mapped_column()
    expires_on: Mapped[date | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20), default="completion")  # completion | recertification
    program: Mapped[Program] = relationship()
    user: Mapped[User] = relationship()


class ProgramNotice(db.Model):
    """A message to a person about their programs (e.g. a certification about to expire).
    Named so as not to clash with a site-wide Notification model."""

    __tablename__ = "program_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("program_completions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="expiring")
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    __table_args__ = (UniqueConstraint("completion_id", "kind", name="uq_program_notices_completion_kind"),)


class TalentRating(db.Model):
    """Performance (kinerja) and potential (potensi) of an employee for a period (Permenpan RB 3/2020)."""

    __tablename__ = "talent_ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    kinerja: Mapped[str] = mapped_column(String(10))
    potensi: Mapped[str] = mapped_column(String(10))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("user_id", "period", name="uq_talent_ratings_user_period"),)
