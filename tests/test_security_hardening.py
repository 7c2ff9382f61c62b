"""Issue 14, finding 14: NIP existence not shown to learners, HSTS and Secure cookies behind HTTPS,
no-store on personal pages and PDFs, a revoked certificate's PDF marked DICABUT, and the file
activity refusing executables and serving files as attachments."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import nip_for


def _client(app, username: str = "learner_a1", **env):
    c = app.test_client()
    resp = c.post("/masuk", data={"username": username, "password": "rahasia123"}, **env)
    assert resp.status_code == 302
    return c


# --- 14a: 403 vs 404 told a learner which NIPs exist ------------------------------------------------

def test_learners_get_404_for_unknown_and_forbidden_nip_alike(app, org, auth):
    headers = auth(org.learner_a1)
    unknown = nip_for(999)
    c = app.test_client()
    for path in ("/api/v1/employees/{}", "/api/v1/ledger/{}", "/api/v1/employees/{}/gaps"):
        other = c.get(path.format(org.learner_b.nip), headers=headers)
        nobody = c.get(path.format(unknown), headers=headers)
        assert other.status_code == nobody.status_code == 404, path
        assert other.json["error"]["code"] == nobody.json["error"]["code"]
    pages = _client(app)
    for path in ("/jp/pegawai/{}", "/kompetensi/pegawai/{}", "/jp/pegawai/{}/transkrip/2026.pdf"):
        assert pages.get(path.format(org.learner_b.nip)).status_code == 404, path
        assert pages.get(path.format(unknown)).status_code == 404, path
    # staff still learn that the person is outside their reach (they work with NIPs all day)
    assert c.get(f"/api/v1/employees/{org.learner_b.nip}", headers=auth(org.bpsdm_a)).status_code == 403


# --- 14b: HTTPS behind a trusted proxy ---------------------------------------------------------------

@pytest.fixture
def behind_proxy(app):
    """The app as deployed behind one reverse proxy that terminates HTTPS (LENTERA_TRUSTED_PROXIES=1)."""
    app.config["TRUSTED_PROXIES"] = 1
    yield app
    app.config["TRUSTED_PROXIES"] = 0


def test_https_behind_a_trusted_proxy_gets_hsts_and_secure_cookies(app, org, behind_proxy):
    c = behind_proxy.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    resp = c.post("/masuk", data={"username": "learner_a1", "password": "rahasia123", "remember": "y"},
                  headers=https)
    assert resp.status_code == 302
    assert "max-age=" in resp.headers["Strict-Transport-Security"]
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies
    # plain HTTP (a health check inside the network) gets neither
    plain = behind_proxy.test_client().get("/masuk")
    assert "Strict-Transport-Security" not in plain.headers
    # without the trusted-proxy setting, the header of whoever connects is not believed
    behind_proxy.config["TRUSTED_PROXIES"] = 0
    direct = behind_proxy.test_client().get("/masuk", headers=https)
    assert "Strict-Transport-Security" not in direct.headers


def test_the_proxy_gives_the_login_throttle_the_real_address(app, org, behind_proxy):
    from app.accounts.models import LoginAttempt

    c = behind_proxy.test_client()
    c.post("/masuk", data={"username": "learner_a1", "password": "salah"},
           headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert db.session.scalar(select(LoginAttempt.address)) == "203.0.113.9"


# --- 14c: no-store on personal pages and files --------------------------------------------------------

def test_personal_pages_and_pdfs_are_not_stored_by_caches(app, org, auth):
    c = _client(app)
    year = 2026
    for path in ("/", "/akun", "/jp", f"/jp/transkrip/{year}.pdf"):
        resp = c.get(path)
        assert resp.status_code == 200, path
        assert "no-store" in resp.headers.get("Cache-Control", ""), path
    api = app.test_client().get("/api/v1/me", headers=auth(org.learner_a1))
    assert "no-store" in api.headers.get("Cache-Control", "")
    # shared files with a long life keep it
    assert "no-store" not in app.test_client().get("/vendor/quill.js").headers.get("Cache-Control", "")


# --- 14d: a revoked certificate's PDF ---------------------------------------------------------------------

def test_a_revoked_certificates_pdf_is_marked_dicabut(app, org):
    from pypdf import PdfReader

    from app.certificates import operations as cert_ops
    from app.certificates.models import Certificate
    from tests.certificates_fixtures import completed_course

    completed_course(org.learner_a1, title="Literasi Digital", jp=6)
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == org.learner_a1.id))
    c = _client(app)
    before = c.get(f"/certificates/{cert.serial}.pdf")
    assert "DICABUT" not in PdfReader(io.BytesIO(before.data)).pages[0].extract_text()
    cert_ops.revoke(cert, org.admin, "Data kehadiran keliru")
    db.session.commit()
    after = c.get(f"/certificates/{cert.serial}.pdf")
    assert after.status_code == 200
    assert "DICABUT" in PdfReader(io.BytesIO(after.data)).pages[0].extract_text()


# --- 14e: the file activity and executables ------------------------------------------------------------

@pytest.fixture
def file_section(org):
    from tests.factories import make_course

    course = make_course(org.instructor, activities=[])
    from app.courses import operations as course_ops

    course_ops.add_instructor(course, org.instructor)
    db.session.commit()
    return course.sections[0]


@pytest.mark.parametrize("name,data", [
    ("materi.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),   # a Windows program
    ("catatan.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),                               # a Linux program
    ("panduan.docx", b"#!/bin/sh\nrm -rf ~\n"),                                          # a script
    ("setup.exe", b"hanya teks"),                                                          # by its name
])
def test_the_file_activity_refuses_executables(app, org, file_section, name, data):
    from app.courses.models import Activity

    c = _client(app, "instructor")
    resp = c.post(f"/mengajar/bagian/{file_section.id}/aktivitas/baru?type=file",
                  data={"title": "Materi", "file": (io.BytesIO(data), name), "required": "y", "visible": "y"},
                  content_type="multipart/form-data")
    assert resp.status_code in (200, 422)
    assert "program" in resp.get_data(as_text=True).lower()
    assert db.session.scalar(select(Activity).where(Activity.type == "file")) is None


def test_files_are_served_as_attachments_never_sniffed(app, org, file_section):
    from app.courses.models import Activity

    c = _client(app, "instructor")
    resp = c.post(f"/mengajar/bagian/{file_section.id}/aktivitas/baru?type=file",
                  data={"title": "Materi", "file": (io.BytesIO(b"<html><script>alert(1)</script>"), "m.html"),
                        "required": "y", "visible": "y"}, content_type="multipart/form-data")
    assert resp.status_code == 302
    a = db.session.scalar(select(Activity).where(Activity.type == "file"))
    resp = c.get(f"/aktivitas/{a.id}/berkas")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
