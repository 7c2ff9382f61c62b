"""questions: Moodle's ID number and tags

Revision ID: quizzes_0002
Revises: accounts_0004
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'quizzes_0002'
down_revision = 'accounts_0004'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, never a batch table copy: on SQLite a copy drops quiz_questions, and
# with foreign keys on that cascades to every attempt answer (tests/test_quizzes_corpus.py
# checks that attempts keep their marks through this migration both ways).

def upgrade():
    op.add_column('quiz_questions', sa.Column('idnumber', sa.String(length=100), nullable=True))
    # existing questions have no tags: an empty list, not NULL
    op.add_column('quiz_questions', sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    # SQLite (3.35+) drops a column in place, without copying the table
    op.execute('ALTER TABLE quiz_questions DROP COLUMN tags')
    op.execute('ALTER TABLE quiz_questions DROP COLUMN idnumber')
