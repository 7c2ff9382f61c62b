"""Issue 14, finding 3: "Keluar" ends the session for every copy of the cookie; logout, a new
password and deactivation end sessions on the server; remember-me lives at most REMEMBER_DAYS."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import utcnow
from app.extensions import db


def _login(app, username: str = "learner_a1", password: str = "rahasia123", remember: bool = False):
    c = app.test_client()
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    resp = c.post("/masuk", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return c, resp


def _copy(app, source, *names: str):
    """A second browser holding copies of `source`'s cookies (a stolen or synced cookie)."""
    other = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def test_logout_ends_every_copy_of_the_session_cookie(app, org):
    c, _ = _login(app)
    thief = _copy(app, c, "session")
    assert thief.get("/").status_code == 200
    assert c.post("/keluar").status_code == 302
    resp = thief.get("/")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]


def test_logout_ends_a_copied_remember_me_cookie(app, org):
    c, _ = _login(app, remember=True)
    thief = _copy(app, c, "remember_token")
    assert thief.get("/").status_code == 200  # the cookie alone logs in (that is what it is for)
    c.post("/keluar")
    later = _copy(app, thief, "remember_token")
    resp = later.get("/")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]


def test_logout_leaves_other_devices_signed_in(app, org):
    phone, _ = _login(app)
    laptop, _ = _login(app)
    laptop.post("/keluar")
    assert phone.get("/").status_code == 200


def test_remember_me_lives_at_most_thirty_days(app, org):
    assert app.config["REMEMBER_DAYS"] == 30
    c, resp = _login(app, remember=True)
    header = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    from email.utils import parsedate_to_datetime

    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0]).replace(tzinfo=None)
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30, minutes=1)
    # and the server refuses it after that, whatever the browser keeps
    from app.accounts.models import LoginSession

    row = db.session.scalar(db.select(LoginSession).where(LoginSession.remember.is_(True)))
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30, minutes=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    later = _copy(app, c, "remember_token")
    assert later.get("/").status_code == 302
    assert c.get("/").status_code == 302


def test_a_session_without_remember_me_ends_on_the_server_too(app, org):
    from app.accounts.models import LoginSession

    c, _ = _login(app)
    row = db.session.scalar(db.select(LoginSession))
    assert row.remember is False
    assert row.expires_at - utcnow() <= timedelta(hours=app.config["SESSION_HOURS"], minutes=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert c.get("/").status_code == 302


def test_password_change_and_deactivation_end_every_session(app, org):
    from app.accounts import operations as ops
    from app.accounts.models import LoginSession, User

    here, _ = _login(app)
    remembered, _ = _login(app, remember=True)
    thief = _copy(app, remembered, "remember_token")
    resp = here.post("/akun/sandi", data={"pw-current": "rahasia123", "pw-new": "baru-12345",
                                          "pw-confirm": "baru-12345"})
    assert resp.status_code == 302
    assert here.get("/").status_code == 200  # this browser keeps a fresh session
    assert remembered.get("/").status_code == 302 and thief.get("/").status_code == 302
    db.session.expire_all()
    person = db.session.get(User, org.learner_a1.id)
    ops.update_user(person, active=False)
    db.session.commit()
    assert here.get("/").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == person.id)) == 0


def test_the_account_page_lists_devices_and_ends_the_others(app, org):
    phone, _ = _login(app, remember=True)
    laptop, _ = _login(app)
    page = laptop.get("/akun").get_data(as_text=True)
    assert "Perangkat yang masuk" in page and page.count("<strong>(perangkat ini)</strong>") == 1
    resp = laptop.post("/akun/sesi/keluar-lainnya")
    assert resp.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    later = _copy(app, phone, "remember_token")
    assert later.get("/").status_code == 302
