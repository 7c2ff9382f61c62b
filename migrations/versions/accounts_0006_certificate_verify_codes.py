"""certificate verify codes: the random part of a certificate's public identifier

Revision ID: accounts_0006
Revises: accounts_0005
Create Date: 2026-12-02 07:40:00

Certificates issued before keep NULL: their printed QR codes carry the serial alone and must go
on verifying; every certificate issued from now on gets a code.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'accounts_0006'
down_revision = 'accounts_0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_code', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('verify_code')
