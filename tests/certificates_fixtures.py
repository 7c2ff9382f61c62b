"""Helpers for the certificate tests: completing a course, a configured signing certificate, racing
transactions, the PDF download scoping."""

from __future__ import annotations

import threading
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


def in_thread(app, fn, results: list, barrier: threading.Barrier) -> threading.Thread:
    """Run `fn` in its own thread and transaction once every racer is ready; its outcome ("ok" or
    the exception's name) is appended to `results`."""
    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=20)
                fn()
                db.session.commit()
                results.append("ok")
            except Exception as exc:  # the loser of a race reports its error; it must not duplicate
                db.session.rollback()
                results.append(type(exc).__name__)
            finally:
                db.session.remove()
    t = threading.Thread(target=run)
    t.start()
    return t


def assert_pdf_scoping(client, login, org, own_serial: str, other_serial: str) -> None:
    """learner_a1 holds `own_serial`, learner_b `other_serial`: only the holder and staff in reach
    (bpsdm_a reaches unit A, the admin everything) download a PDF; a head of unit does not."""
    assert client.get(f"/certificates/{own_serial}.pdf").status_code == 302  # log in first
    login(org.learner_a1)
    resp = client.get(f"/certificates/{own_serial}.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert client.get(f"/certificates/{other_serial}.pdf").status_code == 403
    client.post("/keluar")
    login(org.bpsdm_a)
    assert client.get(f"/certificates/{own_serial}.pdf").status_code == 200
    assert client.get(f"/certificates/{other_serial}.pdf").status_code == 403
    client.post("/keluar")
    login(org.head_a)
    assert client.get(f"/certificates/{own_serial}.pdf").status_code == 403
    client.post("/keluar")
    login(org.admin)
    assert client.get(f"/certificates/{other_serial}.pdf").status_code == 200


def complete_at_once(app, user_ids: list[int], activity_id: int, per_user: int = 2) -> list[str]:
    """Every user completes the activity `per_user` times at the same moment (two requests of one
    person racing, and the people racing each other); the outcomes, as `in_thread` reports them."""
    from app.accounts.models import User
    from app.courses.models import Activity

    barrier = threading.Barrier(len(user_ids) * per_user)
    results: list[str] = []

    def completer(uid):
        return lambda: complete_activity(db.session.get(User, uid), db.session.get(Activity, activity_id))

    threads = [in_thread(app, completer(uid), results, barrier) for uid in user_ids for _ in range(per_user)]
    for t in threads:
        t.join(60)
    db.session.expire_all()
    return results
