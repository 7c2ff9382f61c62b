"""Public routes of the credentials: the revocation status list, each certificate's credential as
a JSON download and baked into a PNG, and the badge picture. No login: like the verify page, a
verifier anywhere must reach them. The verify page shows the credential through `badge_for`."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, abort
from flask_babel import gettext as _

from app.badges import dataintegrity
from app.badges import operations as ops
from app.certificates import queries as cert_q

bp = Blueprint("badges", __name__)


def _cert_or_404(serial: str):
    # Public like the verify page, so found the same way: by the public id (the serial and its
    # random code), never the bare sequential serial, and rate-limited (issue 14, finding 10).
    from app.certificates.operations import throttle_public_verify

    throttle_public_verify()
    cert = cert_q.by_public_id(serial)
    if cert is None:
        abort(404)
    return cert


def _filename(serial: str, ext: str) -> str:
    return "sertifikat-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", serial).strip("-") or "badge") + "." + ext


@bp.get("/badges/status/<int:list_id>")
def status_list(list_id: int):
    if list_id < 1 or list_id > 100000:
        abort(404)
    doc = ops.status_list_credential(list_id)
    return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/vc+ld+json",
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@bp.get("/sertifikat/<path:serial>/badge.json")
def credential_json(serial: str):
    cert = _cert_or_404(serial)
    row = ops.credential_for(cert)
    return Response(json.dumps(row.credential, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(cert.serial, "json")}"',
                             "Access-Control-Allow-Origin": "*"})


@bp.get("/sertifikat/<path:serial>/badge.png")
def baked_png(serial: str):
    cert = _cert_or_404(serial)
    row = ops.credential_for(cert)
    return Response(ops.bake(ops.badge_png(cert), row.credential), mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(cert.serial, "png")}"'})


@bp.get("/sertifikat/<path:serial>/gambar-badge.png")
def image(serial: str):
    cert = _cert_or_404(serial)
    return Response(ops.badge_png(cert), mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"})


@bp.app_template_global()
def badge_for(cert) -> dict:
    """What the verify page shows of a certificate's credential (issued now if it had none)."""
    from flask import url_for

    row = ops.credential_for(cert)
    cred = row.credential
    return {"credential": cred, "json": json.dumps(cred, ensure_ascii=False, indent=2),
            "proof_ok": dataintegrity.verify(cred), "revoked": ops.revoked(row), "issuer": cred["issuer"]["id"],
            "json_url": url_for("badges.credential_json", serial=cert.public_id),
            "png_url": url_for("badges.baked_png", serial=cert.public_id),
            "api_url": url_for("api.badges_certificate_credential", serial=cert.public_id),
            "status_url": cred["credentialStatus"]["statusListCredential"],
            "label": _("Open Badges 3.0 (W3C Verifiable Credential)")}
