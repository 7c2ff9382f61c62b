"""Jobs: run, fail with a reason, retry, resume after a crash; one scheduler across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from app.accounts.models import utcnow
from app.extensions import db
from app.jobs import operations as jobs
from app.jobs.models import Job


@jobs.handler("test-double")
def _double(job: Job) -> dict:
    jobs.report_progress(job, 50, "setengah")
    return {"value": job.payload["n"] * 2}


@jobs.handler("test-flaky")
def _flaky(job: Job) -> None:
    if job.attempts < 2:
        raise RuntimeError("gangguan sementara")


@jobs.handler("test-broken")
def _broken(job: Job) -> None:
    raise jobs.JobFailed("Berkas video rusak.")


def test_job_runs_and_records_result(app):
    job = jobs.enqueue("test-double", {"n": 21})
    db.session.commit()
    assert jobs.run_pending(kinds=["test-double"]) == 1
    job = db.session.get(Job, job.id)
    assert job.state == "done" and job.progress == 100 and job.result == {"value": 42}


def test_dedupe_key_returns_the_same_job(app):
    a = jobs.enqueue("test-double", {"n": 1}, dedupe_key="sama")
    b = jobs.enqueue("test-double", {"n": 2}, dedupe_key="sama")
    assert a.id == b.id


def test_transient_failure_is_retried_then_succeeds(app):
    job = jobs.enqueue("test-flaky")
    db.session.commit()
    jobs.run_pending(kinds=["test-flaky"])
    job = db.session.get(Job, job.id)
    assert job.state == "queued" and "gangguan" in job.message
    job.run_after = utcnow()
    db.session.commit()
    jobs.run_pending(kinds=["test-flaky"])
    assert db.session.get(Job, job.id).state == "done"


def test_final_failure_keeps_its_reason_and_can_be_retried(app):
    job = jobs.enqueue("test-broken")
    db.session.commit()
    jobs.run_pending(kinds=["test-broken"])
    job = db.session.get(Job, job.id)
    assert job.state == "failed" and job.message == "Berkas video rusak."
    jobs.retry(job)
    db.session.commit()
    assert db.session.get(Job, job.id).state == "queued"


def test_job_of_a_dead_worker_is_taken_over(app):
    job = jobs.enqueue("test-double", {"n": 5})
    db.session.flush()
    job.state, job.owner = "running", "dead-host:1"
    job.heartbeat_at = utcnow() - timedelta(seconds=jobs.STALE_SECONDS + 5)
    db.session.commit()
    assert jobs.run_pending(kinds=["test-double"]) == 1
    job = db.session.get(Job, job.id)
    assert job.state == "done" and job.owner == jobs.RUNNER_ID and job.attempts == 1


def test_running_job_with_fresh_heartbeat_is_left_alone(app):
    job = jobs.enqueue("test-double", {"n": 5})
    db.session.flush()
    job.state, job.owner, job.heartbeat_at = "running", "other:2", utcnow()
    db.session.commit()
    assert jobs.run_pending(kinds=["test-double"]) == 0


def test_scheduler_lock_has_one_holder(app):
    assert jobs.acquire_scheduler_lock(holder="A")
    assert jobs.acquire_scheduler_lock(holder="A")  # renewal
    assert not jobs.acquire_scheduler_lock(holder="B")
    lock = jobs.scheduler_holder()
    lock.expires_at = utcnow() - timedelta(seconds=1)  # A died and stopped renewing
    db.session.commit()
    assert jobs.acquire_scheduler_lock(holder="B")
    assert not jobs.acquire_scheduler_lock(holder="A")


@pytest.mark.slow  # two fresh interpreters import the app (a minute on a loaded machine)
def test_two_app_processes_elect_exactly_one_scheduler(app, tmp_path):
    """Two real processes race for the lock for a few seconds: at every moment one holds it."""
    url = db.engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(f"""
        import json, sys, time
        from app import create_app
        from app.jobs.operations import acquire_scheduler_lock
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "TESTING": True,
                           "INSTANCE_PATH": {str(tmp_path)!r}, "LENTERA_STORAGE_PATH": {str(tmp_path / 's')!r}}})
        won = []
        with app.app_context():
            end = time.time() + 3
            while time.time() < end:
                won.append([time.time(), acquire_scheduler_lock(holder=sys.argv[1])])
                time.sleep(0.05)
        print(json.dumps(won))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name], stdout=subprocess.PIPE, text=True)
             for name in ("worker-1", "worker-2")]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    wins = [sum(1 for _, ok in r if ok) for r in results]
    assert sorted(w > 0 for w in wins) == [False, True], wins  # one process led, the other never did
    leader = results[wins.index(max(wins))]
    assert all(ok for _, ok in leader)  # and it kept the lock the whole time
