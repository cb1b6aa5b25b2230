"""Per-request helpers of the console: database session, signed-in account, audit."""

from __future__ import annotations

import secrets
from typing import Any, Dict, Optional

from flask import abort, current_app, g, request
from sqlalchemy.orm import Session

from bot.console import audit as _audit
from bot.console.models import User, UserSession
from bot.db import session_factory

MAX_SEARCHES = 20


def db() -> Session:
    if "db" not in g:
        g.db = session_factory(current_app.config["DATABASE_URL"])()
    return g.db


def user() -> Optional[User]:
    return g.get("user")


def current_session() -> Optional[UserSession]:
    return g.get("user_session")


def require_user() -> User:
    u = user()
    if u is None:  # the app's before_request hook prevents this
        abort(401)
    return u


def admins_only(blueprint: Any, refusal: str) -> None:
    """Every page of ``blueprint`` is for admins; anyone else gets 403 with ``refusal``."""
    @blueprint.before_request
    def _admins_only():
        if not require_user().is_admin:
            from bot.console.app import error_response

            return error_response(403, refusal)
        return None


def client_ip() -> str:
    return (request.remote_addr or "-")[:64]


def record(action: str, case_id: Optional[int] = None, detail: Optional[Dict[str, Any]] = None) -> None:
    _audit.record(db(), action, user=user(), case_id=case_id, detail=detail, ip=client_ip())


def agency() -> str:
    return require_user().agency


# -- search texts kept server-side ----------------------------------------------------------

def searches() -> Dict[str, str]:
    s = current_session()
    if s is None:
        return {}
    return dict((s.data or {}).get("searches") or {})


def remember_search(text: str) -> str:
    """Stores a search text in the server-side session; returns its handle for the URL."""
    s = current_session()
    if s is None:
        abort(401)
    data = dict(s.data or {})
    stored = dict(data.get("searches") or {})
    for handle, value in stored.items():
        if value == text:
            return handle
    handle = secrets.token_urlsafe(6)
    stored[handle] = text
    if len(stored) > MAX_SEARCHES:
        for old in list(stored)[: len(stored) - MAX_SEARCHES]:
            stored.pop(old)
    data["searches"] = stored
    s.data = data
    return handle


def remember_list(query_string: str) -> None:
    s = current_session()
    if s is None:
        return
    data = dict(s.data or {})
    if data.get("last_list") != query_string:
        data["last_list"] = query_string[:1000]
        s.data = data


def last_list() -> str:
    s = current_session()
    return str(((s.data or {}) if s else {}).get("last_list") or "")
