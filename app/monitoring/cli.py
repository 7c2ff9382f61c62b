"""`flask monitoring …`: rebuild or check the JP aggregate, send due reminders; demo schedule."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db


@click.group("monitoring")
def monitoring_group() -> None:
    """BPSDM monitoring: JP aggregate and reminders."""


@monitoring_group.command("rebuild-totals")
@click.option("--year", type=int, default=None, help="only this year (default: every year)")
@with_appcontext
def rebuild_totals_cmd(year: int | None) -> None:
    """Recompute monitoring_jp_totals from the ledger (after a bulk load that bypassed the ledger)."""
    from app.monitoring.totals import rebuild_totals

    rows = rebuild_totals(year)
    db.session.commit()
    click.echo(f"{rows} baris agregat JP dihitung ulang.")


@monitoring_group.command("check-totals")
@click.option("--year", type=int, default=None)
@with_appcontext
def check_totals_cmd(year: int | None) -> None:
    """Compare the aggregate with a recomputation from the ledger; exit status 1 on any difference."""
    from app.monitoring.totals import recompute_from_ledger, stored_totals

    stored, fresh = stored_totals(year), recompute_from_ledger(year)
    bad = [k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k)]
    for user_id, yr in sorted(bad)[:20]:
        click.echo(f"berbeda: pengguna {user_id} tahun {yr}: {stored.get((user_id, yr))} ≠ {fresh.get((user_id, yr))}")
    click.echo(f"{len(fresh)} baris diperiksa, {len(bad)} berbeda.")
    sys.exit(1 if bad else 0)


@monitoring_group.command("send-reminders")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="as if today were this date (default: today in Asia/Jakarta)")
@with_appcontext
def send_reminders_cmd(on) -> None:
    """Enqueue and run the reminders due today (or on --date); a date already sent sends nothing."""
    from app.jobs.operations import run_pending
    from app.monitoring.reminders import JOB_KIND, enqueue_due

    jobs = enqueue_due(on.date() if on else None)
    db.session.commit()
    run_pending(kinds=[JOB_KIND])
    for job in jobs:
        db.session.refresh(job)
        click.echo(f"job {job.id} {job.payload['date']}: {job.state} {job.result or job.message or ''}")


def register(app: Flask) -> None:
    app.cli.add_command(monitoring_group)


def seed_demo() -> None:
    """A demo reminder schedule: the first of every month from July, for the demo instansi."""
    from app.accounts.models import Unit
    from app.accounts.queries import user_by_username
    from app.monitoring.models import ReminderSchedule
    from app.monitoring.operations import create_schedule
    from app.monitoring.queries import default_year

    unit = db.session.scalar(select(Unit).where(Unit.code == "MALUT"))
    bpsdm = user_by_username("bpsdm")
    if unit is None or bpsdm is None:
        return
    year = default_year()
    if db.session.scalar(select(ReminderSchedule.id).where(ReminderSchedule.unit_id == unit.id,
                                                           ReminderSchedule.year == year)) is None:
        create_schedule(bpsdm, name=f"Pengingat JP bulanan {year}", year=year, kind="monthly", day_of_month=1,
                        start_month=7, end_month=12, unit_id=unit.id)
