"""Reads outside a transaction on PostgreSQL (app/pg_reads.py, issue 23): a page that only reads
sends no BEGIN and no COMMIT, and whatever needs a transaction — writes, row locks, savepoints,
server-side cursors, an isolation level asked for — still gets exactly the one it had."""

from __future__ import annotations

import psycopg
import pytest
from flask import g
from psycopg import pq
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Position, Unit, User
from app.extensions import db
from app.pg_reads import only_reads


@pytest.mark.parametrize(("statement", "reads"), [
    ("SELECT users.id FROM users WHERE users.id = %(id)s", True),
    ("  select 1", True),
    ("SELECT users.id FROM users WHERE users.id = %(id)s FOR UPDATE", False),
    ("SELECT video_watch.id FROM video_watch FOR UPDATE OF video_watch", False),
    ("SELECT users.id FROM users FOR NO KEY UPDATE", False),
    ("SELECT users.id FROM users FOR KEY SHARE", False),
    ("SELECT users.id FROM users FOR SHARE SKIP LOCKED", False),
    ("SELECT pg_advisory_xact_lock(42)", False),
    ("SELECT nextval('users_id_seq')", False),
    ("SELECT set_config('statement_timeout', '1s', true)", False),
    ("WITH moved AS (UPDATE users SET name = 'x' RETURNING id) SELECT id FROM moved", False),
    ("INSERT INTO units (name) VALUES (%(name)s) RETURNING units.id", False),
    ("UPDATE quiz_attempts SET state = %(state)s RETURNING quiz_attempts.id", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("SET TIME ZONE 'UTC'", False),
])
def test_what_may_run_outside_a_transaction(statement, reads):
    assert only_reads(statement) is reads


@pytest.fixture
def pg(backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's transactions")


def _status() -> pq.TransactionStatus:
    return pq.TransactionStatus(db.session.connection().connection.driver_connection.pgconn.transaction_status)


def _other_session_sees(name: str) -> bool:
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as other:
        return other.execute("SELECT count(*) FROM positions WHERE name = %s", (name,)).fetchone()[0] == 1


def test_a_page_that_only_reads_opens_no_transaction(app, client, org, login, pg):
    login(org.learner_a1)
    client.get("/katalog")
    db.session.remove()
    g.pop("_login_user", None)
    seen: list[tuple[str, int]] = []

    def after(_conn, cursor, statement, *_args):
        seen.append((statement, cursor.connection.pgconn.transaction_status))

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        assert client.get("/katalog").status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert len(seen) >= 2
    assert all(status == pq.TransactionStatus.IDLE for _s, status in seen), seen  # no BEGIN before any
    assert not [s for s, _ in seen if s.strip().upper() in ("BEGIN", "COMMIT", "ROLLBACK")]


def test_the_first_write_begins_the_transaction_and_a_rollback_undoes_it_all(app, pg):
    db.session.remove()
    db.session.scalar(select(Unit.id).limit(1))
    assert _status() == pq.TransactionStatus.IDLE  # reads ran outside
    db.session.add(Position(name="Analis Uji Satu"))
    db.session.flush()
    assert _status() == pq.TransactionStatus.INTRANS
    db.session.scalar(select(Position.id).where(Position.name == "Analis Uji Satu"))
    db.session.add(Position(name="Analis Uji Dua"))
    db.session.flush()
    assert not _other_session_sees("Analis Uji Satu")  # uncommitted: invisible elsewhere
    db.session.rollback()
    assert not _other_session_sees("Analis Uji Satu") and not _other_session_sees("Analis Uji Dua")
    # The next transaction reads outside again and commits its write.
    assert db.session.scalar(select(Position.id).where(Position.name == "Analis Uji Satu")) is None
    assert _status() == pq.TransactionStatus.IDLE
    db.session.add(Position(name="Analis Uji Tiga"))
    db.session.commit()
    assert _other_session_sees("Analis Uji Tiga")


def test_a_row_lock_is_held_until_the_commit(app, org, pg):
    uid = org.learner_a1.id
    db.session.remove()
    db.session.execute(select(User.id).where(User.id == uid).with_for_update())
    assert _status() == pq.TransactionStatus.INTRANS  # the lock opened the transaction and holds
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE", (uid,))
        db.session.commit()
        assert other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE", (uid,)).fetchone() == (uid,)


def test_a_savepoint_nests_in_the_transaction_it_begins(app, org, pg):
    taken = org.learner_a1.username
    db.session.remove()
    db.session.scalar(select(User.id).limit(1))
    try:
        with db.session.begin_nested():
            db.session.add(User(username=taken, name="Dua kali"))
            db.session.flush()
    except IntegrityError:
        pass
    assert _status() == pq.TransactionStatus.INTRANS
    db.session.add(Position(name="Analis Sesudah Savepoint"))
    db.session.flush()
    db.session.rollback()
    assert not _other_session_sees("Analis Sesudah Savepoint")


def test_a_server_side_cursor_gets_its_transaction(app, org, pg):
    taken = org.learner_a1.username
    db.session.remove()
    names = [user.username for user in db.session.scalars(
        select(User).order_by(User.id).execution_options(yield_per=2))]
    assert taken in names and len(names) >= 5


def test_an_isolation_level_asked_for_is_kept(app, org, pg):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("INSERT INTO positions (name) VALUES ('Analis Autocommit')"))
        assert _other_session_sees("Analis Autocommit")  # committed at once, as asked
        conn.rollback()
    assert _other_session_sees("Analis Autocommit")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(select(User.id).limit(1))
        assert conn.connection.driver_connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
        assert conn.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
        conn.rollback()
    # Back in the pool (reset to READ COMMITTED) every connection reads outside a transaction again.
    db.session.remove()
    connections = [db.engine.connect() for _ in range(3)]
    try:
        for conn in connections:
            conn.execute(select(User.id).limit(1))
            assert conn.connection.driver_connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    finally:
        for conn in connections:
            conn.close()
