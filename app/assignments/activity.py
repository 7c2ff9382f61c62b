"""The assignment activity type, plugged into the course engine's registry.

In a course package (COURSE_PACKAGE.md):

```yaml
- type: assignment
  title: Laporan aktualisasi
  description: <p>Tulis laporan …</p>      # the instructions (sanitised HTML)
  file: files/panduan-aktualisasi.pdf       # optional: a file with the instructions
  submission_types: [text, file]
  allowed_types: [pdf, docx]                # checked by content; empty = every known kind
  max_files: 3
  max_file_mb: 10
  due_at: 2027-03-01T23:59+07:00            # without an offset: WIB
  cutoff_at: 2027-03-08T23:59+07:00
  max_attempts: 0                           # 0 = reopen as often as needed
  require_statement: true
  grading: rubric                           # points | scale | rubric
  max_grade: 100                            # points; a scale's and a rubric's come from them
  pass_grade: 70
  scale: [Belum kompeten, Kompeten]         # grading: scale, lowest first
  rubric: rubrics/laporan-aktualisasi.yaml  # grading: rubric (format below)
  workplace_assessment: true                # the atasan assesses too
```

A rubric file: `title:` and `criteria:`, each criterion a `description:` and `levels:` of
`description:` and `points:`. Through the API, `rubric` may also be that mapping inline, or
`rubric_id` a rubric already saved.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activity_types import LABELS, ActivityType, register
from app.extensions import db

SETTING_KEYS = ("submission_types", "allowed_types", "max_files", "max_file_mb", "open_at", "due_at", "cutoff_at",
                "max_attempts", "require_statement", "grading", "max_grade", "pass_grade", "scale",
                "workplace_assessment")


def _title(spec: dict) -> str:
    return str(spec.get("title", ""))


def _rubric_data(spec: dict, reader, problems, where: str) -> dict | None:
    """The rubric named by the spec: a package file, an inline mapping, or None."""
    raw = spec.get("rubric")
    if raw is None:
        return None
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.lower().endswith((".yaml", ".yml")):
        problems.add(where, None, f"Tugas '{_title(spec)}': rubric harus berkas .yaml di paket atau objek rubrik.")
        return None
    if ".." in PurePosixPath(raw).parts or raw.startswith("/") or not reader.exists(raw):
        problems.add(raw, None, "Berkas rubrik tidak ada di paket.")
        return None
    try:
        data = yaml.safe_load(reader.read_text(raw))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(raw, mark.line + 1 if mark else None, "Rubrik bukan YAML yang valid.")
        return None
    if not isinstance(data, dict):
        problems.add(raw, None, "Rubrik harus pemetaan dengan title dan criteria.")
        return None
    return data


def _normalise_times(spec: dict) -> None:
    # YAML reads an unquoted timestamp as a datetime; activity settings are JSON, so keep text.
    for key in ("open_at", "due_at", "cutoff_at"):
        v = spec.get(key)
        if isinstance(v, datetime):
            spec[key] = v.isoformat(timespec="minutes")
        elif isinstance(v, date):
            spec[key] = v.isoformat()


def validate(spec: dict, reader, problems) -> None:
    from app.assignments.operations import check_rubric, clean_settings

    _normalise_times(spec)
    where = "course.yaml"
    _values, found = clean_settings({k: spec[k] for k in SETTING_KEYS if k in spec})
    for _field, message in found:
        problems.add(where, None, f"Tugas '{_title(spec)}': {message}")
    grading = spec.get("grading", "points")
    rubric_file = spec.get("rubric") if isinstance(spec.get("rubric"), str) else where
    data = _rubric_data(spec, reader, problems, where)
    if data is not None:
        for message in check_rubric(data.get("criteria")):
            problems.add(rubric_file, None, message)
        if not isinstance(data.get("title"), str) or not data["title"].strip():
            problems.add(rubric_file, None, "Rubrik perlu title.")
    elif grading == "rubric" and "rubric_id" not in spec:
        problems.add(where, None, f"Tugas '{_title(spec)}': grading rubric perlu rubric (berkas rubrik).")
    if "rubric_id" in spec and (isinstance(spec["rubric_id"], bool) or not isinstance(spec["rubric_id"], int)):
        problems.add(where, None, f"Tugas '{_title(spec)}': rubric_id harus bilangan bulat.")


def _find_same_rubric(data: dict, owner_id: int | None):
    """A re-import reuses the rubric it made before when nothing in it changed."""
    from app.assignments.models import Rubric
    from app.assignments.operations import rubric_as_data

    for r in db.session.scalars(select(Rubric).where(Rubric.title == str(data.get("title", "")).strip(),
                                                     Rubric.owner_id == owner_id)):
        if rubric_as_data(r) == _canonical(data):
            return r
    return None


def _canonical(data: dict) -> dict:
    from decimal import Decimal

    def num(v):
        d = Decimal(str(v))
        return int(d) if d == d.to_integral_value() else float(d)

    return {"title": str(data.get("title", "")).strip(), "criteria": [
        {"description": str(c["description"]).strip(),
         "levels": [{"description": str(lvl["description"]).strip(), "points": num(lvl["points"])}
                    for lvl in c["levels"]]} for c in data.get("criteria", [])]}


def apply(activity, spec: dict, reader) -> None:
    from app.assignments import operations as ops
    from app.assignments.models import Rubric
    from app.errors import NotFound

    assignment = ops.get_or_create_assignment(activity)
    rubric = None
    data = _rubric_data(spec, reader, _NoProblems(), "course.yaml")
    owner_id = activity.course.owner_id
    if data is not None:
        rubric = _find_same_rubric(data, owner_id)
        if rubric is None:
            owner = activity.course.owner
            rubric = ops.create_rubric(owner, str(data.get("title", "")), data["criteria"])
    elif isinstance(spec.get("rubric_id"), int):
        rubric = db.session.get(Rubric, spec["rubric_id"])
        if rubric is None:
            raise NotFound(f"Rubrik {spec['rubric_id']} tidak ada.", code="rubric_not_found")
    settings = {k: spec[k] for k in SETTING_KEYS if k in spec}
    ops.update_assignment(assignment, settings, rubric=rubric)
    if spec.get("instructions") and not activity.body:
        from app.courses.html import sanitize_html

        activity.body = sanitize_html(str(spec["instructions"]))
    if spec.get("file"):
        from app.courses.operations import store_activity_file

        data_bytes = reader.read_bytes(spec["file"])
        name = PurePosixPath(spec["file"]).name
        if activity.file_name != name or _stored(activity.file_key) != data_bytes:
            store_activity_file(activity, name, data_bytes)
    activity.settings = {}  # the Assignment row is the one place the settings live
    db.session.flush()


class _NoProblems:
    def add(self, *_args: Any) -> None:  # validate reported them already
        pass


def _stored(key: str | None) -> bytes | None:
    from app.storage import StorageError, get_storage

    if not key:
        return None
    try:
        return get_storage().read_bytes(key)
    except (StorageError, FileNotFoundError, OSError):
        return None


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "rubrik"


def export(activity, writer) -> dict:
    from app.assignments.operations import _plain, rubric_as_data, wib_iso

    a = _assignment(activity)
    entry: dict[str, Any] = {}
    if activity.file_key:
        rel = f"files/{activity.file_name or 'petunjuk'}"
        writer.write_from_storage(rel, activity.file_key)
        entry["file"] = rel
    if a is None:
        return entry
    entry["submission_types"] = list(a.submission_types)
    if a.allowed_types:
        entry["allowed_types"] = list(a.allowed_types)
    entry["max_files"] = a.max_files
    entry["max_file_mb"] = a.max_file_mb
    for key in ("open_at", "due_at", "cutoff_at"):
        if getattr(a, key) is not None:
            entry[key] = wib_iso(getattr(a, key))
    entry["max_attempts"] = a.max_attempts
    entry["require_statement"] = a.require_statement
    entry["grading"] = a.grading
    if a.grading == "points":
        entry["max_grade"] = _plain(a.max_grade)
    if a.pass_grade is not None:
        entry["pass_grade"] = _plain(a.pass_grade)
    if a.grading == "scale":
        entry["scale"] = list(a.scale)
    if a.rubric is not None and a.grading == "rubric":
        import hashlib

        text = yaml.safe_dump(rubric_as_data(a.rubric), sort_keys=False, allow_unicode=True, width=100)
        # Named by the title and the content, not by database ids: the same course exports the same
        # bytes on any site, and two assignments sharing a rubric share its file.
        rel = f"rubrics/{_slug(activity.title)}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.yaml"
        writer.write_text(rel, text)
        entry["rubric"] = rel
    entry["workplace_assessment"] = a.workplace_assessment
    return entry


def _assignment(activity):
    from app.assignments.models import Assignment

    return db.session.scalar(select(Assignment).where(Assignment.activity_id == activity.id))


def duplicate(source, new) -> None:
    from app.assignments.operations import get_or_create_assignment

    src = _assignment(source)
    if src is None:
        return
    a = get_or_create_assignment(new)
    for attr in ("submission_types", "allowed_types", "max_files", "max_file_mb", "open_at", "due_at", "cutoff_at",
                 "max_attempts", "require_statement", "grading", "max_grade", "pass_grade", "scale", "rubric_id",
                 "workplace_assessment"):
        setattr(a, attr, getattr(src, attr))
    new.file_key, new.file_name = source.file_key, source.file_name
    db.session.flush()


def meets_rule(activity, user) -> bool:
    """Complete when the learner's released grade reaches the pass grade (any grade without one)."""
    from app.assignments.models import Submission
    from app.assignments.operations import passes

    a = _assignment(activity)
    if a is None:
        return False
    grades = db.session.scalars(select(Submission.grade).where(
        Submission.assignment_id == a.id, Submission.user_id == user.id, Submission.marking_state == "released"))
    return any(passes(a, g) for g in grades)


def api_fields(activity) -> dict:
    from app.assignments.models import Assignment

    return {"assignment_id": db.session.scalar(select(Assignment.id).where(Assignment.activity_id == activity.id))}


def view_context(activity, user) -> dict:
    from app.assignments.queries import learner_view

    return learner_view(activity, user)


def edit_context(activity) -> dict:
    return {"assignment": _assignment(activity)}


LABELS["assignment"] = _l("Tugas")

register(ActivityType(
    name="assignment", label=LABELS["assignment"], completion="grade",
    template="assignments/_activity.html", view_context=view_context,
    edit_template="assignments/_activity_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export, duplicate=duplicate, meets_rule=meets_rule,
    api_fields=api_fields,
))
