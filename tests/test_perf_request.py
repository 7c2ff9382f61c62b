"""What every request pays outside its view (issue 23): loading the signed-in person stays one
statement however many roles, sessions or tokens the person has; the locale is chosen from the
query string, the person, then the session; the CSRF token, signed once per worker, is the one
Flask-WTF's forms use and still validates."""

from __future__ import annotations

import re

from app.accounts import operations as ops
from app.extensions import db
from tests.counting import page_statements


def test_loading_the_person_does_not_grow_with_roles_sessions_or_tokens(client, org, login):
    from app.accounts.models import Unit, User

    user_id, unit_id = org.learner_a1.id, org.a.id
    login(org.learner_a1)
    before, _ = page_statements(client, "/kursus-saya")
    learner = db.session.get(User, user_id)
    ops.set_roles(learner, ["instructor", "bpsdm"], {"bpsdm": db.session.get(Unit, unit_id)})
    for _ in range(5):
        ops.issue_token(learner)
    db.session.commit()
    for _ in range(5):  # more signed-in browsers of the same person
        other = client.application.test_client()
        assert other.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    assert client.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    after, _ = page_statements(client, "/kursus-saya")
    assert after == before


def test_the_locale_comes_from_the_query_the_person_then_the_session(client, org, login):
    login(org.learner_a1)
    assert 'lang="id"' in client.get("/kursus-saya").get_data(as_text=True)  # adds the CSRF token to the session
    resp = client.get("/kursus-saya")
    assert 'lang="id"' in resp.get_data(as_text=True)
    assert "Cookie" in resp.headers["Vary"] and not resp.headers.getlist("Set-Cookie")  # session untouched
    assert 'lang="en"' in client.get("/kursus-saya?lang=en").get_data(as_text=True)
    assert 'lang="id"' in client.get("/kursus-saya?lang=xx").get_data(as_text=True)
    from app.accounts.models import User

    learner = db.session.get(User, org.learner_a1.id)
    learner.locale = "en"
    db.session.commit()
    assert 'lang="en"' in client.get("/kursus-saya").get_data(as_text=True)
    assert 'lang="id"' in client.get("/kursus-saya?lang=id").get_data(as_text=True)


def test_the_grade_book_link_is_translated_when_shown(app):
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from app.grades.views import _course_staff_links

    with app.test_request_context("/"):
        (label, endpoint), = _course_staff_links()["course_staff_links"]
        assert endpoint == "grades.book"
        with force_locale("en"):
            assert str(label) == _("Buku nilai") == "Gradebook"
        assert str(label) == "Buku nilai"


_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_the_kept_csrf_token_is_flask_wtfs_and_validates(org, tmp_path):
    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, db.engine.url.render_as_string(hide_password=False),
                                 WTF_CSRF_ENABLED=True))
    c = app.test_client()
    tokens = []
    for _ in range(3):  # the first sets the session's raw token; the later ones sign it once
        page = c.get("/masuk").get_data(as_text=True)
        meta, fields = _META.search(page).group(1), _FIELD.findall(page)
        assert fields and all(f == meta for f in fields)  # the layout's and the form's are one token
        tokens.append(meta)
    assert tokens[1] == tokens[2]
    resp = c.post("/masuk", data={"username": "learner_a1", "password": "rahasia123", "csrf_token": tokens[2]})
    assert resp.status_code == 302
    refused = c.post("/keluar", data={"csrf_token": tokens[2][:-2] + "xx"})
    assert refused.status_code == 400
    other = app.test_client()
    other.get("/masuk")
    assert _META.search(other.get("/masuk").get_data(as_text=True)).group(1) != tokens[2]  # per session
