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
    saved = {k: app.config.get(k) for k in ("CERT_PUBLIC_BASE_URL", "PUBLIC_BASE_URL", "TRUSTED_HOSTS")}
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
