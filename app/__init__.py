"""The application factory: extensions, domain blueprints, signal subscribers, CLI, scheduler."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from types import FunctionType

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

from app import pg_reads, statement_cache
from app.config import load_config
from app.extensions import babel, csrf, db, login_manager, migrate

#: The domain packages, in the order their pages appear and their demo data is seeded.
#: Each may provide: views.py (blueprint `bp`, `NAV`, `HOME_PANELS`), subscribers.py (signal
#: receivers, connected on import), cli.py (`register(app)`, `seed_demo()`), and app/api/<name>.py.
# Every domain, in import order. Second-wave domains are listed before they exist (a missing package is
# skipped), so that parallel work never fights over this list.
DOMAINS = [
    "accounts",
    "jobs",
    "courses",
    "quizzes",
    "media",
    "notifications",
    "ledger",
    "corpu",
    "certificates",
    "monitoring",
    "agenda",
    "assignments",  # assignments and the grade book (issue 17)
    "grades",
    "forums",  # forums and communities of practice (issue 18)
    "coaching",
    "live",
    "evaluation",  # surveys, learning gain, job impact (issue 19)
    "sync",  # offline learning (issue 20)
    "scorm",  # packaged content and records out (issue 21)
    "xapi",
    "badges",
]

log = logging.getLogger(__name__)


def _optional_import(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None  # the domain (or this part of it) does not exist yet
        raise


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers work while one writer writes; busy_timeout waits instead of failing.
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(conn, name) -> None:
    # pysqlite (Python < 3.12) opens a transaction only before INSERT/UPDATE/DELETE. A SAVEPOINT
    # issued first would open one by itself, and its RELEASE would then COMMIT: a course
    # completion could commit without the JP credit recorded after it. Begin explicitly instead,
    # so that the savepoint nests inside the request's transaction as it does on PostgreSQL.
    dbapi_conn = conn.connection.driver_connection
    if type(dbapi_conn).__module__.startswith("sqlite3") and not dbapi_conn.in_transaction:
        dbapi_conn.execute("BEGIN")


def _select_locale() -> str:
    # Asked once per request (Flask-Babel keeps the answer): the signed-in person is taken from its
    # proxy once, and a request without a query string skips parsing one into request.args.
    if not has_request_context():
        return "id"
    if request.query_string:
        lang = request.args.get("lang")
        if lang in _LANGS:
            return lang
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.locale in _LANGS:
        return user.locale
    lang = session.get("lang")
    if lang in _LANGS:
        return lang
    return "id"  # Bahasa Indonesia first, whatever the browser says


_LANGS = ("id", "en")


def _select_timezone() -> str:
    if not has_request_context():
        return "Asia/Jakarta"
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.timezone:
        return user.timezone
    return "Asia/Jakarta"


def _start_scheduler_with_first_request(app: Flask) -> None:
    """Start the job scheduler in a process that serves requests, never in a CLI command
    (`flask db upgrade`, `seed-demo`, … must not race a background scheduler for the database).
    Every gunicorn worker starts one; the database lock lets exactly one of them work."""
    import threading

    lock = threading.Lock()

    @app.before_request
    def _ensure_scheduler() -> None:
        if "lentera_scheduler" in app.extensions:
            return
        with lock:
            if "lentera_scheduler" not in app.extensions:
                from app.jobs.operations import start_scheduler

                start_scheduler(app)


class Lentera(Flask):
    """Flask, remembering which hooks and views are plain functions.

    Flask asks `inspect.iscoroutinefunction` of every before- and after-request hook, context
    processor, teardown and view on every request (some thirty functions, five calls each); a
    function's kind never changes, so the answer is kept for plain functions."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_sync: set[Callable] = set()

    def ensure_sync(self, func: Callable) -> Callable:
        if func in self._known_sync:
            return func
        func = super().ensure_sync(func)
        if type(func) is FunctionType:  # bound methods are made afresh: not kept, the set stays small
            self._known_sync.add(func)
        return func


def create_app(config: dict | None = None) -> Flask:
    cfg = load_config(config)
    app = Lentera(__name__, instance_path=cfg["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(cfg)
    from app.web import BoundedIntConverter, end_read_only_transaction

    app.url_map.converters["int"] = BoundedIntConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        # No pool_pre_ping: app.pg_reads proves a pooled connection alive without a round trip of
        # its own (a SELECT 1 on every request), and lets reads skip psycopg's BEGIN and COMMIT.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": False, "pool_size": 5,
                                                             "max_overflow": 10})

    db.init_app(app)
    with app.app_context():
        engine = db.engine
    statement_cache.install(engine)  # statements built once per process found without hashing their keys
    if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        pg_reads.init_engine(engine)  # reads outside a transaction; a pooled connection proven alive

    @app.teardown_appcontext
    def _close_session_on_a_lost_connection(_exc: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order). Closing
        # the session rolls back the request's open transaction; when the database went away
        # after the request's last query, that rollback fails — after the response was made.
        # Raised from here it would turn a page already made into a 500 from gunicorn. The
        # connection is dead anyway: it is invalidated and the pool replaces it (pre-ping).
        try:
            end_read_only_transaction(_exc)
            db.session.remove()
        except (DBAPIError, DisconnectionError) as err:
            log.warning("database connection lost while ending the request: %s",
                        str(getattr(err, "orig", None) or err).splitlines()[0][:200])
            try:
                db.session.invalidate()
            except Exception:  # noqa: BLE001 - already gone; what matters is forgetting the session
                pass
            db.session.registry.clear()
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))

    from app.api.core import api

    app.extensions["nav"] = []
    app.extensions["home_panels"] = []
    app.extensions["seeders"] = []
    for name in DOMAINS:
        _optional_import(f"app.{name}.models")
        views = _optional_import(f"app.{name}.views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)
            app.extensions["nav"].extend(getattr(views, "NAV", []))
            app.extensions["home_panels"].extend(getattr(views, "HOME_PANELS", []))
        _optional_import(f"app.{name}.subscribers")
        _optional_import(f"app.api.{name}")
        cli = _optional_import(f"app.{name}.cli")
        if cli is not None:
            if hasattr(cli, "register"):
                cli.register(app)
            if hasattr(cli, "seed_demo"):
                app.extensions["seeders"].append(cli.seed_demo)
    app.extensions["nav"].sort(key=lambda item: item.order)
    app.extensions["home_panels"].sort(key=lambda p: p.order)
    csrf.exempt(api)  # the API checks CSRF itself for cookie sessions (see api.core)
    app.register_blueprint(api)

    from app import cli as core_cli
    from app import web

    web.init_app(app)
    from app import inputs

    inputs.init_app(app)  # JSON depth and NaN refused, per-route body limits (after web: its hook goes first)
    core_cli.register(app)
    from app.api import docs as api_docs

    api_docs.register(app)
    web.one_transaction_per_request(app)  # last: every endpoint registered above, one commit idiom

    if app.config["SCHEDULER_ENABLED"] and not app.config.get("TESTING") and \
            os.environ.get("LENTERA_NO_SCHEDULER") != "1":
        _start_scheduler_with_first_request(app)
    return app


