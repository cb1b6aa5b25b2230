"""The agency's settings: coach.yml / COACH_AGENCY_* defaults, overridden by what an admin
saved in the console (table ``agency_settings``).

Read by the actions on every use through a short cache, so a change in the console reaches
the conversations within ``CACHE_SECONDS`` without a restart.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, Dict, Optional

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.config import settings
from bot.db import session_scope
from bot.db.models import AgencySetting

CACHE_SECONDS = 5.0
EDITABLE = ("name", "short_name", "greeting", "contact", "counselor_reply_hours", "colors",
            "consent_version", "retention_days")

_cache: Dict[str, Any] = {"at": 0.0, "value": None}
_lock = threading.Lock()


def current() -> Dict[str, Any]:
    """The effective agency settings."""
    now = time.monotonic()
    with _lock:
        if _cache["value"] is not None and now - _cache["at"] < CACHE_SECONDS:
            return copy.deepcopy(_cache["value"])
    merged = copy.deepcopy(settings()["agency"])
    try:
        with session_scope() as session:
            for row in session.execute(select(AgencySetting)).scalars():
                if row.key in EDITABLE and row.value is not None:
                    merged[row.key] = row.value
    except SQLAlchemyError:
        pass  # database not migrated yet: the file defaults apply
    with _lock:
        _cache.update(at=now, value=merged)
    return copy.deepcopy(merged)


def save(values: Dict[str, Any], by: Optional[str] = None) -> Dict[str, Any]:
    """Stores overrides (only the editable keys) and returns the effective settings."""
    with session_scope() as session:
        for key, value in values.items():
            if key not in EDITABLE:
                raise KeyError(f"not an editable agency setting: {key}")
            row = session.get(AgencySetting, key)
            if row is None:
                session.add(AgencySetting(key=key, value=value, updated_by=by))
            else:
                row.value, row.updated_by = value, by
    invalidate()
    return current()


def invalidate() -> None:
    with _lock:
        _cache.update(at=0.0, value=None)
