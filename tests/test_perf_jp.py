""""JP saya" (/jp), a person's ledger page and the ledger API read a person's year in a fixed number of
statements, whatever the number of entries, years, reversals and claims (issue 23): one for the
year's entries with their reversals, every year's total and the 10:20:70 mix, one for the target and
the latest claims. And what that one statement gives is what the ledger holds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts import operations as account_ops
from app.accounts.models import utcnow
from app.extensions import db
from app.ledger import operations as ops
from app.ledger import queries
from app.ledger.models import CATEGORIES, LedgerEntry
from app.ledger.rules import rule_by_code
from tests.conftest import nip_for
from tests.counting import statements
from tests.ledger_fixtures import tiny_pdf

KINDS = ("classroom", "seminar", "coaching", "on_the_job", "e_learning")


def _steady(client, url: str, headers: dict | None = None) -> int:
    statements(client, url, headers=headers or {})
    return statements(client, url, headers=headers or {})


def _day(year: int, i: int = 0) -> date:
    """A day of `year`, never after today (the ledger refuses a future date)."""
    return min(date(year, 1, 1) + timedelta(days=(i * 23) % 330), ops.local_date(utcnow()))


def _entry(org, person, jp: str, on: date, i: int = 0) -> LedgerEntry:
    return ops.record_manual(org.admin, person, kind=KINDS[i % len(KINDS)], title=f"Kegiatan {on} {i}",
                             occurred_on=on, jp=Decimal(jp), organiser="BPSDM" if i % 2 else None,
                             jenis_diklat_id=1 + i % 10 if i % 3 else None)


def _claims(person, n: int, year: int) -> None:
    evidence = tiny_pdf()
    for k in range(n):
        ops.submit_claim(person, rule=rule_by_code("KL06"), title=f"Seminar {k}", organiser="Kominfo",
                         start_date=_day(year), end_date=_day(year), days=1, filename="s.pdf",
                         data=evidence)


def _big_ledger(org, person, year: int, years: int = 5, per_year: int = 12) -> None:
    """Many entries in several years, a reversal in each year, and more claims than the page lists."""
    for y in range(year - years + 1, year + 1):
        made = [_entry(org, person, f"{1 + i % 4}.{25 * (i % 4)}", _day(y, i), i)
                for i in range(per_year)]
        ops.reverse_entry(org.admin, made[1], "Salah catat")
    _claims(person, queries.RECENT_CLAIMS + 3, year)


def _login_as(client, login, username: str) -> None:
    # by name: statements() empties the session, so the fixture's User objects are detached
    client.post("/keluar")
    login(SimpleNamespace(username=username))


def test_jp_page_statements_do_not_grow_with_entries_years_or_claims(client, org, login):
    year = ops.current_year()
    _entry(org, org.learner_b, "2", _day(year))
    _big_ledger(org, org.learner_a1, year)
    db.session.commit()
    small_user, big_user = org.learner_b.username, org.learner_a1.username
    _login_as(client, login, small_user)
    small = [_steady(client, "/jp"), _steady(client, f"/jp?year={year - 1}")]
    _login_as(client, login, big_user)
    big = [_steady(client, "/jp"), _steady(client, f"/jp?year={year - 1}"), _steady(client, f"/jp?year={year - 2}")]
    assert set(big) == set(small) and max(big) <= 2  # the person; the year with the target and the claims


def test_person_page_and_api_statements_do_not_grow_with_entries(client, org, login, auth):
    year = ops.current_year()
    few = account_ops.create_user("sedikit", password="rahasia123", name="Sedikit", nip=nip_for(40), unit=org.a1)
    _entry(org, few, "2", _day(year))
    _big_ledger(org, org.learner_a1, year)
    db.session.commit()
    nips, staff = (few.nip, org.learner_a1.nip), org.bpsdm_a.username
    headers = auth(org.bpsdm_a)
    api = {nip: _steady(client, f"/api/v1/ledger/{nip}?year={year}", headers) for nip in nips}
    assert len(set(api.values())) == 1, api
    _login_as(client, login, staff)
    pages = {nip: _steady(client, f"/jp/pegawai/{nip}?year={year}") for nip in nips}
    assert len(set(pages.values())) == 1, pages


def _expected(person_id: int, year: int):
    """The ledger as the ORM reads it, entry by entry: what the one statement must agree with."""
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == person_id)))
    shown = sorted((e for e in rows if e.year == year), key=lambda e: (e.occurred_on, e.id))
    by_year: dict[int, Decimal] = {}
    for e in rows:
        by_year[e.year] = by_year.get(e.year, Decimal(0)) + e.jp
    mix = {c: sum((e.jp for e in shown if e.category == c), Decimal(0)).quantize(Decimal("0.01"))
           for c in CATEGORIES}
    reversed_by = {e.reverses_id: e.id for e in rows if e.reverses_id}
    return shown, sorted(by_year.items(), reverse=True), mix, reversed_by


def test_year_ledger_is_what_the_ledger_holds(org):
    year = ops.current_year()
    _big_ledger(org, org.learner_a1, year, years=3, per_year=7)
    _entry(org, org.learner_b, "9", _day(year, 5))  # someone else's: never in learner_a1's figures
    db.session.commit()
    for y in (year, year - 1, year - 2, year - 3):
        ledger = queries.year_ledger(org.learner_a1.id, y)
        shown, years, mix, reversed_by = _expected(org.learner_a1.id, y)
        assert [e.id for e in ledger.entries] == [e.id for e in shown]
        assert [(e.title, e.jp, e.kind, e.category, e.occurred_on, e.reverses_id) for e in ledger.entries] == \
            [(e.title, e.jp, e.kind, e.category, e.occurred_on, e.reverses_id) for e in shown]
        assert [e.reversed_by for e in ledger.entries] == [reversed_by.get(e.id) for e in shown]
        assert ledger.reversed == {e.id for e in shown if e.id in reversed_by}
        assert ledger.years == [(y_, t.quantize(Decimal("0.01"))) for y_, t in years]
        assert ledger.total == queries.year_total(org.learner_a1.id, y)
        assert ledger.mix() == mix
    assert queries.year_ledger(org.learner_a1.id, year - 3).entries == []  # a year without entries
    empty = queries.year_ledger(org.instructor.id, year)
    assert (empty.entries, empty.years, empty.total) == ([], [], Decimal("0.00"))
    assert empty.mix() == dict.fromkeys(CATEGORIES, Decimal("0.00"))


def test_target_and_recent_claims(org, app):
    year = ops.current_year()
    default = int(app.config["JP_TARGET_DEFAULT"])
    assert queries.target_and_recent_claims(org.learner_a1) == (default, [])
    org.instansi.jp_target = 32  # the target of the person's instansi (the root of their unit's tree)
    _claims(org.learner_a1, queries.RECENT_CLAIMS + 2, year)
    _claims(org.learner_b, 1, year)
    db.session.commit()
    target, claims = queries.target_and_recent_claims(org.learner_a1)
    assert target == 32 == queries.target_for(org.learner_a1)
    assert [c.title for c in claims] == [f"Seminar {k}" for k in range(queries.RECENT_CLAIMS + 1, 1, -1)]
    assert {c.state for c in claims} == {"submitted"}
    assert queries.target_and_recent_claims(org.admin)[0] == 32  # a person of the instansi itself
    nobody = account_ops.create_user("tanpa_unit", password="rahasia123", name="Tanpa Unit")
    db.session.commit()
    assert queries.target_and_recent_claims(nobody) == (default, []) == (queries.target_for(nobody), [])


@pytest.mark.parametrize("shown", ["current", "previous"])
def test_jp_page_shows_totals_mix_years_and_latest_claims(client, org, login, shown):
    year = ops.current_year()
    org.instansi.jp_target = 30
    _big_ledger(org, org.learner_a1, year, years=3, per_year=6)
    db.session.commit()
    y = year if shown == "current" else year - 1
    _, years, mix, _ = _expected(org.learner_a1.id, y)
    total = queries.year_total(org.learner_a1.id, y)
    login(org.learner_a1)
    html = client.get(f"/jp?year={y}").get_data(as_text=True)
    assert f'data-total="{total}"' in html and 'data-target="30"' in html
    assert html.count("<tr class=") == 6 + 1  # the year's entries and its reversal
    for y_, _t in years:
        assert f'<a href="/jp?year={y_}">{y_}</a>' in html
    for c in mix.values():
        assert f'<div class="stat">{str(c).rstrip("0").rstrip(".").replace(".", ",")}</div>' in html
    latest = html.split("Klaim terakhir")[1]
    assert latest.count("<li>") == queries.RECENT_CLAIMS and "Seminar 7" in latest and "Seminar 2" not in latest
