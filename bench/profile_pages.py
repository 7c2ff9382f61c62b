"""Where a learner page's time goes, request by request, in-process (issue 23's profile).

For each learner page the demo learner opens, N requests through the app (no network, no
gunicorn) are split into: SQL (count and time of statements, from SQLAlchemy's cursor events),
the before-request hooks (session cookie, login session and user loading, CSRF, rate limits:
from the request's start to the view), template rendering (Flask's template signals), and the
rest (the view's Python, Babel, JSON, response). Not a benchmark of throughput: a map of where to
look. `python -m bench.profile_pages [--db postgresql] [-n 50] [--cprofile PATH]`.
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import time
from collections import defaultdict

from flask import before_render_template, request_started, template_rendered
from sqlalchemy import event

from bench.bench_learner_pages import setup as bench_setup
from bench.harness import Database

PAGES = [("home", "/"), ("catalogue", "/katalog"), ("my courses", "/kursus-saya"), ("JP saya", "/jp")]


def _course_pages(app, client) -> list[tuple[str, str]]:
    """The course page, one activity of each learner-facing kind in the demo learner's first course
    (the video lesson added by bench_learner_pages.setup) and a quiz attempt page."""
    import json

    from sqlalchemy import select

    from app.accounts.models import User
    from app.courses.models import Activity, Enrolment
    from app.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "peserta"))
        course_id = db.session.scalar(select(Enrolment.course_id).where(Enrolment.user_id == user.id).limit(1))
        pages = [("course", f"/kursus/{course_id}")]
        quiz_id = None
        for kind, label in (("lesson", "lesson"), ("quiz", "quiz activity"), ("video", "video")):
            act = db.session.scalar(select(Activity).where(Activity.course_id == course_id, Activity.type == kind).limit(1))
            if act is None:
                act = db.session.scalar(select(Activity).where(Activity.type == kind).limit(1))
            if act is not None:
                pages.append((label, f"/aktivitas/{act.id}"))
                if kind == "quiz":
                    from app.quizzes.models import Quiz

                    quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.activity_id == act.id))
    if quiz_id is not None:
        token = client.post("/api/v1/auth/token", json={"username": "peserta", "password": "lentera123"}).json["token"]
        started = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers={"Authorization": f"Bearer {token}"})
        pages.append(("quiz attempt", f"/percobaan/{json.loads(started.data)['id']}"))
    return pages


def profile(kind: str, n: int, cprofile_path: str | None, only: list[str] | None = None,
            show_sql: bool = False, calls: bool = False) -> list[dict]:
    from app import create_app
    from app.extensions import db

    with Database(kind) as database:
        database.prepare(bench_setup)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                          "LENTERA_STORAGE_PATH": str(database.storage_path), "SECRET_KEY": "bench",
                          "SCHEDULER_ENABLED": False, "WTF_CSRF_ENABLED": False})
        stats: dict[str, float] = defaultdict(float)
        marks: dict[str, float] = {}

        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, many):
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, many):
            stats["sql_ms"] += (time.perf_counter() - conn.info.pop("t0")) * 1000
            stats["sql_n"] += 1
            if show_sql and marks.get("show"):
                print("   ", " ".join(statement.split())[:300])

        def _started(sender, **kw):
            marks["start"] = time.perf_counter()

        def _render_start(sender, template, context, **kw):
            marks.setdefault("view_done", time.perf_counter())
            marks["render"] = time.perf_counter()

        def _render_end(sender, template, context, **kw):
            stats["render_ms"] += (time.perf_counter() - marks.pop("render", time.perf_counter())) * 1000

        def _hooks_done():
            stats["setup_ms"] += (time.perf_counter() - marks.get("start", time.perf_counter())) * 1000

        app.before_request_funcs.setdefault(None, []).append(_hooks_done)  # after every other hook
        request_started.connect(_started, app)
        before_render_template.connect(_render_start, app)
        template_rendered.connect(_render_end, app)

        client = app.test_client()
        client.post("/masuk", data={"username": "peserta", "password": "lentera123"})
        rows = []
        profiler = cProfile.Profile() if cprofile_path else None
        for name, path in PAGES + _course_pages(app, client):
            if only and name not in only:
                continue
            totals, sqls, sqlms, renders, setups, cpus = [], [], [], [], [], []
            for i in range(n + 3):
                stats.clear()
                marks.clear()
                if show_sql and i == 2:  # the last warm-up request: what every later one runs
                    print(f"-- {name} {path}")
                    marks["show"] = True
                t0, c0 = time.perf_counter(), time.process_time()
                if profiler and i >= 3:
                    profiler.enable()
                resp = client.get(path)
                if profiler and i >= 3:
                    profiler.disable()
                total = (time.perf_counter() - t0) * 1000
                cpu = (time.process_time() - c0) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{path}: {resp.status_code}")
                if i < 3:  # warm-up: template compilation, first queries
                    continue
                totals.append(total)
                cpus.append(cpu)
                sqls.append(stats["sql_n"])
                sqlms.append(stats["sql_ms"])
                renders.append(stats["render_ms"])
                setups.append(stats["setup_ms"])
            row_calls = None
            if calls:  # one more request under a profiler of its own: a count, not a time
                import pstats

                counter = cProfile.Profile()
                counter.enable()
                client.get(path)
                counter.disable()
                row_calls = pstats.Stats(counter).total_calls
            rows.append({"calls": row_calls, "page": name, "path": path, "ms": statistics.median(totals),
                         "queries": statistics.median(sqls), "sql_ms": statistics.median(sqlms),
                         "render_ms": statistics.median(renders), "setup_ms": statistics.median(setups),
                         "cpu_ms": statistics.median(cpus)})
        if profiler:
            profiler.dump_stats(cprofile_path)
        return rows


def table(rows: list[dict], kind: str) -> str:
    with_calls = any(r.get("calls") for r in rows)
    out = [f"| page ({kind}) | median ms | CPU ms | queries | SQL ms | hooks ms | template ms | rest ms |"
           + (" Python calls |" if with_calls else ""),
           "|---|---|---|---|---|---|---|---|" + ("---|" if with_calls else "")]
    for r in rows:
        rest = r["ms"] - r["sql_ms"] - r["render_ms"] - r["setup_ms"]
        out.append(f"| {r['page']} `{r['path']}` | {r['ms']:.1f} | {r['cpu_ms']:.1f} | {r['queries']:.0f} | {r['sql_ms']:.1f} | "
                   f"{r['setup_ms']:.1f} | {r['render_ms']:.1f} | {rest:.1f} |"
                   + (f" {r['calls']:,} |" if with_calls else ""))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--cprofile", default=None, help="write cProfile stats of every measured request here")
    parser.add_argument("--page", action="append", help="only this page (by its name in the table); repeatable")
    parser.add_argument("--sql", action="store_true", help="print each page's statements once")
    parser.add_argument("--calls", action="store_true",
                        help="count Python function calls per request (steady whatever the machine's load)")
    args = parser.parse_args()
    print(table(profile(args.db, args.n, args.cprofile, args.page, args.sql, args.calls), args.db))


if __name__ == "__main__":
    main()
