"""Backup and restore of the whole site: every table and every stored file, in one archive.

The archive is database-neutral (JSON lines per table, values encoded by column type), so a
backup taken on SQLite restores on PostgreSQL and back. Values are preserved exactly —
Decimals as text, datetimes to the microsecond — which keeps the ledger's hash chain valid.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, DateTime, LargeBinary, Numeric, Table, select, text, update

from app.extensions import db

FORMAT = "lentera-backup/1"


def _encode(col, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decode(col, value: Any) -> Any:
    if value is None:
        return None
    t = col.type
    if isinstance(t, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(t, Date):
        return date.fromisoformat(value)
    if isinstance(t, Numeric):
        return Decimal(str(value)) if getattr(t, "asdecimal", True) else value
    if isinstance(t, LargeBinary):
        return base64.b64decode(value)
    if isinstance(t, JSON):
        return value
    return value


def _deferred_fk_columns(table: Table) -> list[str]:
    """Columns whose foreign key closes a cycle (use_alter, or pointing at its own table, like a
    unit's parent): inserted as NULL, set once every row exists."""
    return [fk.parent.name for fk in table.foreign_keys
            if fk.use_alter or fk.constraint.use_alter or fk.column.table is table]


def clear_all_tables() -> None:
    """Delete every row of every table (the schema stays)."""
    engine = db.engine
    tables = db.metadata.sorted_tables
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for t in reversed(tables):
                conn.execute(t.delete())
            if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first():
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def insert_rows(rows_by_table: dict[str, list[dict]]) -> None:
    """Insert rows (already decoded) table by table in dependency order, then fix sequences."""
    engine = db.engine
    tables = db.metadata.sorted_tables
    with engine.begin() as conn:
        deferred: list[tuple[Table, str, list[dict]]] = []
        for t in tables:
            rows = rows_by_table.get(t.name)
            if not rows:
                continue
            late = _deferred_fk_columns(t)
            if late:
                deferred.append((t, t.primary_key.columns.values()[0].name, rows))
                rows = [{**r, **{c: None for c in late}} for r in rows]
            for start in range(0, len(rows), 1000):
                conn.execute(t.insert(), rows[start:start + 1000])
        for t, pk, rows in deferred:
            for r in rows:
                values = {c: r.get(c) for c in _deferred_fk_columns(t) if r.get(c) is not None}
                if values:
                    conn.execute(update(t).where(t.c[pk] == r[pk]).values(**values))
        if engine.dialect.name == "postgresql":
            for t in tables:
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, db.Integer) and pk[0].autoincrement in (True, "auto"):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', '{pk[0].name}'), "
                        f"COALESCE((SELECT MAX(\"{pk[0].name}\") FROM \"{t.name}\"), 0) + 1, false)"))


def backup(path: str | Path) -> dict[str, int]:
    """Write the archive: manifest.json, db/<table>.jsonl, storage/<key>. Returns counts."""
    from app.storage import get_storage

    path = Path(path)
    counts: dict[str, int] = {}
    store = get_storage()
    with tarfile.open(path, "w:gz") as tar:
        def add_bytes(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))

        with db.engine.connect() as conn:
            for t in db.metadata.sorted_tables:
                buf = io.StringIO()
                n = 0
                for row in conn.execution_options(yield_per=2000).execute(select(t)):
                    buf.write(json.dumps({c.name: _encode(c, row._mapping[c.name]) for c in t.columns},
                                         ensure_ascii=False))
                    buf.write("\n")
                    n += 1
                counts[t.name] = n
                add_bytes(f"db/{t.name}.jsonl", buf.getvalue().encode())
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        files = 0
        for key in store.list(""):
            add_bytes(f"storage/{key}", store.read_bytes(key))
            files += 1
        counts["_files"] = files
        manifest = {"format": FORMAT, "created": datetime.utcnow().isoformat(), "alembic": sorted(revision),
                    "dialect": db.engine.dialect.name, "counts": counts}
        add_bytes("manifest.json", json.dumps(manifest, indent=1).encode())
    return counts


def restore(path: str | Path) -> dict[str, int]:
    """Replace everything with the archive's content. The schema must be migrated to the same
    revision first (`flask db upgrade`); a different revision is refused."""
    from app.storage import get_storage

    store = get_storage()
    with tarfile.open(Path(path), "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        if manifest.get("format") != FORMAT:
            raise ValueError("not a Lentera backup")
        with db.engine.connect() as conn:
            current = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all())
        if current != manifest["alembic"]:
            raise ValueError(f"schema revision {current} differs from the backup's {manifest['alembic']}: "
                             "migrate to the same revision first")
        rows_by_table: dict[str, list[dict]] = {}
        for t in db.metadata.sorted_tables:
            member = tar.extractfile(f"db/{t.name}.jsonl") if f"db/{t.name}.jsonl" in tar.getnames() else None
            if member is None:
                continue
            cols = {c.name: c for c in t.columns}
            rows_by_table[t.name] = [
                {k: _decode(cols[k], v) for k, v in json.loads(line).items() if k in cols}
                for line in member.read().decode().splitlines() if line.strip()]
        db.session.remove()
        clear_all_tables()
        insert_rows(rows_by_table)
        for key in store.list(""):
            store.delete(key)
        files = 0
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("storage/"):
                store.put_bytes(member.name[len("storage/"):], tar.extractfile(member).read())
                files += 1
    counts = {name: len(rows) for name, rows in rows_by_table.items()}
    counts["_files"] = files
    return counts
