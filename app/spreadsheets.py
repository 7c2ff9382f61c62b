"""Spreadsheet output that a person's text cannot turn into a formula.

Every XLSX and CSV export goes through this module. A name, a claim title or a position a user
typed may begin with `=`, `+`, `-`, `@`, a tab or a carriage return; Excel and LibreOffice read
such a cell as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`) when the file is opened by the
BPSDM officer who exported it. OWASP's advice, followed here:

- CSV: a text value with such a first character is prefixed with a single quote, which the
  spreadsheet shows as text. Plain numbers (``-2.50``) are left alone: they cannot run, and the
  SIASN import reads them as numbers.
- XLSX: such a value is written as a string cell with Excel's own "quote prefix" flag, so the
  text stays exactly what the person typed and is never stored as a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

#: The first characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?\Z")


def is_risky(value: object) -> bool:
    """True when a text value would be read as a formula by a spreadsheet."""
    return (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and not _PLAIN_NUMBER.match(value))


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: risky text gets a leading quote; other values are unchanged."""
    return "'" + value if is_risky(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(v) for v in values]


class SafeWriter:
    """`csv.writer` whose every row is neutralised; same writerow/writerows interface."""

    def __init__(self, stream: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every value is neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: csv_value(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(stream: IO[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(stream, **kwargs)


def append(ws: Any, values: Sequence[Any]) -> None:
    """`ws.append(values)` for an openpyxl worksheet, with risky text kept as text."""
    ws.append(list(values))
    if not any(is_risky(v) for v in values):
        return
    row = ws.max_row
    for col, value in enumerate(values, start=1):
        if is_risky(value):
            cell = ws.cell(row=row, column=col)
            # openpyxl turned "=..." into a formula; put it back as the string it is.
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True
