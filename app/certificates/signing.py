"""PAdES signatures with the organisation's signing certificate (pyHanko).

The key and certificate come from files named by the settings CERT_SIGNING_KEY and
CERT_SIGNING_CERT (PEM or DER; a path, or "storage:<key>" for a file in the storage backend;
CERT_SIGNING_CHAIN: optional comma-separated intermediate/root PEM files,
CERT_SIGNING_PASSPHRASE for an encrypted key), so a BSrE-issued certificate is configured by
pointing the settings at its files. Without settings, the pair `seed-demo` made under the
instance folder (certificates/signing-*.pem) is used; with neither, PDFs are not signed.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

DEMO_DIR = "certificates"


def _local(value: str) -> Path:
    """A setting's file: a path, or "storage:<key>" for a file kept in the storage backend (S3 in a
    scaled-out deployment), copied once to the instance folder with owner-only permissions (to
    rotate a certificate, store it under a new key and change the setting)."""
    value = value.strip()
    if not value.startswith("storage:"):
        return Path(value)
    from app.storage import get_storage

    key = value[len("storage:"):]
    local = Path(current_app.instance_path) / DEMO_DIR / "from-storage" / key.replace("/", "_")
    if not local.is_file():
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(get_storage().read_bytes(key))
        local.chmod(0o600)
    return local


def _paths() -> tuple[Path, Path, list[Path]] | None:
    cfg = current_app.config
    key, cert = cfg.get("CERT_SIGNING_KEY"), cfg.get("CERT_SIGNING_CERT")
    chain = [_local(p) for p in (cfg.get("CERT_SIGNING_CHAIN") or "").split(",") if p.strip()]
    if key and cert:
        return _local(key), _local(cert), chain
    demo = Path(current_app.instance_path) / DEMO_DIR
    if (demo / "signing-key.pem").is_file() and (demo / "signing-cert.pem").is_file():
        return demo / "signing-key.pem", demo / "signing-cert.pem", [demo / "ca-cert.pem"]
    return None


def _signer_cache() -> dict:
    return current_app.extensions.setdefault("certificate_signer", {})


def get_signer():
    """The pyHanko signer for the configured certificate (loaded once per process), or None."""
    from pyhanko.sign import signers

    paths = _paths()
    if paths is None:
        return None
    key, cert, chain = paths
    cache = _signer_cache()
    stamp = (str(key), str(cert), tuple(str(c) for c in chain), key.stat().st_mtime if key.exists() else 0)
    if cache.get("stamp") != stamp:
        passphrase = current_app.config.get("CERT_SIGNING_PASSPHRASE")
        signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(c) for c in chain if c.is_file()],
                                           key_passphrase=passphrase.encode() if passphrase else None)
        if signer is None:
            raise RuntimeError(f"cannot load the signing key {key} / certificate {cert}")
        cache.clear()
        cache.update(stamp=stamp, signer=signer)
    return cache["signer"]


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


class CmsTemplate:
    """The CMS signature container pyHanko makes for one signer, split once into its fixed bytes.

    Why: building the container with asn1crypto costs ~8 ms a certificate, four fifths of the
    whole signature, although for one signer only two things ever change — the document digest
    inside the signed attributes and the signature over them. pyHanko builds the container once
    (PAdES signed attributes: content type, message digest, ESS signing-certificate-v2; the
    signing time goes into the signature dictionary's /M), and each certificate then gets its
    digest put in that encoding and its own signature; the lengths around the signature, whose
    size varies with ECDSA, are re-encoded. The constructor checks that the pieces put back
    together with pyHanko's own signature give pyHanko's bytes exactly.
    """

    PLACEHOLDER = hashlib.sha256(b"lentera cms template digest").digest()

    def __init__(self, signer) -> None:
        self.signer = signer
        ci = _run(signer.async_sign(self.PLACEHOLDER, "sha256", use_pades=True))
        sd = ci["content"]
        if len(sd["signer_infos"]) != 1:
            raise RuntimeError("CMS template: expected one SignerInfo")
        si = sd["signer_infos"][0]
        attrs = si["signed_attrs"].untag().dump(force=True)  # the SET OF form, which is what is signed
        if attrs.count(self.PLACEHOLDER) != 1 or si["unsigned_attrs"].dump():
            raise RuntimeError("CMS template: unexpected signed/unsigned attributes")
        at = attrs.index(self.PLACEHOLDER)
        self.attrs_head, self.attrs_tail = attrs[:at], attrs[at + len(self.PLACEHOLDER):]
        self.si_head = b"".join(si[f].dump() for f in ("version", "sid", "digest_algorithm"))
        self.sig_alg = si["signature_algorithm"].dump()
        self.sd_head = b"".join(sd[f].dump() for f in ("version", "digest_algorithms", "encap_content_info",
                                                        "certificates", "crls"))
        self.ci_head = ci["content_type"].dump()
        if self._assemble(attrs, si["signature"].native) != ci.dump():
            raise RuntimeError("CMS template: the pieces do not give pyHanko's container back")

    def _assemble(self, attrs: bytes, signature: bytes) -> bytes:
        # signedAttrs is [0] IMPLICIT in SignerInfo: same length and content as the SET, other tag
        si = _der(0x30, self.si_head + b"\xa0" + attrs[1:] + self.sig_alg + _der(0x04, signature))
        sd = _der(0x30, self.sd_head + _der(0x31, si))
        return _der(0x30, self.ci_head + _der(0xA0, sd))

    def sign(self, document_digest: bytes) -> bytes:
        if len(document_digest) != len(self.PLACEHOLDER):
            raise ValueError("a SHA-256 digest is expected")
        attrs = self.attrs_head + document_digest + self.attrs_tail
        return self._assemble(attrs, self.signer.sign_raw(attrs, "sha256"))


_templates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _template(signer) -> CmsTemplate:
    """The signer's template, made on its first signature (signers are loaded once per process)."""
    tpl = _templates.get(signer)
    if tpl is None:
        tpl = _templates[signer] = CmsTemplate(signer)
    return tpl


RESERVED = 16384  # bytes for the CMS container: an RSA-4096 chain of three certificates fits


def sign_pdf(data: bytes, *, reason: str = "Sertifikat elektronik", location: str | None = None,
             signer=None) -> bytes:
    """Sign the PDF (PAdES baseline B: CAdES-detached CMS with the signing-certificate attribute).

    The CMS container comes from the signer's `CmsTemplate`. Our own certificate PDFs get the
    signature field and dictionary from `incremental.append_signature`; any other PDF goes
    through pyHanko's two-step ("interrupted") signing, which writes them as an incremental
    update, hands back the byte-range digest and puts the container into the reserved /Contents.
    """
    from app.certificates.incremental import append_signature

    signer = signer or get_signer()
    if signer is None:
        return data
    template = _template(signer)
    signed = append_signature(data, template.sign, reserved=RESERVED, reason=reason, location=location)
    return signed if signed is not None else _sign_with_pyhanko_writer(data, template, reason, location)


def _sign_with_pyhanko_writer(data: bytes, template: CmsTemplate, reason: str, location: str | None) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from app.certificates.incremental import FIELD_NAME

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, reason=reason, location=location,
                                        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    # A fixed reservation: without it pyHanko sizes the container with a dry-run signature.
    pdf_signer = signers.PdfSigner(meta, signer=template.signer)
    digest, _tbs, output = _run(pdf_signer.async_digest_doc_for_signing(writer, bytes_reserved=RESERVED))
    digest.fill_with_cms(output, template.sign(digest.document_digest))
    return output.getvalue()


_local_loop = threading.local()


def _run(coro):
    """Run one of pyHanko's coroutines to completion from synchronous code.

    One event loop per thread, kept: a new loop per PDF costs more than the signature. When this
    thread already runs a loop (an async server, or Playwright's sync API in the tests) the
    coroutine runs on a short-lived thread of its own instead, since a loop cannot be re-entered."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(_local_loop, "loop", None)
        if loop is None or loop.is_closed():
            loop = _local_loop.loop = asyncio.new_event_loop()
        return loop.run_until_complete(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def signing_configured() -> bool:
    return _paths() is not None


def make_demo_certificates(directory: Path, organisation: str = "BPSDM Provinsi Maluku Utara") -> tuple[Path, Path]:
    """A self-signed CA and a signing certificate it issues (for demos and tests; production
    configures a BSrE certificate instead). Returns (key path, certificate path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} Demo CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} Penandatangan Sertifikat")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "ca-cert.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "signing-cert.pem").write_bytes(cert.public_bytes(pem))
    key_path = directory / "signing-key.pem"
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return key_path, directory / "signing-cert.pem"


def validate_pdf(data: bytes, trust_root_pem: bytes | None = None) -> dict:
    """Check every signature of a PDF: intact (bytes unchanged), valid (cryptographically) and
    trusted (chains to `trust_root_pem`), and whether the signature covers the whole file."""
    from asn1crypto import pem as asn1pem
    from asn1crypto import x509 as asn1x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if trust_root_pem:
        _, _, der = asn1pem.unarmor(trust_root_pem)
        roots.append(asn1x509.Certificate.load(der))
    vc = ValidationContext(trust_roots=roots, allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    results = []
    for sig in reader.embedded_signatures:
        status = _run(async_validate_pdf_signature(sig, vc))
        results.append({"intact": status.intact, "valid": status.valid, "trusted": status.trusted,
                        "coverage": status.coverage.name, "signer": status.signing_cert.subject.human_friendly})
    return {"signatures": results,
            "ok": bool(results) and all(r["intact"] and r["valid"] and r["coverage"] == "ENTIRE_FILE"
                                        for r in results)}
