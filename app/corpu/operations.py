"""Every state change of the CMB layer: the dictionary, standards, assessments and course
evidence, development plans, costs and budgets, programs and talent ratings."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Position, Unit, User, utcnow
from app.accounts.operations import get_or_create_position
from app.accounts.queries import Reach, is_supervisor_of, supervisors_of, user_by_nip
from app.corpu.models import (
    ASSESSMENT_SOURCES,
    GROUPS,
    PLAN_ITEM_KINDS,
    Assessment,
    Competency,
    CompetencyLevel,
    CourseCost,
    CurrentLevel,
    DevelopmentPlan,
    PlanItem,
    PositionStandard,
    Program,
    ProgramCompletion,
    ProgramCourse,
    TalentRating,
    TrainingBudget,
)
from app.courses.models import Course, CourseCompletion
from app.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation
from app.extensions import db
from app.imports import RowErrors, read_table
from app.numbers import parse_number
from app.signals import program_completed

CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
LEVELS = range(1, 6)


# --- the dictionary ----------------------------------------------------------------------------

def competency_by_code(code: str) -> Competency | None:
    return db.session.scalar(select(Competency).where(Competency.code == (code or "").strip().upper()))


def get_competency(code: str) -> Competency:
    comp = competency_by_code(code)
    if comp is None:
        raise NotFound(_("Kompetensi %(code)s tidak ada di kamus.", code=code))
    return comp


def unknown_codes(codes: list[str]) -> set[str]:
    """The codes among `codes` that the dictionary does not know (the course packages' checker)."""
    wanted = {(c or "").strip().upper() for c in codes}
    if not wanted:
        return set()
    known = set(db.session.scalars(select(Competency.code).where(Competency.code.in_(wanted))))
    return {c for c in codes if (c or "").strip().upper() not in known}


def parse_group(value: str) -> str | None:
    """A group code from its code or its name ("Sosial Kultural", "sosial_kultural", "TEKNIS")."""
    key = (value or "").strip().lower().replace(" ", "_").replace("-", "_")
    if key in GROUPS:
        return key
    for code, label in GROUPS.items():
        if label.lower() == (value or "").strip().lower():
            return code
    return None


def save_competency(code: str, *, name: str, group: str, description: str = "",
                    levels: dict[int, tuple[str, str]] | None = None, competency: Competency | None = None) -> Competency:
    """Create or change a dictionary entry; `levels` maps level -> (description, indicators)."""
    code = (code or "").strip().upper()
    if not CODE_RE.match(code) or len(code) > 40:
        raise BadInput(_("Kode kompetensi harus huruf besar/angka dengan tanda hubung, mis. TEK-LITDIG."),
                       code="invalid_code")
    if not (name or "").strip():
        raise BadInput(_("Nama kompetensi wajib diisi."))
    group_code = parse_group(group)
    if group_code is None:
        raise BadInput(_("Kelompok kompetensi tidak dikenal: %(g)s.", g=group))
    other = competency_by_code(code)
    if other is not None and other is not competency:
        raise Conflict(_("Kode %(code)s sudah dipakai.", code=code), code="duplicate_code")
    if competency is None:
        competency = Competency(code=code)
        db.session.add(competency)
    competency.code, competency.name, competency.group = code, name.strip(), group_code
    competency.description = (description or "").strip()
    for level, (desc, indicators) in (levels or {}).items():
        if level not in LEVELS:
            raise BadInput(_("Level harus 1 sampai 5."))
        row = next((lv for lv in competency.levels if lv.level == level), None)
        if row is None:
            row = CompetencyLevel(level=level)
            competency.levels.append(row)
        row.description = (desc or "").strip()
        row.indicators = "\n".join(line.strip() for line in (indicators or "").splitlines() if line.strip())
    db.session.flush()
    return competency


def _int_in(value: str, lo: int, hi: int) -> int | None:
    try:
        n = int(str(value).strip())
    except ValueError:
        return None
    return n if lo <= n <= hi else None


def import_competencies(filename: str, data: bytes) -> dict[str, int]:
    """Dictionary rows `code,name,group,level,description` (optional `indicators`, lines split by
    "|" or newlines), one row per level. All or nothing."""
    table = read_table(filename, data, ["code", "name", "group", "level", "description"], ["indicators"])
    errors = RowErrors(table)
    seen: dict[tuple[str, int], int] = {}
    heads: dict[str, tuple[str, str, int]] = {}
    clean = []
    for row_no, r in table.rows:
        code = r["code"].strip().upper()
        if not code:
            errors.add(row_no, "code", _("Kode wajib diisi."))
        elif not CODE_RE.match(code) or len(code) > 40:
            errors.add(row_no, "code", _("Kode harus huruf besar/angka dengan tanda hubung, mis. TEK-LITDIG."))
        if not r["name"].strip():
            errors.add(row_no, "name", _("Nama wajib diisi."))
        group = parse_group(r["group"])
        if group is None:
            errors.add(row_no, "group", _("Kelompok tidak dikenal (Manajerial, Sosial Kultural, Teknis, Pemerintahan)."))
        level = _int_in(r["level"], 1, 5)
        if level is None:
            errors.add(row_no, "level", _("Level harus bilangan bulat 1 sampai 5."))
        if not r["description"].strip():
            errors.add(row_no, "description", _("Deskripsi level wajib diisi."))
        if code and level is not None:
            if (code, level) in seen:
                errors.add(row_no, "level", _("Level %(l)d untuk %(c)s sudah ada di baris %(r)d.", l=level, c=code,
                                              r=seen[(code, level)]))
            seen.setdefault((code, level), row_no)
        if code and group and r["name"].strip():
            first = heads.setdefault(code, (r["name"].strip(), group, row_no))
            if first[:2] != (r["name"].strip(), group):
                errors.add(row_no, "name", _("Nama atau kelompok %(c)s berbeda dengan baris %(r)d.", c=code, r=first[2]))
        clean.append((code, r["name"].strip(), group, level, r["description"].strip(),
                      "\n".join(x.strip() for x in re.split(r"[|\n]", r["indicators"]) if x.strip())))
    errors.raise_if_any()
    created = updated = 0
    existing = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.code.in_(list(heads))))}
    for code, name, group, level, desc, indicators in clean:
        comp = existing.get(code)
        if comp is None:
            comp = Competency(code=code, name=name, group=group, description="")
            db.session.add(comp)
            existing[code] = comp
        elif (comp.name, comp.group) != (name, group):
            comp.name, comp.group = name, group
        row = next((lv for lv in comp.levels if lv.level == level), None)
        if row is None:
            comp.levels.append(CompetencyLevel(level=level, description=desc, indicators=indicators))
            created += 1
        elif row.description != desc or (indicators and row.indicators != indicators):
            row.description = desc
            if indicators:
                row.indicators = indicators
            updated += 1
    db.session.flush()
    return {"created": created, "updated": updated}


# --- position standards ------------------------------------------------------------------------

def set_standard(position: Position, competency: Competency, required_level: int) -> PositionStandard:
    if required_level not in LEVELS:
        raise BadInput(_("Level yang dipersyaratkan harus 1 sampai 5."))
    std = db.session.scalar(select(PositionStandard).where(PositionStandard.position_id == position.id,
                                                           PositionStandard.competency_id == competency.id))
    if std is None:
        std = PositionStandard(position=position, competency=competency, required_level=required_level)
        db.session.add(std)
    std.required_level = required_level
    db.session.flush()
    return std


def delete_standard(std: PositionStandard) -> None:
    db.session.delete(std)
    db.session.flush()


def import_standards(filename: str, data: bytes) -> dict[str, int]:
    """Rows `jabatan,competency,required_level`. A position not yet known is created (a standard may
    be set before anyone holds the position). All or nothing."""
    table = read_table(filename, data, ["jabatan", "competency", "required_level"])
    errors = RowErrors(table)
    comps = {c.code: c for c in db.session.scalars(select(Competency))}
    seen: dict[tuple[str, str], int] = {}
    clean = []
    for row_no, r in table.rows:
        jabatan = " ".join(r["jabatan"].split())
        code = r["competency"].strip().upper()
        if not jabatan:
            errors.add(row_no, "jabatan", _("Jabatan wajib diisi."))
        elif len(jabatan) > 200:
            errors.add(row_no, "jabatan", _("Nama jabatan terlalu panjang (maks. 200 karakter)."))
        if code not in comps:
            errors.add(row_no, "competency", _("Kompetensi %(c)s tidak ada di kamus.", c=code or "—"))
        level = _int_in(r["required_level"], 1, 5)
        if level is None:
            errors.add(row_no, "required_level", _("Level harus bilangan bulat 1 sampai 5."))
        key = (jabatan.lower(), code)
        if jabatan and code in comps:
            if key in seen:
                errors.add(row_no, "competency", _("Jabatan dan kompetensi ini sudah ada di baris %(r)d.", r=seen[key]))
            seen.setdefault(key, row_no)
        clean.append((jabatan, code, level))
    errors.raise_if_any()
    created = updated = 0
    for jabatan, code, level in clean:
        position = db.session.scalar(select(Position).where(db.func.lower(Position.name) == jabatan.lower())) \
            or get_or_create_position(jabatan)
        std = db.session.scalar(select(PositionStandard).where(PositionStandard.position_id == position.id,
                                                               PositionStandard.competency_id == comps[code].id))
        if std is None:
            db.session.add(PositionStandard(position=position, competency=comps[code], required_level=level))
            created += 1
        elif std.required_level != level:
            std.required_level = level
            updated += 1
    db.session.flush()
    return {"created": created, "updated": updated}


# --- assessments and course evidence -----------------------------------------------------------

SOURCE_ALIASES = {
    "assessment_centre": "assessment_centre", "assessment centre": "assessment_centre",
    "assessment center": "assessment_centre", "assessment_center": "assessment_centre", "ac": "assessment_centre",
    "pusat asesmen": "assessment_centre", "asesmen": "assessment_centre",
    "supervisor": "supervisor", "atasan": "supervisor", "penilaian atasan": "supervisor",
}


def current_level(user: User, competency: Competency) -> int:
    row = db.session.get(CurrentLevel, (user.id, competency.id))
    return row.level if row else 0


def record_assessment(user: User, competency: Competency, level: int, assessed_on: date, source: str, *,
                      course: Course | None = None, by: User | None = None) -> Assessment:
    """Record an assessed level. The newest (by date, then by recording order) counts."""
    if level not in LEVELS:
        raise BadInput(_("Level harus 1 sampai 5."))
    if source not in ASSESSMENT_SOURCES:
        raise BadInput(_("Sumber penilaian tidak dikenal."))
    if assessed_on > date.today():
        raise BadInput(_("Tanggal penilaian tidak boleh di masa depan."))
    cur = db.session.get(CurrentLevel, (user.id, competency.id))
    assessment = Assessment(user_id=user.id, competency_id=competency.id, level=level, assessed_on=assessed_on,
                            source=source, course_id=course.id if course else None, recorded_by_id=by.id if by else None,
                            previous_level=cur.level if cur else 0)
    db.session.add(assessment)
    db.session.flush()
    if cur is None:
        db.session.add(CurrentLevel(user_id=user.id, competency_id=competency.id, level=level,
                                    assessed_on=assessed_on, assessment_id=assessment.id))
    elif assessed_on >= cur.assessed_on:
        cur.level, cur.assessed_on, cur.assessment_id = level, assessed_on, assessment.id
    db.session.flush()
    return assessment


def apply_course_evidence(user: User, course: Course, completed_at: datetime) -> list[Assessment]:
    """A completed course mapped to competency C at level N raises the employee's level in C to N
    where it was lower. Unknown codes are ignored (packages are checked on import)."""
    made = []
    on = completed_at.date() if isinstance(completed_at, datetime) else completed_at
    on = min(on, date.today())
    for cc in course.competencies:
        comp = competency_by_code(cc.code)
        if comp is None or cc.level not in LEVELS:
            continue
        cur = db.session.get(CurrentLevel, (user.id, comp.id))
        if cur is not None and cur.level >= cc.level:
            continue
        # a course completion is the newest evidence: never dated before the level it raises
        when = max(on, cur.assessed_on) if cur is not None else on
        made.append(record_assessment(user, comp, cc.level, when, "course", course=course))
    return made


def _parse_date(value: str) -> date | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def import_assessments(filename: str, data: bytes, reach: Reach, by: User | None = None) -> dict[str, int]:
    """Rows `nip,competency,level,assessed_on,source`: employees must be within the importer's
    reach. All or nothing."""
    table = read_table(filename, data, ["nip", "competency", "level", "assessed_on", "source"])
    errors = RowErrors(table)
    comps = {c.code: c for c in db.session.scalars(select(Competency))}
    nips = {r["nip"].strip() for _n, r in table.rows}
    people = {u.nip: u for u in db.session.scalars(select(User).where(User.nip.in_(nips)))} if nips else {}
    clean = []
    today = date.today()
    for row_no, r in table.rows:
        nip = r["nip"].strip()
        person = people.get(nip)
        if not nip:
            errors.add(row_no, "nip", _("NIP wajib diisi."))
        elif person is None:
            errors.add(row_no, "nip", _("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
        elif not reach.covers(person):
            errors.add(row_no, "nip", _("Pegawai %(nip)s di luar jangkauan Anda.", nip=nip))
        code = r["competency"].strip().upper()
        if code not in comps:
            errors.add(row_no, "competency", _("Kompetensi %(c)s tidak ada di kamus.", c=code or "—"))
        level = _int_in(r["level"], 1, 5)
        if level is None:
            errors.add(row_no, "level", _("Level harus bilangan bulat 1 sampai 5."))
        on = _parse_date(r["assessed_on"])
        if on is None:
            errors.add(row_no, "assessed_on", _("Tanggal tidak valid; gunakan YYYY-MM-DD."))
        elif on > today:
            errors.add(row_no, "assessed_on", _("Tanggal penilaian tidak boleh di masa depan."))
        source = SOURCE_ALIASES.get(r["source"].strip().lower())
        if source is None:
            errors.add(row_no, "source", _("Sumber harus assessment_centre atau supervisor."))
        clean.append((person, code, level, on, source))
    errors.raise_if_any()
    # oldest first, so that "the newest counts" also holds within one file
    for person, code, level, on, source in sorted(clean, key=lambda c: c[3]):
        record_assessment(person, comps[code], level, on, source, by=by)
    return {"created": len(clean)}


# --- development plans -------------------------------------------------------------------------

def plan_for(user: User, year: int, *, create: bool = True) -> DevelopmentPlan | None:
    plan = db.session.scalar(select(DevelopmentPlan).where(DevelopmentPlan.user_id == user.id,
                                                           DevelopmentPlan.year == year))
    if plan is None and create:
        if not 2000 <= year <= 2100:
            raise BadInput(_("Tahun tidak valid."))
        plan = DevelopmentPlan(user_id=user.id, year=year, status="draft")
        db.session.add(plan)
        db.session.flush()
    return plan


def _editable(plan: DevelopmentPlan, actor: User) -> None:
    if actor.id != plan.user_id:
        raise Forbidden(_("Hanya pemilik rencana yang dapat mengubahnya."))
    if plan.status not in ("draft", "returned"):
        raise RuleViolation(_("Rencana yang sudah diajukan atau disetujui tidak dapat diubah."), code="plan_locked")


def add_plan_item(plan: DevelopmentPlan, actor: User, *, kind: str, course: Course | None = None, title: str = "",
                  planned_jp: Decimal | str | int = 0, competency_code: str | None = None) -> PlanItem:
    _editable(plan, actor)
    if kind not in PLAN_ITEM_KINDS:
        raise BadInput(_("Jenis kegiatan tidak dikenal."))
    try:
        jp = parse_number(planned_jp).quantize(Decimal("0.01"))
    except (ValueError, InvalidOperation):
        raise BadInput(_("JP harus angka, mis. 1,5.")) from None
    if kind == "course":
        if course is None or not course.published:
            raise BadInput(_("Pilih kursus yang tersedia."))
        if any(i.course_id == course.id for i in plan.items):
            raise Conflict(_("Kursus ini sudah ada di rencana."), code="duplicate_item")
        title, jp = course.title, course.jp
    else:
        title = (title or "").strip()
        if not title:
            raise BadInput(_("Nama kegiatan wajib diisi."))
        if len(title) > 250:
            raise BadInput(_("Nama kegiatan terlalu panjang."))
        if jp <= 0 or jp > 1000:
            raise BadInput(_("JP yang direncanakan harus lebih dari 0 (maks. 1000)."))
    code = (competency_code or "").strip().upper() or None
    if code and competency_by_code(code) is None:
        raise BadInput(_("Kompetensi %(c)s tidak ada di kamus.", c=code))
    item = PlanItem(kind=kind, course_id=course.id if course else None, title=title, planned_jp=jp,
                    competency_code=code)
    plan.items.append(item)
    db.session.flush()
    return item


def remove_plan_item(item: PlanItem, actor: User) -> None:
    _editable(item.plan, actor)
    item.plan.items.remove(item)
    db.session.flush()


def submit_plan(plan: DevelopmentPlan, actor: User) -> DevelopmentPlan:
    _editable(plan, actor)
    if not plan.items:
        raise RuleViolation(_("Rencana masih kosong: tambahkan minimal satu kegiatan."), code="plan_empty")
    plan.status, plan.submitted_at = "submitted", utcnow()
    db.session.flush()
    from app.notifications.operations import link_to, notify

    for head in supervisors_of(plan.user)[:1]:  # the direct atasan decides (see _decide)
        notify(head, _("Rencana pengembangan %(name)s menunggu persetujuan Anda", name=plan.user.name),
               _("Rencana %(year)d berisi %(n)d kegiatan.", year=plan.year, n=len(plan.items)),
               link=link_to("corpu.plan_review", plan_id=plan.id))
    return plan


def _decide(plan: DevelopmentPlan, actor: User, status: str, comment: str) -> DevelopmentPlan:
    if not is_supervisor_of(actor, plan.user):
        raise Forbidden(_("Hanya atasan langsung pegawai ini yang dapat memutuskan rencananya."))
    if plan.status != "submitted":
        raise RuleViolation(_("Rencana ini tidak sedang menunggu persetujuan."), code="plan_not_submitted")
    plan.status, plan.comment = status, (comment or "").strip()
    plan.decided_at, plan.decided_by_id = utcnow(), actor.id
    db.session.flush()
    from app.notifications.operations import link_to, notify

    title = (_("Rencana pengembangan %(year)d disetujui", year=plan.year) if status == "approved"
             else _("Rencana pengembangan %(year)d dikembalikan untuk diperbaiki", year=plan.year))
    notify(plan.user, title, plan.comment or "", link=link_to("corpu.plan", tahun=plan.year))
    return plan


def approve_plan(plan: DevelopmentPlan, actor: User, comment: str = "") -> DevelopmentPlan:
    return _decide(plan, actor, "approved", comment)


def return_plan(plan: DevelopmentPlan, actor: User, comment: str) -> DevelopmentPlan:
    if not (comment or "").strip():
        raise BadInput(_("Tuliskan alasan pengembalian agar pegawai tahu apa yang perlu diperbaiki."))
    return _decide(plan, actor, "returned", comment)


def mark_item_done(item: PlanItem, actor: User, on: date | None = None) -> PlanItem:
    """Non-course activities (coaching, mentoring, internship) are marked done by the learner once the
    plan is approved; a course item is done by its course completion."""
    if actor.id != item.plan.user_id:
        raise Forbidden(_("Hanya pemilik rencana yang dapat menandai kegiatan."))
    if item.plan.status != "approved":
        raise RuleViolation(_("Kegiatan dapat ditandai selesai setelah rencana disetujui."), code="plan_not_approved")
    if item.kind == "course":
        raise RuleViolation(_("Kursus selesai dengan sendirinya ketika kursusnya diselesaikan."), code="course_item")
    item.done_on = on or date.today()
    db.session.flush()
    return item


# --- costs and budgets -------------------------------------------------------------------------

def _money(value) -> Decimal:
    try:
        amount = parse_number(value, money=True).quantize(Decimal("0.01"))
    except (ValueError, InvalidOperation):
        raise BadInput(_("Jumlah uang harus angka rupiah, mis. 1.500.000.")) from None
    if amount < 0:
        raise BadInput(_("Jumlah uang tidak boleh negatif."))
    return amount


def set_course_cost(course: Course, amount) -> CourseCost:
    cost = db.session.scalar(select(CourseCost).where(CourseCost.course_id == course.id))
    if cost is None:
        cost = CourseCost(course_id=course.id, cost_per_participant=Decimal(0))
        db.session.add(cost)
    cost.cost_per_participant = _money(amount)
    db.session.flush()
    return cost


def set_budget(instansi: Unit, year: int, apbd, by: User | None = None) -> TrainingBudget:
    if instansi.parent_id is not None:
        raise BadInput(_("Anggaran dicatat per instansi (unit teratas)."))
    if by is not None:
        from app.accounts.queries import reach

        if not reach(by).covers_unit(instansi):  # an OPD's officer does not set the whole instansi's APBD
            raise Forbidden(_("APBD dicatat untuk seluruh instansi: hanya staf yang jangkauannya seluruh instansi "
                              "yang boleh mengubahnya."))
    if not 2000 <= year <= 2100:
        raise BadInput(_("Tahun tidak valid."))
    row = db.session.scalar(select(TrainingBudget).where(TrainingBudget.unit_id == instansi.id,
                                                         TrainingBudget.year == year))
    if row is None:
        row = TrainingBudget(unit_id=instansi.id, year=year, apbd=Decimal(0))
        db.session.add(row)
    row.apbd, row.updated_by_id = _money(apbd), by.id if by else None
    db.session.flush()
    return row


# --- programs ----------------------------------------------------------------------------------

def save_program(*, code: str, title: str, description: str = "", validity_years: int | None = None,
                 course_ids: list[int], program: Program | None = None, certificate: bool | None = None) -> Program:
    """Create or update a program. `certificate` None keeps the current setting (on for a new one)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 60:
        raise BadInput(_("Kode program wajib diisi (maks. 60 karakter)."))
    if not (title or "").strip():
        raise BadInput(_("Judul program wajib diisi."))
    if validity_years is not None and not 1 <= validity_years <= 50:
        raise BadInput(_("Masa berlaku harus 1 sampai 50 tahun, atau kosong."))
    if not course_ids:
        raise BadInput(_("Program harus berisi minimal satu kursus."))
    if len(set(course_ids)) != len(course_ids):
        raise BadInput(_("Kursus yang sama tidak boleh muncul dua kali."))
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    missing = [i for i in course_ids if i not in courses]
    if missing:
        raise BadInput(_("Kursus tidak ditemukan: %(ids)s.", ids=", ".join(map(str, missing))))
    other = db.session.scalar(select(Program).where(Program.code == code))
    if other is not None and other is not program:
        raise Conflict(_("Kode program %(c)s sudah dipakai.", c=code), code="duplicate_code")
    if program is None:
        program = Program(code=code)
        db.session.add(program)
    program.code, program.title, program.description = code, title.strip(), (description or "").strip()
    program.validity_years = validity_years
    if certificate is not None:
        program.certificate = bool(certificate)
    program.courses.clear()
    db.session.flush()
    for pos, cid in enumerate(course_ids):
        program.courses.append(ProgramCourse(course_id=cid, position=pos))
    db.session.flush()
    return program


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def latest_program_completion(program: Program, user: User) -> ProgramCompletion | None:
    return db.session.scalar(select(ProgramCompletion).where(
        ProgramCompletion.program_id == program.id, ProgramCompletion.user_id == user.id)
        .order_by(ProgramCompletion.completed_on.desc(), ProgramCompletion.id.desc()).limit(1))


def check_program_completion(user: User, course: Course, completed_at: datetime) -> list[ProgramCompletion]:
    """Complete every program holding `course` whose courses are now all completed by `user`.
    Each new row is announced with `program_completed` (certificates listen), in this transaction."""
    made = []
    programs = list(db.session.scalars(select(Program).join(ProgramCourse).where(ProgramCourse.course_id == course.id)))
    if not programs:
        return made
    # A person finishing two courses of one program in two requests at the same moment: each
    # transaction would miss the other's completion and the program would never be completed.
    # Serialise one person's program checks on their user row (READ COMMITTED then sees the
    # other's committed completion; SQLite has a single writer anyway). FOR NO KEY UPDATE, not FOR
    # UPDATE: the completion rows already inserted hold FOR KEY SHARE on this row (their foreign
    # key), and FOR UPDATE would wait on the other transaction's — a deadlock.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    on = completed_at.date() if isinstance(completed_at, datetime) else completed_at
    for program in programs:
        ids = [pc.course_id for pc in program.courses]
        done = set(db.session.scalars(select(CourseCompletion.course_id).where(
            CourseCompletion.user_id == user.id, CourseCompletion.course_id.in_(ids))))
        done.add(course.id)
        if set(ids) <= done and latest_program_completion(program, user) is None:
            pc = ProgramCompletion(program_id=program.id, user_id=user.id, completed_on=on, kind="completion",
                                   expires_on=_add_years(on, program.validity_years) if program.validity_years else None)
            db.session.add(pc)
            made.append(pc)
    db.session.flush()
    at = completed_at if isinstance(completed_at, datetime) else utcnow()
    for pc in made:
        program_completed.send(user, program=pc.program, completion=pc, completed_at=at)
    return made


def recertify(program: Program, user: User, on: date, by: User | None = None) -> ProgramCompletion:
    """Record a recertification (e.g. APKD): a new validity period from `on`."""
    if latest_program_completion(program, user) is None:
        raise RuleViolation(_("Pegawai ini belum pernah menyelesaikan program ini."), code="not_certified")
    if on > date.today():
        raise BadInput(_("Tanggal tidak boleh di masa depan."))
    pc = ProgramCompletion(program_id=program.id, user_id=user.id, completed_on=on, kind="recertification",
                           expires_on=_add_years(on, program.validity_years) if program.validity_years else None)
    db.session.add(pc)
    db.session.flush()
    # completed_at is when it was recorded: `on` may be back-dated, the certificate is issued today
    program_completed.send(user, program=program, completion=pc, completed_at=utcnow())
    return pc


# --- talent ratings ----------------------------------------------------------------------------

RATING_ALIASES = {"low": "low", "rendah": "low", "medium": "medium", "sedang": "medium", "menengah": "medium",
                  "high": "high", "tinggi": "high"}
PERIOD_RE = re.compile(r"^\d{4}(-(S[12]|Q[1-4]|\d{2}))?$")


def import_talent(filename: str, data: bytes, reach: Reach) -> dict[str, int]:
    """Rows `nip,kinerja,potensi,periode` (low/medium/high or rendah/sedang/tinggi; periode e.g. 2025
    or 2025-S1). A second import of a period replaces that period's ratings. All or nothing."""
    table = read_table(filename, data, ["nip", "kinerja", "potensi", "periode"])
    errors = RowErrors(table)
    nips = {r["nip"].strip() for _n, r in table.rows}
    people = {u.nip: u for u in db.session.scalars(select(User).where(User.nip.in_(nips)))} if nips else {}
    seen: dict[tuple[str, str], int] = {}
    clean = []
    for row_no, r in table.rows:
        nip = r["nip"].strip()
        person = people.get(nip)
        if person is None:
            errors.add(row_no, "nip", _("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip or "—"))
        elif not reach.covers(person):
            errors.add(row_no, "nip", _("Pegawai %(nip)s di luar jangkauan Anda.", nip=nip))
        kinerja = RATING_ALIASES.get(r["kinerja"].strip().lower())
        potensi = RATING_ALIASES.get(r["potensi"].strip().lower())
        for col, val in (("kinerja", kinerja), ("potensi", potensi)):
            if val is None:
                errors.add(row_no, col, _("Nilai harus low/medium/high (rendah/sedang/tinggi)."))
        period = r["periode"].strip().upper()
        if not PERIOD_RE.match(period):
            errors.add(row_no, "periode", _("Periode tidak valid; contoh 2025 atau 2025-S1."))
        if nip and period:
            if (nip, period) in seen:
                errors.add(row_no, "nip", _("NIP dan periode ini sudah ada di baris %(r)d.", r=seen[(nip, period)]))
            seen.setdefault((nip, period), row_no)
        clean.append((person, kinerja, potensi, period))
    errors.raise_if_any()
    created = updated = 0
    for person, kinerja, potensi, period in clean:
        row = db.session.scalar(select(TalentRating).where(TalentRating.user_id == person.id,
                                                           TalentRating.period == period))
        if row is None:
            db.session.add(TalentRating(user_id=person.id, period=period, kinerja=kinerja, potensi=potensi))
            created += 1
        elif (row.kinerja, row.potensi) != (kinerja, potensi):
            row.kinerja, row.potensi, row.imported_at = kinerja, potensi, utcnow()
            updated += 1
    db.session.flush()
    return {"created": created, "updated": updated}


def person_by_nip(nip: str) -> User:
    person = user_by_nip((nip or "").strip())
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
    return person


def notify_expiring(today: date | None = None) -> int:
    """Tell holders whose certification (a program with a validity) expires within the notice
    window; once per completion, so running it again tells no one twice."""
    from datetime import timedelta

    from flask_babel import format_date

    from app.corpu.models import ProgramNotice
    from app.corpu.settings import expiry_notice_days

    today = today or date.today()
    horizon = today + timedelta(days=expiry_notice_days())
    newest = (select(ProgramCompletion.program_id, ProgramCompletion.user_id,
                     db.func.max(ProgramCompletion.id).label("mid"))
              .group_by(ProgramCompletion.program_id, ProgramCompletion.user_id).subquery())
    due = db.session.scalars(
        select(ProgramCompletion).join(newest, ProgramCompletion.id == newest.c.mid)
        .where(ProgramCompletion.expires_on.is_not(None), ProgramCompletion.expires_on <= horizon)
        .where(~select(ProgramNotice.id).where(ProgramNotice.completion_id == ProgramCompletion.id,
                                               ProgramNotice.kind == "expiring").exists())).all()
    for pc in due:
        if pc.expires_on < today:
            msg = _("Sertifikasi %(p)s Anda telah berakhir pada %(d)s. Ikuti sertifikasi ulang.",
                    p=pc.program.title, d=format_date(pc.expires_on, "long"))
        else:
            msg = _("Sertifikasi %(p)s Anda berakhir pada %(d)s. Rencanakan sertifikasi ulang sebelum tanggal itu.",
                    p=pc.program.title, d=format_date(pc.expires_on, "long"))
        db.session.add(ProgramNotice(user_id=pc.user_id, completion_id=pc.id, kind="expiring", message=msg))
    db.session.flush()
    return len(due)


def mark_notice_read(notice_id: int, user: User) -> None:
    from app.corpu.models import ProgramNotice

    notice = db.session.get(ProgramNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound(_("Pemberitahuan tidak ditemukan."))
    notice.read_at = utcnow()
    db.session.flush()
