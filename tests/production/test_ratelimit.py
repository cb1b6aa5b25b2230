"""The per-sender rate limit and the polite answer to a failed turn (bot/channels/ratelimit.py),
without servers. On the running channels: tests/production/test_production_stack.py."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.channels import ratelimit
from bot.channels.ratelimit import (
    TEXT_TRY_AGAIN,
    Limit,
    MemoryCounter,
    RateLimiter,
    configured_limit,
    guard,
)
from bot.config import load_config


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _redis_url() -> str:
    try:
        import redis

        redis.Redis(port=6379, socket_timeout=1).ping()
    except Exception:
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/2"


@pytest.fixture(params=["memory", "redis"])
def store_url(request) -> str:
    return "" if request.param == "memory" else _redis_url()


def _run(coro):
    return asyncio.run(coro)


def test_the_limit_comes_from_the_agency_settings(monkeypatch):
    assert configured_limit(load_config({})) == Limit(120, 60.0)         # coach.yml
    env = {"COACH_AGENCY_RATE_LIMIT_MESSAGES": "5", "COACH_AGENCY_RATE_LIMIT_WINDOW_SECONDS": "10"}
    assert configured_limit(load_config(env)) == Limit(5, 10.0)
    assert not configured_limit(load_config({"COACH_AGENCY_RATE_LIMIT_MESSAGES": "0"})).enabled
    # Nonsense falls back to the default instead of switching the limit off.
    bad = load_config({"COACH_AGENCY_RATE_LIMIT_MESSAGES": "lots"})
    assert configured_limit(bad).messages == 120


def test_a_sender_over_the_limit_is_refused_politely_and_others_are_not(store_url):
    clock = Clock()
    limiter = RateLimiter(Limit(3, 60), redis_url=store_url, clock=clock)
    alice, bob = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"

    async def scenario():
        first = [await limiter.check(alice) for _ in range(5)]
        other = await limiter.check(bob)
        return first, other

    first, other = _run(scenario())
    assert [d.allowed for d in first] == [True, True, True, False, False]
    assert first[3].first and not first[4].first              # told once, not per extra message
    assert 1 <= first[3].retry_after <= 60
    assert "发得有点快" in first[3].text and f"{first[3].retry_after}秒" in first[3].text
    assert other.allowed
    assert limiter.redis_failures == 0


def test_the_window_slides(store_url):
    clock = Clock(1_000_020.0)            # the start of a 60 s window
    limiter = RateLimiter(Limit(4, 60), redis_url=store_url, clock=clock)
    sender = f"s-{uuid.uuid4().hex}"

    async def scenario():
        out = [(await limiter.check(sender)).allowed for _ in range(4)]
        clock.now += 45                   # same window: still 4
        out.append((await limiter.check(sender)).allowed)
        clock.now += 40                   # 25 s into the next one: the 4 weigh 4 * 35/60 < 4
        out.append((await limiter.check(sender)).allowed)
        return out

    assert _run(scenario()) == [True, True, True, True, False, True]


def test_an_unreachable_redis_does_not_stop_students():
    limiter = RateLimiter(Limit(2, 60), redis_url="redis://127.0.0.1:1/2")
    decisions = _run(_checks(limiter, "s", 3))
    assert [d.allowed for d in decisions] == [True, True, False]   # counted in this process meanwhile
    assert limiter.redis_failures == 1                              # and Redis left alone for a while


async def _checks(limiter, sender, n):
    return [await limiter.check(sender) for _ in range(n)]


def test_memory_counter_forgets_the_oldest_senders():
    counter = MemoryCounter(max_senders=3)
    for i in range(5):
        counter.hit(f"s{i}", Limit(1, 60), 100.0)
    assert len(counter._counts) == 3


class Output:
    def __init__(self) -> None:
        self.messages = []

    async def send_text_message(self, recipient_id, text, **kwargs):
        self.messages.append({"recipient_id": recipient_id, "text": text})


class Message:
    def __init__(self, sender: str) -> None:
        self.sender_id = sender
        self.output_channel = Output()


@pytest.fixture
def limiter(monkeypatch):
    limiter = RateLimiter(Limit(2, 60), redis_url="")
    ratelimit.reset_limiter(limiter)
    yield limiter
    ratelimit.reset_limiter(None)


def test_guard_answers_for_rasa_when_the_sender_is_over_the_limit(limiter):
    handled = []

    async def rasa(message):
        handled.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    handler = guard(rasa, "rest")
    messages = [Message("same") for _ in range(3)]
    for m in messages:
        _run(handler(m))
    assert handled == ["same", "same"]
    assert "发得有点快" in messages[2].output_channel.messages[0]["text"]


class LockError(Exception):
    pass


def test_guard_asks_to_send_again_when_a_turn_fails_and_drops_what_was_not_saved(limiter):
    async def rasa(message):
        await message.output_channel.send_text_message(message.sender_id, "下一个问题")
        raise RuntimeError("database is down")        # the tracker could not be saved

    m = Message("x")
    _run(guard(rasa, "rest")(m))
    assert [x["text"] for x in m.output_channel.messages] == [TEXT_TRY_AGAIN]


def test_guard_keeps_an_answered_turn_when_only_the_lock_release_failed(limiter):
    async def rasa(message):
        await message.output_channel.send_text_message(message.sender_id, "下一个问题")
        raise LockError("redis went away")

    m = Message("y")
    _run(guard(rasa, "rest")(m))
    assert [x["text"] for x in m.output_channel.messages] == ["下一个问题"]

    async def before_processing(message):
        raise LockError("redis is down")               # nothing processed: send again

    m = Message("z")
    _run(guard(before_processing, "rest")(m))
    assert [x["text"] for x in m.output_channel.messages] == [TEXT_TRY_AGAIN]


def test_the_log_never_holds_the_message(limiter, caplog):
    async def rasa(message):
        raise RuntimeError("secret words 我的身份证号")

    m = Message("我的名字")
    with caplog.at_level("INFO"):
        _run(guard(rasa, "rest")(m))
        for _ in range(3):
            _run(guard(rasa, "rest")(Message("我的名字")))
    assert "我的" not in caplog.text and "secret" not in caplog.text
    assert "RuntimeError" in caplog.text
