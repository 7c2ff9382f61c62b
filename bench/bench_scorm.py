"""SCORM and xAPI (issue 21).

1. SCORM commits: LMSCommit as the player sends it (the flat CMI of a SCO with 50 interactions,
   POSTed to the sandboxed content path's commit URL) under gunicorn with 20 connections, beside
   the bare-Flask ceiling measured right before it: 40 learners committing in turn (each their
   own state row, as in a class), one learner alone (every commit locks the same row: the worst
   case), and the same body through the REST API's PUT.
2. xAPI: 10,000 queued statements drained to a real LRS (Ralph, as in the tests); the LRS is
   stopped for 30 s once 3,000 have gone. Reported: the time, and whether the LRS holds exactly
   the 10,000 (none lost, none twice).

Run: `.venv/bin/python -m bench.bench_scorm` (BENCH_DB=sqlite for the embedded database;
BENCH_SECONDS per figure, default 10; BENCH_XAPI_STATEMENTS, default 10000;
BENCH_LRS_OUTAGE seconds, default 30).
"""

from __future__ import annotations

import json
import os
import threading
import time

from bench.harness import (
    Check,
    Database,
    Figure,
    Result,
    Server,
    api_token,
    default_seconds,
    fetch,
    load,
    seed_demo,
)

WORKERS = 2
CONNECTIONS = 20
INTERACTIONS = 50
LEARNERS = 40
#: commit paths of LEARNERS learners, each with their own attempt (made by setup, same process)
COMMIT_PATHS: list[str] = []


def setup(app) -> None:
    """The demo data plus a course with one SCORM activity the demo learner is enrolled in."""
    from app.accounts.queries import user_by_username
    from app.courses.package import add_activity_from_spec
    from app.extensions import db
    from tests.factories import enrol_all, make_course
    from tests.scorm_packages import single_sco

    seed_demo(app)
    learner = user_by_username("peserta")
    course = make_course(user_by_username("instruktur"), title="Bench SCORM", jp=2,
                         activities=[{"type": "lesson", "title": "Pengantar"}])
    enrol_all(course, learner)
    db.session.flush()

    class _Reader:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def exists(self, rel: str) -> bool:
            return rel == "paket.zip"

        def read_bytes(self, rel: str) -> bytes:
            return self.data

    activity = add_activity_from_spec(course.sections[0], {"type": "scorm", "title": "Modul bench",
                                                            "package": "paket.zip"}, _Reader(single_sco()))
    db.session.commit()
    # Many learners, each committing their own SCO state (the realistic case: no shared row).
    from app.accounts.operations import create_user
    from app.scorm import operations as ops
    from app.scorm.launch import Launch, make_token
    from app.scorm.queries import package_for

    pkg = package_for(activity)
    sco = next(s for s in pkg.scos if s.launchable)
    COMMIT_PATHS.clear()
    for i in range(LEARNERS):
        user = create_user(f"bench-scorm-{i}", password="rahasia-bench-1", name=f"Peserta SCORM {i}")
        enrol_all(course, user)
        attempt = ops.current_attempt(pkg, user)
        with app.test_request_context():
            token = make_token(Launch(user.id, pkg.id, sco.id, attempt.id, f"bench{i}", False))
        COMMIT_PATHS.append(f"/scorm-konten/{token}/__lentera__/commit")
    db.session.commit()


def load_many(base_url: str, paths: list[str], body: bytes, connections: int, seconds: int) -> Result:
    """wrk POSTing `body` to each of `paths` in turn (one Lua request() hook), with the harness's
    report hook; the same figures as harness.load()."""
    import subprocess
    import tempfile
    from pathlib import Path

    from bench.harness import WRK_SCRIPT, wrk_binary

    status, answer = fetch(base_url + paths[0], data=body, headers={"Content-Type": "text/plain"})
    if status != 200:
        raise RuntimeError(f"commit answered {status}: {answer[:300]!r}")
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n")
    lua.write(f"local body = {json.dumps(body.decode())}\n")
    lua.write('local i = 0\nrequest = function()\n  i = i % #paths + 1\n'
              '  return wrk.format("POST", paths[i], {["Content-Type"] = "text/plain;charset=UTF-8"}, body)\nend\n')
    lua.write(WRK_SCRIPT.read_text())
    lua.close()
    cmd = [wrk_binary(), "-t", "2", "-c", str(connections), "--latency", "-s", lua.name, "--timeout", "10s"]
    subprocess.run(cmd + ["-d", "2s", base_url], check=True, capture_output=True)
    out = subprocess.run(cmd + ["-d", f"{seconds}s", base_url], check=True, capture_output=True, text=True).stdout
    Path(lua.name).unlink(missing_ok=True)
    data = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))[len("WRK_JSON "):])
    duration = data["duration_us"] / 1e6
    return Result(url=base_url + "/scorm-konten/…/commit", connections=connections, seconds=duration,
                  requests=data["requests"], rps=data["requests"] / duration if duration else 0.0,
                  p50_ms=data["p50"] / 1000, p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000,
                  errors=sum(data["errors"].values()), error_detail=data["errors"])


def commit_body() -> dict[str, str]:
    values = {"cmi.core.lesson_status": "incomplete", "cmi.core.lesson_location": "halaman-12",
              "cmi.suspend_data": "s" * 2000, "cmi.core.session_time": "0000:12:30.00", "cmi.core.score.raw": "64"}
    for i in range(INTERACTIONS):
        values.update({f"cmi.interactions.{i}.id": f"soal-{i}", f"cmi.interactions.{i}.type": "choice",
                       f"cmi.interactions.{i}.student_response": "b", f"cmi.interactions.{i}.result": "wrong",
                       f"cmi.interactions.{i}.time": "10:15:00", f"cmi.interactions.{i}.latency": "0000:00:12"})
    return values


def scorm_figures(kind: str, seconds: int) -> list[Figure]:
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            token = api_token(server.url, "peserta", "lentera123")
            _s, mine = fetch(server.url + "/api/v1/courses?q=Bench", headers=token)
            course_id = json.loads(mine)["items"][0]["id"]
            _s, course = fetch(f"{server.url}/api/v1/courses/{course_id}", headers=token)
            scorm_id = next(a["scorm_id"] for sec in json.loads(course)["sections"] for a in sec["activities"]
                            if a["type"] == "scorm")
            _s, pkg = fetch(f"{server.url}/api/v1/scorm/{scorm_id}", headers=token)
            sco = json.loads(pkg)["scos"][0]
            commit_url = server.url + sco["launch_url"].split("/sco/")[0] + "/__lentera__/commit"
            body = json.dumps(commit_body()).encode()
            ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
            result = load_many(server.url, COMMIT_PATHS, body, CONNECTIONS, seconds)
            figures.append(Figure(f"LMSCommit with {INTERACTIONS} interactions, {LEARNERS} learners in turn", result,
                                  ceiling, workers=WORKERS, database=kind))
            ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
            result = load(commit_url, connections=CONNECTIONS, seconds=seconds, method="POST", body=body,
                          headers={"Content-Type": "text/plain;charset=UTF-8"})
            figures.append(Figure(f"LMSCommit with {INTERACTIONS} interactions, one learner (one row: worst case)",
                                  result, ceiling,
                                  workers=WORKERS, database=kind))
            ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
            result = load(f"{server.url}/api/v1/scorm/{scorm_id}/scos/{sco['id']}/cmi", connections=CONNECTIONS,
                          seconds=seconds, method="PUT", body=body,
                          headers={**token, "Content-Type": "application/json"})
            figures.append(Figure(f"PUT cmi with {INTERACTIONS} interactions (REST API)", result, ceiling,
                                  workers=WORKERS, database=kind))
    return figures


def xapi_drain(kind: str, total: int, outage: int) -> Check:
    """Queue `total` statements, drain them to Ralph, stop Ralph for `outage` s after 30 % went."""
    import flask_migrate

    from app import create_app
    from app.accounts.operations import create_user
    from app.extensions import db
    from app.xapi import operations as xops
    from tests.lrs import KEY, SECRET, RalphLRS

    lrs = RalphLRS().start()
    try:
        with Database(kind) as database:
            app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                              "LENTERA_STORAGE_PATH": str(database.storage_path), "SECRET_KEY": "bench",
                              "SCHEDULER_ENABLED": False, "XAPI_ENDPOINT": lrs.endpoint, "XAPI_KEY": KEY,
                              "XAPI_SECRET": SECRET, "PUBLIC_BASE_URL": "https://lentera.example.go.id"})
            with app.app_context():
                flask_migrate.upgrade(revision="heads")
                learner = create_user("peserta-bench", password="rahasia-bench-1", name="Peserta Bench",
                                      nip="199001012015011001")
                db.session.flush()
                ids = []
                for i in range(total):
                    obj = xops.activity_object(f"/aktivitas/{i % 50}", f"Materi {i % 50}",
                                               "http://adlnet.gov/expapi/activities/module")
                    stmt = xops.make_statement(learner, "completed", obj, result={"completion": True})
                    xops.queue(stmt, "completed")
                    ids.append(stmt["id"])
                    if i % 1000 == 999:
                        db.session.commit()
                db.session.commit()

                posted = {"n": 0}
                real_post = xops.post_batch

                def counting_post(statements):
                    real_post(statements)
                    posted["n"] += len(statements)

                xops.post_batch = counting_post
                outage_done = threading.Event()

                def take_down():
                    while posted["n"] < total * 0.3:
                        time.sleep(0.05)
                    lrs.stop()
                    time.sleep(outage)
                    lrs.start()
                    outage_done.set()

                threading.Thread(target=take_down, daemon=True).start()
                started = time.monotonic()
                try:
                    while xops.pending_count():
                        xops.drain(budget_seconds=30)
                        db.session.commit()
                        if xops.pending_count():
                            time.sleep(0.5)  # as the follow-up job: the back-off decides the next try
                    elapsed = time.monotonic() - started
                finally:
                    xops.post_batch = real_post
                held = {s["id"] for s in lrs.statements()}
                db.session.remove()
    finally:
        lrs.close()
    lost = len(set(ids) - held)
    ok = lost == 0 and len(held) == total
    return Check(f"xAPI: {total} statements drained to Ralph LRS, LRS down {outage} s mid-way", ok,
                 f"{elapsed:.1f} s ({total / elapsed:.0f} statements/s overall incl. the outage); "
                 f"LRS holds {len(held)}, lost {lost}")


def run() -> list[Figure | Check]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    out: list[Figure | Check] = scorm_figures(kind, seconds)
    out.append(xapi_drain(kind, int(os.environ.get("BENCH_XAPI_STATEMENTS", "10000")),
                          int(os.environ.get("BENCH_LRS_OUTAGE", "30"))))
    return out


if __name__ == "__main__":
    for item in run():
        print(item.line())
