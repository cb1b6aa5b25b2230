"""The production profile on this machine (bench/load_bench.py's ProductionStack): PostgreSQL,
Redis, RabbitMQ, two Rasa replicas and two action servers behind HAProxy (round-robin, no
sticky sessions), the console under gunicorn.

This is the short guard of ``make test``: correctness only, never timing (the figures come
from ``make bench``). It checks that

* concurrent conversations are recorded exactly once and in order, in the tracker and in the
  case transcript, and cases hold what the conversations gave, while the Redis lock store is
  stopped and started again; no 5xx, no silence, a polite request to send again meanwhile;
* the per-sender rate limit answers politely on REST, web chat and Telegram, counted across
  both replicas (Redis);
* a burst of malformed bodies, huge texts and unknown senders gets 4xx answers (never 5xx or a
  stack trace) while real students go on;
* the loaded case database round-trips through ``coach backup`` / ``coach restore``.

The stack is tests/production/conftest.py's (shared with test_faults.py: PostgreSQL restarted,
action servers killed, RabbitMQ stopped).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from bench.load_bench import (
    fault,
    run_load,
    verify,
    what_students_saw_is_acceptable,
)
from tests.channels.fake_telegram import text_update
from tests.conftest import ROOT
from tests.production.conftest import LIMIT, SECRET, TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

def test_everything_runs_behind_the_balancer(prod):
    states = prod.server_states()
    assert [k for k in states if k.startswith("rasa/")] == ["rasa/rasa1", "rasa/rasa2"]
    assert [k for k in states if k.startswith("actions/")] == ["actions/actions1", "actions/actions2"]
    assert set(states.values()) == {"UP"}
    # The console, under gunicorn (not Werkzeug), through the balancer.
    r = requests.get(prod.console_url + "/healthz", timeout=10)
    assert r.status_code == 200 and "werkzeug" not in r.headers.get("Server", "").lower()
    assert "gunicorn" in prod.console.log.read_text(errors="replace").lower()
    # The HTTP API stays token-protected behind the balancer.
    assert requests.post(prod.url + "/model/parse", json={"text": "你好"}, timeout=30).status_code == 401


def test_concurrent_conversations_survive_a_lock_store_outage(prod):
    """Redis (the lock store) stops for 5 s in the middle of the conversations and is started
    again the way this machine starts it. Students get the polite request to send again,
    resend, and nothing is lost or recorded twice. (Every other fault: ``make bench``.)"""
    outage = fault(prod, "redis", hold=5, at=0.35)
    result = run_load(prod, 10, 8, seed=11, fault=outage, label="guard")
    stats = result.stats()
    print(json.dumps(stats, ensure_ascii=False))
    assert stats["protocol_failure_count"] == 0, stats["protocol_failures"]
    assert verify(prod, result) == []
    assert what_students_saw_is_acceptable(result) == []
    assert not [s for s in stats["attempts_by_status"] if s.startswith("5")], stats["attempts_by_status"]
    seen = stats["fault"]["what_students_saw"]
    assert seen.get("apology", 0) > 0, seen            # the outage was felt, and answered politely
    assert "再发一次" in stats["fault"]["samples"]["apology"]
    assert stats["fault"]["recovery_first_success_s"] is not None
    from bench.load_bench import service_ready

    assert service_ready("redis")


def _fresh_window(needed: float = 30.0, window: float = 60.0) -> None:
    """The limiter's count is a sliding-window estimate over fixed minutes (the previous
    minute weighted by its overlap): a burst that straddles a minute boundary is counted a
    little short, by design. These tests count exactly, so each burst starts where at least
    ``needed`` seconds of the current minute are left."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 0.2)


def _rest(prod, sender, text):
    r = requests.post(prod.url + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
    return r.status_code, "\n".join(m.get("text", "") for m in r.json())


def test_rest_rate_limit_is_per_sender_and_shared_by_the_replicas(prod):
    sender, other = f"rl-{uuid.uuid4().hex[:10]}", f"rl-{uuid.uuid4().hex[:10]}"
    _fresh_window()
    answers = [_rest(prod, sender, "/greet") for _ in range(LIMIT + 2)]
    assert all(status == 200 for status, _ in answers)
    # Round robin sends every other message to the other replica: one count for both.
    assert all("发得有点快" not in text and text for _, text in answers[:LIMIT])
    assert all("发得有点快" in text and "再发一次" in text for _, text in answers[LIMIT:]), answers[LIMIT - 1:]
    status, text = _rest(prod, other, "/greet")
    assert status == 200 and "发得有点快" not in text
    # The refused messages were not processed: the tracker holds the accepted ones only.
    assert len(prod.tracker_user_texts(sender)) == LIMIT


def test_web_chat_rate_limit_answers_once(prod):
    from bench.channels_bench import MiniSocketIO

    async def scenario():
        sio = MiniSocketIO()
        bot_texts = []
        confirmed = asyncio.Event()
        session = {}

        @sio.on("session_confirm")
        async def confirm(session_id):
            session["id"] = session_id
            confirmed.set()

        @sio.on("bot_uttered")
        async def bot(message):
            bot_texts.append(message.get("text") or "")

        _fresh_window(needed=35.0)
        await sio.connect(prod.url, socketio_path="/webhooks/webchat/socket.io")
        try:
            await sio.emit("session_request", {})
            await asyncio.wait_for(confirmed.wait(), 30)
            acks = [await sio.call("user_uttered", {"message": "/greet"}, timeout=120) for _ in range(LIMIT + 2)]
            await asyncio.sleep(1)
            return acks, bot_texts
        finally:
            await sio.disconnect()

    acks, texts = asyncio.run(scenario())
    assert [a["ok"] for a in acks] == [True] * LIMIT + [False, False]
    assert acks[LIMIT]["error"] == "rate_limited" and acks[LIMIT]["retry_after"] >= 1
    assert sum("发得有点快" in t for t in texts) == 1          # said once, not per message


def test_telegram_rate_limit_answers_once(prod, fake_tg):
    chat_id = random.randint(10**8, 10**10)
    mark = fake_tg.snapshot()
    _fresh_window()
    for i in range(LIMIT + 3):
        update = text_update(chat_id, "你好", update_id=int(time.time() * 1000) % 10**9 + i)
        r = requests.post(prod.url + "/webhooks/telegram/webhook", json=update,
                          headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=120)
        assert r.status_code == 200, r.text
    assert fake_tg.wait_for(lambda: any("发得有点快" in c.params.get("text", "")
                                        for c in fake_tg.since(mark, "sendMessage", chat_id=chat_id)), 30)
    sent = [c.params.get("text", "") for c in fake_tg.since(mark, "sendMessage", chat_id=chat_id)]
    assert sum("发得有点快" in t for t in sent) == 1
    from bot.channels.telegram import TelegramConfig

    sender = TelegramConfig(token=TOKEN, sender_key="production-tests-sender-key").sender_id(chat_id)
    assert len(prod.tracker_user_texts(sender)) == LIMIT


def test_bad_input_burst_is_refused_while_students_go_on(prod):
    from bench.load_bench import run_under_junk

    result, junk = run_under_junk(prod, 4, 8, seed=23, seconds=40, secret=SECRET)
    assert verify(prod, result) == []
    assert what_students_saw_is_acceptable(result) == []
    stats = result.stats()
    assert not [s for s in stats["attempts_by_status"] if s != "200"], stats["attempts_by_status"]
    # The junk got clear 4xx answers (past the per-address limit, 429), never a 5xx or a trace.
    assert junk["bad"] == [], junk
    codes = set(junk["statuses"])
    assert codes <= {"200", "400", "403", "413", "429"}, junk
    assert {"400", "403", "413", "429"} <= codes, junk


def test_the_loaded_database_round_trips_through_backup_and_restore(prod, tmp_path):
    import psycopg2

    from tests.conftest import PG_ADMIN_URL
    from tests.production.test_backup_postgres import table_contents

    coach = str(Path(sys.executable).with_name("coach"))
    backup = tmp_path / "prod.json.gz"
    env = dict(os.environ, COACH_DATABASE_URL=prod.db_url)
    made = subprocess.run([coach, "backup", "--out", str(backup)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    before = table_contents(prod.db_url)
    assert len(before["students"]) >= 10 and before["messages"] and before["events"] and before["position_posts"]
    name = f"coach_prod_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    target = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        restored = subprocess.run([coach, "restore", str(backup)], cwd=ROOT,
                                  env=dict(os.environ, COACH_DATABASE_URL=target), capture_output=True,
                                  text=True, timeout=600)
        assert restored.returncode == 0, restored.stderr
        after = table_contents(target)
        # The stack is idle; only what the backup holds is compared (it was taken first).
        for table in before:
            assert after[table] == before[table], table
    finally:
        cur = admin.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
