"""Reading CSV and XLSX uploads for every all-or-nothing import.

Each import (employees, attendance, competencies, standards, assessments, …) reads a table
here, checks every row, collects every problem in a `RowErrors`, and only writes when there
were none: a file with one bad row is refused whole and the person sees every bad row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from app.errors import BadInput, RuleViolation

MAX_ROWS = 200_000


@dataclass
class Table:
    columns: list[str]
    #: (row number as the person sees it in the file — the header is row 1, data starts at 2, values by column)
    rows: list[tuple[int, dict[str, str]]]
    #: cells that could not be read faithfully (e.g. an 18-digit NIP typed as a number in Excel)
    cell_errors: list[dict[str, Any]] = field(default_factory=list)


class ImportRefused(RuleViolation):
    code = "import_refused"


class RowErrors:
    """Collects every problem of an import before anything is written."""

    def __init__(self, table: Table | None = None) -> None:
        self.items: list[dict[str, Any]] = list(table.cell_errors) if table else []

    def add(self, row: int, column: str | None, message: str) -> None:
        self.items.append({"row": row, "column": column, "message": str(message)})

    def has(self, row: int, column: str) -> bool:
        return any(e["row"] == row and e["column"] == column for e in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            self.items.sort(key=lambda e: (e["row"], e["column"] or ""))
            raise ImportRefused(
                _("Berkas ditolak seluruhnya: %(n)d baris bermasalah. Tidak ada data yang disimpan.",
                  n=len({e["row"] for e in self.items})),
                details=self.items,
            )


def _cell_to_str(value: Any) -> tuple[str, bool]:
    """Return the text of a spreadsheet cell and whether it was read faithfully."""
    if value is None:
        return "", True
    if isinstance(value, bool):
        return ("1" if value else "0"), True
    if isinstance(value, datetime):
        return (value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()), True
    if isinstance(value, date):
        return value.isoformat(), True
    if isinstance(value, float):
        if value.is_integer():
            # Excel keeps 15 significant digits: a longer number (an 18-digit NIP) is already damaged.
            return str(int(value)), abs(value) < 1e15
        return repr(value), True
    if isinstance(value, int):
        return str(value), abs(value) < 1e15
    return str(value).strip(), True


def read_table(filename: str, data: bytes, required: list[str], optional: list[str] | tuple = ()) -> Table:
    """Read a CSV (comma or semicolon, UTF-8 with or without BOM) or XLSX file.

    Column names are matched case-insensitively; missing required columns refuse the file.
    """
    name = (filename or "").lower()
    if not data:
        raise BadInput(_("Berkas kosong."))
    if name.endswith(".xlsx") or data[:2] == b"PK":
        raw_rows = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        raw_rows = _read_csv(data)
    else:
        raise BadInput(_("Format berkas tidak dikenal: gunakan CSV atau XLSX."))

    if not raw_rows:
        raise BadInput(_("Berkas tidak berisi baris judul kolom."))
    header = [_cell_to_str(c)[0].lower() for c in raw_rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRefused(
            _("Kolom wajib tidak ada: %(cols)s.", cols=", ".join(missing)),
            details=[{"row": 1, "column": c, "message": _("Kolom tidak ditemukan.")} for c in missing],
        )
    wanted = set(required) | set(optional)
    table = Table(columns=header, rows=[])
    for index, raw in enumerate(raw_rows[1:], start=2):
        values: dict[str, str] = {}
        for col, cell in zip(header, raw, strict=False):  # short rows: missing cells are empty
            if col not in wanted:
                continue
            text, faithful = _cell_to_str(cell)
            if not faithful:
                table.cell_errors.append({
                    "row": index, "column": col,
                    "message": _("Angka terlalu panjang untuk disimpan sebagai angka di Excel; "
                                 "format kolom ini sebagai teks lalu unggah ulang."),
                })
            values[col] = text
        if not any(values.values()):
            continue  # blank lines are not rows
        for col in wanted:
            values.setdefault(col, "")
        table.rows.append((index, values))
        if len(table.rows) > MAX_ROWS:
            raise BadInput(_("Berkas terlalu besar: paling banyak %(n)d baris.", n=MAX_ROWS))
    return table


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:  # a cell beyond the csv module's 128 KB field limit, a NUL byte, …
        raise BadInput(_("Berkas CSV tidak dapat dibaca: %(reason)s.", reason=str(exc)), code="invalid_file") from None


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise BadInput(_("Berkas XLSX tidak dapat dibaca (rusak atau bukan XLSX).")) from None
    try:
        ws = wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
