"""SCORM and xAPI (issue 21).

1. SCORM commits: LMSCommit as the player sends it (the flat CMI of a SCO with 50 interactions,
   POSTed to the sandboxed content path's commit URL) under gunicorn with 20 connections, beside
   the bare-Flask ceiling measured right before it; and the same through the REST API's PUT.
   One learner and one SCO: every commit locks the same state row, the worst case.
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

from bench.harness import Check, Database, Figure, Server, api_token, default_seconds, fetch, load, seed_demo

WORKERS = 2
CONNECTIONS = 20
INTERACTIONS = 50


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

    add_activity_from_spec(course.sections[0], {"type": "scorm", "title": "Modul bench", "package": "paket.zip"},
                           _Reader(single_sco()))
    db.session.commit()


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
            result = load(commit_url, connections=CONNECTIONS, seconds=seconds, method="POST", body=body,
                          headers={"Content-Type": "text/plain;charset=UTF-8"})
            figures.append(Figure(f"LMSCommit with {INTERACTIONS} interactions (player's commit URL)", result, ceiling,
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
