"""`flask ledger verify` and the demo JP entries."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from app.extensions import db


@click.group("ledger")
def ledger_group() -> None:
    """The JP ledger."""


@ledger_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Recompute the hash chain; exit 0 when intact, 1 and the first bad entry otherwise."""
    from app.ledger.chain import checkpoint, verify

    result = verify()
    if result.ok:
        sealed = checkpoint()  # what is intact now is sealed outside the database
        click.echo(f"OK: {result.entries_checked} entri, rantai hash utuh."
                   + (f" Titik periksa #{sealed.last_entry_id} ditandatangani." if sealed else ""))
        return
    click.echo(f"RUSAK: entri #{result.first_bad_entry} tidak cocok ({result.problem}); "
               f"{result.entries_checked} entri diperiksa.", err=True)
    sys.exit(1)


@ledger_group.command("checkpoint")
@with_appcontext
def checkpoint_command() -> None:
    """Verify the chain and seal its head outside the database (run daily from cron); exit 1 when broken."""
    from app.ledger.chain import checkpoint, verify

    result = verify()
    if not result.ok:
        click.echo(f"RUSAK: entri #{result.first_bad_entry} tidak cocok ({result.problem}); titik periksa tidak "
                   "dibuat.", err=True)
        sys.exit(1)
    sealed = checkpoint()
    click.echo(f"Titik periksa: entri #{sealed.last_entry_id}, {sealed.entries} entri, {sealed.at}." if sealed
               else "Buku besar masih kosong: tidak ada yang perlu ditandai.")


def register(app: Flask) -> None:
    app.cli.add_command(ledger_group)


def seed_demo() -> None:
    """Some JP for the demo people this year (a classroom bimtek and a seminar), idempotent."""
    from datetime import date, timedelta
    from decimal import Decimal

    from sqlalchemy import select

    from app.accounts.models import User
    from app.accounts.queries import user_by_username
    from app.ledger import operations as ops
    from app.ledger.models import AttendanceBatch
    from app.ledger.rules import rule_by_code

    staff = user_by_username("bpsdm")
    if staff is None:
        return
    today = ops.local_date(ops.utcnow())
    people = list(db.session.scalars(select(User).where(User.nip.is_not(None), User.username != "bpsdm")
                                     .order_by(User.id)))
    plans = [
        ("Bimbingan Teknis Literasi Digital", "KL10", {"stated_jp": Decimal(8)}, 40, people[::2]),
        ("Seminar Tata Kelola Keuangan Daerah Berbasis Elektronik", "KL06", {"days": 1}, 20, people[1::3]),
    ]
    for title, code, length, days_ago, attendees in plans:
        batch = db.session.scalar(select(AttendanceBatch).where(AttendanceBatch.title == title))
        if batch is None:
            end = max(date(today.year, 1, 1), today - timedelta(days=days_ago))
            batch = ops.create_batch(staff, rule=rule_by_code(code), title=title, organiser="BPSDM Provinsi Maluku Utara",
                                     start_date=end, end_date=end, **length)
        attendees = [p for p in attendees if p.username != "peserta"] + (
            [p for p in people if p.username == "peserta"] if code == "KL10" else [])
        ops.record_attendance(staff, batch, [(i + 2, p.nip) for i, p in enumerate(attendees)])
    db.session.flush()
