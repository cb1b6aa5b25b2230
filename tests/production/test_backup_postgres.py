"""`coach backup` and `coach restore` round-trip a loaded PostgreSQL case database: cases with
everything a conversation leaves (consent, profile, shortlist, interviews, feedback, flags),
transcripts, Rasa's trackers (the events table) and the position tables.

(After real load, the same round trip runs on the production stack's database:
tests/production/test_production_stack.py.)"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import PG_ADMIN_URL, ROOT, _reset_process_state

pytestmark = pytest.mark.postgres
COACH = str(Path(sys.executable).with_name("coach"))
STUDENTS = 12


def coach(*args: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run([COACH, *args], cwd=ROOT, env=dict(os.environ, COACH_DATABASE_URL=url),
                          capture_output=True, text=True, timeout=600)


def table_contents(url: str) -> Dict[str, List[tuple]]:
    """Every row of every table the backup covers, in primary-key order."""
    from sqlalchemy import create_engine, select

    from bot.backup import _tables

    engine = create_engine(url, future=True)
    try:
        out = {}
        with engine.connect() as conn:
            for table in _tables(engine):
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
        return out
    finally:
        engine.dispose()


def _seed(url: str) -> List[str]:
    """What real conversations leave, written the way the product writes it."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import cases
    from bot.deploycheck import migrate
    from bot.tracker_store import CoachTrackerStore

    migrate(url)                                   # schema, events table, shipped position tables
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = CoachTrackerStore(domain=domain, url=url)
    senders = []
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc).timestamp()
    for i in range(STUDENTS):
        sender = f"bk-{i}-{uuid.uuid4().hex[:6]}"
        senders.append(sender)
        cases.record_consent(sender, True, "2026-11-v1", channel="rest")
        cases.save_profile(sender, education="本科", major="法学", grad_year=2025, age=22 + i % 5,
                           political_status="共青团员", experience_years=0, target_exam="湖北省考")
        cases.add_to_shortlist(sender, "湖北省考", 2026, f"1423020200104400{i % 10}", [f"问题{k}" for k in range(10)])
        cases.add_interview(sender, major="会计学", exam="国考", year=2024, post="税务局", result="上岸了",
                            advice="早点准备")
        cases.add_feedback(sender, 4 + i % 2, "很有帮助" if i % 2 else None)
        if i % 3 == 0:
            cases.add_flag(sender, "counselor_requested", "想和顾问聊聊")
        t = start + i * 60
        events = [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t + 0.1),
                  ActionExecuted("action_listen", timestamp=t + 0.2)]
        for turn, text in enumerate(("你好", "/affirm", "本科，法学", "2025", "国考年龄限制是多少")):
            ts = t + 1 + turn * 5
            events.append(UserUttered(text, intent={"name": "inform", "confidence": 0.97}, timestamp=ts))
            if turn == 1:
                events.append(SlotSet("consent", "given", timestamp=ts + 0.1))
            events.append(BotUttered(f"第{turn}条回复：好的", data={"buttons": [{"title": "同意", "payload": "/affirm"}]}
                                     if turn == 0 else {}, timestamp=ts + 0.5))
            events.append(ActionExecuted("action_listen", timestamp=ts + 0.6))
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return senders


@pytest.fixture
def loaded_pg(postgres_url):
    senders = _seed(postgres_url)
    yield postgres_url, senders


@pytest.fixture
def empty_pg():
    import psycopg2

    name = f"coach_restore_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        cur = admin.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_backup_and_restore_round_trip_a_loaded_postgresql_database(loaded_pg, empty_pg, tmp_path):
    source, senders = loaded_pg
    before = table_contents(source)
    assert len(before["students"]) == STUDENTS and len(before["messages"]) == STUDENTS * 10
    assert len(before["events"]) > STUDENTS * 10 and len(before["shortlist"]) == STUDENTS
    positions = [name for name in before if name.startswith("position") and before[name]]
    assert positions, "the shipped position tables should be loaded"

    backup = tmp_path / "coach.json.gz"
    made = coach("backup", "--out", str(backup), url=source)
    assert made.returncode == 0, made.stderr
    restored = coach("restore", str(backup), url=empty_pg)
    assert restored.returncode == 0, restored.stderr
    after = table_contents(empty_pg)
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"

    # What a counselor sees is the same, transcript included.
    _reset_process_state()
    shown = [coach("cases", "show", s, "--json", url=u).stdout for s in senders[:3] for u in (source, empty_pg)]
    assert shown[0] == shown[1] and shown[2] == shown[3] and '"transcript"' in shown[0]

    # Restoring over a database that holds data needs --force, then replaces it.
    refused = coach("restore", str(backup), url=empty_pg)
    assert refused.returncode != 0 and "--force" in refused.stderr
    forced = coach("restore", str(backup), "--force", url=empty_pg)
    assert forced.returncode == 0, forced.stderr
    assert table_contents(empty_pg) == before
