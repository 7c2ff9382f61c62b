"""A name with markup in it (a person's, a unit's, a course's) is shown as text on every page
that shows it, and in the certificate's public verify page and JSON — never run as script."""

from __future__ import annotations

from app.accounts import operations as acc
from app.certificates import operations as certs
from app.courses.models import Course
from app.extensions import db

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_names_is_escaped_everywhere_it_is_shown(app, org, client, login):
    acc.update_user(org.learner_a1, name=f"Budi {EVIL}")
    acc.update_unit(org.a1, name=f"Bidang {EVIL}")
    course = Course(code="XSS-1", title=f"Kursus {EVIL}", jp=2, certificate=True, published=True)
    db.session.add(course)
    db.session.flush()
    from app.courses.operations import enrol

    enrol(course, org.learner_a1)
    cert = certs.issue_for_course(org.learner_a1, course)
    db.session.commit()

    login(org.admin)
    pages = ["/admin/pengguna", f"/admin/organisasi/{org.a1.id}", "/katalog", f"/kursus/{course.id}",
             f"/kursus/{course.id}/peserta", "/sertifikat", f"/sertifikat/{cert.id}",
             f"/jp/pegawai/{org.learner_a1.nip}", f"/pemantauan/pegawai/{org.learner_a1.id}"]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        html = resp.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url  # it is there, as text
    client.post("/keluar")
    html = client.get(f"/verify/{cert.public_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    body = client.get(f"/api/v1/certificates/{cert.public_id}").get_json()
    assert EVIL in body["course"]  # JSON carries the text as it is; the client escapes it
