"""Every state change of accounts and the organisation."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, DateTime, Integer, String, Text, bindparam, cast, delete, func, literal_column, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql.functions import FunctionElement
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import (
    EMPLOYMENT_TYPES,
    ROLES,
    UNIT_KINDS,
    ApiToken,
    LoginAttempt,
    LoginSession,
    Position,
    Unit,
    User,
    UserRole,
    utcnow,
)
from app.accounts.nip import InvalidNIP, validate_nip
from app.accounts.queries import (
    SESSION_EXTRAS,
    Reach,
    find_unit_by_name,
    rights_within,
    session_writes,
    user_by_nip,
    user_by_username,
)
from app.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation, Throttled, Unauthorized
from app.extensions import db
from app.imports import RowErrors, read_table
from app.inputs import is_digits
from app.signals import employee_imported

MIN_PASSWORD_LENGTH = 8
# A hash to compare against when the account does not exist, so that timing does not reveal it.
_DUMMY_HASH = generate_password_hash("lentera-dummy-password")


# --- organisation -------------------------------------------------------------------------

def create_unit(name: str, parent: Unit | None = None, kind: str | None = None, code: str | None = None) -> Unit:
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_("Nama unit wajib diisi."))
    kind = kind or ("instansi" if parent is None else ("unit" if parent.kind == "instansi" else "subunit"))
    if kind not in UNIT_KINDS:
        raise RuleViolation(_("Jenis unit tidak dikenal: %(kind)s", kind=kind))
    if find_unit_by_name(name, parent) is not None:
        raise Conflict(_("Unit dengan nama \u201c%(name)s\u201d sudah ada di tingkat ini.", name=name))
    if code and db.session.scalar(select(Unit).where(Unit.code == code)):
        raise Conflict(_("Kode unit %(code)s sudah dipakai.", code=code))
    unit = Unit(name=name, parent=parent, kind=kind, code=code or None)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    return unit


def update_unit(unit: Unit, *, name: str | None = None, code: str | None = None, parent: Unit | None | bool = False,
                head: User | None | bool = False, jp_target: int | None | bool = False) -> Unit:
    """Rename, re-code, move (parent), set the head (atasan) or the per-instansi JP target."""
    if name is not None:
        name = name.strip()
        if not name:
            raise RuleViolation(_("Nama unit wajib diisi."))
        other = find_unit_by_name(name, unit.parent)
        if other is not None and other.id != unit.id:
            raise Conflict(_("Unit dengan nama \u201c%(name)s\u201d sudah ada di tingkat ini.", name=name))
        unit.name = name
    if code is not None:
        code = code.strip() or None
        if code and db.session.scalar(select(Unit.id).where(Unit.code == code, Unit.id != unit.id)):
            raise Conflict(_("Kode unit %(code)s sudah dipakai.", code=code))
        if code and len(code) > 50:
            raise RuleViolation(_("Kode unit paling panjang 50 karakter."))
        unit.code = code
    if head is not False:
        unit.head = head or None
    if jp_target is not False:
        if jp_target is not None and not (0 < int(jp_target) <= 1000):
            raise RuleViolation(_("Target JP harus antara 1 dan 1000."))
        unit.jp_target = jp_target
    if parent is not False and parent != unit.parent:
        if parent is not None and parent.path.startswith(unit.path):
            raise RuleViolation(_("Unit tidak dapat dipindah ke bawah dirinya sendiri."))
        old_path = unit.path
        unit.parent = parent
        new_path = f"{parent.path if parent else '/'}{unit.id}/"
        # Rewrite the whole subtree's paths in one statement.
        for u in db.session.scalars(select(Unit).where(Unit.path.startswith(old_path, autoescape=True))):
            u.path = new_path + u.path[len(old_path):]
            # the kind follows the depth: a unit moved to the top is an instansi, and so on below
            u.kind = ("instansi", "unit")[depth] if (depth := u.path.strip("/").count("/")) < 2 else "subunit"
    db.session.flush()
    return unit


def _check_unit_place(r: Reach, parent: Unit | None) -> None:
    """Where an admin may put a unit: under a unit in reach; at the top (a new instansi) only with
    organisation-wide reach."""
    if parent is None and not r.everything:
        raise Forbidden(_("Hanya admin seluruh organisasi yang dapat membuat atau memindahkan instansi teratas."),
                        code="organisation_wide_only")
    if parent is not None and not r.covers_unit(parent):
        raise Forbidden(_("Unit induk di luar jangkauan Anda."))


def create_unit_by(actor: User, name: str, parent: Unit | None, code: str | None = None) -> Unit:
    """An administrator adds a unit within their reach (the API, the CLI and the page alike)."""
    from app.accounts.queries import reach

    _check_unit_place(reach(actor, ("admin",)), parent)
    if code is not None and len(code.strip()) > 50:
        raise RuleViolation(_("Kode unit paling panjang 50 karakter."))
    return create_unit(name, parent, code=(code or "").strip() or None)


def change_unit_by(actor: User, unit: Unit, *, name: str | None = None, code: str | None = None,
                   parent: Unit | None | bool = False) -> Unit:
    """An administrator renames, re-codes or moves a unit within their reach."""
    from app.accounts.queries import reach

    r = reach(actor, ("admin",))
    if not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar jangkauan Anda."))
    if parent is not False:
        _check_unit_place(r, parent if isinstance(parent, Unit) else None)
    return update_unit(unit, name=name, code=code, parent=parent)


def delete_unit(unit: Unit) -> None:
    if unit.children:
        raise RuleViolation(_("Unit masih memiliki sub-unit."))
    if db.session.scalar(select(func.count()).select_from(User).where(User.unit_id == unit.id)):
        raise RuleViolation(_("Unit masih memiliki pegawai."))
    db.session.delete(unit)
    db.session.flush()


def get_or_create_position(name: str) -> Position | None:
    name = (name or "").strip()
    if not name:
        return None
    pos = db.session.scalar(select(Position).where(func.lower(Position.name) == name.lower()))
    if pos is None:
        pos = Position(name=name)
        db.session.add(pos)
        db.session.flush()
    return pos


# --- users --------------------------------------------------------------------------------

def _check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleViolation(_("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD_LENGTH))


def create_user(username: str, *, password: str | None = None, name: str | None = None,
                roles: list[str] | None = None, nip: str | None = None, unit: Unit | None = None,
                email: str | None = None, position: str | None = None, golongan: str | None = None,
                employment_type: str | None = None) -> User:
    username = (username or "").strip()
    if not username:
        raise RuleViolation(_("Nama pengguna wajib diisi."))
    if user_by_username(username):
        raise Conflict(_("Nama pengguna %(u)s sudah dipakai.", u=username))
    if nip:
        try:
            nip = validate_nip(nip)
        except InvalidNIP as exc:
            raise RuleViolation(str(exc)) from None
        if user_by_nip(nip):
            raise Conflict(_("NIP %(nip)s sudah terdaftar.", nip=nip))
    if employment_type and employment_type not in EMPLOYMENT_TYPES:
        raise RuleViolation(_("Jenis kepegawaian harus PNS atau PPPK."))
    user = User(username=username, name=(name or username).strip(), nip=nip or None, unit=unit,
                email=(email or None), golongan=golongan or None, employment_type=employment_type or None,
                position=get_or_create_position(position) if position else None)
    if password is not None:
        _check_password_rules(password)
        user.password_hash = generate_password_hash(password)
    db.session.add(user)
    set_roles(user, roles or ["learner"])
    db.session.flush()
    return user


def set_roles(user: User, roles: list[str], scopes: dict[str, Unit | None] | None = None) -> None:
    """Replace the user's roles. `scopes` gives the unit that roots a bpsdm/admin reach."""
    scopes = scopes or {}
    wanted = set(roles) | {"learner"}
    unknown = wanted - set(ROLES)
    if unknown:
        raise RuleViolation(_("Peran tidak dikenal: %(r)s", r=", ".join(sorted(unknown))))
    current = {r.role: r for r in user.roles}
    for role, row in current.items():
        if role not in wanted:
            user.roles.remove(row)
    for role in wanted:
        row = current.get(role)
        if row is None:
            row = UserRole(role=role)
            user.roles.append(row)
        if role in scopes:
            row.unit = scopes[role]
        elif row.id is None and role == "bpsdm":
            row.unit = user.unit  # BPSDM staff reach their own unit's subtree by default
    db.session.flush()


def update_user(user: User, **fields) -> User:
    """Change profile fields: name, email, unit, position, golongan, employment_type, nip, active, locale, timezone."""
    if "nip" in fields:
        nip = fields.pop("nip")
        if nip:
            try:
                nip = validate_nip(nip)
            except InvalidNIP as exc:
                raise RuleViolation(str(exc)) from None
            other = user_by_nip(nip)
            if other is not None and other.id != user.id:
                raise Conflict(_("NIP %(nip)s sudah terdaftar.", nip=nip))
        user.nip = nip or None
    if "position" in fields:
        user.position = get_or_create_position(fields.pop("position") or "")
    if fields.get("employment_type") and fields["employment_type"] not in EMPLOYMENT_TYPES:
        raise RuleViolation(_("Jenis kepegawaian harus PNS atau PPPK."))
    if "email" in fields:
        fields["email"] = normalised_email(fields["email"])
    was_active = user.active
    for key in ("name", "email", "unit", "golongan", "employment_type", "active", "locale", "timezone"):
        if key in fields:
            setattr(user, key, fields[key])
    if was_active and not user.active:
        end_sessions(user)  # a deactivated person is out now, not when their cookie expires
    db.session.flush()
    return user


def normalised_email(value: str | None) -> str | None:
    """An email address as stored (None when blank); anything that is not an address is refused."""
    from email_validator import EmailNotValidError, validate_email

    value = (value or "").strip()
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise BadInput(_("Alamat email tidak valid: %(e)s", e=value[:200]), code="invalid_email") from None


def end_sessions(user: User) -> None:
    """End every login session, remember-me cookie and API token of the account."""
    user.session_version = (user.session_version or 0) + 1
    user.login_session_key = None
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.flush()


def _session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, *, remember: bool = False, address: str | None = None) -> str:
    """A server-side session for a browser that just signed in; its key goes into the cookie
    through `user.get_id()` (call before Flask-Login's `login_user`). Returns the key."""
    cfg = current_app.config
    key = secrets.token_urlsafe(32)
    lifetime = timedelta(days=cfg["REMEMBER_DAYS"]) if remember else timedelta(hours=cfg["SESSION_HOURS"])
    now = utcnow()
    # Ended sessions are dropped as new ones start, so the table does not grow without end.
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.session.add(LoginSession(user_id=user.id, key_hash=_session_hash(key), remember=remember,
                                created_at=now, expires_at=now + lifetime, address=(address or None) and address[:64]))
    user.login_session_key = key
    db.session.flush()
    return key


def end_session(user: User) -> None:
    """Logout: this browser's session ends on the server, for every copy of its cookie."""
    key = getattr(user, "login_session_key", None)
    if key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _session_hash(key)))
        user.login_session_key = None
        db.session.flush()


def end_other_sessions(user: User) -> int:
    """"Keluar dari perangkat lain": every signed-in browser of the account but this one (a lost
    phone, a shared computer). Returns how many ended."""
    key = getattr(user, "login_session_key", None)
    stmt = delete(LoginSession).where(LoginSession.user_id == user.id)
    if key:
        stmt = stmt.where(LoginSession.key_hash != _session_hash(key))
    ended = db.session.execute(stmt).rowcount or 0
    db.session.flush()
    return ended


def is_current_session(user: User, row: LoginSession) -> bool:
    key = getattr(user, "login_session_key", None)
    return bool(key) and row.key_hash == _session_hash(key)


# --- the signed-in person, read on every request ---------------------------------------------
#
# Every request loads its person (session cookie or API token). Through the ORM, with the unit and
# the roles joined eagerly, that cost ~950 Python calls a request, little of it the database: the
# ORM builds its row processors for three entities on every execution and folds the joined role
# rows back with unique(), and the driver describes every one of ~32 columns (~8 calls each). So the
# person, their unit, their roles and the extras come as ONE column, a JSON array built by the
# database, and the instances are put into the session as a query would have left them: persistent,
# clean, `unit` and `roles` loaded. They are ordinary session-attached objects: operations write
# through them as through any person loaded by a query.


class _json_row(FunctionElement):
    """Its arguments as one JSON array, in text: one column for the driver to describe."""

    type = Text()
    inherit_cache = True
    name = "json_row"


@compiles(_json_row)
def _json_row_default(element, compiler, **kw) -> str:
    return f"json_array({compiler.process(element.clauses, **kw)})"


@compiles(_json_row, "postgresql")
def _json_row_postgresql(element, compiler, **kw) -> str:
    return f"CAST(json_build_array({compiler.process(element.clauses, **kw)}) AS TEXT)"


def _from_json(sql_type: Any) -> Callable[[Any], Any] | None:
    """What turns a value of this SQL type, read out of the JSON array, into what the column's own
    reading gives (None: it is already that). Another type is refused when the statement is built,
    so a new column of a kind not handled here fails every test instead of loading wrongly."""
    if isinstance(sql_type, Boolean):  # SQLite stores 0/1
        return bool
    if isinstance(sql_type, DateTime):  # ISO text: "2026-01-02T03:04:05.678" or with a space (SQLite)
        return datetime.fromisoformat
    if isinstance(sql_type, (Integer, String)):
        return None
    raise TypeError(f"a person column of type {sql_type!r} cannot be read through JSON")


def _roles_column():
    # "id:role:unit_id,…" (string_agg / group_concat): joined role rows would repeat the person's
    # row once per role. The separators are SQL literals: a parameter in the select list would be
    # rendered into the SQL on every execution.
    ur = UserRole.__table__.c
    colon = literal_column("':'", String)
    entry = cast(ur.id, String) + colon + ur.role + colon + func.coalesce(cast(ur.unit_id, String), literal_column("''"))
    return (select(func.aggregate_strings(entry, literal_column("','")))
            .where(ur.user_id == User.__table__.c.id).scalar_subquery())


@functools.cache
def _mapper(model: type) -> Any:
    return sa_inspect(model)


@dataclass(frozen=True)
class _PersonRead:
    """A statement whose one column is [person's columns…, unit's columns…, roles, *tail], and how
    to read it back. Built once per process, with bound parameters."""

    stmt: Any
    user_keys: tuple[str, ...]
    unit_keys: tuple[str, ...]
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def build(cls, source, tail: tuple[Any, ...], *where: Any) -> _PersonRead:
        users = User.__table__
        # An alias: the extras' subqueries on units (headed units) must not correlate to this join.
        units = Unit.__table__.alias("person_unit")
        user_attrs, unit_attrs = _mapper(User).column_attrs, _mapper(Unit).column_attrs
        user_keys, unit_keys = tuple(a.key for a in user_attrs), tuple(a.key for a in unit_attrs)
        columns = ([user_attrs[k].columns[0] for k in user_keys]
                   + [units.c[unit_attrs[k].columns[0].key] for k in unit_keys]
                   + [_roles_column(), *tail])
        converters = tuple((i, conv) for i, col in enumerate(columns) if (conv := _from_json(col.type)) is not None)
        stmt = (select(_json_row(*columns)).select_from(source.outerjoin(units, units.c.id == users.c.unit_id))
                .where(*where))
        return cls(stmt, user_keys, unit_keys, converters)

    def read(self, session: Session, params: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[Any]] | None:
        """(the person's column values, the unit's and the roles', the tail's) of the one row, or
        None. On the session's connection, in its transaction, as plain SQL: `Session.execute`
        would still set up the ORM's row handling for the ORM columns in the extras."""
        if session.autoflush:  # as Session.execute would (nothing is pending at a request's start)
            session.flush()
        text = session.connection().execute(self.stmt, params).scalar()
        if text is None:
            return None
        values = json.loads(text)
        for i, conv in self.converters:
            if values[i] is not None:
                values[i] = conv(values[i])
        at, end = len(self.user_keys), len(self.user_keys) + len(self.unit_keys) + 1
        return dict(zip(self.user_keys, values, strict=False)), values[at:end], values[end:]

    def person(self, session: Session, fields: dict[str, Any], unit_and_roles: list[Any]) -> User:
        """The person of `read`'s values, with unit and roles, attached to `session` (which holds
        no instance of them: see the callers)."""
        unit = None
        if fields["unit_id"] is not None:
            unit = _clean_instance(session, Unit, dict(zip(self.unit_keys, unit_and_roles, strict=False)))
        roles = []
        for entry in sorted(filter(None, (unit_and_roles[-1] or "").split(",")),
                            key=lambda e: int(e.split(":", 1)[0])):
            role_id, role, unit_id = entry.split(":")
            roles.append(_clean_instance(session, UserRole, {"id": int(role_id), "user_id": fields["id"], "role": role,
                                                             "unit_id": int(unit_id) if unit_id else None}))
        user = _as_loaded(session, User, {**fields, "unit": unit})
        set_committed_value(user, "roles", roles)
        return user


def _held(session: Session, model: type, pk: int) -> Any:
    """The session's instance of `model` with this primary key, if it holds one (no SQL)."""
    return session.identity_map.get(_mapper(model).identity_key_from_primary_key((pk,)))


def _clean_instance(session: Session, model: type, fields: dict[str, Any]) -> Any:
    """The `model` instance with these column values: the one the session already holds (as a
    query would return it), else a new one as a query would have loaded it."""
    held = _held(session, model, fields["id"])
    return held if held is not None else _as_loaded(session, model, fields)


def _as_loaded(session: Session, model: type, fields: dict[str, Any]) -> Any:
    """A new `model` instance in `session` as the ORM's own loading leaves one: its values straight
    in its dict (no history, nothing to flush), its identity set, in the identity map. The public
    way (make_transient_to_detached, then Session.add) did the same with ~60 more calls, most of
    them Session.add walking every relationship reachable from the object (save-update cascade)."""
    obj = model()
    state = instance_state(obj)
    state.dict.update(fields)
    state.key = _mapper(model).identity_key_from_primary_key((fields["id"],))
    session._update_impl(state)
    return obj


@functools.cache
def _session_read(extras: tuple[str, ...]) -> _PersonRead:
    users, sessions = User.__table__, LoginSession.__table__
    return _PersonRead.build(users.join(sessions, sessions.c.user_id == users.c.id),
                             (sessions.c.remember, *[SESSION_EXTRAS[name]() for name in extras]),
                             users.c.id == bindparam("user_id"), sessions.c.key_hash == bindparam("key_hash"),
                             sessions.c.expires_at > bindparam("now"))


@functools.cache
def _session_user_stmt(extras: tuple[str, ...]):
    # The ORM's way, for a person the session already holds (a test's or a command's app context):
    # the ORM keeps that instance as it is, refreshing only what was expired.
    columns = [SESSION_EXTRAS[name]().label(name) for name in extras]
    return (select(User, LoginSession.remember, *columns).join(LoginSession, LoginSession.user_id == User.id)
            .options(joinedload(User.unit), joinedload(User.roles))
            .where(User.id == bindparam("user_id"), LoginSession.key_hash == bindparam("key_hash"),
                   LoginSession.expires_at > bindparam("now")))


def user_for_session(user_id: int, version: int, key: str) -> User | None:
    """The signed-in person of a session cookie (or remember-me cookie), or None when the session
    was ended, has expired, or the account was deactivated or its password changed since.

    One query for the session, the person, their unit and their roles: this runs on every request."""
    extras = tuple(SESSION_EXTRAS)
    params = {"user_id": user_id, "key_hash": _session_hash(key), "now": utcnow()}
    session = db.session()
    if _held(session, User, user_id) is not None:
        row = session.execute(_session_user_stmt(extras), params).unique().first()
        if row is None or not row[0].active or (row[0].session_version or 0) != version:
            return None
        user, remember, extra_values = row[0], row[1], list(row[2:])
    else:
        read = _session_read(extras)
        found = read.read(session, params)
        if found is None:
            return None
        fields, unit_and_roles, (remember, *extra_values) = found
        if not fields["active"] or (fields["session_version"] or 0) != version:
            return None
        user = read.person(session, fields, unit_and_roles)
    user.login_session_key = key
    user.login_session_remember = remember
    user.session_extras = (session_writes(session), dict(zip(extras, extra_values, strict=True)))
    return user


def set_password(user: User, new_password: str, *, by_admin: bool = False) -> None:
    """Set the password and end the account's other sessions and tokens.

    `by_admin`: an administrator chose it (a new employee, a forgotten password), so the person
    must replace it with their own at their next login.
    """
    _check_password_rules(new_password)
    user.password_hash = generate_password_hash(new_password)
    user.must_change_password = by_admin
    end_sessions(user)


def change_password(user: User, current_password: str, new_password: str, address: str | None = None) -> None:
    """Change one's own password. The current-password check is throttled like a login (it is one:
    a stolen session must not become a way to guess the password)."""
    address = (address or "unknown")[:64]
    _throttle_check(user, "", address)
    if not user.password_hash or not check_password_hash(user.password_hash, current_password or ""):
        _record_failure(user, "", address)
        raise RuleViolation(_("Kata sandi saat ini salah."), code="wrong_password")
    if current_password == new_password:
        raise RuleViolation(_("Kata sandi baru harus berbeda dari yang lama."))
    set_password(user, new_password)


#: Letters and digits that cannot be mistaken for one another when read out or copied by hand.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


def temporary_password(length: int = 12) -> str:
    return "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))


def require_rights_over(actor: User, target: User, roles: tuple[str, ...] = ("admin",)) -> None:
    """Refuse acting on another person's account (password, deactivation, roles, temporary
    password) unless their every role and reach is within the actor's (`queries.rights_within`):
    whoever resets a password can become that person. Pages and the API call this alike."""
    if actor.id == target.id or not rights_within(actor, target, roles):
        raise Forbidden(_("Pengguna ini memiliki hak di luar hak Anda sendiri, atau akun Anda sendiri."),
                        code="rights_beyond_yours")


def reset_password(user: User, by: User | None = None) -> str:
    """An administrator's reset: a new temporary password (returned once, stored hashed) that the
    person must change at their next login; their sessions and tokens end. With `by`, refused
    unless the person's rights are within `by`'s."""
    if by is not None:
        require_rights_over(by, user)
    password = temporary_password()
    set_password(user, password, by_admin=True)
    return password


def set_initial_passwords(users: list[User]) -> list[tuple[User, str]]:
    """Temporary passwords for the accounts that have none yet (imported employees cannot log in
    until they have one). Accounts that already have a password are left alone."""
    issued = []
    for user in users:
        if user.password_hash is None and user.active:
            issued.append((user, reset_password(user)))
    return issued


# --- authentication -----------------------------------------------------------------------

# Keys of `LoginAttempt.username`: a failure against an account ("#<id>", whichever identifier was
# typed: username, NIP), against a name that is no account ("?<name>"), and a success ("+<id>",
# which makes the address known for the account). Password-reset requests use "reset:…".
def _failure_key(user: User | None, identifier: str) -> str:
    return f"#{user.id}" if user is not None else f"?{identifier.lower()}"[:80]


def _wait(failures: int, free: int, last, now) -> float:
    """Seconds still to wait after `failures` (the last at `last`): none for the first `free`, then
    LOGIN_DELAY_SECONDS doubling with each further one, at most the throttle window."""
    cfg = current_app.config
    if failures < free or last is None:
        return 0
    delay = min(cfg["LOGIN_DELAY_SECONDS"] * 2 ** min(failures - free, 30), cfg["LOGIN_WINDOW_SECONDS"])
    return delay - (now - last).total_seconds()


def _throttle_check(user: User | None, identifier: str, address: str) -> None:
    cfg = current_app.config
    now = utcnow()
    since = now - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    key = _failure_key(user, identifier)
    failed = (LoginAttempt.at >= since) & ~LoginAttempt.username.like("reset:%") & \
        ~LoginAttempt.username.like("+%")
    by_address = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                   .where(failed, LoginAttempt.address == address))
    if by_address >= cfg["LOGIN_MAX_FAILURES_ADDRESS"]:
        minutes = max(1, cfg["LOGIN_WINDOW_SECONDS"] // 60)
        raise Throttled(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)d menit.", m=minutes))
    pair_n, pair_last = db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        failed, LoginAttempt.username == key, LoginAttempt.address == address)).one()
    wait = _wait(pair_n, cfg["LOGIN_FREE_FAILURES"], pair_last, now)
    if user is not None and wait <= 0:
        # Many addresses against one account (a spread-out guessing run) slow down the addresses
        # it has not signed in from; the owner's own stay open, so nobody can lock the owner out.
        known = db.session.scalar(select(LoginAttempt.id).where(
            LoginAttempt.username == f"+{user.id}", LoginAttempt.address == address,
            LoginAttempt.at >= now - timedelta(days=cfg["LOGIN_KNOWN_DAYS"])).limit(1))
        if known is None:
            acct_n, acct_last = db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
                failed, LoginAttempt.username == key)).one()
            wait = _wait(acct_n, cfg["LOGIN_MAX_FAILURES_ACCOUNT"], acct_last, now)
    if wait > 0:
        seconds = int(wait) + 1
        if seconds >= 120:
            raise Throttled(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)d menit.",
                              m=(seconds + 59) // 60))
        raise Throttled(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(s)d detik.", s=seconds))


def _record_failure(user: User | None, identifier: str, address: str) -> None:
    # Committed at once: it must survive the request's rollback, and count in every worker.
    db.session.add(LoginAttempt(username=_failure_key(user, identifier), address=address))
    db.session.commit()


def _find_account(identifier: str) -> User | None:
    user = user_by_username(identifier)
    if user is None and is_digits(identifier):
        user = user_by_nip(identifier)  # employees may log in with their NIP
    return user


def authenticate(username: str, password: str, address: str) -> User:
    """Check a login. Raises Throttled after too many failures, Unauthorized on a wrong password.

    Failures are committed at once (they must survive the request's rollback) so that the
    throttle counts them in every worker.
    """
    username = (username or "").strip()
    address = (address or "unknown")[:64]
    # Counted per account whichever identifier is typed (username or NIP): one budget, not two.
    user = _find_account(username)
    _throttle_check(user, username, address)
    ok = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH, password or "")
    if not ok or user is None or not user.password_hash or not user.active:
        _record_failure(user, username, address)
        raise Unauthorized(_("Nama pengguna atau kata sandi salah."), code="invalid_credentials")
    # A success clears this address's failures for the account and makes the address known (see
    # _throttle_check); an address not used for LOGIN_KNOWN_DAYS is forgotten.
    known_since = utcnow() - timedelta(days=current_app.config["LOGIN_KNOWN_DAYS"])
    db.session.execute(delete(LoginAttempt).where(
        LoginAttempt.username.in_([f"#{user.id}", f"+{user.id}"]), LoginAttempt.address == address))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == f"+{user.id}",
                                                  LoginAttempt.at < known_since))
    db.session.add(LoginAttempt(username=f"+{user.id}", address=address))
    db.session.flush()
    return user


def issue_token(user: User) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    db.session.add(ApiToken(user=user, token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at=expires))
    # Expired tokens are dropped as new ones are made, so the table does not grow without end.
    db.session.execute(delete(ApiToken).where(ApiToken.expires_at < utcnow()))
    db.session.flush()
    return token, expires


@functools.cache
def _token_read() -> _PersonRead:
    users, tokens = User.__table__, ApiToken.__table__
    return _PersonRead.build(tokens.join(users, users.c.id == tokens.c.user_id), (tokens.c.expires_at,),
                             tokens.c.token_hash == bindparam("token_hash"))


@functools.cache
def _token_stmt():
    # The ORM's way, for a person the session already holds (see _session_user_stmt).
    return (select(ApiToken).options(joinedload(ApiToken.user).joinedload(User.unit),
                                     joinedload(ApiToken.user).joinedload(User.roles))
            .where(ApiToken.token_hash == bindparam("token_hash")))


def user_for_token(token: str) -> User | None:
    """The owner of an API bearer token, or None when the token is unknown, has expired or the
    account was deactivated. One query, as for a session cookie: this runs on every API request."""
    params = {"token_hash": hashlib.sha256(token.encode()).hexdigest()}
    session = db.session()
    read = _token_read()
    found = read.read(session, params)
    if found is None:
        return None
    fields, unit_and_roles, (expires_at,) = found
    if expires_at < utcnow() or not fields["active"]:
        return None
    if _held(session, User, fields["id"]) is None:
        return read.person(session, fields, unit_and_roles)
    row = session.execute(_token_stmt(), params).unique().scalar()
    return row.user if row is not None and row.expires_at >= utcnow() and row.user.active else None


# --- profile picture ---------------------------------------------------------------------------

PICTURE_SIDE = 256  # shown at 32–96 px; twice that for sharp phone screens, still a few KiB


def set_picture(user: User, stream) -> str:
    """A square picture of the person, cleaned and shrunk (app.images); the old one is removed."""
    from app.images import prepare_image
    from app.storage import get_storage

    image = prepare_image(stream, square=PICTURE_SIDE)
    name = f"{user.id}-{image.digest[:16]}.{image.extension}"
    store = get_storage()
    store.put_bytes(f"accounts/pictures/{name}", image.data, content_type=image.content_type)
    old, user.picture = user.picture, name
    db.session.flush()
    if old and old != name:
        store.delete(f"accounts/pictures/{old}")
    return name


def remove_picture(user: User) -> None:
    from app.storage import get_storage

    if user.picture:
        get_storage().delete(f"accounts/pictures/{user.picture}")
        user.picture = None
        db.session.flush()


# --- forgotten password ----------------------------------------------------------------------

RESET_SALT = "lentera.password-reset"
RESET_MAX_AGE = 30 * 60
#: Requests for a reset link per address (and per account) within the login window.
RESET_MAX_REQUESTS = 5


def _reset_fingerprint(user: User) -> str:
    # Changes when the password does (or when sessions are ended), so a link works once.
    return hashlib.sha256(f"{user.password_hash or ''}:{user.session_version or 0}".encode()).hexdigest()[:20]


def _reset_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def request_password_reset(identifier: str, address: str, link_for) -> None:
    """Mail a single-use link, valid 30 minutes, to the account named by username, NIP or email.

    Answers the same whether or not the account exists or has an email (the caller shows one
    message), so nobody learns who has an account; counted per address and per identifier so that
    nobody floods a mailbox. `link_for(token)` builds the link from the configured public address.
    """
    from app.mail import queue_mail

    identifier = (identifier or "").strip()[:200]
    address = (address or "unknown")[:64]
    key = f"reset:{identifier.lower()}"[:80]
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    by_address = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.address == address, LoginAttempt.username.like("reset:%"), LoginAttempt.at >= since))
    by_account = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == key, LoginAttempt.at >= since))
    if by_address >= RESET_MAX_REQUESTS or by_account >= RESET_MAX_REQUESTS:
        minutes = max(1, current_app.config["LOGIN_WINDOW_SECONDS"] // 60)
        raise Throttled(_("Terlalu banyak permintaan. Coba lagi dalam %(m)d menit.", m=minutes))
    db.session.add(LoginAttempt(username=key, address=address))
    user = user_by_username(identifier)
    if user is None and is_digits(identifier):
        user = user_by_nip(identifier)
    if user is None and "@" in identifier:
        user = db.session.scalar(select(User).where(func.lower(User.email) == identifier.lower()))
    if user is None or not user.active or not user.email:
        return
    token = _reset_serializer().dumps({"u": user.id, "f": _reset_fingerprint(user)})
    site = current_app.config.get("SITE_NAME", "Lentera")
    queue_mail(user.email, _("Atur ulang kata sandi %(site)s", site=site), _(
        "Yth. %(name)s,\n\n"
        "Seseorang (semoga Anda) meminta pengaturan ulang kata sandi akun %(username)s di %(site)s.\n"
        "Buka tautan ini dalam 30 menit untuk memilih kata sandi baru (tautan hanya berlaku sekali):\n\n"
        "%(link)s\n\n"
        "Jika Anda tidak memintanya, abaikan surel ini; kata sandi Anda tidak berubah.",
        name=user.name, username=user.username, site=site, link=link_for(token)))


def user_for_reset_token(token: str) -> User:
    """The account a reset link is for; refuses a link that is expired, already used or forged."""
    from itsdangerous import BadSignature, SignatureExpired

    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise RuleViolation(_("Tautan ini sudah kedaluwarsa (berlaku 30 menit). Minta tautan baru."),
                            code="link_expired") from None
    except BadSignature:
        raise RuleViolation(_("Tautan ini tidak sah."), code="link_invalid") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _reset_fingerprint(user):
        raise RuleViolation(_("Tautan ini sudah dipakai atau tidak berlaku lagi. Minta tautan baru."),
                            code="link_used")
    return user


def reset_password_with_token(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, new_password)  # ends every session, and with it this link
    return user


# --- employee import ----------------------------------------------------------------------

EMPLOYEE_COLUMNS = ["nip", "nama", "email", "jabatan", "unit_kerja", "instansi", "golongan"]
EMPLOYEE_OPTIONAL = ["jenis_pegawai", "sub_unit"]


def import_employees(filename: str, data: bytes, reach: Reach | None = None) -> dict[str, int]:
    """Create or update employees from a SIASN-like table; all-or-nothing.

    Units are matched by name under their instansi, which must already exist (a typo must not
    create a phantom instansi); an unknown unit kerja under a known instansi is created.
    Employees get a learner account whose username is their NIP and no password until an
    administrator sets one. Re-importing the same file changes nothing. With a `reach`, every
    row must fall inside it (an OPD's admin cannot move people into another OPD).
    """
    from email_validator import EmailNotValidError, validate_email

    table = read_table(filename, data, EMPLOYEE_COLUMNS, EMPLOYEE_OPTIONAL)
    errors = RowErrors(table)
    seen: dict[str, int] = {}
    parsed: list[tuple[int, dict]] = []
    for rownum, row in table.rows:
        nip = row["nip"].replace(" ", "")
        if not errors.has(rownum, "nip"):
            try:
                nip = validate_nip(nip)
            except InvalidNIP as exc:
                errors.add(rownum, "nip", str(exc))
            else:
                if nip in seen:
                    errors.add(rownum, "nip", _("NIP ganda: sudah ada di baris %(r)d.", r=seen[nip]))
                seen[nip] = rownum
        if not row["nama"]:
            errors.add(rownum, "nama", _("Nama wajib diisi."))
        email = row["email"]
        if email:
            try:
                email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                errors.add(rownum, "email", _("Alamat email tidak valid."))
        if not row["instansi"]:
            errors.add(rownum, "instansi", _("Instansi wajib diisi."))
        elif (instansi := find_unit_by_name(row["instansi"], None)) is None:
            errors.add(rownum, "instansi", _("Instansi \u201c%(n)s\u201d tidak ditemukan; tambahkan dulu di struktur organisasi.",
                                             n=row["instansi"]))
        elif reach is not None and row["unit_kerja"]:
            target = find_unit_by_name(row["unit_kerja"], instansi) or instansi
            if not reach.covers_unit(target):
                errors.add(rownum, "unit_kerja", _("Unit kerja ini di luar jangkauan Anda."))
        if not row["unit_kerja"]:
            errors.add(rownum, "unit_kerja", _("Unit kerja wajib diisi."))
        etype = (row.get("jenis_pegawai") or "").upper()
        if etype and etype not in EMPLOYMENT_TYPES:
            errors.add(rownum, "jenis_pegawai", _("Jenis pegawai harus PNS atau PPPK."))
        parsed.append((rownum, {**row, "nip": nip, "email": email or None, "jenis_pegawai": etype or None}))
    errors.raise_if_any()

    created = updated = 0
    for _rownum, row in parsed:
        instansi = find_unit_by_name(row["instansi"], None)
        unit = find_unit_by_name(row["unit_kerja"], instansi) or create_unit(row["unit_kerja"], instansi)
        if row.get("sub_unit"):
            unit = find_unit_by_name(row["sub_unit"], unit) or create_unit(row["sub_unit"], unit)
        user = user_by_nip(row["nip"])
        if user is None:
            if user_by_username(row["nip"]) is not None:
                raise Conflict(_("Nama pengguna %(u)s sudah dipakai.", u=row["nip"]))
            user = create_user(row["nip"], name=row["nama"], nip=row["nip"], unit=unit, email=row["email"],
                               position=row["jabatan"], golongan=row["golongan"] or None,
                               employment_type=row["jenis_pegawai"])
            created += 1
            employee_imported.send(user, created=True)
            continue
        position = get_or_create_position(row["jabatan"])
        changes = {
            "name": row["nama"], "email": row["email"], "unit_id": unit.id,
            "position_id": position.id if position else None, "golongan": row["golongan"] or None,
        }
        if row["jenis_pegawai"]:
            changes["employment_type"] = row["jenis_pegawai"]
        changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(user, k, v)
            updated += 1
            employee_imported.send(user, created=False)
    db.session.flush()
    return {"created": created, "updated": updated}


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Pengguna tidak ditemukan."))
    return user
