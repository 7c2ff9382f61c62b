"""Who may see whom. Every query of another person's data goes through `reach()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Query, Session

from app.accounts.models import Unit, User, UserRole
from app.errors import Forbidden, NotFound
from app.extensions import db

#: Per-person values read in the same statement as the signed-in person (name -> a function giving
#: a scalar subquery correlated to users.id), registered by modules when imported: the header's
#: badges, which every page shows, then cost no statement of their own. See `session_extra`.
SESSION_EXTRAS: dict[str, Callable[[], Any]] = {}


def session_extra(user: User, name: str) -> Any:
    """The value of SESSION_EXTRAS[name] read with the person at the start of this request, or None
    when there is none or the session has written anything since (a notification marked read, a
    course completed): the caller then reads it itself, so a badge is never behind the page."""
    kept = getattr(user, "session_extras", None)
    if kept is None or name not in kept[1]:
        return None
    session = db.session()
    if kept[0] != session.info.get("lentera_writes", 0) or session.new or session.deleted or session.dirty:
        return None
    return kept[1][name]


def _headed_units_with_the_person():
    return select(func.count()).select_from(Unit).where(Unit.head_id == User.id).scalar_subquery()


SESSION_EXTRAS["headed_units"] = _headed_units_with_the_person


def headed_unit_paths(viewer: User) -> list[str]:
    """The paths of the units `viewer` heads (atasan). Most people head none, which the person's own
    statement already tells (SESSION_EXTRAS); otherwise read once per request and kept on the
    person until the session writes (several home panels ask)."""
    if session_extra(viewer, "headed_units") == 0:
        return []
    writes = session_writes(db.session())
    kept = getattr(viewer, "_headed_paths", None)
    if kept is not None and kept[0] == writes and not (db.session.new or db.session.deleted or db.session.dirty):
        return list(kept[1])
    paths = list(db.session.scalars(select(Unit.path).where(Unit.head_id == viewer.id)))
    viewer._headed_paths = (session_writes(db.session()), tuple(paths))
    return paths


def session_writes(session) -> int:
    return session.info.get("lentera_writes", 0)


@event.listens_for(Session, "after_flush")
def _count_flush(session, _flush_context) -> None:
    session.info["lentera_writes"] = session.info.get("lentera_writes", 0) + 1


@event.listens_for(Session, "do_orm_execute")
def _count_statement_writes(state) -> None:
    if not state.is_select:  # an UPDATE or DELETE sent as a statement passes no flush
        state.session.info["lentera_writes"] = state.session.info.get("lentera_writes", 0) + 1


@dataclass(frozen=True)
class Reach:
    """The part of the organisation a viewer may see: everything, or the subtrees under some units."""

    everything: bool
    unit_paths: tuple[str, ...] = ()
    user_id: int | None = None

    def covers_unit(self, unit: Unit | None) -> bool:
        if self.everything:
            return True
        if unit is None:
            return False
        return any(unit.path.startswith(p) for p in self.unit_paths)

    def covers(self, person: User) -> bool:
        return person.id == self.user_id or self.covers_unit(person.unit)

    def unit_filter(self, column=Unit.path):
        """A SQL condition on a unit path column for this reach."""
        if self.everything:
            return True
        if not self.unit_paths:
            return False
        return or_(*[column.startswith(p, autoescape=True) for p in self.unit_paths])


def reach(viewer: User, roles: tuple[str, ...] = ("admin", "bpsdm")) -> Reach:
    """The units whose people `viewer` may see through the given roles.

    Admins without a unit see everything; admins and BPSDM staff with a unit see its subtree;
    a head of unit (atasan) sees the subtree they head when "supervisor" is among `roles`.
    """
    paths: list[str] = []
    for r in viewer.roles:
        if r.role not in roles:
            continue
        if r.unit_id is None:
            if r.role == "admin":
                return Reach(everything=True, user_id=viewer.id)
            unit = viewer.unit
        else:
            unit = r.unit
        if unit is not None:
            paths.append(unit.path)
    if "supervisor" in roles:
        paths.extend(headed_unit_paths(viewer))
    return Reach(everything=False, unit_paths=tuple(sorted(set(paths))), user_id=viewer.id)


def supervisor_reach(viewer: User) -> Reach:
    return reach(viewer, roles=("admin", "bpsdm", "supervisor"))


def can_see_person(viewer: User, person: User, *, include_supervisor: bool = True) -> bool:
    if viewer.id == person.id:
        return True
    r = supervisor_reach(viewer) if include_supervisor else reach(viewer)
    return r.covers(person)


def is_supervisor_of(viewer: User, person: User) -> bool:
    if person.unit is None or viewer.id == person.id:
        return False
    return any(person.unit.path.startswith(p) for p in headed_unit_paths(viewer))


def supervisors_of(person: User) -> list[User]:
    """The heads (atasan) of the units above and at the person's unit, nearest first; never the person."""
    if person.unit is None:
        return []
    ids = [int(p) for p in person.unit.path.strip("/").split("/") if p]
    heads = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.head_id.is_not(None)))}
    out: list[User] = []
    for unit_id in reversed(ids):
        unit = heads.get(unit_id)
        if unit is not None and unit.head_id != person.id and all(u.id != unit.head_id for u in out):
            out.append(db.session.get(User, unit.head_id))
    return out


def people_query(viewer: User, r: Reach | None = None) -> Query:
    """Users within the viewer's reach (staff roles), as a select() to refine."""
    r = r or reach(viewer)
    stmt = select(User).outerjoin(Unit, User.unit_id == Unit.id)
    if r.everything:
        return stmt
    return stmt.where(or_(User.id == viewer.id, r.unit_filter(Unit.path)))


def units_in_reach(viewer: User, r: Reach | None = None) -> list[Unit]:
    r = r or reach(viewer)
    stmt = select(Unit).order_by(Unit.path)
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    return list(db.session.scalars(stmt))


def unit_subtree_ids(unit: Unit) -> list[int]:
    return list(db.session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))


def user_by_nip(nip: str) -> User | None:
    return db.session.scalar(select(User).where(User.nip == nip))


def person_in_reach(viewer: User, nip: str) -> User:
    """The employee with this NIP if `viewer` may see them (pages show the message, the API
    answers its envelope). NotFound for an unknown NIP, and for one out of reach too unless the
    viewer is staff: a learner must not learn which NIPs exist; staff are told it is out of reach."""
    person = user_by_nip(nip)
    if person is None or (not can_see_person(viewer, person) and not viewer.has_role("admin", "bpsdm")):
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
    if not can_see_person(viewer, person):
        raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))
    return person


def user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def unit_tree() -> list[Unit]:
    """All units in tree order (parents before children, siblings by path)."""
    return list(db.session.scalars(select(Unit).order_by(Unit.path)))


def users_with_role(role: str) -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role == role).order_by(User.name)))


def find_unit_by_name(name: str, parent: Unit | None) -> Unit | None:
    stmt = select(Unit).where(db.func.lower(Unit.name) == name.strip().lower())
    stmt = stmt.where(Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id)
    return db.session.scalar(stmt)


def login_sessions_of(user: User) -> list:
    """The account's signed-in browsers still in force, newest first (the account page lists them)."""
    from app.accounts.models import LoginSession, utcnow

    return list(db.session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.expires_at > utcnow()).order_by(LoginSession.created_at.desc())))


# --- rights over other people -------------------------------------------------------------------

#: The roles a holder of each staff role stands over. A BPSDM officer monitors and records but
#: does not author courses or administer the site, so an instructor or admin is beyond them.
ROLES_WITHIN = {"admin": frozenset({"admin", "bpsdm", "instructor", "learner"}),
                "bpsdm": frozenset({"bpsdm", "learner"})}


def _reach_within(inner: Reach, outer: Reach) -> bool:
    if outer.everything:
        return True
    if inner.everything:
        return False
    return all(any(p.startswith(q) for q in outer.unit_paths) for p in inner.unit_paths)


def rights_within(actor: User, target: User, roles: tuple[str, ...] = ("admin", "bpsdm")) -> bool:
    """Whether every role of `target`, with its reach, is within `actor`'s own (through `roles`).

    The rule for acting on a person's account (reset or set a password, deactivate, edit roles,
    issue a temporary password): whoever could do so could become that person, so a unit-limited
    admin must not reach a site-wide admin who merely sits in their unit.
    """
    held = [r for r in roles if r in ROLES_WITHIN and actor.has_role(r)]
    reaches = {r: reach(actor, (r,)) for r in held}
    if not any(reaches[r].covers_unit(target.unit) for r in held):
        return False
    for role in target.role_names:
        inner = reach(target, (role,)) if role in ("admin", "bpsdm") else None
        if not any(role in ROLES_WITHIN[r] and (inner is None or _reach_within(inner, reaches[r]))
                   and reaches[r].covers_unit(target.unit) for r in held):
            return False
    return True


# --- organisation-wide objects ---------------------------------------------------------------------

def organisation_wide(user: User, roles: tuple[str, ...] = ("admin", "bpsdm")) -> bool:
    """Whether `user`'s reach through `roles` is the whole organisation: a site-wide admin, or staff
    whose units cover every instansi.

    Objects that belong to no unit (JP rules, programs, the competency dictionary and position
    standards, course costs) change for everyone, so only such a person may change them.
    """
    if not getattr(user, "is_authenticated", False) or not user.has_role(*roles):
        return False
    r = reach(user, roles)
    if r.everything:
        return True
    if not r.unit_paths:
        return False
    roots = db.session.scalars(select(Unit.path).where(Unit.parent_id.is_(None))).all()
    return bool(roots) and all(any(p.startswith(q) for q in r.unit_paths) for p in roots)


def administers_owner(user: User, owner: User | None) -> bool:
    """An admin's say over an object that belongs to whoever made it (a course belongs to its
    owner's unit): organisation-wide admins over all; a unit-limited admin over the objects of
    people in their reach. An object without an owner is organisation-wide."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("admin"):
        return False
    r = reach(user, ("admin",))
    if r.everything:
        return True
    if owner is not None and r.covers(owner):
        return True
    return organisation_wide(user, ("admin",))
