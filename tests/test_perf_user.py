"""The signed-in person, loaded on every request (issue 23): one statement whatever the person's
roles, notifications or sessions; a real, clean, session-attached `User` with unit and roles; the
same checks as before (ended, expired, deactivated, session version, remember, extras); and an
administrator's change seen on the person's next request in every worker."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import g
from sqlalchemy import event, inspect, select

from app.accounts import operations as ops
from app.accounts.models import ApiToken, LoginSession, User, UserRole, utcnow
from app.extensions import db
from tests.counting import statements


def _session_key(user_id: int, *, remember: bool = False, hours: float = 1) -> str:
    """A login session of the person as start_session leaves one (committed), its key."""
    key = secrets.token_urlsafe(16)
    db.session.add(LoginSession(user_id=user_id, key_hash=ops._session_hash(key), remember=remember,
                                expires_at=utcnow() + timedelta(hours=hours)))
    db.session.commit()
    return key


def _fresh(app, load):
    """`load()` in a request of its own, from an empty session as a worker starts each request;
    the session stays open (the caller inspects what it holds)."""
    ctx = app.test_request_context("/")
    ctx.push()
    db.session.remove()
    g.pop("_login_user", None)
    return ctx, load()


def _columns(user: User) -> dict:
    return {a.key: getattr(user, a.key) for a in inspect(User).column_attrs}


def test_the_person_is_a_clean_session_instance_with_unit_and_roles(app, org):
    admin_id, unit_id, unit_path, b_id = org.admin.id, org.admin.unit_id, org.instansi.path, org.b.id
    ops.set_roles(db.session.get(User, admin_id), ["admin", "bpsdm", "instructor"], {"admin": None, "bpsdm": org.a})
    # Through JSON and back: quotes, backslashes, a newline, markup and characters beyond the BMP.
    ops.update_user(db.session.get(User, admin_id), name='Ädmin "Satu" \\ <b>&amp;</b>\n😀', timezone="Asia/Jayapura")
    db.session.commit()
    expected = _columns(db.session.get(User, admin_id))
    roles = {(r.role, r.unit_id) for r in db.session.scalars(select(UserRole).where(UserRole.user_id == admin_id))}
    key = _session_key(admin_id, remember=True)

    ctx, user = _fresh(app, lambda: ops.user_for_session(admin_id, expected["session_version"], key))
    queries: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        queries.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        state = inspect(user)
        assert state.persistent and state.session is db.session()
        assert user in db.session and not db.session.dirty and not db.session.new
        assert _columns(user) == expected  # the same values and types as the ORM reads (datetimes, booleans)
        assert user.unit is not None and user.unit.id == unit_id and user.unit.path == unit_path
        assert inspect(user.unit).persistent
        assert {(r.role, r.unit_id) for r in user.roles} == roles
        assert all(inspect(r).persistent and r.user is user for r in user.roles)
        assert user.role_names == ["learner", "instructor", "bpsdm", "admin"]
        assert user.login_session_remember is True and user.login_session_key == key
        assert set(user.session_extras[1]) >= {"unread_notifications", "headed_units"}
        assert queries == []  # unit, roles and each role's person came with the one statement
        event.remove(db.engine, "before_cursor_execute", seen)

        # Operations write through it as through any loaded person.
        ops.update_user(user, name="Admin Baru", unit=db.session.get(type(user.unit), b_id))
        ops.set_roles(user, ["admin"], {"admin": None})
        db.session.commit()
    finally:
        if event.contains(db.engine, "before_cursor_execute", seen):
            event.remove(db.engine, "before_cursor_execute", seen)
        db.session.remove()
        ctx.pop()
    db.session.expire_all()
    again = db.session.get(User, admin_id)
    assert again.name == "Admin Baru" and again.unit_id == b_id and again.role_names == ["learner", "admin"]


def test_the_same_checks_as_before(app, org):
    person = org.learner_a1
    person_id, version = person.id, person.session_version or 0

    def load(key, v=None):
        ctx, user = _fresh(app, lambda: ops.user_for_session(person_id, version if v is None else v, key))
        result = None if user is None else (user.id, user.login_session_remember)
        db.session.remove()
        ctx.pop()
        return result

    key = _session_key(person_id)
    assert load(key) == (person_id, False)
    assert load("another key") is None  # no such session
    assert load(key, version + 1) is None  # made before a new password or a deactivation
    expired = _session_key(person_id, hours=-1)
    assert load(expired) is None
    db.session.execute(LoginSession.__table__.delete().where(LoginSession.key_hash == ops._session_hash(key)))
    db.session.commit()
    assert load(key) is None  # logged out: the row is gone
    key = _session_key(person_id, remember=True)
    assert load(key) == (person_id, True)
    ops.update_user(db.session.get(User, person_id), active=False)
    db.session.commit()
    key = _session_key(person_id)  # a session row left over would still not let a deactivated person in
    assert load(key, db.session.get(User, person_id).session_version) is None


def test_a_bearer_token_gives_the_same_person(app, org, auth):
    from app.accounts.operations import user_for_token

    headers = auth(org.bpsdm_a)
    token = headers["Authorization"][7:]
    bpsdm_id, unit_id = org.bpsdm_a.id, org.a.id
    ctx, user = _fresh(app, lambda: user_for_token(token))
    try:
        assert user.id == bpsdm_id and inspect(user).persistent and not db.session.dirty
        assert user.unit.id == unit_id and user.role_names == ["learner", "bpsdm"]
        assert {r.role: r.unit_id for r in user.roles}["bpsdm"] == unit_id
        assert user_for_token("not a token") is None
    finally:
        db.session.remove()
        ctx.pop()
    db.session.execute(ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    ctx, user = _fresh(app, lambda: user_for_token(token))
    assert user is None
    db.session.remove()
    ctx.pop()


def test_the_persons_statement_does_not_grow_with_roles_notifications_or_sessions(app, org, client, login, auth):
    from app.notifications import operations as note_ops

    person_id = org.learner_a1.id
    login(org.learner_a1)
    pages = ["/kursus-saya", "/akun"]
    before = {url: statements(client, url) for url in pages}
    api = auth(db.session.get(User, person_id))
    api_before = statements(client, "/api/v1/me", headers=api)

    person = db.session.get(User, person_id)
    ops.set_roles(person, ["instructor"])
    for i in range(15):
        note_ops.notify(person, f"Kabar {i}")
    db.session.commit()
    for _ in range(5):
        _session_key(person_id)
        auth(person)
    for url in pages:
        assert statements(client, url) == before[url], url
    assert statements(client, "/api/v1/me", headers=api) == api_before


def test_an_administrators_change_shows_on_the_next_request_in_every_worker(app, client, org, second_app):
    """The person is loaded afresh on every request in every worker: a role or a unit changed through
    one instance is what the other's next request sees (nothing about the person is kept)."""
    person = second_app.test_client()
    assert person.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    assert person.get("/admin/pengguna").status_code == 403
    assert "Bidang A1" in person.get("/akun").get_data(as_text=True)

    assert client.post("/masuk", data={"username": "admin", "password": "rahasia123"}).status_code == 302
    learner = db.session.get(User, org.learner_a1.id)
    ops.set_roles(learner, ["admin"], {"admin": None})
    ops.update_user(learner, unit=org.b)
    db.session.commit()

    assert person.get("/admin/pengguna").status_code == 200
    page = person.get("/akun").get_data(as_text=True)
    assert "Dinas B" in page and "Bidang A1" not in page

    ops.set_roles(db.session.get(User, org.learner_a1.id), [])
    db.session.commit()
    assert person.get("/admin/pengguna").status_code == 403
