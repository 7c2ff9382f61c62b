"""program certificates: Program.certificate and Certificate.program_id

A completed program (or a recertification) issues a certificate of its own. Programs get the
switch, on for existing programs too (they are learning paths and certifications a BPSDM set up;
only completions from now on are affected), and a certificate remembers its program.

Revision ID: certificates_0002
Revises: merge_0001
Create Date: 2026-11-22 08:13:36.699473

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'certificates_0002'
down_revision = 'merge_0001'
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite cannot add a foreign key with ALTER TABLE, so the table is rebuilt there
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificates_program_id'), ['program_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificates_program_id_programs'), 'programs', ['program_id'],
                                    ['id'], ondelete='SET NULL')

    with op.batch_alter_table('programs', schema=None) as batch_op:
        # sa.true(): `1` on SQLite, `true` on PostgreSQL (which refuses an integer default on a boolean)
        batch_op.add_column(sa.Column('certificate', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('certificate')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_program_id_programs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificates_program_id'))
        batch_op.drop_column('program_id')
