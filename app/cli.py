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


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(jobs_group)
