"""Helpers for the certificate tests: completing a course, a configured signing certificate."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.courses.operations import complete_activity
from app.extensions import db
from tests.factories import enrol_all, make_course


def complete_course(course, user) -> None:
    for section in course.sections:
        for activity in section.activities:
            complete_activity(user, activity)


def completed_course(*users, **kw):
    """A course with a certificate that every given user has completed (committed)."""
    kw.setdefault("certificate", True)
    course = make_course(**kw)
    enrol_all(course, *users)
    for u in users:
        complete_course(course, u)
    db.session.commit()
    return course


@pytest.fixture(scope="session")
def signer_dir(tmp_path_factory) -> Path:
    from app.certificates.signing import make_demo_certificates

    folder = tmp_path_factory.mktemp("signer")
    make_demo_certificates(folder, "BPSDM Uji")
    return folder


@pytest.fixture
def signing_configured(app, signer_dir):
    """Point the settings at a signing certificate, as an operator would for a BSrE one."""
    old = {k: app.config.get(k) for k in ("CERT_SIGNING_KEY", "CERT_SIGNING_CERT", "CERT_SIGNING_CHAIN")}
    app.config.update(CERT_SIGNING_KEY=str(signer_dir / "signing-key.pem"),
                      CERT_SIGNING_CERT=str(signer_dir / "signing-cert.pem"),
                      CERT_SIGNING_CHAIN=str(signer_dir / "ca-cert.pem"))
    yield signer_dir
    app.config.update(old)
