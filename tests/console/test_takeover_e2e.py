"""Take-over against the real Rasa server (the ``stack`` fixture: Rasa + action server on a
fresh SQLite case database): the assistant stays quiet while a counselor holds the
conversation, the counselor's reply is part of the transcript, and after hand-back the
assistant answers again.

Delivery of the reply on the student's own channel (web chat, Telegram) is not checked
here: those channels are built separately; this test uses Rasa's REST channel.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import Student
from tests.conftest import _reset_process_state, new_sender
from tests.console.conftest import Browser, _make_app
from tests.console.seed import make_user

pytestmark = pytest.mark.e2e


def test_counselor_takes_over_replies_and_hands_back(stack, monkeypatch):
    monkeypatch.setenv("COACH_DATABASE_URL", stack.db_url)
    _reset_process_state()
    try:
        app = _make_app(monkeypatch, RASA_URL=stack.rasa)
        sender = new_sender("console")
        stack.say(sender, "你好")
        stack.say(sender, "/affirm")                        # consent: the case exists from here on
        with session_scope() as s:
            case_id = s.execute(select(Student.id).where(Student.sender_id == sender)).scalar_one()
        make_user("zhangls", name="张老师")
        b = Browser(app)
        assert b.login("zhangls").status_code == 302
        b.csrf("/cases")

        assert b.post(f"/cases/{case_id}/takeover").status_code == 302
        with session_scope() as s:
            assert s.get(Student, case_id).taken_over_by is not None
        assert stack.say(sender, "我想问问湖北省考报名的事") == []     # the assistant stays quiet

        b.post(f"/cases/{case_id}/reply", {"text": "你好，我是张老师，报名的事我来回答你。"})
        transcript = stack.case(sender)["transcript"]
        texts = [(m["role"], m["text"], m.get("counselor")) for m in transcript]
        assert ("user", "我想问问湖北省考报名的事", None) in texts
        assert ("bot", "你好，我是张老师，报名的事我来回答你。", "张老师") in texts
        assert texts.index(("user", "我想问问湖北省考报名的事", None)) < \
            texts.index(("bot", "你好，我是张老师，报名的事我来回答你。", "张老师"))
        page = b.get(f"/cases/{case_id}").get_data(as_text=True)
        assert 'class="msg msg-counselor"' in page and "报名的事我来回答你" in page

        assert b.post(f"/cases/{case_id}/handback").status_code == 302
        with session_scope() as s:
            assert s.get(Student, case_id).taken_over_by is None
        assert stack.say(sender, "你好") != []                          # the assistant answers again
    finally:
        _reset_process_state()
