"""Forgotten password by email (issue 22): a signed, single-use, 30-minute link, sent through a
real SMTP server by the job runner; the same answer whether or not the account exists; throttled;
the link is built from the configured public address, never from the request's Host header."""

from __future__ import annotations

import re
import time

import pytest

from app.jobs.operations import run_pending

SAME_ANSWER = "Jika akun itu ada dan punya alamat email"


@pytest.fixture
def mail(app, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_sink.port)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://lentera.example.go.id")
    return smtp_sink


def _ask(client, identifier: str, host: str = "localhost"):
    return client.post("/lupa-sandi", data={"identifier": identifier}, headers={"Host": host},
                       follow_redirects=True)


def _link(sink) -> str:
    body = sink.messages[-1]["message"].get_payload(decode=True).decode()
    return re.search(r"https://\S+", body).group(0)


def test_a_learner_resets_a_forgotten_password_once(client, org, mail):
    resp = _ask(client, org.learner_a1.nip, host="evil.example")  # by NIP, with a forged Host
    assert resp.status_code == 200 and SAME_ANSWER in resp.get_data(as_text=True)
    assert mail.messages == []  # nothing is sent from the request itself
    assert run_pending() == 1
    (msg,) = mail.messages
    assert msg["to"] == [org.learner_a1.email]
    link = _link(mail)
    assert link.startswith("https://lentera.example.go.id/atur-ulang-sandi/") and "evil" not in link
    path = link.removeprefix("https://lentera.example.go.id")
    page = client.get(path)
    assert page.status_code == 200 and org.learner_a1.username in page.get_data(as_text=True)
    assert client.post(path, data={"new": "pendek", "confirm": "pendek"}).status_code == 422
    resp = client.post(path, data={"new": "BaruSekali2026", "confirm": "BaruSekali2026"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/masuk")
    # The link worked once; the old password no longer does, the new one does.
    assert client.get(path).status_code == 410
    assert client.post("/masuk", data={"username": org.learner_a1.username, "password": "rahasia123"}).status_code == 401
    assert client.post("/masuk", data={"username": org.learner_a1.username, "password": "BaruSekali2026"}).status_code == 302


def test_unknown_accounts_get_the_same_answer_and_no_mail(client, org, mail):
    for who in ("tidak-ada", "199001012020011999", "siapa@example.go.id"):
        resp = _ask(client, who)
        assert resp.status_code == 200 and SAME_ANSWER in resp.get_data(as_text=True)
    org.learner_b.email = None
    from app.extensions import db

    db.session.commit()
    resp = _ask(client, org.learner_b.username)
    assert SAME_ANSWER in resp.get_data(as_text=True)
    assert run_pending() == 0 and mail.messages == []


def test_requests_are_throttled_and_links_expire_or_are_refused_when_forged(client, org, mail, monkeypatch):
    for _ in range(5):
        assert _ask(client, org.learner_a1.email).status_code == 200
    resp = _ask(client, org.learner_a1.email)
    assert resp.status_code == 429 and "Terlalu banyak permintaan" in resp.get_data(as_text=True)
    run_pending()
    path = _link(mail).removeprefix("https://lentera.example.go.id")
    assert client.get(path[:-3] + "xyz").status_code == 410
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() + 31 * 60)
    resp = client.get(path)
    assert resp.status_code == 410 and "kedaluwarsa" in resp.get_data(as_text=True)
