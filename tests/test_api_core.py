"""API basics: tokens, the error format, authorisation, paging, the OpenAPI document."""

from __future__ import annotations

from app.api.core import SPECS


def test_token_flow_and_me(client, org):
    resp = client.post("/api/v1/auth/token", json={"username": "learner_a1", "password": "rahasia123"})
    assert resp.status_code == 201
    assert set(resp.json) == {"token", "expires_at"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {resp.json['token']}"})
    assert me.status_code == 200
    assert me.json == {"username": "learner_a1", "name": "Learner A1", "nip": org.learner_a1.nip,
                       "roles": ["learner"], "unit": "Bidang A1"}


def test_errors_have_the_contract_shape(client, org, auth):
    cases = [
        (client.post("/api/v1/auth/token", json={"username": "learner_a1", "password": "salah"}), 401),
        (client.get("/api/v1/me"), 401),
        (client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}), 401),
        (client.post("/api/v1/auth/token", data="not json", content_type="application/json"), 400),
        (client.post("/api/v1/auth/token", json={"username": 5}), 400),
        (client.get("/api/v1/employees/000000000000000000", headers=auth(org.admin)), 404),
        (client.get(f"/api/v1/employees/{org.learner_b.nip}", headers=auth(org.learner_a1)), 404),  # as unknown
        (client.post("/api/v1/employees/import", headers=auth(org.learner_a1)), 403),
        (client.post("/api/v1/employees/import", headers=auth(org.admin)), 400),
        (client.get("/api/v1/no-such-route", headers=auth(org.admin)), 404),
        (client.delete("/api/v1/me", headers=auth(org.admin)), 405),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (resp.request.path, resp.status_code, resp.data)
        err = resp.json["error"]
        assert set(err) == {"code", "message", "details"} and err["message"]


def test_employee_read_is_scoped(client, org, auth):
    own = client.get(f"/api/v1/employees/{org.learner_a1.nip}", headers=auth(org.learner_a1))
    assert own.status_code == 200 and own.json["unit"] == "Bidang A1" and own.json["position"] == "Analis Kebijakan"
    assert client.get(f"/api/v1/employees/{org.learner_a1.nip}", headers=auth(org.bpsdm_a)).status_code == 200
    assert client.get(f"/api/v1/employees/{org.learner_b.nip}", headers=auth(org.bpsdm_a)).status_code == 403
    assert client.get(f"/api/v1/employees/{org.learner_a1.nip}", headers=auth(org.head_a)).status_code == 200
    assert client.get(f"/api/v1/employees/{org.learner_b.nip}", headers=auth(org.admin)).status_code == 200


def test_bearer_token_wins_over_session(client, org, auth, login):
    login(org.admin)
    me = client.get("/api/v1/me", headers=auth(org.learner_b))
    assert me.json["username"] == "learner_b"


def test_session_api_calls_need_csrf_for_writes(org, tmp_path):
    from app import create_app
    from app.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, db.engine.url.render_as_string(hide_password=False),
                                 WTF_CSRF_ENABLED=True))
    c = app.test_client()
    page = c.get("/masuk").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert c.post("/masuk", data={"csrf_token": token, "username": "admin", "password": "rahasia123"}).status_code == 302
    assert c.get("/api/v1/me").status_code == 200
    assert c.post("/api/v1/employees/import").status_code == 403
    assert c.post("/api/v1/employees/import", headers={"X-CSRFToken": token}).status_code == 400  # no file: past CSRF


def test_openapi_is_generated_from_every_route(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    api_rules = {(r.rule, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")
                 for m in r.methods - {"HEAD", "OPTIONS"} if r.endpoint not in ("api.openapi_json", "api.docs")}
    documented = set()
    for path, ops in doc["paths"].items():
        for method in ops:
            documented.add((path, method.upper()))
    import re

    expected = {(re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", r"{\1}", rule), m) for rule, m in api_rules}
    assert expected == documented
    assert len(SPECS) >= len(expected)
    me = doc["paths"]["/api/v1/me"]["get"]
    schema = me["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/MeOut")
    assert "nip" in doc["components"]["schemas"]["MeOut"]["properties"]


def test_healthz_reports_services(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["database"] == "ok" and resp.json["storage"].startswith("ok")
