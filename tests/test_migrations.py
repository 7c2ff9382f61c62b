"""The Alembic migrations build exactly the schema the models declare (like `flask db check`).

Tests build their database from the migrations, so a model change without its migration would
pass every other test and then fail in production: this test names the difference instead.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrated_schema_matches_the_models(app, backend):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ on {backend}; run `flask db migrate`:\n" + \
        "\n".join(map(str, diff))


def test_every_migration_head_is_applied(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    assert applied == heads


def test_one_head_so_a_plain_db_upgrade_works(app):
    """`flask db upgrade` (make run, make run-prod) targets "head": with two heads Alembic refuses
    to start. Branches of domains are fine while they are written; a merge revision joins them."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several heads {sorted(heads)}: run `flask db merge heads`"
