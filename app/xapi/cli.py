"""`flask --app wsgi xapi drain|status`: send the outbox now, or see how much waits."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db


def register(app) -> None:
    group = AppGroup("xapi", help="Pernyataan xAPI ke LRS.")

    @group.command("drain")
    @click.option("--budget", default=600.0, help="detik paling lama")
    def drain_cmd(budget: float) -> None:
        """Kirim semua pernyataan yang menunggu ke LRS sekarang."""
        from app.xapi.operations import drain, pending_count

        result = drain(budget_seconds=budget)
        db.session.commit()
        click.echo(f"terkirim {result['sent']}, gagal {result['failed']}, menunggu {pending_count()}")

    @group.command("status")
    def status_cmd() -> None:
        """Berapa pernyataan masih menunggu."""
        from app.xapi.operations import enabled, pending_count

        click.echo(f"LRS {'aktif' if enabled() else 'tidak diatur'}; menunggu {pending_count()}")

    app.cli.add_command(group)
