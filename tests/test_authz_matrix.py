"""Every route, tried as every role, in and out of scope: no 500s, no data across the fence.

The matrix is built from the app itself (the API's declared routes and the URL map), so a new
route is covered the day it is added.
"""

from __future__ import annotations

import re

import pytest

from app.api.core import SPECS

ROLES = ["anonymous", "learner_a1", "instructor", "bpsdm_a", "head_a", "admin"]
MISSING_ID = 987654


pytestmark = pytest.mark.slow  # every route x every role


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


@pytest.mark.parametrize("who", ["learner_a1", "bpsdm_a", "head_a", "instructor"])
def test_nobody_reads_a_person_outside_their_reach(client, org, auth, who):
    """Every API route addressed by NIP refuses a person outside the caller's reach."""
    headers = auth(getattr(org, who))
    checked = 0
    for spec in SPECS:
        if "<nip>" not in spec.rule or spec.method != "GET":
            continue
        path = "/api/v1" + _fill(spec.rule, org.learner_b.nip)
        resp = client.get(path, headers=headers)
        assert resp.status_code == 403, f"{who} GET {path} -> {resp.status_code}"
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
