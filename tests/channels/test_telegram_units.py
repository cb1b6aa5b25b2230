"""The Telegram channel's parts without Rasa: configuration, sender ids, rendering, the
retry policy and the outbox (against the fake Bot API), and the database side shared by
replicas (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.channels import store
from bot.channels.telegram import SendFailed, TelegramConfig, TelegramSender, resolve_config
from tests.channels.conftest import TOKEN
from tests.channels.fake_telegram import FakeBotAPI


@pytest.fixture
def api():
    fake = FakeBotAPI(TOKEN).start()
    yield fake
    fake.stop()


def _sender(api, attempts=3, budget=30.0):
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    cfg = TelegramConfig(token=TOKEN, base_url=api.base_url, send_attempts=attempts, retry_budget=budget,
                         outbox_interval=0.2)
    return TelegramSender(cfg, sleep=sleep), waits


def test_configuration_comes_from_settings_when_credentials_leave_it_empty(monkeypatch):
    from bot.config import reset_settings

    monkeypatch.setenv("COACH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("COACH_TELEGRAM_ALLOWED_CHATS", "-1001, -1002,oops")
    reset_settings()
    try:
        cfg = resolve_config({"token": "", "webhook_url": "https://x.example/hook", "allowed_chats": []})
        assert cfg.enabled and cfg.token == TOKEN and cfg.webhook_url == "https://x.example/hook"
        assert cfg.allowed_chats == frozenset({-1001, -1002})
        assert cfg.bot_id == "7000000001"
        # Without a configured secret, one is derived from the token: stable, and valid for Telegram.
        assert cfg.secret == resolve_config({}).secret and len(cfg.secret) == 64
        monkeypatch.setenv("COACH_TELEGRAM_SECRET_TOKEN", "bad secret!")
        reset_settings()
        assert not resolve_config({}).enabled          # refused, not silently used
    finally:
        reset_settings()


def test_sender_ids_are_stable_per_chat_and_do_not_reveal_the_chat_id():
    a = TelegramConfig(token=TOKEN, sender_key="k1")
    assert a.sender_id(123456789) == a.sender_id(123456789)
    assert a.sender_id(123456789) != a.sender_id(123456788)
    assert "123456789" not in a.sender_id(123456789)
    assert TelegramConfig(token=TOKEN, sender_key="k2").sender_id(123456789) != a.sender_id(123456789)
    # Kept across a token change when a sender key is set.
    assert TelegramConfig(token="7000000001:other", sender_key="k1").sender_id(5) == a.sender_id(5)


def test_render_turns_rasa_messages_into_bot_api_operations():
    sender = TelegramSender(TelegramConfig(token=TOKEN))
    ops = sender.render({"text": "请选择学历", "buttons": [{"title": "本科", "payload": '/inform{"education":"本科"}'}]})
    assert ops == [{"op": "text", "text": "请选择学历",
                    "buttons": [{"title": "本科", "payload": '/inform{"education":"本科"}'}]}]
    ops = sender.render({"image": "http://127.0.0.1:5005/webhooks/media/abcDEF123456/chart.png"})
    assert ops == [{"op": "photo", "url": "http://127.0.0.1:5005/webhooks/media/abcDEF123456/chart.png"}]
    ops = sender.render({"attachment": {"type": "file", "url": "http://h/webhooks/media/tok12345678",
                                        "name": "报告.pdf", "mime": "application/pdf", "size": 10}})
    assert ops[0]["op"] == "document" and ops[0]["name"] == "报告.pdf"
    ops = sender.render({"text": "字" * 5000, "buttons": [{"title": "好", "payload": "/affirm"}]})
    assert [len(o["text"]) for o in ops] == [4096, 904] and "buttons" in ops[1] and "buttons" not in ops[0]
    assert sender.render({"text": "你好", "counselor": "张老师"})[0]["text"] == "【生涯顾问 张老师】\n你好"
    assert sender.render({"text": "  "}) == []


def test_retry_after_network_errors_and_permanent_failures(api, sqlite_url):
    sender, waits = _sender(api)

    async def run():
        api.fail("sendMessage", "retry_after", retry_after=3)
        await sender.run_op(42, {"op": "text", "text": "一"})
        api.fail("sendMessage", "network")
        await sender.run_op(42, {"op": "text", "text": "二"})
        api.fail("sendMessage", "server_error", times=2)
        await sender.run_op(42, {"op": "text", "text": "三"})
        api.fail("sendMessage", "forbidden")
        with pytest.raises(SendFailed) as blocked:
            await sender.run_op(42, {"op": "text", "text": "四"})
        api.fail("sendMessage", "server_error", times=3)
        with pytest.raises(SendFailed) as exhausted:
            await sender.run_op(42, {"op": "text", "text": "五"})
        await sender.close()
        return blocked.value, exhausted.value

    blocked, exhausted = asyncio.run(run())
    assert waits[0] >= 3.0                              # RetryAfter's wait is honoured
    assert waits[1:4] == [0.5, 0.5, 1.0]                 # then exponential backoff
    assert not blocked.transient and blocked.attempts == 1
    assert exhausted.transient and exhausted.attempts == 3
    sent = [c.params["text"] for c in api.calls if c.method == "sendMessage" and c.outcome == "ok"]
    assert sent == ["一", "二", "三"]


def test_retry_after_longer_than_the_budget_is_not_waited_for(api, sqlite_url):
    sender, waits = _sender(api, budget=5.0)

    async def run():
        api.fail("sendMessage", "retry_after", retry_after=30)
        with pytest.raises(SendFailed) as failed:
            await sender.run_op(42, {"op": "text", "text": "hi"})
        await sender.close()
        return failed.value

    failed = asyncio.run(run())
    assert failed.transient and waits == []


def test_undelivered_replies_wait_in_the_outbox_in_order(api, sqlite_url):
    sender, _ = _sender(api, attempts=2)

    async def run():
        api.fail("sendMessage", "server_error", times=2)
        ok1 = await sender.deliver(77, "tg-abc", [{"op": "text", "text": "第一条"}, {"op": "text", "text": "第二条"}])
        ok2 = await sender.deliver(77, "tg-abc", [{"op": "text", "text": "第三条"}], queue_only=True)
        pending = store.outbox_pending("telegram", "tg-abc")
        api.fail("sendMessage", "server_error", times=10)
        none = await sender.redeliver("tg-abc")
        still = store.outbox_pending("telegram", "tg-abc")
        api.clear_failures()
        done = await sender.redeliver("tg-abc")
        await sender.close()
        return ok1, ok2, pending, none, still, done

    ok1, ok2, pending, none, still, done = asyncio.run(run())
    assert (ok1, ok2, pending, none, still, done) == (False, False, 2, 0, 2, 2)
    assert store.outbox_pending("telegram") == 0
    sent = [c.params["text"] for c in api.calls if c.method == "sendMessage" and c.outcome == "ok"]
    assert sent == ["第一条", "第二条", "第三条"]


def test_update_claims_across_replicas(any_db):
    # Several replicas receive the same update at once: exactly one processes it.
    results = []
    barrier = threading.Barrier(4)

    def replica():
        barrier.wait()
        results.append(store.claim("tg:1:555"))

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["busy", "busy", "busy", "new"]
    store.finish("tg:1:555")
    assert store.claim("tg:1:555") == "done"
    # A claim whose replica died is taken over after the lease, by one replica only.
    assert store.claim("tg:1:556") == "new"
    import time

    later = time.time() + store.LEASE_SECONDS + 1
    assert store.claim("tg:1:556", now=later) == "new"
    assert store.claim("tg:1:556", now=later) == "busy"
    assert store.attempts("tg:1:556") == 2
    # A released claim (processing failed) is retried at once.
    store.release("tg:1:556")
    assert store.claim("tg:1:556") == "new"
    assert store.mark_once("pressed:1") is True and store.mark_once("pressed:1") is False
    key = store.callback_key('/inform{"education":"硕士研究生"}')
    assert len(key) <= 30 and store.callback_payload(key) == '/inform{"education":"硕士研究生"}'
    assert store.callback_payload("forged") is None


def test_getme_failing_at_first_is_retried(api, sqlite_url):
    sender, waits = _sender(api)

    async def run():
        api.fail("getMe", "network")
        bot = await sender.bot()
        username = bot.username
        await sender.close()
        return username

    assert asyncio.run(run()) == "coach_test_bot"
    assert [c.outcome for c in api.calls if c.method == "getMe"] == ["network", "ok"]
    assert waits == [0.5]
