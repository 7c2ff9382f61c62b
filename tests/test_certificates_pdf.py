"""The certificate PDF: names in any script, the QR code, the PAdES signature; and issuing under
concurrency."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import select

from app.certificates import operations as ops
from app.certificates import pdf as pdfmod
from app.certificates.models import Certificate
from app.certificates.signing import validate_pdf
from app.extensions import db
from tests.certificates_fixtures import complete_at_once, completed_course, in_thread
from tests.factories import enrol_all, make_course

NAMES = {
    "latin": "Siti Nurhaliza Umasangadji",
    "latin-diacritics": "Łukasz Żółć Nguyễn",
    "arabic": "محمد عبد الله",
    "devanagari": "अमित कुमार",
    "hebrew": "דוד לוי",
    "cjk": "王小明 김민준 さくら",
}


def render_png(data: bytes, scale: float = 2.0):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    return doc[0].render(scale=scale).to_pil().convert("L")


def _name_only_pdf(name: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(400, 80))
    pdfmod.draw_text(c, name, 200, 30, 24, "center")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("script", list(NAMES))
def test_every_glyph_of_a_name_exists_in_the_embedded_font(script, bold):
    from reportlab.pdfbase import pdfmetrics

    name = NAMES[script]
    for s, run in pdfmod._runs(name.replace(" ", ""), bold):
        face = pdfmetrics.getFont(pdfmod.font_name(s)).face
        missing = [ch for ch in run if ord(ch) not in face.charToGlyph]
        assert not missing, (script, s, missing)  # would print as tofu boxes
    img = render_png(_name_only_pdf(name))
    # ink where the name is, and as wide as the layout says (nothing dropped or boxed)
    bbox = img.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert bbox is not None
    _, width = pdfmod.layout_text(name, 24)
    assert abs((bbox[2] - bbox[0]) / 2.0 - width) < 0.15 * width + 4


def test_arabic_is_shaped_and_laid_right_to_left():
    pieces, _ = pdfmod.layout_text("محمد", 24)
    [piece] = pieces
    glyphs = str(piece.text)
    assert glyphs != "محمد"  # contextual forms, not isolated letters
    # visual order: the word's first letter (meem, initial form U+FEE3) is drawn rightmost
    assert glyphs[-1] == "\ufee3" and glyphs[0] == "\ufeaa"  # dal, final form, leftmost
    # two words: the first word is on the right
    pieces, _ = pdfmod.layout_text("محمد علي", 24)
    assert str(pieces[-1].text)[-1] == "\ufee3"


def test_devanagari_is_shaped():
    pieces, _ = pdfmod.layout_text("कि", 24)
    glyphs = str(pieces[0].text)
    assert glyphs and glyphs[0] != "क"  # the i-sign is placed before the consonant


def test_certificate_pdf_with_scripts_renders_names(app, org, client, login):
    from pypdf import PdfReader

    org.learner_a1.name = NAMES["arabic"] + " " + "Budi"
    completed_course(org.learner_a1)
    cert = db.session.scalars(select(Certificate)).one()
    data = ops.render_certificate(cert, "https://lentera.example", sign=False)
    fonts = {str(f) for f in _fonts(PdfReader(io.BytesIO(data)))}
    assert any("NotoNaskhArabic-Bold" in f for f in fonts) and any("NotoSans-Bold" in f for f in fonts)
    assert "Budi" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def _fonts(reader):
    res = reader.pages[0]["/Resources"]["/Font"]
    return [res[k].get_object()["/BaseFont"] for k in res]


def test_qr_code_decodes_to_the_verify_url(app, org, client):
    import zxingcpp

    app.config["CERT_PUBLIC_BASE_URL"] = "https://sertifikat.malutprov.go.id"
    try:
        completed_course(org.learner_a1)
        cert = db.session.scalars(select(Certificate)).one()
        data = ops.render_certificate(cert, sign=False)
    finally:
        app.config["CERT_PUBLIC_BASE_URL"] = None
    results = zxingcpp.read_barcodes(render_png(data, scale=3))
    assert [r.text for r in results] == [f"https://sertifikat.malutprov.go.id/verify/{cert.public_id}"]
    path = results[0].text.split("malutprov.go.id", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and cert.holder_name in page.get_data(as_text=True)


def test_signature_validates_and_tampering_is_detected(app, org, client, login, signing_configured):
    completed_course(org.learner_a1)
    cert = db.session.scalars(select(Certificate)).one()
    login(org.learner_a1)
    data = client.get(f"/certificates/{cert.serial}.pdf").data
    ca = (signing_configured / "ca-cert.pem").read_bytes()
    result = validate_pdf(data, ca)
    assert result["ok"], result
    [sig] = result["signatures"]
    assert sig["intact"] and sig["valid"] and sig["trusted"] and sig["coverage"] == "ENTIRE_FILE"
    assert "BPSDM Uji" in sig["signer"]
    # change one byte of the signed content: the signature no longer matches
    pos = data.index(b"stream", len(data) // 4) + 20
    tampered = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
    result = validate_pdf(tampered, ca)
    assert not result["ok"] and result["signatures"][0]["intact"] is False
    # a certificate from another CA is not trusted
    from app.certificates.signing import make_demo_certificates

    other = make_demo_certificates(signing_configured.parent / "other-ca", "Penipu")
    assert validate_pdf(data, (other[0].parent / "ca-cert.pem").read_bytes())["signatures"][0]["trusted"] is False


def test_signing_key_kept_in_storage(app, org, signer_dir):
    from app.storage import get_storage

    store = get_storage()
    for name in ("signing-key.pem", "signing-cert.pem", "ca-cert.pem"):
        store.put_bytes(f"secrets/{name}", (signer_dir / name).read_bytes())
    app.config.update(CERT_SIGNING_KEY="storage:secrets/signing-key.pem",
                      CERT_SIGNING_CERT="storage:secrets/signing-cert.pem",
                      CERT_SIGNING_CHAIN="storage:secrets/ca-cert.pem")
    try:
        completed_course(org.learner_a1)
        cert = db.session.scalars(select(Certificate)).one()
        result = validate_pdf(ops.render_certificate(cert), (signer_dir / "ca-cert.pem").read_bytes())
    finally:
        app.config.update(CERT_SIGNING_KEY=None, CERT_SIGNING_CERT=None, CERT_SIGNING_CHAIN=None)
    assert result["ok"] and result["signatures"][0]["trusted"]


def test_unsigned_when_no_signing_certificate(app, org):
    completed_course(org.learner_a1)
    cert = db.session.scalars(select(Certificate)).one()
    assert validate_pdf(ops.render_certificate(cert))["signatures"] == []



def test_parallel_completions_give_distinct_serials_and_one_certificate_each(app, org):
    from app.accounts import operations as acc

    users = [acc.create_user(f"p{i}", password="rahasia123", name=f"Peserta {i}", unit=org.a1) for i in range(6)]
    course = make_course(certificate=True, activities=[{"type": "lesson", "title": "Satu-satunya"}])
    enrol_all(course, *users)
    db.session.commit()
    activity_id = course.sections[0].activities[0].id
    user_ids = [u.id for u in users]
    results = complete_at_once(app, user_ids, activity_id)
    certs = list(db.session.scalars(select(Certificate)))
    assert sorted(c.user_id for c in certs) == sorted(user_ids), results
    serials = [c.serial for c in certs]
    assert len(set(serials)) == 6
    assert sorted(int(s.rsplit("/", 1)[1]) for s in serials) == list(range(1, 7))


def test_parallel_direct_issue_never_duplicates(app, org):
    from app.accounts.models import User
    from app.courses.models import Course

    course = make_course(certificate=True)
    db.session.commit()
    uid, cid = org.learner_a1.id, course.id
    barrier = threading.Barrier(4)
    results: list[str] = []
    threads = [in_thread(app, lambda: ops.issue_for_course(db.session.get(User, uid), db.session.get(Course, cid)),
                          results, barrier) for _ in range(4)]
    for t in threads:
        t.join(60)
    db.session.expire_all()
    assert len(list(db.session.scalars(select(Certificate)))) == 1
    assert "ok" in results
