"""Serving a video's files: playlists rewritten so segments come straight from the bucket, and
the renditions behind the access check."""

from __future__ import annotations

import re

from flask import Response, abort

from app.storage import StorageError, get_storage, send_stored

# --- video files ------------------------------------------------------------------------------
#
# With S3 the browser must not fetch through the app (that would double the traffic) but a
# playlist names its segments, and a bucket URL is only valid when signed. We serve playlists
# from the app (after the access check) and rewrite every segment line into a signed bucket
# URL; the browser then fetches segments straight from the bucket, with no redirect hop per
# segment (a round trip saved every 4 s matters on a 600 ms mobile link). Signed URLs live
# SEGMENT_URL_SECONDS; when they lapse (a long pause) the player reloads the playlist.

VIDEO_FILE = re.compile(r"^(hls/master\.m3u8|hls/[a-z0-9]+/(index\.m3u8|seg_\d{5}\.ts)|poster\.jpg|fallback\.mp4)$")
SEGMENT_URL_SECONDS = 900
VIDEO_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg",
               ".mp4": "video/mp4"}


def rewrite_playlist(text: str, base_key: str, sign) -> str:
    """Replace each segment line (a relative .ts name) with `sign(key)`; other lines stay."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped.endswith(".ts"):
            out.append(sign(base_key + stripped))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def send_video_file(prefix: str, name: str, *, for_device: bool = False) -> Response:
    """One file of an asset (`prefix` = "video/<id>/"). The caller has checked access.

    `for_device`: the file as stored, for a phone to keep (app/sync): a playlist keeps its relative
    segment names and a segment comes through the app, never as a signed bucket URL. A stored
    playlist then names the segments by the app's own stable addresses, which the service worker
    answers without a signal; signed URLs would lapse and point at another origin."""
    if not VIDEO_FILE.match(name):
        abort(404)
    store = get_storage()
    key = prefix + name
    suffix = name[name.rfind("."):]
    if suffix == ".m3u8":
        try:
            text = store.read_bytes(key).decode("utf-8")
        except StorageError:
            abort(404)
        if store.kind == "s3" and not for_device:
            base = key[: key.rfind("/") + 1]
            text = rewrite_playlist(text, base, lambda k: store.signed_url(k, expires=SEGMENT_URL_SECONDS))
        return Response(text, mimetype=VIDEO_TYPES[".m3u8"], headers={"Cache-Control": "private, no-store"})
    # Segments and posters never change under the same key: let the browser keep them.
    return send_stored(key, mimetype=VIDEO_TYPES.get(suffix), max_age=3600, allow_redirect=not for_device)
