"""A real Learning Record Store for the tests and benchmarks: Ralph (ralph-malph from PyPI, in
requirements-test.txt) serving its LRS API with the file-system backend on a free port.

`stop()` and `start()` again keep the same port, data and credentials, so a test can take the
LRS down in the middle of a drain and bring it back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt
import requests

from tests.services import _wait_port, free_port

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "lentera", "rahasia-lrs-uji"


class RalphLRS:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lentera-lrs-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        (self.dir / "auth.json").write_text(json.dumps([{
            "agent": {"mbox": "mailto:lentera@example.go.id"}, "scopes": ["all"], "username": KEY,
            "hash": bcrypt.hashpw(SECRET.encode(), bcrypt.gensalt(rounds=4)).decode()}]))
        (self.dir / "data").mkdir()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    def start(self) -> RalphLRS:
        env = {**os.environ, "RALPH_AUTH_FILE": str(self.dir / "auth.json"), "RALPH_RUNSERVER_BACKEND": "fs",
               "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.dir / "data"),
               "RALPH_APP_DIR": str(self.dir), "RALPH_EXECUTION_ENVIRONMENT": "test"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ralph_server", "127.0.0.1", str(self.port)], env=env,
            cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "lrs.log", "ab"))
        _wait_port(self.port, timeout=60)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/__lbheartbeat__", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("Ralph LRS did not answer: " + (self.dir / "lrs.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def statements(self, **params) -> list[dict]:
        """Every statement the LRS holds (following `more` links)."""
        out: list[dict] = []
        url = self.endpoint + "statements"
        query = {"limit": 500, **params}
        while url:
            resp = requests.get(url, params=query, auth=(KEY, SECRET), timeout=30,
                                headers={"X-Experience-API-Version": "1.0.3"})
            resp.raise_for_status()
            body = resp.json()
            out.extend(body["statements"])
            more = body.get("more")
            url = f"http://127.0.0.1:{self.port}{more}" if more else None
            query = {}
        return out
