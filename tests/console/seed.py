"""Building cases for the console tests (directly in the case database, as the tracker
store and the actions would)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Dict, Iterable, List, Optional, Sequence

from bot.db import session_scope
from bot.db.models import (
    Consent,
    EligibilityCheck,
    Feedback,
    Flag,
    Interview,
    Message,
    Profile,
    Report,
    SelfAnalysis,
    ShortlistEntry,
    Student,
    utcnow,
)

PASSWORD = "Kai-Xin-2026-pass"


def make_case(*, agency: str = "default", name: Optional[str] = None, channel: str = "telegram",
              stage: str = "intake", major: Optional[str] = None, education: Optional[str] = None,
              messages: Sequence[Dict[str, Any]] = (), flags: Iterable[Any] = (),
              feedback: Iterable[int] = (), created_days_ago: float = 0, active_days_ago: float = 0,
              review: str = "new", assigned_to: Optional[int] = None, sender: Optional[str] = None,
              extra: bool = False) -> int:
    """Creates one case; returns its id. ``messages``: dicts with role, text and optionally
    intent, confidence, slots, extra. ``flags``: kinds, or (kind, resolved) pairs."""
    now = utcnow()
    created = now - dt.timedelta(days=created_days_ago)
    active = now - dt.timedelta(days=active_days_ago)
    with session_scope() as s:
        st = Student(sender_id=sender or f"tg-{uuid.uuid4().hex[:12]}", channel=channel, agency=agency,
                     created_at=created, last_active_at=active, stage=stage, review_status=review,
                     assigned_to=assigned_to, tags=[], display_name=name)
        s.add(st)
        s.flush()
        s.add(Consent(student_id=st.id, given=True, text_version="2026-11-v1", channel=channel, at=created))
        if major or education:
            s.add(Profile(student_id=st.id, major=major, education=education, age=23, grad_year=2026,
                          political_status="共青团员", fresh_graduate=True))
        at = created
        for m in messages:
            at = at + dt.timedelta(seconds=20)
            s.add(Message(student_id=st.id, role=m.get("role", "user"), text=m["text"], at=min(at, active),
                          intent=m.get("intent"), confidence=m.get("confidence"), slots=m.get("slots"),
                          extra=m.get("extra")))
        for f in flags:
            kind, resolved = (f, False) if isinstance(f, str) else f
            s.add(Flag(student_id=st.id, kind=kind, detail=None, at=active,
                       resolved_at=now if resolved else None))
        for score in feedback:
            s.add(Feedback(student_id=st.id, score=score, comment=None, at=active))
        if extra:
            s.add(SelfAnalysis(student_id=st.id, answers={"我是谁": "做事踏实、喜欢和人打交道"},
                               swot={"strengths": ["文字功底好"], "weaknesses": ["数学一般"],
                                     "opportunities": ["家乡招录多"], "threats": ["竞争激烈"]}, confirmed=True))
            s.add(EligibilityCheck(student_id=st.id, exam="湖北省考", year=2026,
                                   counts={"eligible": 120, "not_eligible": 5000, "needs_confirmation": 30}))
            s.add(Interview(student_id=st.id, major="法学", exam="国考", year=2025, post="税务局科员",
                            result="上岸", advice="早点准备申论"))
            s.add(ShortlistEntry(student_id=st.id, exam="湖北省考", year=2026, post_code="14230201003000001",
                                 questions=["工作地点在哪里？"]))
            s.add(Report(student_id=st.id, markdown="# 生涯规划报告\n\n测试报告", pdf=None,
                         token=uuid.uuid4().hex))
        return st.id


def turns(n: int, fallback: int = 0) -> List[Dict[str, Any]]:
    """n user/bot exchanges, the first ``fallback`` of them misunderstood."""
    out: List[Dict[str, Any]] = []
    for i in range(n):
        misunderstood = i < fallback
        out.append({"role": "user", "text": f"第{i + 1}个问题：报名时间是什么时候？",
                    "intent": "nlu_fallback" if misunderstood else "ask_exam_strategy",
                    "confidence": 0.31 if misunderstood else 0.92, "slots": {}})
        out.append({"role": "bot", "text": "抱歉，我没太明白。" if misunderstood else "一般在每年 10 月。"})
    return out


def make_user(username: str, role: str = "counselor", agency: str = "default",
              name: Optional[str] = None, password: str = PASSWORD) -> int:
    from bot.console import accounts

    with session_scope() as s:
        return accounts.create_user(s, username, password, role, agency, name or username).id
