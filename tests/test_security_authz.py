"""Issue 14, findings 1 and 2: unit-limited staff act only on people whose every right is within
their own, and on the objects of the units they reach; organisation-wide objects need
organisation-wide reach."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts import operations as ops
from app.accounts.models import User
from app.extensions import db


def _client_for(app, username: str, password: str = "rahasia123"):
    c = app.test_client()
    resp = c.post("/masuk", data={"username": username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return c


def _edit_form(user: User, **changes) -> dict:
    scope = next((r.unit_id for r in user.roles if r.role in ("admin", "bpsdm")), None)
    data = {"username": user.username, "name": user.name, "nip": user.nip or "", "email": user.email or "",
            "unit_id": user.unit_id or 0, "position": user.position.name if user.position else "",
            "golongan": user.golongan or "", "employment_type": user.employment_type or "",
            "scope_unit_id": scope or 0, "password": "", "active": "y",
            "roles": [r.role for r in user.roles if r.role != "learner"]}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def limited(org):
    """A unit-limited admin of Dinas A, and inside unit A1 people with more rights than theirs:
    a site-wide admin, a BPSDM officer reaching the whole instansi, an admin of a sibling unit."""
    def user(username, unit, roles=(), scopes=None, password="rahasia123"):
        u = ops.create_user(username, password=password, name=username.replace("_", " ").title(), unit=unit)
        ops.set_roles(u, list(roles), scopes or {})
        return u

    ns = SimpleNamespace(org=org)
    ns.admin_a = user("admin_a", org.a, ["admin"], {"admin": org.a})
    ns.site_admin_in_a1 = user("site_admin_in_a1", org.a1, ["admin"], {"admin": None})
    ns.bpsdm_wide_in_a1 = user("bpsdm_wide_in_a1", org.a1, ["bpsdm"], {"bpsdm": org.instansi})
    ns.admin_of_b_in_a1 = user("admin_of_b_in_a1", org.a1, ["admin"], {"admin": org.b})
    ns.bpsdm_a1 = user("bpsdm_a1", org.a1, ["bpsdm"], {"bpsdm": org.a1})
    ns.instructor_a1 = user("instructor_a1", org.a1, ["instructor"])
    db.session.commit()
    return ns


# --- finding 1: a unit-limited admin cannot take over people with wider rights ------------------

@pytest.mark.parametrize("target", ["site_admin_in_a1", "bpsdm_wide_in_a1", "admin_of_b_in_a1"])
def test_limited_admin_cannot_reset_the_password_of_someone_with_wider_rights(app, limited, target):
    person = getattr(limited, target)
    before = person.password_hash
    c = _client_for(app, "admin_a")
    resp = c.post(f"/admin/pengguna/{person.id}/reset-sandi")
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, person.id).password_hash == before
    # the edit page (deactivate, roles, password) is refused the same way
    assert c.get(f"/admin/pengguna/{person.id}").status_code == 403
    resp = c.post(f"/admin/pengguna/{person.id}", data=_edit_form(person, active=None, password="diambil-alih1"))
    assert resp.status_code == 403
    db.session.expire_all()
    again = db.session.get(User, person.id)
    assert again.active and again.password_hash == before


@pytest.mark.parametrize("target", ["bpsdm_a1", "instructor_a1"])
def test_limited_admin_still_manages_people_within_their_rights(app, limited, target):
    person = getattr(limited, target)
    c = _client_for(app, "admin_a")
    assert c.post(f"/admin/pengguna/{person.id}/reset-sandi").status_code == 200
    assert c.get(f"/admin/pengguna/{person.id}").status_code == 200
    resp = c.post(f"/admin/pengguna/{person.id}", data=_edit_form(person, active=None))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).active is False


def test_limited_admin_cannot_grant_rights_beyond_their_own(app, limited):
    org = limited.org
    c = _client_for(app, "admin_a")
    learner = org.learner_a1
    # an admin reaching unit B, or BPSDM reaching the instansi, is beyond an admin of Dinas A
    for roles, scope in ((["admin"], org.b.id), (["bpsdm"], org.instansi.id)):
        resp = c.post(f"/admin/pengguna/{learner.id}", data=_edit_form(learner, roles=roles, scope_unit_id=scope))
        assert resp.status_code in (200, 403), (roles, scope)  # not offered (form refused) or refused
        db.session.expire_all()
        assert db.session.get(User, learner.id).role_names == ["learner"]
    # within: BPSDM for A1
    resp = c.post(f"/admin/pengguna/{learner.id}", data=_edit_form(learner, roles=["bpsdm"], scope_unit_id=org.a1.id))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).role_names == ["learner", "bpsdm"]


def test_temporary_passwords_skip_people_with_wider_rights(app, limited):
    wide = limited.site_admin_in_a1
    wide.password_hash = None
    plain = ops.create_user("baru_a1", name="Pegawai Baru", unit=limited.org.a1)
    db.session.commit()
    resp = _client_for(app, "admin_a").post("/admin/pengguna/sandi-awal", data={"unit": limited.org.a1.id})
    assert resp.status_code == 200
    names = resp.get_data(as_text=True)
    assert plain.username in names and wide.username not in names
    db.session.expire_all()
    assert db.session.get(User, wide.id).password_hash is None


def test_rights_within_rule(app, limited):
    from app.accounts.queries import rights_within

    org = limited.org
    assert rights_within(org.admin, limited.site_admin_in_a1)
    assert not rights_within(limited.admin_a, limited.site_admin_in_a1)
    assert not rights_within(limited.admin_a, limited.admin_of_b_in_a1)
    assert rights_within(limited.admin_a, limited.bpsdm_a1)
    assert rights_within(limited.admin_a, org.learner_a1)
    assert not rights_within(limited.admin_a, org.learner_b)
    # a BPSDM officer never stands over an admin or an instructor, even in their own reach
    assert not rights_within(org.bpsdm_a, limited.instructor_a1)
    assert rights_within(org.bpsdm_a, org.learner_a1)
    assert rights_within(org.bpsdm_a, limited.bpsdm_a1)
    assert not rights_within(org.bpsdm_a, limited.bpsdm_wide_in_a1)


# --- finding 2: organisation-wide objects need organisation-wide reach ----------------------------

@pytest.fixture
def objects(limited):
    """A course authored in unit B, one authored in unit A, a program, a JP rule; and a BPSDM
    officer whose reach is the whole instansi (the whole organisation here)."""
    from app.courses import operations as course_ops
    from app.ledger.models import JpRule

    org = limited.org
    ns = SimpleNamespace(limited=limited, org=org)
    ns.instructor_b = ops.create_user("instructor_b", password="rahasia123", name="Instruktur B", unit=org.b)
    ops.set_roles(ns.instructor_b, ["instructor"])
    ns.course_b = course_ops.create_course(ns.instructor_b, code="KURSUS-B", title="Kursus Dinas B")
    ns.course_a = course_ops.create_course(org.instructor, code="KURSUS-A", title="Kursus Dinas A")
    ns.bpsdm_wide = ops.create_user("bpsdm_wide", password="rahasia123", name="BPSDM Provinsi", unit=org.instansi)
    ops.set_roles(ns.bpsdm_wide, ["bpsdm"], {"bpsdm": org.instansi})
    ns.rule = db.session.scalar(db.select(JpRule).order_by(JpRule.code))
    db.session.commit()
    from app.corpu import operations as corpu_ops

    ns.program = corpu_ops.save_program(code="PRG-1", title="Program Satu", course_ids=[ns.course_a.id])
    db.session.commit()
    return ns


def test_limited_admin_cannot_edit_or_export_a_course_of_another_unit(app, objects):
    c = _client_for(app, "admin_a")
    course = objects.course_b
    for path in (f"/mengajar/kursus/{course.id}", f"/mengajar/kursus/{course.id}/ekspor",
                 f"/kursus/{course.id}/bank-soal", f"/kursus/{course.id}/bank-soal/ekspor.xml"):
        assert c.get(path).status_code == 403, path
    assert c.post(f"/mengajar/kursus/{course.id}/duplikat").status_code == 403
    # the course of an instructor in their own unit stays theirs to administer
    assert c.get(f"/mengajar/kursus/{objects.course_a.id}").status_code == 200
    assert c.get(f"/kursus/{objects.course_a.id}/bank-soal/ekspor.xml").status_code == 200
    # and a site-wide admin administers every course
    assert _client_for(app, "admin").get(f"/kursus/{course.id}/bank-soal/ekspor.xml").status_code == 200


def test_limited_admin_cannot_change_a_course_of_another_unit_through_the_api(app, objects, auth):
    headers = auth(objects.limited.admin_a)
    course = objects.course_b
    resp = app.test_client().patch(f"/api/v1/courses/{course.id}", json={"title": "Diambil alih"}, headers=headers)
    assert resp.status_code == 403
    resp = app.test_client().post(f"/api/v1/courses/{course.id}/sections", json={"title": "Baru"}, headers=headers)
    assert resp.status_code == 403


def _rule_form(rule, **changes) -> dict:
    data = {"name": rule.name, "category": rule.category, "unit": rule.unit,
            "jp_national": str(rule.jp_national or ""), "jp_international": str(rule.jp_international or ""),
            "international_bonus_pct": rule.international_bonus_pct or 0,
            "jenis_diklat_id": rule.jenis_diklat_id or 0, "active": "y" if rule.active else ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v not in (None, "")}


def test_limited_bpsdm_cannot_change_jp_rules(app, objects):
    from app.ledger.models import JpRule

    rule = objects.rule
    name = rule.name
    resp = _client_for(app, "bpsdm_a").post(f"/jp/aturan/{rule.code}", data=_rule_form(rule, name="Diganti", active=None))
    assert resp.status_code == 403
    db.session.expire_all()
    again = db.session.scalar(db.select(JpRule).where(JpRule.code == rule.code))
    assert again.name == name and again.active == rule.active
    # a BPSDM officer over the whole organisation keeps the rules
    resp = _client_for(app, "bpsdm_wide").post(f"/jp/aturan/{rule.code}", data=_rule_form(rule, name="Diganti"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(JpRule).where(JpRule.code == rule.code)).name == "Diganti"


def test_limited_bpsdm_cannot_create_or_edit_programs_or_course_costs(app, objects):
    from app.corpu.models import Program

    c = _client_for(app, "bpsdm_a")
    form = {"code": "PRG-1", "title": "Diubah", "courses": "KURSUS-A", "certificate": "y"}
    assert c.get(f"/program/{objects.program.id}/ubah").status_code == 403
    assert c.post(f"/program/{objects.program.id}/ubah", data=form).status_code == 403
    assert c.post("/program/baru", data={**form, "code": "PRG-2"}).status_code == 403
    assert c.post("/kebutuhan-pelatihan/biaya", data={"course_id": objects.course_a.id, "cost": "1000"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Program, objects.program.id).title == "Program Satu"
    wide = _client_for(app, "bpsdm_wide")
    assert wide.post(f"/program/{objects.program.id}/ubah", data=form).status_code == 302


def test_limited_bpsdm_cannot_set_the_instansi_budget(app, objects):
    from app.corpu.models import TrainingBudget

    org = objects.org
    resp = _client_for(app, "bpsdm_a").post(f"/kebutuhan-pelatihan/anggaran/{org.a.id}/2026", data={"apbd": "5"})
    assert resp.status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(TrainingBudget)) == 0


def test_limited_admin_cannot_change_the_competency_dictionary_or_standards(app, objects, auth):
    c = _client_for(app, "admin_a")
    resp = c.post("/kompetensi/kamus/baru", data={"code": "TEK-X", "name": "X", "group": "Teknis"})
    assert resp.status_code == 403
    assert c.post("/kompetensi/standar", data={"position": "Analis", "competency": "MJ-INT",
                                               "required_level": 3}).status_code == 403
    assert c.get("/kompetensi/impor/kamus").status_code == 403
    assert c.get("/kompetensi/impor/standar").status_code == 403
    headers = auth(objects.limited.admin_a)
    data = {"file": (__import__("io").BytesIO(b"code,name,group,level,description\n"), "k.csv")}
    resp = app.test_client().post("/api/v1/competencies/import", data=data, headers=headers,
                                  content_type="multipart/form-data")
    assert resp.status_code == 403
