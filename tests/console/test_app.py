"""The console process: secret key, error pages, logs, ``python -m bot.console``."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time

import requests

from bot.console import queries
from tests.conftest import ROOT
from tests.console.seed import make_case, make_user


def test_secret_key_is_generated_once_into_a_private_file(tmp_path, monkeypatch):
    from bot.console.app import secret_key

    path = tmp_path / "var" / "console-secret.key"
    monkeypatch.setenv("COACH_CONSOLE_SECRET_FILE", str(path))
    first = secret_key({"secret_key": ""})
    assert len(first) == 64 and path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key({}) == first
    assert secret_key({"secret_key": "configured-elsewhere-0123456789abcdef"}) == "configured-elsewhere-0123456789abcdef"


def test_unexpected_error_is_a_friendly_page_and_logs_no_personal_data(app, browser, monkeypatch, caplog):
    make_user("zhang")
    name = "王小明"
    make_case(name=name)
    message = f"database said: value {name!r} is wrong"

    def broken(*args, **kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr(queries, "list_cases", broken)
    b = browser("zhang")
    with caplog.at_level(logging.ERROR):
        r = b.get("/cases")
    body = r.get_data(as_text=True)
    assert r.status_code == 500 and "系统出错了" in body
    assert "Traceback" not in body and "王小明" not in body
    assert "RuntimeError" in caplog.text and "王小明" not in caplog.text


def test_console_process_serves_healthz_and_login(sqlite_url, tmp_path):
    from bot.runner import free_port

    port = free_port()
    env = dict(os.environ, COACH_DATABASE_URL=sqlite_url, COACH_CONSOLE_SECRET_FILE=str(tmp_path / "k"))
    proc = subprocess.Popen([sys.executable, "-m", "bot.console", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
                assert time.time() < deadline, "console did not start"
                time.sleep(0.3)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        r = requests.get(f"http://127.0.0.1:{port}/cases", allow_redirects=False, timeout=5)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")
        assert "登录顾问工作台" in requests.get(f"http://127.0.0.1:{port}/login", timeout=5).text
    finally:
        proc.terminate()
        proc.wait(15)
    log = proc.stdout.read().decode(errors="replace")
    assert "GET /cases" in log and "Traceback" not in log


def test_console_process_reports_a_busy_port(sqlite_url, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = dict(os.environ, COACH_DATABASE_URL=sqlite_url, COACH_CONSOLE_SECRET_FILE=str(tmp_path / "k"))
        result = subprocess.run([sys.executable, "-m", "bot.console", "--port", str(port)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "cannot listen" in result.stderr and "Traceback" not in result.stderr
