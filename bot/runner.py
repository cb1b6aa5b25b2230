"""Starts and stops the product's processes: action server, Rasa, web chat, console.

Used by ``coach run`` and by the end-to-end tests, so both run the same thing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml

from bot.config import ROOT, settings
from bot.training import rasa_bin, rasa_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    url: str
    log: Path


@dataclass
class Stack:
    processes: List[Process] = field(default_factory=list)
    urls: Dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.popen.poll() is None:
                try:
                    os.killpg(proc.popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 15
        for proc in self.processes:
            try:
                proc.popen.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.processes.clear()

    def alive(self) -> bool:
        return all(p.popen.poll() is None for p in self.processes)


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{url} exited with code {proc.returncode} while starting:\n{tail}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s (log: {log})")


def _spawn(name: str, cmd: List[str], env: Dict[str, str], log_dir: Path, health: str,
           timeout: float) -> Process:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    fh = open(log, "w")
    popen = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                             start_new_session=True)
    proc = Process(name, popen, health, log)
    try:
        _wait(health, popen, log, timeout)
    except Exception:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    return proc


def write_endpoints(action_url: str, target: Path, source: Path = ROOT / "endpoints.yml") -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["action_endpoint"] = {"url": action_url}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def start_stack(model: Path, *, rasa_port: Optional[int] = None, action_port: Optional[int] = None,
                env: Optional[Dict[str, str]] = None, run_dir: Optional[Path] = None,
                credentials: Path = ROOT / "credentials.yml", extra: bool = True,
                timeout: float = 240) -> Stack:
    """Starts the action server and Rasa (and, with ``extra``, the web chat and console)."""
    cfg = settings()
    rasa_port = rasa_port or int(cfg["rasa"]["port"])
    action_port = action_port or int(cfg["actions"]["port"])
    run_dir = run_dir or ROOT / "var" / "run"
    environment = rasa_env()
    environment.update(env or {})
    # Links to charts and reports point at this Rasa server unless a public URL is set.
    if "COACH_PUBLIC_URL" not in environment:
        environment["COACH_PUBLIC_URL"] = f"http://127.0.0.1:{rasa_port}"
    stack = Stack()
    try:
        actions = _spawn(
            "actions",
            [rasa_bin(), "run", "actions", "--actions", "actions", "--port", str(action_port)],
            {**environment, "COACH_WARM_UP": "1"}, run_dir, f"http://127.0.0.1:{action_port}/health", timeout)
        stack.processes.append(actions)
        endpoints = write_endpoints(f"http://127.0.0.1:{action_port}/webhook", run_dir / "endpoints.yml",
                                    Path(environment.get("COACH_ENDPOINTS", ROOT / "endpoints.yml")))
        cmd = [rasa_bin(), "run", "--enable-api", "--model", str(model), "--port", str(rasa_port),
               "--endpoints", str(endpoints), "--credentials", str(credentials), "--cors", "*",
               "--interface", "127.0.0.1"]
        token = environment.get("COACH_RASA_TOKEN") or cfg["rasa"].get("token")
        if token:
            cmd += ["--auth-token", token]
        rasa = _spawn("rasa", cmd, environment, run_dir, f"http://127.0.0.1:{rasa_port}/", timeout)
        stack.processes.append(rasa)
        stack.urls["rasa"] = f"http://127.0.0.1:{rasa_port}"
        stack.urls["actions"] = f"http://127.0.0.1:{action_port}"
        if extra:
            _start_extras(stack, environment, run_dir, timeout)
    except Exception:
        stack.stop()
        raise
    return stack


def _start_extras(stack: Stack, environment: Dict[str, str], run_dir: Path, timeout: float) -> None:
    """Web chat and console, where they exist (added by their own modules)."""
    try:
        from bot.channels import webchat  # noqa: F401
    except ImportError:
        webchat = None
    try:
        from bot.console import app as console_app  # noqa: F401
    except ImportError:
        console_app = None
    if webchat is not None:
        # Served by Rasa itself (an input channel in credentials.yml), same origin as socket.io.
        stack.urls["webchat"] = f"{stack.urls['rasa']}/webhooks/webchat/"
    try:
        from bot.channels.telegram import resolve_config

        if resolve_config().enabled:
            stack.urls["telegram"] = f"{stack.urls['rasa']}/webhooks/telegram/webhook"
    except ImportError:
        pass
    if console_app is not None:
        port = int(environment.get("COACH_CONSOLE_PORT") or settings()["console"]["port"])
        proc = _spawn("console", [sys.executable, "-m", "bot.console", "--port", str(port)],
                      environment, run_dir, f"http://127.0.0.1:{port}/healthz", timeout)
        stack.processes.append(proc)
        stack.urls["console"] = f"http://127.0.0.1:{port}/"
