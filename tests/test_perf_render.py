"""What templates pay (issue 23): the number and date filters, the templates' `_()` and url_for.

The filters read the page's locale where Flask-Babel keeps it and reuse parsed patterns; these tests
hold them to what Flask-Babel itself writes, in both languages. The pages' statement counts must not
grow with the person's data (courses on the home page, ledger entries on JP saya).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string, url_for
from flask_babel import force_locale, format_date, format_decimal

from app.extensions import db
from app.ledger import operations as ledger_ops
from app.web import remembered_url_for
from tests.counting import page_statements
from tests.factories import enrol_all, make_course

NUMBERS = [0, 7, 2.5, Decimal("2.25"), Decimal("1234.5"), 1234.567, -98765.4321, Decimal("1000000"), 0.005]


def _filter(app, name):
    return app.jinja_env.filters[name]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_num_and_jp_filters_write_what_flask_babel_writes(app, lang):
    num, jp = _filter(app, "num"), _filter(app, "jp")
    with app.test_request_context("/"), force_locale(lang):
        for value in NUMBERS:
            if not (value == int(value) and -1000 < value < 1000):
                assert num(value) == format_decimal(value, format="#,##0.##"), value
                assert num(value, 1) == format_decimal(value, format="#,##0.#"), value
                assert num(value, 0) == format_decimal(value, format="#,##0"), value
            assert num(value, 2, fixed=True) == format_decimal(value, format="#,##0.00"), value
        assert num(None) == "—"
        assert jp(None) == "0" and jp(4) == "4"
        assert jp(Decimal("2.50")) == ("2,5" if lang == "id" else "2.5")
        assert jp("12.346") == ("12,35" if lang == "id" else "12.35")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_localdate_writes_what_flask_babel_writes(app, lang):
    localdate = _filter(app, "localdate")
    with app.test_request_context("/"), force_locale(lang):
        for fmt in ("short", "medium", "long", "full", "d MMM yyyy"):
            assert localdate(date(2026, 10, 23), fmt) == format_date(date(2026, 10, 23), fmt)
        # a datetime still goes through Flask-Babel (moved to the person's time zone first)
        moment = datetime(2026, 10, 23, 20, 30)
        assert localdate(moment) == format_date(moment, "medium")
        assert localdate(None) == ""
    assert localdate.__name__ == "localdate"


def test_the_filters_follow_a_locale_changed_within_the_request(app):
    jp = _filter(app, "jp")
    with app.test_request_context("/"):
        with force_locale("en"):
            assert jp("2.5") == "2.5"
        with force_locale("id"):
            assert jp("2.5") == "2,5"


def test_template_gettext_translates_escapes_and_formats(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert render_template_string("{{ _('Beranda') }}") == "Home"
            html = render_template_string("{{ _('Selamat datang, %(name)s', name=n) }}", n="<b>Siti</b>")
            assert html == "Welcome, &lt;b&gt;Siti&lt;/b&gt;"
        with force_locale("id"):
            assert render_template_string("{{ gettext('Beranda') }}") == "Beranda"
            # always %-formatted (newstyle gettext): a literal percent is written %%
            assert render_template_string("{{ _('100%% selesai') }}") == "100% selesai"


def test_remembered_url_for_gives_url_for_answers(app):
    template_url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        for endpoint, values in [("courses.catalogue", {}), ("courses.course", {"course_id": 3}),
                                 ("media.video_file", {"activity_id": 5, "name": "hls/master.m3u8"}),
                                 ("static", {"filename": "ledger/ledger.css"}),
                                 ("courses.catalogue", {"q": "a b", "page": 2})]:
            for _ in range(2):  # built, then remembered
                assert remembered_url_for(endpoint, **values) == url_for(endpoint, **values)
                assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
        assert template_url_for("courses.catalogue", _external=True) == url_for("courses.catalogue", _external=True)
    with app.test_request_context("/", base_url="http://x.go.id/lentera/"):
        assert template_url_for("courses.catalogue") == url_for("courses.catalogue")
        assert template_url_for("courses.catalogue").startswith("/lentera/")


def _jp(org, person, title: str, on: date, jp: str) -> None:
    ledger_ops.record_manual(org.admin, person, kind="classroom", title=title, occurred_on=on, jp=Decimal(jp))


def _as(app, username: str):
    client = app.test_client()
    assert client.post("/masuk", data={"username": username, "password": "rahasia123"}).status_code == 302
    client.get("/")  # warm: a process's first visit builds what it keeps
    return client


def test_home_page_statements_do_not_grow_with_courses_or_jp(app, org):
    # one learner with one course and no JP, another with seven courses and six ledger entries
    enrol_all(make_course(org.instructor, title="Kursus Pertama"), org.learner_a1)
    year = ledger_ops.current_year()
    for i in range(7):
        enrol_all(make_course(org.instructor, title=f"Kursus Tambahan {i}"), org.learner_b)
    for i in range(6):
        _jp(org, org.learner_b, f"Rapat {i}", date(year, 3, 1 + i), "1.5")
    db.session.commit()
    few_user, many_user = org.learner_a1.username, org.learner_b.username
    few, _html = page_statements(_as(app, few_user), "/")
    many, html = page_statements(_as(app, many_user), "/")
    assert many == few
    assert "Kursus Tambahan 6" in html and 'id="jp-ring"' in html


def test_jp_page_statements_do_not_grow_with_ledger_entries(app, org):
    year = ledger_ops.current_year()
    _jp(org, org.learner_a1, "Bimtek 0", date(year, 1, 2), "2")
    for i in range(1, 12):
        _jp(org, org.learner_b, f"Bimtek {i}", date(year, 1 + i % 10, 3), "1.25")
    db.session.commit()
    few_user, many_user = org.learner_a1.username, org.learner_b.username
    few, _html = page_statements(_as(app, few_user), "/jp")
    many, html = page_statements(_as(app, many_user), "/jp")
    assert many == few
    assert "Bimtek 11" in html
