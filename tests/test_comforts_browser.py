"""Browser checks of issue 22's comforts: the API reference renders under the site's CSP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_api_reference_renders_every_route_without_csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20000)
    assert page.locator(".opblock").count() >= 40
    assert "Lentera REST API" in page.locator(".info").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_author_writes_a_lesson_with_the_editor_and_a_picture(page, browser_login, tmp_path):
    """Issue 22: the rich-text editor, with a heading, a list, a table and an uploaded picture,
    saved as clean HTML and read by a learner."""
    import re

    from PIL import Image

    picture = tmp_path / "bagan.png"
    Image.new("RGB", (1200, 300), (20, 90, 160)).save(picture)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login("instruktur")
    page.goto("/mengajar")
    page.click("text=Kursus baru")
    page.fill("input[name=title]", "Menulis Nota Dinas")
    page.fill("input[name=jp]", "2")
    page.check("input[name=self_enrol]")
    page.check("input[name=published]")
    page.click("button:has-text('Buat kursus')")
    page.wait_for_url(re.compile(r"/mengajar/kursus/\d+$"))
    page.fill("#new-section", "Materi")
    page.click("button:has-text('Tambah bagian')")
    page.select_option("select[name=type]", "lesson")
    page.click("button:has-text('Tambah'):not(:has-text('bagian'))")
    page.fill("input[name=title]", "Susunan nota")
    editor = page.locator(".ql-editor")
    editor.click()
    page.keyboard.type("Kepala nota")
    page.click("span.ql-header .ql-picker-label")  # the heading picker
    page.click("span.ql-header .ql-picker-item[data-value='2']")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Isi nota berisi maksud dan tujuan.")
    page.keyboard.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.click("button.ql-image")
    chooser.value.set_files(str(picture))
    page.wait_for_selector(".ql-editor img")
    assert page.locator("button.ql-bold").get_attribute("aria-label") == "Tebal"
    page.click("button:has-text('Simpan')")
    page.wait_for_url(re.compile(r"/mengajar/kursus/\d+"))
    page.click("button:has-text('Keluar')")

    browser_login("peserta")
    page.goto("/katalog?q=nota")
    page.click("text=Menulis Nota Dinas")
    page.click("#enrol")
    page.click("text=Susunan nota")
    lesson = page.locator(".lesson")
    assert lesson.locator("h2").inner_text() == "Kepala nota"
    assert "maksud dan tujuan" in lesson.inner_text()
    img = lesson.locator("img")
    assert img.count() == 1
    page.wait_for_function("document.querySelector('.lesson img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('.lesson img').naturalWidth") == 1200
    assert not errors, errors



def test_forgotten_password_through_a_real_mail_server(page, live_server, smtp_sink):
    """Issue 22: "Lupa kata sandi?" on the login page → a mail through a real SMTP server →
    the link → a new password → logged in with it."""
    import re

    from app.accounts.operations import create_user
    from app.extensions import db
    from app.jobs.operations import run_pending

    app = live_server.app
    with app.app_context():
        create_user("lupa.sandi", password="SandiLama2026", name="Sri Lupa", email="sri.lupa@example.go.id",
                    roles=["learner"])
        db.session.commit()
        db.session.remove()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    try:
        page.goto("/masuk")
        page.click("text=Lupa kata sandi?")
        page.fill("input[name=identifier]", "sri.lupa@example.go.id")
        page.click("button:has-text('Kirim tautan')")
        assert "Jika akun itu ada" in page.locator(".flash").first.inner_text()
        import time

        for _ in range(50):  # the job runner (ours, or the server's scheduler) sends it
            with app.app_context():
                run_pending()
                db.session.remove()
            if any(m["to"] == ["sri.lupa@example.go.id"] for m in smtp_sink.messages):
                break
            time.sleep(0.2)
    finally:
        app.config.update(saved)
    (msg,) = [m for m in smtp_sink.messages if m["to"] == ["sri.lupa@example.go.id"]]
    link = re.search(r"http://\S+", msg["message"].get_payload(decode=True).decode()).group(0)
    page.goto(link)
    page.fill("input[name=new]", "SandiBaru2026")
    page.fill("input[name=confirm]", "SandiBaru2026")
    page.click("button:has-text('Simpan kata sandi baru')")
    page.wait_for_url(re.compile(r"/masuk"))
    page.fill("input[name=username]", "lupa.sandi")
    page.fill("input[name=password]", "SandiBaru2026")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/masuk" not in url)
    assert "Sri Lupa" in page.content()
