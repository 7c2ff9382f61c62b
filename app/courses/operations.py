"""Every state change of the course engine.

Completion is the heart: `complete_activity()` is the one door every activity type goes
through (a lesson viewed, a video watched, a quiz passed, attendance recorded). It records the
activity's completion once, sends `activity_completed`, and when the course's criteria are met
records the course completion once and sends `course_completed` — in the caller's transaction,
so the ledger's credit and the completion commit together.

Authoring (courses, sections, activities, reordering, hiding, duplicating) and enrolment
(one person, a unit's subtree, a position) live here too, so that pages, the API, the CLI and
package import share one set of rules.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Unit, User, utcnow
from app.accounts.queries import Reach
from app.courses.activity_types import COMPETENCY_CHECKERS, COMPLETION_GATES, REGISTRY
from app.courses.html import sanitize_html
from app.courses.marks import EnrolmentMark
from app.courses.models import (
    COURSE_MODES,
    Activity,
    ActivityCompletion,
    Course,
    CourseCompetency,
    CourseCompletion,
    CourseInstructor,
    Enrolment,
    Section,
)
from app.errors import BadInput, Conflict, NotFound, RuleViolation
from app.extensions import db
from app.signals import activity_completed, course_completed, user_enrolled

#: SIASN jenis diklat (DOMAIN.md): the value stored in Course.training_type, with its id.
TRAINING_TYPES = {"struktural": 1, "fungsional": 2, "teknis": 3, "workshop": 4, "manajerial": 5,
                  "sosial_kultural": 6, "sosialisasi": 7, "bimtek": 8, "seminar": 9, "magang": 10}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
COMPETENCY_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


# --- enrolment ----------------------------------------------------------------------------------

def enrol(course: Course, user: User, *, method: str = "manual", by: User | None = None) -> Enrolment:
    """Enrol a user; a second enrolment of the same person is a Conflict (409)."""
    existing = db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id,
                                                         Enrolment.user_id == user.id))
    if existing is not None:
        raise Conflict(_("%(name)s sudah terdaftar di kursus ini.", name=user.name), code="already_enrolled")
    enrolment = Enrolment(course=course, user=user, method=method, enrolled_by_id=by.id if by else None)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        raise Conflict(_("%(name)s sudah terdaftar di kursus ini.", name=user.name), code="already_enrolled") from None
    user_enrolled.send(user, course=course, enrolment=enrolment)
    return enrolment


def self_enrol(course: Course, user: User) -> Enrolment:
    if not course.published or not course.self_enrol:
        raise RuleViolation(_("Kursus ini tidak membuka pendaftaran mandiri."), code="self_enrol_closed")
    return enrol(course, user, method="self", by=user)


def enrol_many(course: Course, people: list[User], *, method: str, by: User | None) -> tuple[int, int]:
    """Enrol everyone not yet enrolled; answers (enrolled now, already enrolled)."""
    already = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.course_id == course.id, Enrolment.user_id.in_([p.id for p in people]))))
    added = 0
    for person in people:
        if person.id in already or not person.active:
            continue
        enrol(course, person, method=method, by=by)
        added += 1
    return added, len(already)


def enrol_unit(course: Course, unit: Unit, r: Reach, *, by: User) -> tuple[int, int]:
    """Everyone in `unit`'s subtree that the enrolling staff member may reach."""
    if not r.covers_unit(unit):
        raise RuleViolation(_("Unit ini di luar jangkauan Anda."), code="out_of_reach")
    people = list(db.session.scalars(select(User).join(Unit, User.unit_id == Unit.id).where(
        Unit.path.startswith(unit.path, autoescape=True), User.active.is_(True))))
    return enrol_many(course, people, method="unit", by=by)


def enrol_position(course: Course, position_id: int, r: Reach, *, by: User) -> tuple[int, int]:
    """Everyone holding a position (jabatan), within the staff member's reach."""
    stmt = select(User).outerjoin(Unit, User.unit_id == Unit.id).where(User.position_id == position_id,
                                                                       User.active.is_(True))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return enrol_many(course, list(db.session.scalars(stmt)), method="position", by=by)


def get_enrolment(course: Course, user: User, *, lock: bool = False) -> Enrolment | None:
    stmt = select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id)
    if lock:
        # Serialises completions of one (user, course): two activities completed at the same
        # moment must not each miss the other's row and leave the course incomplete forever.
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


#: A learner reloading the page they are on is not news: the time is written again after this long.
TOUCH_EVERY = timedelta(minutes=1)


def touch_enrolment(enrolment: Enrolment | EnrolmentMark, activity: Activity) -> None:
    """Remember where the learner was, for "lanjutkan" (and when, to a minute: a reload of the same
    page within the minute writes nothing, so that the hottest page is not a write every time).
    `enrolment`: the row, or its mark as the activity page read it (then written by its id)."""
    now = utcnow()
    if enrolment.last_activity_id == activity.id and enrolment.last_access_at is not None \
            and timedelta(0) <= now - enrolment.last_access_at < TOUCH_EVERY:
        return
    if isinstance(enrolment, Enrolment):
        enrolment.last_activity_id = activity.id
        enrolment.last_access_at = now
        return
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id)
                       .values(last_activity_id=activity.id, last_access_at=now))


# --- completion ---------------------------------------------------------------------------------

def complete_activity(user: User, activity: Activity, *, source: str = "view", by: User | None = None,
                      at: datetime | None = None) -> bool:
    """Record that `user` met `activity`'s completion rule. Returns True when this call recorded it
    (False when it was already complete). Idempotent and safe under concurrency."""
    if get_enrolment(activity.course, user, lock=True) is None:
        raise RuleViolation(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    at = at or utcnow()
    exists = db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.activity_id == activity.id, ActivityCompletion.user_id == user.id))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ActivityCompletion(activity_id=activity.id, user_id=user.id, source=source,
                                              completed_at=at, recorded_by_id=by.id if by else None))
    except IntegrityError:
        return False  # a concurrent request recorded it first
    activity_completed.send(user, activity=activity, completed_at=at)
    check_course_completion(user, activity.course, at=at)
    return True


def record_view(user: User, activity: Activity) -> bool:
    """A learner opened a lesson, a file or a link: that completes it (view rule only)."""
    if REGISTRY.get(activity.type) is None or REGISTRY[activity.type].completion != "view":
        raise RuleViolation(_("Aktivitas ini tidak selesai hanya dengan dibuka."), code="not_view_activity")
    if not activity.visible or not activity.section.visible:
        raise NotFound(_("Aktivitas tidak ditemukan."))
    enrolment = get_enrolment(activity.course, user)
    if enrolment is None:
        raise RuleViolation(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    touch_enrolment(enrolment, activity)
    return complete_activity(user, activity, source="view")


def record_attendance(activity: Activity, users: list[User], *, by: User) -> int:
    """Staff record who attended a classroom session; each attendance completes the activity."""
    if activity.type != "classroom":
        raise RuleViolation(_("Kehadiran hanya dicatat untuk sesi tatap muka."), code="not_classroom")
    at = utcnow()
    recorded = 0
    for user in users:
        if complete_activity(user, activity, source="attendance", by=by, at=at):
            recorded += 1
    return recorded


def required_activity_ids(course: Course) -> list[int]:
    """The activities that count: required, visible, in a visible section."""
    return list(db.session.scalars(select(Activity.id).join(Section, Activity.section_id == Section.id).where(
        Activity.course_id == course.id, Activity.required.is_(True), Activity.visible.is_(True),
        Section.visible.is_(True))))


def check_course_completion(user: User, course: Course, *, at: datetime | None = None) -> bool:
    """Record the course completion when every required, visible activity is complete.

    Returns True only for the call that recorded it; `course_completed` is sent by that call
    alone, so receivers (ledger, certificates, CMB) act exactly once per (user, course).
    """
    required = required_activity_ids(course)
    if not required:
        return False
    done = db.session.scalar(select(func.count()).select_from(ActivityCompletion).where(
        ActivityCompletion.user_id == user.id, ActivityCompletion.activity_id.in_(required)))
    if done < len(required):
        return False
    if any(not gate(user, course) for gate in COMPLETION_GATES):
        return False
    if db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == course.id,
                                                           CourseCompletion.user_id == user.id)) is not None:
        return False
    at = at or utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(CourseCompletion(course_id=course.id, user_id=user.id, completed_at=at))
    except IntegrityError:
        return False
    course_completed.send(user, course=course, completed_at=at)
    return True


def recompute_completions(course: Course) -> dict[str, int]:
    """Re-evaluate every enrolled learner after a rule or the content changed.

    A type's `meets_rule` hook may now judge an activity complete (e.g. a lower pass mark or
    watch percentage); a hidden or no-longer-required activity may leave a learner with
    everything done. Existing completions are never removed: credits already granted stay.
    """
    activities = list(db.session.scalars(select(Activity).join(Section, Activity.section_id == Section.id).where(
        Activity.course_id == course.id, Activity.required.is_(True), Activity.visible.is_(True),
        Section.visible.is_(True))))
    learners = list(db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.course_id == course.id,
        ~select(CourseCompletion.id).where(CourseCompletion.course_id == course.id,
                                           CourseCompletion.user_id == User.id).exists())))
    ids = [a.id for a in activities]
    done = set(db.session.execute(select(ActivityCompletion.user_id, ActivityCompletion.activity_id).where(
        ActivityCompletion.activity_id.in_(ids), ActivityCompletion.user_id.in_([u.id for u in learners]))))
    newly_activities = newly_courses = 0
    for user in learners:
        for activity in activities:
            if (user.id, activity.id) in done:
                continue
            t = REGISTRY.get(activity.type)
            if t is not None and t.meets_rule is not None and t.meets_rule(activity, user):
                if complete_activity(user, activity, source="recompute"):
                    newly_activities += 1
        if db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == course.id,
                                                               CourseCompletion.user_id == user.id)) is None:
            if check_course_completion(user, course):
                newly_courses += 1
        else:
            newly_courses += 1  # completed by one of the activity completions above
    return {"activities": newly_activities, "courses": newly_courses}


# --- courses --------------------------------------------------------------------------------------

def parse_jp(value) -> Decimal:
    try:
        jp = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RuleViolation(_("JP harus berupa angka, mis. 2 atau 2,5."), code="invalid_jp") from None
    if jp < 0 or jp > 9999:
        raise RuleViolation(_("JP harus antara 0 dan 9999."), code="invalid_jp")
    return jp


def new_course_code(title: str) -> str:
    stem = re.sub(r"[^A-Z0-9]+", "-", title.upper()).strip("-")[:20] or "KURSUS"
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def check_competency_codes(codes: list[str]) -> set[str]:
    """Codes the registered dictionary checkers (the CMB layer) do not know."""
    unknown: set[str] = set()
    for checker in COMPETENCY_CHECKERS:
        unknown |= set(checker(list(codes)))
    return unknown


def set_competencies(course: Course, items: list[tuple[str, int]]) -> None:
    seen: dict[str, int] = {}
    for code, level in items:
        code = code.strip().upper()
        if not COMPETENCY_RE.match(code):
            raise RuleViolation(_("Kode kompetensi tidak valid: %(c)s (contoh: TEK-LITDIG).", c=code))
        if not 1 <= int(level) <= 5:
            raise RuleViolation(_("Level kompetensi %(c)s harus 1 sampai 5.", c=code))
        seen[code] = int(level)
    unknown = check_competency_codes(list(seen))
    if unknown:
        raise RuleViolation(_("Kode kompetensi tidak ada di kamus: %(c)s", c=", ".join(sorted(unknown))),
                            code="unknown_competency")
    current = {c.code: c for c in course.competencies}
    for code, row in current.items():
        if code not in seen:
            course.competencies.remove(row)
    for code, level in seen.items():
        if code in current:
            current[code].level = level
        else:
            course.competencies.append(CourseCompetency(code=code, level=level))


TITLE_MAX = 250


def clean_title(value: str | None, required_message: str) -> str:
    """A title as stored: trimmed, present, and refused (not cut) when longer than the column."""
    title = (value or "").strip()
    if not title:
        raise RuleViolation(required_message, code="title_required")
    if len(title) > TITLE_MAX:
        raise RuleViolation(_("Judul paling panjang %(max)d karakter (ini %(n)d).", max=TITLE_MAX, n=len(title)),
                            code="title_too_long")
    return title


COURSE_FIELDS = ("title", "summary", "jp", "mode", "self_enrol", "certificate", "published", "organiser",
                 "training_type", "start_date", "end_date")


def _apply_course_fields(course: Course, fields: dict) -> None:
    if "title" in fields:
        course.title = clean_title(fields["title"], _("Judul kursus wajib diisi."))
    if "summary" in fields:
        course.summary = (fields["summary"] or "").strip()
    if "jp" in fields:
        course.jp = parse_jp(fields["jp"])
    if "mode" in fields:
        if fields["mode"] not in COURSE_MODES:
            raise RuleViolation(_("Mode harus online, classroom atau blended."), code="invalid_mode")
        course.mode = fields["mode"]
    for flag in ("self_enrol", "certificate", "published"):
        if flag in fields:
            setattr(course, flag, bool(fields[flag]))
    if "organiser" in fields:
        course.organiser = (fields["organiser"] or "").strip() or None
    if "training_type" in fields:
        tt = fields["training_type"] or None
        if tt is not None and tt not in TRAINING_TYPES:
            raise RuleViolation(_("Jenis pelatihan tidak dikenal: %(t)s", t=tt), code="invalid_training_type")
        course.training_type = tt
    for d in ("start_date", "end_date"):
        if d in fields:
            value = fields[d]
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value) if value else None
                except ValueError:
                    raise RuleViolation(_("Tanggal harus berformat YYYY-MM-DD."), code="invalid_date") from None
            setattr(course, d, value)
    if course.start_date and course.end_date and course.end_date < course.start_date:
        raise RuleViolation(_("Tanggal selesai tidak boleh sebelum tanggal mulai."), code="invalid_date")


def create_course(owner: User, *, code: str | None = None, competencies: list[tuple[str, int]] | None = None,
                  **fields) -> Course:
    code = (code or "").strip() or new_course_code(fields.get("title") or "")
    if not CODE_RE.match(code):
        raise RuleViolation(_("Kode kursus hanya huruf, angka, titik, garis bawah dan tanda hubung."), code="invalid_code")
    if db.session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise Conflict(_("Kode kursus %(c)s sudah dipakai.", c=code), code="duplicate_code")
    course = Course(code=code, owner=owner, title="", summary="", jp=Decimal(0), mode="online",
                    self_enrol=False, certificate=False, published=False)
    fields.setdefault("title", "")
    _apply_course_fields(course, fields)
    db.session.add(course)
    set_competencies(course, competencies or [])
    db.session.flush()
    return course


def update_course(course: Course, *, competencies: list[tuple[str, int]] | None = None, **fields) -> Course:
    _apply_course_fields(course, {k: v for k, v in fields.items() if k in COURSE_FIELDS})
    if competencies is not None:
        set_competencies(course, competencies)
    db.session.flush()
    return course


def add_instructor(course: Course, user: User) -> None:
    if not user.has_role("instructor", "admin"):
        raise RuleViolation(_("%(n)s bukan instruktur.", n=user.name), code="not_instructor")
    if user.id == course.owner_id or any(ci.user_id == user.id for ci in course.instructors):
        return
    course.instructors.append(CourseInstructor(user=user))
    db.session.flush()


def remove_instructor(course: Course, user: User) -> None:
    for ci in list(course.instructors):
        if ci.user_id == user.id:
            course.instructors.remove(ci)
    db.session.flush()


# --- sections and activities ----------------------------------------------------------------------

def add_section(course: Course, title: str, summary: str = "") -> Section:
    title = clean_title(title, _("Judul bagian wajib diisi."))
    position = db.session.scalar(select(func.coalesce(func.max(Section.position), -1)).where(
        Section.course_id == course.id)) + 1
    section = Section(course=course, title=title, summary=sanitize_html(summary), position=position)
    db.session.add(section)
    db.session.flush()
    return section


def update_section(section: Section, *, title: str | None = None, summary: str | None = None) -> None:
    if title is not None:
        section.title = clean_title(title, _("Judul bagian wajib diisi."))
    if summary is not None:
        section.summary = sanitize_html(summary)
    db.session.flush()


def _swap(rows: list, item, direction: int) -> bool:
    i = rows.index(item)
    j = i + direction
    if not 0 <= j < len(rows):
        return False
    rows[i], rows[j] = rows[j], rows[i]
    for pos, row in enumerate(rows):
        row.position = pos
    return True


def move_section(section: Section, direction: int) -> bool:
    rows = list(db.session.scalars(select(Section).where(Section.course_id == section.course_id)
                                   .order_by(Section.position, Section.id)))
    moved = _swap(rows, section, direction)
    db.session.flush()
    return moved


def move_activity(activity: Activity, direction: int) -> bool:
    rows = list(db.session.scalars(select(Activity).where(Activity.section_id == activity.section_id)
                                   .order_by(Activity.position, Activity.id)))
    moved = _swap(rows, activity, direction)
    db.session.flush()
    return moved


def set_section_visible(section: Section, visible: bool) -> None:
    section.visible = visible
    db.session.flush()
    recompute_completions(section.course)


def delete_section(section: Section) -> None:
    course = section.course
    if db.session.scalar(select(func.count()).select_from(ActivityCompletion).join(Activity).where(
            Activity.section_id == section.id)):
        raise RuleViolation(_("Bagian ini memuat aktivitas yang sudah diselesaikan peserta; sembunyikan saja."),
                            code="has_completions")
    db.session.delete(section)
    db.session.flush()
    recompute_completions(course)


def _clean_activity_settings(type_name: str, settings: dict) -> dict:
    """Check the settings of the engine's own types; module types check their own."""
    settings = dict(settings or {})
    if type_name == "link":
        url = (settings.get("url") or "").strip()
        if not re.match(r"^https?://[^\s]+$", url):
            raise RuleViolation(_("Alamat tautan harus diawali http:// atau https://."), code="invalid_url")
        settings["url"] = url
    elif type_name == "classroom":
        try:
            minutes = int(settings.get("minutes") or 0)
        except (TypeError, ValueError):
            minutes = 0
        if minutes <= 0 or minutes > 100 * 60:
            raise RuleViolation(_("Durasi sesi tatap muka harus bilangan menit lebih dari 0."), code="invalid_minutes")
        settings["minutes"] = minutes
        when = (settings.get("date") or "").strip()
        if when:
            try:
                datetime.fromisoformat(when)
            except ValueError:
                raise RuleViolation(_("Tanggal sesi harus berformat YYYY-MM-DD atau YYYY-MM-DDTHH:MM."),
                                    code="invalid_date") from None
        settings["date"] = when
        settings["place"] = (settings.get("place") or "").strip()
    return settings


def add_activity(section: Section, type_name: str, title: str, *, body: str = "", settings: dict | None = None,
                 required: bool = True, visible: bool = True) -> Activity:
    """A new activity at the end of the section. Quiz and video rows are created here too; their
    modules add their own settings through the registry's edit hooks."""
    if type_name not in REGISTRY:
        raise RuleViolation(_("Jenis aktivitas tidak dikenal: %(t)s", t=type_name), code="unknown_activity_type")
    title = clean_title(title, _("Judul aktivitas wajib diisi."))
    position = db.session.scalar(select(func.coalesce(func.max(Activity.position), -1)).where(
        Activity.section_id == section.id)) + 1
    activity = Activity(course=section.course, section=section, position=position, type=type_name,
                        title=title, body=sanitize_html(body), settings=_clean_activity_settings(type_name, settings),
                        required=required, visible=visible)
    db.session.add(activity)
    db.session.flush()
    if required and visible:
        recompute_completions(section.course)
    return activity


def update_activity(activity: Activity, *, title: str | None = None, body: str | None = None,
                    settings: dict | None = None, required: bool | None = None, visible: bool | None = None) -> Activity:
    if title is not None:
        activity.title = clean_title(title, _("Judul aktivitas wajib diisi."))
    if body is not None:
        clean = sanitize_html(body)
        if clean != activity.body:
            activity.body = clean
            merged = dict(activity.settings or {})
            merged.pop("markdown", None)  # edited in the browser: the package's Markdown source is outdated
            activity.settings = merged
    if settings is not None:
        merged = dict(activity.settings or {})
        merged.update(settings)
        activity.settings = _clean_activity_settings(activity.type, merged)
    if required is not None:
        activity.required = required
    if visible is not None:
        activity.visible = visible
    db.session.flush()
    recompute_completions(activity.course)
    return activity


def set_required_activities(course: Course, activity_ids: list[int]) -> None:
    """The course's completion rule as one set: exactly these activities are required, every
    other one optional; learners who now meet the rule complete. An id that is not one of the
    course's activities refuses the whole change, naming every such id."""
    ids = set(activity_ids)
    activities = list(db.session.scalars(select(Activity).where(Activity.course_id == course.id)))
    unknown = ids - {a.id for a in activities}
    if unknown:
        raise BadInput(_("Aktivitas berikut bukan milik kursus ini: %(ids)s",
                         ids=", ".join(str(i) for i in sorted(unknown))), code="activity_not_in_course")
    for a in activities:
        if a.required != (a.id in ids):
            a.required = a.id in ids
    db.session.flush()
    recompute_completions(course)


#: The first bytes of programs: Windows (MZ: .exe, .dll, .scr), Linux (ELF), macOS (Mach-O, fat
#: binaries, which share CAFEBABE with Java classes), and scripts with an interpreter line.
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                     b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
#: Names that Windows, Android or a desktop run when opened, whatever they contain.
_EXECUTABLE_SUFFIXES = {"exe", "dll", "scr", "com", "msi", "msp", "bat", "cmd", "ps1", "psm1", "vbs", "vbe",
                        "wsf", "wsh", "hta", "cpl", "jar", "apk", "app", "sh", "run", "bin", "lnk", "reg", "pif",
                        "gadget", "appx", "msix", "dmg", "pkg", "deb", "rpm"}


def refuse_executable(filename: str, data: bytes) -> None:
    """A course file is for reading: a program (by its content, whatever its name, or by a name a
    computer runs) is refused, so a course can never hand learners malware."""
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if data[:4].startswith(_EXECUTABLE_MAGIC) or suffix in _EXECUTABLE_SUFFIXES:
        raise RuleViolation(_("Berkas %(n)s adalah program atau skrip yang dapat dijalankan; berkas seperti ini "
                              "tidak diterima. Unggah dokumen (PDF, Office, gambar) atau arsip berisi dokumen.",
                              n=filename or ""), code="executable_file")


def store_activity_file(activity: Activity, filename: str, data: bytes) -> None:
    """Put an uploaded resource in storage (local disk or S3) under the course's prefix."""
    from app.storage import get_storage

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename or "berkas").strip("-.") or "berkas"
    if not data:
        raise RuleViolation(_("Berkas kosong."), code="empty_file")
    refuse_executable(filename, data)
    key = f"courses/{activity.course_id}/files/{uuid.uuid4().hex[:12]}-{name}"
    get_storage().put_bytes(key, data)
    activity.file_key = key
    activity.file_name = filename or name
    db.session.flush()


def store_course_image(course: Course, upload) -> str:
    """A picture an author adds to a lesson or description, cleaned (app.images) and kept under the
    course's prefix; answers its file name, which `courses.course_image` serves to the course's readers.
    The name is the content's hash, so the same picture pasted twice is stored once."""
    from app.images import prepare_image
    from app.storage import get_storage

    image = prepare_image(upload)
    name = f"{image.digest[:24]}.{image.extension}"
    get_storage().put_bytes(f"courses/{course.id}/images/{name}", image.data, content_type=image.content_type)
    return name


def delete_activity(activity: Activity) -> None:
    course = activity.course
    if db.session.scalar(select(func.count()).select_from(ActivityCompletion).where(
            ActivityCompletion.activity_id == activity.id)):
        raise RuleViolation(_("Aktivitas ini sudah diselesaikan peserta; sembunyikan saja agar riwayatnya tetap ada."),
                            code="has_completions")
    db.session.delete(activity)
    db.session.flush()
    recompute_completions(course)


def duplicate_course(course: Course, owner: User) -> Course:
    """A hidden copy with every section and activity; module-owned rows are copied by the type's
    `duplicate` hook. Learners, completions and enrolments are not copied."""
    copy = Course(code=new_course_code(course.title), title=_("%(t)s (salinan)", t=course.title)[:250],
                  summary=course.summary, jp=course.jp, mode=course.mode, self_enrol=course.self_enrol,
                  certificate=course.certificate, published=False, organiser=course.organiser,
                  training_type=course.training_type, start_date=course.start_date, end_date=course.end_date,
                  owner=owner)
    for comp in course.competencies:
        copy.competencies.append(CourseCompetency(code=comp.code, level=comp.level))
    db.session.add(copy)
    pairs: list[tuple[Activity, Activity]] = []
    for section in course.sections:
        new_section = Section(title=section.title, summary=section.summary, position=section.position,
                              visible=section.visible)
        copy.sections.append(new_section)
        for a in section.activities:
            b = Activity(course=copy, position=a.position, type=a.type, title=a.title, body=a.body,
                         visible=a.visible, required=a.required, settings=dict(a.settings or {}), file_key=None,
                         file_name=a.file_name)
            new_section.activities.append(b)
            pairs.append((a, b))
    db.session.flush()
    from app.storage import get_storage

    for a, b in pairs:
        if a.file_key:
            # Each course owns its files, so deleting one never breaks the other.
            key = f"courses/{copy.id}/files/{uuid.uuid4().hex[:12]}-{a.file_key.rsplit('/', 1)[-1][13:]}"
            get_storage().put_bytes(key, get_storage().read_bytes(a.file_key))
            b.file_key = key
        t = REGISTRY.get(a.type)
        if t is not None and t.duplicate is not None:
            t.duplicate(a, b)
    db.session.flush()
    return copy
