"""Browser journey: a learner completes a course, downloads the certificate from "Sertifikat
saya", scans its QR code and opens the public verification page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_learner_downloads_certificate_and_verifies_it_from_the_qr(live_server, browser_login, page, tmp_path):
    import pypdfium2 as pdfium
    import zxingcpp

    from app.accounts.queries import user_by_username
    from app.extensions import db
    from tests.certificates_fixtures import complete_course
    from tests.factories import enrol_all, make_course

    with live_server.app.app_context():
        peserta = user_by_username("peserta")
        course = make_course(title="Literasi Digital untuk ASN", jp=10, certificate=True, code="CERT-BROWSER")
        enrol_all(course, peserta)
        complete_course(course, peserta)
        db.session.commit()
        db.session.remove()

    browser_login("peserta")
    page.click("text=Sertifikat saya")
    row = page.locator("tr", has_text="Literasi Digital untuk ASN")
    serial = row.locator("td").first.inner_text().strip()
    assert serial.startswith("BPSDM-MALUT/")  # the demo instansi's numbering
    with page.expect_download() as info:
        row.locator("text=Unduh PDF").click()
    path = tmp_path / "sertifikat.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/ByteRange" in data  # signed with the demo signing certificate seed-demo made

    image = pdfium.PdfDocument(data)[0].render(scale=3).to_pil().convert("L")
    [code] = zxingcpp.read_barcodes(image)
    assert code.text.startswith(live_server.url + "/verify/")

    page.context.clear_cookies()  # the verification page is public
    page.goto(code.text)
    assert page.locator(".verify-status").inner_text().strip().startswith("Sah")
    facts = page.locator("#certificate-facts").inner_text()
    assert serial in facts and "Siti Rahma Sangadji" in facts and "Literasi Digital untuk ASN" in facts
    assert "199208172019032011" not in page.content()  # the NIP is masked
