"""Every monitoring table as XLSX (openpyxl) and CSV, with the same numbers as the page."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app import spreadsheets
from app.errors import BadInput
from app.ledger.models import LedgerEntry
from app.monitoring.queries import Dashboard, PersonRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Table:
    """A titled table: header labels and rows of plain values (str, int, Decimal, date)."""

    def __init__(self, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
        self.title = title
        self.headers = list(headers)
        self.rows = [list(r) for r in rows]


def _sheet_title(title: str) -> str:
    bad = set('[]:*?/\\')
    return "".join(ch for ch in title if ch not in bad)[:31] or "Data"


def xlsx_bytes(*tables: Table) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(_sheet_title(t.title))
        ws.append(t.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            spreadsheets.append(ws, [float(v) if isinstance(v, Decimal) and v != v.to_integral_value() else
                       (int(v) if isinstance(v, Decimal) else v) for v in row])
        for i, h in enumerate(t.headers, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(50, len(str(h)) + 4))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(table: Table) -> bytes:
    buf = io.StringIO()
    w = spreadsheets.writer(buf)
    w.writerow(table.headers)
    for row in table.rows:
        w.writerow(["" if v is None else v for v in row])
    # BOM so that Excel opens UTF-8 names (Ñ, é, …) correctly.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def respond(fmt: str, filename: str, *tables: Table) -> Response:
    if fmt == "xlsx":
        return Response(xlsx_bytes(*tables), mimetype=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
    if fmt == "csv":
        return Response(csv_bytes(tables[0]), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    raise BadInput(_("Format ekspor harus xlsx atau csv."), code="invalid_format")


# --- the tables ---------------------------------------------------------------------------

def summary_table(d: Dashboard) -> Table:
    unit = d.unit.name if d.unit is not None else _("Semua unit")
    rows = [[_("Tahun"), d.year], [_("Unit"), unit],
            [_("Target JP"), d.target_jp if d.target_jp is not None else _("berbeda per instansi")],
            [_("Pegawai"), d.employees], [_("Mencapai target"), d.met_target],
            [_("Persentase (%)"), d.percent], [_("Total JP"), d.total_jp], [_("Rata-rata JP"), d.average_jp]]
    for c in d.categories:
        rows.append([_("JP %(c)s", c=category_label(c["category"])), c["jp"]])
    return Table(_("Ringkasan"), [_("Ukuran"), _("Nilai")], rows)


def units_table(d: Dashboard) -> Table:
    return Table(_("Unit"), [_("Peringkat"), _("Unit"), _("Pegawai"), _("Mencapai target"), _("Persentase (%)"),
                             _("Total JP"), _("Rata-rata JP")],
                 [[i, u.label, u.employees, u.met_target, u.percent, u.total_jp, u.average_jp]
                  for i, u in enumerate(d.units, start=1)])


def monthly_table(d: Dashboard) -> Table:
    return Table(_("Per bulan"), [_("Bulan"), _("Mencapai target (kumulatif)"), _("Persentase (%)")],
                 [[m["month"], m["met_target"], m["percent"]] for m in d.monthly if m["met_target"] is not None])


def histogram_table(d: Dashboard) -> Table:
    return Table(_("Sebaran JP"), [_("Rentang JP"), _("Pegawai")], [[h["label"], h["employees"]] for h in d.histogram])


def people_table(rows: list[PersonRow], title: str | None = None) -> Table:
    return Table(title or _("Pegawai"), [_("NIP"), _("Nama"), _("Unit"), _("Jabatan"), _("Golongan"), _("Jenis"),
                                         _("JP"), _("Target JP"), _("Kekurangan JP")],
                 [[p.nip, p.name, p.unit, p.position, p.golongan, p.employment_type, p.jp, p.target_jp, p.shortfall]
                  for p in rows])


def entries_table(entries: list[LedgerEntry]) -> Table:
    return Table(_("Catatan JP"), [_("Tanggal"), _("Judul"), _("Jenis"), _("Kategori"), _("Penyelenggara"), _("JP"),
                                   _("Sumber")],
                 [[e.occurred_on, e.title, e.kind, category_label(e.category), e.organiser, e.jp, e.source_type]
                  for e in entries])


def category_label(code: str) -> str:
    return {"classical": _("klasikal"), "social": _("sosial"), "experiential": _("pengalaman kerja")}.get(code, code)
