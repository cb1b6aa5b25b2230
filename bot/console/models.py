"""Tables of the counselor console (migration 0004).

They live on their own metadata, ``ConsoleBase``, beside the case database's ``Base``:
accounts, server-side sessions, failed sign-ins (rate limiting), the audit log and the
search index of cases. The index (``console_case_index``) is derived data: one row per
case, rebuilt from the case whenever the case's ``last_active_at`` changes (see
:mod:`bot.console.search`), deleted with the case (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import declarative_base

from bot.db.models import Student, utcnow

ConsoleBase = declarative_base()

ROLES = ("counselor", "admin")

# A tsvector on PostgreSQL (GIN-indexed); unused text on SQLite, where search scans ``body``.
SearchTerms = Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class User(ConsoleBase):
    __tablename__ = "console_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="counselor")
    agency = Column(String(64), nullable=False, index=True)
    disabled = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    password_changed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True), nullable=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class UserSession(ConsoleBase):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "console_sessions"

    id = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    # Search texts of this session, by handle: the text never goes into a URL.
    data = Column(JSON, nullable=False, default=dict)


class LoginFailure(ConsoleBase):
    """A failed sign-in, keyed by a hash of the account name or of the client address."""

    __tablename__ = "console_login_failures"

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (Index("ix_console_login_failures_key_at", "key", "at"),)


class AuditEntry(ConsoleBase):
    """Who did what to which case. Holds the case id only, never a student's data, and
    outlives the case (no foreign key)."""

    __tablename__ = "console_audit"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, nullable=True)
    username = Column(String(64), nullable=True)
    agency = Column(String(64), nullable=True, index=True)
    action = Column(String(32), nullable=False, index=True)
    case_id = Column(Integer, nullable=True, index=True)
    detail = Column(JSON, nullable=True)
    ip = Column(String(64), nullable=True)


class CaseIndex(ConsoleBase):
    """Search document and message statistics of one case."""

    __tablename__ = "console_case_index"

    student_id = Column(Integer, ForeignKey(Student.__table__.c.id, ondelete="CASCADE"), primary_key=True)
    source_at = Column(DateTime(timezone=True), nullable=True)   # the case's last_active_at when indexed
    indexed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_message_id = Column(Integer, nullable=True)
    messages = Column(Integer, nullable=False, default=0)
    user_messages = Column(Integer, nullable=False, default=0)
    fallback_messages = Column(Integer, nullable=False, default=0)
    body = Column(Text, nullable=False, default="")            # folded text: names, majors, transcript
    terms = Column(SearchTerms, nullable=True)                   # unigrams + bigrams of body
