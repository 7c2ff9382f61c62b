"""A year's JP transcript as PDF (reportlab), with an embedded Unicode font so every name prints."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row

from app.accounts.models import User
from app.ledger.models import SIASN_TYPES, LedgerEntry

FONT_CANDIDATES = ["/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
                   "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]
BOLD_CANDIDATES = ["/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
                   "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]


def _register_fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)
    if regular is None:
        raise RuntimeError("No Unicode TTF font found: run scripts/system-deps.sh (fonts-noto-core)")
    bold = next((p for p in BOLD_CANDIDATES if Path(p).is_file()), regular)
    if "LenteraSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("LenteraSans", regular))
        pdfmetrics.registerFont(TTFont("LenteraSans-Bold", bold))
    return "LenteraSans", "LenteraSans-Bold"


def _jp(value: Decimal) -> str:
    d = Decimal(value).quantize(Decimal("0.01"))
    return f"{d:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def text(value: object) -> str:
    """A value as ReportLab Paragraph text: Paragraph reads `<…>` and `&` as markup (`<img src>` loads
    a server file, an unclosed tag breaks the document), so every person's text is escaped."""
    return escape("" if value is None else str(value))


def transcript_pdf(person: User, year: int, entries: Sequence[LedgerEntry | Row], total: Decimal, target: int,
                   reversed_ids: set[int]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = _register_fonts()
    buf = io.BytesIO()
    site = current_app.config.get("SITE_NAME", "Lentera")
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=_("Transkrip JP %(year)d", year=year), author=site)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=15, leading=19, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10)
    story = [Paragraph(text(_("Transkrip Jam Pelajaran (JP) Pengembangan Kompetensi — %(year)d", year=year)), h1),
             Paragraph(text(f"{_('Nama')}: {person.name}"), body),
             Paragraph(text(f"NIP: {person.nip or '-'}"), body),
             Paragraph(text(f"{_('Unit kerja')}: {person.unit.name if person.unit else '-'}"), body),
             Paragraph(text(_("Jumlah JP: %(total)s dari target %(target)d JP", total=_jp(total), target=target)),
                       body),
             Spacer(1, 6 * mm)]
    head = [_("No"), _("Tanggal"), _("Kegiatan"), _("Penyelenggara"), _("Jenis SIASN"), "JP"]
    rows = [head]
    for i, e in enumerate(entries, start=1):
        title = e.title
        if e.reverses_id:
            title = _("Pembatalan: %(title)s (%(reason)s)", title=e.title, reason=e.reason or "")
        elif e.id in reversed_ids:
            title = _("%(title)s (dibatalkan)", title=e.title)
        rows.append([str(i), e.occurred_on.strftime("%d-%m-%Y"), Paragraph(text(title), small),
                     Paragraph(text(e.organiser), small), SIASN_TYPES.get(e.jenis_diklat_id, "") or "", _jp(e.jp)])
    rows.append(["", "", Paragraph(f"<b>{text(_('Jumlah'))}</b>", small), "", "", _jp(total)])
    table = Table(rows, colWidths=[9 * mm, 21 * mm, 70 * mm, 42 * mm, 22 * mm, 14 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5), ("FONT", (0, 0), (-1, 0), bold, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7f3ee")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#9aa5b1")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"), ("FONT", (-1, -1), (-1, -1), bold, 8.5)]))
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(text(_("Dicetak dari %(site)s. Setiap entri tercatat dalam buku besar JP berantai hash; "
                                  "koreksi dicatat sebagai entri pembatalan, bukan dengan mengubah entri.",
                                  site=site)), small))
    doc.build(story)
    return buf.getvalue()
