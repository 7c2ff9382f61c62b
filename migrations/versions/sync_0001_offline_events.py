"""offline learning: applied device events (idempotent per client id) and quizzes allowed offline

Revision ID: sync_0001
Revises: accounts_0004
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'sync_0001'
down_revision = 'accounts_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sync_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('type', sa.String(length=10), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('late_reason', sa.Text(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_events_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_sync_events_activity_id_activities'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_sync_events_reviewed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_events')),
        sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_sync_events_user_id')),
    )
    op.create_index(op.f('ix_sync_events_user_id'), 'sync_events', ['user_id'], unique=False)
    op.create_index(op.f('ix_sync_events_activity_id'), 'sync_events', ['activity_id'], unique=False)
    op.create_index('ix_sync_events_late_open', 'sync_events', ['late', 'reviewed_at'], unique=False)
    op.create_table(
        'sync_offline_quizzes',
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'],
                                name=op.f('fk_sync_offline_quizzes_activity_id_activities'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_sync_offline_quizzes_set_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_sync_offline_quizzes')),
    )


def downgrade():
    op.drop_table('sync_offline_quizzes')
    op.drop_index('ix_sync_events_late_open', table_name='sync_events')
    op.drop_index(op.f('ix_sync_events_activity_id'), table_name='sync_events')
    op.drop_index(op.f('ix_sync_events_user_id'), table_name='sync_events')
    op.drop_table('sync_events')
