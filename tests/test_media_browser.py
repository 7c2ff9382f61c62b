"""Browser journey: an instructor uploads a video (in chunks, with a progress bar), the
transcode runs, the learner plays it in Chromium and sees the activity completed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.courses.models import ActivityCompletion
from app.extensions import db
from app.jobs.operations import run_pending
from tests.factories import enrol_all, make_course
from tests.media_fixtures import make_video


@pytest.mark.browser
def test_upload_transcode_play_and_complete(live_server, browser, page, browser_login, tmp_path):
    app = live_server.app
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Keamanan Siber", activities=[
            {"type": "video", "title": "Ancaman siber sehari-hari", "settings": {"complete_at_percent": 80}}])
        enrol_all(course, learner)
        activity_id = course.sections[0].activities[0].id
        db.session.commit()
        db.session.remove()
    source = make_video(tmp_path / "ancaman.mp4", width=320, height=240, seconds=4)
    old_chunk = app.config.get("VIDEO_UPLOAD_CHUNK_BYTES")
    app.config["VIDEO_UPLOAD_CHUNK_BYTES"] = 16 * 1024  # several chunks even for a tiny file
    try:
        browser_login("instruktur")
        # The connection drops once, in the middle of the upload: the uploader must resume.
        patches = {"n": 0, "dropped": 0}

        def flaky(route):
            if route.request.method == "PATCH":
                patches["n"] += 1
                if patches["n"] == 3:
                    patches["dropped"] += 1
                    return route.abort("connectionreset")
            return route.continue_()

        page.route("**/api/v1/uploads/*", flaky)
        page.goto(f"/media/aktivitas/{activity_id}/unggah")
        page.set_input_files("input.video-file", str(source))
        page.click("button.video-upload-start")
        page.wait_for_selector("text=Koneksi terputus")
        page.wait_for_selector("text=Unggahan selesai", timeout=30000)
        assert patches["dropped"] == 1 and patches["n"] > 3
        assert page.eval_on_selector("progress.video-upload-progress", "p => p.value") == 100
    finally:
        app.config["VIDEO_UPLOAD_CHUNK_BYTES"] = old_chunk
    with app.app_context():
        from app.media.models import VideoAsset
        from app.storage import get_storage

        asset = db.session.scalar(select(VideoAsset).order_by(VideoAsset.id.desc()))
        assert get_storage().read_bytes(asset.source_key) == source.read_bytes()  # nothing lost, nothing twice
        assert run_pending(kinds=["transcode"]) == 1
        db.session.remove()
    page.goto(f"/media/aktivitas/{activity_id}/unggah")
    page.wait_for_selector("text=Video saat ini: ancaman.mp4")

    learner_ctx = browser.new_context(base_url=live_server.url, locale="id-ID")
    lp = learner_ctx.new_page()
    lp.set_default_timeout(20000)
    try:
        lp.goto("/masuk")
        lp.fill("input[name=username]", "peserta")
        lp.fill("input[name=password]", "lentera123")
        lp.click("button[type=submit]")
        lp.wait_for_url(lambda u: "/masuk" not in u)
        fetched: list[str] = []
        lp.on("request", lambda r: fetched.append(r.url))
        lp.goto(f"/media/aktivitas/{activity_id}")
        assert lp.is_hidden(".video-done")
        lp.wait_for_load_state("networkidle")
        # Nothing of the video before "play": no hls.js, no playlist, no segment, no poster.
        assert not [u for u in fetched if "/video/" in u or "hls" in u], fetched
        assert "MB" in lp.text_content(".video-cost") or "KB" in lp.text_content(".video-cost")
        lp.evaluate("document.querySelector('video.video-player').muted = true")
        lp.click(".video-play")
        lp.wait_for_function("() => document.querySelector('video.video-player').ended", timeout=20000)
        lp.wait_for_selector(".video-done", state="visible")
        percent = float(lp.text_content(".video-percent"))
        assert percent >= 80
        # "Hemat data: audio saja" switches to the audio-only rendition.
        with lp.expect_request(lambda r: r.url.endswith("/video/hls/audio/index.m3u8")):
            lp.select_option("select.video-quality", "audio")
    finally:
        learner_ctx.close()
    with app.app_context():
        done = db.session.scalar(select(ActivityCompletion).where(ActivityCompletion.activity_id == activity_id))
        assert done is not None and done.source == "watch"
        db.session.remove()
