"""Browser journey (issue 20): a learner stores a course on the phone, loses the signal, reads a
lesson, takes the quiz and plays the video; closes and reopens the page; the signal returns and
the completion, the JP and the certificate appear. A sync whose answer is lost is sent again and
changes nothing; the same events sent twice change nothing."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.jobs.operations import run_pending
from tests.factories import enrol_all, make_course
from tests.media_fixtures import make_video

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GIFT = """
::tf::Data pribadi boleh dibagikan tanpa izin.{F}

::mc::Kata sandi yang kuat adalah…{=panjang dan acak ~nama sendiri ~tanggal lahir}
"""


def _course(app, tmp_path):
    from app.media import operations as media_ops
    from app.quizzes import operations as quiz_ops
    from app.sync import operations as sync_ops

    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Literasi Digital Offline", jp=3, certificate=True, activities=[
            {"type": "lesson", "title": "Menjaga data pribadi", "body": "<p>Jangan bagikan NIK sembarangan.</p>"},
            {"type": "quiz", "title": "Kuis keamanan"},
            {"type": "video", "title": "Kata sandi", "settings": {"complete_at_percent": 80}},
        ])
        lesson, quiz_activity, video = course.sections[0].activities
        questions, _ = quiz_ops.import_questions(course, GIFT, "gift", category="Kuis")
        quiz = quiz_ops.get_or_create_quiz(quiz_activity)
        quiz_ops.update_quiz(quiz, pass_percent=50)
        quiz_ops.set_slots(quiz, question_ids=[q.id for q in questions])
        sync_ops.set_offline_quiz(quiz_activity, True, by=instructor)
        media_ops.attach_source(video, make_video(tmp_path / "sandi.mp4", width=320, height=240, seconds=3),
                                "sandi.mp4", by=instructor)
        enrol_all(course, learner)
        db.session.commit()
        run_pending(kinds=["transcode"])
        _assert_ready(video)
        ids = {"course": course.id, "lesson": lesson.id, "quiz": quiz.id, "video": video.id, "learner": learner.id}
        db.session.remove()
    return ids


def _assert_ready(video) -> None:
    """The video was transcoded (the shared live server may have queued other tests' jobs first)."""
    from app.media.queries import asset_for

    db.session.expire_all()
    asset = asset_for(video)
    assert asset is not None and asset.state == "ready", asset and asset.state


class CutFirstSync:
    """WSGI middleware: the first sync is applied by the server, but its answer never reaches the
    phone (a 502 from a proxy whose connection dropped). Remembers every sync's body."""

    def __init__(self, wsgi):
        self.wsgi, self.bodies = wsgi, []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/api/v1/sync" and environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            self.bodies.append(body)
            if len(self.bodies) == 1:
                b"".join(self.wsgi(environ, lambda *a, **k: None))
                start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
                return [b"connection lost"]
        return self.wsgi(environ, start_response)


def _queued(page) -> int:
    return page.evaluate("window.LenteraOffline.pending().then(r => r.length)")


def _until(page, predicate: str, timeout_ms: int = 20000) -> None:
    """Wait until `predicate` (JavaScript: a function returning a promise of a truth value) holds.
    Not page.wait_for_function: it takes the returned promise itself as truthy and returns at once,
    which left every wait on the device's queue (IndexedDB) or caches a no-op and the test racing
    the page's own writes."""
    page.evaluate(f"""async () => {{
        const predicate = {predicate};
        const deadline = Date.now() + {timeout_ms};
        while (!(await predicate())) {{
            if (Date.now() > deadline) throw new Error({json.dumps("timed out: " + predicate)});
            await new Promise(resolve => setTimeout(resolve, 50));
        }}
    }}""")


def _login(page, username: str) -> None:
    page.goto("/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "lentera123")
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/masuk" not in u)


def _store_course(page, course_id: int) -> None:
    """"Unduh untuk belajar offline" on the course page: the size first, then the download; then
    the page is reloaded under the service worker's control."""
    page.goto(f"/kursus/{course_id}")
    page.click(".offline-download-btn")  # first the size, nothing fetched before that
    page.wait_for_selector("#offline-download .offline-size:has-text('Ukuran unduhan')")
    page.click(".offline-download-btn:has-text('Mulai unduh')")
    # the download ends stored, or cut with a message: whichever comes first, it must be stored
    status = page.wait_for_selector(".offline-status:has-text('Tersimpan di perangkat ini'), "
                                    ".offline-status:has-text('Unduhan terputus')", timeout=60000)
    assert "Tersimpan di perangkat ini" in status.inner_text()
    assert page.is_visible(".offline-remove-btn")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # installed and active
    page.reload()  # controlled by the service worker from here on
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _play_to_the_end(page) -> None:
    """Press "Putar" and wait until the video ended and its last watched span is on the device (a
    span that reaches the end is the last one: the player records nothing shorter than 0.1 s)."""
    page.evaluate("document.querySelector('video.video-player').muted = true")
    page.click(".video-play")
    page.wait_for_function("() => document.querySelector('video.video-player').ended", timeout=60000)
    _until(page, """() => window.LenteraOffline.pending().then(r => {
        const d = document.querySelector('video.video-player').duration;
        return r.some(e => e.type === 'watch' && e.data.position >= d - 0.1);
    })""")


def test_learn_offline_then_sync(live_server, browser, tmp_path):
    from app.certificates.models import Certificate
    from app.courses.models import CourseCompletion
    from app.ledger.models import LedgerEntry

    app = live_server.app
    ids = _course(app, tmp_path)
    # A stored page is shown when the network has not answered within this time (a weak signal). On
    # a loaded test machine the server itself may take that long: the online pages of this journey
    # must come from the server, so this phone's service worker waits longer.
    timeout = app.config["OFFLINE_PAGE_TIMEOUT_SECONDS"]
    app.config["OFFLINE_PAGE_TIMEOUT_SECONDS"] = 60
    context = browser.new_context(base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on("dialog", lambda d: d.accept())
    try:
        _login(page, "peserta")

        # --- store the course: the size is shown first, then progress, then "stored"
        _store_course(page, ids["course"])

        # --- no signal
        context.set_offline(True)
        page.goto(f"/aktivitas/{ids['lesson']}")
        assert page.get_attribute("html", "data-offline-copy") == "1"
        assert "Jangan bagikan NIK" in page.content()
        _until(page, "() => window.LenteraOffline.pending().then(r => r.length === 1)")
        page.wait_for_selector("#offline-bar .offline-queue:has-text('1 kegiatan menunggu sinkronisasi')")

        page.goto(f"/kuis/{ids['quiz']}")
        page.click(".offline-quiz-link")
        page.wait_for_selector("#attempt-form")
        page.check("fieldset.question[data-type=truefalse] input[value=false]")
        mc = page.locator("fieldset.question[data-type=multichoice] label:has-text('panjang dan acak') input")
        mc.check()
        # reloaded without a signal, the stored page shows the answers waiting on the device
        _until(page, "() => window.LenteraOffline.pending().then(r => r.filter(e => e.type === 'answer')"
                               ".length === 2)")
        page.evaluate("localStorage.clear()")  # only the device's queue holds them now
        page.reload()
        tf = "fieldset.question[data-type=truefalse] input[value=false]"
        page.wait_for_function(f"() => document.querySelector({json.dumps(tf)}).checked")
        assert mc.is_checked()
        page.click("#submit-attempt")
        page.wait_for_selector(".offline-submitted")
        # and once submitted on the device, the reloaded page says so and takes no more answers
        page.reload()
        page.wait_for_selector(".offline-submitted")
        assert page.is_disabled(tf)

        page.goto(f"/aktivitas/{ids['video']}")
        _play_to_the_end(page)
        queued = _queued(page)
        assert queued >= 5  # a view, two answers, the submission, the watched span(s)

        # --- the tab is closed and opened again, still without a signal: nothing is lost
        page.close()
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(f"/kursus/{ids['course']}")
        _until(page, f"() => window.LenteraOffline.pending().then(r => r.length === {queued})")
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(CourseCompletion).where(
                CourseCompletion.user_id == ids["learner"], CourseCompletion.course_id == ids["course"])) == 0
            db.session.remove()

        # --- the signal returns; the first sync's answer is lost on the way back (the server
        # applied it, the phone never heard): the phone sends it again, and nothing is doubled
        cut = CutFirstSync(app.wsgi_app)
        app.wsgi_app = cut
        try:
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            # the automatic sync (joined here, and waited for to its end) loses its answer; the queue
            # empties only through a sync whose answer arrives: the button
            page.evaluate("window.LenteraOffline.sync()")
            assert len(cut.bodies) >= 1
            if _queued(page):
                page.click("#offline-bar .offline-sync-now")
            _until(page, "() => window.LenteraOffline.pending().then(r => r.length === 0)")
            assert len(cut.bodies) >= 2
        finally:
            app.wsgi_app = cut.wsgi
        first = json.loads(cut.bodies[0])  # the cut one carried every event
        assert len(first["events"]) == queued

        with app.app_context():
            done = db.session.scalar(select(CourseCompletion).where(
                CourseCompletion.user_id == ids["learner"], CourseCompletion.course_id == ids["course"]))
            assert done is not None
            # the course's own entry: the shared live server's other tests give this person other
            # entries (claims, attendance) whose ids may equal the course's
            entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.user_id == ids["learner"], LedgerEntry.source_type == "course",
                LedgerEntry.source_id == ids["course"]))
            assert entries == 1
            assert db.session.scalar(select(Certificate).where(Certificate.user_id == ids["learner"],
                                                               Certificate.course_id == ids["course"]))
            db.session.remove()

        # the person sees the completion, the JP and the certificate
        page.goto(f"/kursus/{ids['course']}")
        assert page.is_visible("#course-progress .badge-ok")
        page.goto("/jp")
        assert "Literasi Digital Offline" in page.content()
        page.goto("/sertifikat-saya")
        assert "Literasi Digital Offline" in page.content()
        # --- the same events sent twice change nothing
        body = json.loads(cut.bodies[0])
        token = page.evaluate("fetch('/api/v1/sync/session').then(r => r.json()).then(s => s.csrf_token)")
        again = page.request.post("/api/v1/sync", data=body, headers={"X-CSRFToken": token})
        result = again.json()
        assert result["applied"] == [] and sorted(result["duplicates"]) == sorted(e["id"] for e in body["events"])
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.user_id == ids["learner"], LedgerEntry.source_type == "course",
                LedgerEntry.source_id == ids["course"])) == 1
            db.session.remove()

        # --- a shared phone: the next person signed in does not get the first one's stored pages
        page.click("form[action='/keluar'] button")
        page.wait_for_url("**/masuk**")
        _login(page, "instruktur")
        # the page tells the service worker who is signed in now (IndexedDB): wait for it, not a time
        _until(page, "() => window.LenteraOffline.tx('meta', 'readonly', s => s.get('current-user'))"
                               ".then(u => u === 'instruktur')")
        context.set_offline(True)
        page.goto(f"/aktivitas/{ids['lesson']}")
        assert "belum disimpan di perangkat ini" in page.content() and "Jangan bagikan NIK" not in page.content()
    finally:
        context.close()
        app.config["OFFLINE_PAGE_TIMEOUT_SECONDS"] = timeout


# --- a video stored from S3 storage ---------------------------------------------------------------

@contextmanager
def _serve(tmp, prepare=None, **config):
    """The real app on a local port with these settings (SQLite file, CSRF on, demo data)."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    from app import create_app
    from tests.conftest import base_config, migrate_and_snapshot
    from tests.services import free_port

    app = create_app(base_config(tmp, f"sqlite:///{tmp / 'live.db'}", WTF_CSRF_ENABLED=True, TESTING=False, **config))
    if prepare:
        prepare(app)
    migrate_and_snapshot(app)
    with app.app_context():
        for seeder in app.extensions["seeders"]:
            seeder()
            db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def s3_live_server(tmp_path_factory, s3_endpoint):
    """The real app with its files in an S3 bucket (moto's server)."""
    import uuid

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "uji")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-uji")
        with _serve(tmp_path_factory.mktemp("live-s3"), LENTERA_STORAGE="s3", S3_ENDPOINT_URL=s3_endpoint,
                    S3_BUCKET=f"lentera-{uuid.uuid4().hex[:12]}") as live:
            live.s3 = s3_endpoint
            yield live


def _video_course(app, tmp_path) -> dict[str, int]:
    """A video, a file and a lesson with a picture, all kept in the bucket."""
    from PIL import Image

    from app.courses import operations as cops
    from app.media import operations as media_ops

    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Video dari Bucket", jp=1, activities=[
            {"type": "video", "title": "Phishing", "settings": {"complete_at_percent": 80}},
            {"type": "lesson", "title": "Contoh surel palsu"}])
        video, lesson = course.sections[0].activities
        media_ops.attach_source(video, make_video(tmp_path / "phishing.mp4", width=320, height=240, seconds=3),
                                "phishing.mp4", by=instructor)
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), "#c0392b").save(picture, "PNG")
        picture.seek(0)
        name = cops.store_course_image(course, picture)
        lesson.body = f'<p>Surel palsu:</p><p><img src="/kursus/{course.id}/gambar/{name}" alt="contoh"></p>'
        doc = cops.add_activity(course.sections[0], "file", "Panduan phishing")
        cops.store_activity_file(doc, "panduan.pdf", b"%PDF-1.4 panduan phishing offline")
        enrol_all(course, learner)
        db.session.commit()
        run_pending(kinds=["transcode"])
        _assert_ready(video)
        ids = {"course": course.id, "video": video.id, "lesson": lesson.id, "file": doc.id}
        db.session.remove()
    return ids


@pytest.mark.parametrize("quality", ["low", "audio"])
def test_video_stored_from_s3_plays_offline(s3_live_server, browser, tmp_path, quality):
    """With the files in a bucket, online playlists name signed bucket URLs (the segments do not
    pass through the app), yet the stored 240p or audio-only form plays without a signal."""
    app = s3_live_server.app
    ids = _video_course(app, tmp_path)
    context = browser.new_context(base_url=s3_live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        _login(page, "peserta")
        package = page.request.get(f"/api/v1/courses/{ids['course']}/offline-package?video={quality}").json()
        playlist = next(f["url"] for f in package["files"] if f["url"].endswith("/index.m3u8"))
        online = page.request.get(playlist).text()
        assert "X-Amz-Signature" in online and s3_live_server.s3 in online  # online: straight from the bucket

        # the download goes through the app alone: it does not depend on the bucket's CORS rules
        bucket_requests: list[str] = []
        context.on("request", lambda r: bucket_requests.append(r.url) if r.url.startswith(s3_live_server.s3) else None)
        page.goto(f"/kursus/{ids['course']}")
        page.select_option(".offline-video", quality)
        _store_course(page, ids["course"])
        assert bucket_requests == []

        context.set_offline(True)
        page.goto(f"/aktivitas/{ids['video']}")
        assert page.get_attribute("html", "data-offline-copy") == "1"
        _play_to_the_end(page)
        assert page.evaluate("document.querySelector('video.video-player').currentTime") > 2.5
        # the lesson's picture and the file were stored too (the bucket answers pages with redirects)
        page.goto(f"/aktivitas/{ids['lesson']}")
        page.wait_for_function("() => document.querySelector('main img[alt=contoh]').complete")
        assert page.evaluate("document.querySelector('main img[alt=contoh]').naturalWidth") == 40
        body = page.evaluate(f"fetch('/aktivitas/{ids['file']}/berkas').then(r => r.text())")
        assert body == "%PDF-1.4 panduan phishing offline"
        assert bucket_requests == []  # every byte came from the device
    finally:
        context.close()


# --- the service worker's cache of static files across deploys --------------------------------------

@pytest.fixture(scope="module")
def deploy_server(tmp_path_factory):
    """The real app serving a copy of the static files, so that a test can deploy a new version of
    one; the service worker keeps at most 10 of them."""
    tmp = tmp_path_factory.mktemp("live-deploy")

    def own_static(app):
        shutil.copytree(app.static_folder, tmp / "static")
        app.static_folder = str(tmp / "static")

    # A deploy restarts the app; here the file changes under the running server, as in development,
    # so templates must not remember the files' addresses (TEMPLATES_AUTO_RELOAD, see app/web.py).
    with _serve(tmp, own_static, OFFLINE_ASSET_CACHE_ENTRIES=10, TEMPLATES_AUTO_RELOAD=True) as live:
        yield live


ASSET_KEYS = "name => caches.open(name).then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))"


def _cached(page, name: str) -> list[str]:
    return page.evaluate(f"({ASSET_KEYS})({json.dumps(name)})")


def test_a_deploy_removes_outdated_assets_and_the_stored_course_stays(deploy_server, browser):
    """Two deploys, two versions of a static file: the service worker drops the old one from its
    bounded cache of static files, the cache stays within its bound, and the course the learner
    stored stays on the device and opens without a signal."""
    from flask import url_for

    app = deploy_server.app
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Etika ASN", activities=[
            {"type": "lesson", "title": "Netralitas", "body": "<p>ASN tidak berpihak.</p>"}])
        enrol_all(course, learner)
        db.session.commit()
        ids = {"course": course.id, "lesson": course.sections[0].activities[0].id, "user": learner.username}
        db.session.remove()
    course_cache = f"lentera-course|{ids['user']}|{ids['course']}"
    context = browser.new_context(base_url=deploy_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        _login(page, "peserta")
        _store_course(page, ids["course"])
        stored = _cached(page, course_cache)
        assert f"/aktivitas/{ids['lesson']}" in stored

        # math.js (every page, not in the app shell) is kept once fetched
        page.goto(f"/aktivitas/{ids['lesson']}")
        old = page.get_attribute("script[src*='/math.js']", "src")
        _until(page, f"() => ({ASSET_KEYS})('lentera-assets').then(k => k.includes({json.dumps(old)}))")

        # --- the next deploy changes math.js; the phone checks for a new service worker
        math = Path(app.static_folder) / "math.js"
        math.write_text(math.read_text() + "\n/* rilis berikutnya */\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        _until(page, f"() => ({ASSET_KEYS})('lentera-assets').then(k => !k.includes({json.dumps(old)}))")
        page.goto(f"/aktivitas/{ids['lesson']}")
        new = page.get_attribute("script[src*='/math.js']", "src")
        assert new != old
        _until(page, f"() => ({ASSET_KEYS})('lentera-assets').then(k => k.includes({json.dumps(new)}))")

        # --- the cache of static files keeps its bound (10) however many the pages ask for
        with app.test_request_context():
            files = sorted(p.relative_to(app.static_folder).as_posix() for p in Path(app.static_folder).rglob("*.js"))
            urls = [url_for("static", filename=f) for f in files]
        assert len(urls) > 12
        page.evaluate(f"Promise.all({json.dumps(urls)}.map(u => fetch(u).then(r => r.ok)))")
        _until(page, f"() => ({ASSET_KEYS})('lentera-assets').then(k => k.length <= 10)")

        # --- the stored course was touched by neither: every entry is there, and it opens offline
        assert sorted(_cached(page, course_cache)) == sorted(stored)
        context.set_offline(True)
        page.goto(f"/aktivitas/{ids['lesson']}")
        assert page.get_attribute("html", "data-offline-copy") == "1"
        assert "ASN tidak berpihak" in page.content()
    finally:
        context.close()
