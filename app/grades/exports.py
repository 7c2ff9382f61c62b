"""The grade book as a table for the house's XLSX/CSV export (app.monitoring.exports)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.grades.queries import Book
from app.monitoring.exports import Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str | None) -> str:
    """A person's text for a spreadsheet cell: never read as a formula (CSV/XLSX injection)."""
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def book_table(book: Book) -> Table:
    headers = [_("NIP"), _("Nama"), _("Unit kerja")]
    headers += [cell_text(f"{it.title} (/{_plain(it.max)}, {_plain(it.share)}%)") for it in book.items]
    headers += [_("Nilai akhir (%)")] + ([_("Huruf mutu")] if book.letters else []) + [_("Lulus")]
    rows = []
    for r in book.rows:
        row: list = [r.user.nip or "", cell_text(r.user.name), cell_text(r.user.unit_name or "")]
        row += [r.cells[it.activity.id].grade for it in book.items]
        row += [r.total] + ([book.letter(r.total) or ""] if book.letters else []) + [_("ya") if r.passed else _("tidak")]
        rows.append(row)
    return Table(cell_text(book.course.title)[:31] or _("Nilai"), headers, rows)


def _plain(d: Decimal) -> str:
    return f"{d.normalize():f}"
