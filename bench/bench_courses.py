"""Course engine benchmark: the course page and "Kursus saya" for a learner enrolled in 30
courses, under gunicorn (2 workers, 20 concurrent connections), beside the bare-Flask ceiling
measured in the same run. Goal (issue 3): course page ≥ 200 req/s with p95 < 150 ms.

Run: `.venv/bin/python -m bench.bench_courses` (BENCH_DB=sqlite for the embedded database).
"""

from __future__ import annotations

import os
import re

from bench.harness import Database, Figure, Server, default_seconds, fetch, load, login_cookie, seed_demo

WORKERS = 2
CONNECTIONS = 20
COURSES = 30
TYPES = ["lesson", "lesson", "file", "link", "lesson", "quiz", "lesson", "classroom"]


def setup(app) -> None:
    """The demo data (three shipped courses), then 27 more so that `peserta` is enrolled in 30,
    each with two sections of eight activities, about a third of them done."""
    from app.accounts.queries import user_by_username
    from app.courses import operations as ops
    from app.courses.models import Activity, Course, Enrolment
    from app.extensions import db

    seed_demo(app)
    learner = user_by_username("peserta")
    owner = user_by_username("instruktur")
    for i in range(COURSES - 3):
        course = ops.create_course(owner, code=f"BENCH-{i:02d}", title=f"Kursus uji beban {i + 1}",
                                   summary="Kursus untuk mengukur kinerja halaman.", jp="2", mode="online",
                                   self_enrol=True, published=True, competencies=[("TEK-LITDIG", 1)])
        for s in range(2):
            section = ops.add_section(course, f"Bagian {s + 1}")
            for j, t in enumerate(TYPES):
                settings = {"url": "https://jdih.go.id"} if t == "link" else {"minutes": 60} if t == "classroom" else {}
                db.session.add(Activity(course=course, section=section, position=j, type=t, title=f"Aktivitas {s}.{j}",
                                        body="<p>Isi materi.</p>" * 20, settings=settings))
        db.session.flush()
    for course in db.session.query(Course).all():
        if db.session.query(Enrolment).filter_by(course_id=course.id, user_id=learner.id).first() is None:
            ops.enrol(course, learner)
        for a in [a for s in course.sections for a in s.activities if a.type == "lesson"][:3]:
            ops.complete_activity(learner, a)
    db.session.commit()


def run() -> list[Figure]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            cookie = login_cookie(server.url, "peserta", "lentera123")
            _status, body = fetch(server.url + "/kursus-saya", headers=cookie)
            course_ids = re.findall(rb'href="/kursus/(\d+)"', body)
            assert len(set(course_ids)) == COURSES, f"peserta should see {COURSES} courses, saw {len(set(course_ids))}"
            litdig = course_ids[0].decode()
            cases = [("course page, learner in 30 courses (GET /kursus/<id>)", f"{server.url}/kursus/{litdig}"),
                     ('"Kursus saya", 30 courses with progress (GET /kursus-saya)', server.url + "/kursus-saya")]
            for name, url in cases:
                # The ceiling right before each figure: on a shared machine the load drifts.
                ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
                result = load(url, connections=CONNECTIONS, seconds=seconds, headers=cookie)
                figures.append(Figure(name, result, ceiling, workers=WORKERS, database=kind))
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.line())
        goal = "met" if fig.result.rps >= 200 and fig.result.p95_ms < 150 else "NOT met"
        print(f"  goal (>= 200 req/s, p95 < 150 ms): {goal}")
