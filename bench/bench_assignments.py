"""Assignments and grade book benchmark (issue 17), measured in one run:

1. the grader page (`GET /tugas/<id>/penilaian`) of an assignment with 500 submissions, for the
   instructor, under gunicorn with 2 workers, beside the bare Flask ceiling measured right before;
2. the grade book (`GET /kursus/<id>/nilai`, a page of 100 learners) of a 500-learner course with 20 graded items
   (10 quizzes, 10 assignments), likewise;
3. the grade book's query count for 100 and for 500 learners: it must be the same (flat);
4. the download-all ZIP of the 500 submissions (one 64 KB PDF and a text each): time, size and
   the peak of Python memory while it is written.

Run: `.venv/bin/python -m bench.bench_assignments` (BENCH_DB=sqlite for the embedded database).
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc

from bench.harness import Check, Database, Figure, Server, default_seconds, load, login_cookie, seed_demo

WORKERS = 2
LEARNERS = 500
QUIZZES = 10
ASSIGNMENTS = 10
PASSWORD = "lentera123"
FILE_BYTES = 64 * 1024
STATE: dict = {}


def setup(app) -> None:
    """The demo site, and a course taught by `instruktur` with 500 learners, 10 quizzes and 10
    assignments, every item graded for every learner; the first assignment's work has files."""
    from decimal import Decimal

    from werkzeug.security import generate_password_hash

    from app.accounts import operations as acc
    from app.accounts.models import User, utcnow
    from app.assignments import operations as aops
    from app.assignments.models import Submission, SubmissionFile
    from app.courses.models import Activity, Course, Enrolment, Section
    from app.extensions import db
    from app.quizzes import operations as qops
    from app.quizzes.models import Attempt
    from app.storage import get_storage

    seed_demo(app)
    owner = db.session.scalar(db.select(User).where(User.username == "instruktur"))
    course = Course(code="BENCH-NILAI", title="Buku nilai bench", published=True, owner=owner, jp=Decimal(4))
    section = Section(course=course, title="Bagian", position=0)
    db.session.add_all([course, section])
    acts = []
    for i in range(QUIZZES + ASSIGNMENTS):
        kind = "quiz" if i < QUIZZES else "assignment"
        a = Activity(course=course, section=section, type=kind, title=f"{'Kuis' if kind == 'quiz' else 'Tugas'} {i + 1}",
                     position=i, required=False, settings={})
        db.session.add(a)
        acts.append(a)
    db.session.flush()
    quizzes = [qops.get_or_create_quiz(a) for a in acts[:QUIZZES]]
    assignments = [aops.get_or_create_assignment(a) for a in acts[QUIZZES:]]
    pw_hash = generate_password_hash(PASSWORD)
    users = []
    for i in range(LEARNERS):
        u = acc.create_user(f"nilai{i:03d}", name=f"Peserta Nilai {i:03d}")
        u.password_hash = pw_hash
        users.append(u)
    db.session.flush()
    now = utcnow()
    db.session.add_all([Enrolment(course_id=course.id, user_id=u.id, method="manual") for u in users])
    db.session.add_all([Attempt(quiz_id=q.id, user_id=u.id, number=1, state="finished", score=float(5 + (u.id + j) % 6),
                                max_score=10.0, passed=True, layout=[], started_at=now, finished_at=now)
                        for j, q in enumerate(quizzes) for u in users])
    store = get_storage()
    pdf = b"%PDF-1.4\n" + os.urandom(FILE_BYTES - 9)
    for j, a in enumerate(assignments):
        for u in users:
            sub = Submission(assignment_id=a.id, user_id=u.id, attempt=1, latest=True, status="submitted",
                             text=f"<p>Laporan {u.name}</p>", submitted_at=now, late=u.id % 7 == 0,
                             grade=Decimal(50 + (u.id * 3 + j) % 50), marking_state="released", released_at=now,
                             rubric_choice={}, feedback="")
            db.session.add(sub)
            if j == 0:
                key = f"assignments/{a.id}/{u.id}/bench-laporan.pdf"
                store.put_bytes(key, pdf)
                sub.files.append(SubmissionFile(name="laporan.pdf", size=len(pdf), kind="pdf", key=key))
    db.session.commit()
    STATE.update(course_id=course.id, assignment_id=assignments[0].id, user_ids=[u.id for u in users])


def _app(database: Database):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                       "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})


def query_counts(database: Database) -> Check:
    from sqlalchemy import event

    from app.courses.models import Course
    from app.extensions import db
    from app.grades.queries import gradebook

    app = _app(database)
    counts = {}
    with app.app_context():
        course = db.session.get(Course, STATE["course_id"])
        for n in (100, LEARNERS):
            db.session.expire_all()
            seen = {"q": 0}

            def counter(*_a, seen=seen, **_k):
                seen["q"] += 1

            event.listen(db.engine, "before_cursor_execute", counter)
            try:
                book = gradebook(course, user_ids=STATE["user_ids"][:n] if n < LEARNERS else None)
            finally:
                event.remove(db.engine, "before_cursor_execute", counter)
            assert len(book.rows) == n and len(book.items) == QUIZZES + ASSIGNMENTS
            counts[n] = seen["q"]
        db.session.remove()
    return Check("grade book queries (100 vs 500 learners, 20 items)", counts[100] == counts[LEARNERS],
                 f"{counts[100]} queries for 100 learners, {counts[LEARNERS]} for {LEARNERS}")


def zip_all(database: Database) -> Check:
    from app.assignments import operations as aops
    from app.assignments import queries as aq
    from app.assignments.models import Assignment
    from app.extensions import db

    app = _app(database)
    with app.app_context(), app.test_request_context():
        a = db.session.get(Assignment, STATE["assignment_id"])
        from app.accounts.queries import Reach

        rows = aq.grader_rows(a, Reach(everything=True), with_text=True)
        with tempfile.TemporaryFile() as out:
            tracemalloc.start()
            start = time.perf_counter()
            n = aops.write_all_submissions(a, rows, out)
            elapsed = time.perf_counter() - start
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = out.tell()
        db.session.remove()
    raw = LEARNERS * FILE_BYTES
    return Check("download-all ZIP of 500 submissions", n == LEARNERS and peak < raw / 4,
                 f"{n} learners, {size / 1e6:.1f} MB in {elapsed:.2f} s; peak Python memory "
                 f"{peak / 1e6:.1f} MB for {raw / 1e6:.0f} MB of files")


def run() -> list:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    out: list = []
    with Database(kind) as database:
        database.prepare(setup)
        out.append(query_counts(database))
        out.append(zip_all(database))
        with Server("wsgi:app", workers=WORKERS, database=database) as server:
            headers = login_cookie(server.url, "instruktur", PASSWORD)
            for name, path in (("grader page, 500 submissions", f"/tugas/{STATE['assignment_id']}/penilaian"),
                               ("grade book page (100 of 500 learners x 20 items)", f"/kursus/{STATE['course_id']}/nilai")):
                with Server("bench.bare_app:app", workers=WORKERS) as bare:
                    ceiling = load(bare.url + "/", connections=4, seconds=seconds)
                result = load(server.url + path, connections=4, seconds=seconds, headers=headers)
                out.append(Figure(name, result, ceiling, workers=WORKERS, database=kind))
    return out


if __name__ == "__main__":
    for f in run():
        print(f.line())
