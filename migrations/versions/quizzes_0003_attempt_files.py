"""quizzes: files attached to essays in an attempt; interactive behaviour (quiz setting, tries per answer)

Revision ID: quizzes_0003
Revises: merge_0002
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'quizzes_0003'
down_revision = 'merge_0002'
branch_labels = None
depends_on = None


def upgrade():
    # a new table only: existing attempts and answers are not touched
    op.create_table(
        'quiz_attempt_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=500), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_attempt_files_attempt_id_quiz_attempts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['quiz_questions.id'], name=op.f('fk_quiz_attempt_files_question_id_quiz_questions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt_files')),
    )
    op.create_index(op.f('ix_quiz_attempt_files_attempt_id'), 'quiz_attempt_files', ['attempt_id'], unique=False)
    # plain ADD COLUMN, never a batch table copy (see quizzes_0002: a copy would cascade-delete answers)
    op.add_column('quizzes', sa.Column('behaviour', sa.String(length=20), nullable=False,
                                       server_default='deferredfeedback'))
    op.add_column('quiz_attempt_answers', sa.Column('interaction', sa.JSON(), nullable=True))


def downgrade():
    op.execute('ALTER TABLE quiz_attempt_answers DROP COLUMN interaction')
    op.execute('ALTER TABLE quizzes DROP COLUMN behaviour')
    op.drop_index(op.f('ix_quiz_attempt_files_attempt_id'), table_name='quiz_attempt_files')
    op.drop_table('quiz_attempt_files')
