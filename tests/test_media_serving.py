"""Serving video files: only to the course's people; byte ranges (206) from local storage;
with S3, playlists from the app carrying signed segment URLs the browser fetches directly."""

from __future__ import annotations

import uuid

import pytest
import requests

from app import create_app
from app.extensions import db
from app.jobs.operations import run_pending
from app.media import operations as ops
from app.media.models import VideoAsset
from app.media.serving import rewrite_playlist
from app.storage import get_storage
from tests.conftest import base_config
from tests.media_fixtures import video_activity


@pytest.fixture
def ready(app, org, video_course, videos):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    assert db.session.get(VideoAsset, asset.id).state == "ready"
    return activity


def url(activity, name: str) -> str:
    return f"/media/aktivitas/{activity.id}/video/{name}"


def test_enrolled_learner_and_staff_fetch_media_others_do_not(app, client, org, login, ready):
    assert client.get(url(ready, "hls/master.m3u8")).status_code == 302  # not logged in: to the login page
    login(org.learner_b)  # not enrolled
    for name in ("hls/master.m3u8", "hls/240p/seg_00000.ts", "poster.jpg", "fallback.mp4"):
        assert client.get(url(ready, name)).status_code == 404
    assert client.get(f"/media/aktivitas/{ready.id}").status_code == 404
    client.post("/keluar")
    login(org.learner_a1)
    master = client.get(url(ready, "hls/master.m3u8"))
    assert master.status_code == 200
    assert master.mimetype == "application/vnd.apple.mpegurl"
    assert "240p/index.m3u8" in master.get_data(as_text=True)
    assert client.get(url(ready, "poster.jpg")).mimetype == "image/jpeg"
    # The source upload is never served, nor anything outside the asset's folder.
    assert client.get(url(ready, "source.mp4")).status_code == 404
    assert client.get(url(ready, "../1/source.mp4")).status_code == 404
    client.post("/keluar")
    login(org.instructor)
    assert client.get(url(ready, "hls/240p/index.m3u8")).status_code == 200


def test_local_storage_answers_byte_ranges(app, client, org, login, ready):
    login(org.learner_a1)
    full = client.get(url(ready, "fallback.mp4"))
    assert full.status_code == 200 and full.headers["Accept-Ranges"] == "bytes"
    data = full.data
    size = len(data)
    part = client.get(url(ready, "fallback.mp4"), headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{size}"
    assert part.data == data[100:1100]
    tail = client.get(url(ready, "fallback.mp4"), headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.data == data[-500:]
    opened = client.get(url(ready, "fallback.mp4"), headers={"Range": f"bytes={size - 10}-"})
    assert opened.data == data[-10:]
    bad = client.get(url(ready, "fallback.mp4"), headers={"Range": f"bytes={size + 5}-"})
    assert bad.status_code == 416 and bad.headers["Content-Range"] == f"bytes */{size}"
    head = client.head(url(ready, "fallback.mp4"), headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.headers["Content-Length"] == "10" and head.data == b""


def test_rewrite_playlist_signs_only_segment_lines():
    text = "#EXTM3U\n#EXTINF:4.0,\nseg_00000.ts\n#EXTINF:1.2,\nseg_00001.ts\n#EXT-X-ENDLIST\n"
    out = rewrite_playlist(text, "video/7/hls/240p/", lambda k: f"https://s3/{k}?sig")
    assert out.splitlines() == ["#EXTM3U", "#EXTINF:4.0,", "https://s3/video/7/hls/240p/seg_00000.ts?sig",
                                "#EXTINF:1.2,", "https://s3/video/7/hls/240p/seg_00001.ts?sig", "#EXT-X-ENDLIST"]


@pytest.fixture
def s3_app(app, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "uji")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-uji")
    monkeypatch.setitem(app.config, "LENTERA_STORAGE", "s3")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "S3_BUCKET", f"lentera-{uuid.uuid4().hex[:12]}")
    app.extensions.pop("lentera_storage", None)
    yield app
    app.extensions.pop("lentera_storage", None)


def test_s3_playlists_carry_signed_segment_urls(s3_app, client, org, login, video_course, videos):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    assert get_storage().kind == "s3"
    assert run_pending(kinds=["transcode"]) == 1  # the job reads the source from the bucket
    db.session.expire_all()
    assert db.session.get(VideoAsset, asset.id).state == "ready"
    login(org.learner_a1)
    master = client.get(url(activity, "hls/master.m3u8")).get_data(as_text=True)
    assert "240p/index.m3u8" in master  # variant playlists stay on the app (access-checked)
    playlist = client.get(url(activity, "hls/240p/index.m3u8"))
    assert playlist.status_code == 200 and "no-store" in playlist.headers["Cache-Control"]
    segments = [line for line in playlist.get_data(as_text=True).splitlines() if line and not line.startswith("#")]
    assert segments and all("X-Amz-Signature" in s for s in segments)
    seg = requests.get(segments[0], timeout=10)
    assert seg.status_code == 200 and seg.content[:1] == b"\x47"  # an MPEG-TS packet, straight from S3
    poster = client.get(url(activity, "poster.jpg"))
    assert poster.status_code == 302 and "X-Amz-Signature" in poster.headers["Location"]
    client.post("/keluar")
    login(org.learner_b)
    assert client.get(url(activity, "hls/240p/index.m3u8")).status_code == 404


def test_csp_allows_the_s3_endpoint_when_s3_is_configured(tmp_path, s3_endpoint):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'csp.db'}", LENTERA_STORAGE="s3",
                                 S3_ENDPOINT_URL=s3_endpoint))
    csp = app.test_client().get("/vendor/hls.min.js").headers["Content-Security-Policy"]
    assert f"media-src 'self' blob: {s3_endpoint}" in csp
    assert f"connect-src 'self' {s3_endpoint}" in csp
    local = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'csp2.db'}"))
    assert s3_endpoint not in local.test_client().get("/vendor/hls.min.js").headers["Content-Security-Policy"]
