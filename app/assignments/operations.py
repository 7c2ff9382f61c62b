"""Every state change of assignments: settings, drafts, files, submitting, grading, releasing,
reopening, extensions, rubrics and the workplace assessment.

Times: stored in UTC. A time given without an offset (a form's datetime-local, a package's
`2027-03-01 23:59`) is read in WIB, the server's zone for deadlines; the person sees them in
their own zone. The late and cut-off rules are judged here, on the server, never in the browser.

A refused change writes nothing: an upload that is too large or of the wrong type is refused
before anything is stored, and the earlier draft and its files stay as they were.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User, utcnow
from app.assignments import filetypes
from app.assignments.models import (
    GRADING_METHODS,
    SUBMISSION_TYPES,
    Assignment,
    Extension,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Submission,
    SubmissionFile,
)
from app.courses.html import sanitize_html
from app.courses.models import Activity, Enrolment
from app.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation, TooLarge
from app.extensions import db

WIB = ZoneInfo("Asia/Jakarta")
MAX_TEXT_CHARS = 200_000
MAX_FILE_MB_LIMIT = 100
MAX_FILES_LIMIT = 20
DEFAULT_SCALE = ["Belum kompeten", "Kompeten"]


# --- time ------------------------------------------------------------------------------------

def parse_when(value: Any, field: str) -> datetime | None:
    """A deadline as naive UTC. Accepts ISO 8601 text (with or without offset; without = WIB),
    a datetime (naive = WIB), or a date (the end of that day in WIB). Empty -> None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(23, 59))
    elif isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                dt = datetime.combine(date.fromisoformat(text), time(23, 59))
            else:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise RuleViolation(_("%(f)s harus berupa waktu ISO 8601, mis. 2027-03-01T23:59+07:00.", f=field),
                                code="invalid_time", details=[{"field": field, "message": _("format waktu salah")}]) \
                from None
    else:
        raise RuleViolation(_("%(f)s harus berupa waktu ISO 8601, mis. 2027-03-01T23:59+07:00.", f=field),
                            code="invalid_time", details=[{"field": field, "message": _("format waktu salah")}])
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=WIB)
    return dt.astimezone(UTC).replace(tzinfo=None)


def wib_iso(dt: datetime | None) -> str | None:
    """A stored UTC time written in WIB with its offset (what packages and the API give back)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(WIB).isoformat(timespec="minutes")


# --- settings --------------------------------------------------------------------------------

def _decimal(value: Any, field: str, *, lo: Decimal = Decimal(0), hi: Decimal | None = None) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    try:
        d = Decimal(str(value).replace(",", ".")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not d.is_finite() or d < lo or (hi is not None and d > hi) or d != d.quantize(Decimal("0.01")):
        raise ValueError
    return d


def clean_settings(spec: dict, *, current: Assignment | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """The settings named in `spec`, checked. Returns (clean values, [(field, message)]).

    Only keys present in `spec` are returned, so a partial update keeps the rest."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []

    def bad(field: str, message: str) -> None:
        problems.append((field, message))

    if "submission_types" in spec:
        types = spec["submission_types"]
        if isinstance(types, str):
            types = [t.strip() for t in types.split(",") if t.strip()]
        if not isinstance(types, list) or not types or any(t not in SUBMISSION_TYPES for t in types):
            bad("submission_types", _("submission_types harus berisi text, file, atau keduanya."))
        else:
            out["submission_types"] = [t for t in SUBMISSION_TYPES if t in types]
    if "allowed_types" in spec:
        kinds = spec["allowed_types"] or []
        if isinstance(kinds, str):
            kinds = [k.strip().lower().lstrip(".") for k in kinds.split(",") if k.strip()]
        if not isinstance(kinds, list) or any(not isinstance(k, str) for k in kinds):
            bad("allowed_types", _("allowed_types harus daftar jenis berkas, mis. [pdf, docx]."))
        else:
            kinds = ["jpg" if k.lower().lstrip(".") == "jpeg" else k.lower().lstrip(".") for k in kinds]
            unknown = [k for k in kinds if k not in filetypes.KINDS]
            if unknown:
                bad("allowed_types", _("Jenis berkas tidak dikenal: %(k)s. Pilihan: %(all)s.",
                                       k=", ".join(unknown), all=", ".join(filetypes.KINDS)))
            else:
                out["allowed_types"] = list(dict.fromkeys(kinds))
    for key, lo, hi in (("max_files", 1, MAX_FILES_LIMIT), ("max_file_mb", 1, MAX_FILE_MB_LIMIT),
                        ("max_attempts", 0, 100)):
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                bad(key, _("%(k)s harus bilangan bulat %(lo)d sampai %(hi)d.", k=key, lo=lo, hi=hi))
            else:
                out[key] = v
    for key in ("open_at", "due_at", "cutoff_at"):
        if key in spec:
            try:
                out[key] = parse_when(spec[key], key)
            except RuleViolation as exc:
                bad(key, exc.message)
    for key in ("require_statement", "workplace_assessment"):
        if key in spec:
            if not isinstance(spec[key], bool):
                bad(key, _("%(k)s harus true atau false.", k=key))
            else:
                out[key] = spec[key]
    if "grading" in spec:
        if spec["grading"] not in GRADING_METHODS:
            bad("grading", _("grading harus points, scale atau rubric."))
        else:
            out["grading"] = spec["grading"]
    grading = out.get("grading", current.grading if current else "points")
    if "scale" in spec:
        scale = spec["scale"]
        if isinstance(scale, str):
            scale = [s.strip() for s in scale.splitlines() if s.strip()]
        if not isinstance(scale, list) or len(scale) < 2 or any(not isinstance(s, str) or not s.strip() for s in scale):
            bad("scale", _("Skala perlu paling sedikit dua tingkat bernama, dari terendah."))
        elif any(len(s) > 100 for s in scale):
            bad("scale", _("Nama tingkat skala paling panjang 100 karakter."))
        else:
            out["scale"] = [s.strip() for s in scale]
    if grading == "scale":
        scale = out.get("scale") or (current.scale if current and current.scale else DEFAULT_SCALE)
        out.setdefault("scale", scale)
        out["max_grade"] = Decimal(len(scale))
    elif "max_grade" in spec:
        try:
            out["max_grade"] = _decimal(spec["max_grade"], "max_grade", lo=Decimal("0.01"), hi=Decimal(10000))
        except ValueError:
            bad("max_grade", _("max_grade harus angka lebih dari 0 (paling banyak 10000, dua desimal)."))
    if "pass_grade" in spec:
        if spec["pass_grade"] in (None, ""):
            out["pass_grade"] = None
        else:
            top = out.get("max_grade", current.max_grade if current else Decimal(100))
            try:
                out["pass_grade"] = _decimal(spec["pass_grade"], "pass_grade", hi=top if grading != "rubric" else None)
            except ValueError:
                bad("pass_grade", _("pass_grade harus angka 0 sampai %(m)s.", m=_num(top)))
    opened = out.get("open_at", current.open_at if current else None)
    due = out.get("due_at", current.due_at if current else None)
    cutoff = out.get("cutoff_at", current.cutoff_at if current else None)
    if due and cutoff and cutoff < due:
        bad("cutoff_at", _("Batas akhir (cutoff_at) tidak boleh sebelum tenggat (due_at)."))
    if opened and due and due < opened:
        bad("due_at", _("Tenggat (due_at) tidak boleh sebelum waktu dibuka (open_at)."))
    return out, problems


def _num(d: Decimal | None) -> str:
    if d is None:
        return ""
    return f"{d:f}".rstrip("0").rstrip(".") if "." in f"{d:f}" else f"{d:f}"


def get_or_create_assignment(activity: Activity) -> Assignment:
    a = db.session.scalar(select(Assignment).where(Assignment.activity_id == activity.id))
    if a is None:
        a = Assignment(activity_id=activity.id, course_id=activity.course_id, submission_types=["text", "file"],
                       allowed_types=[], max_files=3, max_file_mb=10, max_attempts=0, require_statement=False,
                       grading="points", max_grade=Decimal(100), scale=[], workplace_assessment=False)
        db.session.add(a)
        db.session.flush()
    return a


def update_assignment(assignment: Assignment, spec: dict, *, rubric: Rubric | None = None) -> Assignment:
    """Change settings (only the keys given). Every problem is reported at once, nothing saved."""
    values, problems = clean_settings(spec, current=assignment)
    if values.get("grading", assignment.grading) == "rubric":
        rubric = rubric or assignment.rubric
        if rubric is None:
            problems.append(("rubric", _("Penilaian dengan rubrik perlu rubrik yang dipilih.")))
    if problems:
        raise RuleViolation(_("Pengaturan tugas tidak valid: %(p)s", p="; ".join(m for _f, m in problems)),
                            code="invalid_assignment", details=[{"field": f, "message": m} for f, m in problems])
    for key, value in values.items():
        setattr(assignment, key, value)
    if assignment.grading == "rubric" and rubric is not None:
        assignment.rubric = rubric
        assignment.max_grade = rubric_max(rubric)
    db.session.flush()
    from app.courses.operations import recompute_completions

    recompute_completions(assignment.activity.course)  # a lower pass mark may complete someone
    return assignment


# --- rubrics ---------------------------------------------------------------------------------

def check_rubric(criteria: Any) -> list[str]:
    """Problems of a rubric given as [{"description", "levels": [{"description", "points"}]}]."""
    problems: list[str] = []
    if not isinstance(criteria, list) or not criteria:
        return [_("Rubrik perlu paling sedikit satu kriteria.")]
    for i, c in enumerate(criteria, start=1):
        if not isinstance(c, dict) or not isinstance(c.get("description"), str) or not c["description"].strip():
            problems.append(_("Kriteria %(n)d perlu deskripsi.", n=i))
            continue
        levels = c.get("levels")
        if not isinstance(levels, list) or not levels:
            problems.append(_("Kriteria %(n)d (%(d)s) tidak punya tingkat: tambahkan paling sedikit satu tingkat "
                              "dengan poin.", n=i, d=c["description"].strip()[:60]))
            continue
        for j, lvl in enumerate(levels, start=1):
            if not isinstance(lvl, dict) or not isinstance(lvl.get("description"), str) or \
                    not lvl["description"].strip():
                problems.append(_("Kriteria %(n)d, tingkat %(m)d perlu deskripsi.", n=i, m=j))
                continue
            try:
                _decimal(lvl.get("points"), "points", hi=Decimal(10000))
            except ValueError:
                problems.append(_("Kriteria %(n)d, tingkat %(m)d: poin harus angka 0 atau lebih.", n=i, m=j))
    return problems


def create_rubric(owner: User | None, title: str, criteria: list[dict]) -> Rubric:
    title = (title or "").strip()
    problems = ([] if title else [_("Rubrik perlu judul.")]) + check_rubric(criteria)
    if problems:
        raise RuleViolation(_("Rubrik tidak valid: %(p)s", p="; ".join(problems)), code="invalid_rubric",
                            details=[{"field": "rubric", "message": p} for p in problems])
    rubric = Rubric(title=title[:250], owner_id=owner.id if owner else None)
    for i, c in enumerate(criteria):
        crit = RubricCriterion(position=i, description=c["description"].strip())
        for j, lvl in enumerate(c["levels"]):
            crit.levels.append(RubricLevel(position=j, description=lvl["description"].strip(),
                                           points=_decimal(lvl["points"], "points")))
        rubric.criteria.append(crit)
    db.session.add(rubric)
    db.session.flush()
    return rubric


def rubric_max(rubric: Rubric) -> Decimal:
    return sum((max((lvl.points for lvl in c.levels), default=Decimal(0)) for c in rubric.criteria), Decimal(0))


def rubric_as_data(rubric: Rubric) -> dict:
    return {"title": rubric.title, "criteria": [
        {"description": c.description,
         "levels": [{"description": lvl.description, "points": _plain(lvl.points)} for lvl in c.levels]}
        for c in rubric.criteria]}


def _plain(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def use_rubric(assignment: Assignment, rubric: Rubric, by: User) -> None:
    """Grade this assignment with `rubric` (the author's own, or one already used in this course)."""
    if rubric.owner_id not in (None, by.id) and not by.has_role("admin") and not db.session.scalar(
            select(Assignment.id).where(Assignment.rubric_id == rubric.id, Assignment.course_id == assignment.course_id)):
        raise Forbidden(_("Rubrik ini milik pengajar lain."), code="rubric_not_yours")
    update_assignment(assignment, {"grading": "rubric"}, rubric=rubric)


# --- learners' work ----------------------------------------------------------------------------

def effective_dates(assignment: Assignment, user: User) -> tuple[datetime | None, datetime | None]:
    """(due, cut-off) for this person: their extension when one was granted."""
    ext = db.session.scalar(select(Extension).where(Extension.assignment_id == assignment.id,
                                                    Extension.user_id == user.id))
    if ext is not None:
        return ext.due_at, ext.cutoff_at if ext.cutoff_at is not None else (
            max(ext.due_at, assignment.cutoff_at) if assignment.cutoff_at else None)
    return assignment.due_at, assignment.cutoff_at


def latest_submission(assignment: Assignment, user: User) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.assignment_id == assignment.id,
                                                      Submission.user_id == user.id, Submission.latest.is_(True)))


def _enrolled(assignment: Assignment, user: User) -> None:
    if db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == assignment.course_id,
                                                    Enrolment.user_id == user.id)) is None:
        raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    act = assignment.activity
    if not act.visible or not act.section.visible:
        raise NotFound(_("Tugas tidak ditemukan."), code="assignment_not_found")


def _editable(assignment: Assignment, user: User, now: datetime | None = None) -> Submission:
    """The learner's current attempt, created when needed, refusing changes that the rules forbid."""
    _enrolled(assignment, user)
    now = now or utcnow()
    if assignment.open_at and now < assignment.open_at:
        raise Conflict(_("Tugas baru dibuka %(t)s WIB.", t=_wib_text(assignment.open_at)), code="not_open")
    _due, cutoff = effective_dates(assignment, user)
    if cutoff and now > cutoff:
        raise Conflict(_("Batas akhir pengumpulan (%(t)s WIB) sudah lewat; tugas tidak bisa diubah lagi.",
                         t=_wib_text(cutoff)), code="after_cutoff")
    sub = latest_submission(assignment, user)
    if sub is None:
        sub = Submission(assignment_id=assignment.id, user_id=user.id, attempt=1, latest=True, status="new")
        db.session.add(sub)
        db.session.flush()
    if sub.status == "submitted":
        raise Conflict(_("Tugas sudah dikumpulkan untuk dinilai; ubahan hanya bisa setelah pengajar membukanya "
                         "kembali."), code="already_submitted")
    return sub


def _wib_text(dt: datetime) -> str:
    return dt.replace(tzinfo=UTC).astimezone(WIB).strftime("%d-%m-%Y %H:%M")


def save_draft(assignment: Assignment, user: User, *, text: str | None = None,
               statement: bool | None = None) -> Submission:
    sub = _editable(assignment, user)
    if text is not None:
        if "text" not in assignment.submission_types:
            raise RuleViolation(_("Tugas ini tidak menerima teks daring, hanya berkas."), code="text_not_accepted")
        if len(text) > MAX_TEXT_CHARS:
            raise TooLarge(_("Teks terlalu panjang: paling banyak %(n)d karakter.", n=MAX_TEXT_CHARS),
                           code="text_too_long")
        sub.text = sanitize_html(text)
    if statement is not None:
        sub.statement_accepted = bool(statement)
    sub.status = "draft"
    sub.updated_at = utcnow()
    db.session.flush()
    return sub


def _safe_name(filename: str, kind: str) -> str:
    base = re.sub(r"[^\w.\- ]+", "-", (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1], flags=re.UNICODE)
    base = base.strip(" .-")[:180] or "berkas"
    ext = filetypes.KINDS[kind][2]
    _stem, dot, old = base.rpartition(".")
    # The stored name carries the extension of what the file really is, so a download opens right.
    if dot and (old.lower() == ext or (ext == "jpg" and old.lower() == "jpeg")):
        return base
    return f"{base}.{ext}"


def add_file(assignment: Assignment, user: User, filename: str, data: bytes) -> SubmissionFile:
    """Add a file to the learner's draft. Every check comes before anything is stored."""
    from app.storage import get_storage

    if "file" not in assignment.submission_types:
        raise RuleViolation(_("Tugas ini tidak menerima berkas, hanya teks daring."), code="files_not_accepted")
    sub = _editable(assignment, user)
    if not data:
        raise BadInput(_("Berkas kosong."), code="empty_file")
    cap = assignment.max_file_mb * 1024 * 1024
    if len(data) > cap:
        raise TooLarge(_("Berkas %(name)s terlalu besar (%(size)s MB): paling besar %(mb)d MB.",
                         name=filename or "", size=f"{len(data) / 1024 / 1024:.1f}".replace(".", ","),
                         mb=assignment.max_file_mb), code="file_too_large")
    kind = filetypes.sniff(data)
    allowed = assignment.allowed_types or list(filetypes.KINDS)
    if kind is None or kind not in allowed:
        raise RuleViolation(_("Jenis berkas %(name)s tidak diterima. Yang diterima: %(k)s.", name=filename or "",
                              k=", ".join(filetypes.label(k) for k in allowed)), code="file_type_not_allowed",
                            details=[{"field": "file", "message": _("isi berkas bukan jenis yang diterima")}])
    if len(sub.files) >= assignment.max_files:
        raise RuleViolation(_("Paling banyak %(n)d berkas; hapus satu dulu.", n=assignment.max_files),
                            code="too_many_files")
    name = _safe_name(filename, kind)
    key = f"assignments/{assignment.id}/{user.id}/{uuid.uuid4().hex[:16]}-{re.sub(r'[^A-Za-z0-9._-]+', '-', name)}"
    get_storage().put_bytes(key, data, content_type=filetypes.content_type(kind))
    f = SubmissionFile(submission=sub, name=name, size=len(data), kind=kind, key=key)
    db.session.add(f)
    sub.status = "draft"
    sub.updated_at = utcnow()
    db.session.flush()
    return f


def remove_file(assignment: Assignment, user: User, file_id: int) -> None:
    sub = _editable(assignment, user)
    f = next((f for f in sub.files if f.id == file_id), None)
    if f is None:
        raise NotFound(_("Berkas tidak ditemukan."), code="file_not_found")
    sub.files.remove(f)
    db.session.delete(f)
    sub.updated_at = utcnow()
    db.session.flush()
    # The stored bytes stay until the transaction commits; a failed commit must not lose the file.
    _pending_deletes().append(f.key)


def _pending_deletes() -> list[str]:
    from flask import g

    if "assignment_deletes" not in g:
        g.assignment_deletes = []
    return g.assignment_deletes


def submit(assignment: Assignment, user: User, *, statement: bool | None = None,
           now: datetime | None = None) -> Submission:
    """Hand the draft in for grading. After the cut-off: refused (409). After the due date: late."""
    now = now or utcnow()
    sub = _editable(assignment, user, now)
    if statement is not None:
        sub.statement_accepted = bool(statement)
    if assignment.require_statement and not sub.statement_accepted:
        raise RuleViolation(_("Centang pernyataan bahwa tugas ini adalah karya Anda sendiri sebelum mengumpulkan."),
                            code="statement_required")
    has_text = bool(re.sub(r"<[^>]+>|&nbsp;|\s", "", sub.text or ""))
    if not has_text and not sub.files:
        raise RuleViolation(_("Tugas masih kosong: tulis teks atau unggah berkas dulu."), code="empty_submission")
    due, _cutoff = effective_dates(assignment, user)
    sub.status = "submitted"
    sub.submitted_at = now
    sub.late = bool(due and now > due)
    sub.updated_at = now
    db.session.flush()
    return sub


# --- grading ---------------------------------------------------------------------------------

def grade_value(assignment: Assignment, grade: Any = None, rubric: dict | None = None) -> tuple[Decimal, dict]:
    """The grade (and the rubric choice) checked against the assignment's way of grading."""
    if assignment.grading == "rubric":
        r = assignment.rubric
        if r is None:
            raise RuleViolation(_("Tugas ini belum punya rubrik."), code="no_rubric")
        if not isinstance(rubric, dict):
            raise RuleViolation(_("Pilih satu tingkat untuk setiap kriteria rubrik."), code="rubric_required")
        choice: dict[str, int] = {}
        total = Decimal(0)
        problems = []
        for c in r.criteria:
            raw = rubric.get(str(c.id), rubric.get(c.id)) if isinstance(rubric, dict) else None
            try:
                level_id = int(raw) if raw not in (None, "") and not isinstance(raw, bool) else None
            except (TypeError, ValueError):
                level_id = None
            level = next((lvl for lvl in c.levels if lvl.id == level_id), None)
            if level is None:
                problems.append(_("Kriteria \"%(c)s\": pilih salah satu tingkatnya.", c=c.description[:80]))
                continue
            choice[str(c.id)] = level.id
            total += level.points
        unknown = {str(k) for k in rubric} - {str(c.id) for c in r.criteria}
        if unknown:
            problems.append(_("Kriteria tidak dikenal: %(k)s", k=", ".join(sorted(unknown))))
        if problems:
            raise RuleViolation("; ".join(problems), code="grade_out_of_range",
                                details=[{"field": "rubric", "message": p} for p in problems])
        return total, choice
    if assignment.grading == "scale" and isinstance(grade, str) and grade in (assignment.scale or []):
        return Decimal(assignment.scale.index(grade) + 1), {}
    try:
        value = _decimal(grade, "grade", hi=assignment.max_grade)
        if assignment.grading == "scale" and (value != value.to_integral_value() or value < 1):
            raise ValueError
    except ValueError:
        if assignment.grading == "scale":
            msg = _("Nilai harus salah satu tingkat skala (1 sampai %(n)d: %(names)s).", n=len(assignment.scale),
                    names=", ".join(assignment.scale))
        else:
            msg = _("Nilai harus angka 0 sampai %(m)s (paling banyak dua desimal).", m=_num(assignment.max_grade))
        raise RuleViolation(msg, code="grade_out_of_range", details=[{"field": "grade", "message": msg}]) from None
    return value, {}


def passes(assignment: Assignment, grade: Decimal | None) -> bool:
    if grade is None:
        return False
    return assignment.pass_grade is None or grade >= assignment.pass_grade


def submission_for_grading(assignment: Assignment, learner: User) -> Submission:
    """The learner's current attempt, created when a grader marks work handed in on paper."""
    if db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == assignment.course_id,
                                                    Enrolment.user_id == learner.id)) is None:
        raise NotFound(_("%(n)s tidak terdaftar di kursus ini.", n=learner.name), code="not_enrolled")
    sub = latest_submission(assignment, learner)
    if sub is None:
        sub = Submission(assignment_id=assignment.id, user_id=learner.id, attempt=1, latest=True, status="new")
        db.session.add(sub)
        db.session.flush()
    return sub


def grade_submission(sub: Submission, grader: User, *, grade: Any = None, feedback: str | None = None,
                     rubric: dict | None = None, release: bool = False, state: str | None = None) -> Submission:
    """Record a grade. Released at once with `release`, else kept in the marking workflow
    (`state` "in_marking" or "ready") until `release_grades`."""
    value, choice = grade_value(sub.assignment, grade, rubric)
    sub.grade = value
    sub.rubric_choice = choice
    if feedback is not None:
        if len(feedback) > MAX_TEXT_CHARS:
            raise TooLarge(_("Umpan balik terlalu panjang."), code="feedback_too_long")
        sub.feedback = sanitize_html(feedback)
    sub.graded_by_id = grader.id
    sub.graded_at = utcnow()
    if release:
        _release(sub)
    else:
        if state not in (None, "in_marking", "ready"):
            raise BadInput(_("Status penilaian harus in_marking atau ready."), code="invalid_state")
        if sub.marking_state != "released":
            sub.marking_state = state or "in_marking"
        else:
            _release(sub)  # a released grade that is changed is seen at once, as Moodle does
    db.session.flush()
    _grade_changed(sub)
    return sub


def _release(sub: Submission) -> None:
    from app.courses.operations import complete_activity
    from app.notifications.operations import link_to, notify

    first = sub.marking_state != "released"
    sub.marking_state = "released"
    sub.released_at = utcnow()
    db.session.flush()
    if first:
        notify(sub.user, _("Nilai tugas \u201c%(t)s\u201d sudah dirilis.", t=sub.assignment.activity.title), "",
               link_to("courses.activity", activity_id=sub.assignment.activity_id))
    if passes(sub.assignment, sub.grade):
        complete_activity(sub.user, sub.assignment.activity, source="grade", by=None, at=sub.released_at)


def _grade_changed(sub: Submission) -> None:
    from app.signals import grade_changed

    grade_changed.send(sub.user, course=sub.assignment.course, activity=sub.assignment.activity)


def release_grades(assignment: Assignment, by: User, *, user_ids: set[int] | None = None) -> int:
    """Release every grade given and not yet released (within `user_ids` when given)."""
    stmt = select(Submission).where(Submission.assignment_id == assignment.id, Submission.latest.is_(True),
                                    Submission.grade.is_not(None), Submission.marking_state != "released")
    n = 0
    for sub in db.session.scalars(stmt):
        if user_ids is not None and sub.user_id not in user_ids:
            continue
        _release(sub)
        _grade_changed(sub)
        n += 1
    db.session.flush()
    return n


def set_feedback_file(sub: Submission, filename: str, data: bytes) -> None:
    """An annotated file or a recorded comment for the learner (any accepted kind, 50 MB at most)."""
    from app.storage import get_storage

    if not data:
        raise BadInput(_("Berkas kosong."), code="empty_file")
    if len(data) > 50 * 1024 * 1024:
        raise TooLarge(_("Berkas umpan balik paling besar 50 MB."), code="file_too_large")
    kind = filetypes.sniff(data)
    if kind is None:
        raise RuleViolation(_("Jenis berkas umpan balik tidak dikenali (PDF, dokumen Office, gambar, MP3, teks)."),
                            code="file_type_not_allowed")
    name = _safe_name(filename, kind)
    key = f"assignments/{sub.assignment_id}/{sub.user_id}/feedback-{uuid.uuid4().hex[:16]}.{filetypes.KINDS[kind][2]}"
    get_storage().put_bytes(key, data, content_type=filetypes.content_type(kind))
    if sub.feedback_file_key:
        _pending_deletes().append(sub.feedback_file_key)
    sub.feedback_file_key, sub.feedback_file_name = key, name
    db.session.flush()


def reopen(sub: Submission, by: User) -> Submission:
    """Let the learner work again: a new attempt with a copy of the text and files of the last one."""
    a = sub.assignment
    if not sub.latest:
        raise Conflict(_("Hanya percobaan terakhir yang bisa dibuka kembali."), code="not_latest")
    if sub.status != "submitted" and sub.grade is None:
        raise Conflict(_("Tugas ini belum dikumpulkan; peserta masih bisa mengubahnya."), code="not_submitted")
    if a.max_attempts and sub.attempt >= a.max_attempts:
        raise Conflict(_("Batas %(n)d percobaan sudah tercapai.", n=a.max_attempts), code="max_attempts")
    sub.latest = False
    db.session.flush()
    new = Submission(assignment_id=a.id, user_id=sub.user_id, attempt=sub.attempt + 1, latest=True, status="draft",
                     text=sub.text, statement_accepted=False)
    db.session.add(new)
    for f in sub.files:
        new.files.append(SubmissionFile(name=f.name, size=f.size, kind=f.kind, key=f.key))
    db.session.flush()
    return new


def grant_extension(assignment: Assignment, learner: User, *, due_at: Any, cutoff_at: Any = None, reason: str = "",
                    by: User) -> Extension:
    due = parse_when(due_at, "due_at")
    cutoff = parse_when(cutoff_at, "cutoff_at")
    if due is None:
        raise RuleViolation(_("Isi tenggat baru."), code="due_required")
    if cutoff is not None and cutoff < due:
        raise RuleViolation(_("Batas akhir tidak boleh sebelum tenggat."), code="invalid_cutoff")
    if db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == assignment.course_id,
                                                    Enrolment.user_id == learner.id)) is None:
        raise NotFound(_("%(n)s tidak terdaftar di kursus ini.", n=learner.name), code="not_enrolled")
    ext = db.session.scalar(select(Extension).where(Extension.assignment_id == assignment.id,
                                                    Extension.user_id == learner.id))
    if ext is None:
        ext = Extension(assignment_id=assignment.id, user_id=learner.id, due_at=due)
        db.session.add(ext)
    ext.due_at, ext.cutoff_at, ext.reason = due, cutoff, (reason or "").strip()[:2000]
    ext.granted_by_id, ext.granted_at = by.id, utcnow()
    db.session.flush()
    return ext


def workplace_assess(sub: Submission, assessor: User, *, grade: Any, feedback: str = "") -> Submission:
    """The atasan's workplace assessment: a second mark the instructor sees beside their own."""
    from app.accounts.queries import is_supervisor_of

    if not sub.assignment.workplace_assessment:
        raise Conflict(_("Tugas ini tidak memakai penilaian atasan."), code="no_workplace_assessment")
    named = named_assessor(sub.assignment, sub.user)
    allowed = named.id == assessor.id if named is not None else is_supervisor_of(assessor, sub.user)
    if not allowed:
        raise Forbidden(_("Hanya atasan peserta (atau mentor yang ditunjuk) yang memberi penilaian tempat kerja."),
                        code="not_supervisor")
    a = sub.assignment
    top = a.max_grade
    try:
        value = _decimal(grade, "grade", hi=top)
    except ValueError:
        raise RuleViolation(_("Nilai harus angka 0 sampai %(m)s.", m=_num(top)), code="grade_out_of_range") from None
    sub.workplace_grade = value
    sub.workplace_feedback = sanitize_html(feedback or "")
    sub.workplace_by_id = assessor.id
    sub.workplace_at = utcnow()
    db.session.flush()
    return sub


def purge_pending_files() -> None:
    """After a commit: remove the stored bytes of files that were taken out of drafts."""
    from flask import g

    from app.storage import StorageError, get_storage

    keys = g.pop("assignment_deletes", [])
    if not keys:
        return
    still_used = set(db.session.scalars(select(SubmissionFile.key).where(SubmissionFile.key.in_(keys))))
    for key in keys:
        if key in still_used:
            continue  # a reopened attempt shares its files with the earlier one
        try:
            get_storage().delete(key)
        except (StorageError, OSError):
            pass


def count_submitted(assignment: Assignment) -> int:
    return db.session.scalar(select(func.count()).select_from(Submission).where(
        Submission.assignment_id == assignment.id, Submission.latest.is_(True), Submission.status == "submitted"))


def parse_rubric_text(text: str) -> list[dict]:
    """A rubric typed in a textarea: one criterion a line, `criterion | level = points | …`.
    Lines are kept even when they are wrong, so that `check_rubric` names each problem."""
    criteria = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        head, *parts = [p.strip() for p in line.split("|")]
        levels = []
        for part in parts:
            if not part:
                continue
            desc, eq, points = part.rpartition("=")
            levels.append({"description": desc.strip() if eq else part, "points": points.strip() if eq else None})
        criteria.append({"description": head, "levels": levels})
    return criteria


# --- many at once: reminders, download-all, feedback ZIP ---------------------------------------------

def remind(assignment: Assignment, people: list, *, by: User) -> int:
    """A notification (and mail, as each person chose) to those who have not handed in yet."""
    from app.notifications.operations import link_to, notify

    title = assignment.activity.title
    link = link_to("courses.activity", activity_id=assignment.activity_id)
    for person in people:
        due_for, _c = effective_dates(assignment, person)  # their own, when they were given more time
        body = _("Tenggat: %(t)s WIB.", t=_wib_text(due_for)) if due_for else ""
        notify(person.id, _("Pengingat: tugas \u201c%(t)s\u201d belum Anda kumpulkan.", t=title), body, link)
    db.session.flush()
    return len(people)


def _zip_folder(user: User) -> str:
    name = re.sub(r"[^\w .-]+", "", user.name or "", flags=re.UNICODE).strip()[:60] or "peserta"
    return f"{user.nip or user.id} - {name}"


def write_all_submissions(assignment: Assignment, rows: list, out) -> int:
    """Every handed-in text and file as one ZIP written to the file object `out`, one folder per
    learner named "<NIP> - <name>". Files are copied one at a time: memory stays small, whatever
    the class size. Returns the number of learners included."""
    import zipfile

    from app.storage import StorageError, get_storage

    store = get_storage()
    n = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for row in rows:
            sub = row.submission
            if sub is None or (not sub.files and not sub.text):
                continue
            folder = _zip_folder(row.user)
            if sub.text:
                zf.writestr(f"{folder}/teks-daring.html",
                            "<!doctype html><meta charset=utf-8><title>teks</title>\n" + sub.text)
            for f in sub.files:
                with zf.open(f"{folder}/{f.name}", "w") as dest:
                    try:
                        src = store.open(f.key)
                    except (StorageError, OSError):
                        continue
                    with src:
                        while True:
                            chunk = src.read(1024 * 1024)
                            if not chunk:
                                break
                            dest.write(chunk)
            n += 1
    return n


NIP_PREFIX = re.compile(r"^(\d{18})\b")


def apply_feedback_zip(assignment: Assignment, data: bytes, *, allowed: dict[str, User], by: User) -> int:
    """Feedback files back from a ZIP laid out as the download-all ZIP: each file under a folder
    whose name starts with the learner's NIP becomes that learner's feedback file. All or
    nothing: an unknown NIP, a person out of reach or an unreadable file refuses the whole ZIP."""
    import io
    import zipfile

    if len(data) > 500 * 1024 * 1024:
        raise TooLarge(_("ZIP umpan balik paling besar 500 MB."), code="file_too_large")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError):
        raise RuleViolation(_("Berkas bukan ZIP yang valid."), code="invalid_zip") from None
    plan: list[tuple[User, str, zipfile.ZipInfo]] = []
    problems: list[dict] = []
    for info in entries:
        parts = info.filename.replace("\\", "/").split("/")
        if len(parts) < 2 or parts[-1].startswith(".") or parts[0] == "__MACOSX":
            continue
        m = NIP_PREFIX.match(parts[0])
        person = allowed.get(m.group(1)) if m else None
        if person is None:
            problems.append({"file": info.filename, "message": _("folder tidak diawali NIP peserta tugas ini")})
            continue
        if parts[-1] == "teks-daring.html":
            continue  # the learner's own text, sent back unchanged
        if info.file_size > 50 * 1024 * 1024:
            problems.append({"file": info.filename, "message": _("lebih dari 50 MB")})
            continue
        plan.append((person, parts[-1], info))
    if problems:
        raise RuleViolation(_("ZIP ditolak: %(n)d masalah. Tidak ada yang disimpan.", n=len(problems)),
                            code="invalid_zip", details=problems)
    if not plan:
        raise RuleViolation(_("ZIP tidak berisi berkas umpan balik."), code="empty_zip")
    import zlib

    try:  # every entry read and its checksum checked before anything is stored
        broken = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        broken = "?"
    if broken is not None:
        raise RuleViolation(_("Berkas %(f)s di dalam ZIP rusak. Tidak ada yang disimpan.", f=broken),
                            code="invalid_zip")
    for person, name, info in plan:
        try:
            data_one = zf.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
            raise RuleViolation(_("Berkas %(f)s di dalam ZIP rusak. Tidak ada yang disimpan.", f=info.filename),
                                code="invalid_zip") from None
        sub = submission_for_grading(assignment, person)
        set_feedback_file(sub, name, data_one)
    return len(plan)


# --- resumable uploads (tus), for weak networks ------------------------------------------------------

def create_upload(assignment: Assignment, user: User, filename: str, length: int) -> Any:
    """Start a resumable upload. Everything that can be judged before the bytes arrive is judged
    now (files accepted, the size cap, the number of files, the cut-off), so nobody waits for an
    hour on a weak line to be told no."""
    from app.assignments.models import Upload

    if "file" not in assignment.submission_types:
        raise RuleViolation(_("Tugas ini tidak menerima berkas, hanya teks daring."), code="files_not_accepted")
    sub = _editable(assignment, user)
    if length <= 0:
        raise BadInput(_("Berkas kosong."), code="empty_file")
    if length > assignment.max_file_mb * 1024 * 1024:
        raise TooLarge(_("Berkas %(name)s terlalu besar (%(size)s MB): paling besar %(mb)d MB.", name=filename,
                         size=f"{length / 1024 / 1024:.1f}".replace(".", ","), mb=assignment.max_file_mb),
                       code="file_too_large")
    if len(sub.files) >= assignment.max_files:
        raise RuleViolation(_("Paling banyak %(n)d berkas; hapus satu dulu.", n=assignment.max_files),
                            code="too_many_files")
    up = Upload(id=uuid.uuid4().hex, assignment_id=assignment.id, user_id=user.id, filename=(filename or "berkas")[:250],
                length=length, offset=0, state="open")
    db.session.add(up)
    db.session.flush()
    return up


def get_upload(user: User, upload_id: str) -> Any:
    from app.assignments.models import Upload

    up = db.session.get(Upload, upload_id) if re.fullmatch(r"[0-9a-f]{32}", upload_id or "") else None
    if up is None or up.user_id != user.id:
        raise NotFound(_("Unggahan tidak ditemukan."), code="upload_not_found")
    return up


def receive_chunk(user: User, upload_id: str, offset: int, stream) -> Any:
    """Append a chunk at `offset`; with the last byte the file is checked and added to the draft."""
    from app.media.upload import append, read_body, temp_path

    up = get_upload(user, upload_id)
    if up.state != "open":
        raise Conflict(_("Unggahan ini sudah selesai."), code="upload_closed")
    path = temp_path(f"tugas-{up.id}")
    up.offset = append(path, offset, up.length, read_body(stream))
    up.updated_at = utcnow()
    if up.offset == up.length:
        assignment = db.session.get(Assignment, up.assignment_id)
        data = path.read_bytes()
        try:
            f = add_file(assignment, user, up.filename, data)
        except (BadInput, RuleViolation, TooLarge, Conflict):
            db.session.rollback()
            up = get_upload(user, upload_id)
            up.state = "refused"
            path.unlink(missing_ok=True)
            db.session.commit()  # the refusal sticks although the request answers with the error
            raise
        up.state, up.file_id = "done", f.id
        path.unlink(missing_ok=True)
    db.session.flush()
    return up


def named_assessor(assignment: Assignment, learner: User) -> User | None:
    """The mentor or coach named to assess this learner's work, if any (else the atasan does)."""
    from app.assignments.models import Assessor

    row = db.session.scalar(select(Assessor).where(Assessor.assignment_id == assignment.id,
                                                   Assessor.learner_id == learner.id))
    return row.assessor if row is not None else None


def set_assessor(assignment: Assignment, learner: User, assessor: User | None, *, by: User) -> None:
    """Name a mentor or coach as the learner's workplace assessor (None: back to the atasan)."""
    from app.assignments.models import Assessor

    if not assignment.workplace_assessment:
        raise Conflict(_("Tugas ini tidak memakai penilaian tempat kerja."), code="no_workplace_assessment")
    if assessor is not None and assessor.id == learner.id:
        raise RuleViolation(_("Peserta tidak dapat menilai tugasnya sendiri."), code="self_assessor")
    row = db.session.scalar(select(Assessor).where(Assessor.assignment_id == assignment.id,
                                                   Assessor.learner_id == learner.id))
    if assessor is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Assessor(assignment_id=assignment.id, learner_id=learner.id, assessor_id=assessor.id,
                                named_by_id=by.id))
    else:
        row.assessor_id, row.named_by_id = assessor.id, by.id
    db.session.flush()
