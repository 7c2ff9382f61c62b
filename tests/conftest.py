"""Fixtures shared by the whole suite, and how the suite keeps its time.

The integration tests run twice, against SQLite and against a real PostgreSQL server: the
`app` fixture is parametrised by backend. The schema is built once per backend and worker by the
Alembic migrations (so the migrations are tested too); after each test the database is put back
as the migrations left it (`DatabaseReset`).

Where the time went and what we chose (measured on this 2-core machine; README "Tests"):
- Cleanup after each test was the largest cost on PostgreSQL: a TRUNCATE of ~100 tables and
  the reference rows and sequences put back one statement at a time, 1.3 s a test (~565 tests).
  Now only the tables that hold rows are emptied (one EXISTS probe) and the sequences go back in
  one statement: 48 ms on PostgreSQL, 8 ms on SQLite. Every test still runs on both backends.
- Password hashing: scrypt at the app's factor took most of the time of many tests (six people
  per `org`, one check per login); the suite hashes at a small factor (below), logins stay real.
- Browser journeys run once, against the live server on SQLite: they test the pages and
  scripts a person uses, which do not differ by backend; what the database does is tested by the
  integration tests on both. Parametrising them by backend would double the slowest tests.
- Order for xdist (`pytest_collection_modifyitems`): the long tests first, each backend's tests
  together, so neither worker idles at the end and each builds each backend's app once. xdist's
  default `--dist load` hands them out in that order; `worksteal` and `loadgroup` were not
  measured (the machine stayed at load 6–15 from other suites).
- The critical path is now one test: `test_hardening_input.py::test_odd_numbers_in_every_query_string_
  are_not_a_server_error[postgresql]` (every GET route ~40 times; 768 s under load in the last full
  run, 45 ms a request on PostgreSQL against 19 on SQLite, mostly round trips). Splitting it by
  blueprint would let both workers share it.
- `slow` marks what needs minutes or real servers started per test (schemathesis, the
  authorisation matrix, the realistic day, scale-out, the outage, the killed transcode); `make
  test-fast` leaves them and the browser journeys out and runs SQLite alone.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

os.environ.setdefault("LENTERA_NO_SCHEDULER", "1")

from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts import operations as accounts_operations  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.services import MotoServer, PostgresServer, SmtpSink, free_port  # noqa: E402

# Passwords in the suite are hashed with scrypt at a small work factor (N=2^10 instead of the
# app's 2^15). At the app's factor a hash costs 0.1 s here (0.3–0.5 s under load), and fixtures
# make six people a test and every login checks one: measured, scrypt took 57 of 88 s of the
# account, authorisation and quiz-page tests. The hashes are real and the real login checks
# them; `test_suite_layout.py` checks that the app itself hashes at its own factor. Servers the
# suite starts as processes (gunicorn, scale-out, the realistic day) hash at the app's factor.
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"
APP_GENERATE_PASSWORD_HASH = accounts_operations.generate_password_hash
accounts_operations.generate_password_hash = lambda password: generate_password_hash(password, TEST_PASSWORD_METHOD)
accounts_operations._DUMMY_HASH = generate_password_hash("lentera-dummy-password", TEST_PASSWORD_METHOD)

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")

# The fixtures of one domain's tests live beside its helpers; pytest loads them for every test file.
pytest_plugins = ["tests.certificates_fixtures", "tests.media_fixtures"]

#: The databases the integration tests run against; `make test-fast` keeps SQLite alone.
BACKENDS = [b for b in os.environ.get("LENTERA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


# --- order -------------------------------------------------------------------------------------

@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(config, items) -> None:
    """Long tests first, each backend's tests together.

    xdist hands tests out in this order as workers free up, so a long test started last keeps one
    worker busy while the other idles (the realistic day alone runs minutes); started first, the
    short tests fill in around it. Within the order each backend's tests stay together, so a worker
    builds each backend's app (migrations) once, not at every switch. Order: unparametrised slow
    tests (the realistic day, scale-out, outage: the longest), browser journeys, SQLite slow,
    SQLite rest, PostgreSQL slow, PostgreSQL rest, the remaining unparametrised tests."""
    rank = {"sqlite": 2, "postgresql": 4}

    def key(item) -> int:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("_session_app") if callspec else None
        slow = item.get_closest_marker("slow") is not None
        if backend is None:
            return 0 if slow else 1 if item.get_closest_marker("browser") else 6
        return rank.get(backend, 6) + (0 if slow else 1)

    items.sort(key=key)  # stable: pytest's order holds within each group


# --- services -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL left out by LENTERA_TEST_BACKENDS")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint():
    server = MotoServer()
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- the app ----------------------------------------------------------------------------------

def base_config(tmp: Path, db_url: str, **extra) -> dict:
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "INSTANCE_PATH": str(tmp / "instance"),
        "LENTERA_STORAGE": "local",
        "LENTERA_STORAGE_PATH": str(tmp / "storage"),
        "WTF_CSRF_ENABLED": False,
        "SCHEDULER_ENABLED": False,
        "MAIL_SERVER": None,
        "SERVER_NAME": None,
        "VERIFY_RATE_LIMIT": 0,  # the suite verifies certificates faster than any person; tested on its own
    }
    cfg.update(extra)
    return cfg


def migrate_and_snapshot(app) -> dict[str, list[dict]]:
    """Run the migrations and remember the rows they loaded."""
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        snapshot = {}
        for table in db.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in db.session.execute(select(table))]
            if rows:
                snapshot[table.name] = rows
        db.session.remove()
    return snapshot


class DatabaseReset:
    """Puts the database back as the migrations left it, after each test, cheaply.

    Emptying every table after every test cost 1.3 s on PostgreSQL (TRUNCATE of ~100 tables gives
    each a new file, and the reference rows and ~100 sequences were put back one statement at a
    time) and 46 ms on SQLite; a test writes a handful of tables. So: one statement asks which
    tables hold rows (EXISTS per table, exact — no guessing from the statements a test ran, which
    would miss raw COPY or a second connection); only those and the reference tables are emptied
    with DELETE (foreign keys off for the reset: every non-empty table goes, so no order matters);
    the reference rows go back; on PostgreSQL one statement puts every sequence back to where the
    migrations left it (a rolled-back insert advances a sequence without leaving a row)."""

    def __init__(self, app, snapshot: dict[str, list[dict]]) -> None:
        from sqlalchemy import inspect

        self.snapshot = snapshot
        with app.app_context():
            engine = db.engine
            self.postgresql = engine.dialect.name == "postgresql"
            order = [t.name for t in db.metadata.sorted_tables]
            present = set(inspect(engine).get_table_names()) - {"alembic_version"}
            # dependency order where the models know it, then any table only the migrations know
            names = [n for n in order if n in present] + sorted(present - set(order))
            self.tables = {n: db.metadata.tables.get(n) for n in names}
            q = engine.dialect.identifier_preparer.quote
            self.quoted = {n: q(n) for n in names}
            self.probe = text(" UNION ALL ".join(
                f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM {self.quoted[n]})" for n in names))
            self.restart_sequences = None
            if self.postgresql:
                calls = []
                with engine.connect() as conn:
                    for n, table in self.tables.items():
                        pk = list(table.primary_key.columns) if table is not None else []
                        if len(pk) != 1 or not isinstance(pk[0].type, db.Integer):
                            continue
                        seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": q(n), "c": pk[0].name})
                        if seq:
                            start = max((r[pk[0].name] for r in snapshot.get(n, ())), default=0) + 1
                            calls.append(f"setval('{seq}', {start}, false)")
                if calls:
                    self.restart_sequences = text("SELECT " + ", ".join(calls))

    def __call__(self) -> None:
        with db.engine.connect() as conn:
            if not self.postgresql:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # before any write: in a transaction it is ignored
                conn.commit()
            try:
                written = set(conn.execute(self.probe).scalars()) | set(self.snapshot)
                if self.postgresql:
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for name in reversed(self.tables):
                    if name in written:
                        conn.exec_driver_sql(f"DELETE FROM {self.quoted[name]}")
                for name, table in self.tables.items():
                    if self.snapshot.get(name):
                        conn.execute(table.insert(), self.snapshot[name])
                if self.restart_sequences is not None:
                    conn.execute(self.restart_sequences)
                elif not self.postgresql and conn.exec_driver_sql(
                        "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first():
                    conn.exec_driver_sql("DELETE FROM sqlite_sequence")
                conn.commit()
            finally:
                conn.rollback()
                if not self.postgresql:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()


def reset_database(app, snapshot: dict[str, list[dict]]) -> None:
    """Empty every table and put back the rows the migrations loaded (see `DatabaseReset`)."""
    reset = app.extensions.get("test_reset")
    if reset is None or reset.snapshot is not snapshot:
        reset = app.extensions["test_reset"] = DatabaseReset(app, snapshot)
    reset()


@pytest.fixture(scope="session", params=BACKENDS)
def _session_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"app-{request.param}")
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_server").create_database(f"lentera_test_{WORKER}")
    else:
        url = f"sqlite:///{tmp / 'test.db'}"
    app = create_app(base_config(tmp, url))
    snapshot = migrate_and_snapshot(app)
    app.extensions["test_snapshot"] = snapshot
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_session_app):
    """The app (SQLite or PostgreSQL) with an app context pushed and an empty database."""
    ctx = _session_app.app_context()
    ctx.push()
    try:
        yield _session_app
    finally:
        db.session.remove()
        reset_database(_session_app, _session_app.extensions["test_snapshot"])
        shutil.rmtree(_session_app.config["LENTERA_STORAGE_PATH"], ignore_errors=True)
        _session_app.extensions.pop("lentera_storage", None)
        ctx.pop()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


@pytest.fixture
def client(app):
    return app.test_client()


# --- people -------------------------------------------------------------------------------------

def nip_for(i: int, gender: int = 1) -> str:
    """A well-formed NIP, different for every i."""
    year = 1970 + i % 25
    return f"{year}{1 + i % 12:02d}{1 + i % 28:02d}{year + 25}{1 + i % 12:02d}{gender}{i % 1000:03d}"


@pytest.fixture
def org(app):
    """A small organisation: instansi > A (> A1), B; one person per role, scoped as in production.

    - admin: site-wide; bpsdm_a: reach = unit A's subtree; head_a: head (atasan) of unit A
    - learner_a1 (unit A1), learner_b (unit B), instructor (unit A)
    """
    from app.accounts import operations as ops

    inst = ops.create_unit("Pemerintah Provinsi Uji", None, "instansi", "UJI")
    a = ops.create_unit("Dinas A", inst)
    a1 = ops.create_unit("Bidang A1", a)
    b = ops.create_unit("Dinas B", inst)

    def user(username, i, unit, roles=(), scopes=None, password="rahasia123"):
        u = ops.create_user(username, password=password, name=username.replace("_", " ").title(), nip=nip_for(i),
                            unit=unit, position="Analis Kebijakan", golongan="III/a", employment_type="PNS",
                            email=f"{username}@example.go.id")
        ops.set_roles(u, list(roles), scopes or {})
        return u

    ns = SimpleNamespace(instansi=inst, a=a, a1=a1, b=b)
    ns.admin = user("admin", 1, inst, ["admin"], {"admin": None})
    ns.bpsdm_a = user("bpsdm_a", 2, a, ["bpsdm"], {"bpsdm": a})
    ns.head_a = user("head_a", 3, a)
    ops.update_unit(a, head=ns.head_a)
    ns.learner_a1 = user("learner_a1", 4, a1)
    ns.learner_b = user("learner_b", 5, b)
    ns.instructor = user("instructor", 6, a, ["instructor"])
    db.session.commit()
    return ns


@pytest.fixture
def auth(app):
    """auth(user) -> headers with a fresh bearer token for that user."""
    from app.accounts.operations import issue_token

    def make(user) -> dict[str, str]:
        token, _ = issue_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def second_app(app, tmp_path):
    """Another application instance on the same database: a second gunicorn worker (what one
    worker keeps must follow a change made through the other)."""
    other = create_app(base_config(tmp_path, db.engine.url.render_as_string(hide_password=False)))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def login(client):
    """login(user, password) logs the test client in through the real login page."""

    def do(user, password: str = "rahasia123"):
        resp = client.post("/masuk", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.data[:500]
        return client

    return do


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- live server and browser ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The real app on a local port (SQLite file, CSRF on, demo data), for browser journeys."""
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("live")
    app = create_app(base_config(tmp, f"sqlite:///{tmp / 'live.db'}", WTF_CSRF_ENABLED=True, TESTING=False))
    migrate_and_snapshot(app)
    with app.app_context():
        for seeder in app.extensions["seeders"]:
            seeder()
            db.session.commit()
        db.session.remove()
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", app=app)
    server.shutdown()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def browser_login(page):
    def do(username: str, password: str = "lentera123"):
        page.goto("/masuk")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/masuk" not in url)
        return page

    return do
