"""What an LMS administrator expects of accounts: deactivation and password changes end sessions,
temporary passwords (one person, or every imported employee of a unit), the unit filter, and the
paged employee list of the API, each scoped by reach."""

from __future__ import annotations

import csv
import io

from app.accounts.models import User
from app.extensions import db
from tests.conftest import nip_for


def _client_for(app, username: str, password: str = "rahasia123"):
    c = app.test_client()
    resp = c.post("/masuk", data={"username": username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return c


def _edit_form(user: User, **changes) -> dict:
    data = {"username": user.username, "name": user.name, "nip": user.nip or "", "email": user.email or "",
            "unit_id": user.unit_id or 0, "position": user.position.name if user.position else "",
            "golongan": user.golongan or "", "employment_type": user.employment_type or "",
            "scope_unit_id": 0, "password": "", "active": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _csv(rows: list[str]) -> bytes:
    return ("nip,nama,email,jabatan,unit_kerja,instansi,golongan\n" + "\n".join(rows) + "\n").encode()


def test_deactivating_a_user_ends_their_sessions_and_tokens(app, org, auth):
    learner = _client_for(app, "learner_a1")
    remembered = app.test_client()
    remembered.post("/masuk", data={"username": "learner_a1", "password": "rahasia123", "remember": "y"})
    token = auth(org.learner_a1)
    assert learner.get("/").status_code == 200
    assert learner.get("/api/v1/me", headers=token).status_code == 200

    admin = _client_for(app, "admin")
    resp = admin.post(f"/admin/pengguna/{org.learner_a1.id}", data=_edit_form(org.learner_a1, active=None))
    assert resp.status_code == 302
    db.session.expire_all()
    assert org.learner_a1.active is False

    resp = learner.get("/")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]
    # the remember-me cookie does not bring the session back either
    remembered.delete_cookie("session")
    assert remembered.get("/").status_code == 302
    assert learner.get("/api/v1/me", headers=token).status_code == 401
    assert app.test_client().post("/masuk", data={"username": "learner_a1",
                                                  "password": "rahasia123"}).status_code == 401


def test_changing_own_password_ends_other_sessions_but_keeps_this_one(app, org):
    here = _client_for(app, "learner_a1")
    elsewhere = _client_for(app, "learner_a1")
    resp = here.post("/akun/sandi", data={"pw-current": "rahasia123", "pw-new": "baru-12345",
                                          "pw-confirm": "baru-12345"})
    assert resp.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_admin_resets_a_password_the_person_must_replace(app, org, auth):
    token = auth(org.learner_a1)
    before = _client_for(app, "learner_a1")
    admin = _client_for(app, "admin")
    page = admin.get(f"/admin/pengguna/{org.learner_a1.id}").get_data(as_text=True)
    assert "Atur ulang kata sandi" in page
    resp = admin.post(f"/admin/pengguna/{org.learner_a1.id}/reset-sandi")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    temp = html.split('id="temporary-password">')[1].split("<")[0]
    assert len(temp) == 12 and temp not in str(db.session.get(User, org.learner_a1.id).password_hash)

    assert before.get("/").status_code == 302  # the old session is over
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401
    assert app.test_client().post("/masuk", data={"username": "learner_a1",
                                                  "password": "rahasia123"}).status_code == 401
    refused = app.test_client().post("/api/v1/auth/token", json={"username": "learner_a1", "password": temp})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "password_change_required"
    person = _client_for(app, "learner_a1", temp)
    resp = person.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/akun")
    assert "Gantilah dengan kata sandi Anda sendiri" in person.get("/akun").get_data(as_text=True)
    resp = person.post("/akun/sandi", data={"pw-current": temp, "pw-new": "milikku-123", "pw-confirm": "milikku-123"})
    assert resp.status_code == 302
    assert person.get("/").status_code == 200
    assert app.test_client().post("/api/v1/auth/token",
                                  json={"username": "learner_a1", "password": "milikku-123"}).status_code == 201


def test_admin_cannot_reset_outside_reach_or_own_password(app, org):
    from app.accounts import operations as ops

    scoped = ops.create_user("admin_a", password="rahasia123", name="Admin A", unit=org.a)
    ops.set_roles(scoped, ["admin"], {"admin": org.a})
    db.session.commit()
    c = _client_for(app, "admin_a")
    assert c.post(f"/admin/pengguna/{org.learner_b.id}/reset-sandi").status_code == 403
    assert c.post(f"/admin/pengguna/{scoped.id}/reset-sandi").status_code == 403
    assert c.post(f"/admin/pengguna/{org.learner_a1.id}/reset-sandi").status_code == 200
    assert _client_for(app, "learner_b").post(f"/admin/pengguna/{org.learner_a1.id}/reset-sandi").status_code == 403


def test_password_set_by_admin_on_the_edit_page_is_temporary(app, org):
    admin = _client_for(app, "admin")
    resp = admin.post(f"/admin/pengguna/{org.learner_b.id}", data=_edit_form(org.learner_b, password="dari-admin-1"))
    assert resp.status_code == 302
    person = _client_for(app, "learner_b", "dari-admin-1")
    assert person.get("/").headers["Location"].endswith("/akun")


def test_initial_passwords_for_imported_employees_of_a_unit(app, org):
    from app.accounts import operations as ops

    inst = "Pemerintah Provinsi Uji"
    with app.test_request_context():
        ops.import_employees("p.csv", _csv([f"{nip_for(400)},Ani,,Analis,Dinas A,{inst},III/a",
                                            f"{nip_for(401, 2)},Budi,,Analis,Dinas A,{inst},III/a",
                                            f"{nip_for(402)},Cici,,Analis,Dinas B,{inst},III/a"]))
    db.session.commit()
    admin = _client_for(app, "admin")
    listing = admin.get(f"/admin/pengguna?unit={org.a.id}").get_data(as_text=True)
    assert "Ani" in listing and "Cici" not in listing and "belum punya kata sandi" in listing

    resp = admin.post("/admin/pengguna/sandi-awal", data={"unit": org.a.id})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert sorted(r["nama"] for r in rows) == ["Ani", "Budi"]  # the people of A with a password keep theirs
    for r in rows:
        person = _client_for(app, r["nip"], r["kata_sandi_sementara"])  # employees log in with their NIP
        assert person.get("/").headers["Location"].endswith("/akun")
    # Cici (unit B) still has none; a second run for A issues nothing
    assert db.session.scalar(db.select(User).where(User.nip == nip_for(402))).password_hash is None
    again = admin.post("/admin/pengguna/sandi-awal", data={"unit": org.a.id})
    assert again.status_code == 302
    assert "sudah memiliki kata sandi" in admin.get(again.headers["Location"]).get_data(as_text=True)


def test_user_list_filters_by_unit_subtree_within_reach(app, org):
    from app.accounts import operations as ops

    admin = _client_for(app, "admin")
    html = admin.get(f"/admin/pengguna?unit={org.a.id}").get_data(as_text=True)
    assert "Learner A1" in html and "Head A" in html and "Learner B" not in html
    html = admin.get(f"/admin/pengguna?unit={org.a1.id}").get_data(as_text=True)
    assert "Learner A1" in html and "Head A" not in html
    scoped = ops.create_user("admin_a", password="rahasia123", name="Admin A", unit=org.a)
    ops.set_roles(scoped, ["admin"], {"admin": org.a})
    db.session.commit()
    assert _client_for(app, "admin_a").get(f"/admin/pengguna?unit={org.b.id}").status_code == 403


def test_api_employee_list_is_paged_filtered_and_scoped(client, org, auth):
    resp = client.get("/api/v1/employees", headers=auth(org.bpsdm_a))
    assert resp.status_code == 200
    body = resp.json
    names = {e["name"] for e in body["items"]}
    assert names == {"Bpsdm A", "Head A", "Learner A1", "Instructor"}
    assert body["total"] == 4 and body["page"] == 1

    resp = client.get(f"/api/v1/employees?unit={org.a1.id}", headers=auth(org.bpsdm_a))
    assert [e["nip"] for e in resp.json["items"]] == [nip_for(4)]
    assert client.get(f"/api/v1/employees?unit={org.b.id}", headers=auth(org.bpsdm_a)).status_code == 403
    assert client.get("/api/v1/employees?unit=99999", headers=auth(org.bpsdm_a)).status_code == 404
    assert client.get("/api/v1/employees?unit=UJI", headers=auth(org.admin)).json["total"] == 6

    resp = client.get("/api/v1/employees?q=learner&per_page=1&page=2", headers=auth(org.admin))
    assert resp.json["total"] == 2 and resp.json["per_page"] == 1
    assert [e["name"] for e in resp.json["items"]] == ["Learner B"]

    bad = client.get("/api/v1/employees?per_page=500", headers=auth(org.admin))
    assert bad.status_code == 400 and bad.json["error"]["details"][0]["field"] == "per_page"
    assert client.get("/api/v1/employees", headers=auth(org.learner_a1)).status_code == 403
    assert client.get("/api/v1/employees").status_code == 401

    org.learner_b.active = False
    db.session.commit()
    resp = client.get("/api/v1/employees?active=false", headers=auth(org.admin))
    assert [e["name"] for e in resp.json["items"]] == ["Learner B"] and resp.json["items"][0]["active"] is False


def test_employee_list_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/employees"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"unit", "q", "page", "per_page"}
