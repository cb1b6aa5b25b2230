"""chat channels: processed updates, inline-keyboard payloads, outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 03:00:00

Tables are described in bot/channels/models.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_updates',
        sa.Column('key', sa.String(length=96), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.Float(), nullable=False),
        sa.Column('done_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('channel_updates', schema=None) as batch_op:
        batch_op.create_index('ix_channel_updates_claimed_at', ['claimed_at'], unique=False)

    op.create_table(
        'channel_callbacks',
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )

    op.create_table(
        'channel_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('sender_id', sa.String(length=128), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('message', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('next_attempt_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('channel_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_channel_outbox_due', ['channel', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_channel_outbox_sender', ['sender_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_outbox_sender')
        batch_op.drop_index('ix_channel_outbox_due')
    op.drop_table('channel_outbox')
    op.drop_table('channel_callbacks')
    with op.batch_alter_table('channel_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_updates_claimed_at')
    op.drop_table('channel_updates')
