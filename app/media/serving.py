"""Answering a request for a stored file: byte ranges (HTTP 206) from local storage, or a
short-lived signed URL to the bucket with S3. The caller has already checked access."""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

from flask import Response, abort, redirect, request

from app.media.storage import StorageError, get_storage

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def send_stored(key: str, *, filename: str | None = None, mimetype: str | None = None,
                as_attachment: bool = False, max_age: int = 0, allow_redirect: bool = True) -> Response:
    store = get_storage()
    mimetype = mimetype or mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    if allow_redirect:
        url = store.signed_url(key, expires=300, filename=filename if as_attachment else None)
        if url:
            return redirect(url, code=302)
    try:
        size = store.size(key)
    except StorageError:
        abort(404)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": f"private, max-age={max_age}"}
    if filename:
        disposition = "attachment" if as_attachment else "inline"
        headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range")
    if header and size > 0:
        m = _RANGE.match(header.strip())
        if m is None or (not m.group(1) and not m.group(2)):
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start = max(0, size - int(m.group(2)))
        if start > end or start >= size:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    if request.method == "HEAD" or size == 0:
        resp = Response(b"", status=status, mimetype=mimetype, headers=headers)
        resp.headers["Content-Length"] = headers["Content-Length"]  # what a GET would send, not the empty body
        return resp
    wrapper = request.environ.get("wsgi.file_wrapper")
    if store.kind == "local" and getattr(wrapper, "__module__", "").startswith("gunicorn."):
        # Under gunicorn: sendfile(2) of exactly Content-Length bytes from the file's offset, so
        # the bytes never pass through Python (gunicorn also stops at Content-Length without it).
        f = store.open(key)
        f.seek(start)
        return Response(wrapper(f, 1024 * 1024), status=status, mimetype=mimetype, headers=headers,
                        direct_passthrough=True)
    # 1 MiB pieces: fewer Python round trips per byte than the default, still little memory per request.
    return Response(store.iter_range(key, start, end, chunk=1024 * 1024), status=status, mimetype=mimetype,
                    headers=headers, direct_passthrough=True)


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


def send_video_file(prefix: str, name: str) -> Response:
    """One file of an asset (`prefix` = "video/<id>/"). The caller has checked access."""
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
        if store.kind == "s3":
            base = key[: key.rfind("/") + 1]
            text = rewrite_playlist(text, base, lambda k: store.signed_url(k, expires=SEGMENT_URL_SECONDS))
        return Response(text, mimetype=VIDEO_TYPES[".m3u8"], headers={"Cache-Control": "private, no-store"})
    # Segments and posters never change under the same key: let the browser keep them.
    return send_stored(key, mimetype=VIDEO_TYPES.get(suffix), max_age=3600)
