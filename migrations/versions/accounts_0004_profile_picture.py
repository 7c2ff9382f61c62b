"""profile picture: the stored file's name on the account

Revision ID: accounts_0004
Revises: notifications_0002
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'accounts_0004'
down_revision = 'notifications_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('picture', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('picture')
