"""course content versions: a fresh random number with every change to a course's structure or card

Revision ID: courses_0002
Revises: merge_0002
Create Date: 2026-12-02 11:45:00

Each gunicorn worker keeps the course structure (sections, activities) it has read, keyed by this
number; an author's change replaces it in the same transaction, so no worker shows a stale outline.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'courses_0002'
down_revision = 'merge_0002'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, never a batch table copy: on SQLite a copy drops `courses`, and with
# foreign keys on that cascades to every section, activity, enrolment and attempt
# (tests/test_quizzes_corpus.py migrates attempts down and up and checks they keep their marks).
def upgrade():
    op.add_column('courses', sa.Column('content_version', sa.BigInteger(), nullable=False, server_default='1'))
    versions = op.create_table(
        'content_versions',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_versions')),
    )
    op.bulk_insert(versions, [{'name': 'catalogue', 'version': 1}])


def downgrade():
    op.drop_table('content_versions')
    # SQLite (3.35+) drops a column in place, without copying the table
    op.execute('ALTER TABLE courses DROP COLUMN content_version')
