"""The signer's CMS template (app/certificates/signing.CmsTemplate) gives exactly the container
pyHanko builds itself, for RSA (what BSrE issues; PKCS#1 v1.5 signatures are deterministic, so
the bytes must be equal) and ECDSA, and every PDF it signs validates on its own."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from reportlab.pdfgen import canvas

from app.certificates.signing import CmsTemplate, _run, make_demo_certificates, sign_pdf, validate_pdf
from tests.ledger_fixtures import tiny_pdf


def _rsa_pair(directory):
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Uji Root CA (RSA)")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Penanda")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    return directory / "key.pem", directory / "cert.pem", directory / "ca.pem"


def test_rsa_template_gives_pyhankos_own_container_byte_for_byte(tmp_path):
    key, cert, ca = _rsa_pair(tmp_path)
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(ca)])
    template = CmsTemplate(signer)
    for text in ("satu", "dua"):
        digest = hashlib.sha256(text.encode()).digest()
        own = _run(signer.async_sign(digest, "sha256", use_pades=True)).dump()
        assert template.sign(digest) == own


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_every_pdf_signed_through_the_template_validates(tmp_path, kind):
    if kind == "rsa":
        key, cert, ca = _rsa_pair(tmp_path)
    else:
        key, cert = make_demo_certificates(tmp_path)
        ca = tmp_path / "ca-cert.pem"
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(ca)])
    for name in ("Siti", "Budi", "Ketut"):
        signed = sign_pdf(tiny_pdf(f"Sertifikat {name}"), signer=signer, location="Sofifi")
        result = validate_pdf(signed, ca.read_bytes())
        assert result["ok"] and result["signatures"][0]["trusted"], result
    with pytest.raises(ValueError):
        CmsTemplate(signer).sign(b"too short")


def test_signing_works_inside_a_running_event_loop(tmp_path):
    """An async caller (or Playwright's sync API, which keeps a loop running in the test process)
    must not break it: sign_pdf is called from inside a coroutine."""
    key, cert = make_demo_certificates(tmp_path)
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(tmp_path / "ca-cert.pem")])

    async def inside():
        return sign_pdf(tiny_pdf("Sertifikat dari dalam loop"), signer=signer)

    signed = _run(inside())
    assert validate_pdf(signed, (tmp_path / "ca-cert.pem").read_bytes())["ok"]


def _validate_strict(signed: bytes, ca: bytes):
    """pyHanko's strict reader and its full validation, including the modification analysis."""
    from asn1crypto import pem as asn1pem
    from asn1crypto import x509 as asn1x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.certificates.signing import _run

    reader = PdfFileReader(io.BytesIO(signed), strict=True)
    [sig] = reader.embedded_signatures
    vc = ValidationContext(trust_roots=[asn1x509.Certificate.load(asn1pem.unarmor(ca)[2])])
    return sig, _run(async_validate_pdf_signature(sig, vc))


def test_our_certificate_pdfs_take_the_small_update_and_validate_strictly(app, tmp_path):
    from app.certificates.incremental import append_signature
    from app.certificates.models import CertificateTemplate
    from app.certificates.pdf import CertificateData, render_pdf
    from app.certificates.signing import RESERVED, _template

    key, cert = make_demo_certificates(tmp_path)
    ca = (tmp_path / "ca-cert.pem").read_bytes()
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(tmp_path / "ca-cert.pem")])
    with app.app_context():
        from datetime import date
        from decimal import Decimal

        page = render_pdf(CertificateData(
            serial="BPSDM-UJI/2026/000001", heading="SERTIFIKAT", holder_name="محمد عبد الله · Ketut Ñoman",
            holder_nip="198503122010011001", title="Literasi Digital", training_type="teknis",
            organiser="BPSDM Uji", start_date=date(2026, 1, 5), end_date=date(2026, 1, 9), jp=Decimal(24),
            place_of_issue="Sofifi", issued_on=date(2026, 1, 9), signatory_name="Dr. Kepala",
            signatory_position="Kepala BPSDM", verify_url="https://contoh.go.id/verify/X"),
            CertificateTemplate(layout={}), {})
    signed = append_signature(page, _template(signer).sign, reserved=RESERVED, reason="Sertifikat elektronik",
                              location="Sofifi, Maluku Utara")
    assert signed is not None and signed.startswith(page)  # an incremental update: the page is untouched
    sig, status = _validate_strict(signed, ca)
    assert status.intact and status.valid and status.trusted, status.summary()
    assert status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
    assert sig.sig_object["/Location"] == "Sofifi, Maluku Utara" and sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.field_name == "TandaTanganElektronik"
    assert sign_pdf(page, signer=signer) != page  # sign_pdf takes the same path


def test_other_pdfs_are_signed_through_pyhankos_writer(tmp_path):
    from app.certificates.incremental import append_signature

    key, cert = make_demo_certificates(tmp_path)
    ca = (tmp_path / "ca-cert.pem").read_bytes()
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(tmp_path / "ca-cert.pem")])
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Dokumen dengan tautan")
    c.linkURL("https://contoh.go.id", (72, 700, 200, 730))  # the page has /Annots already
    c.showPage()
    c.save()
    with_link = buf.getvalue()
    assert append_signature(with_link, lambda d: b"", reserved=64, reason="x", location=None) is None
    _sig, status = _validate_strict(sign_pdf(with_link, signer=signer), ca)
    assert status.intact and status.valid and status.trusted
    once = sign_pdf(tiny_pdf("dua kali"), signer=signer)
    assert append_signature(once, lambda d: b"", reserved=64, reason="x", location=None) is None  # has /Prev
