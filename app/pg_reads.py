"""PostgreSQL: a request reads outside a transaction, which begins at its first write.

psycopg opens a transaction with a BEGIN of its own (one round trip) before a connection's first
statement, and the request then ends with a COMMIT (another). Most requests only read — every
learner page — and for them both round trips bought nothing: under READ COMMITTED, PostgreSQL's
default and ours, each statement takes its own snapshot whether or not a transaction is open, so
a read outside one sees exactly what it would have seen inside.

What a transaction does give begins with the first statement that needs it: a write, a row lock
(SELECT … FOR UPDATE / SHARE), a savepoint, a named (server-side) cursor, an advisory lock or a
sequence. Before that statement the connection is switched back to transactional, psycopg sends
its BEGIN, and from there on everything runs in the one transaction until the commit or rollback
that ends it — the same atomicity and locks as before. The next transaction, on the connection's
next checkout from the pool, starts outside again.

Nothing here touches SQLite, a connection someone set to autocommit, to an isolation level above
READ COMMITTED or to read-only mode (the BEGIN they need says so), one already in a transaction, nor
a server whose default isolation level is not READ COMMITTED.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

#: The pool record's mark: this connection's autocommit is ours, set at checkout, and is to end
#: at the transaction's first write.
_LAZY = "lentera_lazy_begin"

#: What makes a SELECT more than a read: it locks rows, takes an advisory lock, moves a sequence
#: or sets a setting — each needs (or is undone with) the transaction.
_NEEDS_TRANSACTION = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE", "ADVISORY",
                      "NEXTVAL(", "SETVAL(", "SET_CONFIG(", "TXID_", "PG_CURRENT_XACT")

#: Each statement's answer, kept per process: statements come from SQLAlchemy's compiled cache, so
#: there are a few hundred; bounded all the same (an IN list's length makes a new string).
_ANSWERS: dict[str, bool] = {}
_MAX_ANSWERS = 4000


def only_reads(statement: str) -> bool:
    """Whether `statement` may run outside a transaction: a SELECT that neither locks nor changes
    anything. Anything else (WITH, INSERT … RETURNING, SAVEPOINT, DDL, SET) begins the transaction."""
    answer = _ANSWERS.get(statement)
    if answer is None:
        upper = statement.lstrip().upper()
        answer = upper.startswith("SELECT") and not any(word in upper for word in _NEEDS_TRANSACTION)
        if len(_ANSWERS) >= _MAX_ANSWERS:
            _ANSWERS.clear()
        _ANSWERS[statement] = answer
    return answer


def _something_waiting(pgconn: Any) -> bool:
    # An idle connection has nothing to read unless the server spoke on its own: most often its
    # goodbye (a restart, a terminated backend, an idle timeout) before closing the socket.
    try:
        readable, _w, _x = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(readable)


def _ping_with_begin(dbapi_conn: Any) -> None:
    # The BEGIN psycopg would send anyway, sent now: a dead connection fails it and the pool
    # replaces every connection it holds (as a failed pre-ping would) before any statement runs.
    from psycopg import pq

    try:
        result = dbapi_conn.pgconn.exec_(b"BEGIN")
    except Exception as exc:  # noqa: BLE001 - whatever broke, this connection cannot be used
        raise InvalidatePoolError(f"BEGIN on checkout failed: {exc}") from exc
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise InvalidatePoolError(f"BEGIN on checkout failed: {dbapi_conn.pgconn.get_error_message()!r}")


def _ping_on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    from psycopg import pq

    if (not dbapi_conn.autocommit and dbapi_conn.isolation_level is None and dbapi_conn.read_only is None
            and dbapi_conn.pgconn.transaction_status == pq.TransactionStatus.IDLE):
        _ping_with_begin(dbapi_conn)


def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    from psycopg import IsolationLevel, pq

    ours = record.info.get(_LAZY, False)
    if ((dbapi_conn.autocommit and not ours) or dbapi_conn.read_only is not None
            or dbapi_conn.isolation_level not in (None, IsolationLevel.READ_COMMITTED)
            or dbapi_conn.pgconn.transaction_status != pq.TransactionStatus.IDLE):
        record.info[_LAZY] = False
        return
    if _something_waiting(dbapi_conn.pgconn):
        # Not trusted without a word from the server: prove it with the BEGIN, and keep this
        # transaction an ordinary one.
        if ours:
            dbapi_conn.autocommit = False
        record.info[_LAZY] = False
        _ping_with_begin(dbapi_conn)
        return
    # A healthy idle connection: its reads need no BEGIN. (A server that vanished without closing
    # the socket — a cut cable — or one whose goodbye is still on its way fails the first statement
    # instead: a 503 with Retry-After, and the pool replaces the connection, as SQLAlchemy does for
    # any connection found dead in use.)
    if not dbapi_conn.autocommit:
        dbapi_conn.autocommit = True
    record.info[_LAZY] = True


def _before_statement(conn: Any, cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    dbapi_conn = cursor.connection
    if not dbapi_conn.autocommit:
        return  # in a transaction already (or psycopg will begin one): nothing to decide
    if only_reads(statement) and getattr(cursor, "name", None) is None:  # a named cursor needs a transaction
        return
    info = conn.info
    if info.get(_LAZY):  # our autocommit, not one asked for: this statement begins the transaction
        info[_LAZY] = False
        dbapi_conn.autocommit = False


def _isolation_asked(conn: Any, opts: dict) -> None:
    # A connection given an isolation level (or AUTOCOMMIT) of its own keeps it: the dialect sets
    # it right after this, and the first write must not undo an AUTOCOMMIT asked for.
    if "isolation_level" in opts:
        conn.info[_LAZY] = False


def init_engine(engine: Engine) -> None:
    """Read outside a transaction on `engine`'s psycopg connections (call once per engine)."""
    if engine.dialect.driver != "psycopg":
        return
    with engine.connect():  # the dialect learns the server's default isolation level
        pass
    if engine.dialect.default_isolation_level != "READ COMMITTED":
        # A server whose transactions are REPEATABLE READ or SERIALIZABLE by default: a read's
        # snapshot is the transaction's, so reads keep theirs. Only the BEGIN is kept as the ping.
        event.listen(engine, "checkout", _ping_on_checkout)
        return
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "before_cursor_execute", _before_statement)
    event.listen(engine, "set_connection_execution_options", _isolation_asked)


def idle_on_server(session: Any) -> bool:
    """Whether `session`'s connection has no transaction open on a PostgreSQL server: a request
    that only read outside one. Committing it then costs SQLAlchemy's whole commit machinery for
    nothing — psycopg sends neither COMMIT nor ROLLBACK for an idle connection, and its prepared
    statements survive either way. False on SQLite and whenever in doubt."""
    pgconn = getattr(session.connection().connection.driver_connection, "pgconn", None)
    if pgconn is None:
        return False
    from psycopg import pq

    return pgconn.transaction_status == pq.TransactionStatus.IDLE
