"""The JP ledger: credits, reversals, rules, the hash chain, scoping, the year boundary."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.courses.operations import complete_activity
from app.errors import Conflict, Forbidden, RuleViolation
from app.extensions import db
from app.ledger import chain, queries, rules
from app.ledger import operations as ops
from app.ledger.models import LedgerEntry
from tests.conftest import count
from tests.factories import enrol_all, make_course


def complete_course(course, user, at=None):
    for section in course.sections:
        for activity in section.activities:
            complete_activity(user, activity, at=at)


def manual(org, person, jp="4", title="Rapat koordinasi teknis", on=None, **kw):
    return ops.record_manual(org.bpsdm_a, person, kind=kw.pop("kind", "classroom"), title=title,
                             occurred_on=on or date(2026, 3, 10), jp=Decimal(jp), **kw)


# --- course completions --------------------------------------------------------------------------

def test_course_completion_credits_its_jp_once(org):
    course = make_course(org.instructor, jp="2.5", title="Literasi Digital ASN")
    enrol_all(course, org.learner_a1)
    complete_course(course, org.learner_a1, at=datetime(2026, 5, 4, 3, 0))
    db.session.commit()
    entries = db.session.scalars(select(LedgerEntry)).all()
    assert len(entries) == 1
    e = entries[0]
    assert (e.user_id, e.year, e.jp, e.kind, e.source_type, e.source_id) == (
        org.learner_a1.id, 2026, Decimal("2.50"), "course", "course", course.id)
    assert e.rule_code == "NKL03" and e.category == "classical"  # an online course is e-learning
    assert e.nip == org.learner_a1.nip and e.title == "Literasi Digital ASN" and e.jenis_diklat_id == 3
    # The same completion signalled again (e.g. a retried request) adds nothing.
    assert ops.credit_course(org.learner_a1, course, datetime(2026, 6, 1)).id == e.id
    assert count(LedgerEntry) == 1
    assert queries.year_total(org.learner_a1.id, 2026) == Decimal("2.50")


def test_completion_and_credit_commit_together(org):
    """A completion whose transaction rolls back leaves no JP behind, and vice versa."""
    from app.courses.models import CourseCompletion

    course = make_course(org.instructor, jp=3)
    enrol_all(course, org.learner_a1)
    db.session.commit()
    complete_course(course, org.learner_a1)
    assert count(LedgerEntry) == 1
    db.session.rollback()
    assert count(LedgerEntry) == 0 and count(CourseCompletion) == 0
    assert chain.verify().ok


@pytest.mark.parametrize(("utc", "year", "day"), [
    (datetime(2026, 12, 31, 18, 0), 2027, date(2027, 1, 1)),   # 01:00 WIB on 1 January
    (datetime(2026, 12, 31, 16, 59), 2026, date(2026, 12, 31)),  # 23:59 WIB
])
def test_year_boundary_is_in_jakarta_time(org, utc, year, day):
    course = make_course(org.instructor, jp=2)
    enrol_all(course, org.learner_a1)
    complete_course(course, org.learner_a1, at=utc)
    db.session.commit()
    e = db.session.scalar(select(LedgerEntry))
    assert (e.year, e.occurred_on) == (year, day)
    assert queries.year_total(org.learner_a1.id, year) == Decimal(2)


def test_a_course_credits_once_per_year(org):
    course = make_course(org.instructor, jp=2)
    a = ops.credit_course(org.learner_a1, course, datetime(2026, 3, 1))
    b = ops.credit_course(org.learner_a1, course, datetime(2027, 3, 1))
    c = ops.credit_course(org.learner_a1, course, datetime(2027, 9, 1))
    assert a.id != b.id and b.id == c.id
    assert [queries.year_total(org.learner_a1.id, y) for y in (2026, 2027)] == [Decimal(2), Decimal(2)]


def test_classroom_course_uses_its_training_type_rule(org):
    course = make_course(org.instructor, jp=10, mode="classroom")
    course.training_type = "manajerial"
    e = ops.credit_course(org.learner_a1, course, datetime(2026, 3, 1))
    assert (e.rule_code, e.jenis_diklat_id, e.category) == ("KL02", 5, "classical")


# --- reversals -------------------------------------------------------------------------------------

def test_reversal_arithmetic_and_correction(org):
    p = org.learner_a1
    wrong = manual(org, p, "4")
    course = make_course(org.instructor, jp="2.5")
    ops.credit_course(p, course, datetime(2026, 4, 1))
    assert queries.year_total(p.id, 2026) == Decimal("6.50")
    rev = ops.reverse_entry(org.bpsdm_a, wrong, "Salah orang: kegiatan milik pegawai lain")
    assert rev.jp == Decimal("-4.00") and rev.reverses_id == wrong.id and rev.source_type == "reversal"
    assert rev.year == wrong.year and rev.reason.startswith("Salah orang")
    assert queries.year_total(p.id, 2026) == Decimal("2.50")
    with pytest.raises(Conflict):
        ops.reverse_entry(org.bpsdm_a, wrong, "lagi")
    with pytest.raises(Conflict):
        ops.reverse_entry(org.bpsdm_a, rev, "membatalkan pembatalan")
    manual(org, p, "3", title="Rapat koordinasi teknis (koreksi)")
    assert queries.year_total(p.id, 2026) == Decimal("5.50")
    # Nothing was updated: the original row is still there, unchanged, and the chain holds.
    assert db.session.get(LedgerEntry, wrong.id).jp == Decimal("4.00")
    assert count(LedgerEntry) == 4 and chain.verify().ok


def test_minutes_reversal_is_negative_minutes(org):
    e = ops.record_manual(org.bpsdm_a, org.learner_a1, kind="coaching", title="Coaching kinerja",
                          occurred_on=date(2026, 2, 2), minutes=90)
    assert (e.jp, e.minutes, e.category, e.rule_code) == (Decimal("2.00"), 90, "social", "NKL01")
    rev = ops.reverse_entry(org.bpsdm_a, e, "Tercatat dua kali")
    assert (rev.jp, rev.minutes) == (Decimal("-2.00"), -90)


def test_staff_cannot_record_outside_their_reach(org):
    with pytest.raises(Forbidden):
        manual(org, org.learner_b)
    e = ops.record_manual(org.admin, org.learner_b, kind="seminar", title="Seminar", occurred_on=date(2026, 1, 5),
                          jp=Decimal(4))
    with pytest.raises(Forbidden):
        ops.reverse_entry(org.bpsdm_a, e, "bukan wilayah saya")


# --- rules -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kw", "expected"), [
    ("KL06", {"days": 2}, "8.00"),                                   # seminar: 4 JP a day
    ("KL06", {"days": 2, "international": True}, "12.00"),            # 6 abroad
    ("KL07", {"days": 1}, "5.00"),                                   # workshop: 5
    ("KL07", {"days": 3, "international": True}, "21.00"),            # 7 abroad
    ("KL03", {"stated_jp": Decimal(10)}, "10.00"),                    # per curriculum
    ("KL03", {"stated_jp": Decimal(10), "international": True}, "12.00"),  # +20 % abroad
    ("KL05", {"stated_jp": Decimal("7.5"), "international": True}, "9.00"),
    ("KL01", {"stated_jp": Decimal(40), "international": True}, "40.00"),  # no bonus for KL01
    ("NKL01", {"minutes": 90}, "2.00"),                               # minutes / 45
    ("NKL08", {"minutes": 100}, "2.22"),
])
def test_default_rules(app, code, kw, expected):
    assert rules.compute(rules.rule_by_code(code), **kw).jp == Decimal(expected)


def test_rules_refuse_missing_lengths(app):
    with pytest.raises(RuleViolation):
        rules.compute(rules.rule_by_code("KL06"))
    with pytest.raises(RuleViolation):
        rules.compute(rules.rule_by_code("NKL02"), days=2)
    with pytest.raises(RuleViolation):
        rules.compute(rules.rule_by_code("KL02"), minutes=60)


def test_jp_minutes_is_a_setting(app):
    app.config["JP_MINUTES"] = 60
    try:
        assert rules.compute(rules.rule_by_code("NKL01"), minutes=90).jp == Decimal("1.50")
    finally:
        app.config["JP_MINUTES"] = 45


def test_bpsdm_edits_a_rule_on_its_page(org, login, client):
    from app.accounts.operations import set_roles

    # JP rules hold for every unit: the officer who changes them reaches the whole organisation (issue 14).
    set_roles(org.bpsdm_a, ["bpsdm"], {"bpsdm": org.instansi})
    db.session.commit()
    login(org.bpsdm_a)
    page = client.get("/jp/aturan")
    assert page.status_code == 200 and "KL06" in page.get_data(as_text=True)
    before = manual(org, org.learner_a1, "8", kind="seminar")
    resp = client.post("/jp/aturan/KL06", data={"name": "Seminar / konferensi", "category": "classical",
                                                "unit": "per_day", "jp_national": "5", "jp_international": "7",
                                                "international_bonus_pct": "0", "jenis_diklat_id": "9",
                                                "active": "y"})
    assert resp.status_code == 302
    rule = rules.rule_by_code("KL06")
    assert rule.jp_national == Decimal(5) and rule.updated_by_id == org.bpsdm_a.id
    assert rules.compute(rule, days=2).jp == Decimal(10)
    assert db.session.get(LedgerEntry, before.id).jp == Decimal(8)  # recorded entries keep their JP
    # A per-day rule without its daily JP is refused.
    resp = client.post("/jp/aturan/KL06", data={"name": "Seminar", "category": "classical", "unit": "per_day",
                                                "jp_national": "", "jp_international": "",
                                                "international_bonus_pct": "0", "jenis_diklat_id": "9"})
    assert resp.status_code == 200 and "membutuhkan JP per hari" in resp.get_data(as_text=True)


def test_learner_cannot_edit_rules(org, login, client):
    login(org.learner_a1)
    assert client.get("/jp/aturan").status_code == 403
    assert client.post("/jp/aturan/KL06", data={"name": "x"}).status_code == 403


# --- the hash chain ----------------------------------------------------------------------------------

def _three_entries(org):
    a = manual(org, org.learner_a1, "4")
    b = manual(org, org.learner_a1, "2", title="Sosialisasi SPBE")
    c = ops.record_manual(org.admin, org.learner_b, kind="workshop", title="Workshop", occurred_on=date(2026, 2, 1),
                          jp=Decimal(5))
    db.session.commit()
    return a, b, c


def test_chain_links_every_entry(org):
    a, b, c = _three_entries(org)
    assert a.prev_hash == "0" * 64 and b.prev_hash == a.hash and c.prev_hash == b.hash
    assert len({a.hash, b.hash, c.hash}) == 3
    result = chain.verify()
    assert result.ok and result.entries_checked == 3


def test_changed_row_is_detected(org, client, auth):
    a, b, c = _three_entries(org)
    db.session.execute(text("UPDATE ledger_entries SET jp = 40 WHERE id = :id"), {"id": b.id})
    db.session.commit()
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == b.id
    body = client.get("/api/v1/ledger/verify", headers=auth(org.bpsdm_a)).get_json()
    assert body["ok"] is False and body["first_bad_entry"] == b.id and body["entries_checked"] == 2
    cli = client.application.test_cli_runner().invoke(args=["ledger", "verify"])
    assert cli.exit_code == 1 and f"#{b.id}" in cli.output


def test_changed_row_with_recomputed_hash_breaks_the_next_link(org):
    """Someone who rewrites a row and its hash still breaks the link from the next row."""
    a, b, c = _three_entries(org)
    values = {n: getattr(b, n) for n in chain.HASHED_FIELDS}
    values["jp"] = Decimal(40)
    forged = chain.entry_hash(values)
    db.session.execute(text("UPDATE ledger_entries SET jp = 40, hash = :h WHERE id = :id"), {"h": forged, "id": b.id})
    db.session.commit()
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == c.id


def test_deleted_rows_are_detected(org):
    a, b, c = (e.id for e in _three_entries(org))
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": c})
    db.session.commit()
    assert chain.verify().first_bad_entry == c  # the tail: the chain head still names it
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": a})
    db.session.commit()
    assert chain.verify().first_bad_entry == b


def test_intact_chain_verifies_everywhere(org, client, auth):
    _three_entries(org)
    assert client.get("/api/v1/ledger/verify", headers=auth(org.bpsdm_a)).get_json() == {
        "ok": True, "entries_checked": 3, "first_bad_entry": None, "problem": None}
    cli = client.application.test_cli_runner().invoke(args=["ledger", "verify"])
    assert cli.exit_code == 0 and "3 entri" in cli.output
    assert client.get("/api/v1/ledger/verify", headers=auth(org.learner_a1)).status_code == 403


# --- the API ----------------------------------------------------------------------------------------

def test_api_ledger_of_a_person(org, client, auth):
    org.instansi.jp_target = 30
    manual(org, org.learner_a1, "2.5")
    e = manual(org, org.learner_a1, "4", title="Salah catat")
    ops.reverse_entry(org.bpsdm_a, e, "Salah catat")
    manual(org, org.learner_a1, "7", on=date(2025, 6, 1))
    db.session.commit()
    body = client.get(f"/api/v1/ledger/{org.learner_a1.nip}?year=2026", headers=auth(org.learner_a1)).get_json()
    assert body["nip"] == org.learner_a1.nip and body["year"] == 2026
    assert body["target_jp"] == 30 and body["total_jp"] == 2.5
    assert [x["jp"] for x in body["entries"]] == [2.5, 4, -4]
    rev = body["entries"][2]
    assert rev["reverses"] == e.id and rev["source"] == {"type": "reversal", "id": e.id}
    assert body["entries"][1]["reversed_by"] == rev["id"]
    assert set(body["entries"][0]) >= {"id", "kind", "title", "jp", "occurred_on", "recorded_at", "source", "reverses"}
    assert client.get(f"/api/v1/ledger/{org.learner_a1.nip}?year=2025",
                      headers=auth(org.learner_a1)).get_json()["total_jp"] == 7


@pytest.mark.parametrize(("viewer", "target", "status"), [
    # out of reach: 403 for staff, 404 (as for an unknown NIP) for everyone else (issue 14)
    ("learner_a1", "learner_a1", 200), ("learner_b", "learner_a1", 404), ("learner_a1", "learner_b", 404),
    ("bpsdm_a", "learner_a1", 200), ("bpsdm_a", "learner_b", 403), ("head_a", "learner_a1", 200),
    ("head_a", "learner_b", 404), ("instructor", "learner_a1", 404), ("admin", "learner_b", 200),
])
def test_api_ledger_scoping(org, client, auth, viewer, target, status):
    resp = client.get(f"/api/v1/ledger/{getattr(org, target).nip}", headers=auth(getattr(org, viewer)))
    assert resp.status_code == status
    if status == 403:
        assert resp.get_json()["error"]["code"] == "forbidden"


def test_api_unknown_nip_and_bad_year(org, client, auth):
    h = auth(org.admin)
    assert client.get("/api/v1/ledger/199001012015031001", headers=h).status_code == 404
    assert client.get(f"/api/v1/ledger/{org.learner_a1.nip}?year=abc", headers=h).status_code == 400


def test_api_record_and_reverse(org, client, auth):
    h = auth(org.bpsdm_a)
    nip = org.learner_a1.nip
    resp = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "seminar", "title": "Seminar Nasional SPBE", "occurred_on": "2026-04-02", "jp": 4})
    assert resp.status_code == 201
    entry = resp.get_json()
    assert entry["jp"] == 4 and entry["kind"] == "seminar" and entry["category"] == "classical"
    resp = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "mentoring", "title": "Mentoring", "occurred_on": "2026-04-03", "minutes": 100})
    assert resp.status_code == 201 and resp.get_json()["jp"] == 2.22 and resp.get_json()["minutes"] == 100
    both = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "seminar", "title": "x", "occurred_on": "2026-04-02", "jp": 4, "minutes": 180})
    assert both.status_code == 400
    neither = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "seminar", "title": "x", "occurred_on": "2026-04-02"})
    assert neither.status_code == 400
    bad_kind = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "tidur", "title": "x", "occurred_on": "2026-04-02", "jp": 1})
    assert bad_kind.status_code == 400
    future = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": nip, "kind": "seminar", "title": "x", "occurred_on": "2999-01-01", "jp": 1})
    assert future.status_code == 422
    out_of_reach = client.post("/api/v1/ledger/entries", headers=h, json={
        "nip": org.learner_b.nip, "kind": "seminar", "title": "x", "occurred_on": "2026-04-02", "jp": 1})
    assert out_of_reach.status_code == 403
    as_learner = client.post("/api/v1/ledger/entries", headers=auth(org.learner_a1), json={
        "nip": nip, "kind": "seminar", "title": "x", "occurred_on": "2026-04-02", "jp": 100})
    assert as_learner.status_code == 403

    rev = client.post(f"/api/v1/ledger/entries/{entry['id']}/reverse", headers=h, json={"reason": "Dobel"})
    assert rev.status_code == 201 and rev.get_json()["jp"] == -4 and rev.get_json()["reverses"] == entry["id"]
    again = client.post(f"/api/v1/ledger/entries/{entry['id']}/reverse", headers=h, json={"reason": "Dobel"})
    assert again.status_code == 409
    assert client.post("/api/v1/ledger/entries/999999/reverse", headers=h, json={"reason": "x y z"}).status_code == 404
    assert client.post(f"/api/v1/ledger/entries/{entry['id']}/reverse", headers=h, json={}).status_code == 400
    total = client.get(f"/api/v1/ledger/{nip}?year=2026", headers=h).get_json()["total_jp"]
    assert total == 2.22


def test_openapi_documents_the_ledger_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for p in ("/api/v1/ledger/{nip}", "/api/v1/ledger/entries", "/api/v1/ledger/entries/{entry_id}/reverse",
              "/api/v1/ledger/verify", "/api/v1/ledger/export.csv"):
        assert p in paths, p


# --- pages: JP saya, transcript, export -------------------------------------------------------------

def test_my_jp_page_ring_entries_and_years(org, login, client):
    cur = ops.current_year()
    manual(org, org.learner_a1, "5", on=date(cur, 1, 2), title="Bimtek SPBE")
    manual(org, org.learner_a1, "9", on=date(cur - 1, 6, 1), title="Workshop Tahun Lalu")
    db.session.commit()
    login(org.learner_a1)
    html = client.get("/jp").get_data(as_text=True)
    assert 'id="jp-ring"' in html and 'data-total="5.00"' in html and 'data-percent="25"' in html
    assert "Bimtek SPBE" in html and "Workshop Tahun Lalu" not in html
    assert f">{cur - 1}</a>" in html and "<script" not in html.split("<footer")[0].split("</header>")[1]
    html_prev = client.get(f"/jp?year={cur - 1}").get_data(as_text=True)
    assert "Workshop Tahun Lalu" in html_prev
    assert client.get("/jp?year=abc").status_code == 400


def test_transcript_pdf(org, login, client):
    manual(org, org.learner_a1, "5", on=date(2026, 1, 2), title="Bimtek Pengelolaan Keuangan Daerah — Ternate")
    db.session.commit()
    login(org.learner_a1)
    resp = client.get("/jp/transkrip/2026.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.data
    assert pdf.startswith(b"%PDF") and b"FontFile2" in pdf  # the TrueType font is embedded
    import io

    from pypdf import PdfReader
    text_ = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Bimtek Pengelolaan Keuangan Daerah — Ternate" in text_ and org.learner_a1.nip in text_


def test_person_page_and_transcript_are_scoped(org, login, client):
    login(org.learner_b)  # a learner is answered as for an unknown NIP (issue 14)
    assert client.get(f"/jp/pegawai/{org.learner_a1.nip}").status_code == 404
    assert client.get(f"/jp/pegawai/{org.learner_a1.nip}/transkrip/2026.pdf").status_code == 404


def test_siasn_export(org, login, client, auth):
    e1 = manual(org, org.learner_a1, "4", on=date(2026, 3, 1), title="Seminar SPBE", kind="seminar",
                organiser="Kominfo", certificate_number="SRT-01/2026")
    wrong = manual(org, org.learner_a1, "3", on=date(2026, 3, 2), title="Salah")
    ops.reverse_entry(org.bpsdm_a, wrong, "salah")
    ops.record_manual(org.admin, org.learner_b, kind="seminar", title="Di unit B", occurred_on=date(2026, 3, 1),
                      jp=Decimal(4))
    db.session.commit()
    resp = client.get(f"/api/v1/ledger/export.csv?unit={org.a.id}&year=2026", headers=auth(org.bpsdm_a))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("nip,nama,jenis_diklat_id,jenis_diklat,nama_diklat")
    assert len(lines) == 2  # the reversed entry and its reversal are left out, unit B is not below A
    assert lines[1].split(",")[:5] == [org.learner_a1.nip, org.learner_a1.name, "9", "Seminar", "Seminar SPBE"]
    assert "SRT-01/2026" in lines[1] and str(e1.id) in lines[1]
    assert client.get(f"/api/v1/ledger/export.csv?unit={org.b.id}&year=2026",
                      headers=auth(org.bpsdm_a)).status_code == 403
    login(org.bpsdm_a)
    page = client.get(f"/jp/ekspor?unit={org.a.id}&year=2026")
    assert page.status_code == 200 and page.data.decode().count("\n") == 2


def test_home_page_panels(org, login, client):
    from app.notifications.operations import notify

    manual(org, org.learner_a1, "6", on=ops.local_date(ops.utcnow()))
    notify(org.learner_a1, "Klaim JP disetujui: Seminar", "4 JP dicatat", link="/jp")
    db.session.commit()
    login(org.learner_a1)
    html = client.get("/").get_data(as_text=True)
    assert 'id="jp-ring"' in html and 'data-total="6.00"' in html and "Klaim JP disetujui: Seminar" in html
    assert "Buku besar JP" not in html
    client.post("/keluar")
    login(org.bpsdm_a)
    html = client.get("/").get_data(as_text=True)
    assert "Klaim menunggu verifikasi" in html and "Buku besar JP" in html
