"""The ledger's read side: totals, entries, years, the 10:20:70 mix, the claims queue, exports."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import (
    DateTime,
    Integer,
    Numeric,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
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


def home_target(root_unit: int | None, jp_target: int | None) -> int:
    """`target_for` from the root unit (`home_root_unit`) and its target read with `home_total_rows`."""
    if root_unit is not None and jp_target:
        return int(jp_target)
    return int(current_app.config.get("JP_TARGET_DEFAULT", 20))


def reversed_ids(entry_ids: list[int]) -> set[int]:
    if not entry_ids:
        return set()
    return set(db.session.scalars(select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(entry_ids))))


# --- one year of a person's ledger: "JP saya", a person's page, the transcript, the API ---------------

#: The entry columns the pages show (and the total and the 10:20:70 mix are summed from).
PAGE_COLUMNS = ("id", "occurred_on", "title", "organiser", "reason", "kind", "category", "jenis_diklat_id",
                "source_type", "rule_code", "jp", "reverses_id")
#: How many of a person's latest claims "JP saya" lists.
RECENT_CLAIMS = 5


@dataclass
class YearLedger:
    """A person's entries of one year (oldest first; rows with the columns asked for and
    `reversed_by`, the id of the entry reversing it or None), that year's total, and every year
    with entries (newest first) with its total."""

    year: int
    entries: list[Row]
    total: Decimal
    years: list[tuple[int, Decimal]]

    @property
    def reversed(self) -> set[int]:
        return {e.id for e in self.entries if e.reversed_by is not None}

    def mix(self) -> dict[str, Decimal]:
        """The 10:20:70 mix: the year's JP by category, summed from its entries (exact Decimals)."""
        sums = dict.fromkeys(CATEGORIES, Decimal(0))
        for e in self.entries:
            sums[e.category] = sums.get(e.category, Decimal(0)) + e.jp
        return {c: q(t) for c, t in sums.items()}


@functools.cache
def _year_ledger_stmt(columns: tuple[str, ...]):
    # One statement for the page's three reads: every year's total, and, joined to the shown year's
    # total row only, that year's entries with the entry reversing each. A year not shown is one
    # row with NULL entry columns. Built once per process with bound parameters (building it costs
    # as much as running it).
    entries = LedgerEntry.__table__
    totals = (select(entries.c.year, func.sum(entries.c.jp).label("total"))
              .where(entries.c.user_id == bindparam("user_id")).group_by(entries.c.year).subquery("totals"))
    entry = entries.alias("entry")
    reversal = entries.alias("reversal")
    return (select(totals.c.year.label("ledger_year"), totals.c.total.label("ledger_total"),
                   *(entry.c[name] for name in columns), reversal.c.id.label("reversed_by"))
            .select_from(totals)
            .outerjoin(entry, and_(totals.c.year == bindparam("year"), entry.c.user_id == bindparam("user_id"),
                                   # said twice so that the entries are read by (user_id, year), not all
                                   # the person's years filtered by the join (PostgreSQL's plan)
                                   entry.c.year == bindparam("year"), entry.c.year == totals.c.year))
            .outerjoin(reversal, reversal.c.reverses_id == entry.c.id)
            .order_by(totals.c.year.desc(), entry.c.occurred_on, entry.c.id))


def year_ledger(user_id: int, year: int, columns: tuple[str, ...] = PAGE_COLUMNS) -> YearLedger:
    """A person's ledger for `year` in one statement; `columns` (including "id" and, for `mix()`,
    "category" and "jp") are the entry columns the caller reads. Totals are the plain sums
    (reversals are negative), as `year_total` gives them."""
    rows = db.session.execute(_year_ledger_stmt(columns), {"user_id": user_id, "year": year}).all()
    return _ledger_from_rows(rows, year)


def _ledger_from_rows(rows: list[Row], year: int) -> YearLedger:
    years: list[tuple[int, Decimal]] = []
    entries: list[Row] = []
    total = q(0)
    for row in rows:
        if not years or years[-1][0] != row.ledger_year:
            years.append((row.ledger_year, q(row.ledger_total or 0)))
            if row.ledger_year == year:
                total = years[-1][1]
        if row.id is not None:
            entries.append(row)
    return YearLedger(year=year, entries=entries, total=total, years=years)


def _target_and_claims(columns: Callable[[Any, Any], list]) -> tuple[Select, Any]:
    # The person's row drives it, so the target comes back even without claims; the claims are a
    # LIMITed derived table of this person's (the id is bound, so no lateral join is needed).
    # `columns(units, recent)` gives what to select; the derived table comes back for ordering.
    users, units, claims = User.__table__, Unit.__table__, Claim.__table__
    recent = (select(claims.c.id, claims.c.title, claims.c.state, claims.c.submitted_at)
              .where(claims.c.user_id == bindparam("user_id"))
              .order_by(claims.c.submitted_at.desc(), claims.c.id.desc()).limit(RECENT_CLAIMS).subquery("recent"))
    return (select(*columns(units, recent))
            .select_from(users)
            .outerjoin(units, units.c.id == bindparam("root_id"))
            .outerjoin(recent, true())
            .where(users.c.id == bindparam("user_id"))), recent


@functools.cache
def _target_and_claims_stmt():
    stmt, recent = _target_and_claims(lambda units, recent: [units.c.jp_target, recent.c.title, recent.c.state])
    return stmt.order_by(recent.c.submitted_at.desc(), recent.c.id.desc())


def target_and_recent_claims(user: User) -> tuple[int, list[Row]]:
    """`target_for(user)` and the person's RECENT_CLAIMS latest claims (title, state), newest
    first, in one statement."""
    default = int(current_app.config.get("JP_TARGET_DEFAULT", 20))
    rows = db.session.execute(_target_and_claims_stmt(), {"user_id": user.id, "root_id": home_root_unit(user)}).all()
    jp_target = rows[0].jp_target if rows else None
    return (int(jp_target) if jp_target else default), [r for r in rows if r.title is not None]


#: The columns of the target-and-claims branch of "JP saya"'s statement, NULL in the ledger's.
_CLAIM_COLUMNS = (("jp_target", Integer()), ("claim_title", String()), ("claim_state", String()),
                  ("claim_submitted_at", DateTime()), ("claim_id", Integer()))


@functools.cache
def _my_jp_stmt():
    # "JP saya"'s two reads in one statement (one round trip, not two): the year's ledger (part 0,
    # `_year_ledger_stmt`) and the target with the latest claims (part 1, `_target_and_claims`) as
    # the branches of a UNION ALL, each with the other's columns as NULLs cast to their types (so
    # that PostgreSQL can match them), ordered as each statement orders its own rows.
    entries = LedgerEntry.__table__
    ledger = _year_ledger_stmt(PAGE_COLUMNS).order_by(None)
    ledger = ledger.with_only_columns(literal_column("0", Integer()).label("part"), *ledger.selected_columns,
                                      *(cast(null(), type_).label(name) for name, type_ in _CLAIM_COLUMNS))
    claims, _recent = _target_and_claims(lambda units, recent: [
        literal_column("1", Integer()).label("part"), cast(null(), Integer()).label("ledger_year"),
        cast(null(), Numeric(12, 2)).label("ledger_total"),
        *(cast(null(), entries.c[name].type).label(name) for name in PAGE_COLUMNS),
        cast(null(), Integer()).label("reversed_by"), units.c.jp_target.label("jp_target"),
        recent.c.title.label("claim_title"), recent.c.state.label("claim_state"),
        recent.c.submitted_at.label("claim_submitted_at"), recent.c.id.label("claim_id")])
    page = union_all(ledger, claims).subquery("page")
    return select(page).order_by(page.c.part, page.c.ledger_year.desc(), page.c.occurred_on, page.c.id,
                                 page.c.claim_submitted_at.desc(), page.c.claim_id.desc())


def my_jp(user: User, year: int) -> tuple[YearLedger, int, list[SimpleNamespace]]:
    """`year_ledger(user.id, year)` and `target_and_recent_claims(user)` in one statement."""
    rows = db.session.execute(_my_jp_stmt(), {"user_id": user.id, "year": year,
                                              "root_id": home_root_unit(user)}).all()
    ledger_rows = [r for r in rows if r.part == 0]
    claim_rows = [r for r in rows if r.part == 1]
    jp_target = claim_rows[0].jp_target if claim_rows else None
    default = int(current_app.config.get("JP_TARGET_DEFAULT", 20))
    claims = [SimpleNamespace(title=r.claim_title, state=r.claim_state) for r in claim_rows if r.claim_title is not None]
    return _ledger_from_rows(ledger_rows, year), (int(jp_target) if jp_target else default), claims


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
