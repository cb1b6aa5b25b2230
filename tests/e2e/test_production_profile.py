"""The production profile: PostgreSQL, a Redis lock store, a RabbitMQ event broker and two
Rasa replicas serving the same students (endpoints.production.yml)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, new_sender

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _reachable(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def production(model, postgres_url, tmp_path):
    for port, name in ((6379, "Redis"), (5672, "RabbitMQ")):
        if not _reachable(port):
            pytest.skip(f"{name} not reachable on 127.0.0.1:{port}")
    from bot.cli import prepare_database_at
    from bot.runner import _spawn, free_port, start_stack, write_endpoints
    from bot.training import rasa_bin, rasa_env

    prepare_database_at(postgres_url)
    queue = f"coach_test_{uuid.uuid4().hex[:8]}"
    endpoints = tmp_path / "endpoints.production.yml"
    endpoints.write_text((ROOT / "endpoints.production.yml").read_text().replace("coach_events", queue))
    env = dict(os.environ, COACH_DATABASE_URL=postgres_url, COACH_ENDPOINTS=str(endpoints),
               COACH_REDIS_HOST="127.0.0.1", COACH_RABBITMQ_HOST="127.0.0.1", COACH_RABBITMQ_USER="guest",
               COACH_RABBITMQ_PASSWORD="guest", COACH_RASA_TOKEN="test-token-" + uuid.uuid4().hex,
               COACH_ACTIONS_URL="http://127.0.0.1:1/unused")
    stack = start_stack(model, rasa_port=free_port(), action_port=free_port(), env=env,
                        run_dir=tmp_path / "run", extra=False)
    # A second replica on the same database, lock store and broker.
    port2 = free_port()
    action_url = stack.urls["actions"] + "/webhook"
    ep2 = write_endpoints(action_url, tmp_path / "run2" / "endpoints.yml", endpoints)
    replica = _spawn("rasa2", [rasa_bin(), "run", "--enable-api", "--model", str(model), "--port", str(port2),
                               "--endpoints", str(ep2), "--credentials", str(ROOT / "credentials.yml"),
                               "--interface", "127.0.0.1", "--auth-token", env["COACH_RASA_TOKEN"]],
                     {**rasa_env(), **env}, tmp_path / "run2", f"http://127.0.0.1:{port2}/", 300)
    try:
        yield {"replicas": [stack.urls["rasa"], f"http://127.0.0.1:{port2}"], "env": env, "queue": queue,
               "url": postgres_url}
    finally:
        try:
            os.killpg(replica.popen.pid, signal.SIGTERM)
            replica.popen.wait(20)
        except Exception:
            pass
        stack.stop()


def _queued_events(queue: str) -> list:
    import aio_pika

    async def drain():
        connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1/")
        async with connection:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True)
            events = []
            while True:
                message = await q.get(no_ack=True, fail=False)
                if message is None:
                    break
                events.append(json.loads(message.body))
            await channel.queue_delete(queue)
            return events

    return asyncio.run(drain())


def test_two_replicas_share_the_conversation(production):
    a, b = production["replicas"]
    sender = new_sender("prod")

    def say(base, text):
        r = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
        assert r.status_code == 200, r.text[:300]
        return "\n".join(m.get("text", "") for m in r.json())

    assert "同意" in say(a, "你好")
    say(b, "/affirm")                       # the other replica continues the same conversation
    reply = say(a, "本科，法学")
    assert "哪一年毕业" in reply
    reply = say(b, "2024")
    assert "应届" in reply

    env = production["env"]
    import subprocess
    import sys

    shown = subprocess.run([str(Path(sys.executable).with_name("coach")), "cases", "show", sender, "--json"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    case = json.loads(shown.stdout)
    assert case["consent"]["given"] is True
    assert case["profile"]["education"] == "本科" and case["profile"]["grad_year"] == 2024
    assert [m["text"] for m in case["transcript"] if m["role"] == "user"][1:] == ["/affirm", "本科，法学", "2024"]

    # The HTTP API is token-protected in production.
    assert requests.post(f"{a}/model/parse", json={"text": "你好"}, timeout=30).status_code == 401
    ok = requests.post(f"{a}/model/parse?token={env['COACH_RASA_TOKEN']}", json={"text": "你好"}, timeout=30)
    assert ok.status_code == 200

    # Every event went to the broker for the agency's analytics.
    events = [e for e in _queued_events(production["queue"]) if e.get("sender_id") == sender]
    user_texts = [e.get("text") for e in events if e.get("event") == "user"]
    assert "本科，法学" in user_texts
    # ... except what was said before consent, which is redacted there too.
    from bot.privacy import REDACTED

    assert user_texts[0] == REDACTED and "你好" not in user_texts
