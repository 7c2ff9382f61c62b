"""Issuing, numbering, verification, scoping, revocation and re-issue of certificates."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import utcnow
from app.certificates import operations as ops
from app.certificates.models import Certificate
from app.certificates.serials import check_format
from app.errors import BadInput
from app.extensions import db
from tests.certificates_fixtures import assert_pdf_scoping, complete_course, completed_course
from tests.conftest import count
from tests.factories import enrol_all, make_course


def certs_of(user):
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def test_completion_issues_exactly_one_certificate_with_snapshot(app, org):
    course = completed_course(org.learner_a1, title="Literasi Digital", jp=6)
    [cert] = certs_of(org.learner_a1)
    assert cert.course_id == course.id and cert.title == "Literasi Digital"
    assert cert.holder_name == org.learner_a1.name and cert.holder_nip == org.learner_a1.nip
    assert cert.jp == 6 and cert.organiser == "BPSDM Provinsi Uji" and cert.training_type == "teknis"
    assert cert.serial == f"UJI/{utcnow().year}/000001"
    assert cert.pdf_key is None  # rendered on demand
    # completing again (another activity re-sent, the subscriber re-run) does not issue a second one
    complete_course(course, org.learner_a1)
    ops.issue_for_course(org.learner_a1, course)
    db.session.commit()
    assert len(certs_of(org.learner_a1)) == 1


def test_course_without_certificate_issues_none(app, org):
    completed_course(org.learner_a1, certificate=False)
    assert certs_of(org.learner_a1) == []


def test_serials_follow_the_instansi_format_and_are_unique(app, org):
    ops.save_template(None, unit=org.instansi, serial_format="BPSDM-MALUT/{year}/{seq:06d}", serial_code="X",
                      signatory_name="Kepala", signatory_position="Kepala BPSDM", place_of_issue="Sofifi")
    db.session.commit()
    completed_course(org.learner_a1, org.learner_b, org.instructor)
    completed_course(org.learner_a1)
    serials = [c.serial for c in db.session.scalars(select(Certificate).order_by(Certificate.id))]
    year = utcnow().year
    assert serials == [f"BPSDM-MALUT/{year}/{n:06d}" for n in range(1, 5)]
    cert = certs_of(org.learner_b)[0]
    assert (cert.signatory_name, cert.signatory_position, cert.place_of_issue) == ("Kepala", "Kepala BPSDM", "Sofifi")


@pytest.mark.parametrize("fmt", ["NO-SEQ/{year}", "{seq}/{nama}", "{seq:06d}/{year", "A#{seq}"])
def test_bad_serial_formats_are_refused(fmt):
    with pytest.raises(BadInput):
        check_format(fmt)


def test_verify_page_states(app, org, client):
    completed_course(org.learner_a1, org.learner_b, title="Pengelolaan Keuangan Daerah", jp=8)
    a, b = certs_of(org.learner_a1)[0], certs_of(org.learner_b)[0]
    page = client.get(f"/verify/{a.public_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Sah" in text and a.holder_name in text and "Pengelolaan Keuangan Daerah" in text
    assert org.learner_a1.nip not in text  # only a masked NIP
    assert org.learner_a1.nip[:4] + "***********" + org.learner_a1.nip[-3:] in text
    assert org.learner_a1.email not in text and org.a1.name not in text

    ops.revoke(a, org.admin, "Data kehadiran tidak sah")
    db.session.commit()
    text = client.get(f"/verify/{a.public_id}").get_data(as_text=True)
    assert "Dicabut" in text and "telah dicabut" in text
    assert "Data kehadiran tidak sah" not in text  # the reason is internal

    new = ops.reissue(b, org.admin, holder_name="Learner B. Koreksi")
    db.session.commit()
    text = client.get(f"/verify/{b.public_id}").get_data(as_text=True)
    assert "Diganti" in text and new.serial in text
    text = client.get(f"/verify/{new.public_id}").get_data(as_text=True)
    assert "Sah" in text and "Learner B. Koreksi" in text
    assert new.serial != b.serial

    new.expires_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert "Kedaluwarsa" in client.get(f"/verify/{new.public_id}").get_data(as_text=True)
    assert client.get("/verify/TIDAK/ADA/1").status_code == 404


def test_api_check_is_public_and_minimal(app, org, client):
    completed_course(org.learner_a1, jp="4.5")
    cert = certs_of(org.learner_a1)[0]
    resp = client.get(f"/api/v1/certificates/{cert.public_id}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["serial"] == cert.serial and body["valid"] is True and body["revoked"] is False
    assert body["holder"] == org.learner_a1.name and body["jp"] == "4.5"
    assert body["issued_on"] == cert.issued_on.isoformat()
    assert "nip" not in body and org.learner_a1.nip not in resp.get_data(as_text=True)
    ops.revoke(cert, org.admin, "salah")
    db.session.commit()
    body = client.get(f"/api/v1/certificates/{cert.public_id}").get_json()
    assert body["valid"] is False and body["revoked"] is True
    resp = client.get("/api/v1/certificates/UJI/1900/999999")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "certificate_not_found"


def test_expiry_from_template_validity(app, org, client):
    course = make_course(certificate=True)
    ops.save_template(None, course_id=course.id, validity_years=3, heading="SERTIFIKAT KOMPETENSI")
    enrol_all(course, org.learner_a1)
    complete_course(course, org.learner_a1)
    db.session.commit()
    cert = certs_of(org.learner_a1)[0]
    today = utcnow().date()
    assert cert.expires_on == date(today.year + 3, today.month, today.day) - timedelta(days=1) or \
        cert.expires_on.year == today.year + 3
    assert cert.status(today) == "valid"
    assert cert.status(cert.expires_on + timedelta(days=1)) == "expired"


def test_list_api_scoping(app, org, client, auth):
    completed_course(org.learner_a1, org.learner_b)
    assert client.get("/api/v1/certificates").status_code == 401
    mine = client.get("/api/v1/certificates", headers=auth(org.learner_a1)).get_json()
    assert mine["total"] == 1 and mine["page"] == 1
    assert [c["holder"] for c in mine["items"]] == [org.learner_a1.name]
    # a learner cannot list someone else's
    assert client.get(f"/api/v1/certificates?nip={org.learner_b.nip}", headers=auth(org.learner_a1)).status_code == 404
    # bpsdm of unit A: A1 yes, B no
    h = auth(org.bpsdm_a)
    assert len(client.get(f"/api/v1/certificates?nip={org.learner_a1.nip}", headers=h).get_json()["items"]) == 1
    assert client.get(f"/api/v1/certificates?nip={org.learner_b.nip}", headers=h).status_code == 403
    # the head of unit A sees his staff elsewhere, but certificates are for admin/bpsdm only
    assert client.get(f"/api/v1/certificates?nip={org.learner_a1.nip}", headers=auth(org.head_a)).status_code == 403
    assert len(client.get(f"/api/v1/certificates?nip={org.learner_b.nip}", headers=auth(org.admin)).get_json()["items"]) == 1


def test_pdf_download_scoping(app, org, client, login):
    completed_course(org.learner_a1, org.learner_b)
    a, b = certs_of(org.learner_a1)[0], certs_of(org.learner_b)[0]
    assert_pdf_scoping(client, login, org, a.serial, b.serial)
    assert client.get("/certificates/TIDAK/ADA.pdf").status_code == 404


def test_pdf_is_cached_and_carries_the_text(app, org, client, login):
    from pypdf import PdfReader

    completed_course(org.learner_a1, title="Tata Kelola Keuangan Elektronik", jp=12)
    cert = certs_of(org.learner_a1)[0]
    login(org.learner_a1)
    first = client.get(f"/certificates/{cert.serial}.pdf").data
    db.session.refresh(cert)
    assert cert.pdf_key is not None
    assert client.get(f"/certificates/{cert.serial}.pdf").data == first  # served from storage
    text = PdfReader(io.BytesIO(first)).pages[0].extract_text()
    for expected in (cert.serial, org.learner_a1.name, org.learner_a1.nip, "Tata Kelola Keuangan Elektronik",
                     "12 JP", "BPSDM Provinsi Uji", f"http://localhost/verify/{cert.public_id}"):
        assert expected in text, expected


def test_staff_search_revoke_and_reissue_pages(app, org, client, login):
    completed_course(org.learner_a1, org.learner_b, title="Pelayanan Publik Berbasis Teknologi")
    a = certs_of(org.learner_a1)[0]
    login(org.bpsdm_a)
    text = client.get("/sertifikat").get_data(as_text=True)
    assert a.serial in text and certs_of(org.learner_b)[0].serial not in text  # out of reach
    assert a.serial in client.get(f"/sertifikat?q={org.learner_a1.nip}").get_data(as_text=True)
    assert client.get(f"/sertifikat/{certs_of(org.learner_b)[0].id}").status_code == 403
    resp = client.post(f"/sertifikat/{a.id}/cabut", data={"reason": ""})
    assert resp.status_code == 302 and db.session.get(Certificate, a.id).revoked_at is None
    client.post(f"/sertifikat/{a.id}/cabut", data={"reason": "Ganda"})
    db.session.expire_all()
    assert db.session.get(Certificate, a.id).revoked_reason == "Ganda"
    resp = client.post(f"/sertifikat/{a.id}/terbitkan-ulang", data={"holder_name": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    old = db.session.get(Certificate, a.id)
    assert old.replaced_by is not None and old.replaced_by.current_key is not None and old.current_key is None
    assert count(Certificate) == 3
    # a second re-issue of the replaced one is refused
    client.post(f"/sertifikat/{a.id}/terbitkan-ulang", data={"holder_name": ""})
    assert count(Certificate) == 3


def test_my_certificates_page(app, org, client, login):
    completed_course(org.learner_a1, title="Kursus Bersertifikat")
    completed_course(org.learner_b, title="Kursus Orang Lain")
    login(org.learner_a1)
    text = client.get("/sertifikat-saya").get_data(as_text=True)
    assert "Kursus Bersertifikat" in text and "Kursus Orang Lain" not in text
    assert "Unduh PDF" in text


def test_zip_job_contents_and_scope(app, org, client, login):
    from app.jobs.models import Job
    from app.jobs.operations import run_pending

    course = completed_course(org.learner_a1, org.instructor, org.learner_b)
    completed_course(org.learner_a1)  # another course: filtered out
    login(org.bpsdm_a)
    resp = client.post("/sertifikat/zip", data={"course_id": course.id, "unit_id": 0})
    assert resp.status_code == 302
    job = db.session.scalars(select(Job).where(Job.kind == "certificates.zip")).one()
    assert client.get(f"/sertifikat/zip/{job.id}.json").get_json()["state"] == "queued"
    page = client.get(f"/sertifikat/zip/{job.id}").get_data(as_text=True)
    assert 'role="progressbar"' in page and "certificates/zip.js" in page
    run_pending()
    status = client.get(f"/sertifikat/zip/{job.id}.json").get_json()
    assert status["state"] == "done" and status["progress"] == 100
    data = client.get(status["download"]).data
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    expected = {ops.pdf_filename(c) for c in certs_of(org.learner_a1) + certs_of(org.instructor)
                if c.course_id == course.id}
    assert set(names) == expected  # learner_b (unit B) is out of bpsdm_a's reach
    for name in names:
        assert zipfile.ZipFile(io.BytesIO(data)).read(name).startswith(b"%PDF")
    # a crashed job is re-run: the same ZIP again
    db.session.refresh(job)
    assert ops.build_zip(job)["count"] == len(expected)
    # someone else cannot fetch it
    client.post("/keluar")
    login(org.admin)
    assert client.get(f"/sertifikat/zip/{job.id}/unduh").status_code == 403


def test_zip_with_nothing_to_include_is_refused(app, org, client, login):
    login(org.admin)
    resp = client.post("/sertifikat/zip", data={"course_id": 0, "unit_id": 0}, follow_redirects=True)
    assert "Tidak ada sertifikat" in resp.get_data(as_text=True)


def test_template_page_and_preview(app, org, client, login):
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    login(org.admin)
    resp = client.post(f"/sertifikat/templat/baru?unit_id={org.instansi.id}", data={
        "heading": "SERTIFIKAT", "serial_format": "BPSDM-UJI/{year}/{seq:05d}", "serial_code": "UJI",
        "place_of_issue": "Sofifi", "signatory_name": "Dr. Kepala", "signatory_position": "Kepala BPSDM",
        "layout_json": '{"holder": {"y": 380, "size": 28}}', "logo": (io.BytesIO(png), "logo.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    from app.certificates.models import CertificateTemplate

    tpl = db.session.scalars(select(CertificateTemplate)).one()
    assert tpl.logo_key and tpl.layout == {"holder": {"y": 380.0, "size": 28.0}}
    pdf = client.get(f"/sertifikat/templat/{tpl.id}/pratinjau.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/sertifikat/templat/{tpl.id}/pratinjau").status_code == 200
    bad = client.post(f"/sertifikat/templat/{tpl.id}", data={
        "heading": "X", "serial_format": "{year}", "serial_code": "UJI", "layout_json": ""})
    assert "harus memuat {seq}" in bad.get_data(as_text=True)
    bad = client.post(f"/sertifikat/templat/{tpl.id}", data={
        "heading": "X", "serial_format": "{seq}", "serial_code": "UJI", "layout_json": '{"holder": {"y": 9999}}'})
    assert "di luar halaman" in bad.get_data(as_text=True)
    bad = client.post(f"/sertifikat/templat/{tpl.id}", data={
        "heading": "X", "serial_format": "{seq}", "serial_code": "UJI", "logo": (io.BytesIO(b"not an image"), "x.png")},
        content_type="multipart/form-data")
    assert "bukan gambar" in bad.get_data(as_text=True)
    completed_course(org.learner_a1)
    assert certs_of(org.learner_a1)[0].serial == f"BPSDM-UJI/{utcnow().year}/00001"
