"""What a handed-in file is, read from its bytes: the name and the browser's word are not trusted.

Office documents are zip archives; they are told apart by the parts they hold (`word/`, `xl/`,
`ppt/`) or, for OpenDocument, by the `mimetype` entry the format requires first in the archive.
"""

from __future__ import annotations

import io
import zipfile

#: kind -> (label shown to people, content type served, extension written on download)
KINDS: dict[str, tuple[str, str, str]] = {
    "pdf": ("PDF", "application/pdf", "pdf"),
    "docx": ("Word (.docx)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("Excel (.xlsx)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": ("PowerPoint (.pptx)", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "pptx"),
    "odt": ("OpenDocument teks (.odt)", "application/vnd.oasis.opendocument.text", "odt"),
    "ods": ("OpenDocument lembar kerja (.ods)", "application/vnd.oasis.opendocument.spreadsheet", "ods"),
    "odp": ("OpenDocument presentasi (.odp)", "application/vnd.oasis.opendocument.presentation", "odp"),
    "png": ("PNG", "image/png", "png"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "zip": ("ZIP", "application/zip", "zip"),
    "mp3": ("MP3", "audio/mpeg", "mp3"),
    "m4a": ("Audio M4A", "audio/mp4", "m4a"),
    "ogg": ("Audio Ogg", "audio/ogg", "ogg"),
    "webm": ("Audio/video WebM", "audio/webm", "webm"),
    "txt": ("Teks (.txt)", "text/plain", "txt"),
}

_ODF = {b"application/vnd.oasis.opendocument.text": "odt",
        b"application/vnd.oasis.opendocument.spreadsheet": "ods",
        b"application/vnd.oasis.opendocument.presentation": "odp"}


def _zip_kind(data: bytes) -> str | None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "mimetype" in names:
        try:
            kind = _ODF.get(zf.read("mimetype").strip())
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, NotImplementedError):
            kind = None
        if kind:
            return kind
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(prefix) for n in names):
                return kind
    return "zip"


def sniff(data: bytes) -> str | None:
    """The kind of file (a key of KINDS), or None when it is none we accept."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    # Recorded voice comments: what phones (M4A) and browsers (Ogg, WebM) record.
    if data[4:8] == b"ftyp" and data[8:11] in (b"M4A", b"mp4", b"iso"):
        return "m4a"
    if data.startswith(b"OggS"):
        return "ogg"
    if data.startswith(b"\x1aE\xdf\xa3"):
        return "webm"
    if b"\x00" not in data[:8192]:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "txt"
    return None


def label(kind: str) -> str:
    return KINDS[kind][0] if kind in KINDS else kind


def content_type(kind: str) -> str:
    return KINDS[kind][1] if kind in KINDS else "application/octet-stream"


def sniff_name(name: str) -> str:
    """The kind a stored name ends with (the name was given the real kind's extension when stored)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((k for k, v in KINDS.items() if v[2] == ext), "")
