"""The case repository: what actions, the CLI and the console read and write.

Functions open their own short transaction (``session_scope``) unless a session is passed.
All of them take the channel's sender id, never a database id, so callers need not know
the schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import delete, desc, func, select
from sqlalchemy.orm import Session, selectinload

from bot.db import session_scope
from bot.db.models import (
    ChatSession,
    Consent,
    EligibilityCheck,
    Feedback,
    Flag,
    InterestTest,
    Interview,
    MajorCheck,
    Message,
    Note,
    Profile,
    ProfileChange,
    Report,
    SelfAnalysis,
    ShortlistEntry,
    Student,
    StudyPlan,
    utcnow,
)

PROFILE_FIELDS = (
    "age", "education", "degree", "major", "major_code", "major_raw", "grad_year",
    "fresh_graduate", "political_status", "experience_years", "gender", "hukou",
    "target_region", "target_exam", "target_year",
)

STAGES = ("intake", "self_analysis", "eligibility", "shortlist", "report")


def _iso(value: Optional[dt.datetime]) -> Optional[str]:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite drops the zone; everything is stored in UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()


def find_student(session: Session, sender_id: str) -> Optional[Student]:
    return session.execute(select(Student).where(Student.sender_id == sender_id)).scalar_one_or_none()


def get_or_create_student(session: Session, sender_id: str, channel: Optional[str] = None,
                          agency: Optional[str] = None) -> Student:
    student = find_student(session, sender_id)
    if student is None:
        student = Student(sender_id=sender_id, channel=channel or "rest", agency=agency or "default")
        session.add(student)
        session.flush()
    return student


def advance_stage(student: Student, stage: str) -> None:
    """Moves the case's furthest stage forward (never back)."""
    if stage in STAGES and STAGES.index(stage) > STAGES.index(student.stage or "intake"):
        student.stage = stage


# -- consent -----------------------------------------------------------------------------

def record_consent(sender_id: str, given: bool, text_version: str, channel: Optional[str] = None,
                   agency: Optional[str] = None) -> None:
    """Stores a consent decision. A refusal creates no case: nothing about the student is kept."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            if not given:
                return
            student = get_or_create_student(session, sender_id, channel, agency)
        session.add(Consent(student_id=student.id, given=given, text_version=text_version,
                            channel=channel))
        student.last_active_at = utcnow()


def consent_state(sender_id: str) -> Optional[Dict[str, Any]]:
    """The latest consent decision, or None when there is none on record."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return None
        row = session.execute(
            select(Consent).where(Consent.student_id == student.id).order_by(desc(Consent.id)).limit(1)
        ).scalar_one_or_none()
        if row is None:
            return None
        return {"given": row.given, "text_version": row.text_version, "at": _iso(row.at)}


def withdraw_consent(sender_id: str, text_version: str) -> None:
    record_consent(sender_id, False, text_version)


# -- profile -----------------------------------------------------------------------------

# Fields whose changes are kept in the history (the others are derived from these).
HISTORY_FIELDS = ("age", "education", "major", "grad_year", "fresh_graduate", "political_status",
                  "experience_years", "gender", "hukou", "target_region", "target_exam", "target_year")


def save_profile(sender_id: str, *, source: str = "stated", message: Optional[str] = None,
                 **fields: Any) -> Dict[str, Any]:
    """Upserts profile fields (unknown keys are ignored). Returns the whole profile.

    Every change of a field in ``HISTORY_FIELDS`` is recorded with its old and new value,
    its ``source`` (stated, form, offered, undo) and the student's ``message`` that caused it.
    """
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return {}
        profile = student.profile
        if profile is None:
            profile = Profile(student_id=student.id)
            session.add(profile)
        now = utcnow()
        for key, value in fields.items():
            if key not in PROFILE_FIELDS:
                continue
            old = getattr(profile, key)
            if key in HISTORY_FIELDS and old != value:
                session.add(ProfileChange(student_id=student.id, field=key, old=old, new=value,
                                          source=source, message=message, at=now))
            setattr(profile, key, value)
        student.last_active_at = now
        session.flush()
        return _profile_dict(profile)


def profile_history(sender_id: str) -> List[Dict[str, Any]]:
    """The profile's changes, oldest first."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return []
        return [_change_dict(c) for c in student.profile_changes]


def _change_dict(c: ProfileChange) -> Dict[str, Any]:
    return {"id": c.id, "field": c.field, "old": c.old, "new": c.new, "source": c.source,
            "message": c.message, "at": _iso(c.at), "undone": c.undone_at is not None}


def last_change_group(sender_id: str) -> List[Dict[str, Any]]:
    """The changes made by the latest message that changed something (not undone yet)."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return []
        live = [c for c in student.profile_changes if c.undone_at is None and c.source != "undo"]
        if not live:
            return []
        last = live[-1]
        return [_change_dict(c) for c in live if c.at == last.at and c.message == last.message]


def undo_last_change(sender_id: str) -> List[Dict[str, Any]]:
    """Puts back the values the latest change replaced. Returns the changes undone."""
    group = last_change_group(sender_id)
    if not group:
        return []
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None or student.profile is None:
            return []
        now = utcnow()
        ids = {c["id"] for c in group}
        for change in student.profile_changes:
            if change.id in ids:
                change.undone_at = now
                setattr(student.profile, change.field, change.old)
                session.add(ProfileChange(student_id=student.id, field=change.field, old=change.new,
                                          new=change.old, source="undo", message=None, at=now))
                if change.field == "education":
                    from bot.normalize import EDUCATION_DEGREE

                    student.profile.degree = EDUCATION_DEGREE.get(change.old) if change.old else None
                if change.field == "major" and change.old is None:
                    student.profile.major_code = None
                    student.profile.major_raw = None
        student.last_active_at = now
    return group


# -- post preferences, major checks and the study plan (issue 11) ------------------------------

def load_preferences(sender_id: str) -> Dict[str, Any]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None or student.profile is None:
            return {}
        return dict(student.profile.preferences or {})


def save_preferences(sender_id: str, preferences: Dict[str, Any]) -> bool:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        if student.profile is None:
            student.profile = Profile(student_id=student.id)
        student.profile.preferences = preferences
        return True


# -- major checks and the study plan (issue 11) ---------------------------------------------

def save_major_check(sender_id: str, query: Dict[str, Any], result: Dict[str, Any]) -> bool:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        session.add(MajorCheck(student_id=student.id, query=query, result=result))
        return True


def major_checks(sender_id: str) -> List[Dict[str, Any]]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return []
        return [{"query": m.query, "result": m.result, "at": _iso(m.at)} for m in student.major_checks]


def save_study_plan(sender_id: str, inputs: Dict[str, Any], plan: Dict[str, Any],
                    event: Optional[Dict[str, Any]] = None) -> bool:
    """Stores the plan (replacing the previous one); ``event`` (an adjustment or a check-in)
    is appended to the plan's history."""
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        row = student.study_plan
        if row is None:
            row = StudyPlan(student_id=student.id, inputs={}, plan={}, history=[])
            session.add(row)
        row.inputs = inputs
        row.plan = plan
        if event is not None:
            row.history = list(row.history or []) + [{**event, "at": _iso(utcnow())}]
        row.updated_at = utcnow()
        return True


def load_study_plan(sender_id: str) -> Optional[Dict[str, Any]]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None or student.study_plan is None:
            return None
        return _plan_dict(student.study_plan)


def _plan_dict(row: StudyPlan) -> Dict[str, Any]:
    return {"inputs": row.inputs or {}, "plan": row.plan or {}, "history": row.history or [],
            "updated_at": _iso(row.updated_at)}


def load_profile(sender_id: str) -> Dict[str, Any]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None or student.profile is None:
            return {}
        return _profile_dict(student.profile)


def _profile_dict(profile: Optional[Profile]) -> Dict[str, Any]:
    if profile is None:
        return {}
    return {key: getattr(profile, key) for key in PROFILE_FIELDS if getattr(profile, key) is not None}


# -- coaching records --------------------------------------------------------------------

def _student(session: Session, sender_id: str) -> Optional[Student]:
    student = find_student(session, sender_id)
    if student is not None:
        student.last_active_at = utcnow()
    return student


def set_stage(sender_id: str, stage: str) -> None:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is not None:
            advance_stage(student, stage)


def save_self_analysis(sender_id: str, answers: Optional[Dict[str, Any]] = None,
                       swot: Optional[Dict[str, Any]] = None, confirmed: Optional[bool] = None) -> None:
    """Merges answers into the stored self-analysis; sets the SWOT and its confirmation."""
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return
        row = student.self_analysis
        if row is None:
            row = SelfAnalysis(student_id=student.id, answers={})
            session.add(row)
        if answers:
            row.answers = {**(row.answers or {}), **answers}
        if swot is not None:
            row.swot = swot
        if confirmed is not None:
            row.confirmed = confirmed
            if confirmed:
                advance_stage(student, "self_analysis")


def load_self_analysis(sender_id: str) -> Dict[str, Any]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None or student.self_analysis is None:
            return {}
        row = student.self_analysis
        return {"answers": dict(row.answers or {}), "swot": row.swot, "confirmed": row.confirmed}


def latest_interest(sender_id: str) -> Optional[Dict[str, Any]]:
    """The latest completed interest test ({"code", "scores"}), or None."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return None
        test = next((t for t in reversed(student.interest_tests) if t.completed), None)
        return None if test is None else {"code": test.code, "scores": test.scores}


def save_interest_test(sender_id: str, answers: Dict[str, int], scores: Optional[Dict[str, Any]] = None,
                       code: Optional[str] = None, completed: bool = False) -> None:
    """Updates the test in progress (or starts one); a completed test is kept as it is."""
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return
        row = next((t for t in reversed(student.interest_tests) if not t.completed), None)
        if row is None:
            row = InterestTest(student_id=student.id, answers={})
            session.add(row)
        row.answers = {**(row.answers or {}), **answers}
        if scores is not None:
            row.scores = scores
        if code is not None:
            row.code = code
        row.completed = completed
        row.at = utcnow()


def add_interview(sender_id: str, **fields: Any) -> List[Dict[str, Any]]:
    """Records a conversation with a past candidate; returns all interviews so far."""
    keys = ("major", "exam", "year", "post", "result", "advice")
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return []
        session.add(Interview(student_id=student.id, **{k: fields.get(k) for k in keys}))
        session.flush()
        return [{k: getattr(i, k) for k in keys} for i in student.interviews]


def interviews(sender_id: str) -> List[Dict[str, Any]]:
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return []
        return [{"major": i.major, "exam": i.exam, "year": i.year, "post": i.post, "result": i.result,
                 "advice": i.advice} for i in student.interviews]


def shortlist(sender_id: str) -> List[Dict[str, Any]]:
    """Posts currently on the shortlist, in the order they were added."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return []
        return [{"exam": e.exam, "year": e.year, "post_code": e.post_code, "questions": e.questions or []}
                for e in student.shortlist if e.removed_at is None]


def add_to_shortlist(sender_id: str, exam: str, year: int, code: str, questions: List[str]) -> bool:
    """Adds a post (False when it is already there)."""
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        if any(e.post_code == code and e.exam == exam and e.year == year and e.removed_at is None
               for e in student.shortlist):
            return False
        session.add(ShortlistEntry(student_id=student.id, exam=exam, year=year, post_code=code,
                                   questions=questions))
        advance_stage(student, "shortlist")
        return True


def remove_from_shortlist(sender_id: str, code: str) -> bool:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        hit = False
        for entry in student.shortlist:
            if entry.post_code == code and entry.removed_at is None:
                entry.removed_at = utcnow()
                hit = True
        return hit


def record_eligibility(sender_id: str, exam: str, year: int, counts: Dict[str, int],
                       summary: Dict[str, Any]) -> None:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return
        session.add(EligibilityCheck(student_id=student.id, exam=exam, year=year, counts=counts,
                                     summary=summary))
        advance_stage(student, "eligibility")


def add_feedback(sender_id: str, score: Optional[int], comment: Optional[str]) -> None:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is not None:
            session.add(Feedback(student_id=student.id, score=score, comment=comment))


def add_flag(sender_id: str, kind: str, detail: Optional[str] = None) -> bool:
    """Flags the case for counselors. False when there is no case (no consent)."""
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        session.add(Flag(student_id=student.id, kind=kind, detail=(detail or "")[:2000]))
        return True


def add_report(sender_id: str, markdown: str, pdf: bytes, token: str) -> bool:
    with session_scope() as session:
        student = _student(session, sender_id)
        if student is None:
            return False
        session.add(Report(student_id=student.id, markdown=markdown, pdf=pdf, token=token))
        advance_stage(student, "report")
        return True


# -- deletion ----------------------------------------------------------------------------

def delete_student(sender_id: str) -> bool:
    """Deletes the case and everything attached to it. True if there was something."""
    with session_scope() as session:
        student = find_student(session, sender_id)
        if student is None:
            return False
        session.delete(student)
        return True


# -- reading a case ----------------------------------------------------------------------

CASE_KEYS = ("sender_id", "consent", "profile", "self_analysis", "interest_test", "interviews",
             "shortlist", "eligibility", "feedback", "flags", "transcript", "major_check", "study_plan")


def _load_case(session: Session, sender_id: str) -> Optional[Student]:
    return session.execute(
        select(Student)
        .where(Student.sender_id == sender_id)
        .options(
            selectinload(Student.consents), selectinload(Student.profile),
            selectinload(Student.messages), selectinload(Student.self_analysis),
            selectinload(Student.interest_tests), selectinload(Student.interviews),
            selectinload(Student.shortlist), selectinload(Student.eligibility_checks),
            selectinload(Student.feedback), selectinload(Student.flags),
            selectinload(Student.notes), selectinload(Student.reports),
            selectinload(Student.sessions), selectinload(Student.profile_changes),
            selectinload(Student.major_checks), selectinload(Student.study_plan),
        )
    ).scalar_one_or_none()


def case_json(sender_id: str, transcript: bool = True) -> Optional[Dict[str, Any]]:
    """The case as the contract's JSON object; None when there is no case."""
    with session_scope() as session:
        student = _load_case(session, sender_id)
        if student is None:
            return None
        return case_dict(student, transcript=transcript)


def empty_case(sender_id: str) -> Dict[str, Any]:
    return {
        "sender_id": sender_id, "consent": None, "profile": {}, "self_analysis": None,
        "interest_test": None, "interviews": [], "shortlist": [], "eligibility": None,
        "feedback": [], "flags": [], "transcript": [], "major_check": None, "study_plan": None,
    }


def case_dict(student: Student, transcript: bool = True) -> Dict[str, Any]:
    latest_consent = student.consents[-1] if student.consents else None
    test = next((t for t in reversed(student.interest_tests) if t.completed), None) or (
        student.interest_tests[-1] if student.interest_tests else None)
    check = student.eligibility_checks[-1] if student.eligibility_checks else None
    out = {
        "sender_id": student.sender_id,
        "consent": None if latest_consent is None else {
            "given": latest_consent.given,
            "text_version": latest_consent.text_version,
            "at": _iso(latest_consent.at),
            "history": [{"given": c.given, "text_version": c.text_version, "at": _iso(c.at)}
                        for c in student.consents],
        },
        "profile": _profile_dict(student.profile),
        "self_analysis": None if student.self_analysis is None else {
            "answers": student.self_analysis.answers or {},
            "swot": student.self_analysis.swot,
            "confirmed": student.self_analysis.confirmed,
            "updated_at": _iso(student.self_analysis.updated_at),
        },
        "interest_test": None if test is None else {
            "answers": test.answers or {}, "scores": test.scores, "code": test.code,
            "completed": test.completed, "at": _iso(test.at),
        },
        "interviews": [
            {"major": i.major, "exam": i.exam, "year": i.year, "post": i.post, "result": i.result,
             "advice": i.advice, "at": _iso(i.at)} for i in student.interviews
        ],
        "shortlist": [
            {"exam": s.exam, "year": s.year, "post_code": s.post_code, "questions": s.questions or [],
             "added_at": _iso(s.added_at)} for s in student.shortlist if s.removed_at is None
        ],
        "eligibility": None if check is None else {
            "exam": check.exam, "year": check.year, "counts": check.counts, "summary": check.summary,
            "at": _iso(check.at),
        },
        "feedback": [{"score": f.score, "comment": f.comment, "at": _iso(f.at)} for f in student.feedback],
        "flags": [{"kind": f.kind, "detail": f.detail, "at": _iso(f.at), "resolved": f.resolved_at is not None}
                  for f in student.flags],
        "transcript": [_transcript_entry(m) for m in student.messages] if transcript else [],
        # The latest "does my major count?" answer, with the earlier questions.
        "major_check": None if not student.major_checks else {
            **{"query": student.major_checks[-1].query, "result": student.major_checks[-1].result,
               "at": _iso(student.major_checks[-1].at)},
            "earlier": [{"query": m.query, "at": _iso(m.at)} for m in student.major_checks[:-1]],
        },
        "study_plan": None if student.study_plan is None else _plan_dict(student.study_plan),
        "profile_history": [_change_dict(c) for c in student.profile_changes],
        "preferences": (student.profile.preferences if student.profile is not None else None) or {},
        # Beyond the contract keys: useful to counselors and the console.
        "channel": student.channel,
        "stage": student.stage,
        "review_status": student.review_status,
        "created_at": _iso(student.created_at),
        "last_active_at": _iso(student.last_active_at),
        "sessions": len(student.sessions),
        "reports": [{"token": r.token, "at": _iso(r.at)} for r in student.reports],
        "notes": [{"author": n.author, "text": n.text, "at": _iso(n.at)} for n in student.notes],
    }
    return out


def _transcript_entry(m: Message) -> Dict[str, Any]:
    """Contract shape; a counselor's reply is a "bot" message (the service speaking) that
    names the counselor."""
    entry: Dict[str, Any] = {"role": "user" if m.role == "user" else "bot", "text": m.text, "at": _iso(m.at)}
    if m.role == "counselor":
        entry["counselor"] = (m.extra or {}).get("counselor")
    return entry


def list_cases(limit: int = 50, offset: int = 0) -> List[Dict[str, Any]]:
    """Newest activity first: one summary line per case."""
    with session_scope() as session:
        counts = (
            select(Message.student_id, func.count(Message.id).label("n"))
            .group_by(Message.student_id)
            .subquery()
        )
        rows = session.execute(
            select(Student, Profile, counts.c.n)
            .outerjoin(Profile, Profile.student_id == Student.id)
            .outerjoin(counts, counts.c.student_id == Student.id)
            .order_by(desc(Student.last_active_at))
            .limit(limit)
            .offset(offset)
        ).all()
        out = []
        for student, profile, n in rows:
            out.append({
                "sender_id": student.sender_id,
                "channel": student.channel,
                "stage": student.stage,
                "review_status": student.review_status,
                "last_active_at": _iso(student.last_active_at),
                "messages": int(n or 0),
                "education": profile.education if profile else None,
                "major": profile.major if profile else None,
            })
        return out


def count_cases() -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count(Student.id))).scalar_one())
