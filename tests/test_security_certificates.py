"""Issue 14, findings 5 and 10 and the certificate part of 14: the verify address in a certificate
never comes from a request's Host header; public identifiers are not guessable and the public
verify routes are rate-limited; a revoked certificate's PDF says so."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.certificates.models import Certificate
from app.extensions import db
from tests.certificates_fixtures import completed_course


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _login(app, base_url: str = "http://localhost"):
    c = app.test_client()
    resp = c.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}, base_url=base_url)
    assert resp.status_code == 302
    return c


@pytest.fixture
def cert(app, org):
    completed_course(org.learner_a1, title="Literasi Digital", jp=6)
    return db.session.scalar(select(Certificate).where(Certificate.user_id == org.learner_a1.id))


@pytest.fixture
def config(app):
    saved = {k: app.config.get(k) for k in ("CERT_PUBLIC_BASE_URL", "PUBLIC_BASE_URL", "TRUSTED_HOSTS",
                                            "VERIFY_RATE_LIMIT")}
    yield app.config
    app.config.update(saved)


# --- finding 5: the Host header never reaches a certificate -----------------------------------------

def test_forged_host_is_not_baked_into_the_pdf_when_an_address_is_set(app, org, cert, config):
    config["PUBLIC_BASE_URL"] = "https://lentera.example.go.id"
    c = _login(app, "http://evil.example")
    resp = c.get(f"/certificates/{cert.serial}.pdf", base_url="http://evil.example")
    assert resp.status_code == 200
    text = _text(resp.data)
    assert "evil.example" not in text
    assert "https://lentera.example.go.id/verify/" in text
    # CERT_PUBLIC_BASE_URL wins over the site's address
    config["CERT_PUBLIC_BASE_URL"] = "https://sertifikat.example.go.id"
    from app.certificates.operations import verify_url

    with app.test_request_context("/", base_url="http://evil.example"):
        assert verify_url(cert.serial).startswith("https://sertifikat.example.go.id/verify/")


def test_without_an_address_only_a_trusted_host_is_used(app, org, cert, config):
    config["CERT_PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"] = None
    evil = _login(app, "http://evil.example")
    resp = evil.get(f"/certificates/{cert.serial}.pdf", base_url="http://evil.example")
    assert resp.status_code in (400, 503)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).pdf_key is None  # nothing was rendered or kept
    # the development address (loopback) is fine
    resp = _login(app).get(f"/certificates/{cert.serial}.pdf")
    assert resp.status_code == 200 and "http://localhost/verify/" in _text(resp.data)


def test_trusted_hosts_refuse_other_hosts(app, org, cert, config):
    config["CERT_PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"] = None
    config["TRUSTED_HOSTS"] = ["lentera.example.go.id"]
    c = _login(app, "http://lentera.example.go.id")
    assert c.get("/", base_url="http://evil.example").status_code == 400
    resp = c.get(f"/certificates/{cert.serial}.pdf", base_url="http://lentera.example.go.id")
    assert resp.status_code == 200
    assert "http://lentera.example.go.id/verify/" in _text(resp.data)


# --- finding 10: a public identifier nobody can count through, and a rate limit -----------------------

def test_certificates_are_verified_by_a_public_id_with_a_random_part(app, org, cert):
    from tests.certificates_fixtures import completed_course

    completed_course(org.learner_b, title="Literasi Digital Lanjut", jp=6)
    other = db.session.scalar(select(Certificate).where(Certificate.user_id == org.learner_b.id))
    assert cert.public_id.startswith(cert.serial + "-") and len(cert.verify_code) >= 8
    assert cert.verify_code != other.verify_code
    c = app.test_client()
    # the human-readable number alone (sequential, guessable) opens nothing
    assert c.get(f"/verify/{cert.serial}").status_code == 404
    assert c.get(f"/api/v1/certificates/{cert.serial}").status_code == 404
    # nor a wrong random part
    assert c.get(f"/verify/{cert.serial}-{other.verify_code}").status_code == 404
    page = c.get(f"/verify/{cert.public_id}")
    assert page.status_code == 200 and cert.serial in page.get_data(as_text=True)
    body = c.get(f"/api/v1/certificates/{cert.public_id}").get_json()
    assert body["serial"] == cert.serial and body["valid"] is True
    # the QR code and the API point to the public id
    from app.certificates.operations import verify_url

    with app.test_request_context("/"):
        assert verify_url(cert).endswith(f"/verify/{cert.public_id}")


def test_certificates_issued_before_keep_their_printed_address(app, org, cert):
    cert.verify_code = None  # issued before public ids had a random part: its QR code has the serial
    db.session.commit()
    assert cert.public_id == cert.serial
    assert app.test_client().get(f"/verify/{cert.serial}").status_code == 200


def test_public_verify_routes_are_rate_limited(app, org, cert, config):
    from app.ratelimit import LIMITER

    config["VERIFY_RATE_LIMIT"] = limit = 30  # the default setting
    LIMITER.clear()
    c = app.test_client()
    scanner = {"REMOTE_ADDR": "10.0.0.99"}
    for i in range(limit):
        path = f"/verify/TIDAK/ADA/{i}" if i % 2 else f"/api/v1/certificates/TIDAK-ADA-{i}"
        assert c.get(path, environ_base=scanner).status_code == 404
    for path in (f"/verify/{cert.public_id}", f"/api/v1/certificates/{cert.public_id}", "/verify?serial=X"):
        resp = c.get(path, environ_base=scanner)
        assert resp.status_code == 429, path
        assert int(resp.headers["Retry-After"]) > 0
    # someone else scanning a QR code is not held up
    assert c.get(f"/verify/{cert.public_id}", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
