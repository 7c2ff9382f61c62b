"""Site-wide commands: `seed-demo` runs every domain's demo seeder in order; `jobs run` drains the queue."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo organisation, users and the courses in content/ (idempotent)."""
    for seeder in current_app.extensions["seeders"]:
        seeder()
        db.session.commit()
    from app.accounts.cli import DEMO_LOGINS

    click.echo("Demo siap. Login demo (nama pengguna / kata sandi):")
    for username, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<11} {username:<12} {password}")


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs."""


@jobs_group.command("run")
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def jobs_run(limit: int) -> None:
    """Run pending jobs now, in this process."""
    from app.jobs.operations import run_pending

    click.echo(f"{run_pending(limit=limit)} job(s) run")




@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write every table and every stored file to PATH (a .tar.gz)."""
    from app.backup import backup

    counts = backup(path)
    rows = sum(v for k, v in counts.items() if k != "_files")
    click.echo(f"Cadangan ditulis ke {path}: {rows} baris, {counts['_files']} berkas.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace all data and files with the backup at PATH (after `db upgrade` to its revision)."""
    from app.backup import restore

    if not yes:
        click.confirm("Semua data saat ini akan diganti dengan isi cadangan. Lanjutkan?", abort=True)
    try:
        counts = restore(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(v for k, v in counts.items() if k != "_files")
    click.echo(f"Dipulihkan dari {path}: {rows} baris, {counts['_files']} berkas.")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(jobs_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
