"""The application factory: extensions, domain blueprints, signal subscribers, CLI, scheduler."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import load_config
from app.extensions import babel, csrf, db, login_manager, migrate

#: The domain packages, in the order their pages appear and their demo data is seeded.
#: Each may provide: views.py (blueprint `bp`, `NAV`, `HOME_PANELS`), subscribers.py (signal
#: receivers, connected on import), cli.py (`register(app)`, `seed_demo()`), and app/api/<name>.py.
DOMAINS = ["accounts", "jobs", "courses", "quizzes", "media", "notifications", "ledger", "corpu", "certificates", "monitoring"]

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


def _select_locale() -> str:
    langs = ["id", "en"]
    if not has_request_context():
        return "id"
    if "lang" in request.args and request.args["lang"] in langs:
        return request.args["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in langs:
        return current_user.locale
    if session.get("lang") in langs:
        return session["lang"]
    return "id"  # Bahasa Indonesia first, whatever the browser says


def _select_timezone() -> str:
    if not has_request_context():
        return "Asia/Jakarta"
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return "Asia/Jakarta"


def create_app(config: dict | None = None) -> Flask:
    cfg = load_config(config)
    app = Flask(__name__, instance_path=cfg["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(cfg)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True, "pool_size": 5,
                                                             "max_overflow": 10})

    db.init_app(app)
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
    core_cli.register(app)

    if app.config["SCHEDULER_ENABLED"] and not app.config.get("TESTING") and os.environ.get("LENTERA_NO_SCHEDULER") != "1":
        from app.jobs.operations import start_scheduler

        start_scheduler(app)
    return app


