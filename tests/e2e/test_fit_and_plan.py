"""Coaching that fits the student (issue 11), through the REST channel with the action server.

A student asks whether her major counts, gets the posts ranked by fit (police posts are
asked about, not pushed first), re-weights the ranking in words, builds a study plan,
changes it twice, checks in once and gets the report with the plan in it (PDF text read
back). The case JSON holds ``major_check`` and ``study_plan``.
"""

from __future__ import annotations

import io
from typing import Any, Dict, List

import pytest
import requests

from tests.conftest import new_sender

pytestmark = pytest.mark.e2e


def _text(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _payloads(messages: List[Dict[str, Any]]) -> List[str]:
    return [b.get("payload") for m in messages for b in (m.get("buttons") or [])]


def _intake(stack, sender: str) -> None:
    stack.say(sender, "你好")
    stack.say(sender, "/affirm")
    stack.say(sender, "硕士研究生，会计学，2026年毕业，24岁，共青团员")
    stack.say(sender, "/affirm")                 # fresh graduate
    stack.say(sender, "没有")                     # grass-roots years
    stack.say(sender, "湖北省考")
    reply = stack.texts(sender, "武汉")
    assert "基本情况记好了" in reply, reply


def test_major_check_ranking_and_plan(stack):
    sender = new_sender("fit")
    _intake(stack, sender)

    # 1. Does my major count? (a named major and a target class; the profile stays as it is)
    text = stack.texts(sender, "软件工程能报计算机类岗位吗")
    assert "软件工程" in text and "计算机类" in text and "符合" in text, text
    assert "湖北省考2026" in text and "毕业证" in text
    case = stack.case(sender)
    assert case["profile"]["major"] == "会计学"
    assert case["major_check"]["query"]["major"] == "软件工程"
    assert case["major_check"]["query"]["target"] == "计算机类"
    # ... and the student's own major by default
    text = stack.texts(sender, "我的专业能报多少岗位")
    assert "会计学" in text
    assert stack.case(sender)["major_check"]["query"]["major"] == "会计学"

    # 2. Posts ranked by fit, each with why; police is asked about, not first.
    reply = stack.say(sender, "我能报哪些岗位")
    if "性别" in _text(reply):
        reply = stack.say(sender, "女")
    text = _text(reply)
    assert "按适合你的程度" in text and "理由" in text, text
    first = text.split("按适合你的程度")[1].split("\n")[1]
    assert "公安" not in first and "执法勤务" not in first, first
    # Re-weighting in words changes what the ranking takes into account.
    text = stack.texts(sender, "我更看重上岸概率")
    assert "记下了" in text and "按适合你的程度" in text
    assert stack.case(sender)["preferences"], "preferences kept in the case"

    # 3. Study plan: intake, build, two changes, a check-in.
    reply = stack.say(sender, "帮我做个备考计划，我在职，每晚下班后能学2小时，周末6小时")
    text = _text(reply)
    if "行测五个模块" not in text:
        text = stack.texts(sender, "在职")
    text = stack.texts(sender, "常识3 言语4 数量1 判断3 资料2 申论3")
    assert "备考计划" in text and "周" in text, text
    plan = stack.case(sender)["study_plan"]
    assert plan and plan["plan"]["weeks"] and plan["inputs"]["weekday_hours"] == 2.0
    weeks_before = plan["plan"]["weeks"]

    text = stack.texts(sender, "下周出差，计划要调整一下")
    assert "备考计划" in text
    text = stack.texts(sender, "资料分析还是很差，帮我改下计划")
    assert "备考计划" in text
    plan = stack.case(sender)["study_plan"]
    assert [h["kind"] for h in plan["history"]] == ["built", "adjusted", "adjusted"]
    assert plan["plan"]["ratings"]["资料分析"] <= 2
    assert plan["plan"]["weeks"] != weeks_before

    reply = stack.say(sender, "打卡")
    assert "完成得怎么样" in _text(reply)
    text = stack.texts(sender, "这周完成了八成，资料分析没做完")
    assert "完成约" in text, text
    plan = stack.case(sender)["study_plan"]
    assert plan["history"][-1]["kind"] == "checkin" and plan["plan"]["progress"]

    # 4. The report carries the plan (its text read back from the PDF).
    reply = stack.say(sender, "帮我生成规划报告")
    url = next(m["attachment"]["url"] for m in reply if m.get("attachment"))
    pdf = requests.get(url, timeout=60)
    assert pdf.status_code == 200
    from pypdf import PdfReader

    content = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "备考计划" in content and "资料分析" in content
