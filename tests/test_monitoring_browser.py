"""Browser journey: BPSDM opens the JP dashboard, drills into a unit, downloads the XLSX."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser


def test_bpsdm_dashboard_drill_down_and_xlsx(page, browser_login, tmp_path):
    browser_login("bpsdm")
    page.click(".mainnav .navgroup[data-group=manage] > summary")  # staff pages sit under "Kelola"
    page.locator(".mainnav").get_by_role("link", name="Pemantauan JP").click()
    page.wait_for_url(re.compile(r"/pemantauan"))
    employees = int(page.locator('[data-figure="employees"]').inner_text())
    assert employees > 40  # the demo instansi: 48 employees and the named demo users
    # Chart.js (served by the app) drew the three charts.
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-monthly') && Chart.getChart('chart-histogram')"
                           " && Chart.getChart('chart-categories')")

    link = page.locator("#unit-table a", has_text="Dinas Komunikasi").first
    link.click()
    page.wait_for_url(re.compile(r"unit=\d+"))
    assert "Dinas Komunikasi" in page.locator("h1").inner_text()
    unit_employees = int(page.locator('[data-figure="employees"]').inner_text())
    assert 0 < unit_employees < employees

    with page.expect_download() as info:
        page.locator("a[data-export=xlsx]").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = load_workbook(path)
    summary = {row[0]: row[1] for row in wb["Ringkasan"].iter_rows(min_row=2, values_only=True)}
    assert summary["Pegawai"] == unit_employees
    assert "Dinas Komunikasi" in summary["Unit"]
    rows = list(wb["Unit"].iter_rows(min_row=2, values_only=True))
    assert sum(r[2] for r in rows) == unit_employees
