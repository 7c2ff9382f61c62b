"""Opening a SCORM zip safely: every entry is checked before one byte is stored.

Refused whole: entries with absolute paths, `..`, backslashes or drive letters (zip slip),
symbolic links, more entries or more uncompressed bytes than the course-package limits, and
entries that compress suspiciously well (a zip bomb) — the same limits as course packages
(COURSE_PACKAGE_MAX_*), so an instructor meets one rule."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from app.courses.package import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_MAX_RATIO,
    DEFAULT_MAX_TOTAL_BYTES,
    RATIO_MIN_SIZE,
    _safe_relpath,
)
from app.scorm.manifest import MANIFEST_NAME, Manifest, ManifestError, parse_manifest


class PackageError(Exception):
    def __init__(self, message: str, code: str = "scorm_package_refused", details: list | None = None,
                 status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []
        self.status = status


@dataclass
class ScormZip:
    zf: zipfile.ZipFile
    names: dict[str, zipfile.ZipInfo]  # clean relative path -> entry
    manifest: Manifest
    sha256: str
    total_bytes: int

    def read(self, name: str) -> bytes:
        info = self.names[name]
        with self.zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise PackageError(_("Ukuran isi zip tidak sesuai header: %(n)s", n=name), code="bad_zip")
        return data


def open_scorm_zip(data: bytes) -> ScormZip:
    cfg = current_app.config
    max_total = cfg.get("COURSE_PACKAGE_MAX_BYTES", DEFAULT_MAX_TOTAL_BYTES)
    max_ratio = cfg.get("COURSE_PACKAGE_MAX_RATIO", DEFAULT_MAX_RATIO)
    max_entries = cfg.get("COURSE_PACKAGE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageError(_("Berkas paket SCORM bukan zip yang valid."), code="bad_zip") from None
    if len(infos) > max_entries:
        raise PackageError(_("Paket SCORM memuat terlalu banyak berkas (lebih dari %(n)d).", n=max_entries),
                           code="zip_too_many_entries", status=413)
    problems: list[dict] = []
    names: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        raw = info.filename
        if info.is_dir():
            if _safe_relpath(raw.rstrip("/")) is None and raw.strip("/"):
                problems.append({"file": raw, "line": None,
                                 "message": _("Jalur folder di dalam zip tidak aman (absolut atau memuat ..).")})
            continue
        clean = _safe_relpath(raw)
        if clean is None:
            problems.append({"file": raw, "line": None,
                             "message": _("Jalur berkas di dalam zip tidak aman (absolut atau memuat ..).")})
            continue
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            problems.append({"file": raw, "line": None, "message": _("Tautan simbolik tidak diizinkan di dalam paket.")})
            continue
        if info.flag_bits & 0x1:
            problems.append({"file": raw, "line": None, "message": _("Berkas terenkripsi tidak dapat dibaca.")})
            continue
        total += info.file_size
        if info.file_size >= RATIO_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
            problems.append({"file": raw, "line": None, "message": _("Rasio kompresi mencurigakan (kemungkinan bom zip).")})
        if clean in names:
            problems.append({"file": raw, "line": None, "message": _("Nama berkas muncul dua kali di dalam zip.")})
        names[clean] = info
    if problems:
        raise PackageError(_("Paket SCORM ditolak: %(n)d masalah. Tidak ada yang disimpan.", n=len(problems)),
                           details=problems)
    if total > max_total:
        raise PackageError(_("Isi paket SCORM setelah diekstrak melebihi batas %(mb)d MB.", mb=max_total // (1024 * 1024)),
                           code="zip_too_large", status=413)
    # A zip made of the package's folder (kursus/imsmanifest.xml) is read from that folder.
    if MANIFEST_NAME not in names:
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST_NAME}" in names:
            prefix = next(iter(tops)) + "/"
            names = {n[len(prefix):]: i for n, i in names.items() if n.startswith(prefix)}
    if MANIFEST_NAME not in names:
        raise PackageError(_("Zip ini bukan paket SCORM: imsmanifest.xml tidak ada di akar paket."),
                           code="manifest_missing")
    sz = ScormZip(zf=zf, names=names, manifest=None, sha256=hashlib.sha256(data).hexdigest(),  # type: ignore[arg-type]
                  total_bytes=total)
    try:
        sz.manifest = parse_manifest(sz.read(MANIFEST_NAME))
    except ManifestError as exc:
        raise PackageError(exc.message, code=exc.code, details=[{"file": MANIFEST_NAME, "line": None,
                                                                "message": exc.message}]) from None
    missing = [i.href.split("?", 1)[0] for i in sz.manifest.launchable if i.href.split("?", 1)[0] not in names]
    if missing:
        raise PackageError(_("Berkas yang disebut imsmanifest.xml tidak ada di paket: %(f)s", f=", ".join(missing[:5])),
                           code="manifest_file_missing",
                           details=[{"file": m, "line": None, "message": _("Berkas tidak ada di paket.")} for m in missing])
    return sz
