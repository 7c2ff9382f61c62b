"""Issue 14, "the API contract, as a client found it": every list in the envelope, the
organisation scriptable through the API and the CLI."""

from __future__ import annotations

from app.extensions import db


def test_no_route_answers_a_bare_list(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    bare = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            for code, resp in op.get("responses", {}).items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
                if code.startswith("2") and schema.get("type") == "array":
                    bare.append(f"{method.upper()} {path}")
            if method == "get" and any(p["name"] == "page" for p in op.get("parameters", [])):
                names = {p["name"] for p in op["parameters"]}
                assert "per_page" in names, path
    assert not bare, bare


def test_former_bare_lists_answer_the_envelope_and_page(app, org, client, auth):
    from tests.certificates_fixtures import completed_course

    completed_course(org.learner_a1, title="Satu")
    completed_course(org.learner_a1, title="Dua")
    db.session.commit()
    h = auth(org.learner_a1)
    first = client.get("/api/v1/certificates?per_page=1", headers=h).get_json()
    assert first["total"] == 2 and first["per_page"] == 1 and first["page"] == 1 and len(first["items"]) == 1
    second = client.get("/api/v1/certificates?per_page=1&page=2", headers=h).get_json()
    assert second["items"][0]["serial"] != first["items"][0]["serial"]
    assert client.get("/api/v1/certificates?per_page=201", headers=h).status_code == 400
    for url in ("/api/v1/competencies", f"/api/v1/employees/{org.learner_a1.nip}/gaps",
                f"/api/v1/employees/{org.learner_a1.nip}/recommendations"):
        body = client.get(url, headers=h).get_json()
        assert set(body) == {"items", "page", "per_page", "total"}, url
    needs = client.get(f"/api/v1/training-needs?unit={org.a.id}", headers=auth(org.admin)).get_json()
    assert set(needs) == {"items", "page", "per_page", "total"}
