"""The `video` activity type, plugged into the course engine's registry: what the activity
page shows, the uploader on the edit page, the course-package hooks, duplication and the
completion rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePosixPath

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.courses.activity_types import ActivityType, register
from app.errors import BadInput
from app.media import operations as ops
from app.media import queries
from app.media.transcode import probe, video_available


def _urls(activity_id: int, ready: bool, audio: bool) -> dict:
    # The templates' remembered url_for (app/web.py), looked up once for the six addresses.
    url_for = current_app.jinja_env.globals["url_for"]
    urls = {"state_url": url_for("api.media_video_state", activity_id=activity_id),
            "watch_url": url_for("api.media_watch", activity_id=activity_id)}
    if ready:
        def file(name: str) -> str:
            return url_for("media.video_file", activity_id=activity_id, name=name)

        urls.update(master_url=file("hls/master.m3u8"), audio_url=file("hls/audio/index.m3u8") if audio else None,
                    poster_url=file("poster.jpg"), mp4_url=file("fallback.mp4"))
    return urls


def player_context(activity, user) -> dict:
    """What media/_video.html shows: the player's state for this viewer. The template builds the
    player's addresses itself, inside the blocks it keeps (ctx.same), so a view builds none."""
    unwrap = getattr(user, "_get_current_object", None)
    if unwrap is not None:  # current_user: every attribute read through the proxy is a few calls
        user = unwrap()
    state = queries.player_state(user, activity)
    asset, job, row = state.asset, state.job, state.progress
    duration = asset.duration_tenths if asset else 0
    watched = row.watched_tenths if row else 0
    ready = asset is not None and asset.state == "ready"
    audio = ready and asset.audio_key is not None
    ctx = {
        "asset": asset, "job": job, "status": queries.video_status(asset, job), "ready": ready, "audio": audio,
        "duration": Decimal(duration) / 10, "position": Decimal(row.position_tenths if row else 0) / 10,
        "watched_seconds": Decimal(watched) / 10, "percent": queries.percent_of(watched, duration),
        "completed": state.completed and bool(user and user.is_authenticated),
        "complete_at": queries.complete_at_percent(activity),
        "instructor": state.instructor,  # for the video page's can_manage (media.views)
        # Everything of the player that is the same for every viewer (media/_video.html's `samefor`
        # key): the activity, and the asset's readiness, duration, audio track and renditions.
        "same": (activity.id, activity.title, ready, audio, duration, repr(asset.renditions) if ready else None),
    }
    if not ready:  # the conversion's status box (media/_status.html, shared with the edit page)
        ctx["state_url"] = current_app.jinja_env.globals["url_for"]("api.media_video_state", activity_id=activity.id)
    return ctx


def view_context(activity, user) -> dict:
    """The player's state with its addresses (the API's video state)."""
    ctx = player_context(activity, user)
    ctx.update(_urls(activity.id, ctx["ready"], ctx["audio"]))
    return ctx


def edit_context(activity) -> dict:
    asset = queries.asset_for(activity)
    job = queries.job_for(asset)
    return {"asset": asset, "job": job, "status": queries.video_status(asset, job),
            "video_available": video_available(),
            "create_url": url_for("api.media_create_upload", activity_id=activity.id),
            "state_url": url_for("api.media_video_state", activity_id=activity.id),
            "chunk_bytes": current_app.config.get("VIDEO_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024),
            "max_bytes": current_app.config.get("VIDEO_MAX_BYTES"),
            "complete_at": queries.complete_at_percent(activity)}


def validate(spec: dict, reader, problems) -> None:
    """A package's video: the file is there and ffprobe says it is a video."""
    rel = spec.get("file")
    if not rel:
        problems.add(None, None, _("Aktivitas video '%(t)s' tidak menyebut berkas (file).", t=spec.get("title", "")))
        return
    if not reader.exists(rel):
        problems.add(rel, None, _("Berkas video tidak ada dalam paket."))
        return
    pct = spec.get("complete_at_percent", queries.DEFAULT_COMPLETE_AT)
    if not isinstance(pct, int) or isinstance(pct, bool) or not 1 <= pct <= 100:
        problems.add(rel, None, _("complete_at_percent harus bilangan bulat 1–100."))
    if not video_available():
        problems.add(rel, None, _("Video tidak dapat diperiksa: ffmpeg/ffprobe tidak terpasang di server."))
        return
    try:
        probe(reader.local_path(rel))
    except BadInput as exc:
        problems.add(rel, None, exc.message)


def apply(activity, spec: dict, reader) -> None:
    rel = spec["file"]
    settings = dict(activity.settings or {})
    settings["complete_at_percent"] = int(spec.get("complete_at_percent", queries.DEFAULT_COMPLETE_AT))
    activity.settings = settings
    ops.attach_source(activity, reader.local_path(rel), PurePosixPath(rel).name)


def export(activity, writer) -> dict:
    asset = queries.asset_for(activity)
    entry = {"complete_at_percent": queries.complete_at_percent(activity)}
    if asset is not None:
        rel = f"media/{PurePosixPath(asset.source_name).name}"
        writer.write_from_storage(rel, asset.source_key)
        entry["file"] = rel
    return entry


register(ActivityType(
    name="video", label=_l("Video"), completion="watch",
    template="media/_video.html", view_context=player_context,
    edit_template="media/_video_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export,
    duplicate=ops.duplicate_video, meets_rule=ops.meets_watch_rule, viewer_columns=queries.viewer_columns,
))
