"""profile change history and post preferences, major checks, study plans, knowledge answer overrides

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:00:00

Tables are described in bot/db/models.py (ProfileChange, MajorCheck, StudyPlan,
KnowledgeOverride).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _student_fk() -> sa.Column:
    return sa.Column('student_id', sa.Integer(), sa.ForeignKey('students.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferences', sa.JSON(), nullable=True))
    op.create_table(
        'profile_changes',
        sa.Column('id', sa.Integer(), primary_key=True),
        _student_fk(),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('old', sa.JSON(), nullable=True),
        sa.Column('new', sa.JSON(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_profile_changes_student_id', 'profile_changes', ['student_id'])
    op.create_table(
        'major_checks',
        sa.Column('id', sa.Integer(), primary_key=True),
        _student_fk(),
        sa.Column('query', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_major_checks_student_id', 'major_checks', ['student_id'])
    op.create_table(
        'study_plans',
        sa.Column('student_id', sa.Integer(), sa.ForeignKey('students.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('plan', sa.JSON(), nullable=False),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'knowledge_overrides',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('agency', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('more', sa.Text(), nullable=True),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('agency', 'key', 'version', name='uq_knowledge_override_version'),
    )


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('preferences')
    op.drop_table('knowledge_overrides')
    op.drop_table('study_plans')
    op.drop_index('ix_major_checks_student_id', table_name='major_checks')
    op.drop_table('major_checks')
    op.drop_index('ix_profile_changes_student_id', table_name='profile_changes')
    op.drop_table('profile_changes')
