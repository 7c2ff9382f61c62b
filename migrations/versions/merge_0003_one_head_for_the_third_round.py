"""one head for the third round

Revision ID: merge_0003
Revises: courses_0002, quizzes_0003
Create Date: 2026-12-02 12:36:49.672898

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'merge_0003'
down_revision = ('courses_0002', 'quizzes_0003')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
