"""Certificates, their templates and the serial counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Unit, User, utcnow
from app.extensions import db

#: Letters and digits of a verify code: no 0/O, 1/I/L, so it can be typed from paper.
VERIFY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFY_CODE_LENGTH = 10


def new_verify_code() -> str:
    import secrets

    return "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(VERIFY_CODE_LENGTH))

DEFAULT_SERIAL_FORMAT = "{code}/{year}/{seq:06d}"

#: Placement of each field on an A4 landscape page (842 x 595 pt): x is the centre of the text
#: unless `align` says otherwise, y the baseline from the bottom, size in points.
DEFAULT_LAYOUT: dict[str, dict] = {
    "heading": {"x": 421, "y": 470, "size": 30, "align": "center"},
    "serial": {"x": 421, "y": 445, "size": 11, "align": "center"},
    "intro": {"x": 421, "y": 405, "size": 12, "align": "center"},
    "holder": {"x": 421, "y": 370, "size": 26, "align": "center"},
    "nip": {"x": 421, "y": 350, "size": 12, "align": "center"},
    "body": {"x": 421, "y": 318, "size": 12, "align": "center"},
    "title": {"x": 421, "y": 292, "size": 18, "align": "center"},
    "details": {"x": 421, "y": 266, "size": 11, "align": "center"},
    "issued": {"x": 640, "y": 190, "size": 11, "align": "center"},
    "signatory": {"x": 640, "y": 95, "size": 12, "align": "center"},
    "position": {"x": 640, "y": 80, "size": 10, "align": "center"},
    "signature": {"x": 590, "y": 108, "size": 100},
    "qr": {"x": 60, "y": 60, "size": 95},
    "logo": {"x": 391, "y": 500, "size": 60},
}


class CertificateTemplate(db.Model):
    """How certificates look and who signs them: one per instansi (root unit), optionally
    overridden per course. Images are storage keys."""

    __tablename__ = "certificate_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    serial_format: Mapped[str] = mapped_column(String(120), default=DEFAULT_SERIAL_FORMAT)
    serial_code: Mapped[str] = mapped_column(String(40), default="LENTERA")
    heading: Mapped[str] = mapped_column(String(120), default="SERTIFIKAT")
    place_of_issue: Mapped[str] = mapped_column(String(120), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_position: Mapped[str] = mapped_column(String(200), default="")
    signatory_nip: Mapped[str | None] = mapped_column(String(18))
    background_key: Mapped[str | None] = mapped_column(String(500))
    logo_key: Mapped[str | None] = mapped_column(String(500))
    signature_key: Mapped[str | None] = mapped_column(String(500))
    layout: Mapped[dict] = mapped_column(JSON, default=dict)  # overrides of DEFAULT_LAYOUT, per field
    validity_years: Mapped[int | None] = mapped_column()  # certificates expire after this many years
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship()

    def placement(self, field: str) -> dict:
        merged = dict(DEFAULT_LAYOUT[field])
        merged.update((self.layout or {}).get(field, {}))
        return merged


class SerialCounter(db.Model):
    """The last sequence number handed out in a scope (instansi + year). Allocated with a single
    UPDATE … RETURNING, so two issuers never get the same number."""

    __tablename__ = "certificate_serial_counters"
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """An issued certificate. Everything printed on it is a snapshot taken at issue: a later
    change of name or course title does not change a certificate (a re-issue does)."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(120), unique=True)
    #: The random part of the public identifier ("<serial>-<code>", in the QR code and on the
    #: verify page): serials are sequential, so the serial alone would let anyone list who
    #: trained in what. NULL on certificates issued before, whose printed QR has the serial alone.
    verify_code: Mapped[str | None] = mapped_column(String(16), default=new_verify_code)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_templates.id", ondelete="SET NULL"))
    #: The completed program (learning path or certification) of a source="program" certificate.
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"), index=True)
    #: Training without a course (classroom attendance from the ledger): the source's own key.
    #: source="program": source_ref is the ProgramCompletion row, so each completion or
    #: recertification gives its own certificate.
    source: Mapped[str] = mapped_column(String(40), default="course")  # course | program | attendance | manual
    source_ref: Mapped[str | None] = mapped_column(String(80))
    #: "<source>:<ref>:<user>" on the certificate currently in force; NULL once replaced. Unique,
    #: so one training gives one certificate in force per person, whatever races. For a program
    #: the ref is the program, not the completion: one certification in force per person and
    #: program, and a recertification's certificate takes the key over from the one it replaces.
    current_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_nip: Mapped[str | None] = mapped_column(String(18))
    title: Mapped[str] = mapped_column(String(250))
    training_type: Mapped[str | None] = mapped_column(String(30))
    organiser: Mapped[str | None] = mapped_column(String(250))
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()
    jp: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(0))
    place_of_issue: Mapped[str] = mapped_column(String(120), default="")
    issued_on: Mapped[date] = mapped_column(index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_position: Mapped[str] = mapped_column(String(200), default="")
    expires_on: Mapped[date | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    replaced_at: Mapped[datetime | None] = mapped_column()
    pdf_key: Mapped[str | None] = mapped_column(String(500))  # cached rendering in storage

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    template: Mapped[CertificateTemplate | None] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    @property
    def public_id(self) -> str:
        """What verifies the certificate publicly: the human-readable serial and the random code."""
        return f"{self.serial}-{self.verify_code}" if self.verify_code else self.serial

    def status(self, today: date) -> str:
        """valid | revoked | replaced | expired, in that order of precedence."""
        if self.revoked_at is not None:
            return "revoked"
        if self.replaced_by_id is not None:
            return "replaced"
        if self.expires_on is not None and today > self.expires_on:
            return "expired"
        return "valid"
