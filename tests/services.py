"""Real services for the tests: a throwaway PostgreSQL cluster, moto's S3 server, an SMTP sink.

Each is started on a free local port and stopped at the end of the session. `make test`
installs the programs (Debian's postgresql, moto[server], aiosmtpd); here we only run them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"service on port {port} did not start within {timeout}s")


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(f"PostgreSQL's {name} was not found: run `make test`, which installs Debian's postgresql")


class PostgresServer:
    """initdb + postgres on a free port, as an unprivileged user when we are root (initdb refuses root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lentera-pg-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            user = "postgres"
            try:
                pwd.getpwnam(user)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
            shutil.chown(self.dir, user)
            os.chmod(self.dir, 0o700)
            self.run_as = ["runuser", "-u", user, "--"]

    def start(self) -> str:
        subprocess.run(self.run_as + [_pg_bin("initdb"), "-D", str(self.dir / "data"), "-U", "lentera",
                                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._launch()
        self._wait_ready()
        return f"postgresql+psycopg://lentera@127.0.0.1:{self.port}/postgres"

    def _launch(self) -> None:
        # The log is appended to: after a halt and restart it still holds what the first run logged.
        self.proc = subprocess.Popen(
            self.run_as + [_pg_bin("postgres"), "-D", str(self.dir / "data"), "-p", str(self.port),
                           "-k", str(self.dir), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                           "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "server.log", "ab"))
        _wait_port(self.port)

    def halt(self, mode: str = "fast") -> None:
        """Stop the server but keep its data, as an operator or a crash would (`pg_ctl stop -m
        fast`: open sessions are cut off, committed work is checkpointed). `restart()` brings it
        back on the same port, so a running app sees an outage and not a new database."""
        subprocess.run(self.run_as + [_pg_bin("pg_ctl"), "stop", "-D", str(self.dir / "data"), "-m", mode, "-w",
                                      "-t", "60"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if self.proc:
            self.proc.wait(30)

    def restart(self, timeout: float = 60.0) -> None:
        """Start the halted server again; returns once it accepts sessions."""
        self._launch()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float = 60.0) -> None:
        """Returns once the server accepts sessions (not merely the port: right after the port
        opens it still answers "the database system is starting up", longer on a loaded machine)."""
        import psycopg

        deadline = time.time() + timeout
        while True:
            try:
                psycopg.connect(f"postgresql://lentera@127.0.0.1:{self.port}/postgres", connect_timeout=5).close()
                return
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def log_path(self) -> Path:
        return self.dir / "server.log"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://lentera@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://lentera@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class MotoServer:
    """moto's S3-compatible HTTP server (moto[server])."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on localhost that keeps every message it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list = []
        self.controller = None

    def start(self) -> tuple[str, int]:
        from email import message_from_bytes

        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.content)
                sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": msg})
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return "127.0.0.1", self.port

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()


# --- processes (Linux /proc): what a server under test has running ------------------------------

def proc_stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, parent pid, process group, start time in clock ticks) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def processes() -> dict[int, tuple[str, int, int, int]]:
    """Every living process: pid → `proc_stat`."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := proc_stat(int(name))) is not None and st[0] != "Z":
            found[int(name)] = st
    return found


def live_workers(master: int) -> list[int]:
    """gunicorn's workers (the master's living children), oldest first."""
    procs = processes()
    return sorted((pid for pid, st in procs.items() if st[1] == master), key=lambda pid: procs[pid][3])


def group_members(pgid: int) -> list[int]:
    return [pid for pid, st in processes().items() if st[2] == pgid]


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""
