"""SCORM 1.2 packages (one per activity), their items/SCOs, learners' attempts and the CMI data
each SCO stored in each attempt."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import utcnow
from app.extensions import db

#: lesson_status values that satisfy an SCO (SCORM 1.2 RTE 3.4.4: passed or completed).
DONE_STATUSES = ("passed", "completed")


class ScormPackage(db.Model):
    """The package of one SCORM activity. Its files live in storage under `files_prefix`
    (a new upload gets a new prefix, so a learner mid-session never sees half of two versions)."""

    __tablename__ = "scorm_packages"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    version: Mapped[str] = mapped_column(String(10), default="1.2")
    identifier: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    files_prefix: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(250), default="")
    file_count: Mapped[int] = mapped_column(default=0)
    total_bytes: Mapped[int] = mapped_column(default=0)
    #: 0 = unlimited attempts
    max_attempts: Mapped[int] = mapped_column(default=0)
    #: warnings found while reading the manifest (unsupported prerequisites, …), shown to staff
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scos: Mapped[list[ScormSco]] = relationship(back_populates="package", order_by="ScormSco.position",
                                                cascade="all, delete-orphan")


class ScormSco(db.Model):
    """One item of the package's default organisation, in table-of-contents order. Items without
    a launchable resource are headings (`href` empty); the others are SCOs or assets."""

    __tablename__ = "scorm_scos"
    __table_args__ = (UniqueConstraint("package_id", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("scorm_packages.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)
    depth: Mapped[int] = mapped_column(default=0)
    #: path inside the package plus the item's parameters; empty for a heading
    href: Mapped[str] = mapped_column(String(1000), default="")
    #: "sco" (talks to the API) or "asset" (a plain page: viewed = completed)
    scorm_type: Mapped[str] = mapped_column(String(10), default="sco")
    launch_data: Mapped[str] = mapped_column(Text, default="")
    mastery_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    max_time_allowed: Mapped[str] = mapped_column(String(20), default="")
    time_limit_action: Mapped[str] = mapped_column(String(30), default="")
    prerequisites: Mapped[str] = mapped_column(String(1000), default="")

    package: Mapped[ScormPackage] = relationship(back_populates="scos")

    @property
    def launchable(self) -> bool:
        return bool(self.href)


class ScormAttempt(db.Model):
    """One attempt of a learner at a package: every SCO's CMI of that attempt hangs from it."""

    __tablename__ = "scorm_attempts"
    __table_args__ = (UniqueConstraint("package_id", "user_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("scorm_packages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    states: Mapped[list[ScormScoState]] = relationship(back_populates="attempt", cascade="all, delete-orphan")


class ScormScoState(db.Model):
    """The CMI data of one SCO in one attempt, as flat SCORM 1.2 element names
    (`{"cmi.core.lesson_status": "incomplete", "cmi.suspend_data": "…"}`), and the columns a
    report needs read out of it."""

    __tablename__ = "scorm_sco_states"
    __table_args__ = (UniqueConstraint("attempt_id", "sco_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("scorm_attempts.id", ondelete="CASCADE"), index=True)
    sco_id: Mapped[int] = mapped_column(ForeignKey("scorm_scos.id", ondelete="CASCADE"), index=True)
    cmi: Mapped[dict] = mapped_column(JSON, default=dict)
    lesson_status: Mapped[str] = mapped_column(String(20), default="not attempted")
    score_raw: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    #: hundredths of a second (CMITimespan has two decimals): exact, never float
    total_time_cs: Mapped[int] = mapped_column(default=0)
    #: the session time reported by the current launch; folded into total_time_cs when a new launch starts
    session_time_cs: Mapped[int] = mapped_column(default=0)
    launch_key: Mapped[str] = mapped_column(String(40), default="")
    interactions: Mapped[int] = mapped_column(default=0)
    commits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[ScormAttempt] = relationship(back_populates="states")
    sco: Mapped[ScormSco] = relationship()

    @property
    def time_cs(self) -> int:
        return self.total_time_cs + self.session_time_cs
