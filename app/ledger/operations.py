"""Every state change of the ledger: entries (append only), reversals, course credits, rules,
claims and attendance batches. Views and the API call these; they flush, the caller commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User, utcnow
from app.accounts.queries import organisation_wide, reach, user_by_nip
from app.errors import BadInput, Conflict, Forbidden, RuleViolation
from app.extensions import db
from app.imports import RowErrors, read_table
from app.inputs import finite_decimal
from app.ledger import chain, rules
from app.ledger.models import SIASN_TYPES, AttendanceBatch, Claim, JpRule, LedgerEntry
from app.notifications.operations import notify
from app.signals import ledger_entry_recorded

MAX_JP_PER_ENTRY = Decimal("999999.99")


# --- time -----------------------------------------------------------------------------------

def ledger_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("LEDGER_TIMEZONE", "Asia/Jakarta"))


def local_date(at: datetime) -> date:
    """The date in the ledger's time zone (WIB) of a naive-UTC or aware datetime."""
    from datetime import UTC

    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(ledger_zone()).date()


def current_year() -> int:
    return local_date(utcnow()).year


# --- the one door every entry goes through ----------------------------------------------------

def append_entry(user: User, *, kind: str, title: str, occurred_on: date, jp: Decimal,
                 minutes: int | None = None, category: str | None = None, rule: JpRule | None = None,
                 source_type: str = "manual", source_id: int | None = None, organiser: str | None = None,
                 start_date: date | None = None, end_date: date | None = None, international: bool = False,
                 jenis_diklat_id: int | None = None, certificate_number: str | None = None,
                 reverses: LedgerEntry | None = None, reason: str | None = None,
                 by: User | None = None) -> tuple[LedgerEntry, bool]:
    """Append one entry to the chain. Returns (entry, created): when an entry from the same
    source already exists for (user, source, year), that entry is returned and nothing is added."""
    jp = rules.q(jp)
    if abs(jp) > MAX_JP_PER_ENTRY:
        raise RuleViolation(_("JP terlalu besar."), code="jp_too_large")
    if category is None:
        category = rule.category if rule is not None else rules.kind_category(kind)[0]
    year = occurred_on.year
    head = chain.lock_head()  # from here until commit, appends are serialised
    if source_id is not None:
        existing = db.session.scalar(select(LedgerEntry).where(
            LedgerEntry.user_id == user.id, LedgerEntry.source_type == source_type,
            LedgerEntry.source_id == source_id, LedgerEntry.year == year))
        if existing is not None:
            return existing, False
    entry = LedgerEntry(
        user_id=user.id, nip=user.nip, year=year, occurred_on=occurred_on, kind=kind, category=category,
        title=title.strip()[:250], organiser=(organiser or "").strip()[:250] or None, start_date=start_date,
        end_date=end_date, jp=jp, minutes=minutes, international=bool(international),
        rule_code=rule.code if rule else None, source_type=source_type, source_id=source_id,
        jenis_diklat_id=jenis_diklat_id if jenis_diklat_id is not None else (rule.jenis_diklat_id if rule else None),
        certificate_number=(certificate_number or "").strip()[:100] or None,
        reverses_id=reverses.id if reverses else None, reason=reason, recorded_at=utcnow(),
        recorded_by_id=by.id if by else None)
    chain.append(head, entry)
    ledger_entry_recorded.send(entry)
    return entry, True


# --- course completions -----------------------------------------------------------------------

def credit_course(user: User, course, completed_at: datetime) -> LedgerEntry | None:
    """Credit a completed course's JP, once per (user, course, year in WIB)."""
    if course.jp is None or Decimal(course.jp) <= 0:
        return None
    rule = rules.course_rule(course)
    occurred = local_date(completed_at)
    entry, _created = append_entry(
        user, kind="course", category=rule.category, title=course.title, occurred_on=occurred, jp=Decimal(course.jp),
        rule=rule, source_type="course", source_id=course.id, organiser=course.organiser or current_app.config.get(
            "SITE_NAME", "Lentera"), start_date=course.start_date, end_date=occurred,
        jenis_diklat_id=rules.siasn_type_for_course(course, rule))
    return entry


# --- manual entries and reversals ---------------------------------------------------------------

def _check_staff_reach(staff: User, person: User) -> None:
    if not staff.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya staf BPSDM atau admin yang boleh mencatat JP."))
    if not reach(staff).covers_unit(person.unit):  # staff record for others in reach, not for themselves outside it
        raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))


def record_manual(staff: User, person: User, *, kind: str, title: str, occurred_on: date,
                  jp: Decimal | None = None, minutes: int | None = None, organiser: str | None = None,
                  start_date: date | None = None, end_date: date | None = None, jenis_diklat_id: int | None = None,
                  certificate_number: str | None = None, reason: str | None = None) -> LedgerEntry:
    """BPSDM records JP by hand (JP, or minutes converted at JP_MINUTES)."""
    _check_staff_reach(staff, person)
    if kind not in rules.known_kinds():
        raise BadInput(_("Jenis kegiatan tidak dikenal: %(kind)s.", kind=kind), code="unknown_kind",
                       details=[{"field": "kind", "message": _("nilai tidak dikenal")}])
    if not title or not title.strip():
        raise BadInput(_("Judul wajib diisi."), details=[{"field": "title", "message": _("wajib diisi")}])
    if (jp is None) == (minutes is None):
        raise BadInput(_("Isi salah satu: jp atau minutes."), code="jp_or_minutes",
                       details=[{"field": "jp", "message": _("isi jp atau minutes, tidak keduanya")}])
    if minutes is not None:
        if minutes <= 0:
            raise RuleViolation(_("Menit harus lebih dari 0."), code="minutes_positive")
        jp = Decimal(minutes) / rules.jp_minutes()
    assert jp is not None
    try:
        jp = rules.q(jp)
    except InvalidOperation:
        raise BadInput(_("JP harus berupa angka.")) from None
    if jp <= 0:
        raise RuleViolation(_("JP harus lebih dari 0; untuk mengurangi, batalkan entri (reversal)."),
                            code="jp_positive")
    if jenis_diklat_id is not None and jenis_diklat_id not in SIASN_TYPES:
        raise BadInput(_("jenis_diklat_id harus 1 sampai 10."))
    if start_date and end_date and end_date < start_date:
        raise RuleViolation(_("Tanggal selesai sebelum tanggal mulai."), code="dates_order")
    if occurred_on > local_date(utcnow()):
        raise RuleViolation(_("Tanggal kegiatan tidak boleh di masa depan."), code="future_date")
    category, code = rules.kind_category(kind)
    rule = db.session.scalar(select(JpRule).where(JpRule.code == code)) if code else None
    entry, _c = append_entry(person, kind=kind, category=category, title=title, occurred_on=occurred_on, jp=jp,
                             minutes=minutes, rule=rule, source_type="manual", organiser=organiser,
                             start_date=start_date, end_date=end_date, jenis_diklat_id=jenis_diklat_id,
                             certificate_number=certificate_number, reason=reason, by=staff)
    return entry


def reverse_entry(staff: User, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Cancel an entry by appending its negative, with a reason. Once per entry (409 after)."""
    person = db.session.get(User, entry.user_id)
    _check_staff_reach(staff, person)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise BadInput(_("Alasan pembatalan wajib diisi."), code="reason_required",
                       details=[{"field": "reason", "message": _("wajib diisi")}])
    if entry.source_type == "reversal":
        raise Conflict(_("Entri pembatalan tidak dapat dibatalkan lagi."), code="already_reversal")
    chain.lock_head()  # serialise with other appends before looking for an earlier reversal
    if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)) is not None:
        raise Conflict(_("Entri ini sudah dibatalkan."), code="already_reversed")
    reversal, created = append_entry(
        person, kind=entry.kind, category=entry.category, title=entry.title, occurred_on=entry.occurred_on,
        jp=-Decimal(entry.jp), minutes=-entry.minutes if entry.minutes is not None else None,
        source_type="reversal", source_id=entry.id, organiser=entry.organiser, start_date=entry.start_date,
        end_date=entry.end_date, international=entry.international, jenis_diklat_id=entry.jenis_diklat_id,
        certificate_number=entry.certificate_number, reverses=entry, reason=reason, by=staff)
    if not created:
        raise Conflict(_("Entri ini sudah dibatalkan."), code="already_reversed")
    return reversal


# --- rules -------------------------------------------------------------------------------------

def update_rule(staff: User, rule: JpRule, *, name: str, category: str, unit: str, jp_national: Decimal | None,
                jp_international: Decimal | None, international_bonus_pct: int, jenis_diklat_id: int | None,
                active: bool) -> JpRule:
    """BPSDM edits a conversion rule. Entries already recorded keep the JP they were given.

    The rules hold for every unit, so only staff whose reach is the whole organisation change them."""
    if not staff.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya staf BPSDM atau admin yang boleh mengubah aturan JP."))
    if not organisation_wide(staff):
        raise Forbidden(_("Aturan JP berlaku untuk seluruh organisasi: hanya staf yang jangkauannya seluruh "
                          "organisasi yang boleh mengubahnya."))
    from app.ledger.models import CATEGORIES, RULE_UNITS

    if category not in CATEGORIES or unit not in RULE_UNITS:
        raise BadInput(_("Kategori atau satuan tidak dikenal."))
    if unit == "per_day" and (jp_national is None or jp_international is None):
        raise RuleViolation(_("Aturan per hari membutuhkan JP per hari nasional dan internasional."),
                            code="rule_incomplete")
    for v in (jp_national, jp_international):
        if v is not None and not Decimal(v).is_finite():
            raise BadInput(_("JP per hari harus angka."), code="jp_not_a_number")
        if v is not None and Decimal(v) < 0:
            raise RuleViolation(_("JP tidak boleh negatif."), code="jp_negative")
    if not 0 <= international_bonus_pct <= 500:
        raise RuleViolation(_("Tambahan internasional harus 0–500%."), code="bonus_range")
    if jenis_diklat_id is not None and jenis_diklat_id not in SIASN_TYPES:
        raise BadInput(_("jenis_diklat_id harus 1 sampai 10."))
    rule.name, rule.category, rule.unit = name.strip()[:200], category, unit
    rule.jp_national = jp_national
    rule.jp_international = jp_international
    rule.international_bonus_pct = international_bonus_pct
    rule.jenis_diklat_id = jenis_diklat_id
    rule.active = active
    rule.updated_at, rule.updated_by_id = utcnow(), staff.id
    db.session.flush()
    return rule


# --- claims ------------------------------------------------------------------------------------

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {b"%PDF-": ("application/pdf", "pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
                  b"\xff\xd8\xff": ("image/jpeg", "jpg")}


def sniff_evidence(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the file's first bytes; the name and the browser's word are not trusted."""
    from app.errors import TooLarge

    if not data:
        raise BadInput(_("Berkas bukti kosong."), code="evidence_missing")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise TooLarge(_("Berkas bukti terlalu besar: paling banyak %(mb)d MB.", mb=MAX_EVIDENCE_BYTES // 1024 // 1024))
    for magic, kind in EVIDENCE_TYPES.items():
        if data.startswith(magic):
            return kind
    raise RuleViolation(_("Bukti harus berupa PDF, PNG atau JPEG."), code="evidence_type",
                        details=[{"field": "evidence", "message": _("format tidak didukung")}])


def _length_fields(rule: JpRule, days, minutes, stated_jp, international) -> rules.Computed:
    return rules.compute(rule, days=days, minutes=minutes,
                         stated_jp=finite_decimal(stated_jp, "stated_jp") if stated_jp not in (None, "") else None,
                         international=international)


def submit_claim(user: User, *, rule: JpRule, title: str, organiser: str, start_date: date, end_date: date,
                 days: int | None = None, minutes: int | None = None, stated_jp: Decimal | None = None,
                 international: bool = False, certificate_number: str | None = None,
                 filename: str, data: bytes) -> Claim:
    """A learner claims external learning with evidence; it waits for BPSDM's verification."""
    import uuid

    from app.storage import get_storage

    if not rule.active:
        raise RuleViolation(_("Jenis kegiatan ini tidak aktif."), code="rule_inactive")
    if not title.strip() or not organiser.strip():
        raise BadInput(_("Nama kegiatan dan penyelenggara wajib diisi."))
    if end_date < start_date:
        raise RuleViolation(_("Tanggal selesai sebelum tanggal mulai."), code="dates_order")
    today = local_date(utcnow())
    if end_date > today:
        raise RuleViolation(_("Kegiatan yang belum selesai belum dapat diklaim."), code="future_date")
    oldest = today.year - current_app.config.get("CLAIM_OLDEST_YEARS", 1)
    if end_date.year < oldest:
        # JP count for the year the learning ended; a year long closed cannot take new entries.
        raise RuleViolation(_("Kegiatan tahun %(y)d sudah terlalu lama untuk diklaim: klaim diterima untuk kegiatan "
                              "yang selesai tahun %(o)d atau sesudahnya.", y=end_date.year, o=oldest),
                            code="too_old")
    if days is not None and days > (end_date - start_date).days + 1:
        raise RuleViolation(_("Jumlah hari melebihi rentang tanggal kegiatan."), code="days_exceed_span")
    _length_fields(rule, days, minutes, stated_jp, international)  # refuse now what could not be computed later
    ctype, ext = sniff_evidence(data)
    key = f"ledger/claims/{user.id}/{uuid.uuid4().hex}.{ext}"
    get_storage().put_bytes(key, data, content_type=ctype)
    claim = Claim(user_id=user.id, rule_id=rule.id, title=title.strip()[:250], organiser=organiser.strip()[:250],
                  start_date=start_date, end_date=end_date, days=days, minutes=minutes,
                  stated_jp=Decimal(stated_jp) if stated_jp not in (None, "") else None,
                  international=bool(international), certificate_number=(certificate_number or "").strip() or None,
                  evidence_key=key, evidence_name=(filename or f"bukti.{ext}")[-250:], evidence_type=ctype,
                  state="submitted")
    db.session.add(claim)
    db.session.flush()
    return claim


def can_review(staff: User, claim: Claim) -> bool:
    return staff.has_role("bpsdm", "admin") and staff.id != claim.user_id and reach(staff).covers(claim.user)


def _check_review(staff: User, claim: Claim) -> None:
    if not can_review(staff, claim):
        raise Forbidden(_("Klaim ini di luar jangkauan verifikasi Anda."))
    if claim.state != "submitted":
        raise Conflict(_("Klaim ini sudah diverifikasi."), code="claim_already_reviewed")


def approve_claim(staff: User, claim: Claim, note: str | None = None) -> LedgerEntry:
    from flask import url_for

    _check_review(staff, claim)
    computed = _length_fields(claim.rule, claim.days, claim.minutes, claim.stated_jp, claim.international)
    entry, _c = append_entry(
        claim.user, kind=claim.rule.kind, category=claim.rule.category, title=claim.title,
        occurred_on=claim.end_date, jp=computed.jp, minutes=computed.minutes, rule=claim.rule,
        source_type="claim", source_id=claim.id, organiser=claim.organiser, start_date=claim.start_date,
        end_date=claim.end_date, international=claim.international, certificate_number=claim.certificate_number,
        reason=(note or "").strip() or None, by=staff)
    claim.state, claim.reviewer_id, claim.reviewed_at = "approved", staff.id, utcnow()
    claim.reason = (note or "").strip() or None
    claim.entry_id = entry.id
    notify(claim.user_id, _("Klaim JP disetujui: %(title)s", title=claim.title),
           _("%(jp)s JP dicatat di riwayat JP Anda (%(how)s).", jp=f"{computed.jp:f}".rstrip("0").rstrip("."),
             how=computed.explanation), link=url_for("ledger.my_jp", year=entry.year))
    db.session.flush()
    return entry


def reject_claim(staff: User, claim: Claim, reason: str) -> Claim:
    from flask import url_for

    _check_review(staff, claim)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise BadInput(_("Alasan penolakan wajib diisi."), code="reason_required",
                       details=[{"field": "reason", "message": _("wajib diisi")}])
    claim.state, claim.reviewer_id, claim.reviewed_at, claim.reason = "rejected", staff.id, utcnow(), reason
    notify(claim.user_id, _("Klaim JP ditolak: %(title)s", title=claim.title),
           _("Alasan: %(reason)s", reason=reason), link=url_for("ledger.my_claims"))
    db.session.flush()
    return claim


# --- attendance batches ------------------------------------------------------------------------

def create_batch(staff: User, *, rule: JpRule, title: str, organiser: str, start_date: date, end_date: date,
                 days: int | None = None, minutes: int | None = None, stated_jp: Decimal | None = None,
                 international: bool = False) -> AttendanceBatch:
    if not staff.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya staf BPSDM atau admin yang boleh mencatat kehadiran."))
    if not title.strip() or not organiser.strip():
        raise BadInput(_("Nama pelatihan dan penyelenggara wajib diisi."))
    if end_date < start_date:
        raise RuleViolation(_("Tanggal selesai sebelum tanggal mulai."), code="dates_order")
    if end_date > local_date(utcnow()):
        raise RuleViolation(_("Pelatihan yang belum selesai belum dapat dicatat."), code="future_date")
    computed = _length_fields(rule, days, minutes, stated_jp, international)
    r = reach(staff)
    unit_id = None
    if not r.everything:
        root = next((role.unit_id for role in staff.roles if role.role in ("bpsdm", "admin") and role.unit_id), None)
        unit_id = root or staff.unit_id
    batch = AttendanceBatch(rule_id=rule.id, title=title.strip()[:250], organiser=organiser.strip()[:250],
                            start_date=start_date, end_date=end_date, days=days, minutes=minutes,
                            stated_jp=Decimal(stated_jp) if stated_jp not in (None, "") else None,
                            international=bool(international), jp=computed.jp, unit_id=unit_id,
                            created_by_id=staff.id)
    db.session.add(batch)
    db.session.flush()
    return batch


def record_attendance(staff: User, batch: AttendanceBatch, rows: list[tuple[int, str]],
                      errors: RowErrors | None = None) -> dict[str, int]:
    """Credit everyone listed (row number, NIP). All or nothing: any bad row refuses the whole list,
    naming every bad row. Someone already credited by this batch is skipped (re-upload is safe)."""
    if not staff.has_role("bpsdm", "admin"):
        raise Forbidden(_("Hanya staf BPSDM atau admin yang boleh mencatat kehadiran."))
    if batch.created_by_id != staff.id and not organisation_wide(staff, ("admin",)) and \
            not _batch_in_reach(staff, batch):
        raise Forbidden(_("Daftar hadir ini di luar jangkauan Anda."))
    from app.accounts.nip import InvalidNIP, validate_nip

    errors = errors or RowErrors()
    r = reach(staff)
    people: list[User] = []
    seen: dict[str, int] = {}
    for row, raw in rows:
        nip = (raw or "").strip().replace(" ", "")
        if not nip:
            errors.add(row, "nip", _("NIP wajib diisi."))
            continue
        try:
            nip = validate_nip(nip)
        except InvalidNIP as exc:
            errors.add(row, "nip", str(exc))
            continue
        if nip in seen:
            errors.add(row, "nip", _("NIP %(nip)s sudah ada di baris %(row)d.", nip=nip, row=seen[nip]))
            continue
        seen[nip] = row
        person = user_by_nip(nip)
        if person is None:
            errors.add(row, "nip", _("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
            continue
        if not r.covers_unit(person.unit):
            errors.add(row, "nip", _("Pegawai dengan NIP %(nip)s di luar jangkauan Anda.", nip=nip))
            continue
        people.append(person)
    if not rows:
        raise BadInput(_("Daftar hadir kosong."), code="attendance_empty")
    errors.raise_if_any()
    created = skipped = 0
    for person in people:
        _e, was_new = append_entry(
            person, kind=batch.rule.kind, category=batch.rule.category, title=batch.title, occurred_on=batch.end_date,
            jp=batch.jp, minutes=batch.minutes, rule=batch.rule, source_type="attendance", source_id=batch.id,
            organiser=batch.organiser, start_date=batch.start_date, end_date=batch.end_date,
            international=batch.international, by=staff)
        created += was_new
        skipped += not was_new
    return {"credited": created, "already": skipped}


def _batch_in_reach(staff: User, batch: AttendanceBatch) -> bool:
    r = reach(staff)
    return r.everything or (batch.unit is not None and r.covers_unit(batch.unit))


def parse_nip_list(text: str) -> list[tuple[int, str]]:
    """A hand-typed attendance list: one NIP a line (commas and semicolons also separate)."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        for part in line.replace(";", ",").split(","):
            if part.strip():
                rows.append((number, part.strip()))
    return rows


def import_attendance(staff: User, batch: AttendanceBatch, filename: str, data: bytes) -> dict[str, int]:
    """An attendance list as CSV/XLSX with a `nip` column (others, e.g. `nama`, are ignored)."""
    table = read_table(filename, data, ["nip"], ["nama"])
    errors = RowErrors(table)
    rows = [(row, values["nip"]) for row, values in table.rows]
    if not rows and not errors:
        raise BadInput(_("Berkas tidak berisi baris data."), code="attendance_empty")
    return record_attendance(staff, batch, rows, errors)
