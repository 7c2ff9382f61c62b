"""Resumable upload (tus 1.0) into a video activity: broken mid-way and resumed, refusals of
non-videos, corrupt files and files over the limit, and the transcode that follows."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.media.models import UploadSession, VideoAsset
from app.storage import get_storage
from tests.conftest import count
from tests.media_fixtures import tus_create, tus_patch, upload_file, video_activity
from tests.services import free_port


@pytest.fixture
def http_server(app):
    """The test app on a real socket, so a connection can really drop mid-upload."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def send_and_drop(server, path: str, headers: dict, declared: int, body: bytes) -> None:
    """PATCH announcing `declared` bytes, send only `body`, then cut the connection."""
    sock = socket.create_connection(("127.0.0.1", server.server_port))
    head = [f"PATCH {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    time.sleep(0.2)
    sock.close()


def test_upload_broken_midway_resumes_from_server_offset(client, org, auth, video_course, videos, http_server):
    activity = video_activity(video_course)
    h = auth(org.instructor)
    data = videos.small.read_bytes()
    resp = tus_create(client, activity.id, len(data), h, "ancaman.mp4")
    assert resp.status_code == 201
    assert resp.headers["Tus-Resumable"] == "1.0.0"
    url = resp.headers["Location"]

    first = 20_000
    assert tus_patch(client, url, 0, data[:first], h).status_code == 204
    # The second chunk's connection drops after 5000 bytes (a real socket, really closed).
    send_and_drop(http_server, url, {**h, "Tus-Resumable": "1.0.0", "Upload-Offset": str(first),
                                     "Content-Type": "application/offset+octet-stream"},
                  len(data) - first, data[first:first + 5000])
    for _ in range(50):
        head = client.head(url, headers=h)
        offset = int(head.headers["Upload-Offset"])
        if offset > first:
            break
        time.sleep(0.1)
    assert head.status_code == 200
    assert offset == first + 5000
    assert int(head.headers["Upload-Length"]) == len(data)
    # Sending from a stale offset is refused with the server's offset.
    stale = tus_patch(client, url, first, data[first:], h)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["details"] == [{"offset": offset}]
    # Resume where the server stopped; the assembled file is byte-identical.
    done = tus_patch(client, url, offset, data[offset:], h)
    assert done.status_code == 204, done.get_json()
    assert int(done.headers["Upload-Offset"]) == len(data)
    asset = db.session.get(VideoAsset, int(done.headers["Lentera-Asset-Id"]))
    assert get_storage().read_bytes(asset.source_key) == data
    db.session.refresh(activity)
    assert activity.settings["asset_id"] == asset.id
    assert db.session.get(UploadSession, url.rsplit("/", 1)[-1]).state == "done"

    # The transcode job runs; the activity's video becomes playable.
    assert run_pending(kinds=["transcode"]) == 1
    db.session.refresh(asset)
    assert asset.state == "ready", asset.error
    state = client.get(f"/api/v1/activities/{activity.id}/video", headers=h).get_json()
    assert state["status"]["state"] == "ready"
    assert state["renditions"] == ["240p"]  # a 240p source is never upscaled
    assert abs(state["duration"] - 3.0) < 0.2


def test_non_video_corrupt_and_too_large_are_refused(client, org, auth, video_course, videos, app, monkeypatch):
    activity = video_activity(video_course)
    h = auth(org.instructor)

    resp = upload_file(client, activity.id, videos.text, h)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "not_a_video"
    assert "bukan video" in resp.get_json()["error"]["message"]

    resp = upload_file(client, activity.id, videos.corrupt, h)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "video_unreadable"
    assert "rusak" in resp.get_json()["error"]["message"]
    assert count(VideoAsset) == 0 and count(Job) == 0

    monkeypatch.setitem(app.config, "VIDEO_MAX_BYTES", 1024 * 1024)
    resp = tus_create(client, activity.id, 5 * 1024 * 1024, h)
    assert resp.status_code == 413
    assert "terlalu besar" in resp.get_json()["error"]["message"]
    assert "1.0 MB" in resp.get_json()["error"]["message"]


def test_only_course_staff_may_upload(client, org, auth, video_course, videos):
    activity = video_activity(video_course)
    # An enrolled learner sees the activity but may not upload into it.
    assert tus_create(client, activity.id, 1000, auth(org.learner_a1)).status_code == 403
    # Someone outside the course does not even see it.
    assert tus_create(client, activity.id, 1000, auth(org.learner_b)).status_code == 404
    # Another user cannot write into the instructor's upload session.
    url = tus_create(client, activity.id, 1000, auth(org.instructor)).headers["Location"]
    assert tus_patch(client, url, 0, b"x" * 10, auth(org.admin)).status_code == 404
    assert client.head(url, headers=auth(org.learner_a1)).status_code == 404


def test_upload_page_through_session_with_csrf(app, client, org, login, video_course):
    activity = video_activity(video_course)
    login(org.instructor)
    page = client.get(f"/media/aktivitas/{activity.id}/unggah")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "media/upload.js" in html and 'class="video-file"' in html
    assert "<script>" not in html  # CSP: no inline scripts
    client.post("/keluar")
    login(org.learner_a1)
    assert client.get(f"/media/aktivitas/{activity.id}/unggah").status_code == 403


def test_upload_page_says_video_unavailable_without_ffmpeg(app, client, org, login, video_course, monkeypatch):
    activity = video_activity(video_course)
    monkeypatch.setitem(app.config, "FFMPEG_BINARY", "/nonexistent/ffmpeg")
    login(org.instructor)
    html = client.get(f"/media/aktivitas/{activity.id}/unggah").get_data(as_text=True)
    assert "Video tidak tersedia" in html
    assert 'class="video-file"' not in html


def test_last_bytes_written_but_not_handed_over_are_finished_by_an_empty_patch(client, org, auth, video_course, videos):
    """The request carrying the last chunk died after writing it and before its commit."""
    from app.media.upload import append, temp_path

    activity = video_activity(video_course)
    h = auth(org.instructor)
    data = videos.small.read_bytes()
    url = tus_create(client, activity.id, len(data), h).headers["Location"]
    append(temp_path(url.rsplit("/", 1)[-1]), 0, len(data), [data])  # on disk, never committed
    head = client.head(url, headers=h)
    assert int(head.headers["Upload-Offset"]) == len(data)
    assert client.get(url, headers=h).get_json()["state"] == "open"
    done = tus_patch(client, url, len(data), b"", h)
    assert done.status_code == 204
    assert client.get(url, headers=h).get_json()["state"] == "done"
    asset = db.session.get(VideoAsset, int(done.headers["Lentera-Asset-Id"]))
    assert get_storage().read_bytes(asset.source_key) == data
    assert not temp_path(url.rsplit("/", 1)[-1]).exists()  # moved into storage, not copied


def test_abandoned_uploads_free_their_disk(client, org, auth, video_course):
    from datetime import timedelta

    from app.accounts.models import utcnow
    from app.media.operations import remove_abandoned_uploads
    from app.media.upload import temp_path

    activity = video_activity(video_course)
    h = auth(org.instructor)
    old = tus_create(client, activity.id, 1000, h).headers["Location"].rsplit("/", 1)[-1]
    fresh = tus_create(client, activity.id, 1000, h).headers["Location"].rsplit("/", 1)[-1]
    db.session.get(UploadSession, old).updated_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert remove_abandoned_uploads() == 1
    assert not temp_path(old).exists() and temp_path(fresh).exists()


def test_missing_ffmpeg_is_reported_at_start_up(tmp_path, caplog):
    import logging

    from app import create_app
    from tests.conftest import base_config

    # Alembic's fileConfig (migrations/env.py, run in this process by the app fixture) disables
    # loggers that existed before it; a real server does not run migrations in its own process.
    logging.getLogger("app.media.views").disabled = False
    with caplog.at_level("WARNING"):
        create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", FFMPEG_BINARY="/tidak/ada/ffmpeg"))
    assert any("Video tidak tersedia" in r.getMessage() and "/tidak/ada/ffmpeg" in r.getMessage()
               for r in caplog.records)


@pytest.fixture
def s3_storage(app, s3_endpoint, monkeypatch):
    import uuid

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "uji")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-uji")
    monkeypatch.setitem(app.config, "LENTERA_STORAGE", "s3")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "S3_BUCKET", f"lentera-{uuid.uuid4().hex[:12]}")
    app.extensions.pop("lentera_storage", None)
    yield get_storage()
    app.extensions.pop("lentera_storage", None)


def test_with_s3_the_last_chunk_does_not_copy_to_the_bucket_the_job_does(s3_storage, client, org, auth,
                                                                         video_course, videos):
    """A several-GB upload must not be copied to the bucket inside the request that carried its
    last chunk (a worker timeout would kill it): the transcode job stores it, then transcodes."""
    from pathlib import Path

    activity = video_activity(video_course)
    h = auth(org.instructor)
    data = videos.small.read_bytes()
    url = tus_create(client, activity.id, len(data), h).headers["Location"]
    done = tus_patch(client, url, 0, data, h)
    assert done.status_code == 204
    asset = db.session.get(VideoAsset, int(done.headers["Lentera-Asset-Id"]))
    job = db.session.get(Job, asset.job_id)
    parked = Path(job.payload["pending_source"])
    assert parked.is_file() and not s3_storage.exists(asset.source_key)
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    asset = db.session.get(VideoAsset, asset.id)
    assert asset.state == "ready"
    assert s3_storage.read_bytes(asset.source_key) == data
    assert s3_storage.exists(asset.master_key) and not parked.exists()
