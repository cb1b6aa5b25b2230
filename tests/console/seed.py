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


# -- profile history, the NLU gate, knowledge answers, major check, study plan ----------------

DATA = __import__("pathlib").Path(__file__).resolve().parent / "data"


def add_profile_changes(case_id: int, changes: Sequence[Dict[str, Any]]) -> None:
    """ProfileChange rows: dicts with field, old, new, source, message and optionally
    ``undone`` (True) and ``minutes_ago``."""
    from bot.db.models import ProfileChange

    now = utcnow()
    with session_scope() as s:
        for i, c in enumerate(changes):
            at = now - dt.timedelta(minutes=c.get("minutes_ago", 60 - i))
            s.add(ProfileChange(student_id=case_id, field=c["field"], old=c.get("old"), new=c.get("new"),
                                source=c.get("source", "stated"), message=c.get("message"), at=at,
                                undone_at=(at + dt.timedelta(minutes=1)) if c.get("undone") else None))


def load_major_check(name: str = "software") -> Dict[str, Any]:
    import json

    return json.loads((DATA / f"major_check_{name}.json").read_text(encoding="utf-8"))


def add_major_check(case_id: int, query: Dict[str, Any], result: Dict[str, Any], minutes_ago: float = 0) -> None:
    from bot.db.models import MajorCheck

    with session_scope() as s:
        s.add(MajorCheck(student_id=case_id, query=query, result=result,
                         at=utcnow() - dt.timedelta(minutes=minutes_ago)))


def sample_plan(today: Optional[dt.date] = None) -> Dict[str, Any]:
    """A real plan from the planner: built, changed twice in words, one check-in."""
    from bot.coaching import planner

    today = today or dt.date(2026, 9, 1)
    inputs = {"exam": "国考", "status": "working", "weekday_hours": 2, "weekend_hours": 5,
              "ratings": {"资料分析": 2, "数量关系": 2, "言语理解与表达": 4}}
    plan = planner.build_plan(inputs, today)
    plan = planner.adjust(plan, planner.parse_adjustment("下周出差"), today + dt.timedelta(days=1))
    plan = planner.checkin(plan, "完成了八成", today + dt.timedelta(days=5))
    plan = planner.adjust(plan, planner.parse_adjustment("资料分析还是很差"), today + dt.timedelta(days=7))
    return plan


def sample_plan_history(plan: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The events actions/study_plan.py keeps beside the plan, for sample_plan()'s steps."""
    checkin = plan["progress"][-1]
    return [
        {"kind": "built", "at": "2026-09-01T02:00:00+00:00"},
        {"kind": "adjusted", "text": "下周出差", "changes": plan["adjustments"][0]["changes"],
         "at": "2026-09-02T12:30:00+00:00"},
        {"kind": "checkin", "text": "完成了八成", "week": checkin["week"], "share": checkin["share"],
         "at": "2026-09-06T13:00:00+00:00"},
        {"kind": "adjusted", "text": "资料分析还是很差", "changes": plan["adjustments"][-1]["changes"],
         "at": "2026-09-08T11:00:00+00:00"},
    ]


def add_study_plan(case_id: int, plan: Dict[str, Any], inputs: Optional[Dict[str, Any]] = None,
                   history: Optional[List[Dict[str, Any]]] = None) -> None:
    from bot.db.models import StudyPlan

    with session_scope() as s:
        s.add(StudyPlan(student_id=case_id, inputs=inputs or plan.get("inputs") or {}, plan=plan,
                        history=history or []))


def knowledge_extra(key: str = "age_limit", used: Sequence[str] = ("年龄",), version: Optional[int] = None
                    ) -> Dict[str, Any]:
    """What the tracker store keeps beside a knowledge answer (Answer.metadata())."""
    from bot import knowledge_base

    answer = knowledge_base.render(key, {})
    meta = answer.metadata()["knowledge"]
    meta["used"] = list(used)
    meta["version"] = version
    return {"knowledge": meta}


def issue_turns() -> List[Dict[str, Any]]:
    """A conversation with what the NLU gate did, a knowledge answer with sources, and an
    out-of-domain message (the shapes bot/tracker_store.py writes)."""
    return [
        {"role": "user", "text": "本科专业不是计算机科学的程序员，能报考计算机类的岗位吗？", "intent": "faq",
         "confidence": 0.71, "slots": {},
         "extra": {"topic": "faq/major_matching", "topic_confidence": 0.71,
                   "gate": {"predicted": "inform", "confidence": 0.64, "ood": 0.03, "action": "answer_question",
                            "demoted": "inform", "roles": {"major": "mentioned", "education": "mentioned"}}}},
        {"role": "bot", "text": "专业要和职位表写法一致……", "extra": knowledge_extra("major_matching", used=("专业",))},
        {"role": "user", "text": "想了解对应岗位的薪资，有什么渠道？", "intent": "faq", "confidence": 0.55, "slots": {},
         "extra": {"topic": "faq/salary_structure", "topic_confidence": 0.55,
                   "gate": {"predicted": "complain", "confidence": 0.58, "ood": 0.08, "action": "answer_question",
                            "demoted": "complain", "reason": "no_cue"}}},
        {"role": "bot", "text": "公务员工资由职务职级工资和级别工资等组成……",
         "extra": knowledge_extra("salary_structure", used=(), version=2)},
        {"role": "user", "text": "面试班是否有必要报？", "intent": "nlu_fallback", "confidence": 0.41, "slots": {},
         "extra": {"gate": {"predicted": "give_feedback", "confidence": 0.41, "ood": 0.12, "action": "ask",
                            "demoted": "give_feedback", "reason": "no_cue"}}},
        {"role": "bot", "text": "你是想给我的服务打分吗？"},
        {"role": "user", "text": "宁波到杭州的汽车", "intent": "out_of_scope", "confidence": 0.93, "slots": {},
         "extra": {"gate": {"predicted": "inform", "confidence": 0.88, "ood": 0.93, "action": "out_of_domain"}}},
        {"role": "bot", "text": "这个问题超出了我能帮忙的范围。"},
        {"role": "user", "text": "那湖北的呢", "intent": "follow_up", "confidence": 0.9, "slots": {},
         "extra": {"gate": {"predicted": "inform", "confidence": 0.77, "ood": 0.02, "action": "follow_up",
                            "roles": {"location": "followup"}}}},
        {"role": "user", "text": "看湖北省考2026", "intent": "check_my_eligibility", "confidence": 1.0, "slots": {},
         "extra": {"typed_button": "/check_my_eligibility{\"exam_choice\": \"湖北省考2026\"}"}},
    ]


def issue_case(**kw: Any) -> int:
    """A case with profile history, gate notes, sources, a major check and a study plan."""
    cid = make_case(**{"name": "李思远", "major": "软件工程", "education": "本科", "stage": "eligibility",
                       "messages": issue_turns(), **kw})
    add_profile_changes(cid, [
        {"field": "major", "old": None, "new": "计算机科学与技术", "source": "stated",
         "message": "我是计算机科学与技术专业的", "minutes_ago": 50},
        {"field": "major", "old": "计算机科学与技术", "new": "软件工程", "source": "stated",
         "message": "不对，我是软件工程专业", "minutes_ago": 40},
        {"field": "education", "old": "本科", "new": "大专", "source": "offered",
         "message": "专科专业不是计算机专业，后来通过自考本科……能考吗？", "undone": True, "minutes_ago": 30},
        {"field": "education", "old": "大专", "new": "本科", "source": "undo", "message": None, "minutes_ago": 29},
        {"field": "fresh_graduate", "old": None, "new": True, "source": "form", "message": "是的", "minutes_ago": 20},
    ])
    add_major_check(cid, {"major": "软件工程", "level": "本科", "text": "我的专业能报多少岗位"},
                    load_major_check("two_degrees"), minutes_ago=90)
    add_major_check(cid, {"major": "软件工程", "level": "本科", "target": "计算机类",
                          "text": "软件工程能报计算机类岗位吗"}, load_major_check("software"), minutes_ago=10)
    plan = sample_plan()
    add_study_plan(cid, plan, history=sample_plan_history(plan))
    return cid
