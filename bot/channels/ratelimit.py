"""The channels' front door: a per-sender rate limit, and a polite answer when a turn fails.

**Rate limit.** Each sender may send ``agency.rate_limit.messages`` messages per
``agency.rate_limit.window_seconds`` (coach.yml, or ``COACH_AGENCY_RATE_LIMIT_MESSAGES`` /
``COACH_AGENCY_RATE_LIMIT_WINDOW_SECONDS``; ``messages: 0`` turns it off). A message over the
limit is not processed: the student is told, in a sentence, to wait a little and send it
again. The count is a sliding window (the previous fixed window weighted by how much of it
still overlaps, plus the current one), kept

* in Redis when ``COACH_REDIS_HOST`` is set (the production profile's lock-store host,
  database ``COACH_RATE_LIMIT_REDIS_DB``, default 2), so that every replica behind the load
  balancer counts the same messages;
* in this process otherwise (``coach run``: one Rasa server).

If Redis cannot be reached the limiter falls back to counting in this process for a few
seconds and tries again: an outage of Redis must not stop students from talking (Rasa's
lock store will answer for itself). Keys hold a hash of the sender id, never the id.

**Failed turns.** :func:`guard` wraps the ``on_new_message`` callback Rasa hands to an
input channel. When Rasa cannot process a turn (the database, the lock store or the model
server is down) the student gets :data:`TEXT_TRY_AGAIN` instead of silence or an error, and
the log says which kind of error, never the message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from bot.config import settings

logger = logging.getLogger(__name__)

TEXT_RATE_LIMITED = "你发得有点快，我跟不上啦。刚才这条先没处理，请过{seconds}秒左右再发一次。"
TEXT_TRY_AGAIN = "抱歉，系统刚才有点忙，这条消息没处理好。请稍等几秒，再发一次。"

DEFAULT_MESSAGES = 120
DEFAULT_WINDOW = 60
REDIS_RETRY_SECONDS = 5.0
MEMORY_SENDERS = 100_000

# KEYS: current window, previous window, "told to wait" mark. ARGV: limit, weight of the
# previous window, expiry of the counts (ms), expiry of the mark (ms).
# Answers {allowed (1/0), first refusal since the last accepted message (1/0), cur, prev}.
_LUA = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
if prev * tonumber(ARGV[2]) + cur >= tonumber(ARGV[1]) then
  local first = redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4])
  return {0, first and 1 or 0, cur, prev}
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[3])
return {1, 0, cur, prev}
"""


@dataclass(frozen=True)
class Limit:
    messages: int
    window: float

    @property
    def enabled(self) -> bool:
        return self.messages > 0 and self.window > 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0     # seconds until a message is likely to be accepted again
    # The first refusal since the sender's last accepted message: channels that push
    # messages (Telegram, web chat) tell the student once, not once per extra message.
    first: bool = True

    @property
    def text(self) -> str:
        return TEXT_RATE_LIMITED.format(seconds=max(1, self.retry_after))


def configured_limit(cfg: Optional[Dict[str, Any]] = None) -> Limit:
    """The agency's limit from the settings (bad values fall back to the defaults)."""
    agency = (cfg or settings()).get("agency") or {}
    raw = agency.get("rate_limit") or {}
    if not isinstance(raw, dict):
        raw = {}

    def number(key: str, default: float) -> float:
        try:
            value = float(raw.get(key, default))
        except (TypeError, ValueError):
            logger.warning("agency.rate_limit.%s is not a number; using %s.", key, default)
            return default
        return value if math.isfinite(value) and value >= 0 else default

    return Limit(messages=int(number("messages", DEFAULT_MESSAGES)),
                 window=number("window_seconds", DEFAULT_WINDOW))


def sender_key(sender_id: str) -> str:
    return hashlib.sha256(("coach-rate:" + str(sender_id)).encode("utf-8")).hexdigest()[:32]


def _retry_after(limit: Limit, prev: float, cur: float, elapsed: float) -> int:
    """Seconds until the sliding estimate drops under the limit, if nothing else is sent."""
    window = limit.window
    if cur >= limit.messages:
        return int(math.ceil(window - elapsed)) or 1
    # estimate(t) = prev * (1 - t / window) + cur < messages, for t >= elapsed.
    if prev <= 0:
        return 1
    t = window * (1 - (limit.messages - cur) / prev)
    return max(1, int(math.ceil(t - elapsed)))


class MemoryCounter:
    """Sliding-window counts in this process (bounded: the least recently seen senders go)."""

    def __init__(self, max_senders: int = MEMORY_SENDERS) -> None:
        self._counts: "OrderedDict[str, Tuple[int, int, int, bool]]" = OrderedDict()
        self._lock = threading.Lock()
        self.max_senders = max_senders

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        index = int(now // limit.window)
        elapsed = now - index * limit.window
        with self._lock:
            window, cur, prev, told = self._counts.pop(key, (index, 0, 0, False))
            if window != index:
                prev = cur if window == index - 1 else 0
                cur = 0
            weight = 1 - elapsed / limit.window
            allowed = prev * weight + cur < limit.messages
            first = not allowed and not told
            if allowed:
                cur += 1
            self._counts[key] = (index, cur, prev, not allowed)
            while len(self._counts) > self.max_senders:
                self._counts.popitem(last=False)
        if allowed:
            return Decision(True)
        return Decision(False, _retry_after(limit, prev, cur, elapsed), first)


class RedisCounter:
    """The same counts in Redis, shared by every replica."""

    def __init__(self, url: str, prefix: str = "coach:rate") -> None:
        import redis.asyncio as aioredis

        self.url = url
        self.prefix = prefix
        self._client = aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_LUA)

    async def hit(self, key: str, limit: Limit, now: float) -> Decision:
        index = int(now // limit.window)
        elapsed = now - index * limit.window
        weight = 1 - elapsed / limit.window
        base = f"{self.prefix}:{{{key}}}"   # one hash slot per sender (Redis Cluster)
        keys = [f"{base}:{index}", f"{base}:{index - 1}", f"{base}:told"]
        window_ms = int(limit.window * 1000)
        allowed, first, cur, prev = await self._script(keys=keys, args=[limit.messages, repr(weight),
                                                                        2 * window_ms, window_ms])
        if int(allowed):
            return Decision(True)
        return Decision(False, _retry_after(limit, int(prev), int(cur), elapsed), bool(int(first)))

    async def close(self) -> None:
        try:
            await self._client.close()
        except Exception:
            pass


def redis_url_from_env(environ: Optional[Dict[str, str]] = None) -> str:
    environ = os.environ if environ is None else environ
    if environ.get("COACH_RATE_LIMIT_REDIS_URL"):
        return environ["COACH_RATE_LIMIT_REDIS_URL"]
    host = (environ.get("COACH_REDIS_HOST") or "").strip()
    if not host:
        return ""
    if host.startswith(("redis://", "rediss://")):
        return host
    port = environ.get("COACH_REDIS_PORT") or "6379"
    db = environ.get("COACH_RATE_LIMIT_REDIS_DB") or "2"
    return f"redis://{host}:{port}/{db}"


class RateLimiter:
    """Decides whether a sender's message is processed. One per Rasa process."""

    def __init__(self, limit: Optional[Limit] = None, redis_url: Optional[str] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit or configured_limit()
        self.memory = MemoryCounter()
        self._redis_url = redis_url_from_env() if redis_url is None else redis_url
        self._redis: Optional[RedisCounter] = None
        self._redis_loop: Optional[asyncio.AbstractEventLoop] = None
        self._redis_down_until = 0.0
        self._clock = clock
        self.rejected = 0
        self.redis_failures = 0

    def _counter(self) -> Optional[RedisCounter]:
        if not self._redis_url or time.monotonic() < self._redis_down_until:
            return None
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis_loop is not loop:
            self._redis = RedisCounter(self._redis_url)
            self._redis_loop = loop
        return self._redis

    async def check(self, sender_id: Any) -> Decision:
        if not self.limit.enabled or sender_id is None:
            return Decision(True)
        key = sender_key(str(sender_id))
        now = self._clock()
        decision = None
        counter = self._counter()
        if counter is not None:
            try:
                try:
                    decision = await counter.hit(key, self.limit, now)
                except Exception:
                    # A pooled connection left over from before a Redis restart fails
                    # once; a second attempt opens a new one.
                    decision = await counter.hit(key, self.limit, now)
            except Exception as exc:  # Redis down or slow: count here for a while
                self.redis_failures += 1
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                logger.warning("Rate limit store unreachable (%s); counting per process for %.0fs.",
                               type(exc).__name__, REDIS_RETRY_SECONDS)
        if decision is None:
            decision = self.memory.hit(key, self.limit, now)
        if not decision.allowed:
            self.rejected += 1
            logger.info("Rate limit: a message was not processed (sender over %d messages per %.0fs).",
                        self.limit.messages, self.limit.window)
        return decision


_limiter: Optional[RateLimiter] = None
_limiter_lock = threading.Lock()


def limiter() -> RateLimiter:
    """The process-wide limiter (built on first use from the settings)."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = RateLimiter()
        return _limiter


def reset_limiter(new: Optional[RateLimiter] = None) -> None:
    global _limiter
    with _limiter_lock:
        _limiter = new


# -- wrapping Rasa's on_new_message ------------------------------------------------------

OnNewMessage = Callable[[Any], Awaitable[Any]]


def guard(on_new_message: OnNewMessage, channel: str, *, limit: bool = True,
          apologise: bool = True) -> OnNewMessage:
    """``on_new_message`` with the rate limit in front and an apology when the turn fails.

    The wrapped callback answers on the message's own output channel, so each channel
    shows the text the way it shows any bot message."""

    async def handler(message: Any) -> Any:
        if limit:
            decision = await limiter().check(getattr(message, "sender_id", None))
            if not decision.allowed:
                await _say(message, decision.text, channel)
                return None
        output = getattr(message, "output_channel", None)
        before = len(getattr(output, "messages", None) or [])
        try:
            return await on_new_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            answered = len(getattr(output, "messages", None) or []) > before
            if answered and _lock_release_error(exc):
                # The turn was processed and saved; only releasing the conversation lock
                # failed (Redis went away meanwhile). Asking to resend would repeat it.
                logger.warning("A %s turn was answered but its lock could not be released (%s).",
                               channel, type(exc).__name__)
                return None
            logger.error("A %s turn failed (%s); the student was asked to send it again.",
                         channel, type(exc).__name__)
            if not apologise:
                raise
            collected = getattr(output, "messages", None)
            if isinstance(collected, list):
                # Not sent yet (REST answers at the end): what the failed turn said was not
                # saved, so only the request to send again goes out.
                del collected[before:]
            await _say(message, TEXT_TRY_AGAIN, channel)
            return None

    return handler


def _lock_release_error(exc: BaseException) -> bool:
    """An error of the lock store (Rasa's LockError, or Redis itself)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    module = type(exc).__module__ or ""
    return "LockError" in names or module.startswith("redis")


async def _say(message: Any, text: str, channel: str) -> None:
    output = getattr(message, "output_channel", None)
    if output is None:
        return
    try:
        await output.send_text_message(message.sender_id, text)
    except Exception as exc:
        logger.warning("Could not tell a %s student to send again (%s).", channel, type(exc).__name__)
