"""Secrets never reach the logs: passwords (right, wrong, new, temporary), API tokens (valid and
forged), the session key and the storage credentials, with every logger at DEBUG — the app's,
Werkzeug's, the job runner's and SQLAlchemy's statements with their parameters."""

from __future__ import annotations

import logging
import re

from app.extensions import db

PASSWORD = "Sandi-Rahasia-9931"
NEW_PASSWORD = "Sandi-Baru-Sekali-4417"


def _logged(caplog) -> str:
    """Every record's message with its arguments, and any exception text."""
    parts = []
    for rec in caplog.records:
        parts.append(rec.getMessage())
        if rec.exc_text:
            parts.append(rec.exc_text)
    return "\n".join(parts)


def test_passwords_tokens_and_keys_never_reach_the_logs(app, org, client, caplog, monkeypatch):
    from app.accounts import operations as ops

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kunci-s3-rahasia-5521")
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "werkzeug", "app", "lentera"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        user = org.learner_a1
        ops.set_password(user, PASSWORD)
        db.session.commit()

        assert client.post("/masuk", data={"username": user.username, "password": "x" + PASSWORD}).status_code == 401
        assert client.post("/masuk", data={"username": user.username, "password": PASSWORD}).status_code == 302
        resp = client.post("/akun/sandi", data={"pw-current": PASSWORD, "pw-new": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]

        resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": NEW_PASSWORD})
        assert resp.status_code == 201, resp.get_json()
        token = resp.get_json()["token"]
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        assert client.post("/api/v1/auth/token", json={"username": user.username,
                                                       "password": PASSWORD}).status_code == 401

        # A temporary password an admin issues is shown once, to the admin, and never logged.
        client.post("/keluar")
        assert client.post("/masuk", data={"username": org.admin.username, "password": "rahasia123"}).status_code == 302
        page = client.post(f"/admin/pengguna/{org.learner_b.id}/reset-sandi").get_data(as_text=True)
        temporary = re.search(r'id="temporary-password">([^<]+)<', page)
        assert temporary, page[:2000]
    finally:
        for name in ("sqlalchemy.engine", "werkzeug", "app", "lentera"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    logged = _logged(caplog)
    assert "SELECT" in logged or "INSERT" in logged  # the SQL was logged with its parameters…
    for secret in (PASSWORD, NEW_PASSWORD, token, temporary.group(1), app.config["SECRET_KEY"],
                   "kunci-s3-rahasia-5521"):
        assert secret not in logged, f"a secret was logged: {secret[:4]}…"  # …but no secret in it
