"""Telegram as a Rasa input channel, built on python-telegram-bot 22.

Configured in credentials.yml as ``bot.channels.telegram.TelegramInput``; every value left
empty there comes from the ``telegram`` section of the settings (``COACH_TELEGRAM_*``), so
the token stays out of the repository. Without a token the channel is present but inert.

* **Webhook** ``POST /webhooks/telegram/webhook``: Telegram's ``X-Telegram-Bot-Api-Secret-Token``
  header must match (403 otherwise). On start-up each replica sets the bot's command menu
  and, when ``webhook_url`` is configured, the webhook. ``coach telegram --polling``
  (bot/channels/telegram_cli.py) fetches updates with ``getUpdates`` instead and posts them
  to this same route, so both modes share one code path and Rasa's per-conversation lock.
* **Exactly once**: every update is claimed in the database before it is processed
  (``channel_updates``); a repeated ``update_id`` is acknowledged without running again,
  also when it reaches another replica. A claim left by a replica that died mid-turn
  expires, so the retry of that update is processed.
* **Sending**: buttons become inline keyboards (the pressed one is answered, sent to Rasa
  as its payload, and the keyboard is replaced by a "chosen" mark), images go as photos
  and reports as documents (bytes from the case database: Telegram cannot reach this
  server's media URLs), long texts are split under 4,096 characters without breaking a
  word or entity. ``RetryAfter`` and network errors are retried with backoff; what still
  fails goes to the outbox (``channel_outbox``) and is redelivered in the background, so
  the turn is never lost. Log lines name the method and the error class only: no text,
  no chat id, no token.
* **Rate limit**: a sender over the agency's per-sender limit (bot/channels/ratelimit.py)
  is told once to wait; the update is acknowledged and its message not processed.
* **Sender ids** are ``tg-`` plus a keyed hash of the chat id: stable per chat, not the
  chat id itself. The chat id travels in the message metadata as ``channel_address``
  (stored with the case only after consent) so counselors' replies can be delivered.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
import warnings
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels import store
from bot.channels.ratelimit import limiter
from bot.channels.textsplit import TELEGRAM_LIMIT, split_text, utf16_len
from bot.config import settings

logger = logging.getLogger(__name__)

# httpx logs every request URL at INFO, and a Bot API URL contains the bot's token;
# python-telegram-bot logs request parameters (message texts) at DEBUG.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.WARNING)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CAPTION_LIMIT = 1024
CHOSEN_DATA = "x"
OUTBOX_GIVE_UP_SECONDS = 24 * 3600.0
_MEDIA_URL = re.compile(r"/webhooks/media/([A-Za-z0-9_-]{8,64})(?:/[^/?#]*)?(?:[?#].*)?$")
_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# -- what the channel itself says (the dialogue's words come from Rasa) ---------------------

COMMANDS = [
    ("start", "开始咨询"),
    ("help", "我能帮你做什么"),
    ("privacy", "记录哪些信息、怎么保护"),
    ("delete", "删除我的数据"),
]
# Commands and the message each one sends to Rasa.
COMMAND_MESSAGES = {
    "start": "/greet",
    "help": "/help",
    "privacy": '/faq{"topic":"privacy"}',
    "delete": "/delete_my_data",
}
TEXT_COMMANDS_HINT = "常用命令：/start 开始咨询　/privacy 隐私说明　/delete 删除我的数据"
TEXT_NOT_TEXT = "我目前只能看懂文字消息～图片、语音、贴纸和位置我还读不了，麻烦直接打字告诉我吧。"
TEXT_UNKNOWN_COMMAND = "这个命令我不认识。可以直接打字问我，或者发 /help 看看我能做什么。"
TEXT_GROUP_REFUSED = ("抱歉，我只在私聊里提供一对一的生涯咨询，群里不方便谈个人情况。"
                      "请点我的头像，和我私聊吧。")
TEXT_ALREADY_CHOSEN = "这一项已经选过了"
TEXT_BUTTON_EXPIRED = "这个按钮已经失效了，请直接打字回复"
TEXT_TRY_AGAIN = "抱歉，我这边出了点问题，刚才那条消息没处理好，请稍后再发一次。"
TEXT_CHOSEN_MARK = "✓ 已选：{title}"
TEXT_CHOOSE = "请选择："
TEXT_CHART = "竞争比对比图"
TEXT_FILE_GONE = "（这个文件已经失效了，需要的话可以让我重新生成。）"
TEXT_COUNSELOR = "【生涯顾问 {name}】"

_NON_TEXT_KINDS = ("sticker", "photo", "voice", "audio", "video", "video_note", "document", "location",
                   "venue", "contact", "animation", "poll", "dice", "game", "story", "invoice")


# -- configuration -----------------------------------------------------------------------------

def _derive(token: str, purpose: str) -> str:
    return hmac.new(token.encode("utf-8"), f"coach-telegram:{purpose}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


def _chat_ids(value: Any) -> frozenset:
    if value in (None, ""):
        return frozenset()
    items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
    out = set()
    for item in items:
        try:
            out.add(int(str(item).strip()))
        except ValueError:
            logger.warning("Ignoring an allowed_chats entry that is not a chat id.")
    return frozenset(out)


@dataclasses.dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    webhook_url: str = ""
    secret_token: str = ""
    sender_key: str = ""
    base_url: str = ""
    allowed_chats: frozenset = frozenset()
    send_attempts: int = 5
    retry_budget: float = 60.0
    outbox_interval: float = 30.0
    set_commands: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def bot_id(self) -> str:
        return self.token.split(":", 1)[0] if self.token else ""

    @property
    def secret(self) -> str:
        return self.secret_token or (_derive(self.token, "webhook-secret") if self.token else "")

    def sender_id(self, chat_id: int) -> str:
        key = self.sender_key or _derive(self.token, "sender-id")
        digest = hmac.new(key.encode("utf-8"), str(int(chat_id)).encode("ascii"), hashlib.sha256).digest()
        return "tg-" + base64.b32encode(digest).decode("ascii").lower()[:26]


def resolve_config(credentials: Optional[Dict[str, Any]] = None) -> TelegramConfig:
    """credentials.yml values where set, the settings (``COACH_TELEGRAM_*``) otherwise."""
    creds = credentials or {}
    cfg = dict(settings().get("telegram") or {})

    def pick(key: str, default: Any = "") -> Any:
        value = creds.get(key)
        if value in (None, "", [], {}):
            value = cfg.get(key, default)
        return default if value is None else value

    def number(key: str, default: float) -> float:
        try:
            return float(pick(key, default))
        except (TypeError, ValueError):
            logger.warning("telegram.%s is not a number; using %s", key, default)
            return default

    token = str(pick("token")).strip()
    secret = str(pick("secret_token")).strip()
    if secret and not _SECRET_OK.match(secret):
        logger.error("telegram.secret_token may only hold A-Z, a-z, 0-9, _ and - (1-256 chars); "
                     "the Telegram channel stays off until it is fixed.")
        token = ""
    return TelegramConfig(
        token=token,
        webhook_url=str(pick("webhook_url")).strip(),
        secret_token=secret,
        sender_key=str(pick("sender_key")).strip(),
        base_url=str(pick("base_url")).strip(),
        allowed_chats=_chat_ids(pick("allowed_chats")),
        send_attempts=max(1, int(number("send_attempts", 5))),
        retry_budget=max(1.0, number("retry_budget", 60.0)),
        outbox_interval=max(0.2, number("outbox_interval", 30.0)),
        set_commands=str(pick("set_commands", True)).lower() not in ("0", "false", "no", "off"),
    )


# -- talking to the Bot API ----------------------------------------------------------------------

class SendFailed(Exception):
    def __init__(self, method: str, reason: str, transient: bool, attempts: int) -> None:
        super().__init__(f"{method}: {reason}")
        self.method, self.reason, self.transient, self.attempts = method, reason, transient, attempts


def _retry_after_seconds(exc: Exception) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = getattr(exc, "retry_after", 1)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    try:
        return float(value)
    except (TypeError, ValueError):
        return 1.0


def make_bot(cfg: TelegramConfig):
    from telegram import Bot
    from telegram.request import HTTPXRequest

    kwargs: Dict[str, Any] = {}
    if cfg.base_url:
        base = cfg.base_url.rstrip("/")
        kwargs["base_url"] = base if base.endswith("/bot") else base + "/bot"
        kwargs["base_file_url"] = kwargs["base_url"].rsplit("/bot", 1)[0] + "/file/bot"
    request = HTTPXRequest(connection_pool_size=16, connect_timeout=10.0, read_timeout=30.0,
                           write_timeout=30.0, pool_timeout=10.0, media_write_timeout=60.0)
    poll_request = HTTPXRequest(connection_pool_size=2, connect_timeout=10.0, read_timeout=70.0)
    return Bot(cfg.token, request=request, get_updates_request=poll_request, **kwargs)


class TelegramSender:
    """One Bot per event loop, calls with retries, and delivery of the assistant's messages."""

    def __init__(self, cfg: TelegramConfig, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.cfg = cfg
        self._bot = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._init_lock: Optional[asyncio.Lock] = None
        self._sleep = sleep

    async def bot(self):
        loop = asyncio.get_running_loop()
        if self._bot is not None and self._loop is loop:
            return self._bot
        if self._init_lock is None or self._loop is not loop:
            self._init_lock = asyncio.Lock()
            self._loop = loop
            self._bot = None
        async with self._init_lock:
            if self._bot is None:
                bot = make_bot(self.cfg)

                async def initialize() -> None:
                    try:
                        await bot.initialize()   # getMe: checks the token
                    except Exception:
                        # PTB marks the bot initialised before getMe; undo it so that a
                        # retry calls getMe again.
                        with contextlib.suppress(Exception):
                            await bot.shutdown()
                        raise

                await self.call("getMe", initialize)
                self._bot = bot
        return self._bot

    async def close(self) -> None:
        if self._bot is not None:
            with contextlib.suppress(Exception):
                await self._bot.shutdown()
            self._bot = None

    async def call(self, method: str, fn: Callable[[], Awaitable[Any]], budget: Optional[float] = None) -> Any:
        """Runs one Bot API call, retrying flood control and network errors with backoff."""
        from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

        deadline = time.monotonic() + (self.cfg.retry_budget if budget is None else budget)
        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            try:
                return await fn()
            except RetryAfter as exc:
                wait = _retry_after_seconds(exc) + 0.05
                reason, transient = "RetryAfter", True
            except BadRequest as exc:  # a NetworkError subclass, but retrying cannot help
                raise SendFailed(method, type(exc).__name__, False, attempt) from None
            except (TimedOut, NetworkError) as exc:
                wait = delay
                delay = min(delay * 2, 8.0)
                reason, transient = type(exc).__name__, True
            except Forbidden as exc:
                raise SendFailed(method, type(exc).__name__, False, attempt) from None
            except TelegramError as exc:
                raise SendFailed(method, type(exc).__name__, False, attempt) from None
            if attempt >= self.cfg.send_attempts or time.monotonic() + wait > deadline:
                raise SendFailed(method, reason, transient, attempt)
            logger.info("Telegram %s: %s, retrying in %.1fs (attempt %d)", method, reason, wait, attempt)
            await self._sleep(wait)

    # -- the assistant's messages ------------------------------------------------------------

    def render(self, message: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Turns one Rasa bot message into Bot API operations (JSON-serialisable, for the
        outbox). Button payloads are resolved to keys later, in :meth:`run_op`."""
        ops: List[Dict[str, Any]] = []
        text = str(message.get("text") or "").strip()
        counselor = message.get("counselor")
        if counselor and text:
            text = TEXT_COUNSELOR.format(name=str(counselor)[:32]) + "\n" + text
        buttons = [b for b in (message.get("buttons") or message.get("quick_replies") or [])
                   if isinstance(b, dict) and b.get("title") and b.get("payload") is not None]
        if buttons and not text:
            text = TEXT_CHOOSE
        if text:
            parts = split_text(text, TELEGRAM_LIMIT)
            table = message.get("format") == "table"
            for i, part in enumerate(parts):
                op: Dict[str, Any] = {"op": "text", "text": part.text}
                if table:
                    # A table lines up only in a fixed-width font: one `pre` entity over the part.
                    op["entities"] = [{"type": "pre", "offset": 0, "length": utf16_len(part.text)}]
                elif part.entities:
                    op["entities"] = part.entities
                if buttons and i == len(parts) - 1:
                    op["buttons"] = [{"title": str(b["title"])[:64], "payload": str(b["payload"])}
                                     for b in buttons]
                ops.append(op)
        image = message.get("image")
        if image:
            ops.append({"op": "photo", "url": str(image)})
        attachment = message.get("attachment")
        if isinstance(attachment, dict) and attachment.get("url"):
            if attachment.get("type") == "image":
                ops.append({"op": "photo", "url": str(attachment["url"])})
            else:
                ops.append({"op": "document", "url": str(attachment["url"]),
                            "name": str(attachment.get("name") or "file")[:128],
                            "mime": str(attachment.get("mime") or "")})
        elif isinstance(attachment, str) and attachment:
            ops.append({"op": "document", "url": attachment, "name": "file", "mime": ""})
        return ops

    async def _keyboard(self, buttons: Sequence[Dict[str, str]]):
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        loop = asyncio.get_running_loop()
        keys = []
        for b in buttons:
            keys.append(await loop.run_in_executor(None, store.callback_key, b["payload"]))
        short = all(len(b["title"]) <= 6 for b in buttons)
        per_row = 2 if short and len(buttons) > 1 else 1
        if short and len(buttons) % 3 == 0 and len(buttons) >= 3 and all(len(b["title"]) <= 4 for b in buttons):
            per_row = 3
        rows, row = [], []
        for b, key in zip(buttons, keys):
            row.append(InlineKeyboardButton(b["title"], callback_data=f"b:{key}"))
            if len(row) == per_row:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        return InlineKeyboardMarkup(rows)

    async def _media(self, url: str):
        """(bytes, filename, content type) of one of our media URLs, or None."""
        from bot import media

        match = _MEDIA_URL.search(url)
        if not match:
            return None
        found = await asyncio.get_running_loop().run_in_executor(None, media.fetch, match.group(1))
        if found is None:
            return None
        content_type, filename, data = found
        return data, filename, content_type

    async def run_op(self, chat_id: int, op: Dict[str, Any]) -> None:
        from telegram import MessageEntity

        bot = await self.bot()
        kind = op.get("op")
        if kind == "text":
            markup = await self._keyboard(op["buttons"]) if op.get("buttons") else None
            entities = [MessageEntity(**e) for e in op.get("entities") or []] or None
            await self.call("sendMessage", lambda: bot.send_message(
                chat_id, op["text"], reply_markup=markup, entities=entities))
        elif kind == "photo":
            found = await self._media(op["url"])
            if found is not None:
                data, filename, _ = found
                await self.call("sendPhoto", lambda: bot.send_photo(
                    chat_id, photo=data, filename=filename or "chart.png"))
            elif op["url"].startswith("https://"):
                await self.call("sendPhoto", lambda: bot.send_photo(chat_id, photo=op["url"]))
            else:
                await self.call("sendMessage", lambda: bot.send_message(chat_id, TEXT_FILE_GONE))
        elif kind == "document":
            found = await self._media(op["url"])
            if found is not None:
                data, filename, _ = found
                name = op.get("name") or filename or "file"
                await self.call("sendDocument", lambda: bot.send_document(
                    chat_id, document=data, filename=name))
            elif op["url"].startswith("https://"):
                await self.call("sendDocument", lambda: bot.send_document(chat_id, document=op["url"]))
            else:
                await self.call("sendMessage", lambda: bot.send_message(chat_id, TEXT_FILE_GONE))
        else:  # pragma: no cover - only what render() produces is stored
            logger.warning("Unknown outbox operation skipped.")

    async def deliver(self, chat_id: int, sender_id: str, ops: List[Dict[str, Any]],
                      queue_only: bool = False) -> bool:
        """Sends ``ops`` in order. What cannot be sent now goes to the outbox (in order).
        Returns False when something was queued or dropped."""
        for index, op in enumerate(ops):
            if not queue_only:
                try:
                    await self.run_op(chat_id, op)
                    continue
                except SendFailed as exc:
                    if not exc.transient:
                        logger.warning("Telegram %s failed (%s); message dropped.", exc.method, exc.reason)
                        continue
                    logger.warning("Telegram %s failed after %d attempt(s) (%s); queued for redelivery.",
                                   exc.method, exc.attempts, exc.reason)
                except Exception as exc:  # never lose the turn over a sending bug
                    logger.error("Telegram send failed unexpectedly (%s); queued for redelivery.",
                                 type(exc).__name__)
            await self._queue(chat_id, sender_id, ops[index:])
            return False
        return True

    async def _queue(self, chat_id: int, sender_id: str, ops: List[Dict[str, Any]]) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: store.outbox_add("telegram", sender_id, str(chat_id), {"ops": ops},
                                               delay=self.cfg.outbox_interval))
        except Exception as exc:
            logger.error("Could not queue an undelivered Telegram reply (%s).", type(exc).__name__)

    async def redeliver(self, sender_id: Optional[str] = None) -> int:
        """One round of the outbox (all due rows, or one conversation's rows); returns how
        many rows were delivered."""
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(
            None, lambda: store.outbox_due("telegram", sender_id=sender_id))
        delivered = 0
        blocked = set()  # conversations whose older reply failed: keep their order
        for row in rows:
            if row["sender_id"] in blocked:
                await loop.run_in_executor(None, store.outbox_reschedule, row["id"], self.cfg.outbox_interval)
                continue
            ops = list((row["message"] or {}).get("ops") or [])
            chat_id = int(row["address"])
            remaining = ops
            failure: Optional[SendFailed] = None
            for index, op in enumerate(ops):
                try:
                    await self.run_op(chat_id, op)
                    remaining = ops[index + 1:]
                except SendFailed as exc:
                    if not exc.transient:
                        remaining = ops[index + 1:]
                        logger.warning("Telegram %s redelivery failed (%s); message dropped.",
                                       exc.method, exc.reason)
                        continue
                    failure = exc
                    break
                except Exception as exc:
                    failure = SendFailed("send", type(exc).__name__, True, 1)
                    break
            if failure is None or not remaining:
                await loop.run_in_executor(None, store.outbox_remove, row["id"])
                delivered += 1
                continue
            if time.time() - float(row["created_at"]) > OUTBOX_GIVE_UP_SECONDS:
                logger.error("Gave up delivering a Telegram reply after %d rounds (%s).",
                             row["attempts"], failure.reason)
                await loop.run_in_executor(None, store.outbox_remove, row["id"])
                continue
            blocked.add(row["sender_id"])
            await loop.run_in_executor(None, self._keep_remaining, row["id"], row, remaining)
        return delivered

    def _keep_remaining(self, row_id: int, row: Dict[str, Any], remaining: List[Dict[str, Any]]) -> None:
        from bot.channels.models import ChannelOutbox
        from bot.db import session_scope

        delay = min(self.cfg.outbox_interval * (2 ** min(int(row["attempts"]), 6)), 3600.0)
        with session_scope() as session:
            obj = session.get(ChannelOutbox, row_id)
            if obj is not None:
                obj.message = {"ops": remaining}
                obj.next_attempt_at = time.time() + delay


async def _address_of(sender_id: str) -> Optional[int]:
    """Chat id of a conversation whose case recorded it (after consent)."""
    from sqlalchemy import select

    from bot.db import session_scope
    from bot.db.models import Student

    def lookup() -> Optional[str]:
        with session_scope() as session:
            return session.execute(select(Student.channel_address)
                                   .where(Student.sender_id == sender_id)).scalar_one_or_none()

    try:
        value = await asyncio.get_running_loop().run_in_executor(None, lookup)
        return int(value) if value else None
    except Exception:
        return None


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages of one turn (or of a counselor) to a chat."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, sender: TelegramSender, chat_id: Optional[int] = None) -> None:
        self.sender = sender
        self.chat_id = chat_id
        self.queued = False  # once something is queued, the rest of the turn queues behind it

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        chat_id = self.chat_id if self.chat_id is not None else await _address_of(recipient_id)
        if chat_id is None:
            logger.warning("No Telegram chat known for a conversation; message not sent.")
            return
        try:
            ops = self.sender.render(dict(message))
        except Exception as exc:
            logger.error("Could not render a message for Telegram (%s).", type(exc).__name__)
            return
        if ops:
            ok = await self.sender.deliver(chat_id, recipient_id, ops, queue_only=self.queued)
            self.queued = self.queued or not ok

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:  # type: ignore[override]
        await self.send_response(recipient_id, {"attachment": attachment})


# -- the input channel ---------------------------------------------------------------------------

class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(resolve_config(credentials))

    def __init__(self, cfg: Optional[TelegramConfig] = None) -> None:
        self.cfg = cfg or resolve_config()
        self.sender = TelegramSender(self.cfg)
        self._tasks: List[asyncio.Task] = []

    def get_output_channel(self) -> Optional[OutputChannel]:
        if not self.cfg.enabled:
            return None
        return TelegramOutput(self.sender)

    # -- start-up and background work --------------------------------------------------------

    async def _setup(self) -> None:
        """Command menu and webhook, retried until Telegram accepts them."""
        from telegram import BotCommand

        delay = 2.0
        while True:
            try:
                bot = await self.sender.bot()
                if self.cfg.set_commands:
                    await self.sender.call("setMyCommands", lambda: bot.set_my_commands(
                        [BotCommand(c, d) for c, d in COMMANDS]))
                if self.cfg.webhook_url:
                    await self.sender.call("setWebhook", lambda: bot.set_webhook(
                        self.cfg.webhook_url, secret_token=self.cfg.secret,
                        allowed_updates=ALLOWED_UPDATES, max_connections=40))
                logger.info("Telegram channel ready (%s mode).",
                            "webhook" if self.cfg.webhook_url else "polling")
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{exc.method}: {exc.reason}" if isinstance(exc, SendFailed) else type(exc).__name__
                logger.warning("Telegram set-up failed (%s); retrying in %.0fs.", reason, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300.0)

    async def _outbox_loop(self) -> None:
        last_purge = 0.0
        while True:
            await asyncio.sleep(self.cfg.outbox_interval)
            try:
                await self.sender.redeliver()
                if time.time() - last_purge > 3600:
                    await asyncio.get_running_loop().run_in_executor(None, store.purge_updates)
                    last_purge = time.time()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("Telegram outbox round failed (%s).", type(exc).__name__)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_telegram", __name__)

        @bp.listener("after_server_start")
        async def start(app, loop) -> None:
            if not self.cfg.enabled:
                logger.info("Telegram channel off: no token configured (telegram.token).")
                return
            if not self.cfg.sender_key:
                logger.info("telegram.sender_key not set: sender ids derive from the token and "
                            "change if the token is revoked.")
            self._tasks = [loop.create_task(self._setup()), loop.create_task(self._outbox_loop())]

        @bp.listener("before_server_stop")
        async def stop(app, loop) -> None:
            for task in self._tasks:
                task.cancel()
            await self.sender.close()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> response.HTTPResponse:
            return response.json({"status": "ok" if self.cfg.enabled else "not configured"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> response.HTTPResponse:
            if not self.cfg.enabled:
                return response.json({"ok": False, "error": "telegram channel not configured"}, status=503)
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode("utf-8"), self.cfg.secret.encode("utf-8")):
                return response.json({"ok": False, "error": "forbidden"}, status=403)
            try:
                data = json.loads(request.body or b"")
                update_id = int(data["update_id"])
            except (ValueError, TypeError, KeyError):
                return response.json({"ok": False, "error": "not a Telegram update"}, status=400)
            status, body = await self.process(data, update_id, on_new_message)
            return response.json(body, status=status)

        return bp

    # -- one update -------------------------------------------------------------------------------

    async def process(self, data: Dict[str, Any], update_id: int,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple:
        loop = asyncio.get_running_loop()
        key = f"tg:{self.cfg.bot_id}:{update_id}"
        try:
            claim = await loop.run_in_executor(None, store.claim, key)
        except Exception as exc:
            logger.error("Could not record a Telegram update (%s); asking Telegram to retry.",
                         type(exc).__name__)
            return 503, {"ok": False, "error": "database unavailable"}
        if claim == store.DONE:
            return 200, {"ok": True, "duplicate": True}
        if claim == store.BUSY:
            return 503, {"ok": False, "error": "being processed"}
        try:
            from telegram import Update

            bot = await self.sender.bot()
            update = Update.de_json(data, bot)
            await self.handle(update, on_new_message)
        except Exception as exc:
            tries = await loop.run_in_executor(None, store.attempts, key)
            logger.error("Telegram update failed (%s, attempt %d).", type(exc).__name__, tries)
            logger.debug("Telegram update failure", exc_info=True)
            if tries < 3:
                await loop.run_in_executor(None, store.release, key)
                return 500, {"ok": False, "error": "failed, please retry"}
            await self._apologise(data)
        await loop.run_in_executor(None, store.finish, key)
        return 200, {"ok": True}

    async def _apologise(self, data: Dict[str, Any]) -> None:
        try:
            chat = ((data.get("message") or {}).get("chat")
                    or ((data.get("callback_query") or {}).get("message") or {}).get("chat") or {})
            if chat.get("id") is not None:
                bot = await self.sender.bot()
                await self.sender.call("sendMessage", lambda: bot.send_message(int(chat["id"]), TEXT_TRY_AGAIN),
                                       budget=10)
        except Exception:
            pass

    def _allowed(self, chat) -> bool:
        return chat.type == "private" or chat.id in self.cfg.allowed_chats

    async def _refuse_group(self, chat) -> None:
        day = dt.date.today().isoformat()
        key = f"tg-group:{store.hashed(self.cfg.bot_id, chat.id)}:{day}"
        first = await asyncio.get_running_loop().run_in_executor(None, store.mark_once, key)
        if first and chat.type != "channel":
            await self._say(chat.id, TEXT_GROUP_REFUSED)

    async def _say(self, chat_id: int, text: str) -> None:
        """A message of the channel itself (not part of a Rasa turn)."""
        await self.sender.deliver(chat_id, self.cfg.sender_id(chat_id), [{"op": "text", "text": text}])

    async def _typing(self, chat_id: int) -> None:
        with contextlib.suppress(Exception):
            bot = await self.sender.bot()
            await self.sender.call("sendChatAction", lambda: bot.send_chat_action(chat_id, "typing"), budget=5)

    async def handle(self, update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if update.callback_query is not None:
            await self._on_callback(update, on_new_message)
            return
        if update.my_chat_member is not None:
            chat = update.my_chat_member.chat
            status = update.my_chat_member.new_chat_member.status
            if not self._allowed(chat) and status in ("member", "administrator"):
                await self._refuse_group(chat)
            return
        message = update.message
        if message is None:  # edited messages, channel posts: nothing to answer
            return
        chat = message.chat
        if not self._allowed(chat):
            await self._refuse_group(chat)
            return
        text = message.text
        if text is None:
            if any(getattr(message, kind, None) for kind in _NON_TEXT_KINDS):
                await self._say(chat.id, TEXT_NOT_TEXT)
            return  # service messages (pins, members joining) need no answer
        text = text.strip()
        if not text:
            return
        follow_up = None
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
            if command not in COMMAND_MESSAGES:
                await self._say(chat.id, TEXT_UNKNOWN_COMMAND)
                return
            text = COMMAND_MESSAGES[command]
            if command == "help":
                follow_up = TEXT_COMMANDS_HINT
        await self._to_rasa(update, chat, text, on_new_message)
        if follow_up:
            await self._say(chat.id, follow_up)

    async def _to_rasa(self, update, chat, text: str,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender_id = self.cfg.sender_id(chat.id)
        decision = await limiter().check(sender_id)
        if not decision.allowed:
            if decision.first:  # once, not once per extra message (Telegram limits sends too)
                await self._say(chat.id, decision.text)
            return
        user = update.effective_user
        metadata: Dict[str, Any] = {"channel_address": str(chat.id)}
        if user is not None and user.first_name:
            metadata["display_name"] = user.first_name
        typing = asyncio.get_running_loop().create_task(self._typing(chat.id))
        output = TelegramOutput(self.sender, chat.id)
        # Replies still waiting in the outbox go first, so the conversation stays in order.
        pending = await asyncio.get_running_loop().run_in_executor(
            None, store.outbox_pending, "telegram", sender_id)
        if pending:
            await self.sender.redeliver(sender_id)
            still = await asyncio.get_running_loop().run_in_executor(
                None, store.outbox_pending, "telegram", sender_id)
            output.queued = still > 0
        try:
            await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(),
                                             message_id=str(update.update_id), metadata=metadata))
        finally:
            if not typing.done():
                typing.cancel()

    async def _on_callback(self, update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        query = update.callback_query
        bot = await self.sender.bot()
        message = query.message
        chat = message.chat if message is not None else None

        async def answer(text: Optional[str] = None) -> None:
            with contextlib.suppress(SendFailed):
                await self.sender.call("answerCallbackQuery",
                                       lambda: bot.answer_callback_query(query.id, text=text), budget=10)

        if chat is None or not self._allowed(chat):
            await answer()
            if chat is not None:
                await self._refuse_group(chat)
            return
        data = query.data or ""
        if not data.startswith("b:"):
            await answer(TEXT_ALREADY_CHOSEN if data == CHOSEN_DATA else TEXT_BUTTON_EXPIRED)
            return
        loop = asyncio.get_running_loop()
        payload = await loop.run_in_executor(None, store.callback_payload, data[2:])
        if payload is None:
            await answer(TEXT_BUTTON_EXPIRED)
            return
        pressed_key = f"tg-pressed:{store.hashed(self.cfg.bot_id, chat.id, message.message_id)}"
        first = await loop.run_in_executor(None, store.mark_once, pressed_key)
        if not first:
            await answer(TEXT_ALREADY_CHOSEN)
            return
        await answer()
        title = None
        markup = getattr(message, "reply_markup", None)
        for row in (markup.inline_keyboard if markup is not None else ()):
            for button in row:
                if button.callback_data == data:
                    title = button.text
        await self._mark_chosen(bot, chat.id, message.message_id, title or payload)
        await self._to_rasa(update, chat, payload, on_new_message)

    async def _mark_chosen(self, bot, chat_id: int, message_id: int, title: str) -> None:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        mark = InlineKeyboardMarkup([[InlineKeyboardButton(TEXT_CHOSEN_MARK.format(title=title[:40]),
                                                           callback_data=CHOSEN_DATA)]])
        try:
            await self.sender.call("editMessageReplyMarkup", lambda: bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=mark), budget=15)
        except SendFailed as exc:
            logger.info("Telegram could not mark a pressed keyboard (%s).", exc.reason)
