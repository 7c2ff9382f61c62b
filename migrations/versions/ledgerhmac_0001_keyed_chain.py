"""keyed ledger chain: each entry says how its hash was made (1 SHA-256, 2 HMAC-SHA256 under the key)

Existing entries keep their SHA-256 hashes (version 1) and stay verifiable as they are; every entry
recorded from now on is chained with the HMAC key held outside the database (app/ledger/seal.py).

Revision ID: ledgerhmac_0001
Revises: accounts_0004
Create Date: 2026-12-02 07:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'ledgerhmac_0001'
down_revision = 'accounts_0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_entries') as batch:
        batch.add_column(sa.Column('hash_version', sa.SmallInteger(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('ledger_entries') as batch:
        batch.drop_column('hash_version')
