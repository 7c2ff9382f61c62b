"""Drawing a certificate page with ReportLab: Unicode names in any script, the QR code, images.

Why ReportLab (and not WeasyPrint): the page is a fixed layout of a dozen strings and images at
configured positions, which a canvas draws directly and fast (the benchmark compares it with bare
ReportLab). Complex scripts are shaped with HarfBuzz (uharfbuzz, which ReportLab ≥ 4.2 uses
through `shapeStr`): Arabic gets its joined forms, right-to-left glyph order and ligatures,
Devanagari its conjuncts and vowel signs. Each word is drawn with the Noto font that covers its
script; the words of a right-to-left text are laid right to left.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr
from reportlab.pdfgen import canvas

PAGE = landscape(A4)
FONT_DIR = Path("/usr/share/fonts/truetype/noto")

#: Font per script: (registered name, file, needs shaping). "latin" also covers Greek, Cyrillic
#: and Vietnamese. Scripts not listed fall back to latin (and so show as missing glyphs).
SCRIPT_FONTS: dict[str, tuple[str, str, bool]] = {
    "latin": ("LenteraSans", "NotoSans-Regular.ttf", False),
    "latin-bold": ("LenteraSans-Bold", "NotoSans-Bold.ttf", False),
    "arabic": ("LenteraArabic", "NotoNaskhArabic-Regular.ttf", True),
    "arabic-bold": ("LenteraArabic-Bold", "NotoNaskhArabic-Bold.ttf", True),
    "devanagari-bold": ("LenteraDevanagari-Bold", "NotoSansDevanagari-Bold.ttf", True),
    "hebrew-bold": ("LenteraHebrew-Bold", "NotoSansHebrew-Bold.ttf", True),
    "hebrew": ("LenteraHebrew", "NotoSansHebrew-Regular.ttf", True),
    "devanagari": ("LenteraDevanagari", "NotoSansDevanagari-Regular.ttf", True),
    "bengali": ("LenteraBengali", "NotoSansBengali-Regular.ttf", True),
    "tamil": ("LenteraTamil", "NotoSansTamil-Regular.ttf", True),
    "thai": ("LenteraThai", "NotoSansThai-Regular.ttf", True),
    "georgian": ("LenteraGeorgian", "NotoSansGeorgian-Regular.ttf", False),
    "armenian": ("LenteraArmenian", "NotoSansArmenian-Regular.ttf", False),
    "ethiopic": ("LenteraEthiopic", "NotoSansEthiopic-Regular.ttf", True),
    # Noto CJK ships CFF outlines, which ReportLab cannot embed; WenQuanYi Micro Hei is TrueType
    # and covers Han, Hiragana/Katakana and Hangul (Debian fonts-wqy-microhei).
    "cjk": ("LenteraCJK", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", False),
}
_RANGES = [  # (first, last, script): the blocks of the scripts above
    (0x0590, 0x05FF, "hebrew"), (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"), (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"),
    (0xFB1D, 0xFB4F, "hebrew"), (0x0900, 0x097F, "devanagari"), (0xA8E0, 0xA8FF, "devanagari"),
    (0x0980, 0x09FF, "bengali"), (0x0B80, 0x0BFF, "tamil"), (0x0E00, 0x0E7F, "thai"),
    (0x10A0, 0x10FF, "georgian"), (0x0530, 0x058F, "armenian"), (0x1200, 0x139F, "ethiopic"),
    (0x1100, 0x11FF, "cjk"), (0x3000, 0x303F, "cjk"), (0x3040, 0x30FF, "cjk"), (0x3130, 0x318F, "cjk"),
    (0x3400, 0x4DBF, "cjk"), (0x4E00, 0x9FFF, "cjk"), (0xAC00, 0xD7AF, "cjk"), (0xF900, 0xFAFF, "cjk"),
    (0xFF00, 0xFFEF, "cjk"),
]
RTL_SCRIPTS = {"arabic", "hebrew", "arabic-bold", "hebrew-bold"}


class FontMissing(RuntimeError):
    pass


def font_path(script: str) -> Path:
    return FONT_DIR / SCRIPT_FONTS[script][1]  # an absolute file name stays as it is


@cache
def font_name(script: str) -> str:
    """Register (once per process) and return the font for a script."""
    name, _filename, shaping = SCRIPT_FONTS[script]
    path = font_path(script)
    if not path.is_file():
        if script.startswith("latin"):
            raise FontMissing(f"{path} is missing: run scripts/system-deps.sh (fonts-noto-core)")
        return font_name("latin")
    extra = {"subfontIndex": 0} if path.suffix == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(name, str(path), shapable=shaping, **extra))
    return name


def script_of(ch: str) -> str | None:
    cp = ord(ch)
    for first, last, script in _RANGES:
        if first <= cp <= last:
            return script
    if unicodedata.category(ch)[0] in "LM":
        return "latin"
    return None  # digits, punctuation, spaces: neutral


def _runs(word: str, bold: bool) -> list[tuple[str, str]]:
    """Split a word into (script, text) runs; neutral characters join the run they touch."""
    runs: list[list[str]] = []
    for ch in word:
        s = script_of(ch)
        if s is not None and bold and f"{s}-bold" in SCRIPT_FONTS:
            s = f"{s}-bold"
        if runs and (s is None or s == runs[-1][0] or runs[-1][0] is None):
            if runs[-1][0] is None:
                runs[-1][0] = s
            runs[-1][1] += ch
        else:
            runs.append([s, ch])
    default = "latin-bold" if bold else "latin"
    return [(s or default, t) for s, t in runs]


@dataclass
class _Piece:
    font: str
    text: str  # str or a ShapedStr (glyphs already in visual order)
    width: float


def _piece(script: str, text: str, size: float) -> _Piece:
    font = font_name(script)
    if SCRIPT_FONTS[script][2]:
        shaped = shapeStr(text, font, size)
        data = getattr(shaped, "__shapeData__", None)
        if data:
            return _Piece(font, shaped, sum(d.x_advance for d in data) * size / 1000)
        return _Piece(font, shaped, pdfmetrics.stringWidth(str(shaped), font, size))
    return _Piece(font, text, pdfmetrics.stringWidth(text, font, size))


def layout_text(text: str, size: float, bold: bool = False) -> tuple[list[_Piece], float]:
    """Pieces in visual (left-to-right) order and the total width."""
    words = [w for w in text.split(" ") if w]
    if not words:
        return [], 0.0
    first_strong = next((script_of(c) for c in text if script_of(c) is not None), "latin")
    rtl = first_strong in RTL_SCRIPTS
    pieces: list[_Piece] = []
    for i, word in enumerate(words):
        runs = [_piece(s, t, size) for s, t in _runs(word, bold)]
        if i:
            prev = pieces[-1]
            font = prev.font if type(prev.text) is str else font_name("latin")
            pieces.append(_Piece(font, " ", pdfmetrics.stringWidth(" ", font, size)))
        pieces.extend(runs)
    if rtl:
        # a right-to-left line: words, and the script runs inside them, are laid from the right
        # (each shaped run already holds its glyphs in visual order)
        pieces = pieces[::-1]
    # one drawString per run of plain text in one font: smaller PDFs, and text extraction
    # (search, copy, screen readers) sees whole lines instead of single words
    merged: list[_Piece] = []
    for p in pieces:
        if merged and type(p.text) is str and type(merged[-1].text) is str and merged[-1].font == p.font:
            merged[-1] = _Piece(p.font, merged[-1].text + p.text, merged[-1].width + p.width)
        else:
            merged.append(p)
    return merged, sum(p.width for p in merged)


def draw_text(c: canvas.Canvas, text: str, x: float, y: float, size: float, align: str = "center",
              bold: bool = False, max_width: float | None = None) -> None:
    pieces, width = layout_text(text, size, bold)
    if max_width and width > max_width:  # shrink a long name or title to fit its box
        size = size * max_width / width
        pieces, width = layout_text(text, size, bold)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    for p in pieces:
        c.setFont(p.font, size)
        c.drawString(x, y, p.text)
        x += p.width


def draw_qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any zoom, no image to embed)."""
    qr = segno.make(url, error="m", micro=False)
    matrix = list(qr.matrix)
    n = len(matrix)
    border = 2
    module = size / (n + 2 * border)
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        cx = None
        for col, bit in enumerate(list(row) + [0]):
            if bit and cx is None:
                cx = col
            elif not bit and cx is not None:  # one rectangle per horizontal run of dark modules
                path.rect(x + (border + cx) * module, y + size - (border + r + 1) * module,
                          (col - cx) * module, module)
                cx = None
    c.drawPath(path, stroke=0, fill=1)


@dataclass
class CertificateData:
    """What a page shows; built from a Certificate row (or sample data for a preview)."""

    serial: str
    heading: str
    holder_name: str
    holder_nip: str | None
    title: str
    training_type: str | None
    organiser: str | None
    start_date: date | None
    end_date: date | None
    jp: Decimal
    place_of_issue: str
    issued_on: date
    signatory_name: str
    signatory_position: str
    verify_url: str
    expires_on: date | None = None


MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember"]


def date_id(d: date | None) -> str:
    return f"{d.day} {MONTHS_ID[d.month - 1]} {d.year}" if d else ""


def jp_text(jp: Decimal) -> str:
    # normalize(): a Numeric(6, 2) column reads back as 10.50, printed "10,5" (Indonesian decimal comma)
    return format(jp.normalize(), "f").replace(".", ",")


#: The line above the title for trainings that are not a single course. The certificate itself is
#: always in Indonesian (it is the legal document), so these are not translated.
BODY_BY_TYPE = {"program": "yang telah menyelesaikan program pembelajaran",
                "sertifikasi": "yang telah memenuhi persyaratan sertifikasi"}


def body_text(training_type: str | None) -> str:
    if training_type in BODY_BY_TYPE:
        return BODY_BY_TYPE[training_type]
    return f"yang telah mengikuti pelatihan {training_type}" if training_type else "yang telah mengikuti pelatihan"


def render_page(c: canvas.Canvas, data: CertificateData, template, images: dict[str, bytes | None]) -> None:
    """Draw one certificate on the canvas's current page. `template` provides placement();
    `images` holds the background, logo and signature image bytes (or None)."""
    w, h = PAGE
    if images.get("background"):
        c.drawImage(ImageReader(io.BytesIO(images["background"])), 0, 0, w, h, preserveAspectRatio=False, mask="auto")
    else:
        c.setStrokeColorRGB(0.12, 0.31, 0.55)
        c.setLineWidth(3)
        c.rect(24, 24, w - 48, h - 48)
        c.setLineWidth(0.8)
        c.rect(32, 32, w - 64, h - 64)
    c.setFillColorRGB(0, 0, 0)
    if images.get("logo"):
        p = template.placement("logo")
        c.drawImage(ImageReader(io.BytesIO(images["logo"])), p["x"], p["y"], p["size"], p["size"],
                    preserveAspectRatio=True, mask="auto")

    def put(field: str, text: str, bold: bool = False, max_width: float | None = 700) -> None:
        if not text:
            return
        p = template.placement(field)
        draw_text(c, text, p["x"], p["y"], p["size"], p.get("align", "center"), bold, max_width)

    put("heading", data.heading, bold=True)
    put("serial", f"Nomor: {data.serial}")
    put("intro", "Diberikan kepada")
    put("holder", data.holder_name, bold=True)
    if data.holder_nip:
        put("nip", f"NIP. {data.holder_nip}")
    put("body", body_text(data.training_type))
    put("title", data.title, bold=True)
    dates = ""
    if data.start_date and data.end_date and data.start_date != data.end_date:
        dates = f"pada {date_id(data.start_date)} s.d. {date_id(data.end_date)}"
    elif data.end_date or data.start_date:
        dates = f"pada {date_id(data.end_date or data.start_date)}"
    details = " ".join(x for x in [f"yang diselenggarakan oleh {data.organiser}" if data.organiser else "",
                                   dates, f"selama {jp_text(data.jp)} JP"] if x)
    put("details", details)
    place = f"{data.place_of_issue}, " if data.place_of_issue else ""
    put("issued", f"{place}{date_id(data.issued_on)}", max_width=320)
    if data.expires_on:
        p = template.placement("issued")
        draw_text(c, f"Berlaku sampai {date_id(data.expires_on)}", p["x"], p["y"] - 15, p["size"] - 1,
                  p.get("align", "center"), max_width=320)
    p = template.placement("issued")
    draw_text(c, data.signatory_position, p["x"], p["y"] - 32 if data.expires_on else p["y"] - 17,
              p["size"], p.get("align", "center"), max_width=320)
    if images.get("signature"):
        p = template.placement("signature")
        c.drawImage(ImageReader(io.BytesIO(images["signature"])), p["x"], p["y"], p["size"], p["size"] * 0.5,
                    preserveAspectRatio=True, mask="auto")
    put("signatory", data.signatory_name, bold=True, max_width=320)
    p = template.placement("qr")
    draw_qr(c, data.verify_url, p["x"], p["y"], p["size"])
    draw_text(c, "Pindai untuk memeriksa keaslian", p["x"] + p["size"] / 2, p["y"] - 10, 7, "center")
    c.setFont(font_name("latin"), 7)
    c.drawString(p["x"] + p["size"] + 8, p["y"] + 6, data.verify_url)


def stamp_revoked(c: canvas.Canvas, revoked_on: date | None) -> None:
    """Across the page, in red: the certificate was revoked (and when), so a printed or forwarded
    copy cannot pass for a valid one."""
    width, height = PAGE
    c.saveState()
    c.setFillColorRGB(0.8, 0.05, 0.05, alpha=0.35)
    c.setStrokeColorRGB(0.8, 0.05, 0.05, alpha=0.6)
    c.translate(width / 2, height / 2)
    c.rotate(28)
    c.setFont(font_name("latin-bold"), 120)
    c.drawCentredString(0, -20, "DICABUT")
    if revoked_on is not None:
        c.setFont(font_name("latin-bold"), 18)
        c.drawCentredString(0, -60, f"Sertifikat ini dicabut pada {date_id(revoked_on)}")
    c.restoreState()


def render_pdf(data: CertificateData, template, images: dict[str, bytes | None], *,
               revoked_on: date | None = None, revoked: bool = False) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE, pageCompression=1)
    c.setTitle(f"Sertifikat {data.serial}" + (" (DICABUT)" if revoked else ""))
    c.setAuthor(data.organiser or "Lentera")
    c.setSubject(data.title)
    render_page(c, data, template, images)
    if revoked:
        stamp_revoked(c, revoked_on)
    c.showPage()
    c.save()
    return buf.getvalue()
