"""counselor console: accounts, sessions, failed sign-ins, audit log, case search index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 02:00:00

Tables are described in bot/console/models.py. On PostgreSQL the search index's ``terms``
column is a ``tsvector`` with a GIN index (character unigrams and bigrams, so Chinese needs
no word segmenter); on SQLite it is plain text and search scans the folded ``body``.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"

    op.create_table(
        'console_users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('agency', sa.String(length=64), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
    )
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_users_agency'), ['agency'], unique=False)

    op.create_table(
        'console_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sessions_user_id'), ['user_id'], unique=False)

    op.create_table(
        'console_login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('console_login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_console_login_failures_key_at', ['key', 'at'], unique=False)

    op.create_table(
        'console_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.Column('agency', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('console_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_audit_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_audit_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_audit_case_id'), ['case_id'], unique=False)

    terms_type = postgresql.TSVECTOR() if postgres else sa.Text()
    op.create_table(
        'console_case_index',
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('source_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_message_id', sa.Integer(), nullable=True),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('user_messages', sa.Integer(), nullable=False),
        sa.Column('fallback_messages', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('terms', terms_type, nullable=True),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('student_id'),
    )
    if postgres:
        op.create_index('ix_console_case_index_terms', 'console_case_index', ['terms'],
                        postgresql_using='gin')

    # The case list: one agency's cases, newest activity first.
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index('ix_console_students_agency_active', ['agency', 'last_active_at'], unique=False)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index('ix_console_students_agency_active')
    if postgres:
        op.drop_index('ix_console_case_index_terms', table_name='console_case_index')
    op.drop_table('console_case_index')
    with op.batch_alter_table('console_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_audit_case_id'))
        batch_op.drop_index(batch_op.f('ix_console_audit_action'))
        batch_op.drop_index(batch_op.f('ix_console_audit_agency'))
        batch_op.drop_index(batch_op.f('ix_console_audit_at'))
    op.drop_table('console_audit')
    with op.batch_alter_table('console_login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_console_login_failures_key_at')
    op.drop_table('console_login_failures')
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_user_id'))
    op.drop_table('console_sessions')
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_users_agency'))
    op.drop_table('console_users')
