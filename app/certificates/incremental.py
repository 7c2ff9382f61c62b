"""The PDF side of a certificate's signature: one incremental update appended to the PDF our
ReportLab renderer makes, holding an invisible signature field and its signature dictionary.

Why not pyHanko's writer for this part: it parses the document into its object model, walks the
page tree and rewrites metadata, about 1.3 ms a certificate — more than the whole 30 % a signed
certificate may cost over drawing the page (issue 9's benchmark). The documents signed here are
always our own one-page ReportLab output (a classic xref table, no forms, no annotations, no
earlier update), so the update is a handful of known objects. Anything else — a PDF this module
does not recognise — gets `None`, and the caller signs through pyHanko's writer as before. Every
signature is still pyHanko's CMS (the signer's template) and the tests validate the result with
pyHanko's validator.

The update, as PDF 1.7 (ISO 32000-1 §12.8) and PAdES baseline B (ETSI EN 319 142-1) require:
the catalog again with /AcroForm (SigFlags 3) and /Version 1.7; the first page again with
/Annots; the signature field merged with its widget (zero rectangle, hidden, printed flags
as pyHanko sets them); the signature dictionary (/ETSI.CAdES.detached, /M, /Reason, /Location,
/ByteRange covering the whole file but /Contents); an xref section and a trailer with /Prev.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime

FIELD_NAME = "TandaTanganElektronik"
_TRAILER = re.compile(rb"trailer\s*<<(?P<body>.*?)>>\s*startxref\s+(?P<startxref>\d+)\s+%%EOF\s*$", re.S)
_REF = rb"\s+(\d+)\s+0\s+R"


def _byte_range(contents: int, after: int, tail: int) -> bytes:
    """The /ByteRange entry, fixed-width so the placeholder (all zeros) and the real ranges have
    the same length and nothing after them moves."""
    return b"/ByteRange [0 %-10d %-10d %-10d]" % (contents, after, tail)


def _text(value: str) -> bytes:
    """A PDF text string in UTF-16BE with its byte-order mark: any script, nothing to escape."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _object(data: bytes, offsets: dict[int, int], num: int) -> bytes | None:
    """The dictionary of object `num` (`<< … >>`), or None when it is not a plain dictionary."""
    start = offsets.get(num)
    if start is None:
        return None
    m = re.match(rb"\s*%d\s+0\s+obj\s*(<<.*?>>)\s*endobj" % num, data[start:start + 4096], re.S)
    return m.group(1) if m and b"stream" not in m.group(1) else None


def _xref(data: bytes, at: int) -> dict[int, int] | None:
    """Offsets of the objects in a classic xref table at `at` (one or more subsections)."""
    if data[at:at + 4] != b"xref":
        return None  # an xref stream: not ReportLab's output
    pos, offsets = at + 4, {}
    while True:
        m = re.match(rb"\s*(\d+)\s+(\d+)\s*\r?\n", data[pos:pos + 40])
        if not m:
            return offsets
        first, count = int(m.group(1)), int(m.group(2))
        pos += m.end()
        for i in range(count):
            line = data[pos:pos + 20]
            if len(line) != 20:
                return None
            if line[17:18] == b"n":
                offsets[first + i] = int(line[:10])
            pos += 20


def append_signature(data: bytes, sign_digest: Callable[[bytes], bytes], *, reserved: int, reason: str,
                     location: str | None, signed_at: datetime | None = None) -> bytes | None:
    """`data` with a PAdES signature appended, `sign_digest(sha256 of the signed ranges)` giving
    the DER CMS container; None when `data` is not a PDF this module knows how to update."""
    trailer = _TRAILER.search(data[-1024:])
    if trailer is None:
        return None
    body = trailer.group("body")
    if b"/Prev" in body or b"/Encrypt" in body:
        return None  # already updated, or encrypted
    size, root, info = (re.search(pat, body) for pat in (rb"/Size\s+(\d+)", rb"/Root" + _REF, rb"/Info" + _REF))
    ids = re.search(rb"/ID\s*(\[\s*<[0-9a-fA-F]*>\s*<[0-9a-fA-F]*>\s*\])", body)
    prev = int(trailer.group("startxref"))
    offsets = _xref(data, prev)
    if not (size and root and offsets):
        return None
    size, root = int(size.group(1)), int(root.group(1))
    catalog = _object(data, offsets, root)
    if catalog is None or re.search(rb"/AcroForm|/Version|/Extensions", catalog):
        return None
    pages = re.search(rb"/Pages" + _REF, catalog)
    kids = pages and _object(data, offsets, int(pages.group(1)))
    first = kids and re.search(rb"/Kids\s*\[" + _REF, kids)
    page_num = int(first.group(1)) if first else None
    page = page_num and _object(data, offsets, page_num)
    if not page or b"/Annots" in page or b"/Type /Page" not in page:
        return None

    field, sig, form = size, size + 1, size + 2
    when = (signed_at or datetime.now(UTC)).astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ").encode()
    placeholder = _byte_range(0, 0, 0)
    objects = {
        root: catalog[:-2].rstrip() + b" /AcroForm %d 0 R /Version /1.7\n>>" % form,
        page_num: page[:-2].rstrip() + b" /Annots [ %d 0 R ]\n>>" % field,
        field: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T " + _text(FIELD_NAME)
               + b" /F 132 /Rect [ 0 0 0 0 ] /P %d 0 R /V %d 0 R >>" % (page_num, sig),
        sig: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (" + when + b")"
             + b" /Reason " + _text(reason) + (b" /Location " + _text(location) if location else b"")
             + b" " + placeholder + b"\n/Contents <" + b"0" * (2 * reserved) + b"> >>",
        form: b"<< /Fields [ %d 0 R ] /SigFlags 3 >>" % field,
    }
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    positions = {}
    for num in sorted(objects):
        positions[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for num in sorted(positions):  # one subsection per object: simplest valid form
        out += b"%d 1\n%010d 00000 n\r\n" % (num, positions[num])
    out += (b"trailer\n<< /Size %d /Root %d 0 R" % (size + 3, root)
            + (b" /Info %s 0 R" % info.group(1) if info else b"") + (b" /ID " + ids.group(1) if ids else b"")
            + b" /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref_at))

    contents = out.index(b"/Contents <", positions[sig]) + len(b"/Contents ")
    after = contents + 2 * reserved + 2
    at = out.index(placeholder, positions[sig])
    out[at:at + len(placeholder)] = _byte_range(contents, after, len(out) - after)
    digest = hashlib.sha256(memoryview(out)[:contents])
    digest.update(memoryview(out)[after:])
    cms = sign_digest(digest.digest()).hex().encode()
    if len(cms) > 2 * reserved:
        raise ValueError(f"the signature needs {len(cms) // 2} bytes; {reserved} are reserved")
    out[contents + 1:contents + 1 + len(cms)] = cms
    return bytes(out)
