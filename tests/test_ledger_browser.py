"""Browser journey: a learner claims a seminar with a PDF, BPSDM approves it, the learner's ring moves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.ledger_fixtures import tiny_pdf

pytestmark = pytest.mark.browser


def ring_total(page) -> Decimal:
    return Decimal(page.get_attribute("#jp-ring", "data-total"))


def logout(page) -> None:
    page.click("form[action='/keluar'] button")
    page.wait_for_url("**/masuk**")


def test_claim_seminar_approved_moves_the_ring(page, browser_login, tmp_path):
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    evidence = tmp_path / "sertifikat-seminar.pdf"
    evidence.write_bytes(tiny_pdf("Sertifikat Seminar Nasional Keamanan Siber"))

    browser_login("peserta")
    page.goto("/jp")
    before = ring_total(page)
    page.click("text=Klaim pembelajaran di luar Lentera")
    page.select_option("select[name=rule]", "KL06")
    page.fill("input[name=title]", "Seminar Nasional Keamanan Siber Pemerintah Daerah")
    page.fill("input[name=organiser]", "BSSN")
    page.fill("input[name=start_date]", today)
    page.fill("input[name=end_date]", today)
    page.fill("input[name=days]", "1")
    page.fill("input[name=certificate_number]", "BSSN/SEM/2026/0042")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.click("#claim-form button[type=submit]")
    page.wait_for_url("**/jp/klaim")
    assert page.locator("#my-claims").inner_text().count("Menunggu verifikasi") == 1
    logout(page)

    browser_login("bpsdm")
    page.goto("/jp/verifikasi")
    row = page.locator("#claim-queue tr", has_text="Seminar Nasional Keamanan Siber")
    row.locator("text=Periksa").click()
    assert "4 JP" in page.inner_text("#computed-jp")
    with page.expect_popup() as popup:
        page.click("text=sertifikat-seminar.pdf")
    popup.value.close()
    page.click("#approve-form button[type=submit]")
    page.wait_for_url("**/jp/verifikasi")
    assert "Klaim disetujui" in page.inner_text("main")
    logout(page)

    browser_login("peserta")
    page.goto("/jp")
    assert ring_total(page) == before + 4
    assert "Seminar Nasional Keamanan Siber" in page.inner_text("#jp-entries")
    page.goto("/notifikasi")
    assert "Klaim JP disetujui" in page.inner_text("#notifications")
