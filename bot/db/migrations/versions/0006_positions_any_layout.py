"""position tables of any layout: gender/household/identity/type/tests/section columns,
details kept as published, the import report

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:30:00

Columns are described in bot/positions/models.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

POST_COLUMNS = ('gender', 'hukou', 'identity', 'post_type', 'tests', 'section', 'section_notes')


def upgrade() -> None:
    with op.batch_alter_table('position_posts', schema=None) as batch_op:
        for name in POST_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))
    with op.batch_alter_table('position_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('position_imports', schema=None) as batch_op:
        batch_op.drop_column('report')
    with op.batch_alter_table('position_posts', schema=None) as batch_op:
        batch_op.drop_column('details')
        for name in reversed(POST_COLUMNS):
            batch_op.drop_column(name)
