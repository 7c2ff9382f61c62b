"""Every change to certificates: issue, render and cache, revoke, re-issue, templates, bulk ZIP."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Unit, User, utcnow
from app.certificates import pdf as pdfmod
from app.certificates import signing
from app.certificates.models import DEFAULT_LAYOUT, DEFAULT_SERIAL_FORMAT, Certificate, CertificateTemplate
from app.certificates.serials import allocate_serial, check_format
from app.errors import BadInput, Conflict, LenteraError, NotFound, RuleViolation, TooLarge
from app.extensions import db
from app.storage import get_storage

IMAGE_KINDS = ("background", "logo", "signature")
MAX_IMAGE_BYTES = 5 * 1024 * 1024


# --- templates ---------------------------------------------------------------------------------

def instansi_of(unit: Unit | None) -> Unit | None:
    """The root of a unit's tree (the instansi whose template and numbering apply)."""
    if unit is None:
        return None
    ids = unit.ancestor_ids()
    return db.session.get(Unit, ids[0]) if ids else unit


def default_template(instansi: Unit | None = None) -> CertificateTemplate:
    """The built-in look (not stored) for an instansi without a template of its own."""
    code = (instansi.code if instansi is not None and instansi.code else "LENTERA")
    return CertificateTemplate(serial_format=DEFAULT_SERIAL_FORMAT, serial_code=code, heading="SERTIFIKAT",
                               place_of_issue="", signatory_name="", signatory_position="", layout={},
                               unit_id=instansi.id if instansi is not None else None)


def template_for(user: User | None, course_id: int | None = None) -> tuple[CertificateTemplate, CertificateTemplate]:
    """(look, numbering): the course's override when there is one, else the holder's instansi
    template. Numbering always follows the instansi, so serials stay one sequence per instansi."""
    instansi = instansi_of(user.unit) if user is not None else None
    base = None
    if instansi is not None:
        base = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.unit_id == instansi.id))
    if base is None:
        base = default_template(instansi)
    look = base
    if course_id is not None:
        override = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.course_id == course_id))
        if override is not None:
            look = override
    return look, base


def save_template(tpl: CertificateTemplate | None, *, unit: Unit | None = None, course_id: int | None = None,
                  **fields) -> CertificateTemplate:
    """Create or update a template. `fields`: serial_format, serial_code, heading, place_of_issue,
    signatory_name, signatory_position, signatory_nip, validity_years, layout, and images as
    background/logo/signature = (filename, bytes) or None to keep, "" to remove."""
    if tpl is None:
        if (unit is None) == (course_id is None):
            raise BadInput(_("Templat harus untuk satu instansi atau satu kursus."), code="template_owner")
        if unit is not None and unit.parent_id is not None:
            raise BadInput(_("Templat instansi hanya untuk unit teratas (instansi)."), code="template_owner")
        existing = db.session.scalar(select(CertificateTemplate).where(
            CertificateTemplate.unit_id == unit.id if unit is not None else CertificateTemplate.course_id == course_id))
        if existing is not None:
            raise Conflict(_("Templat untuk pemilik ini sudah ada."), code="template_exists")
        tpl = CertificateTemplate(unit_id=unit.id if unit else None, course_id=course_id, layout={},
                                  serial_code=(unit.code if unit is not None and unit.code else "LENTERA"))
        db.session.add(tpl)
    if "serial_format" in fields and fields["serial_format"] is not None:
        tpl.serial_format = check_format(fields.pop("serial_format"))
    if "serial_code" in fields and fields["serial_code"] is not None:
        code = fields.pop("serial_code").strip()
        if not code or not re.fullmatch(r"[A-Za-z0-9._/-]{1,40}", code):
            raise BadInput(_("Kode nomor hanya huruf, angka, titik, garis miring dan tanda hubung (maks. 40)."),
                           code="serial_code")
        tpl.serial_code = code
    if "validity_years" in fields:
        years = fields.pop("validity_years")
        if years is not None and not 1 <= int(years) <= 50:
            raise BadInput(_("Masa berlaku antara 1 dan 50 tahun."), code="validity_years")
        tpl.validity_years = int(years) if years else None
    if "layout" in fields and fields["layout"] is not None:
        tpl.layout = check_layout(fields.pop("layout"))
    for name in ("heading", "place_of_issue", "signatory_name", "signatory_position", "signatory_nip"):
        if name in fields and fields[name] is not None:
            setattr(tpl, name, fields.pop(name).strip())
    db.session.flush()
    for kind in IMAGE_KINDS:
        value = fields.get(kind)
        if value is None:
            continue
        key_attr = f"{kind}_key"
        if value == "":
            setattr(tpl, key_attr, None)
            continue
        filename, data = value
        setattr(tpl, key_attr, store_image(tpl, kind, filename, data))
    db.session.flush()
    return tpl


def check_layout(layout: dict) -> dict:
    """Keep only known fields with numeric x/y/size inside the page."""
    if not isinstance(layout, dict):
        raise BadInput(_("Tata letak harus berupa objek per kolom."), code="layout")
    clean: dict[str, dict] = {}
    w, h = pdfmod.PAGE
    for field, spec in layout.items():
        if field not in DEFAULT_LAYOUT:
            raise BadInput(_("Kolom tata letak tidak dikenal: %(f)s", f=field), code="layout")
        if not isinstance(spec, dict):
            raise BadInput(_("Tata letak %(f)s harus berisi x, y, size.", f=field), code="layout")
        out: dict = {}
        for k, lim in (("x", w), ("y", h), ("size", 300)):
            if k in spec and spec[k] not in (None, ""):
                try:
                    v = float(spec[k])
                except (TypeError, ValueError):
                    raise BadInput(_("%(f)s.%(k)s harus angka.", f=field, k=k), code="layout") from None
                if not 0 <= v <= lim:
                    raise BadInput(_("%(f)s.%(k)s di luar halaman (0–%(lim)d).", f=field, k=k, lim=int(lim)),
                                   code="layout")
                out[k] = v
        if "align" in spec and spec["align"]:
            if spec["align"] not in ("left", "center", "right"):
                raise BadInput(_("%(f)s.align harus left, center atau right.", f=field), code="layout")
            out["align"] = spec["align"]
        if out:
            clean[field] = out
    return clean


def store_image(tpl: CertificateTemplate, kind: str, filename: str, data: bytes) -> str:
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise BadInput(_("Gambar terlalu besar (maks. 5 MB)."), code="image_too_large")
    from app.images import MAX_PIXELS

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = img.format, img.size
            img.verify()
    except Image.DecompressionBombError:
        raise TooLarge(_("Gambar terlalu besar; perkecil dulu (paling banyak 40 megapiksel)."),
                       code="image_too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadInput(_("Berkas %(name)s bukan gambar PNG atau JPEG.", name=filename or kind),
                       code="image_invalid") from None
    if fmt not in ("PNG", "JPEG"):
        raise BadInput(_("Gambar harus PNG atau JPEG."), code="image_invalid")
    # A few kilobytes of PNG can declare 40000×40000 pixels: the PDF would decode them all.
    if width * height > MAX_PIXELS:
        raise TooLarge(_("Gambar %(w)s×%(h)s piksel terlalu besar; perkecil dulu (paling banyak 40 megapiksel).",
                         w=width, h=height), code="image_too_large")
    key = f"certificates/templates/{tpl.id}/{kind}.{'png' if fmt == 'PNG' else 'jpg'}"
    get_storage().put_bytes(key, data, content_type="image/png" if fmt == "PNG" else "image/jpeg")
    return key


def template_images(tpl: CertificateTemplate) -> dict[str, bytes | None]:
    store = get_storage()
    out: dict[str, bytes | None] = {}
    for kind in IMAGE_KINDS:
        key = getattr(tpl, f"{kind}_key")
        out[kind] = store.read_bytes(key) if key and store.exists(key) else None
    return out


# --- issuing -----------------------------------------------------------------------------------

def _current_key(source: str, ref: str, user: User) -> str:
    return f"{source}:{ref}:{user.id}"


def current_certificate(source: str, ref: str, user: User) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.current_key == _current_key(source, ref, user)))


def _expiry(issued_on: date, years: int | None) -> date | None:
    if not years:
        return None
    try:
        return issued_on.replace(year=issued_on.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + years, day=28)


def issue(user: User, *, source: str, ref: str, title: str, jp: Decimal, training_type: str | None = None,
          organiser: str | None = None, start_date: date | None = None, end_date: date | None = None,
          course_id: int | None = None, at: datetime | None = None) -> Certificate:
    """Issue the certificate of one training to `user`, once: if one is in force for this
    (source, ref, user) it is returned unchanged. Runs inside the caller's transaction."""
    existing = current_certificate(source, ref, user)
    if existing is not None:
        return existing
    at = at or utcnow()
    look, numbering = template_for(user, course_id)
    return _new_certificate(user, look, numbering, source=source, ref=ref, key=_current_key(source, ref, user),
                            title=title, jp=jp, training_type=training_type, organiser=organiser,
                            start_date=start_date, end_date=end_date, course_id=course_id, at=at,
                            expires_on=_expiry(at.date(), look.validity_years or numbering.validity_years))


def _new_certificate(user: User, look: CertificateTemplate, numbering: CertificateTemplate, *, source: str, ref: str,
                     key: str, title: str, jp: Decimal, training_type: str | None, organiser: str | None,
                     start_date: date | None, end_date: date | None, at: datetime, expires_on: date | None,
                     course_id: int | None = None, program_id: int | None = None) -> Certificate:
    """Snapshot the holder, the training and the signatory into a new row with the next serial."""
    issued_on = at.date()
    cert = Certificate(serial=_new_serial(numbering, issued_on), user_id=user.id, course_id=course_id,
                       program_id=program_id, template_id=look.id, source=source, source_ref=ref, current_key=key,
                       holder_name=user.name, holder_nip=user.nip, title=title, training_type=training_type,
                       organiser=organiser, start_date=start_date, end_date=end_date or issued_on,
                       jp=Decimal(jp or 0), place_of_issue=look.place_of_issue or numbering.place_of_issue or "",
                       issued_on=issued_on, issued_at=at,
                       signatory_name=look.signatory_name or numbering.signatory_name or "",
                       signatory_position=look.signatory_position or numbering.signatory_position or "",
                       expires_on=expires_on)
    db.session.add(cert)
    db.session.flush()
    from app.notifications.operations import link_to, notify

    notify(user, _("Sertifikat terbit: %(t)s", t=title), _("Nomor %(s)s.", s=cert.serial),
           link=link_to("certificates.mine"))
    return cert


def _new_serial(numbering: CertificateTemplate, on: date) -> str:
    scope = f"instansi:{numbering.unit_id or 0}"
    for _attempt in range(20):  # a format changed by hand may collide with older serials: skip those
        serial = allocate_serial(numbering.serial_format or DEFAULT_SERIAL_FORMAT, numbering.serial_code or "LENTERA",
                                 on, scope)
        if db.session.scalar(select(Certificate.id).where(Certificate.serial == serial)) is None:
            return serial
    raise Conflict(_("Tidak dapat membuat nomor sertifikat yang unik; periksa format nomor instansi."),
                   code="serial_exhausted")


#: Functions (user, course) -> a reason (str) the course's certificate must wait, or None. Other
#: domains register here (the evaluation domain: "answer the evaluation first") so that this
#: package never imports them; `certificate_hold_released` says when to ask again.
COURSE_CERTIFICATE_HOLDS: list[Callable[[User, Any], str | None]] = []


def certificate_holds(user: User, course) -> list[str]:
    """Why the course's certificate waits for this person (empty: it may be issued)."""
    return [reason for hold in COURSE_CERTIFICATE_HOLDS if (reason := hold(user, course))]


def issue_for_course(user: User, course, at: datetime | None = None) -> Certificate | None:
    """The certificate of a completed course (None when the course gives none, or while a hold
    such as a required evaluation makes it wait)."""
    if not course.certificate:
        return None
    if certificate_holds(user, course):
        return None
    start, end = training_period(course.start_date, course.end_date, (at or utcnow()).date())
    return issue(user, source="course", ref=str(course.id), title=course.title, jp=course.jp,
                 training_type=course.training_type, organiser=course.organiser, start_date=start,
                 end_date=end, course_id=course.id, at=at)


#: How long after a course's end a completion still belongs to that run of the course.
LATE_COMPLETION_DAYS = 60


def training_period(start: date | None, end: date | None, completed_on: date) -> tuple[date | None, date]:
    """The dates a certificate prints. The course's period when the person finished within it (or
    shortly after); otherwise (a self-paced course whose dates are left from an earlier run, or no
    period at all) the completion date, so a 2026 completion never prints "2020"."""
    if end is not None and (start or end) <= completed_on <= end + timedelta(days=LATE_COMPLETION_DAYS):
        return start, end
    return None, completed_on


def program_certificate(completion) -> Certificate | None:
    """The certificate issued for one ProgramCompletion row (the newest, if it was re-issued)."""
    return db.session.scalar(select(Certificate).where(
        Certificate.source == "program", Certificate.source_ref == str(completion.id),
        Certificate.user_id == completion.user_id).order_by(Certificate.id.desc()).limit(1))


def issue_for_program(user: User, program, completion, at: datetime | None = None) -> Certificate | None:
    """The certificate of a completed program, or of a recertification: one per ProgramCompletion
    row (None when the program gives none). The person's certificate of the program in force
    until now is marked replaced, so its verification page points to the new serial."""
    if not program.certificate:
        return None
    done = program_certificate(completion)
    if done is not None:
        return done
    at = at or utcnow()
    key = _current_key("program", str(program.id), user)
    previous = db.session.scalar(select(Certificate).where(Certificate.current_key == key))
    if previous is not None and previous.source == "program" and previous.source_ref == str(completion.id):
        return previous  # issued for this very completion by a racing request that committed first
    if previous is not None:
        # Free the key before the new row takes it. Two racing issuers both reach the unique
        # index on current_key, and the database lets only one of them commit.
        previous.current_key = None
        db.session.flush()
    course_ids = [pc.course_id for pc in program.courses]
    start = completion.completed_on
    if completion.kind == "completion" and course_ids:
        from app.courses.models import CourseCompletion

        first = db.session.scalar(select(db.func.min(CourseCompletion.completed_at)).where(
            CourseCompletion.user_id == user.id, CourseCompletion.course_id.in_(course_ids)))
        if first is not None:
            start = min(start, first.date())
    # A recertification is an assessment on one day, not the courses again: its dates are that day.
    organisers = {pc.course.organiser.strip() for pc in program.courses if (pc.course.organiser or "").strip()}
    certification = completion.kind == "recertification" or completion.expires_on is not None
    look, numbering = template_for(user, None)
    cert = _new_certificate(user, look, numbering, source="program", ref=str(completion.id), key=key,
                            title=program.title, jp=program.total_jp,
                            training_type="sertifikasi" if certification else "program",
                            # one organiser only when every course names the same one: never a wrong one
                            organiser=organisers.pop() if len(organisers) == 1 else None,
                            start_date=start, end_date=completion.completed_on, at=at,
                            expires_on=completion.expires_on, program_id=program.id)
    if previous is not None:
        previous.replaced_by_id, previous.replaced_at = cert.id, at
        db.session.flush()
    return cert


def revoke(cert: Certificate, by: User, reason: str) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_("Alasan pencabutan wajib diisi."), code="reason_required")
    if cert.revoked_at is not None:
        raise RuleViolation(_("Sertifikat ini sudah dicabut."), code="already_revoked")
    cert.revoked_at, cert.revoked_reason, cert.revoked_by_id = utcnow(), reason[:2000], by.id
    db.session.flush()
    return cert


def reissue(cert: Certificate, by: User, *, holder_name: str | None = None) -> Certificate:
    """A new certificate (new serial) replacing `cert`: after a retake, or to correct the name.
    The new one snapshots the holder's current name (or `holder_name`) and the training again."""
    if cert.replaced_by_id is not None:
        raise RuleViolation(_("Sertifikat ini sudah diganti dengan %(s)s.", s=cert.replaced_by.serial),
                            code="already_replaced")
    user = cert.user
    name = (holder_name or "").strip() or user.name
    if len(name) > 200:
        raise BadInput(_("Nama terlalu panjang."), code="holder_name")
    key = cert.current_key
    cert.current_key = None
    db.session.flush()
    course = None
    if cert.course_id is not None:
        from app.courses.models import Course

        course = db.session.get(Course, cert.course_id)
    now = utcnow()
    look, numbering = template_for(user, cert.course_id)
    if cert.source == "program":
        # a program's certification runs to the completion's expiry: a corrected name does not extend it
        expires_on = cert.expires_on
    else:
        expires_on = _expiry(now.date(), look.validity_years or numbering.validity_years)
    new = Certificate(serial=_new_serial(numbering, now.date()), user_id=user.id, course_id=cert.course_id,
                      program_id=cert.program_id, template_id=look.id, source=cert.source,
                      source_ref=cert.source_ref, current_key=key,
                      holder_name=name, holder_nip=user.nip, title=course.title if course else cert.title,
                      training_type=course.training_type if course else cert.training_type,
                      organiser=course.organiser if course else cert.organiser,
                      start_date=course.start_date if course and course.start_date else cert.start_date,
                      end_date=cert.end_date, jp=course.jp if course else cert.jp,
                      place_of_issue=look.place_of_issue or numbering.place_of_issue or cert.place_of_issue,
                      issued_on=now.date(), issued_at=now,
                      signatory_name=look.signatory_name or numbering.signatory_name or cert.signatory_name,
                      signatory_position=look.signatory_position or numbering.signatory_position
                      or cert.signatory_position,
                      expires_on=expires_on)
    db.session.add(new)
    db.session.flush()
    cert.replaced_by_id, cert.replaced_at = new.id, now
    db.session.flush()
    return new


# --- rendering ---------------------------------------------------------------------------------

def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.strip("[]") in ("localhost", "127.0.0.1", "::1")


def public_base_url(base_url: str | None = None) -> str:
    """The address certificates' QR codes point to: CERT_PUBLIC_BASE_URL, else the site's
    PUBLIC_BASE_URL, else (a job passes the one its request computed here) the request's host only
    when Flask has checked it against TRUSTED_HOSTS, or on a development machine (loopback).

    Never an unchecked Host header: the first download renders the PDF, which is signed and kept,
    so a forged host would be baked into the certificate's QR code for good.
    """
    cfg = current_app.config
    configured = cfg.get("CERT_PUBLIC_BASE_URL") or cfg.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if base_url:
        return base_url.rstrip("/")
    if has_request_context():
        if cfg.get("TRUSTED_HOSTS") or _loopback(request.host):
            return request.url_root.rstrip("/")
        raise LenteraError(_("Alamat publik situs belum diatur, sehingga kode QR sertifikat belum dapat dibuat. "
                             "Administrator perlu mengisi CERT_PUBLIC_BASE_URL atau LENTERA_PUBLIC_BASE_URL."),
                           code="public_address_unset", status=503)
    return "http://localhost:5000"


def throttle_public_verify() -> None:
    """At most VERIFY_RATE_LIMIT public verifications a minute per address (page, form, API): a
    person scanning QR codes never reaches it; a script walking through serials does."""
    from app.errors import Throttled
    from app.ratelimit import LIMITER

    limit = current_app.config.get("VERIFY_RATE_LIMIT") or 0
    if limit <= 0 or not has_request_context():
        return
    wait = LIMITER.hit("verify", request.remote_addr or "unknown", limit, 60)
    if wait:
        from flask import g

        g.retry_after = int(wait) + 1  # sent as Retry-After (app.web)
        raise Throttled(_("Terlalu banyak pemeriksaan sertifikat dari alamat ini. Coba lagi dalam %(s)d detik.",
                          s=g.retry_after))


def verify_url(cert: Certificate | str, base_url: str | None = None) -> str:
    """The verify page's address: for a certificate, its public id (serial and random code); a
    string is used as it is (a template's preview)."""
    from urllib.parse import quote

    public_id = cert.public_id if isinstance(cert, Certificate) else cert
    return f"{public_base_url(base_url)}/verify/{quote(public_id, safe='/')}"


def look_of(cert: Certificate) -> CertificateTemplate:
    """The template a certificate was issued with (or, if it was deleted, the current one)."""
    return cert.template or template_for(cert.user, cert.course_id)[0]


def page_data(cert: Certificate, base_url: str | None = None,
              tpl: CertificateTemplate | None = None) -> pdfmod.CertificateData:
    tpl = tpl or look_of(cert)
    return pdfmod.CertificateData(
        serial=cert.serial, heading=tpl.heading or "SERTIFIKAT", holder_name=cert.holder_name,
        holder_nip=cert.holder_nip, title=cert.title, training_type=cert.training_type, organiser=cert.organiser,
        start_date=cert.start_date, end_date=cert.end_date, jp=cert.jp, place_of_issue=cert.place_of_issue,
        issued_on=cert.issued_on, signatory_name=cert.signatory_name, signatory_position=cert.signatory_position,
        verify_url=verify_url(cert, base_url), expires_on=cert.expires_on)


def render_certificate(cert: Certificate, base_url: str | None = None, *, sign: bool = True) -> bytes:
    """The certificate's PDF; a revoked one is stamped DICABUT across the page (and signed, so the
    stamp cannot be removed without breaking the signature)."""
    tpl = look_of(cert)
    revoked = cert.revoked_at is not None
    data = pdfmod.render_pdf(page_data(cert, base_url, tpl), tpl, template_images(tpl), revoked=revoked,
                             revoked_on=cert.revoked_at.date() if revoked else None)
    if sign:
        data = signing.sign_pdf(data, location=cert.place_of_issue or None)
    return data


def _pdf_key(cert: Certificate) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", cert.serial).strip("-")
    return f"certificates/pdf/{cert.id}/{safe}.pdf"


def ensure_pdf(cert: Certificate, base_url: str | None = None) -> str:
    """The storage key of the certificate's PDF, rendered and signed on first request, then cached.
    Once revoked, the PDF served (to its holder, in a bulk ZIP) is a stamped one, kept beside it."""
    store = get_storage()
    if cert.revoked_at is not None:
        key = _pdf_key(cert).removesuffix(".pdf") + "-dicabut.pdf"
        if not store.exists(key):
            store.put_bytes(key, render_certificate(cert, base_url), content_type="application/pdf")
        return key
    if cert.pdf_key and store.exists(cert.pdf_key):
        return cert.pdf_key
    key = _pdf_key(cert)
    store.put_bytes(key, render_certificate(cert, base_url), content_type="application/pdf")
    cert.pdf_key = key
    db.session.flush()
    return key


def pdf_filename(cert: Certificate) -> str:
    return "sertifikat-" + re.sub(r"[^A-Za-z0-9._-]+", "-", cert.serial).strip("-") + ".pdf"


def sample_certificate(tpl: CertificateTemplate, base_url: str | None = None) -> bytes:
    """A preview of a template with sample data (a long name, every field filled)."""
    on = utcnow().date()
    code = tpl.serial_code or "LENTERA"
    serial = (tpl.serial_format or DEFAULT_SERIAL_FORMAT).format(code=code, year=on.year, month=on.month, seq=123)
    data = pdfmod.CertificateData(
        serial=serial, heading=tpl.heading or "SERTIFIKAT", holder_name="Siti Nurhaliza Umasangadji, S.Kom.",
        holder_nip="198703122010012003", title="Literasi Digital bagi Aparatur Sipil Negara", training_type="teknis",
        organiser="BPSDM Provinsi Maluku Utara", start_date=on - timedelta(days=4), end_date=on, jp=Decimal(24),
        place_of_issue=tpl.place_of_issue or "Sofifi", issued_on=on,
        signatory_name=tpl.signatory_name or "Nama Penandatangan",
        signatory_position=tpl.signatory_position or "Kepala BPSDM", verify_url=verify_url(serial, base_url),
        expires_on=_expiry(on, tpl.validity_years))
    return pdfmod.render_pdf(data, tpl, template_images(tpl))


# --- bulk download -------------------------------------------------------------------------------

def request_zip(viewer: User, filters: dict, base_url: str | None = None):
    """Queue a ZIP of the certificates matching `filters` within the viewer's reach (a job)."""
    from app.certificates.queries import search_stmt
    from app.jobs.operations import enqueue

    stmt = search_stmt(viewer, **filters)
    from sqlalchemy import func

    n = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if n == 0:
        raise RuleViolation(_("Tidak ada sertifikat yang cocok dengan saringan ini."), code="nothing_to_zip")
    limit = current_app.config.get("CERT_ZIP_MAX", 20000)
    if n > limit:
        raise RuleViolation(_("Terlalu banyak sertifikat (%(n)d); persempit saringan (maks. %(m)d).", n=n, m=limit),
                            code="too_many")
    return enqueue("certificates.zip", {"viewer_id": viewer.id, "filters": _jsonable(filters),
                                        "base_url": public_base_url(base_url), "count": n},
                   created_by_id=viewer.id)


def _jsonable(filters: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v not in (None, "")}


def build_zip(job) -> dict:
    """The job: render (or reuse) every PDF and write one ZIP to storage. Safe to re-run: it
    rewrites the same key from the same rows."""
    from app.certificates.queries import search_stmt
    from app.jobs.operations import report_progress

    viewer = db.session.get(User, job.payload["viewer_id"])
    if viewer is None:
        raise NotFound(_("Pengguna yang meminta unduhan tidak ada lagi."))
    filters = dict(job.payload.get("filters") or {})
    for k in ("date_from", "date_to"):
        if filters.get(k):
            filters[k] = date.fromisoformat(filters[k])
    ids = list(db.session.scalars(search_stmt(viewer, **filters).with_only_columns(Certificate.id)
                                  .order_by(Certificate.id)))
    base_url = job.payload.get("base_url")
    store = get_storage()
    names: set[str] = set()
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for i, cert_id in enumerate(ids, 1):
                cert = db.session.get(Certificate, cert_id)
                key = ensure_pdf(cert, base_url)
                name = pdf_filename(cert)
                if name in names:
                    name = name[:-4] + f"-{cert.id}.pdf"
                names.add(name)
                # PDFs are already compressed: storing them keeps the ZIP fast and the memory flat
                zf.writestr(name, store.read_bytes(key))
                if i % 50 == 0 or i == len(ids):
                    db.session.commit()  # keep the cached PDF keys
                    report_progress(job, int(i * 99 / max(1, len(ids))), _("%(i)d dari %(n)d", i=i, n=len(ids)))
                db.session.expunge(cert)
        tmp.seek(0)
        key = f"certificates/zip/{job.id}.zip"
        store.put_file(key, tmp, content_type="application/zip")
    return {"key": key, "count": len(ids), "filename": f"sertifikat-{job.id}.zip"}


# --- classroom training from the JP ledger --------------------------------------------------------

def attendees(batch) -> list[User]:
    """People credited by an attendance batch whose entry has not been reversed."""
    from app.ledger.queries import batch_entries, reversed_ids

    rows = batch_entries(batch)
    gone = reversed_ids([e.id for e, _u in rows])
    return [u for e, u in rows if e.id not in gone]


def batch_in_reach(staff: User, batch) -> bool:
    from app.accounts.queries import reach

    r = reach(staff)
    return r.everything or batch.created_by_id == staff.id or (batch.unit is not None and r.covers_unit(batch.unit))


def issue_for_attendance(staff: User, batch) -> dict[str, int]:
    """Certificates for everyone on a classroom training's attendance list (not tied to a course:
    title, JP and dates are the batch's). Safe to repeat: people who already have one are skipped,
    so a list extended later gets certificates for the newcomers only."""
    from app.accounts.queries import reach
    from app.errors import Forbidden

    if not staff.has_role("admin", "bpsdm") or not batch_in_reach(staff, batch):
        raise Forbidden(_("Daftar hadir ini di luar jangkauan Anda."))
    people = attendees(batch)
    if not people:
        raise RuleViolation(_("Belum ada peserta tercatat pada daftar hadir ini."), code="attendance_empty")
    r = reach(staff)
    issued = already = 0
    for person in people:
        if not r.covers(person):
            continue
        if current_certificate("attendance", str(batch.id), person) is not None:
            already += 1
            continue
        issue(person, source="attendance", ref=str(batch.id), title=batch.title, jp=batch.jp,
              organiser=batch.organiser, start_date=batch.start_date, end_date=batch.end_date)
        issued += 1
    return {"issued": issued, "already": already}
