"""Faults (issue 10): four failures injected into the production shape — gunicorn with 2 sync
workers on PostgreSQL, on this machine, driven by real HTTP clients (one thread per person).
A client whose connection is cut off because the worker serving it died retries the same
request; every request used here is idempotent by design (starting resumes the open attempt,
answers overwrite, submit is a compare-and-set, completion and JP credit happen once per
person). Each scenario is a check: PASS only when every invariant below holds afterwards,
counted from the database. A killed worker is the oldest one, SIGKILLed while it holds a
client's connection (read from /proc), and every kill must have cut off a request in flight:
at least as many retried requests as kills.

1. Worker killed during quiz submits: 100 learners each start a 10-question quiz and save every
   answer through the API, then all submit at once (and submit once more). The oldest gunicorn
   worker is SIGKILLed three times: at 40 % of the answers, and at 15 % and 55 % of the submits.
   Afterwards every acknowledged answer is stored as sent; each learner has one attempt,
   finished and graded exactly once (full marks, every answer marked, one course completion
   and one JP entry); none is left half-submitted; every repeated submit returned the same
   result as the first, and the API's results equal the database; gunicorn replaced every
   killed worker and the app answers without a manual restart.
2. Worker killed during a ledger credit: 200 learners, each with the first of two lessons
   done, open the second at once, which completes the course and credits its JP in the same
   transaction (chain-head lock, hash chain, monitoring aggregate). The oldest worker is
   SIGKILLed at 15 %, 45 % and 75 % of the completions; PostgreSQL's log counts the
   transactions the kills cut off. Afterwards every completion has exactly one JP entry for
   its (employee, course, year), no entry lacks its completion, no (employee, source, year)
   anywhere in the ledger is doubled, `GET /api/v1/ledger/verify` says the hash chain is intact,
   and `flask monitoring check-totals` finds the JP aggregate equal to a recomputation.
3. PostgreSQL stopped for 10 s under load: 3 page readers (course page, cookie session),
   3 API readers and 6 learners saving quiz answers run throughout (each answer of a
   300-question attempt is written until one write is acknowledged, then never again);
   after 4 s PostgreSQL is stopped (`pg_ctl stop -m fast`), left down 10 s, and started again
   on the same port and data directory. Afterwards: every request in flight during the outage
   got a 503 with the Indonesian `database_unavailable` message (JSON on the API) or was
   served; every request before it or after recovery was served; no 500, no dropped connection,
   no unhandled exception in the gunicorn log; /healthz is 200 again within 5 s of PostgreSQL
   accepting sessions, with the same gunicorn workers (no restart); every answer acknowledged
   with a 2xx is in the database with the acknowledged value, and no value there was never sent.
4. Server killed mid-transcode: a 30 s 720p video (ffmpeg testsrc) is uploaded with tus to
   gunicorn with the job scheduler enabled; once the transcode job is running with progress
   and its ffmpeg exists, the whole process group (master, workers, ffmpeg) is SIGKILLed —
   nothing of it may survive, and the job is left "running" on its first attempt — and a fresh
   gunicorn is started on the same database and storage. The new scheduler takes the job over
   once its heartbeat is stale (jobs.STALE_SECONDS, 120 s) and finishes it: job done on its
   second attempt, asset ready, the HLS master playlist served over HTTP, every segment of the
   720p playlist stored, the interrupted run's work directory removed; bound: stale timeout +
   5 min.

Run: `.venv/bin/python -m bench.bench_faults [1 2 3 4]` (all four take about 4 minutes; exit
status 1 when a check fails).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

from bench.harness import ROOT, Check, Database, Server, login_cookie
from tests.services import command_of, group_members, live_workers

WORKERS = 2
PASSWORD = "lentera123"
QUIZ_LEARNERS = 100
COMPLETION_LEARNERS = 200
OUTAGE_PAGE_READERS, OUTAGE_API_READERS, OUTAGE_WRITERS, OUTAGE_QUESTIONS = 3, 3, 6, 300
OUTAGE_SECONDS = 10
RECOVERY_LIMIT = 5.0
VIDEO_SECONDS = 30
SCHEDULER_ON = {"LENTERA_NO_SCHEDULER": "0", "LENTERA_SCHEDULER": "1"}
# A worker killed mid-request cuts the connection; the request is sent again. A connection
# error that outlives this many tries is a real failure, not a fault being absorbed.
RETRYABLE = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
MAX_TRIES = 20

GIFT_QUIZ = "\n\n".join([
    *(f"::mc{i}::Pilihan ganda {i}?{{=benar ~salah satu ~salah dua}}" for i in range(3)),
    *(f"::tf{i}::Benar atau salah {i}?{{T}}" for i in range(2)),
    *(f"::sa{i}::Isian {i}?{{=jawaban {i}}}" for i in range(2)),
    *(f"::num{i}::Angka {i}?{{#{i + 10}:0.5}}" for i in range(2)),
    "::ma0::Jodohkan.{=satu -> 1 =dua -> 2 =tiga -> 3}",
])
GIFT_OUTAGE = "\n\n".join(f"::o{i}::Isian bebas {i}?{{=apa saja}}" for i in range(OUTAGE_QUESTIONS))

STATE: dict = {}


# --- the data -------------------------------------------------------------------------------------

def setup(app) -> None:
    """One staff member; a quiz course, a two-lesson course, an outage quiz course and a video
    course, each with its own learners (tokens issued, passwords set for the page readers)."""
    from werkzeug.security import generate_password_hash

    from app.accounts import operations as acc
    from app.courses.operations import complete_activity, enrol
    from app.extensions import db
    from app.quizzes import operations as quiz_ops
    from bench.bench_quizzes import choice_texts, right_response
    from tests.factories import make_course

    pw_hash = generate_password_hash(PASSWORD)  # once: hundreds of scrypt hashes would only slow the setup

    def person(username: str, roles: list[str] | None = None):
        user = acc.create_user(username, name=username.replace("-", " ").title(), roles=roles)
        user.password_hash = pw_hash
        return user

    def quiz_of(course, gift: str, **settings):
        activity = course.sections[0].activities[0]
        questions, _ = quiz_ops.import_questions(course, gift, "gift", category="Gangguan")
        quiz = quiz_ops.get_or_create_quiz(activity)
        quiz_ops.update_quiz(quiz, **settings)
        quiz_ops.set_slots(quiz, question_ids=[q.id for q in questions])
        return quiz, questions

    staff = person("staf-gangguan", ["admin", "bpsdm", "instructor"])
    db.session.flush()
    STATE["staff_token"] = acc.issue_token(staff)[0]

    course = make_course(staff, title="Kuis saat worker mati", jp=2, code="GANGGUAN-KUIS",
                         activities=[{"type": "quiz", "title": "Kuis 10 soal"}])
    quiz, questions = quiz_of(course, GIFT_QUIZ, pass_percent=70, shuffle_choices=True, shuffle_questions=True,
                              time_limit_minutes=120)
    tokens = []
    for i in range(QUIZ_LEARNERS):
        user = person(f"kuis-{i:03d}")
        enrol(course, user)
        tokens.append(acc.issue_token(user)[0])
    STATE["quiz"] = {"course_id": course.id, "quiz_id": quiz.id, "tokens": tokens,
                     "right": {q.id: right_response(q) for q in questions}, "max_score": float(len(questions)),
                     "texts": {q.id: choice_texts(q) for q in questions}}

    course = make_course(staff, title="Kursus selesai saat worker mati", jp=3, code="GANGGUAN-JP",
                         activities=[{"type": "lesson", "title": "Materi 1"}, {"type": "lesson", "title": "Materi 2"}])
    first, last = course.sections[0].activities
    tokens = []
    for i in range(COMPLETION_LEARNERS):
        user = person(f"jp-{i:03d}")
        enrol(course, user)
        complete_activity(user, first)  # the storm is only the completing view: every request is a credit
        tokens.append(acc.issue_token(user)[0])
    STATE["completion"] = {"course_id": course.id, "activity_id": last.id, "tokens": tokens}

    course = make_course(staff, title="Kursus saat basis data mati", jp=1, code="GANGGUAN-PG",
                         activities=[{"type": "quiz", "title": "Kuis isian"}])
    quiz, questions = quiz_of(course, GIFT_OUTAGE, pass_percent=70)
    writers, readers, api_readers = [], [], []
    for i in range(OUTAGE_WRITERS + OUTAGE_PAGE_READERS + OUTAGE_API_READERS):
        user = person(f"pg-{i:03d}")
        enrol(course, user)
        if i < OUTAGE_WRITERS:
            db.session.flush()
            attempt = quiz_ops.start_attempt(quiz, user)
            db.session.flush()
            writers.append((acc.issue_token(user)[0], attempt.id))
        elif i < OUTAGE_WRITERS + OUTAGE_PAGE_READERS:
            readers.append(user.username)
        else:
            api_readers.append(acc.issue_token(user)[0])
    STATE["outage"] = {"course_id": course.id, "question_ids": [q.id for q in questions], "writers": writers,
                       "page_readers": readers, "api_readers": api_readers}

    course = make_course(staff, title="Video saat server mati", code="GANGGUAN-VIDEO",
                         activities=[{"type": "video", "title": "Video 720p", "settings": {"complete_at_percent": 90}}])
    STATE["video"] = {"activity_id": course.sections[0].activities[0].id}


def checker(database: Database):
    """An app bound to the bench database, for counting what is stored (not through gunicorn)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                       "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False,
                       "SECRET_KEY": "bench"})


# --- processes ------------------------------------------------------------------------------------

def wait_for_workers(master: int, count: int, exclude: set[int], timeout: float = 60) -> list[int]:
    """Until the master has `count` living workers, none of them one that was killed."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        workers = live_workers(master)
        if len(workers) == count and not exclude & set(workers):
            return workers
        time.sleep(0.05)
    return live_workers(master)


def holds_client_connection(pid: int, port: int) -> bool:
    """Is this worker in the middle of a request, i.e. holding an accepted connection on `port`?
    (Its sockets' inodes, looked up among the established TCP connections of the machine.)"""
    inodes = set()
    with suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError), open(table) as fh:
            next(fh)
            for line in fh:
                f = line.split()
                if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port and f[9] in inodes:  # 01: ESTABLISHED
                    return True
    return False


@contextmanager
def gunicorn(database: Database, **kw) -> Iterator[Server]:
    """The app under gunicorn (bench.harness.Server, WORKERS workers), and afterwards nothing left
    of its process group, on failure too: a transcode's ffmpeg outlives a worker that stopped."""
    server = Server("wsgi:app", workers=WORKERS, database=database, ready_path="/healthz", **kw)
    try:
        with server:
            yield server
    finally:
        if server.proc is not None:
            for pid in group_members(server.proc.pid):
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


class WorkerKiller(threading.Thread):
    """SIGKILLs the oldest gunicorn worker each time the next trigger becomes true. It waits
    for the master to have spawned the previous victim's replacement first, so the victim is a
    worker that has been serving (never one still importing the app), and for the victim to
    hold a client's connection, so the kill lands in the middle of a request."""

    def __init__(self, server: Server, triggers: list[Callable[[], bool]]) -> None:
        super().__init__(daemon=True)
        self.master, self.port, self.triggers = server.proc.pid, server.port, triggers
        self.killed: list[int] = []
        self.mid_request = 0  # kills of a worker seen holding a client connection
        self.done = threading.Event()

    def run(self) -> None:
        for trigger in self.triggers:
            while not trigger():
                if self.done.wait(0.005):
                    return
            deadline = time.time() + 30
            while len(live_workers(self.master)) < WORKERS and time.time() < deadline:
                time.sleep(0.02)
            if self.done.is_set():
                return  # the clients are done: a kill now would interrupt nothing
            victim = live_workers(self.master)[0]
            deadline = time.time() + 10
            while not (busy := holds_client_connection(victim, self.port)) and time.time() < deadline:
                pass  # a sync worker is between requests for microseconds only
            os.kill(victim, signal.SIGKILL)
            self.mid_request += busy
            self.killed.append(victim)

    def during(self, target: Callable[..., None], args: list[tuple]) -> tuple[float, bool]:
        """Run the clients while the kills happen; (seconds the clients took, whether gunicorn
        replaced every killed worker)."""
        self.start()
        started = time.perf_counter()
        run_clients(target, args)
        elapsed = time.perf_counter() - started
        self.done.set()
        self.join()
        workers = wait_for_workers(self.master, WORKERS, set(self.killed))
        return elapsed, len(workers) == WORKERS and not set(self.killed) & set(workers)


# --- HTTP -----------------------------------------------------------------------------------------

class Tally:
    """Counters shared by the client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter = Counter()

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


def call(session: requests.Session, tally: Tally, what: str, method: str, url: str, **kw) -> requests.Response:
    """One request, sent again when its connection is cut off (the worker serving it died);
    retries are counted in total and per `what`."""
    for i in range(MAX_TRIES):
        try:
            return session.request(method, url, timeout=120, **kw)
        except RETRYABLE:
            if i == MAX_TRIES - 1:
                raise
            tally.add("retried")
            tally.add(f"retried {what}")
            time.sleep(min(0.1 * (i + 1), 1.0))
    raise AssertionError("unreachable")


def expect(resp: requests.Response, *statuses: int) -> requests.Response:
    if resp.status_code not in statuses:
        raise RuntimeError(f"{resp.request.method} {resp.url} answered {resp.status_code}: {resp.text[:200]}")
    return resp


def run_clients(target: Callable[..., None], args: list[tuple]) -> None:
    threads = [threading.Thread(target=target, args=a, daemon=True) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)


def healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=30).status_code == 200
    except requests.RequestException:
        return False


def pg_log_mark(database: Database) -> int:
    return database._pg.log_path.stat().st_size  # the harness's own server; read, never changed here


def transactions_cut_off(database: Database, since: int) -> int:
    """Sessions PostgreSQL saw vanish inside an open transaction (logged by the server itself)."""
    with open(database._pg.log_path, "rb") as fh:
        fh.seek(since)
        return fh.read().count(b"unexpected EOF on client connection with an open transaction")


def _retried(tally: Tally) -> str:
    kinds = sorted((k.removeprefix("retried "), v) for k, v in tally.counts.items() if k.startswith("retried "))
    return f"{tally['retried']} requests retried" + (f" ({', '.join(f'{v} {k}' for k, v in kinds)})" if kinds else "")


def _errors_line(errors: list[str]) -> str:
    return f"; {len(errors)} client errors, first: {errors[0]}" if errors else ""


# --- 1. a worker killed during quiz submits ----------------------------------------------------------

def quiz_submits(database: Database) -> Check:
    from sqlalchemy import func, select

    from app.courses.models import CourseCompletion
    from app.extensions import db
    from app.ledger.models import LedgerEntry
    from app.quizzes import grading
    from app.quizzes.models import Attempt, AttemptAnswer, Question
    from bench.bench_quizzes import as_shown

    st = STATE["quiz"]
    n, per = len(st["tokens"]), len(st["right"])
    tally, lock = Tally(), threading.Lock()
    sent: dict[tuple[int, int], object] = {}
    results: dict[int, dict] = {}
    errors: list[str] = []
    mark = pg_log_mark(database)
    with gunicorn(database) as server:
        # One kill while answers are saved; two once everyone submits at the same moment (a
        # barrier between the phases), so that those kills cut off submits and nothing else.
        killer = WorkerKiller(server, [lambda: tally["answers"] >= 0.4 * n * per,
                                       lambda: tally["submits"] >= 0.15 * n, lambda: tally["submits"] >= 0.55 * n])
        everyone_answered = threading.Barrier(n)

        def learner(token: str) -> None:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            try:
                att = expect(call(s, tally, "start", "POST", f"{server.url}/api/v1/quizzes/{st['quiz_id']}/attempts"),
                             200, 201).json()
                for q in att["questions"]:
                    response = st["right"][q["id"]]  # in own ids: as it is stored
                    expect(call(s, tally, "answer", "PUT", f"{server.url}/api/v1/attempts/{att['id']}/answers/{q['id']}",
                                json={"response": as_shown(q, response, st["texts"][q["id"]])}), 200)
                    with lock:
                        sent[(att["id"], q["id"])] = response
                    tally.add("answers")
            except Exception as exc:  # counted and shown: a fault the clients could not absorb
                everyone_answered.abort()
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                return
            try:
                everyone_answered.wait(600)
                submit = f"{server.url}/api/v1/attempts/{att['id']}/submit"
                first = expect(call(s, tally, "submit", "POST", submit), 200).json()
                tally.add("submits")
                again = expect(call(s, tally, "second submit", "POST", submit), 200).json()
                with lock:
                    results[att["id"]] = first
                tally.add("same_result" if again == first else "different_result")
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])

        elapsed, replaced = killer.during(learner, [(tok,) for tok in st["tokens"]])
        serving = healthy(server.url)
    cut = transactions_cut_off(database, mark)

    app = checker(database)
    with app.app_context():
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == st["quiz_id"])))
        ids = [a.id for a in attempts]
        answers = {(a.attempt_id, a.question_id): a for a in db.session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(ids)))}
        questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(list(st["right"]))))}
        stored = 0
        for (att_id, qid), response in sent.items():
            ans, q = answers.get((att_id, qid)), questions[qid]
            if ans is not None and ans.response == grading.check_response(q.type, q.data, response):
                stored += 1
        per_user = Counter(a.user_id for a in attempts)
        graded_once = sum(1 for a in attempts if a.state == "finished" and a.finished_at is not None
                          and a.score == st["max_score"] and a.passed
                          and sum(1 for (aid, _), x in answers.items() if aid == a.id and x.mark is not None) == per)
        half = sum(1 for a in attempts if a.state != "finished" or a.score is None
                   or any(x.mark is None for (aid, _), x in answers.items() if aid == a.id))
        api_matches = sum(1 for a in attempts if (r := results.get(a.id)) is not None
                          and (r["score"], r["passed"], r["state"]) == (a.score, a.passed, a.state))
        completions = db.session.scalar(select(func.count()).select_from(CourseCompletion).where(
            CourseCompletion.course_id == st["course_id"]))
        credits = Counter(db.session.execute(select(LedgerEntry.user_id, LedgerEntry.year).where(
            LedgerEntry.source_type == "course", LedgerEntry.source_id == st["course_id"])).all())
        db.session.remove()
        db.engine.dispose()

    expected = n * per
    doubled = sum(1 for c in credits.values() if c > 1)
    ok = (not errors and len(sent) == expected and stored == expected and len(attempts) == n
          and max(per_user.values(), default=0) == 1 and graded_once == n and half == 0 and api_matches == n
          and tally["same_result"] == n and completions == n and len(credits) == n and doubled == 0
          and len(killer.killed) == 3 and replaced and serving and tally["retried"] >= len(killer.killed))
    summary = (f"{len(sent):,} of {expected:,} answers acknowledged, {stored:,} stored as sent, "
               f"{len(sent) - stored} lost; {n} learners, {len(attempts)} attempts, {graded_once} finished and "
               f"graded with every answer marked, {half} half-submitted, {api_matches} API results = DB, "
               f"{tally['same_result']}/{n} second submits gave the same result; {completions} completions, "
               f"{len(credits)} JP entries, {doubled} doubled; {len(killer.killed)} workers killed "
               f"({killer.mid_request} holding a request), "
               f"{'all replaced' if replaced else 'NOT replaced'}, /healthz {'200' if serving else 'failing'}; "
               f"{_retried(tally)}, {cut} transactions cut off; {elapsed:.1f} s"
               + _errors_line(errors))
    return Check("worker killed during quiz submits", ok, summary, "\n".join(errors[:20]))


# --- 2. a worker killed during a ledger credit ----------------------------------------------------------

def ledger_credits(database: Database) -> Check:
    from sqlalchemy import func, select

    from app.courses.models import CourseCompletion
    from app.extensions import db
    from app.ledger.models import LedgerEntry

    st = STATE["completion"]
    n = len(st["tokens"])
    tally, lock = Tally(), threading.Lock()
    errors: list[str] = []
    mark = pg_log_mark(database)
    with gunicorn(database) as server:
        killer = WorkerKiller(server, [lambda: tally["completed"] >= 0.15 * n, lambda: tally["completed"] >= 0.45 * n,
                                       lambda: tally["completed"] >= 0.75 * n])

        def learner(token: str) -> None:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            try:
                body = expect(call(s, tally, "completion", "POST", f"{server.url}/api/v1/activities/{st['activity_id']}/view"),
                              200).json()
                tally.add("completed" if body["course_completed"] else "not_completed")
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])

        elapsed, replaced = killer.during(learner, [(tok,) for tok in st["tokens"]])
        staff = {"Authorization": f"Bearer {STATE['staff_token']}"}
        verify = expect(requests.get(f"{server.url}/api/v1/ledger/verify", headers=staff, timeout=120), 200).json()
    cut = transactions_cut_off(database, mark)
    totals = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "monitoring", "check-totals"], cwd=ROOT,
                            env={**os.environ, **database.env()}, capture_output=True, text=True, timeout=300)

    app = checker(database)
    with app.app_context():
        completed = set(db.session.scalars(select(CourseCompletion.user_id).where(
            CourseCompletion.course_id == st["course_id"])))
        credits = Counter(db.session.scalars(select(LedgerEntry.user_id).where(
            LedgerEntry.source_type == "course", LedgerEntry.source_id == st["course_id"])))
        doubled_anywhere = db.session.scalar(select(func.count()).select_from(
            select(LedgerEntry.user_id).where(LedgerEntry.source_id.is_not(None))
            .group_by(LedgerEntry.user_id, LedgerEntry.source_type, LedgerEntry.source_id, LedgerEntry.year)
            .having(func.count() > 1).subquery()))
        entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
        db.session.remove()
        db.engine.dispose()

    without_entry = len(completed - set(credits))
    without_completion = len(set(credits) - completed)
    doubled = sum(1 for c in credits.values() if c > 1)
    totals_line = (totals.stdout.strip().splitlines() or [totals.stderr.strip()[-200:]])[-1].rstrip(".")
    ok = (not errors and tally["completed"] == n and len(completed) == n and len(credits) == n
          and without_entry == 0 and without_completion == 0 and doubled == 0 and doubled_anywhere == 0
          and verify["ok"] and verify["entries_checked"] == entries and totals.returncode == 0
          and len(killer.killed) == 3 and replaced and tally["retried"] >= len(killer.killed))
    summary = (f"{n} learners completed the course ({tally['completed']} acknowledged), {len(completed)} completions, "
               f"{sum(credits.values())} JP entries: {without_entry} completions without their entry, "
               f"{without_completion} entries without a completion, {doubled} doubled here and {doubled_anywhere} "
               f"anywhere in the ledger; hash chain {'intact' if verify['ok'] else 'BROKEN'} "
               f"({verify['entries_checked']} of {entries} entries checked); aggregate vs recomputation: "
               f"{totals_line}; {len(killer.killed)} workers killed ({killer.mid_request} holding a request), "
               f"{'all replaced' if replaced else 'NOT replaced'}; "
               f"{_retried(tally)}, {cut} credit transactions cut off; {elapsed:.1f} s"
               + _errors_line(errors))
    return Check("worker killed during a ledger credit", ok, summary, "\n".join(errors[:20]))


# --- 3. PostgreSQL stopped for 10 s under load --------------------------------------------------------

def database_outage(database: Database) -> Check:
    from sqlalchemy import select

    from app.extensions import db
    from app.quizzes.models import AttemptAnswer

    st = STATE["outage"]
    pg = database._pg  # the harness's own server, halted and restarted in place
    stop = threading.Event()
    log: list[tuple[str, float, float, int, bool]] = []  # (kind, start, end, status or -1, body as expected)
    # Each answer is written until one write is acknowledged, then never again: so every
    # acknowledged write can be found in the database by itself (not hidden under a later one).
    acked: dict[tuple[int, int], int] = {}  # (attempt, question) → the write sequence answered 2xx
    sent: dict[tuple[int, int], set[int]] = {}  # every sequence sent to it, acknowledged or not
    lock = threading.Lock()
    message = "Basis data sedang tidak tersedia"

    def record(kind: str, t0: float, resp: requests.Response | None) -> int:
        status = resp.status_code if resp is not None else -1
        as_expected = True
        if status == 503:
            if kind == "page":
                as_expected = message in resp.text
            else:
                try:
                    err = resp.json().get("error", {})
                except ValueError:
                    err = {}
                as_expected = err.get("code") == "database_unavailable" and message in err.get("message", "")
        with lock:
            log.append((kind, t0, time.time(), status, as_expected))
        return status

    def client(kind: str, url: str, headers: dict[str, str], attempt_id: int | None) -> None:
        s = requests.Session()
        s.headers.update(headers)
        seq = question = 0
        while not stop.is_set():
            seq += 1
            t0 = time.time()
            resp = None
            try:
                if kind == "write":
                    if question == len(st["question_ids"]):
                        break  # every answer written once: more would overwrite what is checked
                    key = (attempt_id, st["question_ids"][question])
                    with lock:
                        sent.setdefault(key, set()).add(seq)
                    resp = s.put(f"{url}/api/v1/attempts/{attempt_id}/answers/{key[1]}",
                                 json={"response": f"jawaban {seq:06d}"}, timeout=120)
                    if 200 <= resp.status_code < 300:
                        with lock:
                            acked[key] = seq
                        question += 1
                elif kind == "page":
                    resp = s.get(f"{url}/kursus/{st['course_id']}", timeout=120, allow_redirects=False)
                else:
                    resp = s.get(f"{url}/api/v1/courses/{st['course_id']}", timeout=120)
            except requests.RequestException:
                resp = None
            record(kind, t0, resp)
            stop.wait(0.02)

    with gunicorn(database) as server:
        master = server.proc.pid
        workers_before = live_workers(master)
        clients = ([("page", server.url, login_cookie(server.url, u, PASSWORD), None) for u in st["page_readers"]]
                   + [("api", server.url, {"Authorization": f"Bearer {t}"}, None) for t in st["api_readers"]]
                   + [("write", server.url, {"Authorization": f"Bearer {t}"}, a) for t, a in st["writers"]])
        threads = [threading.Thread(target=client, args=c, daemon=True) for c in clients]
        for t in threads:
            t.start()
        try:
            time.sleep(4)
            t_halt = time.time()
            pg.halt("fast")
            t_down = time.time()
            time.sleep(OUTAGE_SECONDS)
        finally:
            t_restart = time.time()
            pg.restart()  # same port, same data directory
        t_up = time.time()
        t_ok = None
        while time.time() < t_up + 60:
            if healthy(server.url):
                t_ok = time.time()
                break
            time.sleep(0.1)
        time.sleep(6)
        stop.set()
        for t in threads:
            t.join(180)
        workers_after = live_workers(master)
        gunicorn_log = server.log.read_text(errors="replace")

    app = checker(database)
    with app.app_context():
        stored = {(a.attempt_id, a.question_id): a.response for a in db.session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_([a for _, a in st["writers"]])))}
        db.session.remove()
        db.engine.dispose()

    def seq_of(value) -> int:
        return int(str(value).rsplit(" ", 1)[-1]) if value else 0

    lost = sum(1 for key, seq in acked.items() if seq_of(stored.get(key)) != seq)
    phantom = sum(1 for key, value in stored.items() if seq_of(value) not in sent.get(key, set()))
    exhausted = len(acked) == len(st["question_ids"]) * len(st["writers"])
    writes_acked = sum(1 for k, _t0, _t1, status, _ in log if k == "write" and 200 <= status < 300)
    recovered = t_ok if t_ok is not None else float("inf")
    # A request "touched" the outage when it was in flight at any moment from the stop to the
    # restart; one started after the restart but before /healthz answered 200 is "settling".
    touched = [r for r in log if r[2] >= t_halt and r[1] <= t_up]
    settling = [r for r in log if not (r[2] >= t_halt and r[1] <= t_up) and t_up < r[1] < recovered]
    outside = [r for r in log if not (r[2] >= t_halt and r[1] <= t_up) and not t_up < r[1] < recovered]
    statuses = Counter(r[3] for r in log)
    during = Counter(r[3] for r in touched)
    bad_503 = sum(1 for r in log if r[3] == 503 and not r[4])
    unhandled = gunicorn_log.count("Exception on ") + gunicorn_log.count("Traceback")
    outside_bad = sum(1 for r in outside if not 200 <= r[3] < 300)
    recovery = recovered - t_up
    first_write = min((r[2] for r in log if r[0] == "write" and r[1] >= t_up and 200 <= r[3] < 300), default=None)
    during_ok = all(200 <= r[3] < 300 or r[3] == 503 for r in touched + settling)
    ok = (statuses[500] == 0 and statuses[-1] == 0 and during_ok and during[503] > 0 and bad_503 == 0
          and unhandled == 0 and outside_bad == 0 and recovery <= RECOVERY_LIMIT and workers_after == workers_before
          and lost == 0 and phantom == 0 and writes_acked > 0 and not exhausted)
    summary = (f"PostgreSQL down {t_restart - t_down:.1f} s (stop took {t_down - t_halt:.1f} s); {len(touched)} requests "
               f"during the outage: {during[503]} answered 503 database_unavailable "
               f"({bad_503} without the Indonesian message), {sum(v for s, v in during.items() if 200 <= s < 300)} "
               f"served, {during[500]} 500, {during[-1]} dropped; whole run {len(log)} requests, {statuses[500]} "
               f"500, {statuses[-1]} dropped, {outside_bad} failures outside the outage, {unhandled} unhandled "
               f"exceptions logged; /healthz 200 {recovery:.2f} s after PostgreSQL was back"
               + (f", first acknowledged write after {first_write - t_up:.2f} s" if first_write else "")
               + f", same {len(workers_after)} gunicorn workers (no restart); {writes_acked} writes acknowledged "
               f"(each to its own answer), {writes_acked - lost} found in the database with the acknowledged "
               f"value, {lost} lost, {phantom} values that were never sent")
    first_trace = gunicorn_log.find("Exception on ")
    if first_trace < 0:
        first_trace = gunicorn_log.find("Traceback")
    return Check("PostgreSQL stopped for 10 s under load", ok, summary,
                 gunicorn_log[first_trace:first_trace + 6000] if first_trace >= 0 else "")


# --- 4. the server killed mid-transcode ------------------------------------------------------------

def transcode_kill(database: Database) -> Check:
    import base64

    from app.extensions import db
    from app.jobs import operations as jobs
    from app.jobs.models import Job
    from app.media.models import VideoAsset
    from app.storage import get_storage
    from tests.media_fixtures import make_video

    activity_id = STATE["video"]["activity_id"]
    staff = {"Authorization": f"Bearer {STATE['staff_token']}"}
    app = checker(database)
    ctx = app.app_context()
    ctx.push()
    try:
        with tempfile.TemporaryDirectory(prefix="lentera-bench-faults-") as tmp:
            source = make_video(Path(tmp) / "sumber.mp4", width=1280, height=720, seconds=VIDEO_SECONDS)
            data = source.read_bytes()
            with gunicorn(database, extra_env=SCHEDULER_ON) as first:
                master = first.proc.pid
                resp = expect(requests.post(f"{first.url}/api/v1/activities/{activity_id}/uploads", timeout=120, headers={
                    **staff, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                    "Upload-Metadata": "filename " + base64.b64encode(b"sumber.mp4").decode()}), 201)
                location, offset = first.url + resp.headers["Location"], 0
                while offset < len(data):
                    resp = expect(requests.patch(location, data=data[offset:offset + 1024 * 1024], timeout=300, headers={
                        **staff, "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream"}), 204)
                    offset = int(resp.headers["Upload-Offset"])
                asset_id = int(resp.headers["Lentera-Asset-Id"])
                job_id = db.session.get(VideoAsset, asset_id).job_id
                ffmpeg, progress, deadline = [], 0, time.time() + 300
                while time.time() < deadline:
                    db.session.rollback()
                    job = db.session.get(Job, job_id, populate_existing=True)
                    ffmpeg = [p for p in group_members(master) if "ffmpeg" in command_of(p) and "hls" in command_of(p)]
                    if job.state == "running" and job.progress > 0 and ffmpeg:
                        progress = job.progress
                        break
                    if job.state in ("done", "failed"):
                        raise RuntimeError(f"the transcode ended ({job.state}: {job.message}) before it could be killed")
                    time.sleep(0.1)
                else:
                    raise RuntimeError("the transcode never started running with progress")
                os.killpg(master, signal.SIGKILL)  # master, workers and ffmpeg: a crash, an OOM kill
                first.proc.wait(30)
                killed_at = time.time()
                while group_members(master) and time.time() < killed_at + 10:
                    time.sleep(0.05)
                survivors = group_members(master)
            db.session.rollback()
            job = db.session.get(Job, job_id, populate_existing=True)
            left = (job.state, job.attempts)

            started = time.time()
            picked = finished = None
            bound = jobs.STALE_SECONDS + 300
            with gunicorn(database, extra_env=SCHEDULER_ON) as second:
                while time.time() < started + bound:
                    requests.get(f"{second.url}/api/v1/activities/{activity_id}/video", headers=staff, timeout=60)
                    db.session.rollback()
                    job = db.session.get(Job, job_id, populate_existing=True)
                    if picked is None and job.attempts >= 2:
                        picked = time.time() - started
                    if job.state in ("done", "failed"):
                        finished = time.time() - started
                        break
                    time.sleep(1)
                state = expect(requests.get(f"{second.url}/api/v1/activities/{activity_id}/video", headers=staff,
                                            timeout=60), 200).json()
                master_url = state.get("master_url")
                served = bool(master_url) and (r := requests.get(second.url + master_url, headers=staff, timeout=60)
                                               ).status_code == 200 and r.text.startswith("#EXTM3U")
            asset = db.session.get(VideoAsset, asset_id, populate_existing=True)
            store = get_storage()
            playlist = store.read_bytes(f"{asset.prefix}hls/720p/index.m3u8").decode() if asset.state == "ready" else ""
            segments = [ln for ln in playlist.splitlines() if ln.endswith(".ts")]
            stored = {k.rsplit("/", 1)[-1] for k in store.list(f"{asset.prefix}hls/720p/")}
            missing = [s for s in segments if s not in stored]
            workdir_left = (database.instance_path / "transcode" / str(asset.id)).exists()
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()

    ok = (left == ("running", 1) and not survivors and job.state == "done" and job.attempts == 2
          and asset.state == "ready" and served and segments and not missing and not workdir_left
          and finished is not None)
    summary = (f"killed at {progress} % with {len(ffmpeg)} ffmpeg running ({len(survivors)} processes survived; job "
               f"left {left[0]}, attempt {left[1]}); fresh gunicorn took the job over after "
               + (f"{picked:.0f} s" if picked is not None else "never")
               + f" (stale after {jobs.STALE_SECONDS} s without heartbeat) and "
               + (f"finished it after {finished:.0f} s" if finished is not None else f"did not finish within {bound} s")
               + f": job {job.state} on attempt {job.attempts}, asset {asset.state}, master playlist "
               f"{'served (200)' if served else 'NOT served'}, 720p playlist {len(segments)} segments, "
               f"{len(missing)} missing, work directory {'left behind' if workdir_left else 'removed'}")
    return Check("server killed mid-transcode", ok, summary, job.message or "")


# --- all four -------------------------------------------------------------------------------------------

SCENARIOS: list[tuple[str, Callable[[Database], Check]]] = [
    ("worker killed during quiz submits", quiz_submits),
    ("worker killed during a ledger credit", ledger_credits),
    ("PostgreSQL stopped for 10 s under load", database_outage),
    ("server killed mid-transcode", transcode_kill),
]


def run(only: list[int] | None = None) -> list[Check]:
    """Every scenario (or those numbered in `only`, 1-based) on one prepared database."""
    checks: list[Check] = []
    with Database("postgresql") as database:
        database.prepare(setup)
        for number, (name, scenario) in enumerate(SCENARIOS, 1):
            if only and number not in only:
                continue
            print(f"-- {name}", flush=True)
            try:
                check = scenario(database)
            except Exception as exc:  # one scenario's crash is its FAIL; the others still run
                check = Check(name, False, f"scenario crashed: {type(exc).__name__}: {exc}"[:500],
                              traceback.format_exc())
            print(check.line(), flush=True)
            checks.append(check)
    return checks


if __name__ == "__main__":
    results = run([int(a) for a in sys.argv[1:]] or None)
    print()
    for c in results:
        print(c.line())
        if not c.ok and c.detail:
            print("  " + c.detail.replace("\n", "\n  "))
    sys.exit(0 if all(c.ok for c in results) else 1)
