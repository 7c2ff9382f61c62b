"""JP ledger with 1 million entries (BENCH_LEDGER_ENTRIES), on SQLite and PostgreSQL (BENCH_DB
picks one; default both). Measured in-process, not over HTTP: each figure is operations per
second with per-operation latencies, and its ceiling is the same work without the ledger's
machinery, measured in the same run on the same database:

- append: `operations.append_entry()` + COMMIT per entry (chain-head lock, SHA-256, unique key)
  vs. a bare single-row INSERT + COMMIT into a table of the same columns without constraints;
- yearly total: `queries.year_total()` for one person (ORM, Decimal) vs. the same SQL on the raw
  DB-API cursor;
- verify: `chain.verify()` over the whole chain (streamed with yield_per, every hash recomputed),
  in entries per second, vs. streaming the same columns without hashing.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench.harness import Database, Figure, Result

ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
APPENDS = int(os.environ.get("BENCH_LEDGER_APPENDS", "2000"))
PEOPLE = int(os.environ.get("BENCH_LEDGER_PEOPLE", "5000"))
TOTALS = 300


def _result(name: str, latencies: list[float], count: int | None = None, seconds: float | None = None) -> Result:
    seconds = seconds if seconds is not None else sum(latencies)
    count = count if count is not None else len(latencies)
    qs = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Result(url=name, connections=1, seconds=seconds, requests=count, rps=count / seconds if seconds else 0.0,
                  p50_ms=qs[49] * 1000, p95_ms=qs[94] * 1000, p99_ms=qs[98] * 1000, errors=0)


def setup(app) -> None:
    """People in one unit, then ENTRIES chained entries loaded in batches (hashes computed as the app does)."""
    from sqlalchemy import insert, text

    from app.accounts import operations as acc
    from app.accounts.models import User
    from app.extensions import db
    from app.ledger.chain import HASHED_FIELDS, entry_hash
    from app.ledger.models import GENESIS_HASH, LedgerChainHead, LedgerEntry

    inst = acc.create_unit("Pemerintah Provinsi Bench", None, "instansi", "BENCH")
    db.session.commit()
    now = datetime(2026, 1, 1)
    db.session.execute(insert(User.__table__), [
        {"username": f"p{i:06d}", "name": f"Pegawai {i}", "nip": None, "unit_id": inst.id, "active": True,
         "created_at": now} for i in range(PEOPLE)])
    db.session.commit()
    user_ids = [r[0] for r in db.session.execute(text("SELECT id FROM users ORDER BY id"))]
    rng = random.Random(20261122)
    kinds = [("course", "classical", "NKL03"), ("seminar", "classical", "KL06"), ("coaching", "social", "NKL01"),
             ("internship", "experiential", "NKL10")]
    prev = GENESIS_HASH
    table = LedgerEntry.__table__
    batch: list[dict] = []
    t0 = time.perf_counter()
    for i in range(1, ENTRIES + 1):
        kind, category, code = kinds[i % 4]
        on = date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        row = {"id": i, "user_id": rng.choice(user_ids), "nip": None, "year": on.year, "occurred_on": on,
               "kind": kind, "category": category, "title": f"Kegiatan pengembangan kompetensi {i}",
               "organiser": "BPSDM", "start_date": on, "end_date": on, "jp": Decimal(rng.randrange(50, 1000)) / 100,
               "minutes": None, "international": False, "rule_code": code, "source_type": "manual",
               "source_id": None, "jenis_diklat_id": 3, "certificate_number": None, "reverses_id": None,
               "reason": None, "recorded_at": now + timedelta(microseconds=i * 997), "recorded_by_id": None,
               "prev_hash": prev, "hash_version": 2}  # keyed, as the app chains them (app/ledger/seal.py)
        row["hash"] = prev = entry_hash({k: row[k] for k in HASHED_FIELDS}, 2)
        batch.append(row)
        if len(batch) == 20000:
            db.session.execute(insert(table), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
    head = db.session.get(LedgerChainHead, 1)
    head.last_entry_id, head.last_hash, head.entries = ENTRIES, prev, ENTRIES
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), {ENTRIES})"))
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE")
    db.session.commit()
    print(f"  loaded {ENTRIES} chained entries in {time.perf_counter() - t0:.1f} s", flush=True)


def measure(database: Database) -> list[Figure]:
    from sqlalchemy import Column, Integer, MetaData, Table, select

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.ledger import chain, queries
    from app.ledger import operations as ops
    from app.ledger.models import LedgerEntry

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SECRET_KEY": "bench",
                      "SCHEDULER_ENABLED": False})
    figures: list[Figure] = []
    kind = database.kind
    with app.app_context():
        users = list(db.session.scalars(select(User).order_by(User.id).limit(200)))
        rng = random.Random(7)

        # append
        lat = []
        for i in range(APPENDS):
            u = users[i % len(users)]
            t = time.perf_counter()
            ops.append_entry(u, kind="seminar", title=f"Seminar {i}", occurred_on=date(2026, 5, 1), jp=Decimal(4))
            db.session.commit()
            lat.append(time.perf_counter() - t)
        app_append = _result("append", lat)
        md = MetaData()
        cols = [Column("id", Integer, primary_key=True)] + [
            Column(c.name, c.type) for c in LedgerEntry.__table__.columns if c.name != "id"]
        bare = Table("bench_bare_entries", md, *cols)
        md.create_all(db.engine)
        lat = []
        for i in range(APPENDS):
            t = time.perf_counter()
            with db.engine.begin() as conn:
                conn.execute(bare.insert().values(
                    user_id=users[i % len(users)].id, nip=None, year=2026, occurred_on=date(2026, 5, 1),
                    kind="seminar", category="classical", title=f"Seminar {i}", jp=Decimal(4), international=False,
                    source_type="manual", recorded_at=datetime(2026, 5, 1), prev_hash="0" * 64, hash="0" * 64))
            lat.append(time.perf_counter() - t)
        figures.append(Figure(f"ledger append (+commit) [{kind}]", app_append, _result("bare insert", lat),
                              workers=1, database=kind))

        # one person's yearly total
        sample = [users[rng.randrange(len(users))].id for _ in range(TOTALS)]
        lat = []
        for uid in sample:
            t = time.perf_counter()
            queries.year_total(uid, 2025)
            lat.append(time.perf_counter() - t)
        db.session.rollback()
        app_total = _result("year_total", lat)
        raw = db.engine.raw_connection()
        mark = "?" if kind == "sqlite" else "%s"
        lat = []
        try:
            cur = raw.cursor()
            for uid in sample:
                t = time.perf_counter()
                cur.execute(f"SELECT COALESCE(SUM(jp), 0) FROM ledger_entries WHERE user_id = {mark} AND year = {mark}",
                            (uid, 2025))
                cur.fetchone()
                lat.append(time.perf_counter() - t)
            raw.rollback()
        finally:
            raw.close()
        figures.append(Figure(f"yearly total of one person [{kind}]", app_total, _result("raw SQL", lat),
                              workers=1, database=kind))

        # verify the whole chain
        t = time.perf_counter()
        result = chain.verify()
        took = time.perf_counter() - t
        assert result.ok, result
        app_verify = _result("verify", [took], count=result.entries_checked, seconds=took)
        columns = [LedgerEntry.id] + [getattr(LedgerEntry, n) for n in chain.HASHED_FIELDS] + [LedgerEntry.hash]
        t = time.perf_counter()
        n = 0
        res = db.session.execute(select(*columns).order_by(LedgerEntry.id).execution_options(
            yield_per=5000, stream_results=True))
        for row in res:
            row._asdict()
            n += 1
        res.close()
        took_bare = time.perf_counter() - t
        figures.append(Figure(f"verify chain, {result.entries_checked} entries, entries/s [{kind}]", app_verify,
                              _result("stream only", [took_bare], count=n, seconds=took_bare), workers=1,
                              database=kind))
        print(f"  verify: {result.entries_checked} entries in {took:.1f} s (streaming alone {took_bare:.1f} s)",
              flush=True)
        db.session.remove()
        db.engine.dispose()
    return figures


def run() -> list[Figure]:
    kinds = [os.environ["BENCH_DB"]] if os.environ.get("BENCH_DB") else ["sqlite", "postgresql"]
    figures: list[Figure] = []
    for kind in kinds:
        print(f"-- {kind}: loading {ENTRIES} entries", flush=True)
        with Database(kind) as database:
            database.prepare(setup)
            figures.extend(measure(database))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line(), flush=True)
    sys.exit(0)
