"""Monitoring figures against a hand-computed organisation, the aggregate against the ledger,
scoping of every route, and exports that carry the same numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from flask import g
from openpyxl import load_workbook

from app.extensions import db
from app.monitoring.totals import rebuild_totals, recompute_from_ledger, stored_totals
from tests.monitoring_fixtures import record, reverse

YEAR = 2025


@pytest.fixture
def ledger(org):
    """The hand-computed year (target 20):

    learner_a1 12 classical (Feb) + 10 social (May) = 22 → met from May
    head_a     25 experiential (Mar) reversed (Mar) + 8 classical (Jul) = 8
    learner_b  20 classical (Nov) = 20 → met from Nov
    instructor 5 social (Jan) = 5
    bpsdm_a, admin: nothing
    """
    record(org.learner_a1, 12, date(YEAR, 2, 10), "classical")
    record(org.learner_a1, 10, date(YEAR, 5, 3), "social")
    wrong = record(org.head_a, 25, date(YEAR, 3, 15), "experiential")
    reverse(wrong)
    record(org.head_a, 8, date(YEAR, 7, 1), "classical")
    record(org.learner_b, 20, date(YEAR, 11, 30), "classical")
    record(org.instructor, 5, date(YEAR, 1, 20), "social")
    record(org.learner_b, 3, date(YEAR - 1, 6, 1), "classical")  # another year: never counted in YEAR
    db.session.commit()
    return org


def test_whole_organisation_figures(client, auth, ledger):
    org = ledger
    r = client.get(f"/api/v1/monitoring/attainment?year={YEAR}&unit={org.instansi.id}", headers=auth(org.admin))
    assert r.status_code == 200, r.json
    d = r.json
    assert (d["year"], d["target_jp"], d["employees"], d["met_target"]) == (YEAR, 20, 6, 2)
    assert d["percent"] == 33.3 and d["total_jp"] == 55 and d["average_jp"] == 9.17
    assert [m["met_target"] for m in d["monthly"]] == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2]
    assert d["monthly"][4]["percent"] == 16.7 and d["monthly"][11]["percent"] == 33.3
    cats = {c["category"]: c for c in d["categories"]}
    assert (cats["classical"]["jp"], cats["social"]["jp"], cats["experiential"]["jp"]) == (40, 15, 0)
    assert (cats["classical"]["percent"], cats["social"]["percent"]) == (72.7, 27.3)
    assert [c["guidance"] for c in d["categories"]] == [10, 20, 70]
    assert [h["employees"] for h in d["histogram"]] == [2, 0, 2, 0, 0, 2, 0, 0]
    units = [(u["unit"], u["employees"], u["met_target"], u["percent"], u["total_jp"]) for u in d["units"]]
    assert units == [("Dinas B", 1, 1, 100.0, 20), ("Dinas A", 4, 1, 25.0, 35),
                     ("(langsung di Pemerintah Provinsi Uji)", 1, 0, 0.0, 0)]
    # unit by code works too
    assert client.get(f"/api/v1/monitoring/attainment?year={YEAR}&unit=UJI", headers=auth(org.admin)).json == d


def test_bpsdm_sees_their_reach_by_default_and_filters_narrow(client, auth, ledger):
    org = ledger
    d = client.get(f"/api/v1/monitoring/attainment?year={YEAR}", headers=auth(org.bpsdm_a)).json
    assert (d["unit"], d["employees"], d["met_target"], d["total_jp"]) == ("Dinas A", 4, 1, 35)
    assert [(u["unit"], u["employees"], u["total_jp"]) for u in d["units"]] == [
        ("Bidang A1", 1, 22), ("(langsung di Dinas A)", 3, 13)]
    org.learner_b.employment_type = "PPPK"
    db.session.commit()
    d = client.get(f"/api/v1/monitoring/attainment?year={YEAR}&unit={org.instansi.id}&employment_type=PPPK",
                   headers=auth(org.admin)).json
    assert (d["employees"], d["met_target"], d["total_jp"]) == (1, 1, 20)


def test_per_instansi_target(client, auth, ledger):
    org = ledger
    org.instansi.jp_target = 21
    db.session.commit()
    d = client.get(f"/api/v1/monitoring/attainment?year={YEAR}&unit={org.instansi.id}", headers=auth(org.admin)).json
    assert (d["target_jp"], d["met_target"]) == (21, 1)  # learner_b's 20 no longer meets it
    below = client.get(f"/api/v1/monitoring/employees?year={YEAR}&unit={org.instansi.id}&below=true",
                       headers=auth(org.admin)).json
    assert below["total"] == 5
    assert below["items"][-1] == {**below["items"][-1], "name": "Learner B", "jp": 20, "target_jp": 21, "shortfall": 1}


def test_aggregate_equals_recomputation_from_ledger(app, ledger):
    org = ledger
    more = record(org.learner_b, Decimal("2.5"), date(YEAR, 12, 31), "social")
    reverse(more)
    record(org.learner_b, Decimal("0.75"), date(YEAR, 12, 31), "experiential")
    db.session.commit()
    recomputed = recompute_from_ledger()
    assert stored_totals() == recomputed
    assert stored_totals()[(org.learner_b.id, YEAR)]["jp"] == 2075
    assert stored_totals()[(org.head_a.id, YEAR)]["cum03"] == 0 and stored_totals()[(org.head_a.id, YEAR)]["cum07"] == 800
    rebuild_totals()
    db.session.commit()
    assert stored_totals() == recomputed


def test_every_route_is_scoped(client, auth, login, ledger):
    org = ledger
    b = org.b.id
    # (before any bearer request: the test app context keeps the last token's user in `g`)
    assert client.get(f"/api/v1/monitoring/attainment?unit={b}").status_code == 401
    for path in (f"/api/v1/monitoring/attainment?unit={b}", f"/api/v1/monitoring/attainment.xlsx?unit={b}",
                 f"/api/v1/monitoring/employees?unit={b}"):
        r = client.get(path, headers=auth(org.bpsdm_a))
        assert r.status_code == 403 and r.json["error"]["code"] == "unit_out_of_reach"
        for who in (org.learner_a1, org.head_a, org.instructor):
            assert client.get(path, headers=auth(who)).status_code == 403
    assert client.get("/api/v1/monitoring/attainment?unit=999999", headers=auth(org.admin)).status_code == 404
    assert client.get("/api/v1/monitoring/attainment?year=abc", headers=auth(org.admin)).status_code == 400

    g.pop("_login_user", None)  # forget the last bearer user the test app context kept
    login(org.bpsdm_a)
    pages = [f"/pemantauan?unit={b}", f"/pemantauan/pegawai?unit={b}", f"/pemantauan/ekspor/unit.xlsx?unit={b}",
             f"/pemantauan/ekspor/pegawai.csv?unit={b}", f"/pemantauan/pegawai/{org.learner_b.id}",
             f"/pemantauan/pegawai/{org.learner_b.id}/ekspor.xlsx"]
    for path in pages:
        assert client.get(path).status_code == 403, path
    page = client.get(f"/pemantauan?year={YEAR}")
    assert page.status_code == 200 and "Dinas A" in page.text and "Dinas B" not in page.text
    assert client.get(f"/pemantauan/pegawai/{org.learner_a1.id}?year={YEAR}").status_code == 200
    client.post("/keluar")
    g.pop("_login_user", None)
    login(org.learner_a1)
    for path in [*pages, "/pemantauan", "/pemantauan/pengingat"]:
        assert client.get(path).status_code == 403, path


def test_pages_show_the_figures_and_drill_down(client, login, ledger):
    org = ledger
    login(org.admin)
    html = client.get(f"/pemantauan?year={YEAR}&unit={org.instansi.id}").text
    assert 'data-figure="employees">6<' in html and 'data-figure="met">2<' in html
    assert f'href="/pemantauan?unit={org.a.id}&amp;year={YEAR}"' in html
    assert re.search(r"/v(endor)?/([0-9a-f]+/)?chart\.umd\.min\.js", html)
    assert "data-attainment=" in html and "<script>" not in html
    html = client.get(f"/pemantauan?year={YEAR}&unit={org.a.id}").text
    assert "Bidang A1" in html
    people = client.get(f"/pemantauan/pegawai?year={YEAR}&unit={org.a.id}&below=1").text
    for name in ("Head A", "Instructor", "Bpsdm A"):
        assert name in people
    assert "Learner A1" not in people
    person = client.get(f"/pemantauan/pegawai/{org.head_a.id}?year={YEAR}").text
    assert "Koreksi" in person and "8 / 20" in person
    assert "Pemantauan JP" in client.get("/").text
    # a site-wide admin without a unit: every instansi, ranked; the people list across them
    html = client.get(f"/pemantauan?year={YEAR}").text
    assert "Pemerintah Provinsi Uji" in html and 'data-figure="employees">6<' in html
    assert "Learner B" in client.get(f"/pemantauan/pegawai?year={YEAR}").text


def test_exports_carry_the_same_numbers(client, auth, login, ledger):
    org = ledger
    api = client.get(f"/api/v1/monitoring/attainment?year={YEAR}&unit={org.instansi.id}", headers=auth(org.admin)).json
    r = client.get(f"/api/v1/monitoring/attainment.xlsx?year={YEAR}&unit={org.instansi.id}", headers=auth(org.admin))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    summary = {row[0]: row[1] for row in wb["Ringkasan"].iter_rows(min_row=2, values_only=True)}
    assert (summary["Pegawai"], summary["Mencapai target"], summary["Persentase (%)"], summary["Total JP"]) == (
        api["employees"], api["met_target"], api["percent"], api["total_jp"])
    units = [row[1:6] for row in wb["Unit"].iter_rows(min_row=2, values_only=True)]
    assert units == [(u["unit"], u["employees"], u["met_target"], u["percent"], u["total_jp"]) for u in api["units"]]

    g.pop("_login_user", None)
    login(org.admin)
    r = client.get(f"/pemantauan/ekspor/unit.csv?year={YEAR}&unit={org.instansi.id}")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[1][1:5] == ["Dinas B", "1", "1", "100.0"]
    r = client.get(f"/pemantauan/ekspor/pegawai.xlsx?year={YEAR}&unit={org.instansi.id}&below=1")
    sheet = load_workbook(io.BytesIO(r.data)).active
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == 4 and {row[1] for row in body} == {"Admin", "Bpsdm A", "Instructor", "Head A"}
    head = next(row for row in body if row[1] == "Head A")
    assert (head[6], head[7], head[8]) == (8, 20, 12)
    r = client.get(f"/pemantauan/pegawai/{org.learner_a1.id}/ekspor.xlsx?year={YEAR}")
    entries = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True))
    assert sum(row[5] for row in entries) == 22
    assert client.get(f"/pemantauan/ekspor/unit.pdf?year={YEAR}").status_code == 400


def test_openapi_declares_the_monitoring_routes(client):
    doc = client.get("/api/v1/openapi.json").json
    att = doc["paths"]["/api/v1/monitoring/attainment"]["get"]
    assert {p["name"] for p in att["parameters"]} >= {"year", "unit"}
    schema = doc["components"]["schemas"]["AttainmentOut"]
    assert {"year", "target_jp", "employees", "met_target", "percent", "units"} <= set(schema["required"])
    xlsx = doc["paths"]["/api/v1/monitoring/attainment.xlsx"]["get"]["responses"]["200"]["content"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in xlsx
