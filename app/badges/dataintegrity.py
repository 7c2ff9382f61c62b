"""W3C Data Integrity proofs with the `ecdsa-jcs-2019` cryptosuite (VC Data Integrity ECDSA
Cryptosuites v1.0, section 3.3): JSON Canonicalization Scheme (RFC 8785, the `rfc8785`
package), SHA-256, ECDSA on P-256 (the `cryptography` package), the signature as multibase
base58btc (the `base58` package); keys as `did:key` Multikeys, so a verifier needs no network.

Why this suite: it is the one Open Badges 3.0 verifiers accept that needs no JSON-LD processing
(eddsa-rdfc-2022 needs RDF canonicalisation and every context document), and P-256 keys are
what government PKI (BSrE) issues."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

P256_MULTICODEC = b"\x80\x24"  # varint of 0x1200 (p256-pub)


def multikey(public_key: ec.EllipticCurvePublicKey) -> str:
    compressed = public_key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    return "z" + base58.b58encode(P256_MULTICODEC + compressed).decode()


def did_key(public_key: ec.EllipticCurvePublicKey) -> str:
    return "did:key:" + multikey(public_key)


def public_key_from_did(did: str) -> ec.EllipticCurvePublicKey:
    """The P-256 key a did:key (or its verification method URL) names."""
    ident = did.split("#", 1)[0]
    if not ident.startswith("did:key:z"):
        raise ValueError("bukan did:key")
    raw = base58.b58decode(ident[len("did:key:z"):])
    if not raw.startswith(P256_MULTICODEC):
        raise ValueError("bukan kunci P-256")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[len(P256_MULTICODEC):])


def _hash_data(document: dict, proof_options: dict) -> bytes:
    return hashlib.sha256(rfc8785.dumps(proof_options)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()


def sign(document: dict, private_key: ec.EllipticCurvePrivateKey, *, created: datetime | None = None) -> dict:
    """The document with a DataIntegrityProof (assertionMethod) added."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    did = did_key(private_key.public_key())
    options = {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-jcs-2019",
               "created": (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "verificationMethod": f"{did}#{did[len('did:key:'):]}", "proofPurpose": "assertionMethod"}
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    der = private_key.sign(_hash_data(unsecured, options), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    proof = {**options, "proofValue": "z" + base58.b58encode(signature).decode()}
    return {**copy.deepcopy(unsecured), "proof": proof}


def verify(secured: dict) -> bool:
    """Whether the document's ecdsa-jcs-2019 proof holds under the did:key it names."""
    proof = secured.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "ecdsa-jcs-2019":
        return False
    value = proof.get("proofValue", "")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in options and options["@context"] != unsecured.get("@context"):
        return False
    try:
        key = public_key_from_did(options["verificationMethod"])
        sig = base58.b58decode(value[1:]) if value.startswith("z") else b""
        if len(sig) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        key.verify(der, _hash_data(unsecured, options), ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, KeyError):
        return False
