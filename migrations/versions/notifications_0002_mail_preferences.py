"""notification mail preferences: none, each one, or a daily digest

Revision ID: notifications_0002
Revises: agenda_0001
Create Date: 2026-12-01 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'notifications_0002'
down_revision = 'agenda_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mail', sa.String(length=16), nullable=False),
        sa.Column('digest_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings')),
    )


def downgrade():
    op.drop_table('notification_settings')
