"""What real students write (issue 9), through the REST channel with the action server running.

Each question below was mistaken for a command before: it changed the profile, filed a
complaint, or started a form. After each one the case must be as it was (profile, flags,
interviews, feedback) and no form may be running. Out-of-domain requests get the honest
out-of-scope answer and leave no trace. Follow-ups keep the thread; facts stated inside a
question are offered, not written; every change can be undone and is in the history.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import requests

from tests.conftest import new_sender

pytestmark = pytest.mark.e2e


def _payloads(messages: List[Dict[str, Any]]) -> List[str]:
    return [b.get("payload") for m in messages for b in (m.get("buttons") or [])]


def _text(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _tracker(stack, sender: str) -> Dict[str, Any]:
    r = requests.get(f"{stack.rasa}/conversations/{sender}/tracker", timeout=30)
    r.raise_for_status()
    return r.json()


def _student_with_profile(stack) -> str:
    """A consented student who finished the intake: 本科, 会计学, 2025, 应届, 24, 团员, 国考."""
    sender = new_sender("u")
    stack.say(sender, "你好")
    stack.say(sender, "/affirm")
    stack.say(sender, "我本科，会计学专业，24岁，共青团员")
    stack.say(sender, "2025年毕业")
    stack.say(sender, "/affirm")
    stack.say(sender, "没有")
    stack.say(sender, "国考")
    reply = stack.texts(sender, "湖北武汉")
    assert "基本情况记好了" in reply, reply
    return sender


def _state(stack, sender: str) -> Dict[str, Any]:
    case = stack.case(sender)
    tracker = _tracker(stack, sender)
    return {
        "profile": case["profile"],
        "flags": case["flags"],
        "interviews": case["interviews"],
        "feedback": case["feedback"],
        "shortlist": case["shortlist"],
        "active_loop": (tracker.get("active_loop") or {}).get("name"),
    }


QUESTIONS = [
    # (message, what must not happen in the reply)
    ("本科专业不是计算机科学的程序员，能报考计算机类的岗位吗？", "改为"),
    ("专科专业不是计算机专业，后来通过自考本科……能考吗？", "改为"),
    ("想了解对应岗位的薪资，有什么渠道？", "投诉"),
    ("面试是一定要提供原单位同意报考证明，这个如何解决？", "对方的专业"),
    ("如果考不上，事业编能考虑吗？", "对方的专业"),
    ("面试班是否有必要报？", "打几分"),
    ("遴选真的很难吗？", "打几分"),
    # more of the same kind, in our own wording
    ("我同学是法学硕士，他能考检察院吗", "改为"),
    ("要是我是大专学历还能报国考吗", "改为"),
    ("27岁还来得及考公吗", "改为"),
    ("公务员工资一般多少，有没有地方能查到", "投诉"),
    ("听说面试要穿正装，是真的吗", "对方的专业"),
    ("报告里一般写些什么", "报告已生成"),
    ("你们会不会把我的资料删掉", "确定要删除"),
]


def test_questions_change_nothing_in_the_case(stack):
    sender = _student_with_profile(stack)
    before = _state(stack, sender)
    assert before["active_loop"] is None and before["profile"]["major"] == "会计学"
    for message, forbidden in QUESTIONS:
        reply = stack.say(sender, message)
        text = _text(reply)
        assert text.strip(), f"no answer to {message!r}"
        assert forbidden not in text, (message, text)
        after = _state(stack, sender)
        assert after == before, (message, text, after)


OUT_OF_DOMAIN = [
    "宁波到杭州的汽车",
    "距离春节还有多久",
    "给我打个谜语",
    "帮我找一家评分4.5分以上的火锅店，要在武汉",
    "明天上海天气怎么样",
    "播放周杰伦的稻香",
    "附近有没有评分高的酒店，4.5分以上",
    "双色球开奖结果",
    "给妈妈打电话",
]


def test_out_of_domain_gets_the_honest_answer_and_leaves_no_trace(stack):
    sender = _student_with_profile(stack)
    before = _state(stack, sender)
    for message in OUT_OF_DOMAIN:
        text = stack.texts(sender, message)
        assert "帮不上忙" in text, (message, text)
        assert _state(stack, sender) == before, message
    # ... and the conversation goes on normally.
    assert "法律" in stack.texts(sender, "公务员有哪些义务")


def test_out_of_domain_before_consent_stores_nothing(stack):
    sender = new_sender("o")
    stack.say(sender, "宁波到杭州的汽车")
    case = stack.case(sender)
    assert case["profile"] == {} and case["flags"] == []


def test_follow_ups_keep_the_thread(stack):
    sender = _student_with_profile(stack)
    reply = stack.say(sender, "我能报哪些岗位")
    if "性别" in _text(reply):          # the eligibility form asks what the intake did not
        reply = stack.say(sender, "女")
    # 国考 has no table here: the assistant says so and offers the tables it has.
    assert "还没有导入" in _text(reply), _text(reply)
    assert any("exam_choice" in (p or "") for p in _payloads(reply))

    # "第一个岗位详细说说" before any list: offer to show one, do not ask for a code.
    text = stack.texts(sender, "第一个岗位详细说说")
    assert "还没给你列过岗位" in text

    # "那湖北的呢" re-runs the check for Hubei; the target exam stays 国考.
    text = stack.texts(sender, "那湖北的呢")
    assert "湖北省考2026年" in text and "核对了" in text, text
    case = stack.case(sender)
    assert case["profile"]["target_exam"] == "国考" and case["profile"]["target_region"].startswith("湖北")
    assert case["eligibility"]["exam"] == "湖北省考"

    # Now there is a list: "第一个岗位详细说说" shows the first post.
    text = stack.texts(sender, "第一个岗位详细说说")
    assert "你的情况" in text and "职位" not in text.split("\n")[0][:2]

    # Typing a button's own title behaves like the button (河南 is offered after the no-data answer).
    stack.say(sender, "我能报哪些岗位")
    reply = stack.say(sender, "看河南省考2026")
    assert "河南省考2026年" in _text(reply) and "核对了" in _text(reply)
    assert stack.case(sender)["profile"]["target_exam"] == "国考"


def test_facts_in_a_question_are_offered_and_changes_can_be_undone(stack):
    sender = new_sender("f")
    stack.say(sender, "你好")
    stack.say(sender, "/affirm")
    stack.say(sender, "先不填了")
    # The student's own facts inside a question: answered, then offered with one tap.
    reply = stack.say(sender, "我今年27岁，本科，现在开始考公还来得及吗")
    text = _text(reply)
    assert "要记到你的资料里吗" in text and "/affirm" in _payloads(reply)
    assert stack.case(sender)["profile"].get("age") is None
    reply = stack.say(sender, "/affirm")
    profile = stack.case(sender)["profile"]
    assert profile["age"] == 27 and profile["education"] == "本科"
    history = stack.case(sender)["profile_history"]
    assert {h["field"] for h in history} >= {"age", "education"}
    assert all(h["message"] == "我今年27岁，本科，现在开始考公还来得及吗" and h["source"] == "offered"
               for h in history if h["field"] in ("age", "education"))

    # A stated correction shows old → new with an undo button; undo puts it back.
    reply = stack.say(sender, "不对，我是硕士")
    assert "“本科”改为“硕士研究生”" in _text(reply) and "/undo" in _payloads(reply)
    assert stack.case(sender)["profile"]["education"] == "硕士研究生"
    text = stack.texts(sender, "撤销")
    assert "硕士研究生 → 本科" in text
    assert stack.case(sender)["profile"]["education"] == "本科"
    kinds = [(h["field"], h["source"]) for h in stack.case(sender)["profile_history"]]
    assert ("education", "undo") in kinds


def test_two_questions_in_one_message_get_two_answers(stack):
    sender = new_sender("q")
    stack.say(sender, "你好")
    stack.say(sender, "/affirm")
    reply = stack.say(sender, "国考一般几月份报名？另外公务员要政审吗，会查什么？")
    topics = [m.get("metadata", {}) for m in reply]
    text = _text(reply)
    assert "10月" in text and ("政审" in text or "考察" in text), text


def test_a_question_in_the_middle_of_a_form_is_answered_and_the_form_goes_on(stack):
    import json
    import sqlite3

    sender = new_sender("m")
    stack.say(sender, "你好")
    stack.say(sender, "/affirm")
    reply = stack.texts(sender, "本科")
    assert "专业" in reply                              # the intake asks for the major next
    reply = stack.texts(sender, "政审会不会查个人征信啊")
    assert "征信" in reply or "失信" in reply, reply     # the answer ...
    assert "专业" in reply.split("\n")[-1]              # ... and the form's question again
    assert "会计学" in stack.texts(sender, "会计学") or stack.case(sender)["profile"]["major"] == "会计学"
    # The answer's topic and sources are kept with the bot message for the counselor.
    path = stack.db_url[len("sqlite:///"):]
    with sqlite3.connect(path) as conn:
        rows = [json.loads(r[0]) for r in conn.execute(
            "SELECT m.extra FROM messages m JOIN students s ON s.id = m.student_id "
            "WHERE s.sender_id = ? AND m.role = 'bot' AND m.extra IS NOT NULL", (sender,))]
    knowledge = [r["knowledge"] for r in rows if r and r.get("knowledge")]
    assert knowledge and knowledge[0]["key"] == "political_review"
    assert knowledge[0]["sources"] and all(s.get("checked") for s in knowledge[0]["sources"])
