"""Every route, tried as every role, in and out of scope: no 500s, no data across the fence.

The matrix is built from the app itself (the API's declared routes and the URL map), so a new
route is covered the day it is added.
"""

from __future__ import annotations

import re

import pytest

from app.api.core import SPECS
from tests.conftest import nip_for

#: bpsdm_a (reach: Dinas A) and admin_a (admin of Dinas A) are the unit-limited actors.
ROLES = ["anonymous", "learner_a1", "instructor", "bpsdm_a", "head_a", "admin_a", "admin"]
MISSING_ID = 987654


pytestmark = pytest.mark.slow  # every route x every role


@pytest.fixture(autouse=True)
def unit_limited_admin(org):
    """The organisation of conftest plus an admin whose reach is Dinas A's subtree."""
    from app.accounts import operations as ops
    from app.extensions import db

    org.admin_a = ops.create_user("admin_a", password="rahasia123", name="Admin Dinas A", nip=nip_for(7),
                                  unit=org.a, email="admin_a@example.go.id")
    ops.set_roles(org.admin_a, ["admin"], {"admin": org.a})
    db.session.commit()
    return org.admin_a


def _fill(rule: str, nip: str) -> str:
    path = re.sub(r"<int:[a-z_]+>", str(MISSING_ID), rule)
    path = re.sub(r"<(?:string:|path:)?nip>", nip, path)
    return re.sub(r"<(?:string:|path:)?[a-z_]+>", "tidak-ada", path)


def _headers(who, org, auth):
    return {} if who == "anonymous" else auth(getattr(org, who))


def test_every_api_route_as_every_role(client, org, auth):
    """401 without a token; 403 for a role the route does not allow; never a 5xx."""
    failures = []
    tokens = {who: _headers(who, org, auth) for who in ROLES}
    for spec in SPECS:
        rule = "/api/v1" + spec.rule
        for who in ROLES:
            path = _fill(rule, org.learner_b.nip)
            resp = client.open(path, method=spec.method, headers=tokens[who], json={})
            if resp.status_code >= 500:
                failures.append(f"{who} {spec.method} {path} -> {resp.status_code}")
                continue
            if spec.auth and who == "anonymous" and resp.status_code != 401:
                failures.append(f"anonymous {spec.method} {path} -> {resp.status_code}, expected 401")
            user = None if who == "anonymous" else getattr(org, who)
            if spec.roles and user is not None and not user.has_role(*spec.roles) and resp.status_code != 403:
                failures.append(f"{who} {spec.method} {path} -> {resp.status_code}, expected 403 (roles {spec.roles})")
            if resp.status_code >= 400:
                body = resp.get_json(silent=True) or {}
                if set(body.get("error", {})) != {"code", "message", "details"}:
                    failures.append(f"{who} {spec.method} {path}: error body not in the contract shape")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["learner_a1", "bpsdm_a", "head_a", "instructor", "admin_a"])
def test_nobody_reads_a_person_outside_their_reach(client, org, auth, who):
    """Every API route addressed by NIP refuses a person outside the caller's reach."""
    headers = auth(getattr(org, who))
    # Staff are told the person is out of reach; anyone else gets the answer for an unknown NIP,
    # so that nobody learns which NIPs exist (issue 14).
    expected = 403 if getattr(org, who).has_role("admin", "bpsdm") else 404
    checked = 0
    for spec in SPECS:
        if "<nip>" not in spec.rule or spec.method != "GET":
            continue
        path = "/api/v1" + _fill(spec.rule, org.learner_b.nip)
        resp = client.get(path, headers=headers)
        assert resp.status_code == expected, f"{who} GET {path} -> {resp.status_code}"
        checked += 1
    for spec in SPECS:
        if spec.rule.endswith(("/certificates", "/ledger/export.csv")) and spec.method == "GET":
            resp = client.get("/api/v1" + spec.rule, query_string={"nip": org.learner_b.nip}, headers=headers)
            assert resp.status_code in (403, 404) or (resp.status_code == 200 and not resp.get_json(silent=True)), \
                f"{who} GET {spec.rule}?nip=… -> {resp.status_code}"
    assert checked >= 3


def _page_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(("api.", "static")) or rule.endpoint in (
                "web.vendor", "web.set_language"):
            continue
        yield rule


def test_every_page_as_every_role(app, client, org, login):
    """Pages: anonymous is sent to the login page (or sees a public page); nobody gets a 5xx."""
    failures = []
    public = ("accounts.login", "accounts.login_alias", "accounts.forgot_password", "web.healthz",
              "sync.service_worker", "sync.web_manifest", "sync.offline_fallback")  # the installable app's shell
    for who in ROLES:
        if who != "anonymous":
            login(getattr(org, who))
        for rule in _page_rules(app):
            path = _fill(rule.rule, org.learner_b.nip)
            resp = client.get(path)
            if resp.status_code >= 500:
                failures.append(f"{who} GET {path} -> {resp.status_code}")
            elif who == "anonymous" and not rule.arguments and rule.endpoint not in public and \
                    not rule.endpoint.startswith(("certificates.verify", "web.")) and \
                    resp.status_code not in (302, 401, 404):
                failures.append(f"anonymous GET {path} -> {resp.status_code}, expected a redirect to login")
        if who != "anonymous":
            client.post("/keluar")
    assert not failures, "\n".join(failures)


def test_learner_is_refused_every_staff_page(app, client, org, login):
    """A learner gets 403 on the pages of admin, BPSDM and instructors (those under /admin, /bpsdm…)."""
    login(org.learner_a1)
    staff_prefixes = ("/admin", "/bpsdm", "/pemantauan", "/monitoring")
    checked = 0
    for rule in _page_rules(app):
        if rule.arguments or not rule.rule.startswith(staff_prefixes):
            continue
        resp = client.get(rule.rule)
        assert resp.status_code == 403, f"learner GET {rule.rule} -> {resp.status_code}"
        checked += 1
    assert checked >= 3


# --- unit-limited actors and the objects of others (issue 14) --------------------------------------

@pytest.fixture
def objects(org):
    """Real objects outside Dinas A or belonging to no unit, and people with wider rights inside A."""
    from types import SimpleNamespace

    from app.accounts import operations as ops
    from app.corpu import operations as corpu_ops
    from app.courses import operations as course_ops
    from app.extensions import db
    from app.ledger.models import JpRule

    ns = SimpleNamespace()
    instructor_b = ops.create_user("instructor_b", password="rahasia123", name="Instruktur B", unit=org.b)
    ops.set_roles(instructor_b, ["instructor"])
    ns.course_b = course_ops.create_course(instructor_b, code="KURSUS-B", title="Kursus Dinas B")
    ns.section_b = course_ops.add_section(ns.course_b, "Bagian 1")
    ns.site_admin_in_a1 = ops.create_user("site_admin_a1", password="rahasia123", name="Admin Situs", unit=org.a1)
    ops.set_roles(ns.site_admin_in_a1, ["admin"], {"admin": None})
    ns.bpsdm_wide_in_a1 = ops.create_user("bpsdm_wide_a1", password="rahasia123", name="BPSDM Luas", unit=org.a1)
    ops.set_roles(ns.bpsdm_wide_in_a1, ["bpsdm"], {"bpsdm": org.instansi})
    ns.rule = db.session.scalar(db.select(JpRule).order_by(JpRule.code))
    db.session.flush()
    ns.program = corpu_ops.save_program(code="PRG-B", title="Program", course_ids=[ns.course_b.id])
    db.session.commit()
    return ns


def _object_routes(org, o) -> list[tuple[str, str, dict]]:
    """(method, path, form) that change or reveal an object beyond a unit-limited actor's reach."""
    c, s = o.course_b.id, o.section_b.id
    return [
        ("GET", f"/mengajar/kursus/{c}", {}),
        ("POST", f"/mengajar/kursus/{c}", {"title": "Diambil alih"}),
        ("GET", f"/mengajar/kursus/{c}/ekspor", {}),
        ("POST", f"/mengajar/kursus/{c}/duplikat", {}),
        ("POST", f"/mengajar/kursus/{c}/bagian", {"title": "Baru"}),
        ("POST", f"/mengajar/bagian/{s}/hapus", {}),
        ("GET", f"/kursus/{c}/bank-soal", {}),
        ("GET", f"/kursus/{c}/bank-soal/ekspor.xml", {}),
        ("GET", f"/jp/aturan/{o.rule.code}", {}),
        ("POST", f"/jp/aturan/{o.rule.code}", {"name": "Diganti", "category": "classical", "unit": "minutes",
                                               "international_bonus_pct": "0", "jenis_diklat_id": "0"}),
        ("GET", "/program/baru", {}),
        ("POST", f"/program/{o.program.id}/ubah", {"code": "PRG-B", "title": "Diganti", "courses": "KURSUS-B"}),
        ("POST", "/kebutuhan-pelatihan/biaya", {"course_id": c, "cost": "1"}),
        ("POST", f"/kebutuhan-pelatihan/anggaran/{org.a.id}/2026", {"apbd": "1"}),
        ("GET", "/kompetensi/kamus/baru", {}),
        ("POST", "/kompetensi/standar", {"position": "Analis", "competency": "MJ-INT", "required_level": "3"}),
        ("GET", "/kompetensi/impor/kamus", {}),
        ("GET", "/kompetensi/impor/standar", {}),
        ("POST", f"/admin/pengguna/{o.site_admin_in_a1.id}/reset-sandi", {}),
        ("GET", f"/admin/pengguna/{o.site_admin_in_a1.id}", {}),
        ("POST", f"/admin/pengguna/{o.bpsdm_wide_in_a1.id}/reset-sandi", {}),
        ("GET", f"/admin/pengguna/{org.learner_b.id}", {}),
    ]


@pytest.mark.parametrize("who", ["admin_a", "bpsdm_a"])
def test_unit_limited_staff_reach_no_object_beyond_their_units(app, org, objects, who):
    """Each route answers 403 (or 404) to a unit-limited actor, never a page or a change; the
    organisation-wide admin gets past the check on the same objects (so the test can fail)."""
    failures = []
    for label, user in ((who, getattr(org, who)), ("admin", org.admin)):
        client = app.test_client()
        assert client.post("/masuk", data={"username": user.username, "password": "rahasia123"}).status_code == 302
        for method, path, form in _object_routes(org, objects):
            if label == "admin" and "reset-sandi" in path:
                continue  # a real reset: proven elsewhere (tests/test_security_authz.py)
            resp = client.open(path, method=method, data=form)
            refused = resp.status_code in (403, 404)
            if label == who and not refused:
                failures.append(f"{who} {method} {path} -> {resp.status_code}")
            if label == "admin" and (refused or resp.status_code >= 500):
                failures.append(f"admin {method} {path} -> {resp.status_code}, expected to pass the check")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["admin_a", "bpsdm_a"])
def test_unit_limited_staff_change_no_course_of_another_unit_through_the_api(app, org, objects, auth, who):
    headers = auth(getattr(org, who))
    c = objects.course_b.id
    for method, path, body in (("PATCH", f"/api/v1/courses/{c}", {"title": "Diambil alih"}),
                               ("POST", f"/api/v1/courses/{c}/sections", {"title": "Baru"})):
        resp = app.test_client().open(path, method=method, json=body, headers=headers)
        assert resp.status_code == 403, f"{who} {method} {path} -> {resp.status_code}"
