"""Fixtures of the console tests: a migrated database, the Flask app and signed-in clients."""

from __future__ import annotations

import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import pytest
from argon2 import PasswordHasher

from tests.console.seed import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 at its lowest cost: the tests sign in often. Production keeps the defaults."""
    from bot.console import accounts

    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)


def _make_app(monkeypatch, **config):
    from bot.config import reset_settings
    from bot.console import labels
    from bot.console.app import create_app

    monkeypatch.setenv("COACH_CONSOLE_SECRET_KEY", secrets.token_hex(32))
    reset_settings()
    labels.local_zone.cache_clear()
    from bot import agency

    agency.invalidate()
    app = create_app(config)
    return app


@pytest.fixture
def app(sqlite_url, monkeypatch):
    return _make_app(monkeypatch)


@pytest.fixture
def pg_app(postgres_url, monkeypatch):
    return _make_app(monkeypatch)


@pytest.fixture(params=["sqlite", "postgres"])
def any_app(request, monkeypatch):
    """The app on SQLite, then on PostgreSQL."""
    request.getfixturevalue(f"{request.param}_url")
    return _make_app(monkeypatch)


class Browser:
    """A test client that signs in and posts forms with their CSRF token."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self._token: Optional[str] = None

    def csrf(self, page: str = "/login") -> str:
        html = self.client.get(page).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page}"
        self._token = match.group(1)
        return self._token

    def login(self, username: str, password: str = PASSWORD):
        token = self.csrf("/login")
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: Optional[Dict[str, Any]] = None, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self._token or self.csrf("/cases")
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def browser(request):
    app = request.getfixturevalue("any_app" if "any_app" in request.fixturenames else "app")

    def make(username: Optional[str] = None) -> Browser:
        b = Browser(app)
        if username:
            r = b.login(username)
            assert r.status_code == 302, r.get_data(as_text=True)[:500]
            b.csrf("/cases")
        return b
    return make


class FakeRasa:
    """Stands in for Rasa's HTTP API: records the events posted to a conversation."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.status = 200
        self.paused = False
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                fake.requests.append({"path": self.path, "body": body})
                if fake.status != 200:
                    self.send_response(fake.status)
                    self.end_headers()
                    self.wfile.write(b'{"status": "failure"}')
                    return
                if body.get("event") == "pause":
                    fake.paused = True
                elif body.get("event") == "resume":
                    fake.paused = False
                payload = json.dumps({"sender_id": "x", "paused": fake.paused}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # quiet
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_rasa():
    fake = FakeRasa()
    yield fake
    fake.close()


def audit_actions(case_id: Optional[int] = None) -> List[str]:
    from sqlalchemy import select

    from bot.console.models import AuditEntry
    from bot.db import session_scope

    with session_scope() as s:
        stmt = select(AuditEntry.action).order_by(AuditEntry.id)
        if case_id is not None:
            stmt = stmt.where(AuditEntry.case_id == case_id)
        return list(s.execute(stmt).scalars())
