"""Telegram, end to end: real update JSON posted to the running Rasa's webhook, replies
checked where Telegram would see them (the fake Bot API's recorded calls) and in the case
database (`coach cases show --json`)."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from bot.channels.telegram import TEXT_GROUP_REFUSED, TEXT_NOT_TEXT
from bot.channels.textsplit import utf16_len
from tests.channels import dialogue
from tests.channels.conftest import SECRET, TOKEN, WEBHOOK_URL
from tests.channels.fake_telegram import (
    callback_update,
    edited_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.conftest import ROOT, VENV_BIN

pytestmark = pytest.mark.e2e


def _sqlite(stack, sql, *args):
    with sqlite3.connect(stack.db_url[len("sqlite:///"):]) as conn:
        return conn.execute(sql, args).fetchall()


def _titles(keyboard_call):
    return [b["text"] for row in keyboard_call.params["reply_markup"]["inline_keyboard"] for b in row]


def _consent(student):
    calls = student.say("/start")
    keyboard = student.last_keyboard(calls)
    assert keyboard is not None, student.texts(calls)
    return student.press(keyboard, "同意")


def _intake(student, calls):
    for _ in range(25):
        text = student.texts(calls)
        if dialogue.DONE in text:
            return text
        keyboard = student.last_keyboard(calls)
        title = dialogue.button_to_press(_titles(keyboard) if keyboard else [])
        if title:
            calls = student.press(keyboard, title)
            continue
        answer = dialogue.typed_answer(text)
        assert answer, f"unexpected question: {text}"
        calls = student.say(answer)
    pytest.fail("intake did not finish")


def test_startup_sets_command_menu_and_webhook_with_secret(channel_stack, fake_tg):
    assert fake_tg.wait_for(lambda: any(c.method == "setWebhook" for c in fake_tg.calls), 30)
    commands = next(c for c in fake_tg.calls if c.method == "setMyCommands").params["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "privacy", "delete"]
    assert all(c["description"] for c in commands)
    hook = next(c for c in fake_tg.calls if c.method == "setWebhook").params
    assert hook["url"] == WEBHOOK_URL and hook["secret_token"] == SECRET
    assert set(hook["allowed_updates"]) >= {"message", "callback_query"}
    # The token never reaches the log.
    assert TOKEN not in channel_stack.log() and TOKEN.split(":")[1] not in channel_stack.log()


def test_webhook_refuses_requests_without_the_secret_token(telegram, fake_tg):
    student = telegram()
    mark = fake_tg.snapshot()
    assert student.post(text_update(student.chat_id, "你好"), secret=None).status_code == 403
    assert student.post(text_update(student.chat_id, "你好"), secret="wrong-secret").status_code == 403
    assert student.post(text_update(student.chat_id, "你好"), secret=SECRET.upper()).status_code == 403
    r = requests.post(student.stack.webhook, data=b"not json",
                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
    assert r.status_code == 400
    time.sleep(0.5)
    assert fake_tg.since(mark, chat_id=student.chat_id) == []


def test_consent_intake_and_coaching_flow(telegram, channel_stack, fake_tg):
    student = telegram("小明")
    # /start: the agency introduces itself and asks for consent, with an inline keyboard.
    calls = student.say("/start")
    intro = student.texts(calls)
    assert "启航" in intro and "同意" in intro
    keyboard = student.last_keyboard(calls)
    assert _titles(keyboard) == ["同意", "不同意"]
    assert all(re.fullmatch(r"b:[a-z0-9]{1,30}", b["callback_data"])
               for row in keyboard.params["reply_markup"]["inline_keyboard"] for b in row)
    assert fake_tg.wait_for(lambda: any(c.method == "sendChatAction" and c.params["chat_id"] == student.chat_id
                                        for c in fake_tg.calls), 10)
    assert channel_stack.case(student.sender_id)["consent"] is None   # nothing stored yet

    # Pressing "同意": answered, keyboard replaced by a mark, payload sent to Rasa.
    calls = student.press(keyboard, "同意")
    assert any(c.method == "answerCallbackQuery" for c in calls)
    edit = next(c for c in calls if c.method == "editMessageReplyMarkup")
    assert edit.params["message_id"] == keyboard.result["message_id"]
    marks = [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert marks == ["✓ 已选：同意"]
    assert "谢谢信任" in student.texts(calls)

    # The same keyboard pressed again does nothing but say so.
    again = student.deliver(callback_update(student.chat_id, keyboard.result,
                                            keyboard.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]))
    assert [c.method for c in again] == ["answerCallbackQuery"]
    assert again[0].params.get("text") == "这一项已经选过了"
    # So does the mark itself.
    mark_press = student.deliver(callback_update(student.chat_id, edit.result, "x"))
    assert [c.method for c in mark_press] == ["answerCallbackQuery"]

    summary = _intake(student, calls)
    assert "法学" in summary and "共青团员" in summary

    case = channel_stack.case(student.sender_id)
    assert case["consent"]["given"] is True
    assert case["channel"] == "telegram"
    for key, value in dialogue.EXPECTED_PROFILE.items():
        assert case["profile"][key] == value, key
    assert case["profile"]["target_region"].startswith("湖北")
    user_texts = [m["text"] for m in case["transcript"] if m["role"] == "user"]
    assert "法学" in user_texts and "2025" in user_texts
    assert any(t.startswith('/inform{"education":"本科"}') for t in user_texts)   # a pressed button
    # The sender id is stable per chat and is not the chat id; the chat id is the address.
    assert student.sender_id.startswith("tg-") and str(student.chat_id) not in student.sender_id
    name, address = _sqlite(channel_stack, "SELECT display_name, channel_address FROM students WHERE sender_id = ?",
                            student.sender_id)[0]
    assert (name, address) == ("小明", str(student.chat_id))

    # Coaching: eligible posts, one shortlisted, competition ratios as a chart (a photo).
    calls = student.say("我能报哪些岗位")
    keyboard = student.last_keyboard(calls)
    if keyboard is not None and "女" in _titles(keyboard):      # asked only when posts differ by gender
        calls = student.press(keyboard, "女")
    assert channel_stack.case(student.sender_id)["eligibility"] is not None, student.texts(calls)
    keyboard = student.last_keyboard(calls)
    assert keyboard is not None, student.texts(calls)
    calls = student.press(keyboard, "第1个加入备选")
    shortlist = channel_stack.case(student.sender_id)["shortlist"]
    assert len(shortlist) == 1
    calls = student.say("比较竞争比")
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(photos) == 1, [c.method for c in calls]
    upload = photos[0].files["photo"]
    assert upload["data"].startswith(b"\x89PNG") and upload["size"] > 1000
    assert shortlist[0]["post_code"] in student.texts(calls)

    # The report as a document.
    calls = student.say("生成报告")
    docs = [c for c in calls if c.method == "sendDocument"]
    assert len(docs) == 1, [c.method for c in calls]
    doc = docs[0].files["document"]
    assert doc["data"].startswith(b"%PDF") and doc["filename"].endswith(".pdf")


def test_duplicate_update_is_processed_once(telegram, channel_stack, fake_tg):
    student = telegram()
    _consent(student)
    update = text_update(student.chat_id, "国考年龄限制是多少")
    first = student.deliver(update)
    assert "38" in student.texts(first)
    mark = fake_tg.snapshot()
    r = student.post(update)
    assert r.status_code == 200 and r.json().get("duplicate") is True
    time.sleep(0.5)
    assert fake_tg.since(mark, chat_id=student.chat_id) == []

    # Telegram retrying while the first delivery is still being processed: one turn only.
    update = text_update(student.chat_id, "应届生怎么认定")
    mark = fake_tg.snapshot()
    results = []
    threads = [threading.Thread(target=lambda: results.append(student.post(update).status_code)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0] == 200 and set(results) <= {200, 503}
    assert student.post(update).json().get("duplicate") is True
    transcript = channel_stack.case(student.sender_id)["transcript"]
    assert [m["text"] for m in transcript if m["role"] == "user"].count("应届生怎么认定") == 1
    assert [m["text"] for m in transcript if m["role"] == "user"].count("国考年龄限制是多少") == 1
    replies = fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)
    assert len(replies) == len({c.params["text"] for c in replies}) >= 1


def test_retry_after_is_honoured_once(telegram, fake_tg):
    student = telegram()
    fake_tg.fail("sendMessage", "retry_after", retry_after=1)
    mark = fake_tg.snapshot()
    student.say("国考年龄限制是多少")
    attempts = [c for c in fake_tg.since(mark, "sendMessage", chat_id=student.chat_id, ok_only=False)]
    assert attempts[0].outcome == "retry_after"
    assert attempts[1].outcome == "ok" and attempts[1].params["text"] == attempts[0].params["text"]
    assert attempts[1].at - attempts[0].at >= 1.0
    delivered = [c.params["text"] for c in attempts if c.outcome == "ok"]
    assert len(delivered) == len(set(delivered))          # nothing sent twice


def test_network_error_is_retried(telegram, fake_tg):
    student = telegram()
    fake_tg.fail("sendMessage", "network")
    mark = fake_tg.snapshot()
    student.say("什么算基层工作经历")
    attempts = fake_tg.since(mark, "sendMessage", chat_id=student.chat_id, ok_only=False)
    assert attempts[0].outcome == "network" and attempts[1].outcome == "ok"
    assert "基层" in "".join(c.params["text"] for c in attempts if c.outcome == "ok")


def test_send_failure_keeps_the_turn_logs_no_personal_data_and_redelivers(telegram, channel_stack, fake_tg):
    student = telegram("李雷")
    _consent(student)
    fake_tg.fail("sendMessage", "server_error", times=3)       # every attempt of the first reply
    mark = fake_tg.snapshot()
    said = "我的手机号是13912345678，应届生怎么认定"
    r = student.post(text_update(student.chat_id, said, first_name="李雷"))
    assert r.status_code == 200
    # The turn is recorded even though nothing could be sent yet.
    transcript = channel_stack.case(student.sender_id)["transcript"]
    index = max(i for i, m in enumerate(transcript) if m["role"] == "user")
    assert transcript[index]["text"] == said
    replies = [m["text"] for m in transcript[index + 1:]]
    assert replies and all(m["role"] == "bot" for m in transcript[index + 1:])
    # The reply arrives from the outbox, in order, once Telegram is back.
    assert fake_tg.wait_for(lambda: len(fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)) >= len(replies),
                            30)
    time.sleep(1.5)
    delivered = [c.params["text"] for c in fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)]
    assert delivered == replies
    failed = fake_tg.since(mark, "sendMessage", chat_id=student.chat_id, ok_only=False)
    assert [c.outcome for c in failed[:3]] == ["server_error"] * 3
    log = channel_stack.log()
    assert "queued for redelivery" in log
    for personal in ("13912345678", str(student.chat_id), "李雷", "应届生怎么认定", student.sender_id):
        assert personal not in log, personal


def test_ten_thousand_character_reply_is_split_without_breaking_words(telegram, channel_stack, fake_tg):
    student = telegram()
    _consent(student)
    sentence = ("公务员考试的竞争比是报名人数除以招录人数。See https://www.scs.gov.cn/zwgk/2026/notice_0123.html "
                "and the Holland RIASEC interest inventory for details。\n")
    text = ""
    while len(text) < 10_000:
        text += sentence
    text = text[:10_000].rstrip()
    text = text[: text.rfind("。") + 1]
    mark = fake_tg.snapshot()
    # A counselor's reply through Rasa's API (what the console does), on the channel the
    # student last used.
    r = requests.post(f"{channel_stack.rasa}/conversations/{student.sender_id}/tracker/events",
                      params={"output_channel": "latest", "execute_side_effects": "true"},
                      json={"event": "bot", "text": text, "metadata": {"counselor": "张老师"}}, timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert fake_tg.wait_for(lambda: len(fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)) >= 3, 20)
    parts = [c.params["text"] for c in fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)]
    assert len(parts) == 3
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert parts[0].startswith("【生涯顾问 张老师】\n")
    joined = "".join(parts)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", "【生涯顾问 张老师】" + text)
    words = set(re.findall(r"[A-Za-z]+", sentence))
    for part in parts:
        for url in re.findall(r"https?://\S+", part):
            assert url == "https://www.scs.gov.cn/zwgk/2026/notice_0123.html"
        assert set(re.findall(r"[A-Za-z]+", part)) <= words            # no word cut in two
        assert part.endswith("。")                                     # cut at a sentence's end


def test_non_text_messages_get_a_friendly_answer(telegram, channel_stack, fake_tg):
    student = telegram()
    for update in (sticker_update(student.chat_id), voice_update(student.chat_id),
                   location_update(student.chat_id), photo_update(student.chat_id, caption="看看这个")):
        calls = student.deliver(update)
        assert [c.method for c in calls] == ["sendMessage"]
        assert calls[0].params["text"] == TEXT_NOT_TEXT
    # An edited message is not answered again.
    assert student.deliver(edited_update(student.chat_id, "改了一下")) == []
    # None of it reached the dialogue.
    r = requests.get(f"{channel_stack.rasa}/conversations/{student.sender_id}/tracker", timeout=30)
    assert not [e for e in r.json().get("events") or [] if e.get("event") == "user"]


def test_group_chats_are_refused_politely_unless_configured(telegram, fake_tg):
    member = telegram()
    group = -1000000000000 - member.chat_id
    mark = fake_tg.snapshot()
    assert member.post(text_update(group, "大家好", chat_type="supergroup", from_id=member.chat_id)).status_code == 200
    assert [c.params["text"] for c in fake_tg.since(mark, chat_id=group)] == [TEXT_GROUP_REFUSED]
    mark = fake_tg.snapshot()
    member.post(text_update(group, "在吗", chat_type="supergroup", from_id=member.chat_id))
    assert fake_tg.since(mark, chat_id=group) == []          # refused once, not on every message
    # The configured group (COACH_TELEGRAM_ALLOWED_CHATS) is served.
    mark = fake_tg.snapshot()
    member.post(text_update(-100777, "国考年龄限制是多少", chat_type="group", from_id=member.chat_id))
    assert "38" in "".join(c.params.get("text", "") for c in fake_tg.since(mark, "sendMessage", chat_id=-100777))


def test_commands_help_privacy_delete_and_unknown(telegram, channel_stack):
    student = telegram()
    _consent(student)
    student.say("本科")
    assert channel_stack.case(student.sender_id)["profile"]["education"] == "本科"
    help_text = student.texts(student.say("/help"))
    assert "/privacy" in help_text and "/delete" in help_text
    privacy = student.texts(student.say("/privacy"))
    assert "365" in privacy and "启航" in privacy
    assert "不认识" in student.texts(student.say("/foobar"))
    calls = student.say("/delete")
    keyboard = student.last_keyboard(calls)
    calls = student.press(keyboard, "确认删除")
    assert "已删除" in student.texts(calls)
    case = channel_stack.case(student.sender_id)
    assert case["consent"] is None and case["profile"] == {} and case["transcript"] == []


def test_polling_mode_forwards_updates_to_rasa(telegram, channel_stack, fake_tg):
    student = telegram()
    env = dict(channel_stack.env)
    proc = subprocess.Popen([str(VENV_BIN / "coach"), "telegram", "--polling", "--timeout", "1",
                             "--rasa-url", channel_stack.rasa], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        mark = fake_tg.snapshot()
        assert fake_tg.wait_for(lambda: any(c.method == "deleteWebhook" for c in fake_tg.since(mark)), 60)
        fake_tg.push_update(text_update(student.chat_id, "国考年龄限制是多少"))
        assert fake_tg.wait_for(lambda: any("38" in c.params.get("text", "")
                                            for c in fake_tg.since(mark, "sendMessage", chat_id=student.chat_id)), 60)
        # The update is confirmed to Telegram (offset moved past it) and not forwarded twice.
        assert fake_tg.wait_for(lambda: fake_tg.pending_updates() == 0, 15)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "共转发 1 条更新" in out
    assert TOKEN not in out
    # Back to webhook mode for whatever runs next.
    requests.post(f"{fake_tg.base_url}{TOKEN}/setWebhook", data={"url": WEBHOOK_URL}, timeout=10)
