"""Browser journeys of the foundation, in real headless Chromium against the live server (demo data).

Screenshots go to /tmp/lentera-shots/ so a person can look at the pages after a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/lentera-shots")
INSTANSI = "Pemerintah Provinsi Maluku Utara"
HEADER = "nip,nama,email,jabatan,unit_kerja,instansi,golongan\n"
GOOD = [
    f"199102152015072901,Nadia Tomagola,nadia.t@example.go.id,Analis Kebijakan,Dinas Kesehatan,{INSTANSI},III/a",
    f"198807302012031902,Yance Papilaya,,Pranata Komputer Ahli Pertama,Dinas Kesehatan,{INSTANSI},III/b",
]
BAD_NIP = "19880730201203190"  # 17 digits


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def upload(page, rows: list[str]) -> None:
    page.goto("/admin/pegawai/impor")
    page.set_input_files("input[type=file]", files=[{"name": "pegawai.csv", "mimeType": "text/csv",
                                                      "buffer": (HEADER + "\n".join(rows) + "\n").encode()}])
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_admin_imports_employees_fixes_bad_row_switches_language_and_logs_out(page, browser_login):
    browser_login("admin")
    bad = [GOOD[0], GOOD[1].replace(GOOD[1].split(",")[0], BAD_NIP)]
    upload(page, bad)
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    cells = errors.first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "nip" and "18 angka" in cells[2]
    assert "ditolak seluruhnya" in page.locator(".flash-error").inner_text()
    shot(page, "import-refused")
    # nothing was saved: the good row of the refused file is not there
    page.goto("/admin/pengguna?q=Nadia")
    assert "Nadia Tomagola" not in page.content()

    upload(page, GOOD)
    assert page.locator("#import-errors").count() == 0
    result = page.locator("#import-result").inner_text()
    assert "Pegawai baru: 2" in result
    shot(page, "import-done")
    page.goto("/admin/pengguna?q=Papilaya")
    assert "Yance Papilaya" in page.locator("table").inner_text()

    # English, then back to Indonesian; the choice is kept on the next page
    page.click(".langs a[lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".mainnav").get_by_text("Home", exact=True).count() == 1
    page.goto("/admin/pegawai/impor")
    assert page.locator("h1").inner_text() == "Import employees"
    shot(page, "import-english")
    page.click(".langs a[lang=id]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Impor pegawai"
    assert page.locator(".mainnav").get_by_text("Beranda", exact=True).count() == 1

    page.click(".usermenu button[type=submit]")
    page.wait_for_url("**/masuk**")
    assert "Anda telah keluar." in page.content()
    page.goto("/")
    assert "/masuk" in page.url


def test_learner_gets_the_403_page_on_an_admin_page(page, browser_login):
    browser_login("peserta")
    resp = page.goto("/admin/pegawai/impor")
    assert resp.status == 403
    assert "Anda tidak diizinkan membuka halaman ini." in page.locator("main").inner_text()
    assert page.locator("input[type=file]").count() == 0
    shot(page, "learner-403")


def test_phone_layout_menu_toggle(page, browser_login):
    page.set_viewport_size({"width": 375, "height": 812})
    browser_login("admin")
    nav = page.locator(".mainnav")
    assert not nav.is_visible()
    shot(page, "phone-home-menu-closed")
    page.click(".nav-toggle-label")
    assert nav.is_visible()
    page.click(".navgroup[data-group=admin] > summary")  # the admin pages sit under "Administrasi"
    assert nav.get_by_text("Pengguna", exact=True).is_visible()
    shot(page, "phone-home-menu-open")
    # nothing is wider than the screen: no sideways scrolling on a phone
    for path in ("/", "/admin/pengguna", "/admin/pegawai/impor", "/admin/organisasi", "/akun"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide"
        shot(page, "phone" + path.replace("/", "-"))
    page.click(".nav-toggle-label")
    page.click(".navgroup[data-group=admin] > summary")
    nav.get_by_text("Pengguna", exact=True).click()
    page.wait_for_url("**/admin/pengguna")


def test_imported_employee_gets_a_temporary_password_and_replaces_it(page, browser_login):
    nip = "199304112019032903"
    browser_login("admin")
    upload(page, [f"{nip},Rosmawati Djafar,,Analis Kebijakan,Inspektorat Daerah,{INSTANSI},III/a"])
    assert "Pegawai baru: 1" in page.locator("#import-result").inner_text()
    page.goto("/admin/pengguna?q=Rosmawati")
    assert "belum punya kata sandi" in page.locator("table").inner_text()
    page.click("text=Rosmawati Djafar")
    page.click("#reset-password button[type=submit]")
    temp = page.locator("#temporary-password").inner_text()
    assert len(temp) == 12
    shot(page, "temporary-password")
    page.click(".usermenu button[type=submit]")
    page.wait_for_url("**/masuk**")

    browser_login(nip, temp)  # employees log in with their NIP
    assert page.url.endswith("/akun")
    assert "Gantilah dengan kata sandi Anda sendiri" in page.locator(".flash-warning").inner_text()
    page.fill("input[name=pw-current]", temp)
    page.fill("input[name=pw-new]", "sandiku-2026")
    page.fill("input[name=pw-confirm]", "sandiku-2026")
    page.click("form[action$='/akun/sandi'] button[type=submit]")
    page.wait_for_load_state()
    assert "Kata sandi diganti" in page.locator(".flash-success").inner_text()
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Selamat datang, Rosmawati")
