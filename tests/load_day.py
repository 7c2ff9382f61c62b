"""A realistic day under load (issue 10): locust plays tests/locustfile.py's people — 80 %
learners browsing, reading, watching the video lesson (heartbeats) and taking the quiz, 15 %
staff claiming external learning and fetching certificates, 5 % BPSDM on the dashboards and the
claims queue — against gunicorn (4 workers) + PostgreSQL on this machine, by default for 10
minutes with 60 people online at once, drawn from a pool of 400 learners, 80 staff with
certificates and 3 BPSDM officers.

Afterwards the database is checked against the journal of every write the server acknowledged:
each saved answer is stored as sent, each submitted attempt is graded once with the score the
learner was told, each claim exists once, each approved claim has exactly one JP entry, each
course completion has exactly one JP entry and one certificate, each video completion the player
was told of is recorded, the ledger's hash chain verifies and the monitoring aggregate equals a
recomputation from the ledger. Requests/s, p50/p95/p99 and errors per route come from locust.

The scenario lives under tests/ because both play it: tests/test_load_day.py a short day in
`make test` (so it cannot rot), bench/bench_load_day.py the ten-minute day with its figures
(`.venv/bin/python -m bench.bench_load_day [--minutes 10] [--users 60] [--database postgresql]`).
A test must not import bench/; bench may import this.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.serving import ROOT, Check, Database, Server, seed_demo

PASSWORD = "lentera123"
LEARNERS, CLAIMANTS = 400, 80
VIDEO_SECONDS = 40
GIFT = "\n\n".join([
    *(f"::pg{i}::Pelayanan publik {i}: pilih yang benar.{{=benar {i} ~salah satu ~salah dua ~salah tiga}}"
      for i in range(4)),
    *(f"::bs{i}::Pernyataan {i} tentang SPBE ini benar?{{T}}" for i in range(2)),
    "::num::Berapa JP minimal setahun bagi ASN?{#20}",
    "::isian::Singkatan dari Aparatur Sipil Negara?{=ASN}",
])


def _video(path: Path) -> Path:
    """A 40 s 360p video with sound, made with ffmpeg at setup time."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=640x360:rate=25:d={VIDEO_SECONDS}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={VIDEO_SECONDS}", "-c:v", "libx264",
                    "-preset", "veryfast", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def setup(app, state: dict) -> None:
    """The demo organisation and courses, a course for the day (lesson, video, quiz; 4 JP with a
    certificate), 400 learners and 80 staff with certificates already, and the BPSDM officers."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app.accounts import operations as acc
    from app.accounts.models import Unit, utcnow
    from app.accounts.queries import user_by_username
    from app.courses import operations as courses
    from app.courses.models import Activity, Course, Section
    from app.extensions import db
    from app.jobs.operations import run_pending
    from app.ledger.operations import local_date
    from app.media import operations as media
    from app.quizzes import operations as quizzes
    from tests.quizzes_fixtures import choice_texts, right_response

    seed_demo(app)
    admin = user_by_username("admin")
    course = Course(code="HARIAN-01", title="Pelayanan Publik Digital", jp=4, certificate=True, published=True,
                    organiser="BPSDM Provinsi Maluku Utara", training_type="teknis", self_enrol=True)
    section = Section(course=course, title="Materi", position=0)
    lesson = Activity(course=course, section=section, type="lesson", title="Standar pelayanan", position=0,
                      body="<p>Standar pelayanan publik memuat persyaratan, prosedur, waktu dan biaya.</p>")
    video = Activity(course=course, section=section, type="video", title="Video: loket digital", position=1,
                     settings={"complete_at_percent": 90})
    quiz_act = Activity(course=course, section=section, type="quiz", title="Kuis pelayanan", position=2)
    db.session.add_all([course, section, lesson, video, quiz_act])
    db.session.flush()
    questions, _ = quizzes.import_questions(course, GIFT, "gift", category="Harian")
    quiz = quizzes.get_or_create_quiz(quiz_act)
    quizzes.update_quiz(quiz, pass_percent=60, max_attempts=0, shuffle_choices=True)
    quizzes.set_slots(quiz, question_ids=[q.id for q in questions])
    media.attach_source(video, _video(Path(tempfile.mkdtemp(prefix="lentera-load-")) / "loket.mp4"), "loket.mp4",
                        by=admin)
    db.session.commit()
    if run_pending(kinds=["transcode"]) != 1:
        raise RuntimeError("the video lesson was not transcoded")

    units = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_not(None)).order_by(Unit.id)))
    others = list(db.session.scalars(select(Course).where(Course.id != course.id)))
    pw_hash = generate_password_hash(PASSWORD)  # one hash for all: 480 scrypt hashes would only slow the setup
    learners, claimants = [], []
    for i in range(LEARNERS + CLAIMANTS):
        user = acc.create_user(f"beban{i:03d}", name=f"Pegawai Beban {i}", unit=units[i % len(units)],
                               nip=f"19850505201001{1 + i % 2}{i // 2 + 1:03d}")
        user.password_hash = pw_hash
        for c in (course, *others):
            courses.enrol(c, user)
        (learners if i < LEARNERS else claimants).append(user)
    db.session.flush()
    for user in claimants:  # they finished the course before today: JP and a certificate each
        for activity in (lesson, video, quiz_act):
            courses.complete_activity(user, activity, source="manual", by=admin)
    db.session.commit()

    wrong = {}
    for q in questions:
        right = right_response(q)
        if q.type == "multichoice":
            wrong[q.id] = next(c["id"] for c in q.data["choices"] if c["fraction"] <= 0)
        elif q.type == "truefalse":
            wrong[q.id] = not right
        elif q.type == "numerical":
            wrong[q.id] = right + 7
        else:
            wrong[q.id] = "tidak tahu"
    bpsdm = ["bpsdm"]
    province = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    for n in (2, 3):
        officer = acc.create_user(f"bpsdm{n}", name=f"Petugas BPSDM {n}", unit=province)
        acc.set_roles(officer, ["bpsdm"], {"bpsdm": province})
        officer.password_hash = pw_hash
        bpsdm.append(officer.username)
    db.session.commit()
    state.update(course_id=course.id, lesson_id=lesson.id, video_id=video.id, quiz_id=quiz.id,
                 video_seconds=VIDEO_SECONDS, right={str(q.id): right_response(q) for q in questions},
                 texts={str(q.id): choice_texts(q) for q in questions},
                 wrong={str(k): v for k, v in wrong.items()}, learners=[u.username for u in learners],
                 claimants=[u.username for u in claimants], bpsdm=bpsdm, password=PASSWORD, claim_rule="NKL01",
                 year=local_date(utcnow()).year)


def route_stats(prefix: Path) -> tuple[list[dict], dict]:
    """Locust's per-route rows and its aggregated row, from `<prefix>_stats.csv`."""
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return [r for r in rows if r["Name"] != "Aggregated"], total


def stats_table(rows: list[dict], total: dict) -> str:
    out = ["| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    for r in [*sorted(rows, key=lambda r: -int(r["Request Count"])), total]:
        out.append(f"| {r['Type']} {r['Name']} | {r['Request Count']} | {float(r['Requests/s']):.2f} "
                   f"| {r['50%']} | {r['95%']} | {r['99%']} | {r['Failure Count']} |")
    return "\n".join(out)


def check_database(database: Database, journal_path: Path) -> tuple[list[str], dict]:
    """Compare the database with the acknowledged writes; return (problems, counts)."""
    from sqlalchemy import func, select

    from app import create_app
    from app.accounts.models import User
    from app.certificates.models import Certificate
    from app.courses.models import ActivityCompletion, Course, CourseCompletion
    from app.extensions import db
    from app.ledger.chain import verify
    from app.ledger.models import Claim, LedgerEntry
    from app.monitoring.totals import recompute_from_ledger, stored_totals
    from app.quizzes.models import Attempt, AttemptAnswer

    events = [json.loads(line) for line in journal_path.read_text(encoding="utf-8").splitlines() if line]
    kinds = Counter(e["kind"] for e in events)
    problems: list[str] = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    with app.app_context():
        stored = {(a.attempt_id, a.question_id): a.response for a in db.session.scalars(select(AttemptAnswer))}
        lost = [e for e in events if e["kind"] == "answer" and stored.get((e["attempt"], e["question"])) != e["response"]]
        if lost:
            problems.append(f"{len(lost)} acknowledged answers not stored as sent, e.g. {lost[:3]}")
        attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
        for e in (e for e in events if e["kind"] == "submit"):
            a = attempts.get(e["attempt"])
            if a is None or a.state != "finished" or a.score != e["score"] or a.passed != e["passed"]:
                problems.append(f"submitted attempt {e['attempt']} is {a and (a.state, a.score, a.passed)}, "
                                f"the learner was told {(e['score'], e['passed'])}")
        titles = Counter(db.session.scalars(select(Claim.title)))
        for e in (e for e in events if e["kind"] == "claim"):
            if titles[e["title"]] != 1:
                problems.append(f"claim {e['title']!r} stored {titles[e['title']]} times")
        claim_entries = Counter(db.session.scalars(select(LedgerEntry.source_id).where(LedgerEntry.source_type == "claim")))
        approved = list(db.session.scalars(select(Claim).where(Claim.state == "approved")))
        for c in approved:
            if claim_entries[c.id] != 1 or c.entry_id is None:
                problems.append(f"approved claim {c.id} has {claim_entries[c.id]} JP entries")
        sent = {e["claim"] for e in events if e["kind"] == "approve_sent"}
        if not sent <= {c.id for c in approved}:
            problems.append(f"approvals acknowledged but not recorded: {sorted(sent - {c.id for c in approved})[:10]}")
        course_entries = Counter(db.session.execute(
            select(LedgerEntry.user_id, LedgerEntry.source_id).where(LedgerEntry.source_type == "course")).all())
        certs = Counter(db.session.execute(select(Certificate.user_id, Certificate.course_id)
                                           .where(Certificate.revoked_at.is_(None))).all())
        completions = db.session.execute(select(CourseCompletion.user_id, CourseCompletion.course_id, Course.jp,
                                                Course.certificate).join(Course)).all()
        for user_id, course_id, jp, with_cert in completions:
            if jp and course_entries[(user_id, course_id)] != 1:
                problems.append(f"completion of course {course_id} by user {user_id} has "
                                f"{course_entries[(user_id, course_id)]} JP entries")
            if with_cert and certs[(user_id, course_id)] != 1:
                problems.append(f"completion of course {course_id} by user {user_id} has "
                                f"{certs[(user_id, course_id)]} certificates")
        dup = db.session.execute(select(LedgerEntry.user_id, LedgerEntry.source_type, LedgerEntry.source_id,
                                        LedgerEntry.year, func.count()).group_by(
            LedgerEntry.user_id, LedgerEntry.source_type, LedgerEntry.source_id, LedgerEntry.year)
            .having(func.count() > 1)).all()
        if dup:
            problems.append(f"doubled JP entries: {dup[:5]}")
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        done = set(db.session.execute(select(ActivityCompletion.user_id, ActivityCompletion.activity_id)).all())
        for e in (e for e in events if e["kind"] == "watch_completed"):
            if (users[e["user"]], e["activity"]) not in done:
                problems.append(f"{e['user']} was told the video was complete; no completion recorded")
        chain = verify()
        if not chain.ok:
            problems.append(f"ledger chain does not verify: first bad entry {chain.first_bad_entry}")
        if stored_totals() != recompute_from_ledger():
            problems.append("the monitoring aggregate differs from a recomputation from the ledger")
        counts = {"answers": kinds["answer"], "submits": kinds["submit"], "claims": kinds["claim"],
                  "approved claims": len(approved), "video completions": kinds["watch_completed"],
                  "course completions": len(completions), "JP entries": sum(course_entries.values())
                  + sum(claim_entries.values()), "certificates": sum(certs.values()),
                  "ledger entries verified": chain.entries_checked}
        db.session.remove()
        db.engine.dispose()
    return problems, counts


def play(minutes: float = 10, users: int = 60, kind: str = "postgresql", workers: int = 4) -> Check:
    state: dict = {}
    with Database(kind) as database:
        database.prepare(lambda app: setup(app, state))
        work = Path(tempfile.mkdtemp(prefix="lentera-load-day-"))
        journal = work / "journal.jsonl"
        config = work / "config.json"
        config.write_text(json.dumps({**state, "journal": str(journal)}))
        prefix = work / "locust"
        with Server("wsgi:app", workers=workers, database=database, ready_path="/masuk") as server:
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                 "--host", server.url, "-u", str(users), "-r", str(max(1, users // 10)),
                 "-t", f"{int(minutes * 60)}s", "--stop-timeout", "60", "--csv", str(prefix), "--only-summary",
                 "--loglevel", "WARNING"],
                cwd=ROOT, env={**os.environ, "LOAD_CONFIG": str(config)}, capture_output=True, text=True)
            elapsed = time.monotonic() - started
            server_log = server.log.read_text(errors="replace") if server.log.exists() else ""
        rows, total = route_stats(prefix)
        problems, counts = check_database(database, journal)
    errors = int(total["Failure Count"])
    tracebacks = server_log.count("Traceback")
    if errors:
        failures = (prefix.parent / "locust_failures.csv")
        problems.append(f"{errors} failed requests: {failures.read_text()[:2000] if failures.exists() else ''}")
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks in the server log:\n{server_log[-3000:]}")
    if proc.returncode not in (0, 1):  # 1 = some requests failed, reported above
        problems.append(f"locust exited {proc.returncode}: {proc.stderr[-2000:]}")
    summary = (f"{minutes:g} min, {users} people online, {kind}, gunicorn {workers} workers: "
               f"{int(total['Request Count']):,} requests, {float(total['Requests/s']):.1f} req/s, "
               f"p50 {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms, {errors} errors; "
               + ", ".join(f"{v:,} {k}" for k, v in counts.items())
               + ("; all checks held" if not problems else f"; {len(problems)} problems"))
    detail = stats_table(rows, total) + ("\n\nProblems:\n\n" + "\n".join(f"- {p}" for p in problems) if problems else "")
    print(f"played {elapsed:.0f} s", file=sys.stderr)
    return Check(name="realistic day", ok=not problems, summary=summary, detail=detail)
