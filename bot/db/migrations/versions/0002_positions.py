"""position tables: posts, applicant snapshots, import log (bot/positions/models.py)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 00:59:46.996274
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('position_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('posts', sa.Integer(), nullable=False),
    sa.Column('snapshots', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exam', 'year', 'sha256', 'snapshot', name='uq_position_imports_file')
    )
    op.create_table('position_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('organ', sa.Text(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('city', sa.String(length=64), nullable=True),
    sa.Column('district', sa.String(length=64), nullable=True),
    sa.Column('work_place', sa.Text(), nullable=True),
    sa.Column('openings', sa.Integer(), nullable=True),
    sa.Column('education', sa.Text(), nullable=True),
    sa.Column('degree', sa.Text(), nullable=True),
    sa.Column('major', sa.Text(), nullable=True),
    sa.Column('major_college', sa.Text(), nullable=True),
    sa.Column('major_undergrad', sa.Text(), nullable=True),
    sa.Column('major_graduate', sa.Text(), nullable=True),
    sa.Column('age', sa.Text(), nullable=True),
    sa.Column('political', sa.Text(), nullable=True),
    sa.Column('experience', sa.Text(), nullable=True),
    sa.Column('project', sa.Text(), nullable=True),
    sa.Column('target_group', sa.Text(), nullable=True),
    sa.Column('other', sa.Text(), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('physical_exam', sa.Text(), nullable=True),
    sa.Column('fitness_test', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('family', sa.String(length=16), nullable=True),
    sa.Column('source_fields', sa.Text(), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exam', 'year', 'code', name='uq_position_posts_exam_year_code')
    )
    with op.batch_alter_table('position_posts', schema=None) as batch_op:
        batch_op.create_index('ix_position_posts_exam_year_city', ['exam', 'year', 'city'], unique=False)

    op.create_table('position_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('applicants', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=True),
    sa.Column('openings', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exam', 'year', 'code', 'date', name='uq_position_snapshots_key')
    )
    with op.batch_alter_table('position_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_position_snapshots_exam_year_date', ['exam', 'year', 'date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('position_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_position_snapshots_exam_year_date')

    op.drop_table('position_snapshots')
    with op.batch_alter_table('position_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_position_posts_exam_year_city')

    op.drop_table('position_posts')
    op.drop_table('position_imports')
