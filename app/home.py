"""The home page: the panels a person may see, their rows read in one statement.

Each domain offers its home panels (`app.web.HomePanel`, in its views' HOME_PANELS). A panel's
content is the person's own state (their courses' progress, unread notifications, what is due), so
its rows are read on every request (only the JP ring's drawing is kept, with `samefor`, for the
year, total and target it shows: few keys, one pure function of them); what made the page slow was
that each panel, and each of the calendar's sources, asked the database on its own: seventeen
round trips for a learner whose panels were mostly empty. A panel may therefore give `rows(user)`
instead: a `PanelRows` of one or more SELECTs of the common shape below (`home_row`), built once
per process with bound parameters, the parameters' values for this request (`home_user`, the
person's id, is always given) and how its context is made from its rows. The home page sends every
panel's SELECTs as one UNION ALL and hands each panel the rows grouped by part. A panel whose
`rows` returns None (a head of unit's, whose filters depend on the units they head) is asked for
its `context(user)`, as are the staff panels that have no `rows`.

The calendar (app.agenda) reads its sources through the same statement machinery.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import BindParameter, Cast, Null
from sqlalchemy.sql.visitors import replacement_traverse

from app.extensions import db

#: The common row of the home statement: which panel part it belongs to, its place in that part,
#: then a few typed value columns a part fills as it needs (the rest stay NULL). One shape for
#: every branch is what lets PostgreSQL and SQLite send them as one UNION ALL.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("i1", Integer()), ("i2", Integer()), ("i3", Integer()),
    ("s1", String()), ("s2", String()), ("s3", String()), ("s4", String()), ("s5", String()),
    ("t1", DateTime()), ("d1", Date()), ("d2", Date()), ("n1", Numeric(12, 2)),
)
_NAMES = frozenset(name for name, _type in COLUMNS)


def home_row(part: str, order_by: Sequence[Any] = (), **values: Any) -> list[ColumnElement]:
    """The columns of one branch: `part` names it (unique across panels, e.g. "agenda.quiz"),
    `order_by` gives each row its place `k` in the part (the union itself keeps no order), and
    `values` fill the columns of COLUMNS by name."""
    unknown = set(values) - _NAMES
    if unknown:
        raise ValueError(f"not a home column: {sorted(unknown)}")
    place = func.row_number().over(order_by=list(order_by)) if order_by else null()
    cols: list[ColumnElement] = [literal_column(f"'{part}'", String()).label("part"),
                                 _ColumnValue(place, BigInteger()).label("k")]
    for name, type_ in COLUMNS:
        value = values.get(name)
        cols.append(_ColumnValue(null() if value is None else value, type_).label(name))
    return cols


class _ColumnValue(Cast):
    """A branch's value in its home column, typed alike in every branch.

    PostgreSQL: CAST to the column's type without length or precision (VARCHAR, NUMERIC, BIGINT),
    so that every branch gives each column exactly the same type. When one branch's column were a
    VARCHAR(200) and another's a VARCHAR, or a NUMERIC(12,2) beside a sum's NUMERIC, the planner
    would wrap branches in projections to coerce them, and nest the union in further levels: some
    twenty more plan nodes to set up at every execution, a tenth of the home statement's time on
    the server. A cast to the type a value already has costs nothing; the planner drops it.

    SQLite: NULL is cast to the column's type, a value is only declared (a SQL CAST to DATETIME
    would turn SQLite's text into a number). Either way the column's declared type (COLUMNS) is
    what SQLAlchemy reads the values back with."""

    inherit_cache = True


@compiles(_ColumnValue)
def _value_declared(element: _ColumnValue, compiler: Any, **kw: Any) -> str:
    if isinstance(element.clause, Null):
        return compiler.visit_cast(element, **kw)
    return compiler.process(element.clause, **kw)


@compiles(_ColumnValue, "postgresql")
def _value_cast(element: _ColumnValue, compiler: Any, **kw: Any) -> str:
    unmodified = compiler.dialect.type_compiler_instance.process(type(element.type)())
    return f"CAST({compiler.process(element.clause, **kw)} AS {unmodified})"


@dataclass
class PanelRows:
    """What a panel reads through the home statement for one request: its branches (SELECTs of
    `home_row` columns, the same objects on every request), the values of their parameters, and
    how its context is made from the rows grouped by part (None hides the panel)."""

    branches: Sequence[Select]
    params: Mapping[str, Any] = field(default_factory=dict)
    context: Callable[[dict[str, list]], dict | None] = lambda parts: None


#: The longest statement psycopg keeps converted (see `_driver_keeps_long_statements`).
DRIVER_STATEMENT_CACHE_LENGTH = 65_536


def _driver_keeps_long_statements() -> None:
    """Let psycopg keep the home statement's conversion like any other statement's.

    psycopg turns a statement's `%(name)s` placeholders into PostgreSQL's `$n` at every execution,
    remembering the result (an LRU of 128 statements) only for statements of at most 4,096
    characters: its guard against ORMs that send an endless variety of long one-off statements
    (INSERT … VALUES with any number of rows). The home statement is some 17,000 characters, the
    same text on every request (built once per combination of panels, bound parameters only), so
    it was re-parsed every time: some 900 Python calls of a learner's home page, an eighth of it.
    Lentera's statements are built with bound parameters, so the cache keeps a few hundred kB at
    most. A psycopg without the setting is left alone."""
    try:
        from psycopg import _queries
    except ImportError:  # SQLite only
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, DRIVER_STATEMENT_CACHE_LENGTH)


_driver_keeps_long_statements()


@functools.lru_cache(maxsize=64)
def _statement(branches: tuple[Select, ...]):
    # One statement per combination of branches (a learner's, a head of unit's, …): built once.
    # Every branch is wrapped: SQLite allows no ORDER BY or LIMIT on a member of a compound select.
    return replacement_traverse(union_all(*[select(*b.subquery().c) for b in branches]), {}, _written_out)


#: a constant string the statement may carry as it is (no quote, no backslash, nothing to escape)
_PLAIN = re.compile(r"[A-Za-z0-9_. -]*")


def _written_out(element: Any) -> ColumnElement | None:
    """A constant of a branch (a limit, a JSON key, a kind, a status, a 0 of coalesce) written into
    the statement instead of sent as a parameter: each parameter costs the driver its conversion at
    every request, the branches carry some twenty constants, and PostgreSQL plans a LIMIT it can
    see. Only whole numbers and plain words of plain INTEGER and VARCHAR parameters (a JSON key's
    parameter, say, is turned into a path by the dialect: it stays bound), and nothing given per
    request (`home_user`, …)."""
    if not isinstance(element, BindParameter) or element.required or element.callable is not None:
        return None
    value, kind = element.value, type(element.type)
    if kind is Integer and type(value) is int:
        return literal_column(str(value), element.type)
    if kind is String and type(value) is str and _PLAIN.fullmatch(value):
        return literal_column(f"'{value}'", element.type)
    return None


def read_parts(user_id: int, panel_rows: Sequence[PanelRows]) -> dict[str, list]:
    """Run the branches of all panels as one statement; rows grouped by part, in their order.
    Every branch may use the parameter `home_user` (the person's id)."""
    branches: list[Select] = []
    params: dict[str, Any] = {"home_user": user_id}
    for r in panel_rows:
        branches.extend(r.branches)
        params.update(r.params)
    parts: dict[str, list] = defaultdict(list)
    if not branches:
        return parts
    # The Core connection, not the ORM session: the branches name mapped columns, which would send
    # the statement through the ORM's execution and row loading for nothing but plain values. What
    # the session holds unsent is sent first, as the session's own execute would (autoflush).
    session = db.session()
    if session.autoflush:
        session.flush()
    for row in session.connection().execute(_statement(tuple(branches)), params):
        parts[row.part].append(row)
    for rows in parts.values():
        if len(rows) > 1 and rows[0].k is not None:
            rows.sort(key=lambda r: r.k)
    return parts


def panels(user: Any, registered: Sequence[Any]) -> list[tuple[str, dict]]:
    """(template, context) of every panel `user` sees, in the registered order."""
    # `current_user` is a proxy that finds the person again at every attribute; the panels ask a few
    # dozen times. The person's roles are the same for every panel (`User.has_role`, once).
    user = getattr(user, "_get_current_object", lambda: user)()
    roles = set(user.role_names)
    visible = [p for p in registered if not p.roles or not roles.isdisjoint(p.roles)]
    wanted: list[tuple[Any, PanelRows | None]] = [(p, p.rows(user) if p.rows else None) for p in visible]
    parts = read_parts(user.id, [r for _p, r in wanted if r is not None])
    out = []
    for panel, rows in wanted:
        if rows is not None:
            ctx = rows.context(parts)
        else:
            ctx = panel.context(user) if panel.context else None
        if ctx is not None:
            out.append((panel.template, ctx))
    return out
