"""A student talks to the running assistant through Rasa's REST channel (issue 2).

Every test checks what the student reads and what the case database then holds
(through `coach cases show --json`, as a counselor's tools would see it).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from tests.conftest import new_sender

pytestmark = pytest.mark.e2e


def _payloads(messages):
    return [b.get("payload") for m in messages for b in (m.get("buttons") or [])]


def _consent(stack, sender):
    reply = stack.say(sender, "你好")
    assert "/affirm" in _payloads(reply)
    return stack.say(sender, "/affirm")


def _events(stack, sender):
    path = stack.db_url[len("sqlite:///"):]
    with sqlite3.connect(path) as conn:
        return [json.loads(row[0]) for row in conn.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]


def test_greeting_introduces_agency_and_asks_consent(stack):
    sender = new_sender()
    reply = stack.say(sender, "你好呀")
    text = "\n".join(m.get("text", "") for m in reply)
    assert "启航" in text                      # agency name from coach.yml
    for word in ("记什么", "为什么", "谁能看", "存多久"):
        assert word in text
    assert "365天" in text                     # retention from the config
    assert set(_payloads(reply)) >= {"/affirm", "/deny"}
    # Nothing is stored before consent.
    case = stack.case(sender)
    assert case["consent"] is None and case["profile"] == {} and case["transcript"] == []


def test_intake_several_facts_in_one_sentence_normalised_and_corrected(stack):
    sender = new_sender()
    _consent(stack, sender)
    reply = stack.texts(sender, "我本科，学法学的，今年23岁，团员")
    assert "哪一年毕业" in reply               # next question: graduation year
    reply = stack.texts(sender, "2025年毕业")
    assert "应届" in reply
    stack.say(sender, "/affirm")               # fresh graduate (button)
    reply = stack.texts(sender, "没有")         # grass-roots years
    assert "考哪类" in reply
    reply = stack.texts(sender, "湖北省考")
    assert "哪个地区" in reply
    reply = stack.texts(sender, "武汉")
    assert "基本情况记好了" in reply

    case = stack.case(sender)
    assert case["consent"]["given"] is True and case["consent"]["text_version"]
    p = case["profile"]
    assert p["education"] == "本科" and p["degree"] == "学士"
    assert p["major"] == "法学" and p["major_code"] == "030101K"
    assert p["age"] == 23
    assert p["political_status"] == "共青团员"
    assert p["grad_year"] == 2025 and p["fresh_graduate"] is True
    assert p["experience_years"] == 0
    assert p["target_exam"] == "湖北省考" and p["target_region"].startswith("湖北")

    # A correction later in the conversation.
    reply = stack.texts(sender, "不对，我是硕士")
    assert "硕士研究生" in reply
    assert stack.case(sender)["profile"]["education"] == "硕士研究生"
    assert stack.case(sender)["profile"]["degree"] == "硕士"

    # The transcript holds every message in order, user texts verbatim from the consent on
    # (what came before it was not kept).
    from bot.privacy import REDACTED

    transcript = stack.case(sender)["transcript"]
    user_texts = [m["text"] for m in transcript if m["role"] == "user"]
    assert user_texts[:3] == [REDACTED, "/affirm", "我本科，学法学的，今年23岁，团员"]
    assert user_texts[-1] == "不对，我是硕士"
    assert transcript[-1]["role"] == "bot"
    stamps = [m["at"] for m in transcript]
    assert stamps == sorted(stamps)
    assert {m["role"] for m in transcript} == {"user", "bot"}


def test_invalid_answers_get_a_clear_reask_and_keep_what_was_recorded(stack):
    sender = new_sender()
    _consent(stack, sender)
    stack.say(sender, "本科")
    stack.say(sender, "汉语言文学")
    reply = stack.texts(sender, "2024")
    stack.say(sender, "/deny")                 # not a fresh graduate
    reply = stack.texts(sender, "我今年300岁")
    assert "300岁" in reply and "周岁" in reply   # says why, asks again
    assert "age" not in stack.case(sender)["profile"]
    reply = stack.texts(sender, "二十四")
    assert "政治面貌" in reply
    assert stack.case(sender)["profile"]["age"] == 24
    # Unknown value for a button question.
    reply = stack.texts(sender, "我是火星人")
    assert "政治面貌" in reply
    # A nonsense major given as a correction does not overwrite the recorded one.
    stack.say(sender, "/inform{\"political_status\":\"群众\"}")
    reply = stack.texts(sender, "我的专业是asdfghjkl")
    assert stack.case(sender)["profile"]["major"] == "汉语言文学"


def test_faq_answers_use_yearly_figures_from_knowledge(stack):
    sender = new_sender()
    reply = stack.texts(sender, "国考报名年龄最大能到多少岁啊")
    assert "38" in reply and "43" in reply     # 2026 national exam, from knowledge/exams.yml
    assert "{" not in reply                     # every placeholder filled
    # A first-time visitor who starts with a question also gets the agreement.
    assert "同意" in reply


@pytest.mark.parametrize("question,expected", [
    ("公务员到底是干嘛的，算什么身份", "财政"),
    ("考公务员要满足哪些法定条件", "国籍"),
    ("受过刑事处罚的人还能考公吗", "刑事处罚"),
    ("毕业第二年还没工作算不算应届生", "择业期"),
    ("在村委会上班算基层工作经历吗", "基层"),
    ("公务员有什么权利", "权利"),
    ("公务员要履行哪些义务", "义务"),
    ("进了体制以后晋升通道有哪些", "双"),
    ("考公有啥好处和坏处", "稳定"),
    ("行测和申论分别考什么", "行测"),
    ("申论怎么阅卷打分的", "阅卷"),
    ("公务员的职业精神是指什么", "人民"),
    ("公务员年终考核怎么算分", "50%"),
    ("我表哥在那个单位还能报吗 回避怎么规定", "回避"),
    ("你们会怎么处理我的个人信息", "365"),
])
def test_each_faq_topic_is_answered(stack, question, expected):
    reply = stack.texts(new_sender(), question)
    assert expected in reply, reply


def test_refused_consent_answers_questions_but_stores_nothing(stack):
    sender = new_sender()
    stack.say(sender, "你好")
    reply = stack.texts(sender, "/deny")
    assert "不记录" in reply
    reply = stack.texts(sender, "我本科毕业，今年23岁，是党员")
    assert "没有保存" in reply
    reply = stack.texts(sender, "应届生怎么认定")
    assert "择业期" in reply
    case = stack.case(sender)
    assert case["consent"] is None and case["profile"] == {} and case["transcript"] == []
    # The tracker store keeps the dialogue state but not what the student typed.
    stored = json.dumps(_events(stack, sender), ensure_ascii=False)
    assert "23岁" not in stored and "党员" not in stored and "应届生怎么认定" not in stored


def test_show_and_delete_my_data(stack):
    sender = new_sender()
    _consent(stack, sender)
    stack.say(sender, "博士，计算机科学与技术，28岁")
    reply = stack.texts(sender, "你们存了我哪些信息")
    assert "博士研究生" in reply and "28岁" in reply and "协议版本" in reply
    reply = stack.say(sender, "把我的数据全部删掉")
    assert "/affirm" in _payloads(reply)
    assert stack.case(sender)["profile"]["age"] == 28   # not yet: asks first
    reply = stack.texts(sender, "/affirm")
    assert "已删除" in reply
    case = stack.case(sender)
    assert case["consent"] is None and case["profile"] == {} and case["transcript"] == []
    stored = json.dumps(_events(stack, sender), ensure_ascii=False)
    assert "计算机科学与技术" not in stored and "28岁" not in stored
    # The next message is a fresh start.
    reply = stack.texts(sender, "你好")
    assert "同意" in reply


def test_delete_can_be_cancelled(stack):
    sender = new_sender()
    _consent(stack, sender)
    stack.say(sender, "本科")
    stack.say(sender, "删除我的数据")
    reply = stack.texts(sender, "/deny")
    assert "没有删除" in reply
    assert stack.case(sender)["profile"]["education"] == "本科"


def test_restart_bot_challenge_out_of_scope_and_fallback(stack):
    sender = new_sender()
    _consent(stack, sender)
    stack.say(sender, "本科")
    reply = stack.texts(sender, "/restart")
    assert "从头开始" in reply
    assert stack.case(sender)["profile"]["education"] == "本科"   # the case stays
    reply = stack.texts(sender, "你是机器人还是真人")
    assert "不是真人" in reply
    reply = stack.texts(sender, "帮我推荐一支股票")
    assert "帮不上" in reply
    reply = stack.texts(sender, "qwpeoiru zxmcnv")
    assert "没太看懂" in reply or "帮不上" in reply


def test_conversation_survives_a_rasa_restart(stack):
    sender = new_sender()
    _consent(stack, sender)
    stack.say(sender, "本科")
    stack.restart_rasa()
    reply = stack.texts(sender, "行政管理")
    assert "毕业" in reply                      # the form went on where it stopped
    assert stack.case(sender)["profile"]["major"] == "行政管理"


@pytest.mark.parametrize("text", [
    "", "   ", "😂😂😂🙏", "a" * 20000, "<script>alert(1)</script>",
    "'; DROP TABLE students; --", "\u0000\u0001", "我" * 5000 + "23岁",
], ids=["empty", "spaces", "emoji", "20000-chars", "script", "sql", "control-chars", "5000-chinese"])
def test_bad_input_never_breaks_anything(stack, text):
    sender = new_sender("bad")
    _consent(stack, sender)
    stack.say(sender, "本科，法学")
    r = requests.post(f"{stack.rasa}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text}, timeout=120)
    assert r.status_code < 500
    profile = stack.case(sender)["profile"]
    assert profile["education"] == "本科" and profile["major"] == "法学"


@pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b'{"sender": 5}', b'{"message": null}'])
def test_malformed_json_gets_a_4xx(stack, body):
    r = requests.post(f"{stack.rasa}/webhooks/rest/webhook", data=body,
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code < 500
