"""Users, roles, organisation units, positions, API tokens and login attempts."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

ROLES = ("learner", "instructor", "bpsdm", "admin")
UNIT_KINDS = ("instansi", "unit", "subunit")
EMPLOYMENT_TYPES = ("PNS", "PPPK")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Unit(db.Model):
    """A node of the organisation tree: instansi > unit kerja (OPD) > sub-units.

    `path` is the materialised path of ids ("/1/4/9/"), so that "everything below this unit"
    is one indexed prefix query instead of a recursive walk.
    """

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="unit")
    path: Mapped[str] = mapped_column(String(500), default="/", index=True)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True), index=True)
    jp_target: Mapped[int | None] = mapped_column()  # per-instansi target; None = site default

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    head: Mapped[User | None] = relationship(foreign_keys=[head_id])

    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),)

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"


class Position(db.Model):
    """A jabatan. The CMB layer attaches competency standards to it."""

    __tablename__ = "positions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), index=True)
    golongan: Mapped[str | None] = mapped_column(String(10))
    employment_type: Mapped[str | None] = mapped_column(String(10))
    locale: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(40))
    # The profile picture's file name in storage (accounts/pictures/…), the content's hash.
    picture: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of the login session's id: bumping it (deactivation, a new password) ends every
    # session and remember-me cookie of the account, in every worker, at their next request.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when an administrator chose the password: the person must pick their own first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    position: Mapped[Position | None] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: "<id>:<session_version>:<login session key>" (see
        `app.web.load_user`). The key is set by `accounts.operations.start_session` on login and by
        the loader on every request; it names the server-side `LoginSession` row."""
        key = getattr(self, "login_session_key", None)
        return f"{self.id}:{self.session_version or 0}" + (f":{key}" if key else "")

    @property
    def role_names(self) -> list[str]:
        names = {r.role for r in self.roles} | {"learner"}
        return [r for r in ROLES if r in names]

    def has_role(self, *roles: str) -> bool:
        return any(r in self.role_names for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    """A role held by a user. For `bpsdm` and `admin`, `unit_id` is the root of their reach
    (None for an admin means the whole site)."""

    __tablename__ = "user_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),)


class ApiToken(db.Model):
    """A bearer token. Only its SHA-256 is stored, so a leaked database leaks no usable token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()

    user: Mapped[User] = relationship()


class LoginSession(db.Model):
    """A signed-in browser. The cookie carries a random key whose SHA-256 names this row: logging
    out deletes the row, so every copy of the cookie (a stolen one, a synced browser, a remember-me
    cookie) stops working at once, in every worker; a new password or a deactivation deletes them all."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The server's end of the session whatever the browser keeps: REMEMBER_DAYS with "Ingat saya",
    # SESSION_HOURS without.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(db.Model):
    """Failed logins, kept in the database so that throttling holds across gunicorn workers."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )
