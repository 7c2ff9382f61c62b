"""one head for every domain

Revision ID: merge_0001
Revises: accounts_0002, certificates_0001, corpu_0001, media_0001, monitoring_0001, quizzes_0001
Create Date: 2026-11-22 07:09:56.996646

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'merge_0001'
down_revision = ('accounts_0002', 'certificates_0001', 'corpu_0001', 'media_0001', 'monitoring_0001', 'quizzes_0001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
