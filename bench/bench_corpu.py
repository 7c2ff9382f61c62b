"""CMB training-needs map: 50,000 employees × 10 competencies, one instansi with 20 units.

The map (`app.corpu.needs.training_needs`: the set-based GROUP BY, the suggested courses with
participants and costs, the budget envelope) is timed in-process against a prepared database —
median of 7 runs after one warm-up. Ceiling: 1 s (issue 8). It is also compared with the bare
SQL aggregate alone (the same GROUP BY as plain SQL text, no ORM, no courses or costs), the
least any implementation of the map must spend. In RESULTS.md the time appears as "req/s" =
maps per second and p50 = the median time in ms; ratio = ceiling time ÷ measured time (≥ 100 %
means under the ceiling).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, datetime

from sqlalchemy import insert, select, text

from bench.harness import Database, Figure, Result

EMPLOYEES = int(os.environ.get("BENCH_CORPU_EMPLOYEES", "50000"))
COMPETENCIES = ["MJ-INT", "MJ-KS", "MJ-KOM", "MJ-OPH", "MJ-PP", "MJ-PDOL", "MJ-MP", "MJ-PK", "SK-PB", "TEK-LITDIG"]
POSITIONS = 10
UNITS = 20
CEILING_SECONDS = 1.0
YEAR = 2026

#: The least any implementation must spend: the map's two aggregates as plain SQL text (no ORM,
#: no standards, courses, costs or budget).
BARE_SQL = [
    """SELECT u.position_id, COUNT(*) FROM users u JOIN units un ON un.id = u.unit_id
       WHERE u.active AND un.path LIKE :prefix AND u.position_id IS NOT NULL GROUP BY u.position_id""",
    """SELECT (u.position_id * 1048576 + cl.competency_id) * 8 + cl.level AS k, COUNT(*)
       FROM users u JOIN units un ON un.id = u.unit_id
       JOIN competency_current_levels cl ON cl.user_id = u.id
       WHERE u.active AND un.path LIKE :prefix AND u.position_id IS NOT NULL
       GROUP BY (u.position_id * 1048576 + cl.competency_id) * 8 + cl.level""",
]
#: The same answer by brute force (employees × standards in one join), run once to check the map.
CHECK_SQL = """
SELECT ps.competency_id, COALESCE(cl.level, 0) AS cur, COUNT(*)
FROM users u
JOIN units un ON un.id = u.unit_id
JOIN position_standards ps ON ps.position_id = u.position_id
LEFT JOIN competency_current_levels cl ON cl.user_id = u.id AND cl.competency_id = ps.competency_id
WHERE u.active AND un.path LIKE :prefix AND ps.required_level > COALESCE(cl.level, 0)
GROUP BY ps.competency_id, COALESCE(cl.level, 0)
"""


def setup(app) -> None:
    """50,000 employees in 20 units, 10 positions each requiring 10 competencies, a current level
    for ~80 % of (employee, competency) pairs, 30 courses with costs, an APBD."""
    from app.accounts import operations as accounts_ops
    from app.accounts.models import Position, User
    from app.corpu import operations as ops
    from app.corpu.models import Assessment, Competency, CurrentLevel, PositionStandard
    from app.courses.models import Course, CourseCompetency
    from app.extensions import db

    rnd = random.Random(8)
    instansi = accounts_ops.create_unit("Pemerintah Provinsi Bench", None, "instansi", "BENCH")
    units = [accounts_ops.create_unit(f"Dinas {i:02d}", instansi) for i in range(UNITS)]
    positions = [Position(name=f"Jabatan Bench {i}") for i in range(POSITIONS)]
    db.session.add_all(positions)
    db.session.flush()
    comps = {c.code: c.id for c in db.session.scalars(select(Competency).where(Competency.code.in_(COMPETENCIES)))}
    db.session.execute(insert(PositionStandard), [
        {"position_id": p.id, "competency_id": comps[code], "required_level": 2 + (i + j) % 3}
        for i, p in enumerate(positions) for j, code in enumerate(COMPETENCIES)])
    now = datetime(2026, 1, 2)
    db.session.execute(insert(User), [
        {"username": f"bench{i:05d}", "name": f"Pegawai {i}", "unit_id": units[i % UNITS].id,
         "position_id": positions[i % POSITIONS].id, "active": True, "created_at": now}
        for i in range(EMPLOYEES)])
    user_ids = list(db.session.scalars(select(User.id).where(User.username.like("bench%")).order_by(User.id)))
    assessments, levels = [], []
    next_id = (db.session.scalar(select(db.func.max(Assessment.id))) or 0) + 1
    for uid in user_ids:
        for code in COMPETENCIES:
            if rnd.random() < 0.8:
                level = rnd.randint(1, 4)
                assessments.append({"id": next_id, "user_id": uid, "competency_id": comps[code], "level": level,
                                    "previous_level": 0, "assessed_on": date(2025, 5, 1), "source": "assessment_centre",
                                    "recorded_at": now})
                levels.append({"user_id": uid, "competency_id": comps[code], "level": level,
                               "assessed_on": date(2025, 5, 1), "assessment_id": next_id})
                next_id += 1
    for start in range(0, len(assessments), 20000):
        db.session.execute(insert(Assessment), assessments[start:start + 20000])
        db.session.execute(insert(CurrentLevel), levels[start:start + 20000])
    for i in range(30):
        code = COMPETENCIES[i % len(COMPETENCIES)]
        course = Course(code=f"BENCH-{i:02d}", title=f"Kursus Bench {i:02d}", summary="", jp=4, mode="online",
                        self_enrol=True, published=True)
        course.competencies.append(CourseCompetency(code=code, level=2 + i % 4))
        db.session.add(course)
        db.session.flush()
        ops.set_course_cost(course, 250_000 + 50_000 * (i % 5))
    ops.set_budget(instansi, YEAR, 3_200_000_000_000)
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))
    db.session.commit()


def _codes() -> dict[str, int]:
    from app.corpu.models import Competency
    from app.extensions import db

    return dict(db.session.execute(select(Competency.code, Competency.id).where(Competency.code.in_(COMPETENCIES))).all())


def _timed(fn, runs: int = 7) -> tuple[float, object]:
    fn()  # warm-up: caches, query plans
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _as_result(label: str, seconds: float) -> Result:
    return Result(url=label, connections=1, seconds=seconds, requests=1, rps=1 / seconds if seconds else 0.0,
                  p50_ms=seconds * 1000, p95_ms=seconds * 1000, p99_ms=seconds * 1000, errors=0)


def measure(kind: str) -> list[Figure]:
    from app import create_app
    from app.accounts.models import Unit
    from app.corpu.needs import training_needs
    from app.extensions import db

    with Database(kind) as database:
        t0 = time.perf_counter()
        database.prepare(setup)
        print(f"[{kind}] data prepared in {time.perf_counter() - t0:.1f} s", flush=True)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                          "SCHEDULER_ENABLED": False})
        with app.app_context():
            instansi = db.session.scalar(select(Unit).where(Unit.code == "BENCH"))
            seconds, m = _timed(lambda: training_needs(instansi, YEAR))
            args = {"prefix": instansi.path + "%"}
            bare, _rows = _timed(lambda: [db.session.execute(text(sql), args).all() for sql in BARE_SQL])
            people = sum(n.employees_with_gap for n in m.needs)
            check = db.session.execute(text(CHECK_SQL), args).all()
            assert people == sum(r[2] for r in check), "the map and the brute-force join disagree"
            assert {(n.competency, n.employees_with_gap) for n in m.needs} == \
                {(code, sum(r[2] for r in check if r[0] == cid)) for code, cid in _codes().items()
                 if any(r[0] == cid for r in check)}
            print(f"[{kind}] training-needs map, {EMPLOYEES} employees x {len(COMPETENCIES)} competencies: "
                  f"{seconds * 1000:.1f} ms (median of 7); {len(m.needs)} competencies, {people} gaps, "
                  f"estimated cost Rp{m.total_cost:,.0f} vs envelope Rp{m.envelope:,.0f}", flush=True)
            print(f"[{kind}]   ratio to the 1 s ceiling: {seconds / CEILING_SECONDS:.1%} of the ceiling "
                  f"(ceiling/time = {CEILING_SECONDS / seconds:.1f}x)", flush=True)
            print(f"[{kind}]   bare SQL aggregate: {bare * 1000:.1f} ms; the map takes {seconds / bare:.2f}x the "
                  f"bare aggregate", flush=True)
            db.session.remove()
    map_result = _as_result(f"training-needs map ({kind})", seconds)
    return [
        Figure(f"training-needs map, {EMPLOYEES} x {len(COMPETENCIES)} (ceiling 1 s)", map_result,
               _as_result("1 s ceiling", CEILING_SECONDS), workers=1, database=kind),
        Figure(f"training-needs map, {EMPLOYEES} x {len(COMPETENCIES)} (vs bare SQL aggregate)", map_result,
               _as_result("bare SQL aggregate", bare), workers=1, database=kind),
    ]


def run() -> list[Figure]:
    kinds = [os.environ["BENCH_DB"]] if os.environ.get("BENCH_DB") else ["sqlite", "postgresql"]
    figures: list[Figure] = []
    for kind in kinds:
        figures += measure(kind)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
