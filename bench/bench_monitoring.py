"""Monitoring at provincial scale: 50,000 employees, 40 units, 2 million ledger entries.

Measures, on PostgreSQL under gunicorn (2 sync workers), the p95 latency of
`GET /api/v1/monitoring/attainment` and of the dashboard page `/pemantauan` for the whole
province (goal: < 300 ms), and prints them beside the bare SQL aggregate over the same data
timed straight on the database in the same run:

- "the app's own dashboard statement run raw": the grouped query the app sends (users + units +
  monitoring_jp_totals, every figure of the page in one scan), timed on a bare psycopg connection
  — the ratio the issue names (goal ≤ 1.5): what Flask, the ORM and rendering add;
- "minimal attainment aggregate": employees / met / total per unit only, over the same tables;
- "bare SQL over ledger_entries": the same figures summed from the 2 million raw entries, i.e.
  what every request would cost without the aggregate table.

Two connections (one per worker) so that p95 is a request's latency rather than queueing.
Run: `.venv/bin/python -m bench.bench_monitoring` (BENCH_SECONDS, BENCH_EMPLOYEES to scale).
"""

from __future__ import annotations

import os
import statistics
import time

from bench.harness import Database, Figure, Server, api_token, default_seconds, load, login_cookie, seed_demo

WORKERS = 2
CONNECTIONS = 2
YEAR = 2025
GOAL_MS = 300
GOAL_RATIO = 1.5
_state: dict = {}

SQL_AGGREGATE = """
SELECT u.unit_id, count(*), sum(CASE WHEN coalesce(t.jp, 0) >= 20 THEN 1 ELSE 0 END), sum(coalesce(t.jp, 0)),
       sum(t.classical), sum(t.social), sum(t.experiential)
FROM users u JOIN units un ON un.id = u.unit_id
LEFT JOIN monitoring_jp_totals t ON t.user_id = u.id AND t.year = %(year)s
WHERE un.path LIKE %(path)s AND u.active AND u.nip IS NOT NULL
GROUP BY u.unit_id
"""

SQL_LEDGER = """
SELECT u.unit_id, count(*), sum(CASE WHEN coalesce(s.jp, 0) >= 20 THEN 1 ELSE 0 END), sum(coalesce(s.jp, 0))
FROM users u JOIN units un ON un.id = u.unit_id
LEFT JOIN (SELECT user_id, sum(jp) AS jp FROM ledger_entries WHERE year = %(year)s GROUP BY user_id) s
       ON s.user_id = u.id
WHERE un.path LIKE %(path)s AND u.active AND u.nip IS NOT NULL
GROUP BY u.unit_id
"""


def setup(app) -> None:
    from app.accounts import operations as ops
    from app.accounts.models import Unit
    from app.extensions import db
    from tests.gen_province import generate

    seed_demo(app)
    employees = int(os.environ.get("BENCH_EMPLOYEES", "50000"))
    summary = generate(app, employees=employees, year=YEAR, log=lambda m: print(m, flush=True))
    root = db.session.get(Unit, summary["root_id"])
    user = ops.create_user("bpsdm_prov", password="lentera123", name="BPSDM Provinsi")
    ops.set_roles(user, ["bpsdm"], {"bpsdm": root})
    db.session.commit()
    _state.update(summary, path=root.path)


def dashboard_sql(database: Database) -> tuple[str, dict]:
    """The app's own dashboard aggregate statement, as it sends it to PostgreSQL."""
    from sqlalchemy import event

    from app import create_app
    from app.accounts.queries import user_by_username
    from app.extensions import db
    from app.monitoring import queries as q

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SCHEDULER_ENABLED": False})
    captured: list = []
    with app.app_context():
        def grab(conn, cursor, statement, parameters, context, executemany):
            if "FILTER (WHERE" in statement:
                captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        viewer = user_by_username("bpsdm_prov")
        q.dashboard(viewer, YEAR, q.resolve_unit(viewer, None))
        event.remove(db.engine, "before_cursor_execute", grab)
        db.session.remove()
        db.engine.dispose()
    return captured[0]


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def time_sql(url: str, sql: str, params: dict, runs: int) -> dict:
    import psycopg

    times = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for _ in range(3):
            conn.execute(sql, params).fetchall()  # warm the cache like the app's warm-up
        for _ in range(runs):
            t = time.perf_counter()
            conn.execute(sql, params).fetchall()
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[max(0, int(len(times) * 0.95) - 1)], "runs": runs}


def run() -> list[Figure]:
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database("postgresql") as database:
        t = time.monotonic()
        database.prepare(setup)
        print(f"generated in {time.monotonic() - t:.0f}s: {_state}", flush=True)
        vacuum(database.url)  # steady state: a production database has been autovacuumed after its loads
        params = {"year": YEAR, "path": _state["path"] + "%"}
        app_sql, app_params = dashboard_sql(database)

        def bare_sql() -> tuple[dict, dict, dict]:
            return (time_sql(database.url, app_sql, app_params, runs=40),
                    time_sql(database.url, SQL_AGGREGATE, params, runs=40),
                    time_sql(database.url, SQL_LEDGER, params, runs=8))
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            cookie = login_cookie(server.url, "bpsdm_prov", "lentera123")
            token = api_token(server.url, "bpsdm_prov", "lentera123")
            ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
            cases = [(f"GET /api/v1/monitoring/attainment?year={YEAR} (50k employees)",
                      f"{server.url}/api/v1/monitoring/attainment?year={YEAR}", token),
                     (f"dashboard page /pemantauan?year={YEAR}", f"{server.url}/pemantauan?year={YEAR}", cookie)]
            for name, url, headers in cases:
                # The bare SQL is timed just before and just after the HTTP load (the machine is
                # shared: both sides of the ratio see the same conditions); the mean is compared.
                before = bare_sql()
                result = load(url, connections=CONNECTIONS, seconds=seconds, headers=headers)
                after = bare_sql()
                bare_same, bare_agg, bare_ledger = ({k: (b[k] + a[k]) / 2 for k in ("p50", "p95")}
                                                    for b, a in zip(before, after, strict=True))
                fig = Figure(name, result, ceiling, workers=WORKERS, database="postgresql")
                figures.append(fig)
                print(fig.line())
                print(f"  p95 {result.p95_ms:.1f} ms vs goal {GOAL_MS} ms: {'OK' if result.p95_ms < GOAL_MS else 'OVER'}")
                print(f"  bare SQL, the app's own dashboard statement run raw: p50 {bare_same['p50']:.1f} ms "
                      f"p95 {bare_same['p95']:.1f} ms → ratio p95 app/bare {result.p95_ms / bare_same['p95']:.2f}"
                      f" (goal ≤ {GOAL_RATIO})")
                print(f"  bare SQL, minimal attainment aggregate over the same tables: p50 {bare_agg['p50']:.1f} ms "
                      f"p95 {bare_agg['p95']:.1f} ms → ratio p95 app/bare {result.p95_ms / bare_agg['p95']:.2f}")
                print(f"  bare SQL over ledger_entries (no aggregate): p50 {bare_ledger['p50']:.1f} ms "
                      f"p95 {bare_ledger['p95']:.1f} ms → ratio p95 app/bare {result.p95_ms / bare_ledger['p95']:.2f}",
                      flush=True)
    return figures


if __name__ == "__main__":
    run()
