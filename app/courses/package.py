"""Course packages (../shared/COURSE_PACKAGE.md): read a folder or a zip, check everything,
then write the course — or refuse the whole package with every problem named by file and line.

Import happens in two phases so that nothing of a bad package is saved:
1. `check_package()` parses course.yaml (line numbers kept for every entry), checks every file
   it names, the activity types, the competency codes (COMPETENCY_CHECKERS) and each module
   type's own `validate` hook. It writes nothing.
2. `import_package()` runs only when phase 1 found no problem: it creates or updates the course
   (same `code` → same course), stores files, and calls the module types' `apply` hooks.

`export_package()` writes a course back as a zip in the same format, so import → export →
import gives the same course.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.courses import operations as ops
from app.courses.activity_types import BUILTIN_TYPES, REGISTRY
from app.courses.html import markdown_to_html, sanitize_html
from app.courses.models import COURSE_MODES, Activity, ActivityCompletion, Course, Section
from app.errors import RuleViolation, TooLarge
from app.extensions import db

MANIFEST = "course.yaml"
DEFAULT_MAX_TOTAL_BYTES = 512 * 1024 * 1024  # uncompressed, all entries together
DEFAULT_MAX_RATIO = 200  # uncompressed / compressed, per entry (a zip bomb compresses far better)
DEFAULT_MAX_ENTRIES = 5000
RATIO_MIN_SIZE = 1024 * 1024  # small entries may compress well without harm
#: The keys of an activity entry the engine itself reads; anything else belongs to the type.
BASE_KEYS = {"type", "title", "file", "required", "visible", "description"}


class PackageRefused(RuleViolation):
    code = "package_refused"


@dataclass
class Problems:
    """Every problem of a package, with the file and line where it is."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, file: str | None, line: int | None, message: str) -> None:
        self.items.append({"file": file, "line": line, "message": str(message)})

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PackageRefused(
                _("Paket ditolak seluruhnya: %(n)d masalah. Tidak ada yang disimpan.", n=len(self.items)),
                details=self.items)


# --- readers ----------------------------------------------------------------------------------------------

def _safe_relpath(relpath: str) -> str | None:
    """A clean relative path inside the package, or None for anything escaping it."""
    if not relpath or "\\" in relpath or relpath.startswith("/") or re.match(r"^[A-Za-z]:", relpath):
        return None
    parts = PurePosixPath(relpath).parts
    if any(p in ("..", "") for p in parts):
        return None
    return str(PurePosixPath(*[p for p in parts if p != "."]))


class FolderReader:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()

    def _path(self, relpath: str) -> Path:
        clean = _safe_relpath(relpath)
        if clean is None:
            raise FileNotFoundError(relpath)
        path = (self.root / clean).resolve()
        if not path.is_relative_to(self.root):
            raise FileNotFoundError(relpath)  # a symlink pointing outside the package
        return path

    def exists(self, relpath: str) -> bool:
        try:
            return self._path(relpath).is_file()
        except FileNotFoundError:
            return False

    def read_bytes(self, relpath: str) -> bytes:
        return self._path(relpath).read_bytes()

    def read_text(self, relpath: str) -> str:
        return self.read_bytes(relpath).decode("utf-8")

    def local_path(self, relpath: str) -> str:
        return str(self._path(relpath))

    def close(self) -> None:
        pass


class ZipReader:
    """A zip checked before anything is read: no entry escaping the package, no zip bomb."""

    def __init__(self, data: bytes) -> None:
        cfg = current_app.config
        max_total = cfg.get("COURSE_PACKAGE_MAX_BYTES", DEFAULT_MAX_TOTAL_BYTES)
        max_ratio = cfg.get("COURSE_PACKAGE_MAX_RATIO", DEFAULT_MAX_RATIO)
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise PackageRefused(_("Berkas bukan zip yang valid."), code="bad_zip") from None
        if len(infos) > cfg.get("COURSE_PACKAGE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES):
            raise TooLarge(_("Paket memuat terlalu banyak berkas."), code="zip_too_many_entries")
        problems = Problems()
        total = 0
        names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            clean = _safe_relpath(info.filename.rstrip("/")) if not info.is_dir() else "dir"
            if clean is None:
                problems.add(info.filename, None, _("Jalur berkas di dalam zip tidak aman (absolut atau memuat ..)."))
                continue
            if info.is_dir():
                continue
            total += info.file_size
            if info.file_size >= RATIO_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
                problems.add(info.filename, None, _("Rasio kompresi mencurigakan (kemungkinan bom zip)."))
            names[clean] = info
        problems.raise_if_any()
        if total > max_total:
            raise TooLarge(_("Isi paket setelah diekstrak melebihi batas %(mb)d MB.", mb=max_total // (1024 * 1024)),
                           code="zip_too_large")
        # A package zipped together with its folder (literasi-digital/course.yaml) is read from that folder.
        self.prefix = ""
        if MANIFEST not in names:
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in names:
                self.prefix = next(iter(tops)) + "/"
        self.names = {n[len(self.prefix):]: i for n, i in names.items() if n.startswith(self.prefix)}
        self._tmp: str | None = None

    def exists(self, relpath: str) -> bool:
        clean = _safe_relpath(relpath)
        return clean is not None and clean in self.names

    def read_bytes(self, relpath: str) -> bytes:
        clean = _safe_relpath(relpath)
        if clean is None or clean not in self.names:
            raise FileNotFoundError(relpath)
        info = self.names[clean]
        with self.zf.open(info) as fh:
            data = fh.read(info.file_size + 1)  # never more than the header promised
        if len(data) > info.file_size:
            raise PackageRefused(_("Ukuran isi zip tidak sesuai header."), code="bad_zip")
        return data

    def read_text(self, relpath: str) -> str:
        return self.read_bytes(relpath).decode("utf-8")

    def local_path(self, relpath: str) -> str:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="lentera-pkg-")
        clean = _safe_relpath(relpath)
        if clean is None:
            raise FileNotFoundError(relpath)
        dest = Path(self._tmp) / clean
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.read_bytes(clean))
        return str(dest)

    def close(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


class UploadReader(FolderReader):
    """The files of one authoring request (multipart uploads), read as a package's files are.

    Each upload is saved to a temporary folder as `<form field>/<its own file name>`; `paths` maps
    each field to that relative path, which the request's spec then names (`"file": "file/soal.gift"`,
    `"package": "package/kursus.zip"`), as course.yaml names a package's files."""

    def __init__(self, uploads: dict[str, Any]) -> None:
        super().__init__(tempfile.mkdtemp(prefix="lentera-upload-"))
        self.paths: dict[str, str] = {}
        for field_name, storage in uploads.items():
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(storage.filename or "").name).strip("-.") or "berkas"
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", field_name):
                continue
            (self.root / field_name).mkdir()
            storage.save(str(self.root / field_name / name))  # streamed to disk, never held whole in memory
            self.paths[field_name] = f"{field_name}/{name}"

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def open_package(source: str | os.PathLike | bytes) -> FolderReader | ZipReader:
    """A reader for a folder, a zip file on disk, or zip bytes (an upload)."""
    if isinstance(source, bytes | bytearray):
        return ZipReader(bytes(source))
    path = Path(source)
    if path.is_dir():
        return FolderReader(path)
    if path.is_file():
        return ZipReader(path.read_bytes())
    raise PackageRefused(_("Paket tidak ditemukan: %(p)s", p=str(source)), code="package_missing")


# --- course.yaml with line numbers ---------------------------------------------------------------------

class _LineLoader(yaml.SafeLoader):
    """SafeLoader that also refuses anchors and aliases (`&a`, `*a`, `<<: *a`).

    A course.yaml has no use for them, and a few lines of nested aliases ("billion laughs")
    expand to gigabytes while the import holds the database's write lock. They are refused
    while the document is composed, before anything is expanded, with the line they are on.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, _("anchor (&) dan alias (*) YAML tidak diizinkan di course.yaml; tulis nilainya langsung"),
                event.start_mark)
        return super().compose_node(parent, index)


def load_manifest(text: str) -> Any:
    """course.yaml as data, with `__line__` on every mapping (anchors and aliases refused)."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


@dataclass
class ActivitySpec:
    section_index: int
    type: str
    title: str
    spec: dict  # the entry as written (without line markers)
    line: int


@dataclass
class PackagePlan:
    """What a package holds once it passed every check."""

    manifest: dict
    sections: list[tuple[str, str, list[ActivitySpec]]]  # (title, summary, activities)
    competencies: list[tuple[str, int]]
    lessons: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # id(spec) -> (html, markdown)


def _bool_field(data: dict, key: str, default: bool, problems: Problems, line: int | None) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(MANIFEST, line, _("%(k)s harus true atau false.", k=key))
        return default
    return value


def check_package(reader) -> PackagePlan:
    """Every check of phase 1; raises PackageRefused listing every problem. Writes nothing."""
    problems = Problems()
    if not reader.exists(MANIFEST):
        problems.add(MANIFEST, None, _("Berkas course.yaml tidak ada di akar paket."))
        problems.raise_if_any()
    try:
        raw = load_manifest(reader.read_text(MANIFEST))
    except UnicodeDecodeError:
        problems.add(MANIFEST, None, _("course.yaml harus ditulis dalam UTF-8."))
        problems.raise_if_any()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problems.add(MANIFEST, mark.line + 1 if mark else None,
                     _("YAML tidak valid: %(e)s", e=getattr(exc, "problem", None) or str(exc)))
        problems.raise_if_any()
    if not isinstance(raw, dict):
        problems.add(MANIFEST, 1, _("course.yaml harus berupa pemetaan (kunci: nilai)."))
        problems.raise_if_any()
    top = raw.get("__line__", 1)

    def line_of(key: str) -> int:
        return _key_line(reader, key) or top

    code = raw.get("code")
    if not isinstance(code, str) or not ops.CODE_RE.match(code):
        problems.add(MANIFEST, line_of("code"), _("code wajib diisi: huruf, angka, titik, garis bawah, tanda hubung."))
    if not isinstance(raw.get("title"), str) or not raw["title"].strip():
        problems.add(MANIFEST, line_of("title"), _("title wajib diisi."))
    elif len(raw["title"].strip()) > ops.TITLE_MAX:
        problems.add(MANIFEST, line_of("title"), _("title paling panjang %(max)d karakter (ini %(n)d).",
                                                   max=ops.TITLE_MAX, n=len(raw["title"].strip())))
    if "summary" in raw and not isinstance(raw["summary"], str):
        problems.add(MANIFEST, line_of("summary"), _("summary harus berupa teks."))
    try:
        jp = ops.parse_jp(raw.get("jp", 0))
        if isinstance(raw.get("jp"), bool):
            raise RuleViolation("")
    except RuleViolation:
        problems.add(MANIFEST, line_of("jp"), _("jp harus berupa angka 0 atau lebih, mis. 4 atau 2.5."))
        jp = Decimal(0)
    if raw.get("mode", "online") not in COURSE_MODES:
        problems.add(MANIFEST, line_of("mode"), _("mode harus online, classroom atau blended."))
    for key in ("self_enrol", "certificate", "published"):
        _bool_field(raw, key, key == "published", problems, line_of(key))
    if raw.get("training_type") is not None and raw.get("training_type") not in ops.TRAINING_TYPES:
        problems.add(MANIFEST, line_of("training_type"),
                     _("training_type tidak dikenal; pilih: %(t)s", t=", ".join(ops.TRAINING_TYPES)))
    for key in ("start_date", "end_date"):
        if raw.get(key) is not None and not isinstance(raw.get(key), date):
            problems.add(MANIFEST, line_of(key), _("%(k)s harus berformat YYYY-MM-DD.", k=key))

    competencies: list[tuple[str, int]] = []
    comps = raw.get("competencies", []) or []
    if not isinstance(comps, list):
        problems.add(MANIFEST, line_of("competencies"), _("competencies harus berupa daftar."))
        comps = []
    comp_lines: dict[str, int] = {}
    for item in comps:
        line = item.get("__line__") if isinstance(item, dict) else line_of("competencies")
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            problems.add(MANIFEST, line, _("Setiap kompetensi perlu code dan level."))
            continue
        c = item["code"].strip().upper()
        level = item.get("level", 1)
        if not ops.COMPETENCY_RE.match(c):
            problems.add(MANIFEST, line, _("Kode kompetensi tidak valid: %(c)s", c=c))
            continue
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            problems.add(MANIFEST, line, _("Level kompetensi %(c)s harus 1 sampai 5.", c=c))
            continue
        competencies.append((c, level))
        comp_lines[c] = line
    for c in sorted(ops.check_competency_codes([c for c, _lvl in competencies])):
        problems.add(MANIFEST, comp_lines.get(c), _("Kode kompetensi tidak ada di kamus kompetensi: %(c)s", c=c))

    plan = PackagePlan(manifest=_strip_lines(raw), sections=[], competencies=competencies)
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.add(MANIFEST, line_of("sections"), _("sections wajib berupa daftar bagian yang tidak kosong."))
        sections = []
    for si, sec in enumerate(sections):
        if not isinstance(sec, dict):
            problems.add(MANIFEST, top, _("Bagian ke-%(n)d harus berupa pemetaan.", n=si + 1))
            continue
        sline = sec.get("__line__")
        title = sec.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.add(MANIFEST, sline, _("Bagian ke-%(n)d tidak punya title.", n=si + 1))
            title = ""
        elif len(title.strip()) > ops.TITLE_MAX:
            problems.add(MANIFEST, sline, _("Judul bagian ke-%(n)d paling panjang %(max)d karakter (ini %(l)d).",
                                            n=si + 1, max=ops.TITLE_MAX, l=len(title.strip())))
        acts = sec.get("activities", []) or []
        if not isinstance(acts, list):
            problems.add(MANIFEST, sline, _("activities harus berupa daftar."))
            acts = []
        specs = []
        for entry in acts:
            if not isinstance(entry, dict):
                problems.add(MANIFEST, sline, _("Setiap aktivitas harus berupa pemetaan."))
                continue
            spec = _check_activity(entry, reader, problems, plan)
            if spec is not None:
                specs.append(ActivitySpec(si, spec["type"], spec["title"], spec, entry["__line__"]))
        summary = sec.get("summary", "") or ""
        plan.sections.append((title.strip(), summary if isinstance(summary, str) else "", specs))
    problems.raise_if_any()
    plan.manifest["jp"] = jp
    return plan


def _key_line(reader, key: str) -> int | None:
    """The line of a top-level key in course.yaml (for problems about scalar values)."""
    try:
        text = reader.read_text(MANIFEST)
    except (UnicodeDecodeError, FileNotFoundError):
        return None
    for n, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return n
    return None


def _check_activity(entry: dict, reader, problems: Problems, plan: PackagePlan) -> dict | None:
    line = entry["__line__"]
    spec = _strip_lines(entry)
    type_name = spec.get("type")
    title = spec.get("title")
    ok = True
    if not isinstance(title, str) or not title.strip():
        problems.add(MANIFEST, line, _("Aktivitas tanpa title."))
        ok = False
    elif len(title.strip()) > ops.TITLE_MAX:
        problems.add(MANIFEST, line, _("Judul aktivitas paling panjang %(max)d karakter (ini %(n)d).",
                                       max=ops.TITLE_MAX, n=len(title.strip())))
        ok = False
    t = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if t is None:
        problems.add(MANIFEST, line, _("Jenis aktivitas tidak dikenal: %(t)s", t=type_name))
        return None
    for key in ("required", "visible"):
        if key in spec and not isinstance(spec[key], bool):
            problems.add(MANIFEST, line, _("%(k)s harus true atau false.", k=key))
            ok = False
    rel = spec.get("file")
    if rel is not None:
        if not isinstance(rel, str) or _safe_relpath(rel) is None:
            problems.add(MANIFEST, line, _("Jalur berkas tidak aman atau tidak valid: %(f)s", f=rel))
            return None
        if not reader.exists(rel):
            problems.add(rel, None, _("Berkas tidak ada di paket (disebut di course.yaml baris %(l)d).", l=line))
            ok = False
    if type_name == "lesson":
        if rel is None and not isinstance(spec.get("body"), str):
            problems.add(MANIFEST, line, _("Materi perlu file (.md atau .html) atau body."))
            ok = False
        elif rel is not None and ok:
            if not rel.lower().endswith((".md", ".markdown", ".html", ".htm")):
                problems.add(rel, None, _("Materi harus berkas .md atau .html."))
                ok = False
            else:
                try:
                    text = reader.read_text(rel)
                except UnicodeDecodeError:
                    problems.add(rel, None, _("Berkas materi harus UTF-8."))
                    return None
                if rel.lower().endswith((".md", ".markdown")):
                    plan.lessons[id(spec)] = (markdown_to_html(text), text)
                else:
                    plan.lessons[id(spec)] = (sanitize_html(text), None)
        elif ok:
            plan.lessons[id(spec)] = (markdown_to_html(spec["body"]), spec["body"])
    elif type_name == "file":
        if rel is None:
            problems.add(MANIFEST, line, _("Aktivitas berkas perlu file."))
            ok = False
    elif type_name == "link":
        if not isinstance(spec.get("url"), str) or not re.match(r"^https?://\S+$", spec["url"]):
            problems.add(MANIFEST, line, _("Tautan perlu url yang diawali http:// atau https://."))
            ok = False
    elif type_name == "classroom":
        minutes = spec.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            problems.add(MANIFEST, line, _("Sesi tatap muka perlu minutes (bilangan bulat menit > 0)."))
            ok = False
        when = spec.get("date")
        if when is not None:
            if isinstance(when, datetime | date):
                spec["date"] = when.isoformat(timespec="minutes") if isinstance(when, datetime) else when.isoformat()
            else:
                try:
                    datetime.fromisoformat(str(when))
                except ValueError:
                    problems.add(MANIFEST, line, _("date harus berformat YYYY-MM-DD atau YYYY-MM-DDTHH:MM."))
                    ok = False
    elif t.validate is not None:
        before = len(problems.items)
        t.validate(spec, reader, problems)
        ok = ok and len(problems.items) == before
    return spec if ok else None


# --- import -------------------------------------------------------------------------------------------

def import_package(source, owner: User | None, *, editor: User | None = None) -> tuple[Course, bool]:
    """Check, then create or update the course the package describes. Answers (course, created).

    `editor`, when given, must be allowed to edit an existing course of the same code.
    """
    reader = open_package(source)
    try:
        plan = check_package(reader)
        m = plan.manifest
        course = db.session.scalar(select(Course).where(Course.code == m["code"]))
        created = course is None
        if course is not None and editor is not None:
            from app.courses.queries import can_edit

            if not can_edit(editor, course):
                raise PackageRefused(_("Kursus dengan kode %(c)s sudah ada dan Anda bukan instrukturnya.", c=m["code"]),
                                     code="not_course_instructor", status=403)
        fields = dict(title=m["title"], summary=m.get("summary", "") or "", jp=m["jp"], mode=m.get("mode", "online"),
                      self_enrol=m.get("self_enrol", False), certificate=m.get("certificate", False),
                      published=m.get("published", True), organiser=m.get("organiser"),
                      training_type=m.get("training_type"), start_date=m.get("start_date"), end_date=m.get("end_date"))
        if created:
            course = ops.create_course(owner, code=m["code"], competencies=plan.competencies, **fields)
        else:
            ops.update_course(course, competencies=plan.competencies, **fields)
        _apply_structure(course, plan, reader)
        db.session.flush()
        ops.recompute_completions(course)
        return course, created
    finally:
        reader.close()


def add_activity_from_spec(section: Section, spec: dict, reader) -> Activity:
    """One activity at the end of `section`, made from an entry written as in course.yaml: the same
    checks and the same type hooks as a package import (the API's authoring route)."""
    problems = Problems()
    plan = PackagePlan(manifest={}, sections=[], competencies=[])
    checked = _check_activity({**spec, "__line__": None}, reader, problems, plan)
    if problems or checked is None:
        raise RuleViolation(_("Aktivitas ditolak: %(n)d masalah. Tidak ada yang disimpan.", n=max(len(problems.items), 1)),
                            code="invalid_activity", details=problems.items)
    position = db.session.scalar(select(func.coalesce(func.max(Activity.position), -1)).where(
        Activity.section_id == section.id)) + 1
    activity = Activity(course=section.course, section=section, type=checked["type"], title=checked["title"],
                        settings={}, position=position)
    db.session.add(activity)
    _fill_activity(activity, ActivitySpec(0, checked["type"], checked["title"], checked, 0), plan, reader)
    db.session.flush()
    t = REGISTRY[activity.type]
    if activity.type not in BUILTIN_TYPES and t.apply is not None:
        t.apply(activity, checked, reader)
    db.session.flush()
    ops.recompute_completions(section.course)
    return activity


def _apply_structure(course: Course, plan: PackagePlan, reader) -> None:
    """Match existing sections by title and activities by (type, title), so that a re-import keeps
    learners' completions; what the package no longer has is deleted, or hidden if someone completed it."""
    existing_sections = {s.title: s for s in course.sections}
    existing_acts: dict[tuple[str, str], list[Activity]] = {}
    for s in course.sections:
        for a in s.activities:
            existing_acts.setdefault((a.type, a.title), []).append(a)
    kept_sections: set[int] = set()
    kept_acts: set[int] = set()
    new_pairs: list[tuple[Activity, ActivitySpec]] = []
    for position, (title, summary, specs) in enumerate(plan.sections):
        section = existing_sections.pop(title, None)
        if section is None:
            section = Section(course=course, title=title, position=position)
            db.session.add(section)
        section.position, section.summary, section.visible = position, sanitize_html(summary), True
        db.session.flush()
        kept_sections.add(section.id)
        for apos, aspec in enumerate(specs):
            candidates = existing_acts.get((aspec.type, aspec.title)) or []
            activity = candidates.pop(0) if candidates else None
            if activity is None:
                activity = Activity(course=course, section=section, type=aspec.type, title=aspec.title, settings={})
                db.session.add(activity)
            activity.section = section
            activity.position = apos
            _fill_activity(activity, aspec, plan, reader)
            db.session.flush()
            kept_acts.add(activity.id)
            new_pairs.append((activity, aspec))
    # What the package no longer holds.
    for s in list(course.sections):
        for a in list(s.activities):
            if a.id in kept_acts:
                continue
            has_done = db.session.scalar(select(func.count()).select_from(ActivityCompletion)
                                         .where(ActivityCompletion.activity_id == a.id))
            if has_done:
                a.visible = False
            else:
                s.activities.remove(a)
                db.session.delete(a)
        if s.id not in kept_sections:
            if s.activities:
                s.visible = False
                s.position = len(plan.sections) + s.position
            else:
                course.sections.remove(s)
                db.session.delete(s)
    db.session.flush()
    for activity, aspec in new_pairs:
        t = REGISTRY[activity.type]
        if activity.type not in BUILTIN_TYPES and t.apply is not None:
            t.apply(activity, aspec.spec, reader)
    db.session.flush()


def _fill_activity(activity: Activity, aspec: ActivitySpec, plan: PackagePlan, reader) -> None:
    spec = aspec.spec
    activity.title = aspec.title.strip()
    activity.required = spec.get("required", True)
    activity.visible = spec.get("visible", True)
    extra = {k: v for k, v in spec.items() if k not in BASE_KEYS}
    if activity.type == "lesson":
        html, source = plan.lessons[id(spec)]
        activity.body = html
        extra.pop("body", None)
        settings = {"markdown": source} if source is not None else {}
        if spec.get("file"):
            settings["source_file"] = spec["file"]
        activity.settings = settings
    else:
        activity.body = sanitize_html(spec.get("description", "") or "")
        if activity.type == "classroom":
            extra = {"minutes": spec["minutes"], "date": str(spec.get("date") or ""), "place": spec.get("place", "") or ""}
        activity.settings = extra
        if activity.type == "file":
            data = reader.read_bytes(spec["file"])
            name = PurePosixPath(spec["file"]).name
            if activity.id is None:
                db.session.flush()
            if activity.file_key is None or activity.file_name != name or _stored(activity.file_key) != data:
                ops.store_activity_file(activity, name, data)


def _stored(key: str) -> bytes | None:
    from app.storage import StorageError, get_storage

    try:
        return get_storage().read_bytes(key)
    except (StorageError, FileNotFoundError, OSError):
        return None


# --- export -------------------------------------------------------------------------------------------

class ZipWriter:
    def __init__(self, root: str = "") -> None:
        self.buffer = io.BytesIO()
        self.zf = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)
        self.root = root.strip("/") + "/" if root else ""

    def write_bytes(self, relpath: str, data: bytes) -> None:
        clean = _safe_relpath(relpath)
        if clean is None:
            raise ValueError(relpath)
        info = zipfile.ZipInfo(self.root + clean, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible archives
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, data)

    def write_text(self, relpath: str, text: str) -> None:
        self.write_bytes(relpath, text.encode("utf-8"))

    def write_from_storage(self, relpath: str, storage_key: str) -> None:
        from app.storage import get_storage

        self.write_bytes(relpath, get_storage().read_bytes(storage_key))

    def close(self) -> bytes:
        self.zf.close()
        return self.buffer.getvalue()


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:40] or "aktivitas"


def _unique(path: str, used: set[str]) -> str:
    stem, dot, ext = path.rpartition(".")
    candidate, n = path, 2
    while candidate in used:
        candidate = f"{stem}-{n}{dot}{ext}"
        n += 1
    used.add(candidate)
    return candidate


def export_package(course: Course) -> bytes:
    """The course as a package zip (course.yaml + lessons/ + files/ + module files)."""
    writer = ZipWriter()
    used: set[str] = set()
    manifest: dict[str, Any] = {"code": course.code, "title": course.title, "summary": course.summary or "",
                                "jp": _number(course.jp), "mode": course.mode, "self_enrol": course.self_enrol,
                                "certificate": course.certificate, "published": course.published}
    if course.organiser:
        manifest["organiser"] = course.organiser
    if course.training_type:
        manifest["training_type"] = course.training_type
    if course.start_date:
        manifest["start_date"] = course.start_date
    if course.end_date:
        manifest["end_date"] = course.end_date
    manifest["competencies"] = [{"code": c.code, "level": c.level} for c in sorted(course.competencies, key=lambda c: c.code)]
    sections = []
    n = 0
    for section in sorted(course.sections, key=lambda s: (s.position, s.id)):
        entries = []
        for a in sorted(section.activities, key=lambda a: (a.position, a.id)):
            n += 1
            entry: dict[str, Any] = {"type": a.type, "title": a.title}
            if a.type == "lesson":
                settings = a.settings or {}
                if settings.get("markdown") is not None:
                    path = _unique(settings.get("source_file") or f"lessons/{n:02d}-{_slug(a.title)}.md", used)
                    writer.write_text(path, settings["markdown"])
                else:
                    path = _unique(f"lessons/{n:02d}-{_slug(a.title)}.html", used)
                    writer.write_text(path, a.body)
                entry["file"] = path
            else:
                if a.body:
                    entry["description"] = a.body
                if a.type == "file" and a.file_key:
                    path = _unique(f"files/{a.file_name or _slug(a.title)}", used)
                    writer.write_from_storage(path, a.file_key)
                    entry["file"] = path
                t = REGISTRY.get(a.type)
                if a.type not in BUILTIN_TYPES and t is not None and t.export is not None:
                    entry.update(t.export(a, writer))
                else:
                    entry.update({k: v for k, v in (a.settings or {}).items() if k not in entry and v not in ("", None)})
            if not a.required:
                entry["required"] = False
            if not a.visible:
                entry["visible"] = False
            entries.append(entry)
        sec: dict[str, Any] = {"title": section.title}
        if section.summary:
            sec["summary"] = section.summary
        sec["activities"] = entries
        sections.append(sec)
    manifest["sections"] = sections
    writer.write_text(MANIFEST, yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100))
    return writer.close()


def _number(value: Decimal) -> int | float:
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(d)  # YAML has no decimal type; JP have 2 places
