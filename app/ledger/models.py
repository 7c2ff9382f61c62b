"""The JP ledger's tables: entries (append-only, hash-chained), JP rules, claims, attendance batches.

Decisions worth knowing before reading or joining these tables:

- `LedgerEntry.jp` (Numeric 8,2) is the authoritative amount. A course states its JP with
  decimals (2.5 JP = 112.5 minutes), so integer minutes cannot hold every amount exactly;
  `minutes` keeps the measured length when the source gave one (claims, attendance), NULL when
  the JP came per curriculum or per day. A person's total for a year is `SUM(jp)` over
  `(user_id, year)`; reversals carry negative `jp` (and negative `minutes`), so the plain sum is
  right without filtering.
- `year` is the calendar year of `occurred_on`, which is the date in Asia/Jakarta
  (setting LEDGER_TIMEZONE) of the event: a completion at 2026-12-31 18:00 UTC is 2027.
- Rows are never updated or deleted. `hash` = SHA-256 of a canonical JSON of the entry's content
  and `prev_hash`; the chain runs over all entries in id order. `LedgerChainHead` (one row) is
  locked by every append, which serialises appends on PostgreSQL and SQLite alike, and remembers
  the last entry so that a deleted tail is detected too.
- Exactly once: `(user_id, source_type, source_id, year)` is unique, so a course credits once per
  (user, course, year), a claim once, an attendance batch once per (batch, person). A reversal
  has source_type "reversal" and source_id = the reversed entry; `reverses_id` is unique, so an
  entry is reversed at most once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Unit, User, utcnow
from app.extensions import db

#: The 10:20:70 mix (BKN guidance, shown not enforced): formal/classical, social, experiential.
CATEGORIES = ("classical", "social", "experiential")
#: How a rule turns an activity's length into JP.
RULE_UNITS = ("per_day", "minutes", "per_curriculum")
#: Where an entry came from.
SOURCE_TYPES = ("course", "claim", "attendance", "manual", "reversal")
CLAIM_STATES = ("submitted", "approved", "rejected")
#: SIASN jenisDiklatId (DOMAIN.md).
SIASN_TYPES = {1: "Struktural", 2: "Fungsional", 3: "Teknis", 4: "Workshop", 5: "Manajerial",
               6: "Sosial Kultural", 7: "Sosialisasi", 8: "Bimtek", 9: "Seminar", 10: "Magang"}
GENESIS_HASH = "0" * 64


class JpRule(db.Model):
    """A JP conversion rule (Peraturan LAN 10/2018 as DOMAIN.md gives it), editable by BPSDM.

    - unit "per_day": JP = days x jp_national (or jp_international).
    - unit "minutes": JP = minutes / JP_MINUTES (setting, 45), + international_bonus_pct.
    - unit "per_curriculum": JP = the JP the programme states, + international_bonus_pct.
    """

    __tablename__ = "jp_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # KL01..KL12, NKL01..NKL13
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # the LedgerEntry.kind this rule produces
    category: Mapped[str] = mapped_column(String(20))  # classical | social | experiential
    unit: Mapped[str] = mapped_column(String(20))  # per_day | minutes | per_curriculum
    jp_national: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # JP a day (per_day)
    jp_international: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # JP a day abroad (per_day)
    international_bonus_pct: Mapped[int] = mapped_column(default=0)  # per_curriculum / minutes
    jenis_diklat_id: Mapped[int | None] = mapped_column()  # SIASN type, 1..10
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None] = mapped_column()
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LedgerChainHead(db.Model):
    """The one row every append locks: the serialisation point and the chain's known end."""

    __tablename__ = "ledger_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_entry_id: Mapped[int | None] = mapped_column()
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    entries: Mapped[int] = mapped_column(default=0)


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    nip: Mapped[str | None] = mapped_column(String(18))  # snapshot at recording time (SIASN key)
    year: Mapped[int] = mapped_column()
    occurred_on: Mapped[date] = mapped_column()  # local (WIB) date; for a span, its last day
    kind: Mapped[str] = mapped_column(String(30))  # course, classroom, seminar, workshop, coaching, …
    category: Mapped[str] = mapped_column(String(20))  # classical | social | experiential
    title: Mapped[str] = mapped_column(String(250))
    organiser: Mapped[str | None] = mapped_column(String(250))
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()
    jp: Mapped[Decimal] = mapped_column(Numeric(8, 2))  # authoritative; negative for a reversal
    minutes: Mapped[int | None] = mapped_column()  # measured length when known; negative for a reversal
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_code: Mapped[str | None] = mapped_column(String(10))  # JpRule.code used (snapshot)
    source_type: Mapped[str] = mapped_column(String(20))  # course | claim | attendance | manual | reversal
    source_id: Mapped[int | None] = mapped_column()
    jenis_diklat_id: Mapped[int | None] = mapped_column()  # SIASN jenisDiklatId 1..10
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why (reversals, manual entries)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # 1: SHA-256 (recorded before the ledger key existed); 2: HMAC-SHA256 under the key (seal.py)
    hash_version: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="1")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    __table_args__ = (
        UniqueConstraint("user_id", "source_type", "source_id", "year", name="uq_ledger_entries_source"),
        UniqueConstraint("reverses_id", name="uq_ledger_entries_reverses_id"),
        Index("ix_ledger_entries_user_year", "user_id", "year"),
        Index("ix_ledger_entries_year", "year"),
    )


class Claim(db.Model):
    """External learning a learner claims, with evidence, until BPSDM approves or rejects it."""

    __tablename__ = "ledger_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("jp_rules.id"))
    title: Mapped[str] = mapped_column(String(250))
    organiser: Mapped[str] = mapped_column(String(250))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    days: Mapped[int | None] = mapped_column()  # per_day rules
    minutes: Mapped[int | None] = mapped_column()  # minutes rules
    stated_jp: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))  # per_curriculum rules
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    evidence_key: Mapped[str] = mapped_column(String(500))  # storage key
    evidence_name: Mapped[str] = mapped_column(String(250))
    evidence_type: Mapped[str] = mapped_column(String(60))  # application/pdf, image/png, image/jpeg
    state: Mapped[str] = mapped_column(String(12), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)  # why rejected (or a note on approval)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    rule: Mapped[JpRule] = relationship()
    entry: Mapped[LedgerEntry | None] = relationship()

    __table_args__ = (Index("ix_ledger_claims_state_submitted", "state", "submitted_at"),)


class AttendanceBatch(db.Model):
    """Classroom training recorded by BPSDM for many people at once. Its entries are the
    ledger entries with source_type "attendance" and source_id = this batch."""

    __tablename__ = "ledger_attendance_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("jp_rules.id"))
    title: Mapped[str] = mapped_column(String(250))
    organiser: Mapped[str] = mapped_column(String(250))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    days: Mapped[int | None] = mapped_column()
    minutes: Mapped[int | None] = mapped_column()
    stated_jp: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    jp: Mapped[Decimal] = mapped_column(Numeric(8, 2))  # computed by the rule when the batch was made
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the recorder's reach root
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rule: Mapped[JpRule] = relationship()
    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User] = relationship()
