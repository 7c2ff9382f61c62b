"""Every state change of the video module: uploads, assets and their transcode jobs, watch
heartbeats and the completion they lead to."""

from __future__ import annotations

import logging
import mimetypes
import secrets
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.models import Activity
from app.courses.operations import complete_activity, get_enrolment
from app.errors import BadInput, Forbidden, NotFound, RuleViolation, TooLarge
from app.extensions import db
from app.jobs import operations as jobs
from app.media import queries
from app.media.models import UploadSession, VideoAsset, WatchProgress
from app.media.transcode import probe, video_available
from app.media.upload import append, max_video_bytes, read_body, temp_path
from app.media.watch import clip_span, covered, merge, to_tenths
from app.storage import get_storage

log = logging.getLogger(__name__)


def _require_video(activity: Activity) -> None:
    if activity.type != "video":
        raise BadInput(_("Aktivitas ini bukan aktivitas video."), code="not_video_activity")


def _require_staff(user: User, activity: Activity) -> None:
    if not queries.is_course_staff(user, activity.course):
        raise Forbidden(_("Hanya pengajar kursus ini atau admin yang dapat mengelola videonya."))


# --- upload -----------------------------------------------------------------------------------

def create_upload(user: User, activity: Activity, filename: str, length: int) -> UploadSession:
    """Open a resumable upload of `length` bytes into a video activity."""
    _require_video(activity)
    _require_staff(user, activity)
    if not video_available():
        raise RuleViolation(_("Video belum dapat diproses: ffmpeg/ffprobe tidak terpasang di server."),
                            code="video_unavailable")
    if length <= 0:
        raise BadInput(_("Berkas kosong tidak dapat diunggah."), code="empty_file")
    limit = max_video_bytes()
    if length > limit:
        raise TooLarge(_("Berkas terlalu besar: %(size)s MB, batasnya %(limit)s MB.",
                         size=_mb(length), limit=_mb(limit)), code="file_too_large")
    name = Path(filename or "video").name[:200] or "video"
    session = UploadSession(id=secrets.token_hex(16), activity_id=activity.id, user_id=user.id,
                            filename=name, length=length)
    db.session.add(session)
    db.session.flush()
    temp_path(session.id).touch()
    return session


def _mb(n: int) -> str:
    return str((Decimal(n) / (1024 * 1024)).quantize(Decimal("0.1")))


def get_upload(user: User, upload_id: str) -> UploadSession:
    session = queries.upload_session(upload_id)
    if session is None or session.user_id != user.id:
        raise NotFound(_("Sesi unggahan tidak ditemukan."))
    path = temp_path(session.id)
    if session.state == "open" and path.exists():
        # The file on disk is the truth: a request that died after writing but before its
        # commit still counts.
        session.offset = path.stat().st_size
    return session


def receive_chunk(user: User, upload_id: str, offset: int, stream) -> UploadSession:
    """Append a chunk; when the last byte arrives the file is checked and handed to storage."""
    session = get_upload(user, upload_id)
    if session.state != "open":
        raise RuleViolation(_("Unggahan ini sudah selesai."), code="upload_closed")
    path = temp_path(session.id)
    try:
        session.offset = append(path, offset, session.length, read_body(stream))
    finally:
        session.updated_at = utcnow()
    if session.offset == session.length:
        # Also reached by an empty PATCH at the end: the request that received the last byte
        # may have died before handing the file over.
        finish_upload(user, session)
    return session


def finish_upload(user: User, session: UploadSession) -> VideoAsset:
    path = temp_path(session.id)
    activity = db.session.get(Activity, session.activity_id)
    try:
        probe(path)
    except BadInput:
        session.state = "refused"
        path.unlink(missing_ok=True)
        db.session.commit()  # the refusal sticks even though the request answers 422
        raise
    asset = attach_source(activity, path, session.filename, by=user, move=True)
    session.state, session.asset_id = "done", asset.id
    path.unlink(missing_ok=True)
    return asset


@jobs.periodic("media-abandoned-uploads", 3600)
def remove_abandoned_uploads(days: int = 7) -> int:
    """Uploads nobody resumed for `days` days: free their disk space."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.scalars(select(UploadSession).where(UploadSession.state == "open",
                                                           UploadSession.updated_at < cutoff)).all()
    for session in stale:
        temp_path(session.id).unlink(missing_ok=True)
        session.state = "abandoned"
    db.session.flush()
    return len(stale)


def attach_source(activity: Activity, path: str | Path, filename: str, *, by: User | None = None,
                  move: bool = False) -> VideoAsset:
    """Store a checked source file as a new asset of `activity` and queue its transcode.
    `move`: the file is ours to take (an upload's temp file): a rename, not a copy of gigabytes."""
    ext = (Path(filename).suffix or ".mp4").lower()[:10]
    asset = VideoAsset(source_key="", source_name=filename, source_size=Path(path).stat().st_size,
                       state="queued", created_by_id=by.id if by else None)
    db.session.add(asset)
    db.session.flush()
    asset.source_key = f"{asset.prefix}source{ext}"
    payload: dict = {"asset_id": asset.id}
    store = get_storage()
    if move and store.kind != "local":
        # Copying gigabytes to the bucket must not happen inside the request that carried the
        # last chunk (a worker timeout would kill it): park the file beside the job queue (a
        # rename) and let the transcode job hand it to the bucket before it starts.
        pending = _pending_dir() / f"{asset.id}{ext}"
        pending.parent.mkdir(parents=True, exist_ok=True)
        Path(path).replace(pending)
        payload["pending_source"] = str(pending)
    else:
        store.put_file(asset.source_key, str(path),
                       content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream", move=move)
    activity.settings = {**(activity.settings or {}), "asset_id": asset.id}
    activity.file_key, activity.file_name = asset.source_key, filename
    job = jobs.enqueue("transcode", payload, dedupe_key=f"transcode:{asset.id}",
                       created_by_id=by.id if by else None)
    asset.job_id = job.id
    db.session.flush()
    return asset


def retry_transcode(user: User, activity: Activity) -> VideoAsset:
    _require_staff(user, activity)
    asset = queries.asset_for(activity)
    job = queries.job_for(asset)
    if asset is None or job is None:
        raise NotFound(_("Belum ada video untuk aktivitas ini."))
    if job.state != "failed":
        raise RuleViolation(_("Pemrosesan video tidak sedang gagal."), code="not_failed")
    jobs.retry(job)
    asset.state, asset.error = "queued", None
    db.session.flush()
    return asset


def duplicate_video(source: Activity, target: Activity) -> None:
    """A copied course reuses the renditions: the new activity points at the same asset."""
    asset_id = (source.settings or {}).get("asset_id")
    if asset_id:
        target.settings = {**(target.settings or {}), "asset_id": asset_id}
        target.file_key, target.file_name = source.file_key, source.file_name


# --- watching ----------------------------------------------------------------------------------

def _ready_asset(activity: Activity, asset: VideoAsset | None = None) -> VideoAsset:
    """The activity's asset (`asset`, when the caller read it already), ready to be watched."""
    _require_video(activity)
    if asset is None:
        asset = queries.asset_for(activity)
    if not queries.watchable(asset):
        raise RuleViolation(_("Video belum siap ditonton."), code="video_not_ready")
    return asset


def _progress_row(user: User, activity: Activity, lock: bool = False) -> WatchProgress:
    stmt = select(WatchProgress).where(WatchProgress.activity_id == activity.id, WatchProgress.user_id == user.id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        try:
            with db.session.begin_nested():
                row = WatchProgress(activity_id=activity.id, user_id=user.id, intervals=[])
                db.session.add(row)
        except IntegrityError:  # a parallel heartbeat made it
            row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    return row


def open_player(user: User, activity: Activity) -> WatchProgress | None:
    """The player opened: start the wall clock the first heartbeat is measured against.

    Only the first opening sets it; later the clock is the last heartbeat. Resetting it on every
    page load would clip the span a reloading page sends as it unloads (the new page's request
    can arrive first) and would not make cheating any harder: either way, every counted second
    needs half a second of real time."""
    if get_enrolment(activity.course, user) is None:
        return None  # staff previewing: nothing is tracked
    _ready_asset(activity)
    row = _progress_row(user, activity)
    if row.clock_at is None:
        row.clock_at = utcnow()
        db.session.flush()
    return row


def _elapsed_tenths(since: datetime | None, now: datetime) -> int | None:
    if since is None:
        return None
    delta = now - since
    return (delta.days * 86400 + delta.seconds) * 10 + delta.microseconds // 100_000


def record_watch(user: User, activity: Activity, start: Decimal, end: Decimal,
                 position: Decimal | None = None, *, now: datetime | None = None,
                 device_elapsed_tenths: int | None = None, beat: queries.Heartbeat | None = None) -> dict:
    """Merge a heartbeat's played span into the learner's intervals; complete the activity when
    enough is covered. Spans are clipped to what the wall clock allows at up to 2x speed.

    `device_elapsed_tenths`: a span played offline, timed by the device's own clock (app.sync
    checked that the device's spans are sequential): clip to that time instead of the server's
    clock, which it leaves alone; `now` is then the device's time of the span, and a completion
    is dated by it.

    `beat`: the learner's locked progress row with the activity's asset and completion, read by
    queries.heartbeat in one statement (an enrolled learner's, so the enrolment needs no check)."""
    if beat is None and get_enrolment(activity.course, user) is None:
        raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    asset = _ready_asset(activity, beat.asset if beat is not None else None)
    if end < start:
        raise BadInput(_("'to' tidak boleh lebih kecil dari 'from'."), code="invalid_interval")
    now = now or utcnow()
    row = beat.progress if beat is not None else _progress_row(user, activity, lock=True)
    claimed = to_tenths(end) > to_tenths(start)
    offline = device_elapsed_tenths is not None
    s, e = clip_span(to_tenths(start), to_tenths(end), duration=asset.duration_tenths,
                     elapsed_tenths=device_elapsed_tenths if offline else _elapsed_tenths(row.clock_at, now))
    row.intervals = merge(row.intervals or [], (s, e))
    row.watched_tenths = covered(row.intervals)
    pos = to_tenths(position) if position is not None else to_tenths(end)
    row.position_tenths = max(0, min(pos, asset.duration_tenths))
    # An empty heartbeat (the player opening, or a position only) claims nothing, so it does not
    # restart the clock, except the very first one, which starts it.
    if not offline and (claimed or row.clock_at is None):
        row.clock_at = now
    row.updated_at = utcnow() if offline else now
    db.session.flush()
    percent = queries.percent_of(row.watched_tenths, asset.duration_tenths)
    done = beat.completed if beat is not None else None
    if percent >= queries.complete_at_percent(activity):
        if not done:  # complete_activity is the one door (and would find it done: nothing to do)
            complete_activity(user, activity, source="watch", at=now)
        completed = True
    else:
        completed = done if done is not None else _is_complete(user, activity)
    return {"watched_seconds": Decimal(row.watched_tenths) / 10, "percent": percent, "completed": completed,
            "position": Decimal(row.position_tenths) / 10, "counted": [Decimal(s) / 10, Decimal(e) / 10]}


def _is_complete(user: User, activity: Activity) -> bool:
    from app.courses.models import ActivityCompletion

    return db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.activity_id == activity.id, ActivityCompletion.user_id == user.id)) is not None


def meets_watch_rule(activity: Activity, user: User) -> bool:
    """Is the watch rule met now (after complete_at_percent changed)? The course engine's
    recompute then completes the activity through its one door."""
    asset = queries.asset_for(activity)
    row = queries.watch_progress(user, activity)
    if asset is None or row is None or asset.duration_tenths <= 0:
        return False
    return queries.percent_of(row.watched_tenths, asset.duration_tenths) >= queries.complete_at_percent(activity)


# --- transcoding ---------------------------------------------------------------------------------

def _pending_dir() -> Path:
    """Uploaded sources waiting for their job to store them (same machine as the upload)."""
    from flask import current_app

    return Path(current_app.instance_path) / "uploads" / "pending"


def _store_pending_source(asset: VideoAsset, payload: dict) -> Path | None:
    """Hand a parked upload to storage (first step of its transcode job). Returns the local file,
    which the job then transcodes directly instead of downloading it back."""
    pending = payload.get("pending_source")
    if not pending:
        return None
    path = Path(pending)
    store = get_storage()
    if path.is_file():
        if not store.exists(asset.source_key):
            store.put_file(asset.source_key, str(path),
                           content_type=mimetypes.guess_type(asset.source_name or "")[0] or "video/mp4")
        return path
    if not store.exists(asset.source_key):
        raise jobs.JobFailed(_("Berkas sumber video tidak ditemukan: unggah ulang video ini."))
    return None


def _work_dir(asset: VideoAsset) -> Path:
    from flask import current_app

    return Path(current_app.instance_path) / "transcode" / str(asset.id)


@jobs.handler("transcode")
def run_transcode(job) -> dict:
    """Make and store the renditions of one asset. Safe to run again after a crash: it first
    removes whatever an interrupted run left (work files and stored renditions) and starts over."""
    import shutil

    from app.media.transcode import CONTENT_TYPES, TranscodeError, make_renditions

    asset = db.session.get(VideoAsset, (job.payload or {}).get("asset_id"))
    if asset is None:
        return {"skipped": "asset deleted"}
    store = get_storage()
    local_source = _store_pending_source(asset, job.payload or {})
    work = _work_dir(asset)
    shutil.rmtree(work, ignore_errors=True)
    for key in store.list(asset.prefix):
        if key != asset.source_key:
            store.delete(key)
    asset.state, asset.error, asset.renditions = "processing", None, []
    asset.master_key = asset.audio_key = asset.poster_key = asset.mp4_key = None
    db.session.commit()
    work.mkdir(parents=True)
    try:
        if store.kind == "local":
            src = str(store.path(asset.source_key))
        elif local_source is not None:
            src = str(local_source)
        else:
            src = str(work / ("source" + Path(asset.source_key).suffix))
            store.download_to(asset.source_key, src)
        out = work / "out"

        def progress(pct: int) -> None:
            jobs.report_progress(job, pct, _("Mengonversi video"))  # the bar shows the percentage

        try:
            facts = make_renditions(src, out, progress)
        except (TranscodeError, BadInput, RuleViolation) as exc:
            message = getattr(exc, "message", None) or str(exc)
            asset = db.session.get(VideoAsset, asset.id)
            asset.state, asset.error = "failed", message
            db.session.commit()
            raise jobs.JobFailed(message) from None
        jobs.report_progress(job, 99, _("Menyimpan hasil konversi"))
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = path.relative_to(out).as_posix()
            store.put_file(asset.prefix + rel, str(path), content_type=CONTENT_TYPES.get(path.suffix))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    asset = db.session.get(VideoAsset, asset.id)
    asset.duration_tenths = facts["duration_tenths"]
    asset.width, asset.height, asset.has_audio = facts["width"], facts["height"], facts["has_audio"]
    asset.renditions = facts["renditions"]
    asset.master_key = asset.prefix + "hls/master.m3u8"
    asset.audio_key = asset.prefix + "hls/audio/index.m3u8" if facts["has_audio"] else None
    asset.poster_key = asset.prefix + "poster.jpg"
    asset.mp4_key = asset.prefix + "fallback.mp4"
    asset.state = "ready"
    db.session.flush()
    if local_source is not None:
        local_source.unlink(missing_ok=True)  # stored in the bucket; the parked copy is done with
    return {"asset_id": asset.id, "duration": facts["duration_tenths"] / 10,
            "renditions": [r["name"] for r in facts["renditions"]]}
