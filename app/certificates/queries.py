"""Reads: a person's certificates, staff search within reach, lookup by serial."""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import Select, bindparam, or_, select

from app.accounts.models import Unit, User
from app.accounts.queries import reach
from app.certificates.models import Certificate, CertificateTemplate
from app.extensions import db
from app.home import home_row


def by_serial(serial: str) -> Certificate | None:
    """By the serial alone: for the holder and staff, who are signed in and checked. Public routes
    use `by_public_id`."""
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial.strip()))


def by_public_id(public_id: str) -> Certificate | None:
    """The certificate a public identifier ("<serial>-<verify code>") names; a bare serial only for
    certificates issued before verify codes (their printed QR codes must keep working)."""
    from app.certificates.models import VERIFY_ALPHABET, VERIFY_CODE_LENGTH

    value = (public_id or "").strip()
    serial, _sep, code = value.rpartition("-")
    if serial and len(code) == VERIFY_CODE_LENGTH and all(ch in VERIFY_ALPHABET for ch in code.upper()):
        found = db.session.scalar(select(Certificate).where(Certificate.serial == serial,
                                                            Certificate.verify_code == code.upper()))
        if found is not None:
            return found
    return db.session.scalar(select(Certificate).where(Certificate.serial == value,
                                                       Certificate.verify_code.is_(None)))


def certificates_of(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


@functools.cache
def home_latest_rows() -> Select:
    """The person's three newest certificates (serial, title): a branch of the home statement."""
    order = (Certificate.issued_at.desc(), Certificate.id.desc())
    return (select(*home_row("certificates.latest", order, s1=Certificate.serial, s2=Certificate.title))
            .where(Certificate.user_id == bindparam("home_user")).order_by(*order).limit(3))


def can_manage(viewer: User, cert: Certificate) -> bool:
    """Staff (admin, bpsdm) whose reach covers the holder."""
    return viewer.has_role("admin", "bpsdm") and reach(viewer).covers(cert.user)


def can_download(viewer: User, cert: Certificate) -> bool:
    return viewer.id == cert.user_id or can_manage(viewer, cert)


def search_stmt(viewer: User, *, q: str | None = None, course_id: int | None = None, unit_id: int | None = None,
                date_from: date | None = None, date_to: date | None = None, status: str | None = None) -> Select:
    """Certificates of people in the viewer's reach (staff roles), newest first."""
    r = reach(viewer)
    stmt = (select(Certificate).join(User, Certificate.user_id == User.id)
            .outerjoin(Unit, User.unit_id == Unit.id))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(db.func.lower(Certificate.holder_name).like(like), Certificate.holder_nip == q.strip(),
                              db.func.lower(Certificate.serial).like(like), db.func.lower(Certificate.title).like(like)))
    if course_id:
        stmt = stmt.where(Certificate.course_id == course_id)
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True) if unit else False)
    if date_from:
        stmt = stmt.where(Certificate.issued_on >= date_from)
    if date_to:
        stmt = stmt.where(Certificate.issued_on <= date_to)
    if status == "revoked":
        stmt = stmt.where(Certificate.revoked_at.is_not(None))
    elif status == "replaced":
        stmt = stmt.where(Certificate.replaced_by_id.is_not(None))
    elif status == "active":
        stmt = stmt.where(Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None))
    return stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def templates_in_reach(viewer: User) -> list[CertificateTemplate]:
    r = reach(viewer)
    stmt = select(CertificateTemplate).outerjoin(Unit, CertificateTemplate.unit_id == Unit.id)
    rows = list(db.session.scalars(stmt.order_by(CertificateTemplate.id)))
    if r.everything:
        return rows
    return [t for t in rows if t.course_id is not None or (t.unit is not None and r.covers_unit(t.unit))]


def mask_nip(nip: str | None) -> str | None:
    """Show only the first 4 and last 3 digits: enough to tell two people apart on a printout,
    too little to recover the birth date and appointment date the NIP encodes."""
    if not nip:
        return None
    if len(nip) <= 7:
        return "*" * len(nip)
    return nip[:4] + "*" * (len(nip) - 7) + nip[-3:]


def serial_from_input(text: str) -> str | None:
    """A serial as a person types, pastes or scans it: the number itself, or the verify address
    printed in the QR code (its last part). None when nothing usable is left."""
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    if "/verify/" in text:
        text = text.split("/verify/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    text = text.strip().strip("/")
    return text[:140] or None
