"""calendar feeds: the hashed token of each person's private iCal address

Revision ID: agenda_0001
Revises: certificates_0002
Create Date: 2026-12-01 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'agenda_0001'
down_revision = 'certificates_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
        sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id')),
    )


def downgrade():
    op.drop_table('calendar_feeds')
