"""one head for the second wave

Revision ID: merge_0002
Revises: accounts_0006, assignments_0003, badges_0001, coaching_0001, evaluation_0001, forums_0001, grades_0002, ledgerhmac_0001, live_0001, quizzes_0002, scorm_0001, sync_0001, xapi_0001
Create Date: 2026-12-02 09:10:22.243277

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'merge_0002'
down_revision = ('accounts_0006', 'assignments_0003', 'badges_0001', 'coaching_0001', 'evaluation_0001', 'forums_0001', 'grades_0002', 'ledgerhmac_0001', 'live_0001', 'quizzes_0002', 'scorm_0001', 'sync_0001', 'xapi_0001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
