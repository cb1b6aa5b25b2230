"""Configuration: built-in defaults, then a YAML file, then ``COACH_*`` environment variables.

The YAML file is ``coach.yml`` at the repository root (committed, agency defaults),
then ``coach.local.yml`` beside it (git-ignored, for local overrides), or the file named
by ``COACH_CONFIG``. Environment variables win over both: ``COACH_DATABASE_URL`` sets
``database_url``, ``COACH_AGENCY_NAME`` sets ``agency.name`` and so on (the variable name
after ``COACH_`` is matched against the key path, sections first).
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: Dict[str, Any] = {
    "agency": {
        # Which agency this deployment serves; cases and console accounts carry it.
        "id": "default",
        "name": "启航公考生涯规划",
        "short_name": "启航",
        "greeting": "你好，我是启航的公考生涯助手，可以陪你理清考公思路、查岗位、做规划。",
        "contact": "工作日 9:00–18:00 由生涯顾问回复",
        "counselor_reply_hours": 24,
        "colors": {"primary": "#07c160", "header": "#ededed"},
        "consent_version": "2026-11-v1",
        "retention_days": 365,
        # Messages one sender may send per window (every channel; 0 turns the limit off).
        # Loose by default (no person types two messages a second for a minute): it stops
        # floods; an agency may tighten it (30 per 60 s is plenty for students).
        # bot/channels/ratelimit.py; shared by the replicas through Redis (COACH_REDIS_HOST).
        "rate_limit": {"messages": 120, "window_seconds": 60},
    },
    # Case database and Rasa tracker store. SQLite under var/ by default.
    "database_url": "sqlite:///var/coach.db",
    # Where students' clients reach this deployment (links to charts and reports).
    "public_url": "http://127.0.0.1:5005",
    "rasa": {"host": "127.0.0.1", "port": 5005, "token": ""},
    "actions": {"host": "127.0.0.1", "port": 5055},
    "console": {"host": "127.0.0.1", "port": 8080, "secret_key": ""},
    # The WeChat-style web chat, served by Rasa at /webhooks/webchat/ (bot/channels/webchat.py).
    "webchat": {"host": "127.0.0.1", "port": 8000, "title": "", "max_message_chars": 2000},
    # Telegram (bot/channels/telegram.py). Keep the token out of the repository: set
    # COACH_TELEGRAM_TOKEN (and COACH_TELEGRAM_WEBHOOK_URL for webhook mode) instead.
    "telegram": {
        "token": "",
        "webhook_url": "",        # public https URL of /webhooks/telegram/webhook; empty: polling
        "secret_token": "",       # webhook secret; empty: derived from the token
        "sender_key": "",         # key of the sender ids; empty: derived from the token
        "base_url": "",           # Bot API base (tests point it at a local fake)
        "allowed_chats": "",      # group chat ids the bot may talk in, comma separated
        "send_attempts": 5,
        "retry_budget": 60,       # seconds a reply may spend waiting on retries
        "outbox_interval": 30,    # seconds between redelivery rounds of undelivered replies
    },
    "exam": {"default_name": "国考", "default_year": 2026},
    "log_level": "INFO",
}


def _deep_merge(base: Dict[str, Any], extra: Mapping[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _coerce(raw: str, like: Any) -> Any:
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int) and not isinstance(like, bool):
        try:
            return int(raw)
        except ValueError:
            return like
    return raw


def _apply_env(cfg: Dict[str, Any], environ: Mapping[str, str]) -> Dict[str, Any]:
    for name, raw in environ.items():
        if not name.startswith("COACH_") or name == "COACH_CONFIG":
            continue
        rest = name[len("COACH_"):].lower()
        node = cfg
        # Walk down sections whose name is a prefix of what is left.
        while True:
            if rest in node and not isinstance(node[rest], dict):
                node[rest] = _coerce(raw, node[rest])
                break
            section = next(
                (k for k in sorted(node, key=len, reverse=True)
                 if isinstance(node[k], dict) and rest.startswith(k + "_")),
                None,
            )
            if section is None:
                if rest not in node:  # unknown keys are kept at this level
                    node[rest] = raw
                break
            node = node[section]
            rest = rest[len(section) + 1:]
    return cfg


def config_files(environ: Optional[Mapping[str, str]] = None) -> list[Path]:
    environ = os.environ if environ is None else environ
    if environ.get("COACH_CONFIG"):
        return [Path(environ["COACH_CONFIG"])]
    return [p for p in (ROOT / "coach.yml", ROOT / "coach.local.yml") if p.exists()]


def load_config(environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Builds the configuration afresh (no caching)."""
    environ = os.environ if environ is None else environ
    cfg = copy.deepcopy(DEFAULTS)
    for path in config_files(environ):
        with open(path, encoding="utf-8") as fh:
            cfg = _deep_merge(cfg, yaml.safe_load(fh) or {})
    cfg = _apply_env(cfg, environ)
    cfg["database_url"] = resolve_database_url(cfg["database_url"])
    return cfg


def resolve_database_url(url: str) -> str:
    """Makes relative SQLite paths relative to the repository root."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        path = ROOT / url[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    """The process-wide configuration (read once)."""
    return load_config()


def reset_settings() -> None:
    settings.cache_clear()
