"""Resumable uploads (tus 1.0 core + creation): a session knows the file's length and how many
bytes arrived; each PATCH appends at the offset the server holds, so a dropped connection
resumes from there (the client asks with HEAD). Chunks go to a file under the instance dir,
never into memory."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import ClientDisconnected

from app.errors import BadInput, Conflict

TUS_VERSION = "1.0.0"
COPY_CHUNK = 1024 * 1024


def upload_dir() -> Path:
    d = Path(current_app.instance_path) / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def temp_path(upload_id: str) -> Path:
    return upload_dir() / f"{upload_id}.part"


def max_video_bytes() -> int:
    return int(current_app.config.get("VIDEO_MAX_BYTES") or 4096 * 1024 * 1024)


def append(path: Path, offset: int, length: int, chunks: Iterable[bytes]) -> int:
    """Append the request body at `offset`; returns the new offset.

    The file on disk is the truth: an offset that is not its size is a conflict (409), the
    client then asks HEAD and resumes from there. Bytes past the declared length are refused.
    """
    current = path.stat().st_size if path.exists() else 0
    if offset != current:
        raise Conflict(_("Posisi unggahan tidak cocok: server sudah menerima %(n)d bita.", n=current),
                       code="offset_mismatch", details=[{"offset": current}])
    written = current
    with open(path, "ab") as f:
        for data in chunks:
            if not data:
                continue
            if written + len(data) > length:
                f.truncate(current)
                raise BadInput(_("Data melebihi ukuran berkas yang diumumkan."), code="too_much_data")
            f.write(data)
            written += len(data)
        f.flush()
        os.fsync(f.fileno())
    return written


def read_body(stream, chunk: int = COPY_CHUNK) -> Iterable[bytes]:
    """The request body in pieces; a connection dropped mid-body keeps what arrived."""
    while True:
        try:
            data = stream.read(chunk)
        except (OSError, ValueError, ClientDisconnected):  # client went away: keep what was written
            return
        if not data:
            return
        yield data
