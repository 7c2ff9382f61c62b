"""The transcode job on real videos made with ffmpeg: the ladder never upscales, every
rendition is what ffprobe says it is, progress is parsed, a crashed job is taken over and
redone cleanly, and a failure shows its reason and can be retried."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from app.accounts.models import utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.media import operations as ops
from app.media.models import VideoAsset
from app.media.transcode import build_command, ladder_for, probe, run_with_progress
from app.storage import get_storage
from tests.media_fixtures import ffprobe, video_activity


def transcode(activity, path, by) -> VideoAsset:
    asset = ops.attach_source(activity, path, path.name, by=by)
    db.session.commit()
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    return db.session.get(VideoAsset, asset.id)


def stored_probe(key: str, tmp_path) -> dict:
    dest = tmp_path / key.replace("/", "_")
    get_storage().download_to(key, dest)
    return ffprobe(dest)


@pytest.mark.slow  # ffmpeg transcodes the whole ladder: the longest test of make test-fast
def test_720p_source_gets_the_whole_ladder_audio_poster_and_mp4(app, org, video_course, videos, tmp_path):
    asset = transcode(video_activity(video_course), videos.hd, org.instructor)
    assert asset.state == "ready", asset.error
    assert (asset.width, asset.height) == (1280, 720)
    assert 19 <= asset.duration_tenths <= 21
    assert [r["name"] for r in asset.renditions] == ["240p", "360p", "720p"]
    store = get_storage()
    master = store.read_bytes(asset.master_key).decode()
    assert "RESOLUTION=1280x720" in master and "RESOLUTION=640x360" in master and "RESOLUTION=426x240" in master
    # Each rendition really has its height, in H.264 with AAC, cut into segments.
    for name, height in (("720p", 720), ("360p", 360), ("240p", 240)):
        seg = f"{asset.prefix}hls/{name}/seg_00000.ts"
        info = stored_probe(seg, tmp_path)
        v = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert (v["codec_name"], v["height"]) == ("h264", height)
        assert any(s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in info["streams"])
    audio = stored_probe(f"{asset.prefix}hls/audio/seg_00000.ts", tmp_path)
    assert [s["codec_type"] for s in audio["streams"]] == ["audio"]
    mp4 = stored_probe(asset.mp4_key, tmp_path)
    assert next(s for s in mp4["streams"] if s["codec_type"] == "video")["height"] == 360
    assert abs(float(mp4["format"]["duration"]) - 2.0) < 0.2
    poster = stored_probe(asset.poster_key, tmp_path)
    assert poster["streams"][0]["codec_name"] == "mjpeg"
    job = db.session.get(Job, asset.job_id)
    assert (job.state, job.progress) == ("done", 100)


def test_small_source_is_never_upscaled_and_silent_video_has_no_audio_rendition(app, org, video_course, videos):
    assert [r[0] for r in ladder_for(240)] == ["240p"]
    assert [r[0] for r in ladder_for(480)] == ["360p", "240p"]
    assert [r[0] for r in ladder_for(1080)] == ["720p", "360p", "240p"]
    assert [r[0] for r in ladder_for(144)] == ["144p"]
    asset = transcode(video_activity(video_course), videos.silent, org.instructor)
    assert asset.state == "ready", asset.error
    assert [r["name"] for r in asset.renditions] == ["240p"]
    assert asset.audio_key is None
    assert not any("/audio/" in k for k in get_storage().list(asset.prefix))


def test_ffmpeg_progress_is_parsed(app, videos, tmp_path):
    seen: list[int] = []
    info = probe(videos.hd)
    cmd = build_command(str(videos.hd), tmp_path / "out", info, preset="ultrafast")
    run_with_progress(cmd, info.duration_tenths, seen.append, every_seconds=0)
    assert seen, "ffmpeg reported no progress"
    assert seen == sorted(seen) and all(0 <= p <= 99 for p in seen)


def test_interrupted_job_is_taken_over_and_redone_cleanly(app, org, video_course, videos):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    store = get_storage()
    # A worker claimed it, wrote part of its output, and died: no heartbeat for ten minutes.
    job = db.session.get(Job, asset.job_id)
    job.state, job.attempts, job.owner = "running", 1, "host-yang-mati:123"
    job.heartbeat_at = job.started_at = utcnow() - timedelta(minutes=10)
    asset.state = "processing"
    store.put_bytes(f"{asset.prefix}hls/240p/seg_00042.ts", b"potongan setengah jadi")
    store.put_bytes(f"{asset.prefix}hls/master.m3u8", b"#EXTM3U\nrusak\n")
    db.session.commit()

    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    job, asset = db.session.get(Job, job.id), db.session.get(VideoAsset, asset.id)
    assert (job.state, job.attempts) == ("done", 2)
    assert asset.state == "ready"
    keys = store.list(asset.prefix)
    assert f"{asset.prefix}hls/240p/seg_00042.ts" not in keys
    assert b"rusak" not in store.read_bytes(asset.master_key)
    assert asset.source_key in keys  # the source survives the clean-up


def test_failure_shows_its_reason_and_can_be_retried(app, client, org, login, video_course, videos):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    store = get_storage()
    good = store.read_bytes(asset.source_key)
    store.put_bytes(asset.source_key, good[: len(good) // 4])  # the stored source got damaged
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    job = db.session.get(Job, asset.job_id)
    assert job.state == "failed"
    assert "rusak" in job.message

    login(org.instructor)
    html = client.get(f"/media/aktivitas/{activity.id}/unggah").get_data(as_text=True)
    assert "Konversi gagal" in html and "rusak" in html and "Coba lagi" in html

    store.put_bytes(asset.source_key, good)
    resp = client.post(f"/media/aktivitas/{activity.id}/ulangi")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, asset.job_id).state == "queued"
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    assert db.session.get(VideoAsset, asset.id).state == "ready"
    html = client.get(f"/media/aktivitas/{activity.id}").get_data(as_text=True)
    assert "video-player" in html and "Konversi gagal" not in html


def test_transcode_progress_shows_on_the_activity_page(app, client, org, login, video_course, videos):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    job = db.session.get(Job, asset.job_id)
    job.state, job.progress, job.message, job.heartbeat_at = "running", 42, "Mengonversi video: 42%", utcnow()
    db.session.commit()
    login(org.learner_a1)
    html = client.get(f"/media/aktivitas/{activity.id}").get_data(as_text=True)
    assert "Sedang dikonversi" in html and "42%" in html
    state = client.get(f"/api/v1/activities/{activity.id}/video").get_json()
    assert state["status"] == {"state": "processing", "progress": 42, "message": "Mengonversi video: 42%"}


def test_ffmpeg_command_is_one_process_for_the_whole_ladder(videos, app, tmp_path):
    cmd = build_command(str(videos.hd), tmp_path, probe(videos.hd), binary="ffmpeg")
    assert cmd.count("-i") == 1  # decoded once
    assert sum(1 for a in cmd if a.endswith(".m3u8")) == 4  # 720p, 360p, 240p, audio
    assert str(tmp_path / "fallback.mp4") in cmd


def test_job_without_ffmpeg_fails_with_a_clear_reason(app, org, video_course, videos, monkeypatch):
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    monkeypatch.setitem(app.config, "FFPROBE_BINARY", "/tidak/ada/ffprobe")
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    job = db.session.get(Job, asset.job_id)
    assert job.state == "failed" and "ffmpeg/ffprobe tidak terpasang" in job.message


KILLABLE_RUNNER = """
import sys
from app import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                  "LENTERA_STORAGE": "local", "LENTERA_STORAGE_PATH": sys.argv[3], "SCHEDULER_ENABLED": False,
                  "SECRET_KEY": "x"})
with app.app_context():
    from app.jobs.operations import run_pending
    run_pending(kinds=["transcode"])
"""


@pytest.mark.slow
def test_server_killed_mid_transcode_then_job_is_picked_up_again(app, org, video_course, tmp_path, monkeypatch):
    """A real worker process is killed (with its ffmpeg) in the middle of the transcode."""
    import os
    import signal
    import sys
    import time
    from pathlib import Path

    import app.jobs.operations as jobs_ops
    from tests.media_fixtures import make_video

    source = make_video(tmp_path / "panjang.mp4", width=1280, height=720, seconds=12)
    activity = video_activity(video_course)
    asset = ops.attach_source(activity, source, "panjang.mp4", by=org.instructor)
    db.session.commit()
    work = Path(app.instance_path) / "transcode" / str(asset.id) / "out" / "hls" / "720p"
    env = {**os.environ, "LENTERA_NO_SCHEDULER": "1", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_RUNNER, app.config["SQLALCHEMY_DATABASE_URI"],
                             app.instance_path, app.config["LENTERA_STORAGE_PATH"]], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(work.glob("seg_*.ts")):
            assert proc.poll() is None, "the worker finished before it could be killed"
            time.sleep(0.1)
        assert list(work.glob("seg_*.ts")), "ffmpeg never started writing"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its ffmpeg, as a crash or an OOM kill does
        proc.wait()
    db.session.expire_all()
    job = db.session.get(Job, asset.job_id)
    assert job.state == "running" and db.session.get(VideoAsset, asset.id).state == "processing"

    # Another runner sees no heartbeat (stale at once here) and takes the job over.
    monkeypatch.setattr(jobs_ops, "STALE_SECONDS", 0)
    assert run_pending(kinds=["transcode"]) == 1
    db.session.expire_all()
    job, asset = db.session.get(Job, job.id), db.session.get(VideoAsset, asset.id)
    assert (job.state, job.attempts) == ("done", 2)
    assert asset.state == "ready" and 118 <= asset.duration_tenths <= 121
    store = get_storage()
    playlist = store.read_bytes(f"{asset.prefix}hls/720p/index.m3u8").decode()
    segments = [ln for ln in playlist.splitlines() if ln.endswith(".ts")]
    assert sorted(k.rsplit("/", 1)[-1] for k in store.list(f"{asset.prefix}hls/720p/") if k.endswith(".ts")) == segments
    assert not (Path(app.instance_path) / "transcode" / str(asset.id)).exists()
