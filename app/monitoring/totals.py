"""Keeping `monitoring_jp_totals` equal to the ledger.

`apply_entry` runs in the appending transaction (subscriber of `ledger_entry_recorded`), so an
entry and its effect on the aggregate commit together. A reversal carries negative JP, so adding
it is all a reversal needs. `rebuild_totals` recomputes everything from `ledger_entries` (after a
bulk load that bypassed the signal, or to repair), and `recompute_from_ledger` is the same
recomputation as a dict, which a test compares with the maintained rows.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, delete, func, insert, select, update

from app.extensions import db
from app.ledger.models import CATEGORIES, LedgerEntry
from app.monitoring.models import MONTHS, JpYearTotal

FIELDS = ("jp", *CATEGORIES, *(f"m{m:02d}" for m in MONTHS))


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
    jp = Decimal(entry.jp)
    month_col = f"m{_month_of(entry):02d}"
    values = {"jp": JpYearTotal.jp + jp, month_col: getattr(JpYearTotal, month_col) + jp,
              "entries": JpYearTotal.entries + 1}
    if entry.category in CATEGORIES:
        values[entry.category] = getattr(JpYearTotal, entry.category) + jp
    res = db.session.execute(update(JpYearTotal)
                             .where(JpYearTotal.user_id == entry.user_id, JpYearTotal.year == entry.year)
                             .values(**values).execution_options(synchronize_session=False))
    if res.rowcount == 0:
        row = {f: Decimal(0) for f in FIELDS}
        row.update(user_id=entry.user_id, year=entry.year, jp=jp, entries=1)
        row[month_col] = jp
        if entry.category in CATEGORIES:
            row[entry.category] = jp
        db.session.execute(insert(JpYearTotal).values(**row))


def _recompute_select(year: int | None = None):
    month = func.extract("month", LedgerEntry.occurred_on)
    yr = func.extract("year", LedgerEntry.occurred_on)
    # The same edge rule as _month_of, in SQL.
    eff_month = case((yr < LedgerEntry.year, 1), (yr > LedgerEntry.year, 12), else_=month)
    cols = [LedgerEntry.user_id, LedgerEntry.year, func.sum(LedgerEntry.jp).label("jp")]
    cols += [func.coalesce(func.sum(case((LedgerEntry.category == c, LedgerEntry.jp), else_=0)), 0).label(c)
             for c in CATEGORIES]
    cols += [func.coalesce(func.sum(case((eff_month == m, LedgerEntry.jp), else_=0)), 0).label(f"m{m:02d}")
             for m in MONTHS]
    cols.append(func.count().label("entries"))
    stmt = select(*cols).group_by(LedgerEntry.user_id, LedgerEntry.year)
    if year is not None:
        stmt = stmt.where(LedgerEntry.year == year)
    return stmt


def recompute_from_ledger(year: int | None = None) -> dict[tuple[int, int], dict]:
    """{(user_id, year): {field: Decimal}} straight from ledger_entries."""
    out = {}
    for row in db.session.execute(_recompute_select(year)).mappings():
        out[(row["user_id"], row["year"])] = {f: Decimal(row[f]).quantize(Decimal("0.01")) for f in FIELDS} | {
            "entries": int(row["entries"])}
    return out


def stored_totals(year: int | None = None) -> dict[tuple[int, int], dict]:
    stmt = select(JpYearTotal)
    if year is not None:
        stmt = stmt.where(JpYearTotal.year == year)
    return {(t.user_id, t.year): {f: Decimal(getattr(t, f)).quantize(Decimal("0.01")) for f in FIELDS}
            | {"entries": t.entries} for t in db.session.scalars(stmt)}


def rebuild_totals(year: int | None = None) -> int:
    """Recompute the aggregate from the ledger (one INSERT … SELECT); returns rows written."""
    stmt = delete(JpYearTotal)
    if year is not None:
        stmt = stmt.where(JpYearTotal.year == year)
    db.session.execute(stmt.execution_options(synchronize_session=False))
    sel = _recompute_select(year)
    names = ["user_id", "year", *FIELDS, "entries"]
    res = db.session.execute(insert(JpYearTotal).from_select(names, sel))
    db.session.expire_all()
    return res.rowcount or 0
