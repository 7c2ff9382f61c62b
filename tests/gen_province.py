"""A province at scale for the monitoring benchmark: 50,000 employees in 40 units and 2 million
JP ledger entries in one year, bulk-loaded (COPY on PostgreSQL, executemany on SQLite).

The units are one instansi > 13 OPD > 2 sub-units each (1 + 13 + 26 = 40). Every employee has
40 entries spread over the year; a per-person activity level makes about half of them reach the
20 JP target, so the dashboard has real spread. The entries are hash-chained in id order with
the ledger's own canonical hash (`app.ledger.chain.entry_hash`), ids assigned here in chain order
and the chain head updated at the end, so `flask ledger verify` passes over the generated data.
The monitoring aggregate is then rebuilt from the ledger in one
INSERT … SELECT, as after any bulk load that bypasses the ledger's append.

Run alone against a database: `DATABASE_URL=postgresql://… .venv/bin/python -m tests.gen_province`
(after `flask db upgrade heads`); bench/bench_monitoring.py calls `generate()` itself, and
tests/test_monitoring_generator.py runs it small (it lives under tests/: a test must not import bench/).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text

ENTRY_AMOUNTS = (Decimal("0.25"), Decimal("0.50"), Decimal("0.75"), Decimal("1.00"), Decimal("1.25"))
CATEGORY_WEIGHTS = (("classical", 5), ("social", 3), ("experiential", 2))
USER_COLS = ("username", "name", "nip", "unit_id", "golongan", "employment_type", "active", "created_at", "email")
ENTRY_COLS = ("id", "user_id", "nip", "year", "occurred_on", "kind", "category", "title", "organiser", "jp",
              "international", "source_type", "source_id", "recorded_at", "prev_hash", "hash", "hash_version")
GOLONGAN = ("II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")


#: The generator holds the ledger key, as the app does: its entries are keyed (app/ledger/seal.py).
KEYED = 2


def entry_hash(values: dict) -> str:
    """The ledger's own canonical keyed hash (app.ledger.chain), so `flask ledger verify` passes."""
    from app.ledger.chain import entry_hash as ledger_hash

    return ledger_hash(values)


def nip(i: int) -> str:
    born = date(1965, 1, 1) + timedelta(days=i // 1000)
    return f"{born:%Y%m%d}{born.year + 25}{1 + i % 12:02d}{1 + i % 2}{i % 1000:03d}"


def _units(prefix: str):
    from app.accounts import operations as ops

    root = ops.create_unit(f"Pemerintah Provinsi {prefix}", None, "instansi", prefix)
    units = [root]
    for o in range(13):
        opd = ops.create_unit(f"Dinas {prefix} {o + 1:02d}", root, code=f"{prefix}-{o + 1:02d}")
        units.append(opd)
        for s in range(2):
            units.append(ops.create_unit(f"Bidang {o + 1:02d}.{s + 1}", opd, code=f"{prefix}-{o + 1:02d}-{s + 1}"))
    return root, units


def _copy(conn, table: str, cols: tuple[str, ...], rows) -> None:
    """COPY on PostgreSQL (psycopg 3), executemany elsewhere."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
    else:
        batch = []
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur = raw.cursor()
        for row in rows:
            batch.append([str(v) if isinstance(v, Decimal | date) else v for v in row])
            if len(batch) >= 20000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)


def generate(app, *, employees: int = 50_000, entries_per_employee: int = 40, year: int = 2025,
             prefix: str = "PRV", seed: int = 7, log=print) -> dict:
    """Create the province and its ledger inside `app`'s database; returns a summary."""
    from app.extensions import db
    from app.ledger.models import GENESIS_HASH, LedgerChainHead, LedgerEntry
    from app.monitoring.totals import rebuild_totals

    rnd = random.Random(seed)
    t0 = time.monotonic()
    root, units = _units(prefix)
    db.session.flush()
    unit_ids = [u.id for u in units]
    now = datetime.utcnow().replace(microsecond=0)  # noqa: DTZ003 - stored naive UTC like utcnow()

    def users():
        for i in range(employees):
            yield (f"{prefix.lower()}{i:06d}", f"Pegawai {prefix} {i:06d}", nip(i), unit_ids[i % len(unit_ids)],
                   GOLONGAN[i % len(GOLONGAN)], "PPPK" if i % 7 == 0 else "PNS", True, now,
                   f"{prefix.lower()}{i:06d}@example.go.id")

    conn = db.session.connection()
    _copy(conn, "users", USER_COLS, users())
    people = db.session.execute(select(text("id"), text("nip")).select_from(text("users"))
                                .where(text("username LIKE :p")), {"p": f"{prefix.lower()}%"}).all()
    log(f"  {len(units)} units, {len(people)} employees in {time.monotonic() - t0:.1f}s")

    head = db.session.get(LedgerChainHead, 1)
    prev = head.last_hash if head is not None else GENESIS_HASH
    next_id = (db.session.scalar(select(func.max(LedgerEntry.id))) or 0) + 1
    first_id = next_id
    jan1 = date(year, 1, 1)
    days = (date(year, 12, 31) - jan1).days + 1
    cats = [c for c, w in CATEGORY_WEIGHTS for _ in range(w)]
    from app.ledger.chain import HASHED_FIELDS

    blank = dict.fromkeys(HASHED_FIELDS)

    def entries():
        nonlocal prev, next_id
        for user_id, user_nip in people:
            level = Decimal(rnd.randint(20, 120)) / 100
            for k in range(entries_per_employee):
                jp = (rnd.choice(ENTRY_AMOUNTS) * level).quantize(Decimal("0.01"))
                on = jan1 + timedelta(days=rnd.randrange(days))
                values = dict(blank, user_id=user_id, nip=user_nip, year=year, occurred_on=on, kind="course",
                              category=cats[rnd.randrange(len(cats))], title=f"Pelatihan {k + 1}",
                              organiser="BPSDM", jp=jp, international=False, source_type="manual",
                              source_id=next_id, recorded_at=now, prev_hash=prev)
                h = entry_hash(values)
                yield (next_id, user_id, user_nip, year, on, "course", values["category"], values["title"],
                       "BPSDM", jp, False, "manual", next_id, now, prev, h, KEYED)
                prev = h
                next_id += 1

    t1 = time.monotonic()
    _copy(conn, "ledger_entries", ENTRY_COLS, entries())
    total = next_id - first_id
    if head is None:
        db.session.add(LedgerChainHead(id=1, last_entry_id=next_id - 1, last_hash=prev, entries=total))
    else:
        head.last_entry_id, head.last_hash, head.entries = next_id - 1, prev, head.entries + total
    if conn.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), :v)"),
                           {"v": next_id - 1})
    log(f"  {total} ledger entries in {time.monotonic() - t1:.1f}s")
    t2 = time.monotonic()
    rows = rebuild_totals(year)
    db.session.commit()
    if conn.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    log(f"  aggregate rebuilt ({rows} rows) in {time.monotonic() - t2:.1f}s")
    return {"root_id": root.id, "units": len(units), "employees": len(people), "entries": total, "year": year}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--entries-per-employee", type=int, default=40)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--prefix", default="PRV")
    args = parser.parse_args()
    from app import create_app

    app = create_app({"SCHEDULER_ENABLED": False})
    with app.app_context():
        print(generate(app, employees=args.employees, entries_per_employee=args.entries_per_employee,
                       year=args.year, prefix=args.prefix))


if __name__ == "__main__":
    main()
