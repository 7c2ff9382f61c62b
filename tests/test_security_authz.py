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
