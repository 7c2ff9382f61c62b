"""A browser journey: the instructor builds a small course, a learner enrols, opens a lesson and
watches the progress bar move (real Chromium, CSRF on)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_instructor_builds_a_course_and_a_learner_progresses(page, browser_login):
    browser_login("instruktur")
    page.goto("/mengajar")
    page.click("text=Kursus baru")
    page.fill("input[name=title]", "Keamanan Surel Dinas")
    page.fill("textarea[name=summary]", "Mengenali surel palsu dan melindungi akun.")
    page.fill("input[name=jp]", "2")
    page.check("input[name=self_enrol]")
    page.check("input[name=published]")
    page.click("button:has-text('Buat kursus')")
    page.wait_for_url(re.compile(r"/mengajar/kursus/\d+$"))
    course_url = page.url
    page.fill("#new-section", "Materi inti")
    page.click("button:has-text('Tambah bagian')")
    for title, text in (("Ciri surel palsu", "Periksa alamat pengirim dan tautan."),
                        ("Melaporkan insiden", "Laporkan ke tim TIK instansi.")):
        page.select_option("select[name=type]", "lesson")
        page.click("button:has-text('Tambah'):not(:has-text('bagian'))")
        page.fill("input[name=title]", title)
        page.locator(".ql-editor").fill(f"{text}<script>alert(1)</script>")  # the rich-text editor
        page.click("button:has-text('Simpan')")
        page.wait_for_url(re.compile(r"/mengajar/kursus/\d+"))
        assert page.locator(f"text={title}").count() >= 1
    course_id = re.search(r"/mengajar/kursus/(\d+)", course_url).group(1)
    page.click("button:has-text('Keluar')")

    browser_login("peserta")
    page.goto("/katalog?q=surel")
    page.click("text=Keamanan Surel Dinas")
    page.click("#enrol")
    bar = page.locator("#course-progress [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "0"
    page.click("text=Ciri surel palsu")
    assert page.locator(".lesson").inner_text().strip() == "Periksa alamat pengirim dan tautan.<script>alert(1)</script>"
    assert page.locator(".lesson script").count() == 0
    assert page.locator("#activity-progress [role=progressbar]").get_attribute("aria-valuenow") == "50"
    page.goto(f"/kursus/{course_id}")
    assert page.locator("#course-progress [role=progressbar]").get_attribute("aria-valuenow") == "50"
    page.click("#resume")  # "Lanjutkan" goes to the lesson not yet done
    assert "Laporkan ke tim TIK instansi." in page.locator(".lesson").inner_text()
    page.goto("/kursus-saya")
    row = page.locator("tr", has_text="Keamanan Surel Dinas")
    assert row.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
