"""The read side of offline learning: what a device stores for a course, and the late entries BPSDM
reviews."""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

from flask import url_for
from sqlalchemy import select

from app.accounts.models import Unit, User
from app.accounts.queries import Reach
from app.courses.activity_types import REGISTRY
from app.courses.models import Activity, Course
from app.extensions import db
from app.sync.models import OfflineQuiz, SyncEvent

_IMAGE_SRC = re.compile(r'src="(/kursus/(\d+)/gambar/([0-9a-f]{24}\.(?:png|jpg|gif|webp)))"')
_sha_lock = threading.Lock()
# (storage key, size, version) -> sha256. The version (mtime or ETag) matters: a replaced video
# writes new segments under the same keys, sometimes of the very same size.
_sha_cache: dict[tuple[str, int, str], str] = {}


def _stored(key: str) -> tuple[int, str] | None:
    """Size and SHA-256 of a stored file, or None when it is missing."""
    from app.storage import StorageError, get_storage

    store = get_storage()
    try:
        size, version = store.stat(key)
    except StorageError:
        return None
    digest = _sha_cache.get((key, size, version))
    if digest is None:
        h = hashlib.sha256()
        for chunk in store.iter_range(key, 0, size - 1) if size else ():
            h.update(chunk)
        digest = h.hexdigest()
        with _sha_lock:
            _sha_cache[(key, size, version)] = digest
    return size, digest


def offline_quiz_ids(activity_ids: list[int]) -> set[int]:
    """The quiz activities among these that may be taken offline: allowed by the instructor and
    without a time limit (a limit set after allowing it wins: its clock runs on the server)."""
    from app.quizzes.models import Quiz

    if not activity_ids:
        return set()
    return set(db.session.scalars(select(OfflineQuiz.activity_id)
                                  .join(Quiz, Quiz.activity_id == OfflineQuiz.activity_id)
                                  .where(OfflineQuiz.activity_id.in_(activity_ids), Quiz.time_limit_minutes == 0)))


def _video_files(activity: Activity, video: str) -> list[dict[str, Any]]:
    """The smallest form of a video the learner chose: the lowest rendition's playlist and its
    segments, or the audio-only one."""
    from app.media.queries import asset_for
    from app.storage import StorageError, get_storage

    asset = asset_for(activity)
    if asset is None or asset.state != "ready":
        return []
    if video == "audio" and asset.audio_key:
        folder = "hls/audio"
    else:
        lowest = min(asset.renditions or [], key=lambda r: r.get("height", 0), default=None)
        if lowest is None:
            return []
        folder = f"hls/{lowest['name']}"
    try:
        playlist = get_storage().read_bytes(asset.prefix + folder + "/index.m3u8").decode()
    except StorageError:
        return []
    names = ["index.m3u8"] + [line.strip() for line in playlist.splitlines() if line.strip() and not line.startswith("#")]
    files = []
    for name in names:
        if "/" in name or ":" in name:
            continue  # only the rendition's own segments
        found = _stored(asset.prefix + f"{folder}/{name}")
        if found:
            # `url`: the player's own address, under which the device keeps the file (the stored
            # playlist names its segments relative to it); `fetch_url`: where to fetch it as stored
            # (with S3 the player's playlists carry signed bucket URLs that lapse).
            files.append({"url": url_for("media.video_file", activity_id=activity.id, name=f"{folder}/{name}"),
                          "fetch_url": url_for("sync.stored_video", activity_id=activity.id, name=f"{folder}/{name}"),
                          "bytes": found[0], "sha256": found[1], "kind": "video", "activity_id": activity.id})
    return files


def offline_package(course: Course, user: User, *, video: str = "low") -> dict[str, Any]:
    """The manifest of what a device stores to learn `course` offline: its pages (rendered for the
    person when the device fetches them), and its files with their size and hash, so that the size
    is known before download and every file can be checked once stored."""
    from app.quizzes.models import Quiz

    activities = [a for s in course.sections if s.visible for a in s.activities if a.visible]
    allowed = offline_quiz_ids([a.id for a in activities if a.type == "quiz"])
    quiz_ids = dict(db.session.execute(select(Quiz.activity_id, Quiz.id).where(
        Quiz.activity_id.in_([a.id for a in activities if a.type == "quiz"]))).all()) if allowed else {}
    pages: list[dict[str, Any]] = [{"url": url_for("courses.course", course_id=course.id), "type": "course"}]
    files: list[dict[str, Any]] = []
    seen_images: set[str] = set()
    for a in activities:
        kind = REGISTRY.get(a.type)
        page = {"url": url_for("courses.activity", activity_id=a.id), "activity_id": a.id, "type": a.type,
                "completion": kind.completion if kind else None}
        if a.type == "quiz":
            page["offline_allowed"] = a.id in allowed
            page["quiz_id"] = quiz_ids.get(a.id)
        pages.append(page)
        if a.type == "quiz" and a.id in allowed and quiz_ids.get(a.id):
            pages.append({"url": url_for("quizzes.quiz_page", quiz_id=quiz_ids[a.id]), "activity_id": a.id,
                          "type": "quiz_page", "quiz_id": quiz_ids[a.id], "offline_allowed": True})
        if a.type == "file" and a.file_key:
            found = _stored(a.file_key)
            if found:
                files.append({"url": url_for("courses.activity_file", activity_id=a.id), "bytes": found[0],
                              "sha256": found[1], "kind": "file", "activity_id": a.id,
                              "fetch_url": url_for("sync.stored_file", activity_id=a.id)})
        if a.type == "video":
            files.extend(_video_files(a, video))
        for url, cid, name in _IMAGE_SRC.findall(a.body or ""):
            if int(cid) != course.id or url in seen_images:
                continue
            seen_images.add(url)
            found = _stored(f"courses/{course.id}/images/{name}")
            if found:
                files.append({"url": url, "bytes": found[0], "sha256": found[1], "kind": "image", "activity_id": a.id,
                              "fetch_url": url_for("sync.stored_image", course_id=course.id, name=name)})
    return {"course_id": course.id, "title": course.title, "video": video, "files": files,
            "bytes": sum(f["bytes"] for f in files), "pages": pages}


def late_events(r: Reach, *, reviewed: bool = False, limit: int = 200) -> list[SyncEvent]:
    """Entries that arrived late, of people within reach, newest first."""
    stmt = (select(SyncEvent).join(User, SyncEvent.user_id == User.id).outerjoin(Unit, User.unit_id == Unit.id)
            .where(SyncEvent.late.is_(True), r.unit_filter(Unit.path),
                   SyncEvent.reviewed_at.is_not(None) if reviewed else SyncEvent.reviewed_at.is_(None))
            .order_by(SyncEvent.received_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))
