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
        return Response(b"", status=status, mimetype=mimetype, headers=headers)
    return Response(store.iter_range(key, start, end), status=status, mimetype=mimetype, headers=headers,
                    direct_passthrough=True)
