"""Accounts and organisation routes of API.md."""

from __future__ import annotations

from datetime import UTC

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from app.accounts import operations as ops
from app.accounts import queries as accounts_q
from app.accounts.models import Unit, User
from app.accounts.queries import people_query, reach
from app.api.core import PageQuery, paginate, route, user_ctx
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.inputs import is_digits
from app.web import MAX_PER_PAGE

MULTIPART_FILE = {"multipart/form-data": {"type": "object", "required": ["file"],
                                          "properties": {"file": {"type": "string", "format": "binary"}}}}


class TokenIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=500)


class TokenOut(BaseModel):
    token: str
    expires_at: str


class MeOut(BaseModel):
    username: str
    name: str
    nip: str | None
    roles: list[str]
    unit: str | None


class EmployeeOut(BaseModel):
    nip: str | None
    username: str
    name: str
    email: str | None
    unit: str | None
    unit_id: int | None
    instansi: str | None
    position: str | None
    golongan: str | None
    employment_type: str | None
    active: bool


class EmployeeListParams(BaseModel):
    unit: str | None = Field(None, description="unit id or code: that unit and every unit below it")
    q: str | None = Field(None, max_length=100, description="part of the name, NIP or username")
    active: bool | None = Field(None, description="only active (true) or deactivated (false) accounts")
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


class EmployeePage(BaseModel):
    items: list[EmployeeOut]
    page: int
    per_page: int
    total: int


class ImportResult(BaseModel):
    created: int
    updated: int


def employee_dict(user: User) -> dict:
    instansi = None
    if user.unit is not None:
        ids = user.unit.ancestor_ids()
        from app.accounts.models import Unit

        root = db.session.get(Unit, ids[0]) if ids else None
        instansi = root.name if root else None
    return {"nip": user.nip, "username": user.username, "name": user.name, "email": user.email,
            "unit": user.unit.name if user.unit else None, "unit_id": user.unit_id, "instansi": instansi,
            "position": user.position.name if user.position else None, "golongan": user.golongan,
            "employment_type": user.employment_type, "active": user.active}


def person_in_reach(nip: str) -> User:
    return accounts_q.person_in_reach(user_ctx(), nip)


def uploaded_file() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None:
        raise BadInput(_("Kirim berkas di kolom multipart \u201cfile\u201d."), code="file_missing")
    return f.filename or "", f.read()


@route("/auth/token", "POST", summary="Get an API token", tag="auth", body=TokenIn, response=TokenOut,
       status=201, auth=False)
def token(body: TokenIn):
    user = ops.authenticate(body.username, body.password, request.remote_addr or "")
    if user.must_change_password:
        # A temporary password chosen by an administrator opens the account page only.
        raise Forbidden(_("Kata sandi ini sementara: gantilah dahulu di halaman Akun saya, lalu minta token."),
                        code="password_change_required")
    tok, expires = ops.issue_token(user)
    return {"token": tok, "expires_at": expires.replace(tzinfo=UTC).isoformat()}, 201


@route("/me", summary="The authenticated user", tag="accounts", response=MeOut)
def me():
    u = user_ctx()
    return MeOut(username=u.username, name=u.name, nip=u.nip, roles=u.role_names, unit=u.unit.name if u.unit else None)


@route("/employees/import", "POST", summary="Import employees (CSV or XLSX), all or nothing", tag="accounts",
       roles=("admin",), response=ImportResult, body_content=MULTIPART_FILE)
def employees_import():
    name, data = uploaded_file()
    result = ops.import_employees(name, data, reach(user_ctx()))
    return result


@route("/employees/<nip>", summary="An employee's profile", tag="accounts", response=EmployeeOut)
def employee(nip: str):
    return employee_dict(person_in_reach(nip))


@route("/employees", summary="Employees in the caller's reach, filtered by unit subtree and text, paged",
       tag="accounts", roles=("admin", "bpsdm"), query=EmployeeListParams, response=EmployeePage)
def employees(params: EmployeeListParams):
    viewer = user_ctx()
    r = reach(viewer)
    stmt = people_query(viewer, r).order_by(User.name, User.id)
    if params.unit:
        key = params.unit.strip()
        unit = db.session.get(Unit, int(key)) if is_digits(key) else \
            db.session.scalar(select(Unit).where(Unit.code == key))
        if unit is None:
            raise NotFound(_("Unit %(u)s tidak ditemukan.", u=key))
        if not r.covers_unit(unit):
            raise Forbidden(_("Unit kerja ini di luar jangkauan Anda."))
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    if params.q and params.q.strip():
        q = params.q.strip()
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.nip.like(f"%{q}%"),
                              func.lower(User.username).like(like)))
    if params.active is not None:
        stmt = stmt.where(User.active.is_(params.active))
    return paginate(stmt, employee_dict)


# --- the organisation: units ----------------------------------------------------------------------
# A fresh installation is set up from a script: list, create, rename and move units, through the
# same operations as the organisation page (and `flask units …`).

class OrgUnitOut(BaseModel):
    id: int
    name: str
    code: str | None
    parent_id: int | None
    path: str = Field(description="the ids from the top, e.g. /1/4/9/ (a prefix selects a subtree)")
    kind: str = Field(description="instansi, unit or subunit")
    label: str = Field(description="the names from the top, e.g. Pemerintah Provinsi › Dinas A")


class OrgUnitPage(BaseModel):
    items: list[OrgUnitOut]
    page: int
    per_page: int
    total: int


class OrgUnitListParams(PageQuery):
    parent: str | None = Field(None, description="unit id or code: only the units below it (whole subtree)")
    q: str | None = Field(None, max_length=100, description="part of the name or the code")


class OrgUnitIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=50)
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                  description="empty: a new instansi (organisation-wide admin only)")


class OrgUnitPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=50, description="empty string: remove the code")
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                  description="move under this unit; null: to the top (organisation-wide admin)")
    model_config = ConfigDict(extra="forbid")


def unit_dict(unit: Unit, names: dict[int, str] | None = None) -> dict:
    if names is None:
        ids = [int(i) for i in unit.path.strip("/").split("/") if i]
        names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    label = " › ".join(names.get(int(i), "?") for i in unit.path.strip("/").split("/") if i)
    return {"id": unit.id, "name": unit.name, "code": unit.code, "parent_id": unit.parent_id, "path": unit.path,
            "kind": unit.kind, "label": label}


def _unit(key: str | int) -> Unit:
    key = str(key).strip()
    unit = db.session.get(Unit, int(key)) if is_digits(key) and len(key) < 10 else \
        db.session.scalar(select(Unit).where(Unit.code == key))
    if unit is None:
        raise NotFound(_("Unit %(u)s tidak ditemukan.", u=key), code="unit_not_found")
    return unit


@route("/units", summary="The units in the caller's reach, top down, paged", tag="accounts", roles=("admin",),
       query=OrgUnitListParams, response=OrgUnitPage)
def units_list(params: OrgUnitListParams):
    r = reach(user_ctx(), ("admin",))
    stmt = select(Unit).order_by(Unit.path)
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    if params.parent:
        parent = _unit(params.parent)
        if not r.covers_unit(parent):
            raise Forbidden(_("Unit ini di luar jangkauan Anda."))
        stmt = stmt.where(Unit.path.startswith(parent.path, autoescape=True), Unit.id != parent.id)
    if params.q and params.q.strip():
        like = f"%{params.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Unit.name).like(like), func.lower(Unit.code).like(like)))
    names = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    return paginate(stmt, lambda u: unit_dict(u, names))


@route("/units/<int:unit_id>", summary="One unit", tag="accounts", roles=("admin",), response=OrgUnitOut)
def unit_get(unit_id: int):
    unit = _unit(unit_id)
    if not reach(user_ctx(), ("admin",)).covers_unit(unit):
        raise Forbidden(_("Unit ini di luar jangkauan Anda."))
    return unit_dict(unit)


@route("/units", "POST", summary="Add a unit under a unit in reach (a new instansi: organisation-wide admin)",
       tag="accounts", roles=("admin",), body=OrgUnitIn, response=OrgUnitOut, status=201)
def units_create(body: OrgUnitIn):
    parent = _unit(body.parent_id) if body.parent_id is not None else None
    unit = ops.create_unit_by(user_ctx(), body.name, parent, code=body.code)
    return unit_dict(unit), 201


@route("/units/<int:unit_id>", "PATCH", summary="Rename, re-code or move a unit (with its whole subtree)",
       tag="accounts", roles=("admin",), body=OrgUnitPatch, response=OrgUnitOut)
def units_change(unit_id: int, body: OrgUnitPatch):
    unit = _unit(unit_id)
    parent: Unit | None | bool = False
    if "parent_id" in body.model_fields_set:
        parent = _unit(body.parent_id) if body.parent_id is not None else None
    ops.change_unit_by(user_ctx(), unit, name=body.name, code=body.code, parent=parent)
    return unit_dict(unit)
