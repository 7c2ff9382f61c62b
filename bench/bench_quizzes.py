"""Quiz benchmark, three figures measured in one run:

1. grading throughput: attempts per second graded for a 20-question mixed quiz (every
   auto-graded type), pure marking in-process and the full submit (compare-and-set, marking,
   totals, completion) against the database;
2. the attempt page (`GET /percobaan/<id>`, 20 questions) for 20 concurrent learners, each on
   their own attempt with their own session, under gunicorn with 2 workers — beside the bare
   Flask ceiling measured in the same run (goal: ≥ 260 req/s, p95 < 150 ms);
3. 200 learners at once starting, answering all 20 questions and submitting through the API;
   then the answers in the database are counted: none may be lost.

Run: `.venv/bin/python -m bench.bench_quizzes` (BENCH_DB=sqlite for the embedded database).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import (
    WRK_SCRIPT,
    Database,
    Figure,
    Result,
    Server,
    default_seconds,
    fetch,
    load,
    login_cookie,
    wrk_binary,
)
from tests.quizzes_fixtures import as_shown, choice_texts, right_response  # noqa: F401 - bench_faults takes them from here too

WORKERS = 2
PAGE_LEARNERS = 20
API_LEARNERS = 200
PASSWORD = "lentera123"

GIFT_20 = "\n\n".join([
    *(f"::mc{i}::Pilihan ganda {i}?{{=benar ~salah satu ~salah dua ~salah tiga}}" for i in range(5)),
    *(f"::tf{i}::Benar atau salah {i}?{{T}}" for i in range(3)),
    *(f"::sa{i}::Isian {i}?{{=jawaban {i} =%50%jawab*}}" for i in range(3)),
    *(f"::num{i}::Angka {i}?{{#{i + 10}:0.5}}" for i in range(3)),
    *(f"::ma{i}::Jodohkan {i}.{{=satu -> 1 =dua -> 2 =tiga -> 3}}" for i in range(3)),
    *(f"::mu{i}::Banyak benar {i}?{{~%50%a ~%50%b ~%-100%c}}" for i in range(3)),
])

STATE: dict = {}


def setup(app) -> None:
    """A course with a 20-question quiz, 20 + 200 enrolled learners, open attempts for the 20."""
    from werkzeug.security import generate_password_hash

    from app.accounts import operations as acc
    from app.accounts.models import User
    from app.courses.models import Activity, Course, Section
    from app.courses.operations import enrol
    from app.extensions import db
    from app.quizzes import operations as ops

    course = Course(code="BENCH-KUIS", title="Kuis bench", published=True)
    section = Section(course=course, title="Bagian", position=0)
    activity = Activity(course=course, section=section, type="quiz", title="Kuis 20 soal", position=0)
    db.session.add_all([course, section, activity])
    db.session.flush()
    questions, _ = ops.import_questions(course, GIFT_20, "gift", category="Bench")
    quiz = ops.get_or_create_quiz(activity)
    ops.update_quiz(quiz, pass_percent=70, shuffle_choices=True, shuffle_questions=True, time_limit_minutes=120)
    ops.set_slots(quiz, question_ids=[q.id for q in questions])
    pw_hash = generate_password_hash(PASSWORD)  # hash once: 220 scrypt hashes would only slow the setup
    page_users, api_tokens = [], []
    for i in range(PAGE_LEARNERS + API_LEARNERS):
        user = acc.create_user(f"bench{i:03d}", name=f"Peserta Bench {i}")
        user.password_hash = pw_hash
        enrol(course, user)
        if i < PAGE_LEARNERS:
            page_users.append(user)
        else:
            api_tokens.append(acc.issue_token(user)[0])
    db.session.flush()
    attempts = {u.username: ops.start_attempt(quiz, u).id for u in page_users}
    db.session.commit()
    STATE.update(quiz_id=quiz.id, attempts=attempts, tokens=api_tokens,
                 right={q.id: right_response(q) for q in questions}, max_score=float(len(questions)),
                 texts={q.id: choice_texts(q) for q in questions})
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) >= PAGE_LEARNERS + API_LEARNERS


# --- 1. grading -----------------------------------------------------------------------------------

def grading_throughput(database: Database, seconds: float = 3.0) -> tuple[float, float]:
    """(pure marking attempts/s, database submit attempts/s)."""
    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.quizzes import grading, queries
    from app.quizzes import operations as ops
    from app.quizzes.models import Question, Quiz

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    with app.app_context():
        qs = list(db.session.scalars(db.select(Question).where(Question.id.in_(list(STATE["right"])))))
        items = [(q.type, q.data, STATE["right"][q.id]) for q in qs]
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            total = sum(grading.grade(t, d, grading.check_response(t, d, r)).fraction for t, d, r in items)
            assert total == len(items)
            n += 1
        pure = n / (time.perf_counter() - start)

        quiz = db.session.get(Quiz, STATE["quiz_id"])
        users = list(db.session.scalars(db.select(User).where(User.username.like("bench0%"))
                                        .order_by(User.id).limit(PAGE_LEARNERS)))
        # fresh open attempts with every answer saved, for users of the page test (after it ran)
        prepared = []
        for user in users:
            att = ops.start_attempt(quiz, user)
            shown = {q.id: queries.shown_response(att, q, STATE["right"][q.id]) for q in qs}
            for qid, resp in shown.items():
                ops.save_answer(att.id, qid, resp, user)
            prepared.append((att.id, user))
        db.session.commit()
        start = time.perf_counter()
        for att_id, user in prepared:
            att = ops.submit_attempt(att_id, user)
            db.session.commit()
            assert att.score == STATE["max_score"], att.score
        submit = len(prepared) / (time.perf_counter() - start)
        db.session.remove()
        db.engine.dispose()
    return pure, submit


# --- 2. the attempt page ------------------------------------------------------------------------

def load_many(base_url: str, requests: list[tuple[str, dict[str, str]]], connections: int, seconds: int) -> Result:
    """wrk spreading requests over several (path, headers) pairs: each learner their own page."""
    for path, headers in requests:
        status, body = fetch(base_url + path, headers=headers)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:200]!r}")
    def entry(path: str, headers: dict[str, str]) -> str:
        pairs = ", ".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items())
        return "{path=" + json.dumps(path) + ", headers={" + pairs + "}}"

    entries = ",\n".join(entry(p, h) for p, h in requests)
    script = ("local reqs = {\n" + entries + "\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
              "  local r = reqs[(i % #reqs) + 1]\n  return wrk.format('GET', r.path, r.headers)\nend\n"
              + WRK_SCRIPT.read_text())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        base = [wrk_binary(), "-t", "2", "-c", str(connections), "--latency", "-s", fh.name, "--timeout", "10s"]
        subprocess.run(base + ["-d", "2s", base_url + "/"], check=True, capture_output=True)
        out = subprocess.run(base + ["-d", f"{seconds}s", base_url + "/"], check=True, capture_output=True,
                             text=True).stdout
    finally:
        Path(fh.name).unlink(missing_ok=True)
    data = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))[9:])
    duration = data["duration_us"] / 1e6
    return Result(url=base_url + "/percobaan/<id>", connections=connections, seconds=duration,
                  requests=data["requests"], rps=data["requests"] / duration, p50_ms=data["p50"] / 1000,
                  p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000, errors=sum(data["errors"].values()),
                  error_detail=data["errors"])


# --- 3. 200 learners through the API ---------------------------------------------------------------

def api_storm(base_url: str) -> dict:
    import requests

    barrier = threading.Barrier(API_LEARNERS)
    outcomes: list[dict] = []
    lock = threading.Lock()

    def learner(token: str) -> None:
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + token
        out = {"saved": 0, "errors": []}
        try:
            barrier.wait(60)
            r = s.post(f"{base_url}/api/v1/quizzes/{STATE['quiz_id']}/attempts", timeout=120)
            r.raise_for_status()
            att = r.json()
            for q in att["questions"]:
                r = s.put(f"{base_url}/api/v1/attempts/{att['id']}/answers/{q['id']}",
                          json={"response": as_shown(q, STATE["right"][q["id"]], STATE["texts"][q["id"]])},
                          timeout=120)
                if r.status_code == 200:
                    out["saved"] += 1
                else:
                    out["errors"].append(r.status_code)
            r = s.post(f"{base_url}/api/v1/attempts/{att['id']}/submit", timeout=120)
            out["result"] = r.json()
        except Exception as exc:  # counted and printed: a benchmark reports failures, it does not hide them
            out["errors"].append(repr(exc))
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=learner, args=(t,)) for t in STATE["tokens"]]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    acknowledged = sum(o["saved"] for o in outcomes)
    full_marks = sum(1 for o in outcomes if o.get("result", {}).get("score") == STATE["max_score"])
    return {"elapsed": elapsed, "acknowledged": acknowledged, "full_marks": full_marks,
            "errors": [e for o in outcomes for e in o["errors"]]}


def count_api_answers(database: Database) -> tuple[int, int]:
    """(answers with a response stored, finished attempts) of the 200 API learners."""
    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.quizzes.models import Attempt, AttemptAnswer

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    with app.app_context():
        users = db.select(User.id).where(User.username >= f"bench{PAGE_LEARNERS:03d}", User.username.like("bench%"))
        answers = db.session.scalar(db.select(db.func.count()).select_from(AttemptAnswer).join(Attempt).where(
            Attempt.user_id.in_(users), AttemptAnswer.response.is_not(None), AttemptAnswer.mark > 0))
        finished = db.session.scalar(db.select(db.func.count()).select_from(Attempt).where(
            Attempt.user_id.in_(users), Attempt.state == "finished"))
        db.session.remove()
        db.engine.dispose()
    return answers, finished


def run() -> list[Figure]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            requests_ = [(f"/percobaan/{aid}", login_cookie(server.url, username, PASSWORD))
                         for username, aid in STATE["attempts"].items()]
            ceiling = load(bare.url + "/", connections=PAGE_LEARNERS, seconds=seconds)
            result = load_many(server.url, requests_, connections=PAGE_LEARNERS, seconds=seconds)
            fig = Figure(f"attempt page, 20 questions, {PAGE_LEARNERS} learners ({kind})", result, ceiling,
                         workers=WORKERS, database=kind)
            figures.append(fig)
            print(fig.line())
            goal = "met" if result.rps >= 260 and result.p95_ms < 150 else "NOT met"
            print(f"  goal ≥260 req/s and p95 <150 ms: {goal}; vs 26 req/s of the PHP LMS: {result.rps / 26:.1f}×")

            storm = api_storm(server.url)
            stored, finished = count_api_answers(database)
            expected = API_LEARNERS * len(STATE["right"])
            print(f"{API_LEARNERS} learners through the API: {storm['elapsed']:.1f} s, "
                  f"{storm['acknowledged']} answers acknowledged, {stored} stored and graded right in the DB "
                  f"(expected {expected}), {finished} attempts finished, {storm['full_marks']} full marks, "
                  f"lost answers: {storm['acknowledged'] - stored}, errors: {len(storm['errors'])} "
                  f"{storm['errors'][:5]}")
        pure, submit = grading_throughput(database)
        print(f"grading, 20-question mixed quiz: {pure:,.0f} attempts/s marking in-process; "
              f"{submit:,.0f} attempts/s full submit with the database ({kind})")
    return figures


if __name__ == "__main__":
    run()
