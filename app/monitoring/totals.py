"""Keeping `monitoring_jp_totals` equal to the ledger.

`apply_entry` runs in the appending transaction (subscriber of `ledger_entry_recorded`), so an
entry and its effect on the aggregate commit together. A reversal carries negative JP, so adding
it is all a reversal needs. `rebuild_totals` recomputes everything from `ledger_entries` (after a
bulk load that bypassed the signal, or to repair), and `recompute_from_ledger` is the same
recomputation as a dict, which a test compares with the maintained rows.

Amounts are integer hundredths of a JP (ledger JP have two decimals, so this is exact).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, case, cast, delete, func, insert, select, update

from app.extensions import db
from app.ledger.models import CATEGORIES, LedgerEntry
from app.monitoring.models import MONTHS, JpYearTotal

CUM = tuple(f"cum{m:02d}" for m in MONTHS)
FIELDS = ("jp", *CATEGORIES, *CUM)


def hundredths(jp) -> int:
    return int((Decimal(jp) * 100).to_integral_value())


def to_jp(h: int | None) -> Decimal:
    return (Decimal(h or 0) / 100).quantize(Decimal("0.01"))


def _month_of(entry: LedgerEntry) -> int:
    # `year` is the entry's calendar year by the ledger's own rule; an occurred_on outside it
    # (not produced by the ledger, but possible in imported history) counts at the year's edge.
    if entry.occurred_on.year < entry.year:
        return 1
    if entry.occurred_on.year > entry.year:
        return 12
    return entry.occurred_on.month


def apply_entry(entry: LedgerEntry) -> None:
    """Add one ledger entry (or reversal: negative JP) to its (person, year) aggregate row."""
    h = hundredths(entry.jp)
    month = _month_of(entry)
    values = {"jp": JpYearTotal.jp + h, "entries": JpYearTotal.entries + 1}
    values |= {f"cum{m:02d}": getattr(JpYearTotal, f"cum{m:02d}") + h for m in MONTHS if m >= month}
    if entry.category in CATEGORIES:
        values[entry.category] = getattr(JpYearTotal, entry.category) + h
    res = db.session.execute(update(JpYearTotal)
                             .where(JpYearTotal.user_id == entry.user_id, JpYearTotal.year == entry.year)
                             .values(**values).execution_options(synchronize_session=False))
    if res.rowcount == 0:
        row = {f: 0 for f in FIELDS}
        row.update(user_id=entry.user_id, year=entry.year, jp=h, entries=1)
        row |= {f"cum{m:02d}": h for m in MONTHS if m >= month}
        if entry.category in CATEGORIES:
            row[entry.category] = h
        db.session.execute(insert(JpYearTotal).values(**row))


def _recompute_select(year: int | None = None):
    yr = cast(func.extract("year", LedgerEntry.occurred_on), BigInteger)
    month = cast(func.extract("month", LedgerEntry.occurred_on), BigInteger)
    # The same edge rule as _month_of, in SQL.
    eff_month = case((yr < LedgerEntry.year, 1), (yr > LedgerEntry.year, 12), else_=month)
    # round() per entry: SQLite keeps numerics as floats, and 0.29 * 100 is 28.999…
    h = cast(func.round(LedgerEntry.jp * 100), BigInteger)
    cols = [LedgerEntry.user_id, LedgerEntry.year, func.sum(h).label("jp")]
    cols += [func.coalesce(func.sum(case((LedgerEntry.category == c, h), else_=0)), 0).label(c) for c in CATEGORIES]
    cols += [func.coalesce(func.sum(case((eff_month <= m, h), else_=0)), 0).label(f"cum{m:02d}") for m in MONTHS]
    cols.append(func.count().label("entries"))
    stmt = select(*cols).group_by(LedgerEntry.user_id, LedgerEntry.year)
    if year is not None:
        stmt = stmt.where(LedgerEntry.year == year)
    return stmt


def recompute_from_ledger(year: int | None = None) -> dict[tuple[int, int], dict]:
    """{(user_id, year): {field: int hundredths, "entries": n}} straight from ledger_entries."""
    return {(row["user_id"], row["year"]): {f: int(row[f]) for f in (*FIELDS, "entries")}
            for row in db.session.execute(_recompute_select(year)).mappings()}


def stored_totals(year: int | None = None) -> dict[tuple[int, int], dict]:
    stmt = select(JpYearTotal)
    if year is not None:
        stmt = stmt.where(JpYearTotal.year == year)
    return {(t.user_id, t.year): {f: int(getattr(t, f)) for f in (*FIELDS, "entries")}
            for t in db.session.scalars(stmt)}


def rebuild_totals(year: int | None = None) -> int:
    """Recompute the aggregate from the ledger (one INSERT … SELECT); returns rows written."""
    stmt = delete(JpYearTotal)
    if year is not None:
        stmt = stmt.where(JpYearTotal.year == year)
    db.session.execute(stmt.execution_options(synchronize_session=False))
    names = ["user_id", "year", *FIELDS, "entries"]
    db.session.execute(insert(JpYearTotal).from_select(names, _recompute_select(year)))
    db.session.expire_all()
    stmt = select(func.count()).select_from(JpYearTotal)
    if year is not None:
        stmt = stmt.where(JpYearTotal.year == year)
    return db.session.scalar(stmt)
