"""Where a learner page's time goes, request by request, in-process (issue 23's profile).

For each learner page the demo learner opens, N requests through the app (no network, no
gunicorn) are split into: SQL (count and time of statements, from SQLAlchemy's cursor events),
template rendering (Flask's template signals), session + user loading (up to the view), and the
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

from bench.harness import Database, seed_demo

PAGES = [("home", "/"), ("catalogue", "/katalog"), ("my courses", "/kursus-saya"), ("JP saya", "/jp")]


def _course_pages(app) -> list[tuple[str, str]]:
    """The course page and one activity of each learner-facing kind in the demo learner's first course."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.courses.models import Activity, Enrolment
    from app.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "peserta"))
        course_id = db.session.scalar(select(Enrolment.course_id).where(Enrolment.user_id == user.id).limit(1))
        pages = [("course", f"/kursus/{course_id}")]
        for kind, label in (("lesson", "lesson"), ("quiz", "quiz activity"), ("video", "video")):
            act = db.session.scalar(select(Activity.id).where(Activity.course_id == course_id, Activity.type == kind).limit(1))
            if act is None:
                act = db.session.scalar(select(Activity.id).where(Activity.type == kind).limit(1))
            if act is not None:
                pages.append((label, f"/aktivitas/{act}"))
        return pages


def profile(kind: str, n: int, cprofile_path: str | None) -> list[dict]:
    from app import create_app
    from app.extensions import db

    with Database(kind) as database:
        database.prepare(seed_demo)
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

        def _started(sender, **kw):
            marks["start"] = time.perf_counter()

        def _render_start(sender, template, context, **kw):
            marks.setdefault("view_done", time.perf_counter())
            marks["render"] = time.perf_counter()

        def _render_end(sender, template, context, **kw):
            stats["render_ms"] += (time.perf_counter() - marks.pop("render", time.perf_counter())) * 1000

        request_started.connect(_started, app)
        before_render_template.connect(_render_start, app)
        template_rendered.connect(_render_end, app)

        client = app.test_client()
        client.post("/masuk", data={"username": "peserta", "password": "lentera123"})
        rows = []
        profiler = cProfile.Profile() if cprofile_path else None
        for name, path in PAGES + _course_pages(app):
            totals, sqls, sqlms, renders = [], [], [], []
            for i in range(n + 3):
                stats.clear()
                marks.clear()
                t0 = time.perf_counter()
                if profiler and i >= 3:
                    profiler.enable()
                resp = client.get(path)
                if profiler and i >= 3:
                    profiler.disable()
                total = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{path}: {resp.status_code}")
                if i < 3:  # warm-up: template compilation, first queries
                    continue
                totals.append(total)
                sqls.append(stats["sql_n"])
                sqlms.append(stats["sql_ms"])
                renders.append(stats["render_ms"])
            rows.append({"page": name, "path": path, "ms": statistics.median(totals),
                         "queries": statistics.median(sqls), "sql_ms": statistics.median(sqlms),
                         "render_ms": statistics.median(renders)})
        if profiler:
            profiler.dump_stats(cprofile_path)
        return rows


def table(rows: list[dict], kind: str) -> str:
    out = [f"| page ({kind}) | median ms | queries | SQL ms | template ms | rest ms |", "|---|---|---|---|---|---|"]
    for r in rows:
        rest = r["ms"] - r["sql_ms"] - r["render_ms"]
        out.append(f"| {r['page']} `{r['path']}` | {r['ms']:.1f} | {r['queries']:.0f} | {r['sql_ms']:.1f} | "
                   f"{r['render_ms']:.1f} | {rest:.1f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--cprofile", default=None, help="write cProfile stats of every measured request here")
    args = parser.parse_args()
    print(table(profile(args.db, args.n, args.cprofile), args.db))


if __name__ == "__main__":
    main()
