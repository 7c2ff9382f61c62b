"""Every learner page, the quiz autosave and the video heartbeat (issue 23), under gunicorn with
20 concurrent connections, each beside the bare-Flask ceiling measured right before it in the
same run. Goal: every learner page at >= 10 % of the ceiling with p95 < 150 ms.

Each figure is the median of BENCH_ROUNDS (default 3) alternating rounds of the ceiling and the
figure, as the issue's side-by-side measurement was taken. Also the worker class: the course page
and the autosave under gunicorn's `sync`, `gthread` and `gevent` workers, so the choice in
README's scale-out section rests on a measurement.

Run: `.venv/bin/python -m bench.bench_learner_pages` (BENCH_DB=sqlite for the embedded database;
BENCH_SECONDS per figure, default 10).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

from bench.harness import (
    Database,
    Figure,
    Server,
    alternating,
    api_token,
    default_seconds,
    fetch,
    load,
    login_cookie,
    seed_demo,
)

WORKERS = 2
CONNECTIONS = 20
GOAL_RATIO = 0.10
GOAL_P95_MS = 150


def setup(app) -> None:
    """The demo data, plus a video lesson with a ready (already transcoded) asset in the demo
    learner's first course, so that the video page and its heartbeat can be measured. The demo
    quizzes' time limits (20-30 minutes) are lifted: the attempt is started before the first
    figure and autosaved after the eighth, and with BENCH_SECONDS=20 (the issue's own cells) its
    time ran out on the way, so the autosave measured a refusal (409)."""
    from sqlalchemy import select, update

    from app.accounts.queries import user_by_username
    from app.courses.models import Activity, Enrolment
    from app.extensions import db
    from app.media.models import VideoAsset
    from app.quizzes.models import Quiz

    seed_demo(app)
    db.session.execute(update(Quiz).values(time_limit_minutes=0))
    learner = user_by_username("peserta")
    course_id = db.session.scalar(select(Enrolment.course_id).where(Enrolment.user_id == learner.id).limit(1))
    first = db.session.scalar(select(Activity).where(Activity.course_id == course_id).limit(1))
    asset = VideoAsset(source_key="bench/none.mp4", source_name="kuliah.mp4", state="ready", duration_tenths=6000,
                       width=640, height=360, has_audio=True, master_key="bench/master.m3u8",
                       renditions=[{"name": "360p", "height": 360, "width": 640, "bandwidth": 900000,
                                    "playlist": "hls/360p/index.m3u8"}])
    db.session.add(asset)
    db.session.flush()
    db.session.add(Activity(course_id=course_id, section_id=first.section_id, position=99, type="video",
                            title="Kuliah umum (video)", body="", settings={"asset_id": asset.id}))
    db.session.commit()


def _answerable(questions: list[dict]) -> tuple[dict, object]:
    """A question of the attempt and a valid response to it: a single-answer multiple choice when
    there is one (the commonest autosave), else a true/false or a short answer."""
    by_type: dict[str, dict] = {}
    for q in questions:
        by_type.setdefault(q.get("type", ""), q)
    if "multichoice" in by_type and by_type["multichoice"].get("choices"):
        q = by_type["multichoice"]
        return q, [q["choices"][0]["id"]] if q.get("multiple") else q["choices"][0]["id"]
    if "truefalse" in by_type:
        return by_type["truefalse"], True
    if "shortanswer" in by_type:
        return by_type["shortanswer"], "jawaban"
    raise RuntimeError(f"no question to autosave among {sorted(by_type)}")


def _targets(server_url: str, cookie: dict, token: dict) -> list[tuple[str, str, str, bytes | None]]:
    """(name, method, url, body) of every learner page and the two hottest writes."""
    _s, mine = fetch(server_url + "/kursus-saya", headers=cookie)
    course_id = re.search(rb'href="/kursus/(\d+)"', mine).group(1).decode()
    _s, course = fetch(f"{server_url}/api/v1/courses/{course_id}", headers=token)
    doc = json.loads(course)
    activities = [a for s in doc["sections"] for a in s["activities"]]
    lesson = next(a for a in activities if a["type"] == "lesson")
    video = next(a for a in activities if a["type"] == "video")
    quiz = next(a for a in activities if a["type"] == "quiz")
    _s, started = fetch(f"{server_url}/api/v1/quizzes/{quiz['quiz_id']}/attempts", headers=token, data=b"",
                        method="POST")
    attempt = json.loads(started)
    question, response = _answerable(attempt["questions"])
    base = server_url
    return [
        ("home (GET /)", "GET", base + "/", None),
        ("catalogue (GET /katalog)", "GET", base + "/katalog", None),
        ('"Kursus saya" (GET /kursus-saya)', "GET", base + "/kursus-saya", None),
        ("course page (GET /kursus/<id>)", "GET", f"{base}/kursus/{course_id}", None),
        ("lesson (GET /aktivitas/<id>)", "GET", f"{base}/aktivitas/{lesson['id']}", None),
        ("quiz attempt page (GET /percobaan/<id>)", "GET", f"{base}/percobaan/{attempt['id']}", None),
        ("video page (GET /aktivitas/<id>)", "GET", f"{base}/aktivitas/{video['id']}", None),
        ('"JP saya" (GET /jp)', "GET", base + "/jp", None),
        ("quiz autosave (PUT /api/v1/attempts/<id>/answers/<q>)", "PUT",
         f"{base}/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
         json.dumps({"response": response}).encode()),
        ("video heartbeat (POST /api/v1/activities/<id>/watch)", "POST",
         f"{base}/api/v1/activities/{video['id']}/watch", json.dumps({"from": 0, "to": 0}).encode()),
    ]


#: The worker classes compared on the course page and the autosave (README's scale-out section):
#: gunicorn's default sync workers, threads, and gevent's cooperative workers (psycopg waits
#: cooperatively once gevent has patched the process).
WORKER_CLASSES = [
    ("gthread workers (2 × 4 threads)", "--worker-class gthread --threads 4"),
    ("gevent workers (2 × 50 connections)", "--worker-class gevent --worker-connections 50"),
]


def run() -> list[Figure]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            cookie = login_cookie(server.url, "peserta", "lentera123")
            token = api_token(server.url, "peserta", "lentera123")
            targets = _targets(server.url, cookie, token)
            for name, method, url, body in targets:
                figures.append(_figure(name, bare.url, url, method, body, cookie, token, seconds, kind))
                print(figures[-1].line(), flush=True)  # as it goes: a long run shows its figures early
        # The worker class, measured: the course page and the autosave under each other class,
        # each against the bare app under the same class.
        compared = [t for t in targets if t[0].startswith(("course page", "quiz autosave"))]
        for label, args in WORKER_CLASSES:
            env = {"GUNICORN_CMD_ARGS": args}
            with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk", extra_env=env) as server, \
                    Server("bench.bare_app:app", workers=WORKERS, extra_env=env) as bare:
                cookie = login_cookie(server.url, "peserta", "lentera123")
                token = api_token(server.url, "peserta", "lentera123")
                for name, method, url, body in compared:
                    url = server.url + urlsplit(url).path  # the same page on this server
                    figures.append(_figure(f"{name.split(' (')[0]} under {label}", bare.url, url, method, body,
                                           cookie, token, seconds, kind))
                    print(figures[-1].line(), flush=True)
    return figures


def _figure(name: str, bare_url: str, url: str, method: str, body: bytes | None, cookie: dict, token: dict,
            seconds: int, kind: str) -> Figure:
    """One page or write against the bare ceiling, in alternating rounds (harness.alternating)."""
    headers = dict(cookie) if method == "GET" else {**token, "Content-Type": "application/json"}
    return alternating(
        name,
        lambda: load(url, connections=CONNECTIONS, seconds=seconds, headers=headers, method=method, body=body),
        lambda: load(bare_url + "/", connections=CONNECTIONS, seconds=seconds),
        workers=WORKERS, database=kind)


if __name__ == "__main__":
    for fig in run():
        print(fig.line())
        met = fig.ratio >= GOAL_RATIO and fig.result.p95_ms < GOAL_P95_MS
        print(f"  goal (>= {GOAL_RATIO:.0%} of the ceiling, p95 < {GOAL_P95_MS} ms): {'met' if met else 'NOT met'}")
