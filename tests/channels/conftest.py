"""Fixtures of the channel tests: a fake Bot API, and Rasa + actions started with the
project's credentials.yml (Telegram pointed at the fake through COACH_TELEGRAM_*)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from tests.channels.fake_telegram import FakeBotAPI, callback_update, text_update
from tests.conftest import ROOT, Stack

# A made-up token of the right shape; the fake Bot API accepts only this one.
TOKEN = "7000000001:AAH-fake-token-for-tests_0123456789ab"
SECRET = "test-webhook-secret_0123"
SENDER_KEY = "channel-tests-sender-key"
WEBHOOK_URL = "https://coach.example.org/webhooks/telegram/webhook"


def ensure_chromium() -> str:
    """Chromium from Debian, installed through the Makefile's system-deps target if missing."""
    path = shutil.which("chromium")
    if path is None:
        subprocess.run(["make", "-s", "system-deps"], cwd=ROOT, check=True)
        path = shutil.which("chromium")
    if path is None:  # pragma: no cover - depends on the machine
        pytest.fail("Chromium could not be installed (make system-deps)")
    return path


@pytest.fixture(scope="session")
def fake_tg() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(TOKEN).start()
    try:
        yield api
    finally:
        api.stop()


class ChannelStack(Stack):
    """The shared Stack handle plus the channels' entry points."""

    @property
    def webhook(self) -> str:
        return f"{self.rasa}/webhooks/telegram/webhook"

    @property
    def webchat(self) -> str:
        return f"{self.rasa}/webhooks/webchat/"

    def log(self, name: str = "rasa") -> str:
        return (self._run_dir / f"{name}.log").read_text(errors="replace")

    def restart_rasa_only(self) -> None:
        """Starts the servers again after ``self._stack.stop()`` (same ports, database, env)."""
        from bot.runner import start_stack

        self._stack = start_stack(self._stack_model, rasa_port=self._rasa_port, action_port=self._action_port,
                                  env=self.env, run_dir=self._run_dir, extra=False)


@pytest.fixture(scope="session")
def channel_stack(model: Path, fake_tg: FakeBotAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelStack]:
    from bot.cli import prepare_database_at
    from bot.runner import free_port, start_stack

    base = tmp_path_factory.mktemp("channels")
    db_url = f"sqlite:///{base / 'coach.db'}"
    rasa_port, action_port = free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "COACH_DATABASE_URL": db_url,
        "COACH_LOG_LEVEL": "INFO",
        # Not this server: the page must load media from its own origin, and Telegram
        # must get the bytes from the database (Telegram cannot reach such URLs anyway).
        "COACH_PUBLIC_URL": "https://coach.example.org",
        "COACH_TELEGRAM_TOKEN": TOKEN,
        "COACH_TELEGRAM_BASE_URL": fake_tg.base_url,
        "COACH_TELEGRAM_SECRET_TOKEN": SECRET,
        "COACH_TELEGRAM_SENDER_KEY": SENDER_KEY,
        "COACH_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "COACH_TELEGRAM_ALLOWED_CHATS": "-100777",
        "COACH_TELEGRAM_SEND_ATTEMPTS": "3",
        "COACH_TELEGRAM_RETRY_BUDGET": "20",
        "COACH_TELEGRAM_OUTBOX_INTERVAL": "1",
    })
    prepare_database_at(db_url)
    running = start_stack(model, rasa_port=rasa_port, action_port=action_port, env=env,
                          run_dir=base / "run", extra=False)
    handle = ChannelStack(running, env, db_url)
    handle._stack_model, handle._rasa_port, handle._action_port, handle._run_dir = (
        model, rasa_port, action_port, base / "run")
    try:
        yield handle
    finally:
        handle._stack.stop()


class Telegram:
    """A student on Telegram: posts real update JSON to the webhook and reads what the
    fake Bot API received."""

    def __init__(self, stack: ChannelStack, api: FakeBotAPI, chat_id: int, first_name: str = "小明") -> None:
        self.stack, self.api, self.chat_id, self.first_name = stack, api, chat_id, first_name

    @property
    def sender_id(self) -> str:
        from bot.channels.telegram import TelegramConfig

        return TelegramConfig(token=TOKEN, sender_key=SENDER_KEY).sender_id(self.chat_id)

    def post(self, update: Dict[str, Any], secret: Optional[str] = SECRET, timeout: float = 90) -> requests.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return requests.post(self.stack.webhook, json=update, headers=headers, timeout=timeout)

    def deliver(self, update: Dict[str, Any]) -> List[Any]:
        """Posts an update; returns the successful Bot API calls it caused for this chat."""
        mark = self.api.snapshot()
        r = self.post(update)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return [c for c in self.api.since(mark) if c.params.get("chat_id") == self.chat_id
                or c.method == "answerCallbackQuery"]

    def say(self, text: str) -> List[Any]:
        return self.deliver(text_update(self.chat_id, text, first_name=self.first_name))

    @staticmethod
    def texts(calls: List[Any]) -> str:
        return "\n".join(c.params.get("text", "") for c in calls if c.method == "sendMessage")

    @staticmethod
    def last_keyboard(calls: List[Any]):
        for c in reversed(calls):
            if c.method == "sendMessage" and c.params.get("reply_markup"):
                return c
        return None

    def press(self, bot_call: Any, title: str) -> List[Any]:
        keyboard = bot_call.params["reply_markup"]["inline_keyboard"]
        data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == title)
        return self.deliver(callback_update(self.chat_id, bot_call.result, data, first_name=self.first_name))


@pytest.fixture
def telegram(channel_stack: ChannelStack, fake_tg: FakeBotAPI):
    """A factory of Telegram students with fresh chat ids."""
    import random

    def make(first_name: str = "小明") -> Telegram:
        return Telegram(channel_stack, fake_tg, random.randint(10**8, 10**10), first_name)

    return make
