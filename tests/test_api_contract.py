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


# --- the organisation through the API and the CLI -----------------------------------------------------

def test_site_wide_admin_scripts_the_organisation(app, org, client, auth):
    h = auth(org.admin)
    top = client.post("/api/v1/units", json={"name": "Pemerintah Kota Uji", "code": "KOTA"}, headers=h)
    assert top.status_code == 201, top.json
    assert top.json["parent_id"] is None and top.json["kind"] == "instansi" and top.json["code"] == "KOTA"
    dinas = client.post("/api/v1/units", json={"name": "Dinas <Kominfo>", "parent_id": top.json["id"]}, headers=h)
    assert dinas.status_code == 201 and dinas.json["kind"] == "unit"
    assert dinas.json["label"] == "Pemerintah Kota Uji › Dinas <Kominfo>"
    assert dinas.json["path"] == f"/{top.json['id']}/{dinas.json['id']}/"
    again = client.post("/api/v1/units", json={"name": "Dinas <Kominfo>", "parent_id": top.json["id"]}, headers=h)
    assert again.status_code == 409
    assert client.post("/api/v1/units", json={"name": "X", "code": "KOTA"}, headers=h).status_code == 409
    assert client.post("/api/v1/units", json={"name": "X", "parent_id": 987654}, headers=h).status_code == 404
    assert client.post("/api/v1/units", json={"name": ""}, headers=h).status_code == 400

    listing = client.get("/api/v1/units", query_string={"parent": "KOTA"}, headers=h).json
    assert [u["name"] for u in listing["items"]] == ["Dinas <Kominfo>"] and listing["total"] == 1
    everything = client.get("/api/v1/units?per_page=200", headers=h).json
    assert {"Pemerintah Provinsi Uji", "Dinas A", "Pemerintah Kota Uji"} <= {u["name"] for u in everything["items"]}

    renamed = client.patch(f"/api/v1/units/{dinas.json['id']}", json={"name": "Diskominfo", "code": "KOMINFO"},
                           headers=h)
    assert renamed.status_code == 200 and renamed.json["name"] == "Diskominfo" and renamed.json["code"] == "KOMINFO"
    moved = client.patch(f"/api/v1/units/{org.a1.id}", json={"parent_id": dinas.json["id"]}, headers=h)
    assert moved.status_code == 200 and moved.json["path"].startswith(renamed.json["path"])
    assert client.patch(f"/api/v1/units/{top.json['id']}", json={"parent_id": dinas.json["id"]},
                        headers=h).status_code == 422  # under itself
    assert client.patch(f"/api/v1/units/{dinas.json['id']}", json={"code": "UJI"}, headers=h).status_code == 409
    assert client.patch(f"/api/v1/units/{dinas.json['id']}", json={"nama": "x"}, headers=h).status_code == 400
    # the people of the moved unit are now below the new parent
    people = client.get("/api/v1/employees", query_string={"unit": "KOMINFO"}, headers=h).json
    assert [p["username"] for p in people["items"]] == ["learner_a1"]


def test_unit_limited_admin_stays_within_reach(app, org, client, auth):
    from app.accounts import operations as acc

    acc.set_roles(org.head_a, ["admin"], {"admin": org.a})
    db.session.commit()
    h = auth(org.head_a)
    listing = client.get("/api/v1/units", headers=h).json
    assert {u["name"] for u in listing["items"]} == {"Dinas A", "Bidang A1"}
    inside = client.post("/api/v1/units", json={"name": "Seksi Baru", "parent_id": org.a1.id}, headers=h)
    assert inside.status_code == 201 and inside.json["kind"] == "subunit"
    assert client.post("/api/v1/units", json={"name": "Instansi Baru"}, headers=h).status_code == 403
    assert client.post("/api/v1/units", json={"name": "Di B", "parent_id": org.b.id}, headers=h).status_code == 403
    assert client.patch(f"/api/v1/units/{org.b.id}", json={"name": "Diambil"}, headers=h).status_code == 403
    assert client.patch(f"/api/v1/units/{org.a1.id}", json={"parent_id": org.b.id}, headers=h).status_code == 403
    assert client.patch(f"/api/v1/units/{org.a1.id}", json={"parent_id": None}, headers=h).status_code == 403
    assert client.get(f"/api/v1/units/{org.b.id}", headers=h).status_code == 403
    assert client.get("/api/v1/units", query_string={"parent": org.b.id}, headers=h).status_code == 403
    assert client.get("/api/v1/units", headers=auth(org.bpsdm_a)).status_code == 403
    assert client.get("/api/v1/units", headers=auth(org.learner_a1)).status_code == 403


def test_units_command_line(app, org):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["units", "create", "Pemerintah Kabupaten Uji", "--code", "KAB"])
    assert made.exit_code == 0, made.output
    sub = runner.invoke(args=["units", "create", "Dinas Pendidikan", "--parent", "KAB", "--code", "DIKBUD"])
    assert sub.exit_code == 0, sub.output
    assert runner.invoke(args=["units", "create", "Dinas Pendidikan", "--parent", "KAB"]).exit_code != 0
    assert runner.invoke(args=["units", "create", "X", "--parent", "TIDAK-ADA"]).exit_code != 0
    renamed = runner.invoke(args=["units", "rename", "DIKBUD", "Dinas Pendidikan dan Kebudayaan"])
    assert renamed.exit_code == 0, renamed.output
    moved = runner.invoke(args=["units", "move", "DIKBUD", "--parent", str(org.instansi.id)])
    assert moved.exit_code == 0, moved.output
    top = runner.invoke(args=["units", "move", str(org.b.id), "--top"])
    assert top.exit_code == 0, top.output
    listing = runner.invoke(args=["units", "list"])
    assert "Dinas Pendidikan dan Kebudayaan" in listing.output and "DIKBUD" in listing.output
    from app.accounts.models import Unit

    dikbud = db.session.scalar(db.select(Unit).where(Unit.code == "DIKBUD"))
    assert dikbud.parent_id == org.instansi.id and dikbud.kind == "unit"
    assert db.session.get(Unit, org.b.id).kind == "instansi"


def test_models_named_alike_in_two_domains_keep_their_own_fields(app, client):
    """Two modules' `SummaryOut` (or `UnitOut`) once shared one component: one route was documented
    with the other's fields, and schemathesis rightly failed the answers."""
    from pydantic import BaseModel

    from app.api.core import SPECS

    doc = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for spec in SPECS:
        if not (isinstance(spec.response, type) and issubclass(spec.response, BaseModel)):
            continue
        op = doc["paths"]["/api/v1" + spec.rule.replace("<int:", "<").replace("<path:", "<")
                          .replace("<", "{").replace(">", "}")][spec.method.lower()]
        ref = op["responses"][str(spec.status)]["content"]["application/json"]["schema"]["$ref"]
        documented = set(doc["components"]["schemas"][ref.rsplit("/", 1)[1]].get("properties", {}))
        own = set(spec.response.model_json_schema(mode="serialization").get("properties", {}))
        assert documented == own, f"{spec.method} {spec.rule}: {ref}"
        checked += 1
    assert checked > 30
