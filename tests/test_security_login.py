"""Issue 14, finding 13: login throttling counts per account whatever the identifier, throttles the
current-password check, and slows an (account, address) pair down instead of locking the account."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import LoginAttempt
from app.extensions import db

X = {"REMOTE_ADDR": "10.0.0.66"}   # an attacker's address
Y = {"REMOTE_ADDR": "10.0.0.7"}    # the owner's usual address


def _login(client, identifier: str, password: str, env=None):
    return client.post("/masuk", data={"username": identifier, "password": password}, environ_base=env or X)


def _age_failures(seconds: int) -> None:
    """Let time pass for the throttle: every recorded failure moves `seconds` into the past."""
    for row in db.session.scalars(db.select(LoginAttempt)):
        row.at = row.at - timedelta(seconds=seconds)
    db.session.commit()


def test_the_nip_shares_the_accounts_budget(app, org):
    c = app.test_client()
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert _login(c, "learner_a1", "salah").status_code == 401
    # the same account by its NIP gets no fresh budget: the next try waits, right password or not
    resp = _login(c, org.learner_a1.nip, "rahasia123")
    assert resp.status_code == 429
    assert "Terlalu banyak percobaan" in resp.get_data(as_text=True)
    resp = c.post("/api/v1/auth/token", json={"username": org.learner_a1.nip, "password": "rahasia123"},
                  environ_base=X)
    assert resp.status_code == 429


def test_the_delay_grows_and_then_lets_the_right_password_in(app, org):
    c = app.test_client()
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        _login(c, "learner_a1", "salah")
    assert _login(c, "learner_a1", "rahasia123").status_code == 429
    _age_failures(app.config["LOGIN_DELAY_SECONDS"] + 1)
    assert _login(c, "learner_a1", "salah").status_code == 401  # one more try after the wait ...
    _age_failures(app.config["LOGIN_DELAY_SECONDS"] + 1)
    assert _login(c, "learner_a1", "rahasia123").status_code == 429  # ... and the next wait is longer
    _age_failures(2 * app.config["LOGIN_DELAY_SECONDS"])
    assert _login(c, "learner_a1", "rahasia123").status_code == 302


def test_an_attacker_cannot_lock_the_owner_out(app, org):
    owner = app.test_client()
    assert _login(owner, "learner_a1", "rahasia123", Y).status_code == 302  # Y is a known address
    owner.post("/keluar")
    attacker = app.test_client()
    for _ in range(12):
        _login(attacker, "learner_a1", "salah", X)
        _login(attacker, org.learner_a1.nip, "salah", X)
    assert _login(attacker, "learner_a1", "rahasia123", X).status_code == 429
    # the owner, from their own address, is let in at once
    assert _login(owner, "learner_a1", "rahasia123", Y).status_code == 302


def test_the_current_password_check_is_throttled(app, org):
    c = app.test_client()
    assert _login(c, "learner_a1", "rahasia123").status_code == 302
    free = app.config["LOGIN_FREE_FAILURES"]
    form = {"pw-new": "baru-12345", "pw-confirm": "baru-12345"}
    for _ in range(free):
        resp = c.post("/akun/sandi", data={**form, "pw-current": "tebakan"}, environ_base=X)
        assert resp.status_code == 422 and "Kata sandi saat ini salah" in resp.get_data(as_text=True)
    resp = c.post("/akun/sandi", data={**form, "pw-current": "rahasia123"}, environ_base=X)
    assert resp.status_code == 429 and "Terlalu banyak percobaan" in resp.get_data(as_text=True)
    # the guesses count for the login too: the account is slowed down from this address
    assert _login(app.test_client(), "learner_a1", "rahasia123").status_code == 429
