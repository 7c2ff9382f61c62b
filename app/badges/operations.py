"""Issuing Open Badges 3.0 credentials for certificates, the revocation status list, and baking.

A certificate's credential is made the first time anyone asks for it (the API route, the JSON or
PNG download, the verify page) and kept as issued: its id and its place in the status list never
change. Revoking the certificate (certificates' own operation) sets its bit in the
BitstringStatusList that every credential points to; nothing has to be re-issued.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import struct
import uuid
import zlib
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.badges import dataintegrity
from app.badges.models import BadgeCredential, BadgeKey
from app.certificates.models import Certificate
from app.extensions import db

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
STATUS_LIST_BITS = 131072  # 16 KB: the minimum size the Bitstring Status List spec asks for (herd privacy)
PNG_KEYWORD = b"openbadgecredential"
#: the organisation's key is the badge_keys row with this id (see _organisation_key_row)
ORGANISATION_KEY_ID = 1


# --- the key ----------------------------------------------------------------------------------------------

def signing_key() -> ec.EllipticCurvePrivateKey:
    """BADGES_SIGNING_KEY (a PEM file of a P-256 key, e.g. from BSrE) when set; otherwise the
    organisation's key made on first use and kept in the database."""
    cached = current_app.extensions.get("lentera_badge_key")
    if cached is not None:
        return cached
    path = current_app.config.get("BADGES_SIGNING_KEY") or os.environ.get("LENTERA_BADGES_SIGNING_KEY")
    if path:
        password = current_app.config.get("BADGES_SIGNING_PASSPHRASE") or os.environ.get(
            "LENTERA_BADGES_SIGNING_PASSPHRASE")
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password.encode() if password else None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("BADGES_SIGNING_KEY must be a P-256 (secp256r1) private key")
    else:
        row, made_now = _organisation_key_row()
        key = serialization.load_pem_private_key(row.private_pem.encode(), None)
        if made_now:
            # Not cached until committed: if this transaction rolls back, the next one must not
            # sign with a key that no database row holds.
            return key
    current_app.extensions["lentera_badge_key"] = key
    return key


def _organisation_key_row() -> tuple[BadgeKey, bool]:
    """The organisation's key row — always id 1, so two workers issuing the very first credential
    at once cannot each make one: the primary key is the unique constraint. Insert-or-read: the
    insert runs in a savepoint; the loser of the race (on PostgreSQL it waits for the winner's
    commit) rolls its savepoint back and reads the winner's row. (A database where two rows were
    made before this rule keeps using the oldest, id 1, as it always did.)"""
    row = db.session.scalar(select(BadgeKey).order_by(BadgeKey.id).limit(1))
    if row is not None:
        return row, False
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    try:
        with db.session.begin_nested():
            row = BadgeKey(id=ORGANISATION_KEY_ID, private_pem=pem, did=dataintegrity.did_key(key.public_key()))
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(BadgeKey).where(BadgeKey.id == ORGANISATION_KEY_ID)
                                .execution_options(populate_existing=True))
        if row is None:  # pragma: no cover — the winner's row is committed before our insert fails
            raise
        return row, False
    return row, True


def issuer_did() -> str:
    return dataintegrity.did_key(signing_key().public_key())


def _base() -> str:
    from app.mail import site_link

    return site_link("")


def _issuer() -> dict:
    name = current_app.config.get("BADGES_ISSUER_NAME") or current_app.config.get("SITE_NAME", "Lentera")
    return {"id": issuer_did(), "type": ["Profile"], "name": name, "url": _base() or "http://lentera.invalid"}


def _iso(dt: datetime) -> str:
    return dt.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Decimal) -> int | float:
    v = Decimal(value)
    return int(v) if v == v.to_integral_value() else float(v)


# --- credentials ---------------------------------------------------------------------------------------------

def status_position(row: BadgeCredential) -> tuple[int, int]:
    """(list number, index in it) of a credential: fixed by its id."""
    return (row.id - 1) // STATUS_LIST_BITS + 1, (row.id - 1) % STATUS_LIST_BITS


def credential_for(cert: Certificate) -> BadgeCredential:
    """The certificate's credential, issued now if it has none yet."""
    row = db.session.scalar(select(BadgeCredential).where(BadgeCredential.certificate_id == cert.id))
    if row is not None:
        return row
    row = BadgeCredential(certificate_id=cert.id, credential_id=f"urn:uuid:{uuid.uuid4()}", credential={})
    db.session.add(row)
    db.session.flush()  # the id fixes the status-list position
    row.credential = _build(cert, row)
    db.session.flush()
    return row


def _build(cert: Certificate, row: BadgeCredential) -> dict:
    list_no, index = status_position(row)
    status_url = _base() + url_for("badges.status_list", list_id=list_no)
    kind = "program" if cert.program_id else "course"
    achievement_path = (f"/kursus/{cert.course_id}" if cert.course_id else
                        f"/sertifikat/{cert.source}/{cert.source_ref or cert.id}")
    achievement = {
        "id": _base() + achievement_path if kind == "course" else f"{_base()}/program/{cert.program_id}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": cert.title,
        "description": f"{cert.title} — {_number(cert.jp)} JP" + (f", {cert.organiser}" if cert.organiser else ""),
        "criteria": {"narrative": "Menyelesaikan seluruh persyaratan pelatihan dan tercatat di buku JP."},
        "creditsAvailable": _number(cert.jp),
        "image": {"id": _base() + url_for("badges.image", serial=cert.public_id), "type": "Image"},
    }
    if cert.organiser:
        achievement["creator"] = {"id": issuer_did(), "type": ["Profile"], "name": cert.organiser}
    nip_hash = None
    if cert.holder_nip:
        import hashlib

        salt = cert.serial
        nip_hash = "sha256$" + hashlib.sha256((cert.holder_nip + salt).encode()).hexdigest()
    subject: dict = {"type": ["AchievementSubject"], "achievement": achievement, "creditsEarned": _number(cert.jp)}
    if nip_hash:
        subject["identifier"] = [{"type": "IdentityObject", "identityHash": nip_hash, "identityType": "identifier",
                                  "hashed": True, "salt": cert.serial}]
    if cert.start_date:
        subject["activityStartDate"] = _iso(datetime.combine(cert.start_date, time()))
    if cert.end_date:
        subject["activityEndDate"] = _iso(datetime.combine(cert.end_date, time()))
    valid_from = datetime.combine(cert.issued_on, time())
    doc = {
        "@context": CONTEXTS,
        "id": row.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer(),
        "validFrom": _iso(valid_from),
        "name": cert.title,
        "description": f"Sertifikat {cert.serial} atas nama {cert.holder_name}",
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{status_url}#{index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(index),
                             "statusListCredential": status_url},
        "evidence": [{"id": _base() + url_for("certificates.verify", serial=cert.public_id), "type": ["Evidence"],
                      "name": f"Verifikasi sertifikat {cert.serial}"}],
    }
    if cert.expires_on:
        doc["validUntil"] = _iso(datetime.combine(cert.expires_on, time(23, 59, 59)))
    return dataintegrity.sign(doc, signing_key())


def revoked(row: BadgeCredential) -> bool:
    return row.certificate.revoked_at is not None


# --- the status list -----------------------------------------------------------------------------------

def status_bits(list_id: int) -> bytes:
    """The list's bitstring: bit i (most significant bit first) set when credential i's
    certificate is revoked."""
    first = (list_id - 1) * STATUS_LIST_BITS + 1
    bits = bytearray(STATUS_LIST_BITS // 8)
    rows = db.session.execute(select(BadgeCredential.id).join(Certificate, Certificate.id == BadgeCredential.certificate_id)
                              .where(BadgeCredential.id >= first, BadgeCredential.id < first + STATUS_LIST_BITS,
                                     Certificate.revoked_at.is_not(None)))
    for (cid,) in rows:
        i = cid - first
        bits[i // 8] |= 0x80 >> (i % 8)
    return bytes(bits)


def encode_list(bits: bytes) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bits, mtime=0)).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def status_list_credential(list_id: int) -> dict:
    url = _base() + url_for("badges.status_list", list_id=list_id)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": _iso(datetime.now(UTC)),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_list(status_bits(list_id))},
    }
    return dataintegrity.sign(doc, signing_key())


# --- baking ------------------------------------------------------------------------------------------------

def badge_png(cert: Certificate) -> bytes:
    """The badge picture: a round seal with the JP and the training's title."""
    from PIL import Image, ImageDraw, ImageFont

    size = 400
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((8, 8, size - 8, size - 8), fill=(15, 82, 135, 255), outline=(212, 160, 23, 255), width=14)
    try:
        big, small = ImageFont.load_default(size=64), ImageFont.load_default(size=22)
    except TypeError:  # Pillow without scalable default font
        big = small = ImageFont.load_default()
    jp = f"{_number(cert.jp)} JP"
    d.text((size / 2, 150), jp, font=big, fill="white", anchor="mm")
    words, lines, line = cert.title.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > 24:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    for i, text in enumerate(lines[:4]):
        d.text((size / 2, 220 + i * 28), text, font=small, fill="white", anchor="mm")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def bake(png: bytes, credential: dict) -> bytes:
    """The PNG with the credential in an iTXt chunk `openbadgecredential` (Open Badges 3.0 baking),
    placed before IEND."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    text = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data) & 0xFFFFFFFF)
    iend = png.rfind(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def unbake(png: bytes) -> dict | None:
    """The credential baked into a PNG, or None."""
    pos = 8
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"iTXt" and data.startswith(PNG_KEYWORD + b"\x00"):
            rest = data[len(PNG_KEYWORD) + 1:]
            flag = rest[0]
            rest = rest[2:]
            _lang, rest = rest.split(b"\x00", 1)
            _tkw, text = rest.split(b"\x00", 1)
            if flag:
                text = zlib.decompress(text)
            return json.loads(text.decode("utf-8"))
        pos += 12 + length
    return None
