"""Helpers for the video tests: real short videos made with ffmpeg at test time (no binary
fixtures in the repository), a video activity, and tus uploads through the test client."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from app.extensions import db
from tests.factories import make_course


def make_video(path: Path, *, width: int = 320, height: int = 240, seconds: float = 3, audio: bool = True,
               rate: int = 25) -> Path:
    """A real H.264/AAC MP4: ffmpeg's test pattern and a sine tone."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
           f"testsrc=size={width}x{height}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-shortest"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, check=True)
    return path


def ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], check=True, capture_output=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    """Small source videos, made once per test session."""
    d = tmp_path_factory.mktemp("videos")
    small = make_video(d / "kecil.mp4", width=320, height=240, seconds=3)
    hd = make_video(d / "hd.mp4", width=1280, height=720, seconds=2)
    silent = make_video(d / "bisu.mp4", width=320, height=240, seconds=2, audio=False)
    text = d / "catatan.mp4"
    text.write_text("ini bukan video, hanya teks biasa\n" * 50)
    corrupt = d / "rusak.mp4"
    corrupt.write_bytes(hd.read_bytes()[: hd.stat().st_size // 3])  # cut mid-file: no index
    return type("Videos", (), {"small": small, "hd": hd, "silent": silent, "text": text, "corrupt": corrupt})


@pytest.fixture
def video_course(app, org):
    """A course owned by the instructor with one video activity; learner_a1 enrolled."""
    from tests.factories import enrol_all

    course = make_course(org.instructor, activities=[{"type": "video", "title": "Ancaman siber",
                                                      "settings": {"complete_at_percent": 90}}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    return course


def video_activity(course):
    return course.sections[0].activities[0]


def tus_create(client, activity_id: int, size: int, headers: dict, filename: str = "video.mp4"):
    return client.post(f"/api/v1/activities/{activity_id}/uploads", headers={
        **headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
        "Upload-Metadata": "filename " + base64.b64encode(filename.encode()).decode()})


def tus_patch(client, url: str, offset: int, data, headers: dict, length: int | None = None):
    h = {**headers, "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
         "Content-Type": "application/offset+octet-stream"}
    if length is not None:
        h["Content-Length"] = str(length)
    return client.patch(url, data=data, headers=h)


def upload_file(client, activity_id: int, path: Path, headers: dict, chunk: int = 64 * 1024):
    """Upload a whole file in chunks; returns the last response."""
    data = path.read_bytes()
    resp = tus_create(client, activity_id, len(data), headers, path.name)
    assert resp.status_code == 201, resp.get_json()
    url = resp.headers["Location"]
    offset = 0
    while offset < len(data):
        resp = tus_patch(client, url, offset, data[offset:offset + chunk], headers)
        if resp.status_code != 204:
            return resp
        offset = int(resp.headers["Upload-Offset"])
    return resp
