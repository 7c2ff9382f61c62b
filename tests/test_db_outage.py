"""PostgreSQL goes away and comes back while the app keeps running.

During the outage a person gets a clear "try again shortly" (503, in Indonesian; the API's
JSON error with code `database_unavailable`), never a 500 or a crash page; once the server is
back the very next request is served, by the same app object — the connection pool replaces its
dead connections by itself (pre-ping), nobody restarts anything.

A PostgreSQL server of its own: the session's server is shared with every other test.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from app import create_app
from app.extensions import db
from tests.conftest import base_config, migrate_and_snapshot
from tests.services import PostgresServer

PASSWORD = "rahasia-123"


pytestmark = pytest.mark.slow  # stops and restarts a real PostgreSQL server


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    server = PostgresServer()
    server.start()
    url = server.create_database("lentera_outage")
    app = create_app(base_config(tmp_path_factory.mktemp("outage"), url))
    migrate_and_snapshot(app)
    with app.app_context():
        from app.accounts import operations as acc

        user = acc.create_user("pemadaman", password=PASSWORD, name="Peserta Pemadaman")
        token, _ = acc.issue_token(user)
        db.session.commit()
        db.session.remove()
    try:
        yield app, server, {"Authorization": f"Bearer {token}"}
    finally:
        with app.app_context():
            db.engine.dispose()
        server.stop()


def test_outage_answers_503_in_indonesian_and_the_app_recovers_by_itself(outage):
    app, server, bearer = outage
    client = app.test_client()
    resp = client.post("/masuk", data={"username": "pemadaman", "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert client.get("/").status_code == 200  # the pool now holds connections that are about to die

    server.halt()
    try:
        resp = client.get("/api/v1/me", headers=bearer)
        assert resp.status_code == 503
        error = resp.get_json()["error"]
        assert error["code"] == "database_unavailable"
        assert "Basis data sedang tidak tersedia" in error["message"]
        assert resp.headers["Retry-After"]

        # A write (a token: authentication records the login) fails the same way.
        resp = client.post("/api/v1/auth/token", json={"username": "pemadaman", "password": PASSWORD})
        assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable"

        # A page of a logged-in person: the error page itself must not need the database.
        resp = client.get("/")
        assert resp.status_code == 503
        assert "Basis data sedang tidak tersedia" in resp.get_data(as_text=True)
        assert client.get("/healthz").status_code == 503
    finally:
        server.restart()

    # The first request after the restart is served: no 503 from a stale pooled connection.
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert client.get("/").status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "pemadaman", "password": PASSWORD}).status_code == 201
    assert client.get("/healthz").status_code == 200


def test_a_restart_while_idle_goes_unnoticed(outage):
    """The server restarted between two requests: every pooled connection is dead, and no
    request failed on one to tell the pool. Pre-ping finds out before the request uses one."""
    app, server, bearer = outage
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
    server.halt()
    server.restart()
    assert client.get("/api/v1/me", headers=bearer).status_code == 200


def test_a_page_already_made_is_not_lost_when_the_database_stops_before_teardown(outage, tmp_path):
    """The request read (a transaction is open), made its page, and the server stopped before
    the end of the request closed the session. Closing rolls back, and that rollback fails on the
    dead connection — after the page was made: the person still gets it, not a 500 from gunicorn."""
    from sqlalchemy import text

    _app, server, bearer = outage
    app = create_app(base_config(tmp_path, _app.config["SQLALCHEMY_DATABASE_URI"]))

    def read_then_lose_the_database():
        db.session.execute(text("SELECT 1"))  # the session's transaction is now open
        server.halt()
        return "halaman sudah jadi"

    app.add_url_rule("/_baca", "baca", read_then_lose_the_database)
    client = app.test_client()
    try:
        resp = client.get("/_baca")
        assert (resp.status_code, resp.get_data(as_text=True)) == (200, "halaman sudah jadi")
    finally:
        server.restart()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
    InterfaceError("SELECT 1", {}, Exception("connection already closed")),
    DisconnectionError("connection invalidated"),
])
def test_every_kind_of_lost_connection_is_a_503(tmp_path, error):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))

    def boom():
        raise error

    app.add_url_rule("/api/v1/_putus", "api_putus", boom)
    app.add_url_rule("/_putus", "putus", boom)
    client = app.test_client()
    resp = client.get("/api/v1/_putus")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable"
    resp = client.get("/_putus")
    assert resp.status_code == 503 and "Basis data sedang tidak tersedia" in resp.get_data(as_text=True)
    resp = client.get("/api/v1/_putus?lang=en")
    assert resp.get_json()["error"]["message"].startswith("The database is unavailable")
