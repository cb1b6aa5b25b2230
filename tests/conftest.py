"""Shared fixtures: temporary databases, the trained model and a running stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
OUTPUT = ROOT / "test-output"


def _reset_process_state() -> None:
    from bot.config import reset_settings
    from bot.db import _migrated, dispose_engines

    reset_settings()
    dispose_engines()
    _migrated.clear()


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated SQLite case database used by everything in this process."""
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    _reset_process_state()
    from bot.db import upgrade

    upgrade()
    yield url
    _reset_process_state()


def _pg_available() -> Optional[str]:
    try:
        import psycopg2

        conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
        conn.close()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL database (created and dropped around the test)."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg2

    name = f"coach_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    _reset_process_state()
    from bot.db import upgrade

    upgrade()
    try:
        yield url
    finally:
        _reset_process_state()
        cur = admin.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


# -- the trained model and a running stack -------------------------------------------------

@pytest.fixture(scope="session")
def model() -> Path:
    """The trained model for the current training data (trained once, cached by hash).

    ``COACH_TEST_MODEL`` pins a model file instead, for working on parts that do not
    depend on the newest training data (channels, console)."""
    pinned = os.environ.get("COACH_TEST_MODEL")
    if pinned:
        return Path(pinned)
    from bot.training import ensure_model

    return ensure_model(quiet=True)


class Stack:
    """Handle on running Rasa + action servers with their own case database."""

    def __init__(self, stack: Any, env: Dict[str, str], db_url: str) -> None:
        self._stack = stack
        self.env = env
        self.db_url = db_url
        self.rasa = stack.urls["rasa"]

    def say(self, sender: str, text: str, timeout: float = 60) -> List[Dict[str, Any]]:
        r = requests.post(f"{self.rasa}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=timeout)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return r.json()

    def texts(self, sender: str, text: str) -> str:
        """The bot's reply as one string (all messages joined)."""
        return "\n".join(m.get("text", "") for m in self.say(sender, text))

    def parse(self, text: str) -> Dict[str, Any]:
        r = requests.post(f"{self.rasa}/model/parse", json={"text": text}, timeout=30)
        r.raise_for_status()
        return r.json()

    def coach(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "coach"), *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def case(self, sender: str) -> Dict[str, Any]:
        result = self.coach("cases", "show", sender, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def restart_rasa(self) -> None:
        """Stops and starts the Rasa server only (same database)."""
        from bot.runner import start_stack

        self._stack.stop()
        self._stack = start_stack(self._stack_model, rasa_port=self._rasa_port,
                                  action_port=self._action_port, env=self.env,
                                  run_dir=self._run_dir, extra=False)


@pytest.fixture(scope="session")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa on free ports, with a fresh SQLite case database."""
    from bot.runner import free_port, start_stack

    base = tmp_path_factory.mktemp("stack")
    db_url = f"sqlite:///{base / 'coach.db'}"
    env = dict(os.environ)
    env["COACH_DATABASE_URL"] = db_url
    env["COACH_LOG_LEVEL"] = "INFO"
    rasa_port, action_port = free_port(), free_port()
    from bot.cli import prepare_database_at

    prepare_database_at(db_url)
    running = start_stack(model, rasa_port=rasa_port, action_port=action_port, env=env,
                          run_dir=base / "run", extra=False)
    handle = Stack(running, env, db_url)
    handle._stack_model, handle._rasa_port, handle._action_port, handle._run_dir = (
        model, rasa_port, action_port, base / "run")
    try:
        yield handle
    finally:
        handle._stack.stop()


def new_sender(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def _loaded_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from bot.cli import prepare_database_at

    url = f"sqlite:///{tmp_path_factory.mktemp('loaded') / 'coach.db'}"
    prepare_database_at(url)
    return url


@pytest.fixture
def loaded_db(_loaded_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated case database with the shipped position tables (shared by the tests of a
    session: use a fresh sender id per test)."""
    monkeypatch.setenv("COACH_DATABASE_URL", _loaded_db_url)
    _reset_process_state()
    yield _loaded_db_url
    _reset_process_state()
