"""Open Badges 3.0: each certificate as a signed W3C Verifiable Credential (ecdsa-jcs-2019 under a
did:key), downloadable as JSON and baked into a PNG, shown on the verify page, and revoked through
a Bitstring Status List when the certificate is revoked.

The proof is checked here independently of app.badges: JCS, SHA-256 and P-256 as the
cryptosuite specification describes them, from the did:key alone."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import struct

import base58
import pytest
import rfc8785
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from PIL import Image
from sqlalchemy import select

from app.certificates.models import Certificate
from app.certificates.operations import revoke
from app.extensions import db
from tests.certificates_fixtures import completed_course


def independent_verify(doc: dict) -> bool:
    proof = doc["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "ecdsa-jcs-2019"
    assert proof["proofPurpose"] == "assertionMethod"
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    did = options["verificationMethod"].split("#")[0]
    raw = base58.b58decode(did.removeprefix("did:key:z"))
    assert raw[:2] == b"\x80\x24"  # multicodec p256-pub
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
    sig = base58.b58decode(proof["proofValue"].removeprefix("z"))
    data = hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    try:
        key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), data,
                   ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:  # noqa: BLE001
        return False


def _bit(encoded: str, index: int) -> int:
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131072
    return (bits[index // 8] >> (7 - index % 8)) & 1


@pytest.fixture
def two_certs(org):
    completed_course(org.learner_a1, org.learner_b, owner=org.instructor, title="Pengelolaan Keuangan Daerah", jp=6)
    certs = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
    assert len(certs) == 2
    return certs


def test_the_credential_is_an_open_badge_signed_by_the_organisation(client, two_certs, org):
    cert = two_certs[0]
    resp = client.get(f"/api/v1/certificates/{cert.public_id}/credential")
    assert resp.status_code == 200
    cred = resp.get_json()
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["@context"][0] == "https://www.w3.org/ns/credentials/v2" and "ob/v3p0" in cred["@context"][1]
    assert cred["issuer"]["id"].startswith("did:key:zDn")
    subject = cred["credentialSubject"]
    assert subject["achievement"]["name"] == "Pengelolaan Keuangan Daerah" and subject["creditsEarned"] == 6
    ident = subject["identifier"][0]
    assert ident["hashed"] and ident["identityHash"] == "sha256$" + hashlib.sha256(
        (org.learner_a1.nip + ident["salt"]).encode()).hexdigest()
    assert org.learner_a1.nip not in resp.get_data(as_text=True)  # the NIP only hashed
    assert independent_verify(cred)
    tampered = {**cred, "credentialSubject": {**subject, "creditsEarned": 60}}
    assert not independent_verify(tampered)
    # Issued once: asked again it is the same credential; another certificate, another one, same issuer.
    assert client.get(f"/api/v1/certificates/{cert.public_id}/credential").get_json() == cred
    other = client.get(f"/api/v1/certificates/{two_certs[1].public_id}/credential").get_json()
    assert other["id"] != cred["id"] and other["issuer"]["id"] == cred["issuer"]["id"]
    assert other["credentialStatus"]["statusListIndex"] != cred["credentialStatus"]["statusListIndex"]
    missing = client.get("/api/v1/certificates/TIDAK-ADA-123/credential")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "certificate_not_found"


def test_revoking_the_certificate_flips_its_bit_in_the_status_list(client, two_certs, org):
    a, b = two_certs
    cred_a = client.get(f"/api/v1/certificates/{a.public_id}/credential").get_json()
    cred_b = client.get(f"/api/v1/certificates/{b.public_id}/credential").get_json()
    status = cred_a["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    path = status["statusListCredential"].split("//", 1)[1].split("/", 1)[1]
    listed = client.get("/" + path)
    assert listed.status_code == 200
    doc = listed.get_json()
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"] and independent_verify(doc)
    assert _bit(doc["credentialSubject"]["encodedList"], int(status["statusListIndex"])) == 0
    revoke(a, org.admin, "Data pelatihan keliru")
    db.session.commit()
    doc = client.get("/" + path).get_json()
    assert _bit(doc["credentialSubject"]["encodedList"], int(status["statusListIndex"])) == 1
    assert _bit(doc["credentialSubject"]["encodedList"], int(cred_b["credentialStatus"]["statusListIndex"])) == 0
    # The credential itself is unchanged (still a valid signature); the list says it is revoked.
    assert client.get(f"/api/v1/certificates/{a.public_id}/credential").get_json() == cred_a
    page = client.get(f"/verify/{a.public_id}").get_data(as_text=True)
    assert "Dicabut (daftar status)" in page


def test_json_download_baked_png_and_verify_page(client, two_certs):
    cert = two_certs[0]
    page = client.get(f"/verify/{cert.public_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Open Badges 3.0" in html and "Tanda tangan sah" in html and "did:key:zDn" in html
    cred = client.get(f"/api/v1/certificates/{cert.public_id}/credential").get_json()
    assert cred["id"] in html
    js = client.get(f"/sertifikat/{cert.public_id}/badge.json")
    assert js.status_code == 200 and "attachment" in js.headers["Content-Disposition"]
    assert js.get_json() == cred
    png = client.get(f"/sertifikat/{cert.public_id}/badge.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    Image.open(io.BytesIO(png.data)).verify()  # still a valid picture
    baked = _itxt(png.data, b"openbadgecredential")
    assert baked == cred and independent_verify(baked)
    assert client.get("/sertifikat/TIDAK-ADA/badge.png").status_code == 404


def _itxt(png: bytes, keyword: bytes) -> dict | None:
    import json

    pos = 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"iTXt" and data.split(b"\0", 1)[0] == keyword:
            parts = data.split(b"\0", 1)[1]
            assert parts[:2] == b"\0\0"  # not compressed
            text = parts[2:].split(b"\0", 2)[2]
            return json.loads(text)
        pos += 12 + length
    return None


def test_a_program_certification_is_a_credential_too(client, org):
    from tests.test_certificates_program import finish_program, make_program, program_certs

    program, courses = make_program(code="APKD", title="Sertifikasi Pengelola Keuangan Daerah", validity_years=3,
                                    certificate=True)
    finish_program(program, courses, org.learner_a1)
    (cert,) = program_certs(org.learner_a1)
    cred = client.get(f"/api/v1/certificates/{cert.public_id}/credential").get_json()
    assert cred["credentialSubject"]["achievement"]["id"].endswith(f"/program/{program.id}")
    assert cred["credentialSubject"]["achievement"]["name"] == cert.title
    assert cred["validUntil"].startswith(cert.expires_on.isoformat())  # a certification expires
    assert independent_verify(cred)


def test_two_workers_issuing_the_very_first_credential_make_one_organisation_key(app, monkeypatch):
    """Two workers, each in its own session and connection, both find no key and both make one at
    the same moment (held together at key generation): one row wins, the other worker reads it,
    and both sign under the same did:key. Meaningful on PostgreSQL (the loser's insert waits for
    the winner's commit); on SQLite the write lock serialises and the same assertions hold."""
    import threading

    from app.badges import operations as bops
    from app.badges.models import BadgeKey

    app.extensions.pop("lentera_badge_key", None)
    made = threading.Barrier(2)
    generate = bops.ec.generate_private_key

    def held_together(curve):
        key = generate(curve)
        made.wait(timeout=30)  # both workers saw no key before either inserts
        return key

    monkeypatch.setattr(bops.ec, "generate_private_key", held_together)
    dids: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                key = bops.signing_key()
                db.session.commit()
                from app.badges import dataintegrity

                dids.append(dataintegrity.did_key(key.public_key()))
            except BaseException as exc:  # asserted on below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(dids) == 2 and dids[0] == dids[1]
    rows = db.session.scalars(select(BadgeKey)).all()
    assert len(rows) == 1 and rows[0].did == dids[0]
    app.extensions.pop("lentera_badge_key", None)
    assert bops.issuer_did() == dids[0]  # read back from the database afterwards: the same key
    app.extensions.pop("lentera_badge_key", None)
