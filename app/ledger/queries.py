"""The ledger's read side: totals, entries, years, the 10:20:70 mix, the claims queue, exports."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import Unit, User
from app.accounts.queries import Reach, reach
from app.extensions import db
from app.home import home_row
from app.ledger.models import CATEGORIES, AttendanceBatch, Claim, LedgerEntry
from app.ledger.rules import q


def year_total(user_id: int, year: int) -> Decimal:
    """A person's JP for a year: the plain sum (reversals are negative)."""
    total = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.jp), 0)).where(
        LedgerEntry.user_id == user_id, LedgerEntry.year == year))
    return q(total or 0)


def target_for(user: User) -> int:
    """The JP target: the root unit (instansi) of the person's tree, else the site default."""
    default = int(current_app.config.get("JP_TARGET_DEFAULT", 20))
    if user.unit is None:
        return default
    ids = user.unit.ancestor_ids()
    root = db.session.get(Unit, ids[0]) if ids else user.unit
    return int(root.jp_target) if root is not None and root.jp_target else default


@functools.cache
def home_total_rows() -> Select:
    """`year_total` and the JP target of the person's root unit (`target_for`), as one row of the
    home statement (app.home): parameters `home_user`, `ledger_year` and `ledger_root_unit`."""
    target = select(Unit.jp_target).where(Unit.id == bindparam("ledger_root_unit")).scalar_subquery()
    return (select(*home_row("ledger.total", n1=func.coalesce(func.sum(LedgerEntry.jp), 0), i1=target))
            .where(LedgerEntry.user_id == bindparam("home_user"), LedgerEntry.year == bindparam("ledger_year")))


def home_root_unit(user: User) -> int | None:
    """The id of the unit whose JP target is the person's (see `target_for`); None: the default."""
    if user.unit is None:
        return None
    ids = user.unit.ancestor_ids()
    return ids[0] if ids else user.unit.id


def home_target(user: User, jp_target: int | None) -> int:
    """`target_for` from the root unit's target read with `home_total_rows`."""
    default = int(current_app.config.get("JP_TARGET_DEFAULT", 20))
    return int(jp_target) if home_root_unit(user) is not None and jp_target else default


def entries(user_id: int, year: int) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.user_id == user_id, LedgerEntry.year == year).order_by(LedgerEntry.occurred_on, LedgerEntry.id)))


def reversed_ids(entry_ids: list[int]) -> set[int]:
    if not entry_ids:
        return set()
    return set(db.session.scalars(select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(entry_ids))))


def years(user_id: int) -> list[tuple[int, Decimal]]:
    """Every year with entries, newest first, with its total."""
    rows = db.session.execute(select(LedgerEntry.year, func.sum(LedgerEntry.jp)).where(
        LedgerEntry.user_id == user_id).group_by(LedgerEntry.year).order_by(LedgerEntry.year.desc())).all()
    return [(y, q(t or 0)) for y, t in rows]


def mix(user_id: int, year: int) -> dict[str, Decimal]:
    rows = db.session.execute(select(LedgerEntry.category, func.sum(LedgerEntry.jp)).where(
        LedgerEntry.user_id == user_id, LedgerEntry.year == year).group_by(LedgerEntry.category)).all()
    out = {c: Decimal("0.00") for c in CATEGORIES}
    for c, t in rows:
        out[c] = q(t or 0)
    return out


@dataclass
class Ring:
    """The progress ring's geometry, computed here so the template needs no script."""

    total: Decimal
    target: int
    percent: int
    dash: str  # stroke-dasharray of the arc
    circumference: str
    remaining: Decimal


def ring(total: Decimal, target: int, radius: int = 52) -> Ring:
    import math

    circumference = 2 * math.pi * radius
    share = min(Decimal(1), max(Decimal(0), total / target)) if target else Decimal(1)
    arc = float(share) * circumference
    return Ring(total=total, target=target, percent=int((share * 100).to_integral_value()),
                dash=f"{arc:.2f} {circumference:.2f}", circumference=f"{circumference:.2f}",
                remaining=max(Decimal(0), q(Decimal(target) - total)))


# --- claims --------------------------------------------------------------------------------------

def my_claims(user: User) -> list[Claim]:
    return list(db.session.scalars(select(Claim).where(Claim.user_id == user.id).order_by(Claim.submitted_at.desc(),
                                                                                       Claim.id.desc())))


def claims_queue(viewer: User, state: str = "submitted", r: Reach | None = None):
    """A select() of the claims of people in the viewer's reach (never the viewer's own)."""
    r = r or reach(viewer)
    stmt = (select(Claim).join(User, Claim.user_id == User.id).outerjoin(Unit, User.unit_id == Unit.id)
            .where(Claim.state == state, Claim.user_id != viewer.id))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return stmt.order_by(Claim.submitted_at, Claim.id)


# --- attendance -------------------------------------------------------------------------------------

def batches(viewer: User):
    r = reach(viewer)
    stmt = select(AttendanceBatch).outerjoin(Unit, AttendanceBatch.unit_id == Unit.id)
    if not r.everything:
        stmt = stmt.where((AttendanceBatch.created_by_id == viewer.id) | r.unit_filter(Unit.path))
    return stmt.order_by(AttendanceBatch.created_at.desc(), AttendanceBatch.id.desc())


def batch_entries(batch: AttendanceBatch) -> list[tuple[LedgerEntry, User]]:
    return list(db.session.execute(select(LedgerEntry, User).join(User, LedgerEntry.user_id == User.id).where(
        LedgerEntry.source_type == "attendance", LedgerEntry.source_id == batch.id).order_by(User.name)))


# --- SIASN export ---------------------------------------------------------------------------------

SIASN_COLUMNS = ["nip", "nama", "jenis_diklat_id", "jenis_diklat", "nama_diklat", "institusi_penyelenggara",
                 "tanggal_mulai", "tanggal_selesai", "tahun", "jumlah_jam", "nomor_sertifikat", "id_entri_lentera"]


def export_rows(viewer: User, unit: Unit, year: int):
    """Entries of a unit's subtree for a year in SIASN's shape. A reversed entry and its reversal
    are left out: SIASN holds trainings that happened, not our corrections."""
    from app.ledger.models import SIASN_TYPES

    rev = aliased(LedgerEntry)
    stmt = (select(LedgerEntry, User.name).join(User, LedgerEntry.user_id == User.id)
            .join(Unit, User.unit_id == Unit.id)
            .outerjoin(rev, and_(rev.reverses_id == LedgerEntry.id))
            .where(LedgerEntry.year == year, LedgerEntry.source_type != "reversal", rev.id.is_(None),
                   Unit.path.startswith(unit.path, autoescape=True))
            .order_by(User.name, LedgerEntry.occurred_on, LedgerEntry.id))
    r = reach(viewer)
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    for entry, name in db.session.execute(stmt.execution_options(yield_per=2000)):
        yield {
            "nip": entry.nip or "", "nama": name, "jenis_diklat_id": entry.jenis_diklat_id or "",
            "jenis_diklat": SIASN_TYPES.get(entry.jenis_diklat_id, "") if entry.jenis_diklat_id else "",
            "nama_diklat": entry.title, "institusi_penyelenggara": entry.organiser or "",
            "tanggal_mulai": (entry.start_date or entry.occurred_on).isoformat(),
            "tanggal_selesai": (entry.end_date or entry.occurred_on).isoformat(), "tahun": entry.year,
            "jumlah_jam": f"{q(entry.jp):f}", "nomor_sertifikat": entry.certificate_number or "",
            "id_entri_lentera": entry.id,
        }


def export_csv(viewer: User, unit: Unit, year: int) -> str:
    import io

    from app.spreadsheets import SafeDictWriter

    buf = io.StringIO()
    writer = SafeDictWriter(buf, fieldnames=SIASN_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(viewer, unit, year):
        writer.writerow(row)
    return buf.getvalue()
