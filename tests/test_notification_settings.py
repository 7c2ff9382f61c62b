"""Notification preferences (issue 22): in the app always; by mail each one, as a daily digest
(the default), or not at all; every mail carries a working "stop these mails" link."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.jobs.models import Job
from app.jobs.operations import run_pending
from app.notifications import operations as ops


@pytest.fixture
def mail(app, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_sink.port)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://lentera.example.go.id")
    return smtp_sink


def _bodies(sink, to):
    return [m["message"].get_payload(decode=True).decode() for m in sink.messages if m["to"] == [to]]


def test_each_notification_by_mail_when_the_person_chose_so(client, org, login, mail):
    login(org.learner_a1)
    page = client.get("/notifikasi/pengaturan").get_data(as_text=True)
    assert 'value="daily" checked' in page  # the default
    assert client.post("/notifikasi/pengaturan", data={"mail": "setiap"}).status_code == 422
    assert client.post("/notifikasi/pengaturan", data={"mail": "immediate"}).status_code == 302
    ops.notify(org.learner_a1, "Klaim <JP> disetujui", "3 JP masuk ke catatan Anda.", link="/jp")
    ops.notify(org.learner_b, "Untuk orang lain")  # default: daily digest, nothing now
    db.session.commit()
    run_pending()
    (body,) = _bodies(mail, org.learner_a1.email)
    assert "Klaim <JP> disetujui" in body and "https://lentera.example.go.id/jp" in body
    assert _bodies(mail, org.learner_b.email) == []
    stop = re.search(r"https://lentera.example.go.id(/notifikasi/berhenti/\S+)", body).group(1)
    client.post("/keluar")
    assert "Hentikan email" in client.get(stop).get_data(as_text=True)  # a GET changes nothing
    assert ops.mail_mode(org.learner_a1) == "immediate"
    assert "tidak lagi menerima" in client.post(stop).get_data(as_text=True)  # no login needed
    assert ops.mail_mode(org.learner_a1) == "none"
    assert client.get(stop[:-4] + "abcd").status_code == 404
    ops.notify(org.learner_a1, "Tidak dikirim lagi")
    db.session.commit()
    run_pending()
    assert len(_bodies(mail, org.learner_a1.email)) == 1


def test_the_daily_digest_collects_unread_notifications_once(org, mail):
    ops.set_mail_mode(org.learner_b, "none")
    for title in ("Sertifikat terbit: Etika ASN", "Rencana pengembangan disetujui"):
        ops.notify(org.learner_a1, title, link="/sertifikat")
    ops.notify(org.learner_b, "Tidak ingin email")
    read = ops.notify(org.learner_a1, "Sudah dibaca")
    ops.mark_read(org.learner_a1, read.id)
    db.session.commit()
    assert ops.send_digests() >= 1
    db.session.commit()
    run_pending()
    (body,) = _bodies(mail, org.learner_a1.email)
    assert "Sertifikat terbit: Etika ASN" in body and "Rencana pengembangan disetujui" in body
    assert "Sudah dibaca" not in body and "/notifikasi/berhenti/" in body
    assert _bodies(mail, org.learner_b.email) == []
    # The same day again, or a re-run job: nobody hears twice.
    assert ops.send_digests() == 0
    db.session.commit()
    ops._enqueue_digest()
    ops._enqueue_digest()
    db.session.commit()
    assert db.session.query(Job).filter(Job.kind == ops.DIGEST_JOB).count() <= 1
