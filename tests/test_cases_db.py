"""The case database layer (bot/cases.py, bot/db) on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from bot import cases
from bot.db import get_engine, session_scope
from bot.db.models import Consent, Feedback, Flag, Message, Profile, Student
from bot.cases import CASE_KEYS


def test_migrations_create_every_table(any_db):
    tables = set(inspect(get_engine()).get_table_names())
    for name in ("students", "consents", "profiles", "sessions", "messages", "self_analyses",
                 "interest_tests", "interviews", "shortlist", "eligibility_checks", "feedback",
                 "flags", "notes", "reports", "alembic_version"):
        assert name in tables


def test_refusal_creates_no_case(any_db):
    cases.record_consent("s1", False, "v1")
    assert cases.consent_state("s1") is None
    assert cases.case_json("s1") is None


def test_consent_profile_and_case_json(any_db):
    cases.record_consent("s2", True, "v1", channel="rest")
    state = cases.consent_state("s2")
    assert state["given"] is True and state["text_version"] == "v1" and state["at"]
    cases.save_profile("s2", age=23, education="本科", major="法学", unknown_field="ignored")
    cases.save_profile("s2", education="硕士研究生")
    case = cases.case_json("s2")
    assert set(CASE_KEYS) <= set(case)
    assert case["profile"] == {"age": 23, "education": "硕士研究生", "major": "法学"}
    assert case["consent"]["given"] is True
    assert case["transcript"] == [] and case["interviews"] == [] and case["shortlist"] == []


def test_withdrawn_consent_is_the_latest_decision(any_db):
    cases.record_consent("s3", True, "v1")
    cases.withdraw_consent("s3", "v1")
    assert cases.consent_state("s3")["given"] is False
    assert [c["given"] for c in cases.case_json("s3")["consent"]["history"]] == [True, False]


def test_profile_without_case_is_not_saved(any_db):
    assert cases.save_profile("nobody", age=30) == {}
    assert cases.load_profile("nobody") == {}


def test_delete_student_removes_every_child_row(any_db):
    cases.record_consent("s4", True, "v1")
    cases.save_profile("s4", age=30)
    with session_scope() as s:
        student = cases.find_student(s, "s4")
        s.add(Message(student_id=student.id, role="user", text="你好"))
        s.add(Feedback(student_id=student.id, score=5))
        s.add(Flag(student_id=student.id, kind="complaint"))
    assert cases.delete_student("s4") is True
    assert cases.delete_student("s4") is False
    with session_scope() as s:
        for model in (Student, Consent, Profile, Message, Feedback, Flag):
            assert s.execute(select(func.count()).select_from(model)).scalar() == 0


def test_list_cases_newest_first(any_db):
    for sid in ("a", "b", "c"):
        cases.record_consent(sid, True, "v1")
    cases.save_profile("a", major="法学")  # touches last_active_at
    rows = cases.list_cases()
    assert [r["sender_id"] for r in rows][0] == "a"
    assert cases.count_cases() == 3
    assert len(cases.list_cases(limit=2)) == 2
