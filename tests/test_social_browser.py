"""Browser journeys of issue 18 (real Chromium, CSRF on): a learner answers a Q&A forum on a phone
and only then sees the others' answers; a learner and their atasan record and confirm a coaching
session and its JP appear on "JP saya"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _login(page, username: str) -> None:
    page.goto("/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "lentera123")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/masuk" not in url)


def _logout(page) -> None:
    page.click("form[action='/keluar'] button")
    page.wait_for_url("**/masuk**")


def test_qanda_forum_on_a_phone(browser, live_server):
    from app.accounts.models import User
    from app.extensions import db
    from app.forums import operations as fops
    from tests.factories import enrol_all, make_course

    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        teacher = db.session.scalar(select(User).where(User.username == "instruktur"))
        colleague = db.session.scalar(select(User).where(User.username.like("19%")).order_by(User.id))
        course = make_course(teacher, title="Forum di Ponsel", activities=[{"type": "forum", "title": "Tanya jawab SPBE"}])
        activity = course.sections[0].activities[0]
        enrol_all(course, peserta, colleague)
        forum = fops.forum_for_activity(activity)
        fops.configure_forum(forum, forum_type="qanda", completion_posts=1)
        d = fops.start_discussion(teacher, forum, "Apa manfaat SPBE bagi layanan Anda?", "Jawab dengan contoh dari unit Anda.")
        fops.reply(colleague, d, "Izin usaha kini selesai dalam dua hari lewat OSS.")
        db.session.commit()
        activity_id = activity.id
        db.session.remove()

    context = browser.new_context(base_url=live_server.url, locale="id-ID", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _login(page, "peserta")
        page.goto(f"/aktivitas/{activity_id}")
        page.click("text=Buka forum")
        page.click("text=Apa manfaat SPBE bagi layanan Anda?")
        assert page.locator("#qanda-hidden").is_visible()
        assert "OSS" not in page.inner_text("main")
        page.locator("#balas .ql-editor").fill("Surat keluar kini bertanda tangan elektronik.")
        page.click("#balas button[type=submit]")
        page.wait_for_selector("text=Balasan terkirim")
        main = page.inner_text("main")
        assert "Izin usaha kini selesai dalam dua hari lewat OSS." in main
        assert "Surat keluar kini bertanda tangan elektronik." in main
        assert page.locator("#qanda-hidden").count() == 0
        # "Balas" under the colleague's answer answers that answer (static JS: the CSP allows no inline handlers)
        answer = page.locator("article.post", has_text="lewat OSS")
        answer.locator("[data-reply-to]").click()
        assert page.locator("#reply-to-note").is_visible()
        page.locator("#balas .ql-editor").fill("Setuju, dan perizinan daerah juga.")
        page.click("#balas button[type=submit]")
        page.wait_for_selector("text=Setuju, dan perizinan daerah juga.")
        nested = page.locator("article.post", has_text="Setuju, dan perizinan daerah juga.")
        assert nested.get_attribute("style") == "margin-left: 2rem"
        # made for a phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"/aktivitas/{activity_id}")
        assert page.locator("#activity-done").is_visible()  # "posted once" completed the forum
    finally:
        context.close()


def test_coach_and_learner_confirm_a_session_and_the_jp_appear(page, live_server):
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    _login(page, "peserta")
    page.goto("/jp")
    before = Decimal(page.get_attribute("#jp-ring", "data-total"))
    page.goto("/pendampingan")
    page.click("text=Buka pendampingan baru")
    page.select_option("select[name=kind]", "coaching")
    page.fill("input[name=coach_nip]", "197501202000031001")  # atasan, head of Dinas Kominfo
    page.fill("textarea[name=goals]", "Menyusun telaahan staf yang ringkas")
    page.click("button:has-text('Buka pendampingan')")
    page.wait_for_selector("text=Pendampingan dibuka")
    page.fill("input[name=held_on]", today)
    page.fill("input[name=minutes]", "90")
    page.fill("textarea[name=topics]", "Struktur telaahan staf dan contoh dari Bappeda")
    page.fill("textarea[name=actions]", "Menulis satu telaahan per pekan")
    page.click("#record button[type=submit]")
    page.wait_for_selector("text=menunggu konfirmasi pihak lain")
    _logout(page)

    _login(page, "atasan")
    page.goto("/")
    page.click("#coaching-pending a")
    page.click("#sessions button:has-text('Konfirmasi')")
    page.wait_for_selector("text=JP dicatat")
    _logout(page)

    _login(page, "peserta")
    page.goto("/jp")
    after = Decimal(page.get_attribute("#jp-ring", "data-total"))
    assert after - before == Decimal("2")
    assert "Coaching bersama Ir. Hamid Tomagola" in page.inner_text("main")
