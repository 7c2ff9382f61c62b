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


def upgrade():
    with op.batch_alter_table('quiz_questions') as batch:
        batch.add_column(sa.Column('idnumber', sa.String(length=100), nullable=True))
        # existing questions have no tags: an empty list, not NULL
        batch.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('quiz_questions') as batch:
        batch.drop_column('tags')
        batch.drop_column('idnumber')
