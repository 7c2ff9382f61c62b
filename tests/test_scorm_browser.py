"""Browser journey: an instructor uploads a SCORM 1.2 zip on the activity's edit page; a learner
on a phone plays the SCO (scorm-again in the sandboxed frame), pauses, resumes where they left
off, finishes, sees the activity completed and the course's JP on their JP page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.factories import enrol_all, make_course
from tests.scorm_packages import single_sco

PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
def test_phone_learner_plays_a_sco_to_completion_and_sees_the_jp(live_server, browser, page, browser_login, tmp_path):
    app = live_server.app
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Etika Digital ASN", jp=3, activities=[
            {"type": "scorm", "title": "Modul interaktif etika"}])
        enrol_all(course, learner)
        activity_id = course.sections[0].activities[0].id
        db.session.commit()
        db.session.remove()
    package = tmp_path / "etika.zip"
    package.write_bytes(single_sco(mastery=70, score=85, interactions=3, title="Etika di Ruang Digital"))

    browser_login("instruktur")
    page.goto(f"/mengajar/aktivitas/{activity_id}")
    page.set_input_files("#scorm-package", str(package))
    page.fill("#scorm-attempts", "2")
    page.click("text=Simpan paket SCORM")
    page.wait_for_selector("text=Paket saat ini: Etika di Ruang Digital")

    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", viewport=PHONE, is_mobile=True, has_touch=True)
    lp = ctx.new_page()
    lp.set_default_timeout(20000)
    try:
        lp.goto("/masuk")
        lp.fill("input[name=username]", "peserta")
        lp.fill("input[name=password]", "lentera123")
        lp.click("button[type=submit]")
        lp.wait_for_url(lambda u: "/masuk" not in u)
        lp.goto(f"/aktivitas/{activity_id}")
        frame = lp.frame_locator("iframe.scorm-frame")
        frame.locator("#api").filter(has_text="ada").wait_for()
        assert frame.locator("#entry").inner_text() == "ab-initio"
        assert frame.locator("#student").inner_text()
        assert frame.locator("#mastery").inner_text() == "70"
        # The SCO cannot read the app's cookies: its frame has an opaque origin.
        assert frame.locator("#cookie").inner_text() == "diblokir"
        frame.locator("#pause").tap()
        frame.locator("#state").filter(has_text="dijeda").wait_for()

        # "Another device": a new context of the same learner resumes where they paused.
        lp.reload()
        frame = lp.frame_locator("iframe.scorm-frame")
        frame.locator("#api").filter(has_text="ada").wait_for()
        assert frame.locator("#entry").inner_text() == "resume"
        assert frame.locator("#resume").inner_text() == "halaman=2"
        frame.locator("#finish").tap()
        frame.locator("#state").filter(has_text="terkirim").wait_for()
        lp.wait_for_selector(".scorm-status.badge-ok")
        assert "Lulus" in lp.inner_text(".scorm-toc")
        lp.wait_for_selector("#activity-done")
        width = lp.evaluate("() => document.querySelector('iframe.scorm-frame').getBoundingClientRect().width")
        assert width <= PHONE["width"]
        lp.goto("/jp")
        assert "Etika Digital ASN" in lp.inner_text("#jp-entries")
    finally:
        ctx.close()
    with app.app_context():
        from app.scorm.models import ScormPackage, ScormScoState

        # this activity's state: the live server is shared with other browser journeys
        pkg = db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == activity_id))
        state = db.session.scalar(select(ScormScoState).where(ScormScoState.sco.has(package_id=pkg.id)))
        assert state.lesson_status == "passed" and state.interactions == 3
        assert state.cmi["cmi.interactions.2.id"] == "q2"
        db.session.remove()


LAUNCH_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Peluncur</title>
<script>
var api = null;
function mulai() { api = window.API; api.LMSInitialize(""); }
function selesai(nilai) {
  api.LMSSetValue("cmi.core.score.raw", String(nilai));
  api.LMSSetValue("cmi.core.lesson_status", "completed");
  api.LMSCommit(""); api.LMSFinish("");
  document.getElementById("hasil").textContent = "tersimpan";
}
window.addEventListener("load", mulai);
</script></head>
<body><p id="hasil"></p><iframe id="isi" src="isi.html" title="isi"></iframe></body></html>"""

CONTENT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Isi</title></head>
<body><button id="kirim" onclick="parent.selesai(95)">Kirim</button></body></html>"""


@pytest.mark.browser
def test_frames_of_a_package_call_each_other_on_the_content_origin(live_server, browser, tmp_path):
    """A launch page whose content frame calls back into it (as many authoring tools build them):
    on the separate content origin (konten.test, mapped to 127.0.0.1 for this browser; the app is
    127.0.0.1) the package's frames share one origin, and the app's cookies are still out of reach."""
    import shutil

    from tests.conftest import CHROMIUM_ARGS
    from tests.scorm_packages import build_zip, manifest

    app = live_server.app
    port = live_server.url.rsplit(":", 1)[1]
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Kursus Berbingkai", jp=1, activities=[
            {"type": "scorm", "title": "Paket berbingkai"}])
        enrol_all(course, learner)
        activity = course.sections[0].activities[0]
        from app.scorm.operations import store_package

        store_package(activity, build_zip({
            "imsmanifest.xml": manifest([{"id": "L", "title": "Peluncur", "href": "index.html",
                                          "files": ["index.html", "isi.html"]}]),
            "index.html": LAUNCH_PAGE, "isi.html": CONTENT_PAGE}), "berbingkai.zip")
        activity_id = activity.id
        db.session.commit()
        db.session.remove()
    app.config["SCORM_CONTENT_ORIGIN"] = f"http://konten.test:{port}"
    app.config["CSP_FRAME_SOURCES"] = [f"http://konten.test:{port}"]  # as the module sets it at start-up
    own = browser.browser_type.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                                      args=CHROMIUM_ARGS + ["--host-resolver-rules=MAP konten.test 127.0.0.1"])
    ctx = own.new_context(base_url=live_server.url, locale="id-ID", viewport=PHONE, is_mobile=True)
    lp = ctx.new_page()
    lp.set_default_timeout(20000)
    try:
        lp.goto("/masuk")
        lp.fill("input[name=username]", "peserta")
        lp.fill("input[name=password]", "lentera123")
        lp.click("button[type=submit]")
        lp.wait_for_url(lambda u: "/masuk" not in u)
        lp.goto(f"/aktivitas/{activity_id}")
        # the player frames the shell page (holding the API), which frames the SCO's launch page
        outer = lp.frame_locator("iframe.scorm-frame").frame_locator("#sco")
        outer.frame_locator("#isi").locator("#kirim").click()
        outer.locator("#hasil").filter(has_text="tersimpan").wait_for()
        lp.wait_for_selector("#activity-done")
        launch = lp.frame(url=lambda u: u.endswith("/index.html"))
        assert launch.url.startswith(f"http://konten.test:{port}/scorm-konten/")
        assert launch.evaluate("() => document.cookie") == ""  # the app's session is not on this origin
    finally:
        ctx.close()
        own.close()
        app.config.pop("SCORM_CONTENT_ORIGIN", None)
        app.config.pop("CSP_FRAME_SOURCES", None)
