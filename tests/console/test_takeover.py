"""Take-over from the case page, against a stand-in for Rasa's HTTP API (the real Rasa is
in test_takeover_e2e.py): the requests Rasa receives, the state kept in the case, errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import takeover
from bot.console.models import User
from bot.db import session_scope
from bot.db.models import Student
from tests.console.conftest import audit_actions
from tests.console.seed import make_case, make_user


@pytest.fixture
def setup(app, fake_rasa):
    app.config.update(RASA_URL=fake_rasa.url, RASA_TOKEN="s3cret")
    make_user("zhang", name="张老师")
    make_user("wangls", name="王老师")
    make_user("boss", role="admin", name="主任")
    cid = make_case(name="王小明", sender="tg/12345 x")
    with session_scope() as s:
        ids = dict(s.execute(select(User.username, User.id)).all())
    return cid, ids


def taken_by(cid):
    with session_scope() as s:
        return s.get(Student, cid).taken_over_by


def flashes(b, cid):
    return b.get(f"/cases/{cid}").get_data(as_text=True)


def test_take_over_reply_and_hand_back(setup, fake_rasa, browser):
    cid, ids = setup
    b = browser("zhang")
    assert b.post(f"/cases/{cid}/reply", {"text": "你好"}).status_code == 302
    assert "请先接管对话再回复" in flashes(b, cid)
    assert fake_rasa.requests == []

    b.post(f"/cases/{cid}/takeover")
    assert taken_by(cid) == ids["zhang"]
    page = flashes(b, cid)
    assert "已接管对话" in page and 'id="reply-text"' in page and 'data-live="1"' in page

    b.post(f"/cases/{cid}/reply", {"text": "  你好，我是张老师，接下来由我来解答。 "})
    b.post(f"/cases/{cid}/handback")
    assert taken_by(cid) is None
    paths = [r["path"] for r in fake_rasa.requests]
    base = "/conversations/tg%2F12345%20x/tracker/events"
    assert paths == [f"{base}?token=s3cret",
                     f"{base}?output_channel=latest&execute_side_effects=true&token=s3cret",
                     f"{base}?token=s3cret"]
    assert [r["body"] for r in fake_rasa.requests] == [
        {"event": "pause"},
        {"event": "bot", "text": "你好，我是张老师，接下来由我来解答。", "metadata": {"counselor": "张老师"}},
        {"event": "resume"},
    ]
    assert [a for a in audit_actions(cid) if a != "case_view"] == ["takeover", "takeover_reply", "handback"]


def test_only_one_counselor_holds_a_conversation(setup, fake_rasa, browser):
    cid, ids = setup
    zhang, wang, boss = browser("zhang"), browser("wangls"), browser("boss")
    zhang.post(f"/cases/{cid}/takeover")
    wang.post(f"/cases/{cid}/takeover")
    assert "已由其他顾问接管" in flashes(wang, cid)
    wang.post(f"/cases/{cid}/reply", {"text": "插话"})
    wang.post(f"/cases/{cid}/handback")
    assert "只有接管这个对话的顾问才能交还" in flashes(wang, cid)
    assert taken_by(cid) == ids["zhang"]
    assert [r["body"]["event"] for r in fake_rasa.requests] == ["pause"]
    assert "张老师 正在接管这段对话" in flashes(wang, cid)
    boss.post(f"/cases/{cid}/handback")           # an admin may end it
    assert taken_by(cid) is None


def test_reply_validation(setup, fake_rasa, browser):
    cid, _ = setup
    b = browser("zhang")
    b.post(f"/cases/{cid}/takeover")
    b.post(f"/cases/{cid}/reply", {"text": "   "})
    assert "回复内容不能为空" in flashes(b, cid)
    b.post(f"/cases/{cid}/reply", {"text": "长" * 2001})
    assert "不能超过 2000 个字" in flashes(b, cid)
    assert [r["body"]["event"] for r in fake_rasa.requests] == ["pause"]


def test_rasa_errors_are_explained_and_change_nothing(setup, fake_rasa, browser, app):
    cid, _ = setup
    b = browser("zhang")
    fake_rasa.status = 401
    b.post(f"/cases/{cid}/takeover")
    assert "令牌" in flashes(b, cid) and taken_by(cid) is None
    fake_rasa.status = 500
    b.post(f"/cases/{cid}/takeover")
    assert "HTTP 500" in flashes(b, cid) and taken_by(cid) is None
    app.config["RASA_URL"] = "http://127.0.0.1:9"          # nothing listens there
    b.post(f"/cases/{cid}/takeover")
    page = flashes(b, cid)
    assert "无法连接对话服务" in page and taken_by(cid) is None
    assert "Traceback" not in page


def test_reply_warns_when_rasa_is_no_longer_paused(setup, fake_rasa, browser):
    cid, _ = setup
    b = browser("zhang")
    b.post(f"/cases/{cid}/takeover")
    fake_rasa.paused = False                     # e.g. the student restarted the conversation
    b.post(f"/cases/{cid}/reply", {"text": "还在吗？"})
    assert "已不再处于暂停状态" in flashes(b, cid)


def test_client_uses_settings_when_not_configured(monkeypatch, sqlite_url):
    from bot.config import reset_settings

    monkeypatch.setenv("COACH_RASA_HOST", "10.0.0.5")
    monkeypatch.setenv("COACH_RASA_PORT", "5999")
    monkeypatch.setenv("COACH_RASA_TOKEN", "tok")
    reset_settings()
    client = takeover.RasaConversations()
    assert client.base_url == "http://10.0.0.5:5999" and client.token == "tok"
    reset_settings()
