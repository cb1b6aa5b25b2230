"""The production stack shared by the modules of tests/production (started once per session:
it takes a few minutes on this machine). bench/load_bench.py's ProductionStack: PostgreSQL,
Redis and RabbitMQ of this machine, two Rasa replicas and two action servers behind HAProxy,
the console under gunicorn; Telegram talks to a fake Bot API."""

from __future__ import annotations

import os

import pytest

from bench.load_bench import ProductionStack
from tests.channels.fake_telegram import FakeBotAPI

TOKEN = "7000000002:AAH-fake-token-for-production_0123456789"
SECRET = "production-webhook-secret_0123"
LIMIT = 12                      # messages per sender per minute on this stack
PER_ADDRESS = 150               # requests per 10 s from one client address (HAProxy)


@pytest.fixture(scope="session")
def fake_tg():
    api = FakeBotAPI(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def prod(model, fake_tg, tmp_path_factory):
    if not os.path.exists(model):
        pytest.skip(f"no trained model at {model}")
    stack = ProductionStack(model, tmp_path_factory.mktemp("production"), max_requests_per_10s=PER_ADDRESS, env={
        "COACH_AGENCY_RATE_LIMIT_MESSAGES": str(LIMIT),
        "COACH_AGENCY_RATE_LIMIT_WINDOW_SECONDS": "60",
        "COACH_TELEGRAM_TOKEN": TOKEN,
        "COACH_TELEGRAM_BASE_URL": fake_tg.base_url,
        "COACH_TELEGRAM_SECRET_TOKEN": SECRET,
        "COACH_TELEGRAM_SENDER_KEY": "production-tests-sender-key",
        "COACH_TELEGRAM_WEBHOOK_URL": "https://coach.example.org/webhooks/telegram/webhook",
    })
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
