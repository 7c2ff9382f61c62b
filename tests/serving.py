"""A throwaway database and the app under gunicorn, for what plays against a real server: the
realistic-day test (tests/load_day.py) and every benchmark (bench/harness.py re-exports these).
They live here, not in bench/, because a test must not depend on bench/ — bench depends on this.

    with Database("postgresql") as database:
        database.prepare(setup)                     # migrations, then setup(app) in an app context
        with Server("wsgi:app", workers=2, database=database) as server:
            status, body = fetch(server.url + "/masuk")
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.services import PostgresServer, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key"


# --- the database ---------------------------------------------------------------------------

class Database:
    """A throwaway database: a SQLite file or a PostgreSQL cluster on a free port.

    `prepare(setup)` runs the Alembic migrations (every head) and then `setup(app)` inside an
    application context; whatever `setup` adds must be committed by it.
    """

    def __init__(self, kind: str = "sqlite") -> None:
        if kind not in {"sqlite", "postgresql"}:
            raise ValueError(f"unknown database kind {kind!r}")
        self.kind = kind
        self.dir = Path(tempfile.mkdtemp(prefix=f"lentera-bench-{kind}-"))
        self.instance_path = self.dir / "instance"
        self.storage_path = self.dir / "storage"
        self.url = ""
        self._pg: PostgresServer | None = None

    def __enter__(self) -> Database:
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.storage_path.mkdir(parents=True, exist_ok=True)
        if self.kind == "sqlite":
            self.url = f"sqlite:///{self.instance_path / 'bench.db'}"
        else:
            self._pg = PostgresServer()
            self._pg.start()
            self.url = self._pg.create_database("bench")
        return self

    def __exit__(self, *exc) -> None:
        if self._pg:
            self._pg.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The environment the app needs to use this database (for gunicorn)."""
        return {
            "DATABASE_URL": self.url,
            "LENTERA_INSTANCE_PATH": str(self.instance_path),
            "LENTERA_STORAGE_PATH": str(self.storage_path),
            "SECRET_KEY": SECRET_KEY,
            "LENTERA_NO_SCHEDULER": "1",
            "LENTERA_SCHEDULER": "0",
        }

    def prepare(self, setup: Callable | None = None) -> None:
        import flask_migrate

        from app import create_app
        from app.extensions import db

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": self.url,
            "INSTANCE_PATH": str(self.instance_path),
            "LENTERA_STORAGE_PATH": str(self.storage_path),
            "SECRET_KEY": SECRET_KEY,
            "SCHEDULER_ENABLED": False,
        })
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            if setup is not None:
                setup(app)
                db.session.commit()
            db.session.remove()
            db.engine.dispose()


def seed_demo(app) -> None:
    """A ready-made setup: the demo organisation, users and courses (`flask seed-demo`)."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    if result.exit_code != 0:
        raise RuntimeError(f"seed-demo failed: {result.output}\n{result.exception!r}")


# --- the server -----------------------------------------------------------------------------

class Server:
    """`gunicorn -w N -b 127.0.0.1:PORT <app>` run from the repository root, stopped on exit."""

    def __init__(self, app_spec: str = "wsgi:app", workers: int = 2, database: Database | None = None,
                 extra_env: dict[str, str] | None = None, ready_path: str = "/") -> None:
        self.app_spec = app_spec
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(database.env() if database else {"LENTERA_NO_SCHEDULER": "1", "SECRET_KEY": SECRET_KEY})
        self.env.update(extra_env or {})
        self.ready_path = ready_path
        self.log = Path(tempfile.mkstemp(prefix="lentera-bench-gunicorn-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
               "--log-level", "warning", self.app_spec]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "wb"), start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app_spec} exited:\n{self.log.read_text()[-3000:]}")
            try:
                status, _ = fetch(self.url + self.ready_path)
                if status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn {self.app_spec} did not answer within 60 s:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn's arbiter stops its workers
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.unlink(missing_ok=True)


# --- one request -----------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None,
          opener: urllib.request.OpenerDirector | None = None, method: str | None = None) -> tuple[int, bytes]:
    """One request without following redirects: (status, body)."""
    opener = opener or urllib.request.build_opener(_NoRedirect)
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- a verdict ------------------------------------------------------------------------------

@dataclass
class Check:
    """A scenario with a verdict rather than a rate (a fault injected, a load day played): what
    was done, whether every invariant held afterwards, and the counts that show it."""

    name: str
    ok: bool
    summary: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: {'PASS' if self.ok else 'FAIL'} — {self.summary}"
