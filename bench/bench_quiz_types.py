"""Quiz engine at Moodle parity (issue 16), two figures in one run:

1. importing a 5,000-question Moodle XML bank (every importable type, with embedded pictures):
   parse time, save time and peak Python memory, in one request's way (all-or-nothing) and as
   the background job (steps of 200 questions, one short transaction each; the longest step is
   the longest any learner's write can wait on SQLite);
2. the attempt page (`GET /percobaan/<id>`) of a 20-question quiz mixing every type (multiple
   choice, true/false, short answer, numerical with units, matching, essay, select missing
   words, drag and drop into text, ordering, cloze, calculated simple, description) for 20 learners under gunicorn
   with 2 workers, beside the bare Flask ceiling measured in the same run, and marking such an
   attempt in-process.

Run: `.venv/bin/python -m bench.bench_quiz_types` (BENCH_DB=sqlite for the embedded database).
"""

from __future__ import annotations

import base64
import os
import time
import tracemalloc

from bench.bench_quizzes import load_many
from bench.harness import Database, Figure, Server, default_seconds, load, login_cookie
from tests.quizzes_fixtures import EVERY_TYPE_TEMPLATES, every_type_bank_xml

WORKERS = 2
LEARNERS = 20
PASSWORD = "lentera123"
PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                                     "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4c00000000049454e44ae426082"))

#: The tests' bank of every type, its multiple choice with an embedded picture (the import's
#: files are part of what is measured).
TEMPLATES = [
    '<question type="multichoice"><name><text>mc{i}</text></name><questiontext format="html"><text><![CDATA['
    '<p>Soal {i} <img src="@@PLUGINFILE@@/p{k}.png"></p>]]></text><file name="p{k}.png" encoding="base64">'
    + PNG.decode() + '</file></questiontext><single>true</single>'
    '<answer fraction="100"><text>benar</text></answer><answer fraction="0"><text>salah</text></answer>'
    '<answer fraction="0"><text>keliru</text></answer></question>',
    *EVERY_TYPE_TEMPLATES[1:],
]


def bank_xml(n: int) -> bytes:
    return every_type_bank_xml(n, TEMPLATES, category="Bench")


def import_figures(database: Database, n: int = 5000) -> None:
    from sqlalchemy import event

    from app import create_app
    from app.courses.models import Course
    from app.extensions import db
    from app.jobs.operations import run_pending
    from app.quizzes import operations as ops

    data = bank_xml(n)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    with app.app_context():
        # how long each transaction held the write lock: from its first write to its commit
        first_write: list[float] = []
        holds: list[float] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _write(conn, cursor, statement, *args):
            if not first_write and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                first_write.append(time.perf_counter())

        @event.listens_for(db.engine, "commit")
        def _commit(conn):
            if first_write:
                holds.append(time.perf_counter() - first_write.pop())

        tracemalloc.start()
        parsed = ops.parse_questions(data, "xml")
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"parsing a {n:,}-question Moodle XML bank ({len(data) / 1e6:.1f} MB): peak Python memory "
              f"{peak / 1e6:.0f} MB for {len(parsed.questions):,} questions read, {len(parsed.problems)} refused")
        for label in ("in one request", "as a job"):
            course = Course(code=f"BENCH-IMPOR-{label[:5]}", title="Impor bench", published=True)
            db.session.add(course)
            db.session.commit()
            holds.clear()
            start = time.perf_counter()
            if label == "in one request":
                imported = len(ops.import_bank(course, data, "xml").questions)
                db.session.commit()
            else:
                job = ops.start_import_job(course, data, "xml", by=None)
                db.session.commit()
                run_pending(kinds=[ops.IMPORT_JOB])
                db.session.refresh(job)
                imported = (job.result or {}).get("imported", 0)
            total = time.perf_counter() - start
            print(f"import {label} ({database.kind}): {imported:,} questions in {total:.1f} s "
                  f"({imported / total:,.0f} questions/s); longest write-lock hold {max(holds) * 1000:,.0f} ms "
                  f"over {len(holds)} transactions")
        db.session.remove()
        db.engine.dispose()


STATE: dict = {}


def setup(app) -> None:
    from werkzeug.security import generate_password_hash

    from app.accounts import operations as acc
    from app.courses.models import Activity, Course, Section
    from app.courses.operations import enrol
    from app.extensions import db
    from app.quizzes import operations as ops

    course = Course(code="BENCH-JENIS", title="Kuis semua jenis", published=True)
    section = Section(course=course, title="Bagian", position=0)
    activity = Activity(course=course, section=section, type="quiz", title="Kuis 20 soal campur", position=0)
    db.session.add_all([course, section, activity])
    db.session.flush()
    xml = bank_xml(19).replace(b"</quiz>", b'<question type="description"><name><text>intro</text></name>'
                                            b"<questiontext><text>Bacalah.</text></questiontext></question></quiz>")
    report = ops.import_bank(course, xml, "xml")
    assert len(report.questions) == 20, report.skipped
    quiz = ops.get_or_create_quiz(activity)
    ops.update_quiz(quiz, pass_percent=70, shuffle_choices=True, time_limit_minutes=120)
    ops.set_slots(quiz, question_ids=[q.id for q in report.questions])
    pw_hash = generate_password_hash(PASSWORD)
    users = []
    for i in range(LEARNERS):
        user = acc.create_user(f"jenis{i:03d}", name=f"Peserta Jenis {i}")
        user.password_hash = pw_hash
        enrol(course, user)
        users.append(user)
    db.session.flush()
    STATE["attempts"] = {u.username: ops.start_attempt(quiz, u).id for u in users}
    db.session.commit()


def marking(database: Database, seconds: float = 3.0) -> float:
    from app import create_app
    from app.extensions import db
    from app.quizzes import grading, qtypes
    from app.quizzes.models import Attempt, Question

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    with app.app_context():
        attempt = db.session.get(Attempt, next(iter(STATE["attempts"].values())))
        qs = list(db.session.scalars(db.select(Question).where(Question.id.in_([e["q"] for e in attempt.layout]))))
        responses = {"multichoice": "1", "truefalse": True, "shortanswer": "jawab", "numerical": "3 m",
                     "matching": {"1": "c1"}, "essay": "teks", "gapselect": {"1": None}, "ddwtos": {},
                     "ordering": ["1", "2", "3"], "multianswer": {"1": "Jakarta"}, "description": None,
                     "calculatedsimple": "12,5 m"}
        entries = {e["q"]: e for e in attempt.layout}
        # each question as this attempt sees it (a calculated question with its drawn values)
        items = [(q.type, qtypes.get(q.type).attempt_data(q.data, entries[q.id]), responses[q.type]) for q in qs]
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for t, d, r in items:
                grading.grade(t, d, grading.check_response(t, d, r))
            n += 1
        db.session.remove()
        db.engine.dispose()
    return n / (time.perf_counter() - start)


def run() -> list[Figure]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            reqs = [(f"/percobaan/{aid}", login_cookie(server.url, username, PASSWORD))
                    for username, aid in STATE["attempts"].items()]
            ceiling = load(bare.url + "/", connections=LEARNERS, seconds=seconds)
            result = load_many(server.url, reqs, connections=LEARNERS, seconds=seconds)
            fig = Figure(f"attempt page, 20 questions of every type, {LEARNERS} learners ({kind})", result, ceiling,
                         workers=WORKERS, database=kind)
            figures.append(fig)
            print(fig.line())
        print(f"marking a 20-question attempt of every type: {marking(database):,.0f} attempts/s in-process")
        import_figures(database)
    return figures


if __name__ == "__main__":
    run()
