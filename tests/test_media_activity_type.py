"""The `video` activity type in the course engine's registry: package validate/apply/export,
duplication reusing renditions, and the learner-facing template."""

from __future__ import annotations

from pathlib import Path

from flask import render_template

from app.courses.activity_types import get_type
from app.courses.models import Activity
from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.media.models import VideoAsset
from app.storage import get_storage
from tests.conftest import count
from tests.media_fixtures import video_activity


class FolderPackage:
    """A course package folder, read and written the way the importer does."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, relpath: str) -> bool:
        return (self.root / relpath).is_file()

    def read_bytes(self, relpath: str) -> bytes:
        return (self.root / relpath).read_bytes()

    def read_text(self, relpath: str) -> str:
        return (self.root / relpath).read_text()

    def local_path(self, relpath: str) -> str:
        return str(self.root / relpath)

    def write_bytes(self, relpath: str, data: bytes) -> None:
        (self.root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (self.root / relpath).write_bytes(data)

    def write_text(self, relpath: str, text: str) -> None:
        self.write_bytes(relpath, text.encode())

    def write_from_storage(self, relpath: str, storage_key: str) -> None:
        self.write_bytes(relpath, get_storage().read_bytes(storage_key))


class ProblemList(list):
    def add(self, file, line, message) -> None:
        self.append((file, line, str(message)))


def test_validate_reports_every_problem_with_its_file(app, videos, tmp_path):
    pkg = FolderPackage(tmp_path)
    pkg.write_bytes("media/pengantar.mp4", videos.small.read_bytes())
    pkg.write_bytes("media/catatan.mp4", videos.text.read_bytes())
    pkg.write_bytes("media/rusak.mp4", videos.corrupt.read_bytes())
    vt = get_type("video")
    problems = ProblemList()
    vt.validate({"type": "video", "title": "A", "file": "media/pengantar.mp4", "complete_at_percent": 90}, pkg, problems)
    assert problems == []
    vt.validate({"type": "video", "title": "B", "file": "media/hilang.mp4"}, pkg, problems)
    vt.validate({"type": "video", "title": "C", "file": "media/catatan.mp4"}, pkg, problems)
    vt.validate({"type": "video", "title": "D", "file": "media/rusak.mp4"}, pkg, problems)
    vt.validate({"type": "video", "title": "E", "file": "media/pengantar.mp4", "complete_at_percent": 150}, pkg, problems)
    assert [(f, "tidak ada" in m or "bukan video" in m or "rusak" in m or "1–100" in m) for f, _l, m in problems] == [
        ("media/hilang.mp4", True), ("media/catatan.mp4", True), ("media/rusak.mp4", True),
        ("media/pengantar.mp4", True)]


def test_apply_export_and_duplicate(app, org, video_course, videos, tmp_path):
    vt = get_type("video")
    pkg = FolderPackage(tmp_path / "in")
    pkg.write_bytes("media/pengantar.mp4", videos.small.read_bytes())
    activity = video_activity(video_course)
    vt.apply(activity, {"type": "video", "file": "media/pengantar.mp4", "complete_at_percent": 80}, pkg)
    db.session.commit()
    assert activity.settings["complete_at_percent"] == 80
    asset = db.session.get(VideoAsset, activity.settings["asset_id"])
    assert get_storage().read_bytes(asset.source_key) == videos.small.read_bytes()
    assert db.session.get(Job, asset.job_id).kind == "transcode"
    assert run_pending(kinds=["transcode"]) == 1

    out = FolderPackage(tmp_path / "out")
    entry = vt.export(activity, out)
    assert entry == {"file": "media/pengantar.mp4", "complete_at_percent": 80}
    assert out.read_bytes("media/pengantar.mp4") == videos.small.read_bytes()

    copy = Activity(course=activity.course, section=activity.section, position=1, type="video", title="Salinan",
                    settings={"complete_at_percent": 80})
    db.session.add(copy)
    db.session.flush()
    vt.duplicate(activity, copy)
    db.session.commit()
    assert copy.settings["asset_id"] == asset.id  # the renditions are reused, not transcoded again
    assert count(VideoAsset) == 1 and count(Job) == 1


def test_registered_templates_render_player_and_uploader(app, org, video_course, videos):
    from app.media import operations as ops

    vt = get_type("video")
    activity = video_activity(video_course)
    assert (vt.completion, vt.template, vt.edit_template) == ("watch", "media/_video.html", "media/_video_edit.html")
    with app.test_request_context():
        html = render_template(vt.template, activity=activity, ctx=vt.view_context(activity, org.learner_a1))
        assert "Belum ada video" in html
        edit = render_template(vt.edit_template, activity=activity, ctx=vt.edit_context(activity))
        assert "video-upload" in edit and f"/api/v1/activities/{activity.id}/uploads" in edit
    ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    run_pending(kinds=["transcode"])
    db.session.expire_all()
    with app.test_request_context():
        html = render_template(vt.template, activity=activity, ctx=vt.view_context(activity, org.learner_a1))
    assert "video-player" in html and "Hemat data: 240p" in html and "Hemat data: audio saja" in html
    assert f"/media/aktivitas/{activity.id}/video/hls/master.m3u8" in html
