"""What every page pays (issue 23): the layout kept per worker stays exact, the person's statement
stays one whatever they hold, and a pooled connection is checked by its BEGIN, not a ping."""

from __future__ import annotations

import time

import psycopg
import pytest
from flask import g, request
from flask_babel import refresh
from sqlalchemy import event, text

from app.accounts import operations as ops
from app.accounts.models import Unit, User
from app.extensions import db
from app.notifications.operations import notify
from tests.counting import page_statements


def _fresh(model, id_: int):
    """The row again in the current session (the helper above starts a new one)."""
    return db.session.get(model, id_)


def _next_request() -> None:
    # The tests keep one app context (and its g) across requests: forget the person and the locale.
    db.session.remove()
    g.pop("_login_user", None)
    refresh()


def test_a_page_costs_the_same_statements_however_much_the_person_holds(app, client, org, login):
    uid, a_id, b_id = org.learner_a1.id, org.a.id, org.b.id
    login(org.learner_a1)
    page_statements(client, "/katalog")  # warm: the catalogue's cards are kept per worker
    plain, _ = page_statements(client, "/katalog")
    # More unread notifications, more signed-in browsers, units to head (more roles change what the
    # catalogue itself shows staff, so they are the menu test's business below).
    person = _fresh(User, uid)
    for i in range(30):
        notify(person, f"Pemberitahuan {i}")
    for _ in range(10):
        ops.start_session(person, remember=False, address="10.0.0.1")
    ops.update_unit(_fresh(Unit, b_id), head=person)
    ops.update_unit(_fresh(Unit, a_id), head=person)
    db.session.commit()
    page_statements(client, "/katalog")
    held, html = page_statements(client, "/katalog")
    assert held == plain
    assert 'class="count"' in html and ">30<" in html  # the badge is this person's, read this request


def test_the_kept_menu_follows_the_persons_rights_on_the_next_request(app, client, org, login):
    uid = org.learner_a1.id
    login(org.learner_a1)
    assert 'data-group="admin"' not in client.get("/katalog").get_data(as_text=True)
    ops.set_roles(_fresh(User, uid), ["admin"], {"admin": None})
    db.session.commit()
    _next_request()
    html = client.get("/katalog").get_data(as_text=True)
    assert 'data-group="admin"' in html
    ops.set_roles(_fresh(User, uid), [], {})
    db.session.commit()
    _next_request()
    assert 'data-group="admin"' not in client.get("/katalog").get_data(as_text=True)


def test_the_kept_layout_marks_the_page_and_speaks_the_persons_language(app, client, org, login):
    login(org.learner_a1)
    html = client.get("/katalog").get_data(as_text=True)
    assert '<a href="/katalog" aria-current="page">Katalog</a>' in html
    html = client.get("/kursus-saya").get_data(as_text=True)
    assert '<a href="/katalog" >Katalog</a>' in html and 'aria-current="page">Kursus saya</a>' in html
    client.get("/lang/en")
    _next_request()
    html = client.get("/katalog").get_data(as_text=True)
    assert '<html lang="en">' in html and ">Catalogue</a>" in html and ">Katalog</a>" not in html
    assert "Learning system for civil servants" in html and "Sistem pembelajaran ASN" not in html
    client.get("/lang/id")
    _next_request()
    html = client.get("/katalog").get_data(as_text=True)
    assert '<html lang="id">' in html and 'aria-current="page">Katalog</a>' in html and "Catalogue" not in html


def test_what_is_per_person_is_never_shared_by_the_kept_layout(app, org):
    # Two people with the same rights, one after the other in the same worker.
    ops.update_user(org.learner_b, name="<b>Budi</b> & co")
    db.session.commit()
    seen = {}
    for username in ("learner_a1", "learner_b"):
        client = app.test_client()
        assert client.post("/masuk", data={"username": username, "password": "rahasia123"}).status_code == 302
        _next_request()
        seen[username] = client.get("/katalog").get_data(as_text=True)
    assert ">Learner A1</a>" in seen["learner_a1"] and 'data-user="learner_a1"' in seen["learner_a1"]
    assert "Budi" not in seen["learner_a1"]
    assert "&lt;b&gt;Budi&lt;/b&gt; &amp; co" in seen["learner_b"] and "<b>Budi" not in seen["learner_b"]
    assert 'data-user="learner_b"' in seen["learner_b"]


def test_a_pooled_connection_killed_between_requests_is_replaced_unseen(app, client, org, login, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's connections")
    login(org.learner_a1)
    assert client.get("/katalog").status_code == 200
    db.session.remove()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        pids = [pid for (pid,) in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))
        # pg_terminate_backend only signals: between two requests the backends have gone.
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0] \
                and time.monotonic() < deadline:
            time.sleep(0.02)
    g.pop("_login_user", None)
    # No 503: the server's goodbye waiting on the idle connection sent it to the BEGIN, which found it dead.
    assert client.get("/katalog").status_code == 200


def test_a_read_only_page_sends_no_ping_of_its_own(app, client, org, login, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's connections")
    login(org.learner_a1)
    client.get("/katalog")
    db.session.remove()
    g.pop("_login_user", None)
    sent: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/katalog").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert not [s for s in sent if s.strip().upper() in ("SELECT 1", ";")]
    assert db.session.execute(text("SELECT 1")).scalar() == 1  # the app's own connections still work


def test_a_kept_session_cookie_is_checked_as_flask_checks_it(app, monkeypatch):
    from app.web import KeptCookieSessions

    interface = app.session_interface
    assert isinstance(interface, KeptCookieSessions)
    cookie = interface.get_signing_serializer(app).dumps({"_user_id": "7:0:k", "lang": "en"})

    def open_with(value: str):
        with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
            return interface.open_session(app, request)

    first = open_with(cookie)
    assert dict(first) == {"_user_id": "7:0:k", "lang": "en"}
    first["lang"] = "id"  # a request changing its session changes nothing kept
    assert dict(open_with(cookie)) == {"_user_id": "7:0:k", "lang": "en"}
    # A cookie whose signature does not match is refused, kept or not.
    payload, stamp, signature = cookie.rsplit(".", 2)
    assert dict(open_with(f"{payload}.{stamp}.{signature[::-1]}")) == {}
    assert dict(open_with(cookie.replace(payload, payload[:-2] + "xy"))) == {}
    # Past the session's lifetime a kept cookie is refused as Flask would.
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 5
    monkeypatch.setattr("app.web.time.time", lambda: later)
    assert dict(open_with(cookie)) == {}
    # Another secret key: the kept answer is not the new key's.
    monkeypatch.undo()
    monkeypatch.setattr(app, "secret_key", "another-secret")
    assert dict(open_with(cookie)) == {}


def test_a_session_holding_flashed_messages_is_read_each_time(app):
    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"_flashes": [("info", "Tersimpan.")]})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
        first = interface.open_session(app, request)
        first["_flashes"].pop()
        assert interface.open_session(app, request)["_flashes"] == [("info", "Tersimpan.")]
