"""Accounts and organisation: NIP rules, login, throttling, passwords, the employee import, scoping."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from app.accounts import operations as ops
from app.accounts.models import LoginAttempt, User
from app.accounts.nip import InvalidNIP, validate_nip
from app.accounts.queries import can_see_person, people_query, reach
from app.extensions import db
from tests.conftest import count, nip_for

# --- NIP ---------------------------------------------------------------------------------------

def test_well_formed_nip_is_accepted():
    assert validate_nip("198503122010011001") == "198503122010011001"
    assert validate_nip("1985 0312 2010 01 1 001") == "198503122010011001"


@pytest.mark.parametrize("nip, reason", [
    ("19850312201001100", "18 angka"),             # 17 digits
    ("19850312201001100a", "18 angka"),
    ("198502302010011001", "Tanggal lahir"),       # 30 February
    ("198513122010011001", "Tanggal lahir"),       # month 13
    ("198503122010131001", "Bulan pengangkatan"),  # CPNS month 13
    ("198503122010013001", "jenis kelamin"),       # gender digit 3
    ("198503121990011001", "Tahun pengangkatan"),  # CPNS at age 4
])
def test_malformed_nip_is_refused_with_its_reason(app, nip, reason):
    with app.test_request_context():
        with pytest.raises(InvalidNIP) as exc:
            validate_nip(nip)
        assert reason in str(exc.value)


# --- login, logout, passwords, throttling ------------------------------------------------------

def test_login_page_logs_in_and_out(client, org):
    resp = client.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"})
    assert resp.status_code == 302
    home = client.get("/")
    assert b"Selamat datang, Learner A1" in home.data
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.post("/keluar")
    assert client.get("/").status_code == 302


def test_employee_may_log_in_with_nip(client, org):
    resp = client.post("/masuk", data={"username": org.learner_b.nip, "password": "rahasia123"})
    assert resp.status_code == 302


def test_wrong_password_shows_message(client, org):
    resp = client.post("/masuk", data={"username": "learner_a1", "password": "salah"})
    assert resp.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in resp.get_data(as_text=True)


def test_repeated_wrong_passwords_are_throttled_per_account(client, org, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES_ACCOUNT"]):
        client.post("/masuk", data={"username": "learner_b", "password": "salah"})
    # Even the right password is refused while the account is throttled.
    page = client.post("/masuk", data={"username": "learner_b", "password": "rahasia123"})
    assert page.status_code == 429
    assert "Terlalu banyak percobaan" in page.get_data(as_text=True)
    api = client.post("/api/v1/auth/token", json={"username": "learner_b", "password": "rahasia123"})
    assert api.status_code == 429
    assert api.json["error"]["code"] == "too_many_requests"
    # Another account from another address is not affected.
    ok = client.post("/api/v1/auth/token", json={"username": "learner_a1", "password": "rahasia123"},
                     environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert ok.status_code == 201


def test_repeated_failures_are_throttled_per_address(client, org, app):
    limit = app.config["LOGIN_MAX_FAILURES_ADDRESS"]
    for i in range(limit):
        client.post("/api/v1/auth/token", json={"username": f"tebak{i}", "password": "x"},
                    environ_base={"REMOTE_ADDR": "10.1.1.1"})
    resp = client.post("/api/v1/auth/token", json={"username": "learner_a1", "password": "rahasia123"},
                       environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert resp.status_code == 429
    assert count(LoginAttempt) >= limit


def test_change_password(client, org, login):
    login(org.learner_a1)
    bad = client.post("/akun/sandi", data={"pw-current": "keliru", "pw-new": "baru12345", "pw-confirm": "baru12345"})
    assert bad.status_code == 422 and "Kata sandi saat ini salah" in bad.get_data(as_text=True)
    ok = client.post("/akun/sandi", data={"pw-current": "rahasia123", "pw-new": "baru12345", "pw-confirm": "baru12345"})
    assert ok.status_code == 302
    client.post("/keluar")
    assert client.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 401
    assert client.post("/masuk", data={"username": "learner_a1", "password": "baru12345"}).status_code == 302


def test_passwords_are_hashed(org):
    assert org.learner_a1.password_hash and "rahasia123" not in org.learner_a1.password_hash


def test_csrf_is_enforced_on_forms(org, tmp_path):
    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, db.engine.url.render_as_string(hide_password=False),
                                 WTF_CSRF_ENABLED=True))
    c = app.test_client()
    resp = c.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"})
    assert resp.status_code == 400
    assert "Muat ulang halaman" in resp.get_data(as_text=True)


# --- roles and reach ------------------------------------------------------------------------------

def test_reach_follows_the_unit_tree(org):
    assert reach(org.admin).everything
    r = reach(org.bpsdm_a)
    assert r.covers(org.learner_a1) and not r.covers(org.learner_b)
    assert can_see_person(org.head_a, org.learner_a1)          # atasan of unit A sees A1
    assert not can_see_person(org.head_a, org.learner_b)
    assert not can_see_person(org.learner_a1, org.learner_b)   # a learner sees only themself
    assert can_see_person(org.learner_b, org.learner_b)
    names = {u.username for u in db.session.scalars(people_query(org.bpsdm_a))}
    assert names == {"bpsdm_a", "head_a", "learner_a1", "instructor"}


def test_moving_a_unit_moves_its_subtree(org):
    ops.update_unit(org.a, parent=org.b)
    db.session.commit()
    assert org.a1.path.startswith(org.b.path)
    assert reach(org.bpsdm_a).covers(org.learner_a1)
    assert can_see_person(org.head_a, org.learner_a1)


def test_unit_cannot_move_under_itself(app, org):
    with app.test_request_context():
        with pytest.raises(ops.RuleViolation):
            ops.update_unit(org.a, parent=org.a1)


def test_admin_pages_require_admin(client, org, login):
    login(org.learner_a1)
    for path in ["/admin/organisasi", "/admin/pengguna", "/admin/pegawai/impor"]:
        assert client.get(path).status_code == 403
    client.post("/keluar")
    login(org.admin)
    for path in ["/admin/organisasi", "/admin/pengguna", "/admin/pegawai/impor",
                 f"/admin/pengguna/{org.learner_b.id}", f"/admin/organisasi/{org.a.id}"]:
        assert client.get(path).status_code == 200, path


def test_admin_manages_units_and_roles(client, org, login):
    login(org.admin)
    resp = client.post("/admin/organisasi", data={"name": "Dinas C", "code": "", "parent_id": org.instansi.id})
    assert resp.status_code == 302
    resp = client.post(f"/admin/pengguna/{org.learner_b.id}", data={
        "username": "learner_b", "name": "Learner B", "nip": org.learner_b.nip, "email": "",
        "unit_id": org.b.id, "position": "Analis", "golongan": "III/b", "employment_type": "PNS",
        "roles": ["instructor", "bpsdm"], "scope_unit_id": org.b.id, "password": "", "active": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, org.learner_b.id)
    assert set(user.role_names) == {"learner", "instructor", "bpsdm"}
    assert reach(user).covers(user) and not reach(user).covers(org.learner_a1)


# --- employee import ------------------------------------------------------------------------------

HEADER = "nip,nama,email,jabatan,unit_kerja,instansi,golongan\n"


def _csv(rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_import_creates_then_changes_nothing_then_updates(app, org):
    inst = "Pemerintah Provinsi Uji"
    rows = [f"{nip_for(100)},Ani Lestari,ani@example.go.id,Analis,Dinas A,{inst},III/a",
            f"{nip_for(101, 2)},Budi Santoso,,Pranata Komputer,Dinas Baru,{inst},II/c"]
    with app.test_request_context():
        assert ops.import_employees("pegawai.csv", _csv(rows)) == {"created": 2, "updated": 0}
        db.session.commit()
        assert ops.import_employees("pegawai.csv", _csv(rows)) == {"created": 0, "updated": 0}
        rows[0] = rows[0].replace("Dinas A", "Dinas B").replace("Analis,", "Kepala Seksi,")
        assert ops.import_employees("pegawai.csv", _csv(rows)) == {"created": 0, "updated": 1}
        db.session.commit()
    ani = db.session.scalar(db.select(User).where(User.nip == nip_for(100)))
    assert ani.unit.name == "Dinas B" and ani.position.name == "Kepala Seksi"
    assert ani.username == nip_for(100) and ani.password_hash is None


def test_import_with_bad_rows_is_refused_whole(client, org, auth):
    before = count(User)
    body = _csv([
        f"{nip_for(200)},Citra,citra@example.go.id,Analis,Dinas A,Pemerintah Provinsi Uji,III/a",
        "12345,Dodi,,Analis,Dinas A,Pemerintah Provinsi Uji,III/a",
        f"{nip_for(201)},,bukan-email,Analis,Dinas A,Provinsi Antah,III/a",
        f"{nip_for(200)},Eka,,Analis,Dinas A,Pemerintah Provinsi Uji,III/a",
    ])
    resp = client.post("/api/v1/employees/import", headers=auth(org.admin),
                       data={"file": (io.BytesIO(body), "pegawai.csv")})
    assert resp.status_code == 422
    details = resp.json["error"]["details"]
    assert {(d["row"], d["column"]) for d in details} == {
        (3, "nip"), (4, "nama"), (4, "email"), (4, "instansi"), (5, "nip")}
    assert all(d["message"] for d in details)
    assert count(User) == before


def test_import_xlsx_and_numeric_nip_cell_is_flagged(client, org, auth):
    wb = Workbook()
    ws = wb.active
    ws.append(["nip", "nama", "email", "jabatan", "unit_kerja", "instansi", "golongan"])
    ws.append([nip_for(300), "Fajar", "", "Analis", "Dinas A", "Pemerintah Provinsi Uji", "III/a"])
    ws.append([float(nip_for(301)), "Gita", "", "Analis", "Dinas A", "Pemerintah Provinsi Uji", "III/a"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/api/v1/employees/import", headers=auth(org.admin),
                       data={"file": (io.BytesIO(buf.getvalue()), "pegawai.xlsx")})
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["row"] == 3
    assert "teks" in resp.json["error"]["details"][0]["message"]
    ws.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/api/v1/employees/import", headers=auth(org.admin),
                       data={"file": (io.BytesIO(buf.getvalue()), "pegawai.xlsx")})
    assert resp.status_code == 200 and resp.json == {"created": 1, "updated": 0}


def test_import_page_lists_every_bad_row(client, org, login):
    login(org.admin)
    body = _csv(["19850312201001100X,Hana,,Analis,Dinas A,Pemerintah Provinsi Uji,III/a",
                 f"{nip_for(400)},Indra,,Analis,Dinas A,Tidak Ada,III/a"])
    resp = client.post("/admin/pegawai/impor", data={"file": (io.BytesIO(body), "p.csv")},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Berkas ditolak seluruhnya" in text and "18 angka" in text and "Tidak Ada" in text


def test_scoped_admin_cannot_import_outside_reach(client, org, auth):
    ops.set_roles(org.bpsdm_a, ["bpsdm", "admin"], {"bpsdm": org.a, "admin": org.a})
    db.session.commit()
    body = _csv([f"{nip_for(500)},Joko,,Analis,Dinas B,Pemerintah Provinsi Uji,III/a"])
    resp = client.post("/api/v1/employees/import", headers=auth(org.bpsdm_a),
                       data={"file": (io.BytesIO(body), "p.csv")})
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["column"] == "unit_kerja"
