"""SQLAlchemy models of the case database.

One ``Student`` row is one case (keyed by the channel's sender id). Everything the
assistant learns is a child row that is deleted with the student (``ON DELETE CASCADE``
in the database and ``cascade="all, delete-orphan"`` in the ORM), so deleting a student
deletes all of their personal data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _fk_student() -> Column:
    return Column(Integer, ForeignKey("students.id", ondelete="CASCADE"), nullable=False, index=True)


class Student(Base):
    __tablename__ = "students"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, unique=True)
    channel = Column(String(32), nullable=False, default="rest")
    agency = Column(String(64), nullable=False, default="default")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_active_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    # Furthest stage reached: intake, self_analysis, eligibility, shortlist, report.
    stage = Column(String(32), nullable=False, default="intake")
    # Counselor workflow (console).
    review_status = Column(String(16), nullable=False, default="new")
    assigned_to = Column(Integer, nullable=True)
    tags = Column(JSON, nullable=False, default=list)
    taken_over_by = Column(Integer, nullable=True)
    # Channel-specific address to reach the student (e.g. Telegram chat id) and the name
    # the channel shows (e.g. a Telegram first name); kept only with consent.
    channel_address = Column(String(128), nullable=True)
    display_name = Column(String(128), nullable=True)

    consents = relationship("Consent", cascade="all, delete-orphan", passive_deletes=True,
                            order_by="Consent.id")
    profile = relationship("Profile", uselist=False, cascade="all, delete-orphan",
                           passive_deletes=True)
    sessions = relationship("ChatSession", cascade="all, delete-orphan", passive_deletes=True,
                            order_by="ChatSession.id")
    messages = relationship("Message", cascade="all, delete-orphan", passive_deletes=True,
                            order_by="Message.id")
    self_analysis = relationship("SelfAnalysis", uselist=False, cascade="all, delete-orphan",
                                 passive_deletes=True)
    interest_tests = relationship("InterestTest", cascade="all, delete-orphan",
                                  passive_deletes=True, order_by="InterestTest.id")
    interviews = relationship("Interview", cascade="all, delete-orphan", passive_deletes=True,
                              order_by="Interview.id")
    shortlist = relationship("ShortlistEntry", cascade="all, delete-orphan",
                             passive_deletes=True, order_by="ShortlistEntry.id")
    eligibility_checks = relationship("EligibilityCheck", cascade="all, delete-orphan",
                                      passive_deletes=True, order_by="EligibilityCheck.id")
    feedback = relationship("Feedback", cascade="all, delete-orphan", passive_deletes=True,
                            order_by="Feedback.id")
    flags = relationship("Flag", cascade="all, delete-orphan", passive_deletes=True,
                         order_by="Flag.id")
    notes = relationship("Note", cascade="all, delete-orphan", passive_deletes=True,
                         order_by="Note.id")
    reports = relationship("Report", cascade="all, delete-orphan", passive_deletes=True,
                           order_by="Report.id")
    media = relationship("Media", cascade="all, delete-orphan", passive_deletes=True,
                         order_by="Media.id")
    profile_changes = relationship("ProfileChange", cascade="all, delete-orphan", passive_deletes=True,
                                   order_by="ProfileChange.id")
    major_checks = relationship("MajorCheck", cascade="all, delete-orphan", passive_deletes=True,
                                order_by="MajorCheck.id")
    study_plan = relationship("StudyPlan", uselist=False, cascade="all, delete-orphan",
                              passive_deletes=True)

    # The console's case list filters by agency and sorts by activity (migration 0004).
    __table_args__ = (Index("ix_console_students_agency_active", "agency", "last_active_at"),)


class Consent(Base):
    """Every consent decision, in order; the latest one counts."""

    __tablename__ = "consents"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    given = Column(Boolean, nullable=False)
    text_version = Column(String(64), nullable=False)
    channel = Column(String(32), nullable=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Profile(Base):
    """Intake facts, normalised."""

    __tablename__ = "profiles"

    student_id = Column(Integer, ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    age = Column(Integer)
    education = Column(String(16))          # 大专/本科/硕士研究生/博士研究生
    degree = Column(String(16))             # 学士/硕士/博士/无
    major = Column(String(64))              # catalogue name where matched
    major_code = Column(String(16))         # catalogue code where matched
    major_raw = Column(String(128))         # what the student wrote
    grad_year = Column(Integer)
    fresh_graduate = Column(Boolean)
    political_status = Column(String(16))   # 群众/共青团员/中共预备党员/中共党员
    experience_years = Column(Float)
    gender = Column(String(8))
    hukou = Column(String(32))
    target_region = Column(String(32))
    target_exam = Column(String(32))
    target_year = Column(Integer)
    # What the student said about the posts they want ("我不想去公安", "更看重上岸概率"),
    # as bot/coaching/ranking.parse_preferences reads it.
    preferences = Column(JSON)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ChatSession(Base):
    """One Rasa conversation session; a student's later sessions join the same case."""

    __tablename__ = "sessions"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    channel = Column(String(32), nullable=True)
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_event_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    rasa_session_start = Column(Float, nullable=True)  # timestamp of Rasa's SessionStarted
    __table_args__ = (UniqueConstraint("student_id", "rasa_session_start"),)


class Message(Base):
    """The transcript: every user and bot message, in order."""

    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    session_id = Column(Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True)
    role = Column(String(8), nullable=False)  # user | bot | counselor
    text = Column(Text, nullable=False, default="")
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    intent = Column(String(96))
    confidence = Column(Float)
    slots = Column(JSON)        # slots this user message set (name -> value)
    extra = Column(JSON)        # buttons, image, attachment, author...
    rasa_event_ts = Column(Float)  # event timestamp, to keep writes idempotent
    __table_args__ = (Index("ix_messages_student_at", "student_id", "id"),)


class SelfAnalysis(Base):
    __tablename__ = "self_analyses"

    student_id = Column(Integer, ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    answers = Column(JSON, nullable=False, default=dict)
    swot = Column(JSON)
    confirmed = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class InterestTest(Base):
    __tablename__ = "interest_tests"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    answers = Column(JSON, nullable=False, default=dict)
    scores = Column(JSON)
    code = Column(String(8))
    completed = Column(Boolean, nullable=False, default=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Interview(Base):
    """A conversation with a past candidate (exam strategy, step 1)."""

    __tablename__ = "interviews"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    major = Column(String(64))
    exam = Column(String(32))
    year = Column(Integer)
    post = Column(String(128))
    result = Column(String(64))
    advice = Column(Text)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ShortlistEntry(Base):
    """A post the student shortlisted (exam strategy, step 2)."""

    __tablename__ = "shortlist"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    exam = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    post_code = Column(String(32), nullable=False)
    questions = Column(JSON, nullable=False, default=list)
    added_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    removed_at = Column(DateTime(timezone=True), nullable=True)


class EligibilityCheck(Base):
    __tablename__ = "eligibility_checks"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    exam = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    counts = Column(JSON, nullable=False, default=dict)
    summary = Column(JSON)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    score = Column(Integer)
    comment = Column(Text)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Flag(Base):
    """Something a counselor must look at: counselor_requested, complaint, low_satisfaction,
    fallback_heavy."""

    __tablename__ = "flags"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    kind = Column(String(32), nullable=False, index=True)
    detail = Column(Text)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at = Column(DateTime(timezone=True), nullable=True)


class Note(Base):
    __tablename__ = "notes"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Report(Base):
    __tablename__ = "reports"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    markdown = Column(Text, nullable=False)
    pdf = Column(LargeBinary, nullable=True)
    token = Column(String(64), nullable=False, unique=True)  # unguessable download id
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Media(Base):
    """Images and files sent to a student (ratio charts, reports), served by token."""

    __tablename__ = "media"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    token = Column(String(64), nullable=False, unique=True)
    kind = Column(String(16), nullable=False)          # chart | report
    content_type = Column(String(64), nullable=False)
    filename = Column(String(128), nullable=False)
    data = Column(LargeBinary, nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AgencySetting(Base):
    """Agency settings changed in the console; they override coach.yml (see bot/agency.py)."""

    __tablename__ = "agency_settings"

    key = Column(String(64), primary_key=True)
    value = Column(JSON, nullable=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    updated_by = Column(String(64), nullable=True)


class ProfileChange(Base):
    """One change of a profile field, with the student's message that caused it (issue 9:
    the counselor sees where every value came from, and the student can undo a change)."""

    __tablename__ = "profile_changes"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    field = Column(String(32), nullable=False)
    old = Column(JSON)
    new = Column(JSON)
    source = Column(String(16), nullable=False, default="stated")  # stated | form | offered | undo
    message = Column(Text)          # the student's message (personal data: deleted with the case)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    undone_at = Column(DateTime(timezone=True), nullable=True)


class MajorCheck(Base):
    """"Does my major count?": what was asked and what the assistant answered."""

    __tablename__ = "major_checks"

    id = Column(Integer, primary_key=True)
    student_id = _fk_student()
    query = Column(JSON, nullable=False, default=dict)
    result = Column(JSON, nullable=False, default=dict)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StudyPlan(Base):
    """The student's week-by-week study plan (bot/coaching/planner.py) and its history."""

    __tablename__ = "study_plans"

    student_id = Column(Integer, ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    inputs = Column(JSON, nullable=False, default=dict)
    plan = Column(JSON, nullable=False, default=dict)
    history = Column(JSON, nullable=False, default=list)   # adjustments and check-ins
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class KnowledgeOverride(Base):
    """An admin's edit of a knowledge answer (versioned; the newest version per agency and key
    is shown instead of the text in knowledge/topics). Old versions stay for the audit."""

    __tablename__ = "knowledge_overrides"

    id = Column(Integer, primary_key=True)
    agency = Column(String(64), nullable=False, default="default")
    key = Column(String(64), nullable=False)
    version = Column(Integer, nullable=False)
    answer = Column(Text, nullable=False)
    more = Column(Text, nullable=True)
    author = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("agency", "key", "version", name="uq_knowledge_override_version"),)
