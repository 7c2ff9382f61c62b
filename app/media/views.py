"""Pages of a video activity: the player (learners and staff), the uploader (staff), and the
video files themselves, each behind the course's access check."""

from __future__ import annotations

import logging
import os

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.courses.models import Activity
from app.errors import LenteraError
from app.extensions import db
from app.media import operations as ops
from app.media import queries
from app.media.activity_type import player_context
from app.media.serving import send_video_file
from app.media.transcode import missing_binaries
from app.web import flash_error

bp = Blueprint("media", __name__, url_prefix="/media")
log = logging.getLogger(__name__)


@bp.record_once
def _configure(state) -> None:
    """Settings of the video module, and the start-up check for ffmpeg."""
    app = state.app
    mb = 1024 * 1024
    app.config.setdefault("VIDEO_MAX_BYTES", int(os.environ.get("LENTERA_VIDEO_MAX_MB", "4096")) * mb)
    app.config.setdefault("VIDEO_UPLOAD_CHUNK_BYTES", int(os.environ.get("LENTERA_VIDEO_CHUNK_MB", "8")) * mb)
    app.config.setdefault("VIDEO_X264_PRESET", os.environ.get("LENTERA_X264_PRESET", "veryfast"))
    missing = missing_binaries(app.config)
    if missing:
        log.warning("Video tidak tersedia: program %s tidak ditemukan. Pasang Debian 'ffmpeg' "
                    "(apt-get install ffmpeg) atau atur FFMPEG_BINARY/FFPROBE_BINARY.", ", ".join(missing))
    if app.config.get("LENTERA_STORAGE") == "s3":
        # The browser fetches segments from the bucket with signed URLs: allow that origin.
        sources = list(app.config.get("CSP_MEDIA_SOURCES", []))
        sources.append(s3_origin(app.config))
        app.config["CSP_MEDIA_SOURCES"] = sorted(set(sources))


def s3_origin(config: dict) -> str:
    from urllib.parse import urlsplit

    endpoint = config.get("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://*.amazonaws.com"


def _activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.type != "video":
        abort(404)
    return activity


@bp.get("/aktivitas/<int:activity_id>")
@login_required
def activity_page(activity_id: int):
    activity = _activity(activity_id)
    if not queries.can_view_media(current_user, activity):
        abort(404)
    if queries.watchable(queries.asset_for(activity)):
        ops.open_player(current_user, activity)
    ctx = player_context(activity, current_user)
    ctx["can_manage"] = queries.is_course_staff(current_user, activity.course, instructor=ctx["instructor"])
    return render_template("media/activity.html", activity=activity, ctx=ctx)


@bp.get("/aktivitas/<int:activity_id>/unggah")
@login_required
def edit_page(activity_id: int):
    activity = _activity(activity_id)
    if not queries.is_course_staff(current_user, activity.course):
        abort(403)
    from app.media.activity_type import edit_context

    return render_template("media/edit.html", activity=activity, ctx=edit_context(activity))


@bp.post("/aktivitas/<int:activity_id>/ulangi")
@login_required
def retry(activity_id: int):
    activity = _activity(activity_id)
    try:
        ops.retry_transcode(current_user, activity)
        flash(_("Konversi video dijadwalkan ulang."), "ok")
    except LenteraError as exc:
        flash_error(exc)
    return redirect(url_for("media.edit_page", activity_id=activity.id))


@bp.get("/aktivitas/<int:activity_id>/video/<path:name>")
@login_required
def video_file(activity_id: int, name: str):
    activity = _activity(activity_id)
    if not queries.can_view_media(current_user, activity):
        abort(404)  # not enrolled: the file does not exist for them
    asset = queries.asset_for(activity)
    if asset is None or asset.state != "ready":
        abort(404)
    return send_video_file(asset.prefix, name)
