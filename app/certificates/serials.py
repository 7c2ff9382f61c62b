"""Certificate numbers: a per-instansi format and a sequence that is safe under concurrency."""

from __future__ import annotations

import string
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import update

from app.certificates.models import SerialCounter
from app.errors import BadInput
from app.extensions import db

ALLOWED_FIELDS = {"code", "year", "month", "seq"}


def check_format(fmt: str) -> str:
    """Refuse a format that would not give unique, printable serials."""
    fmt = (fmt or "").strip()
    try:
        names = {f[1].split(".")[0].split("[")[0] for f in string.Formatter().parse(fmt) if f[1] is not None}
    except ValueError as exc:
        raise BadInput(_("Format nomor tidak valid: %(err)s", err=str(exc)), code="serial_format") from exc
    if "seq" not in names:
        raise BadInput(_("Format nomor harus memuat {seq} agar setiap nomor unik."), code="serial_format")
    unknown = names - ALLOWED_FIELDS
    if unknown:
        raise BadInput(_("Kolom tidak dikenal dalam format nomor: %(names)s", names=", ".join(sorted(unknown))),
                       code="serial_format")
    try:
        sample = fmt.format(code="X", year=2026, month=1, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise BadInput(_("Format nomor tidak valid: %(err)s", err=str(exc)), code="serial_format") from exc
    if len(sample) > 100 or any(c in sample for c in "?#\\\n\r\t"):
        raise BadInput(_("Format nomor menghasilkan nomor yang terlalu panjang atau berisi karakter terlarang."),
                       code="serial_format")
    return fmt


def next_value(scope: str) -> int:
    """Allocate the next number of `scope` inside the caller's transaction.

    The counter row is created with INSERT … ON CONFLICT DO NOTHING and bumped with one
    UPDATE … RETURNING: the database serialises concurrent writers on that row (PostgreSQL row
    lock, SQLite's single writer), so no two transactions can read the same value.
    """
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(SerialCounter).values(scope=scope, value=0).on_conflict_do_nothing(
        index_elements=["scope"]))
    return db.session.execute(update(SerialCounter).where(SerialCounter.scope == scope)
                              .values(value=SerialCounter.value + 1).returning(SerialCounter.value)).scalar_one()


def allocate_serial(fmt: str, code: str, on: date, scope_key: str) -> str:
    """The next serial for this format. The sequence restarts each year when the format shows
    the year (the usual "…/2026/000123"), otherwise it runs on."""
    yearly = "{year" in fmt
    scope = f"{scope_key}:{on.year}" if yearly else scope_key
    seq = next_value(scope)
    return fmt.format(code=code, year=on.year, month=on.month, seq=seq)
