"""The scale-out shape, as README documents it: `make run-prod` — gunicorn with several workers
on PostgreSQL and S3-compatible storage (moto's server). Every worker serves; exactly one of them
runs the scheduler (a database lock); when that worker dies, another takes the lock over without
anyone restarting anything; files uploaded through any worker land in the bucket."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from tests.services import command_of, free_port, group_members, live_workers, proc_stat

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3


pytestmark = pytest.mark.slow  # gunicorn workers, PostgreSQL and moto started for real


def _gunicorn_master(session: int) -> int | None:
    """The gunicorn arbiter `make run-prod` started: of the session's processes running gunicorn
    (not the shell of make's recipe, whose command line merely names it), the one whose parent
    is not a gunicorn (the workers' parent is)."""
    members = {pid: proc_stat(pid) for pid in group_members(session)}
    gunicorns = {pid for pid in members if any(w.endswith("gunicorn") for w in command_of(pid).split()[:2])}
    return next((pid for pid in gunicorns if members[pid] and members[pid][1] not in gunicorns), None)


def _health(base: str) -> dict:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_make_run_prod_scales_out_with_one_scheduler_and_s3(pg_server, s3_endpoint, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bucket = f"lentera-scaleout-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": pg_server.create_database(f"scaleout_{uuid.uuid4().hex[:8]}"),
           "LENTERA_STORAGE": "s3", "S3_ENDPOINT_URL": s3_endpoint, "S3_BUCKET": bucket,
           "AWS_ACCESS_KEY_ID": "uji", "AWS_SECRET_ACCESS_KEY": "rahasia-uji", "AWS_DEFAULT_REGION": "us-east-1",
           "SECRET_KEY": "scale-out-secret", "LENTERA_INSTANCE_PATH": str(tmp_path / "instance"),
           "WORKERS": str(WORKERS), "PORT": str(port)}
    for name in ("LENTERA_NO_SCHEDULER", "LENTERA_SCHEDULER", "LENTERA_STORAGE_PATH"):
        env.pop(name, None)
    log = tmp_path / "run-prod.log"
    proc = subprocess.Popen(["make", "-s", "run-prod"], cwd=ROOT, env=env, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up():
            if proc.poll() is not None:
                raise AssertionError(f"make run-prod exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                return _health(base).get("status") == "ok"
            except OSError:
                return False

        _wait(up, 180, "make run-prod to serve /healthz")
        master = _gunicorn_master(proc.pid)
        assert master, log.read_text()[-2000:]
        workers = _wait(lambda: (w := live_workers(master)) and len(w) == WORKERS and w, 30, "the workers")

        report = _health(base)
        assert report["database"] == "ok" and report["storage"] == "ok (s3)", report
        # Each worker starts its scheduler with its first request; many requests reach them all.
        holder = _wait(lambda: (s := _health(base)["scheduler"])["alive"] and s["holder"], 30, "a scheduler")
        holders = {_health(base)["scheduler"]["holder"] for _ in range(40)}
        assert holders == {holder}, holders  # one scheduler, whichever worker answers
        holder_pid = int(holder.rsplit(":", 1)[1])
        assert holder_pid in workers

        # A file sent to the app is kept in the bucket: a learner's claim evidence.
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "users", "create", "pegawai",
                        "--password", "rahasia-pegawai-1", "--name", "Pegawai Uji"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        s = requests.Session()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(base + "/masuk").text).group(1)
        r = s.post(base + "/masuk", data={"csrf_token": token, "username": "pegawai",
                                          "password": "rahasia-pegawai-1"}, allow_redirects=False)
        assert r.status_code == 302, r.text[:500]
        form = s.get(base + "/jp/klaim/baru").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        r = s.post(base + "/jp/klaim/baru", allow_redirects=False,
                   data={"csrf_token": token, "rule": "NKL01", "title": "Coaching penyusunan SOP",
                         "organiser": "Inspektorat", "start_date": "2026-01-05", "end_date": "2026-01-05",
                         "minutes": "90"},
                   files={"evidence": ("bukti.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
        assert r.status_code == 302, r.text[:800]
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="uji", aws_secret_access_key="rahasia-uji")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert any(k.startswith("ledger/claims/") for k in keys), keys
        assert not (tmp_path / "instance" / "storage").exists() or not any((tmp_path / "instance" / "storage").rglob("*.pdf"))

        # The scheduler's worker dies: gunicorn replaces it, and another worker takes the lock over
        # once it lapses — nobody restarts anything.
        os.kill(holder_pid, signal.SIGKILL)

        def taken_over():
            for _ in range(WORKERS * 2):  # reach every worker so each has started its scheduler
                state = _health(base)["scheduler"]
            return state["alive"] and state["holder"] != holder and state["holder"]

        new_holder = _wait(taken_over, 90, "another worker to take the scheduler over")
        assert int(new_holder.rsplit(":", 1)[1]) in live_workers(master)
        assert {_health(base)["scheduler"]["holder"] for _ in range(20)} == {new_holder}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
