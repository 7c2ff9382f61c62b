"""The Open Badges 3.0 credential of a certificate."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

from app.api.core import route
from app.badges import operations as ops
from app.certificates import queries as cert_q
from app.errors import NotFound


@route("/certificates/<path:serial>/credential", summary="The certificate as an Open Badges 3.0 credential (public)",
       tag="certificates", auth=False, response_content="application/json")
def certificate_credential(serial: str):
    """An OpenBadgeCredential (W3C VC 2.0) signed with a DataIntegrityProof `ecdsa-jcs-2019` by the
    organisation's did:key; `credentialStatus` points at the BitstringStatusList that marks it
    revoked when the certificate is."""
    from app.certificates.operations import throttle_public_verify

    throttle_public_verify()  # public: found by the public id, rate-limited, as the verify page
    cert = cert_q.by_public_id(serial)
    if cert is None:
        raise NotFound(_("Sertifikat bernomor %(s)s tidak ditemukan.", s=serial), code="certificate_not_found")
    row = ops.credential_for(cert)
    import json

    return Response(json.dumps(row.credential, ensure_ascii=False), mimetype="application/json")
