"""Certificate routes of API.md: a person's certificates and the public check of one serial."""

from __future__ import annotations

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts.models import utcnow
from app.api.accounts import person_in_reach
from app.api.core import Page, PageQuery, page_of, route, user_ctx
from app.certificates import queries as q
from app.certificates.models import Certificate
from app.certificates.operations import throttle_public_verify
from app.errors import NotFound


class CertificateCheck(BaseModel):
    serial: str
    valid: bool
    revoked: bool
    expired: bool
    replaced_by: str | None
    holder: str
    course: str  # the training's title: a course's, or a program's when source is "program"
    jp: str
    issued_on: str
    revoked_on: str | None = None
    expires_on: str | None = None
    source: str  # course | program | attendance | manual


class CertificateOut(BaseModel):
    serial: str
    status: str
    holder: str
    nip: str | None
    course: str
    course_id: int | None
    source: str
    program_id: int | None
    training_type: str | None
    organiser: str | None
    jp: str
    issued_on: str
    expires_on: str | None
    pdf_url: str
    verify_url: str


class ListQuery(PageQuery):
    nip: str | None = Field(default=None, max_length=18)


def _jp(cert: Certificate) -> str:
    return format(cert.jp.normalize(), "f")


def check_dict(cert: Certificate) -> dict:
    status = cert.status(utcnow().date())
    return {"serial": cert.serial, "valid": status == "valid", "revoked": cert.revoked_at is not None,
            "expired": status == "expired", "replaced_by": cert.replaced_by.serial if cert.replaced_by else None,
            "holder": cert.holder_name, "course": cert.title, "jp": _jp(cert), "issued_on": cert.issued_on.isoformat(),
            "revoked_on": cert.revoked_at.date().isoformat() if cert.revoked_at else None,
            "expires_on": cert.expires_on.isoformat() if cert.expires_on else None, "source": cert.source}


def cert_dict(cert: Certificate) -> dict:
    from flask import url_for

    from app.certificates.operations import verify_url

    return {"serial": cert.serial, "status": cert.status(utcnow().date()), "holder": cert.holder_name,
            "nip": cert.holder_nip, "course": cert.title, "course_id": cert.course_id,
            "source": cert.source, "program_id": cert.program_id,
            "training_type": cert.training_type, "organiser": cert.organiser, "jp": _jp(cert),
            "issued_on": cert.issued_on.isoformat(), "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
            "pdf_url": url_for("certificates.pdf", serial=cert.serial, _external=True),
            "verify_url": verify_url(cert)}


@route("/certificates", summary="A holder's certificates (yourself, or by NIP for staff in reach)",
       tag="certificates", query=ListQuery, response=Page[CertificateOut])
def list_certificates(params: ListQuery):
    me = user_ctx()
    person = me if not params.nip or params.nip == me.nip else person_in_reach(params.nip)
    if person.id != me.id and not me.has_role("admin", "bpsdm"):
        from app.errors import Forbidden

        raise Forbidden(_("Hanya admin dan BPSDM yang dapat melihat sertifikat orang lain."))
    return page_of([cert_dict(c) for c in q.certificates_of(person)])


@route("/certificates/<path:serial>",
       summary="Check a certificate by its public id (serial-verifycode, as in the QR code; public)",
       tag="certificates", response=CertificateCheck, auth=False)
def check_certificate(serial: str):
    throttle_public_verify()
    cert = q.by_public_id(serial)
    if cert is None:
        raise NotFound(_("Sertifikat bernomor %(s)s tidak ditemukan.", s=serial), code="certificate_not_found")
    return check_dict(cert)


class BatchIssueOut(BaseModel):
    issued: int
    already: int


@route("/certificates/attendance-batches/<int:batch_id>", "POST",
       summary="Issue certificates to everyone on a classroom attendance list", tag="certificates",
       roles=("admin", "bpsdm"), response=BatchIssueOut)
def issue_attendance_batch(batch_id: int):
    from app.certificates.operations import issue_for_attendance
    from app.extensions import db
    from app.ledger.models import AttendanceBatch

    batch = db.session.get(AttendanceBatch, batch_id)
    if batch is None:
        raise NotFound(_("Daftar hadir tidak ditemukan."), code="batch_not_found")
    result = issue_for_attendance(user_ctx(), batch)
    return result
