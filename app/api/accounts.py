"""Accounts and organisation routes of API.md."""

from __future__ import annotations

from datetime import UTC

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts import operations as ops
from app.accounts.models import User
from app.accounts.queries import can_see_person, reach, user_by_nip
from app.api.core import route, user_ctx
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db

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
            "employment_type": user.employment_type}


def person_in_reach(nip: str) -> User:
    """The employee with this NIP, if the caller may see them (404 for unknown, 403 out of reach)."""
    person = user_by_nip(nip)
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
    if not can_see_person(user_ctx(), person):
        raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))
    return person


def uploaded_file() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None:
        raise BadInput(_("Kirim berkas di kolom multipart \u201cfile\u201d."), code="file_missing")
    return f.filename or "", f.read()


@route("/auth/token", "POST", summary="Get an API token", tag="auth", body=TokenIn, response=TokenOut,
       status=201, auth=False)
def token(body: TokenIn):
    user = ops.authenticate(body.username, body.password, request.remote_addr or "")
    tok, expires = ops.issue_token(user)
    db.session.commit()
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
    db.session.commit()
    return result


@route("/employees/<nip>", summary="An employee's profile", tag="accounts", response=EmployeeOut)
def employee(nip: str):
    return employee_dict(person_in_reach(nip))
