"""Database side of the chat channels: processed updates, button payloads, the outbox.

Synchronous (SQLAlchemy); the channels call these through ``run_in_executor``. All of it
works on SQLite and PostgreSQL and across several Rasa replicas sharing one database.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.models import ChannelCallback, ChannelOutbox, ChannelUpdate
from bot.config import settings
from bot.db import session_scope

NEW, DONE, BUSY = "new", "done", "busy"

# How long a claim protects an update that is being processed. A replica that died
# mid-turn leaves a stale claim; after this, a retry of the update is processed again.
LEASE_SECONDS = 180.0
# Processed-update keys are kept this long (Telegram retries for at most a day).
KEEP_SECONDS = 3 * 24 * 3600.0


def hashed(*parts: Any) -> str:
    """A short, stable, non-reversible key for values that identify a chat."""
    raw = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii").lower()[:26]


# -- processed updates ---------------------------------------------------------------------

def claim(key: str, lease: float = LEASE_SECONDS, now: Optional[float] = None) -> str:
    """Claims ``key`` for processing. ``NEW``: go ahead (first time, or a stale claim taken
    over); ``DONE``: already processed; ``BUSY``: another request is processing it now."""
    now = time.time() if now is None else now
    try:
        with session_scope() as session:
            session.add(ChannelUpdate(key=key, state="processing", attempts=1, claimed_at=now))
        return NEW
    except IntegrityError:
        pass
    with session_scope() as session:
        row = session.get(ChannelUpdate, key)
        if row is None:  # purged in between: treat as new
            session.add(ChannelUpdate(key=key, state="processing", attempts=1, claimed_at=now))
            return NEW
        if row.state == "done":
            return DONE
        if row.claimed_at > now - lease:
            return BUSY
        # Optimistic take-over: only one replica wins the bump of ``attempts``.
        result = session.execute(
            update(ChannelUpdate)
            .where(ChannelUpdate.key == key, ChannelUpdate.attempts == row.attempts,
                   ChannelUpdate.state == "processing")
            .values(attempts=row.attempts + 1, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return NEW if result.rowcount == 1 else BUSY


def attempts(key: str) -> int:
    with session_scope() as session:
        row = session.get(ChannelUpdate, key)
        return int(row.attempts) if row is not None else 0


def finish(key: str) -> None:
    with session_scope() as session:
        session.execute(update(ChannelUpdate).where(ChannelUpdate.key == key)
                        .values(state="done", done_at=time.time())
                        .execution_options(synchronize_session=False))


def release(key: str) -> None:
    """Gives a claim up (processing failed): the next delivery of the update may take it."""
    with session_scope() as session:
        session.execute(update(ChannelUpdate)
                        .where(ChannelUpdate.key == key, ChannelUpdate.state == "processing")
                        .values(claimed_at=0.0)
                        .execution_options(synchronize_session=False))


def mark_once(key: str) -> bool:
    """True the first time ``key`` is seen (and records it as done), False afterwards."""
    now = time.time()
    try:
        with session_scope() as session:
            session.add(ChannelUpdate(key=key, state="done", attempts=1, claimed_at=now, done_at=now))
        return True
    except IntegrityError:
        return False


def purge_updates(older_than: float = KEEP_SECONDS) -> int:
    with session_scope() as session:
        result = session.execute(delete(ChannelUpdate)
                                 .where(ChannelUpdate.claimed_at < time.time() - older_than,
                                        ChannelUpdate.state == "done")
                                 .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)


# -- inline-keyboard payloads --------------------------------------------------------------

# (database, payload) -> key, known to be in the table (its rows are never deleted).
_stored_keys: Dict[tuple, str] = {}


def callback_key(payload: str) -> str:
    """The key a button carries for ``payload`` (stored once, shared by all replicas)."""
    cache_key = (settings()["database_url"], payload)
    known = _stored_keys.get(cache_key)
    if known is not None:
        return known
    key = hashed("callback", payload)[:20]
    with session_scope() as session:
        exists = session.get(ChannelCallback, key) is not None
    if not exists:
        try:
            with session_scope() as session:
                session.add(ChannelCallback(key=key, payload=payload, created_at=time.time()))
        except IntegrityError:
            pass  # another replica stored it first
    if len(_stored_keys) > 10_000:
        _stored_keys.clear()
    _stored_keys[cache_key] = key
    return key


def callback_payload(key: str) -> Optional[str]:
    if not key or len(key) > 32:
        return None
    with session_scope() as session:
        row = session.get(ChannelCallback, key)
        return row.payload if row is not None else None


# -- outbox ---------------------------------------------------------------------------------

def outbox_add(channel: str, sender_id: str, address: str, message: Dict[str, Any],
               delay: float = 30.0) -> int:
    now = time.time()
    with session_scope() as session:
        row = ChannelOutbox(channel=channel, sender_id=sender_id, address=str(address), message=message,
                            attempts=0, created_at=now, next_attempt_at=now + delay)
        session.add(row)
        session.flush()
        return int(row.id)


def outbox_due(channel: str, limit: int = 20, lease: float = 120.0,
               sender_id: Optional[str] = None) -> List[Dict[str, Any]]:
    """Due messages, oldest first, each leased to this caller (another replica skips it).
    With ``sender_id``: that conversation's messages, due or not (it wrote again, so its
    older replies go out first)."""
    now = time.time()
    out: List[Dict[str, Any]] = []
    with session_scope() as session:
        stmt = select(ChannelOutbox).where(ChannelOutbox.channel == channel)
        if sender_id is None:
            stmt = stmt.where(ChannelOutbox.next_attempt_at <= now)
        else:
            stmt = stmt.where(ChannelOutbox.sender_id == sender_id)
        rows = session.execute(stmt.order_by(ChannelOutbox.id).limit(limit)).scalars().all()
        for row in rows:
            result = session.execute(
                update(ChannelOutbox)
                .where(ChannelOutbox.id == row.id, ChannelOutbox.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + lease, attempts=row.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                out.append({"id": row.id, "sender_id": row.sender_id, "address": row.address,
                            "message": row.message, "attempts": row.attempts + 1,
                            "created_at": row.created_at})
    return out


def outbox_pending(channel: str, sender_id: Optional[str] = None) -> int:
    with session_scope() as session:
        stmt = select(ChannelOutbox.id).where(ChannelOutbox.channel == channel)
        if sender_id is not None:
            stmt = stmt.where(ChannelOutbox.sender_id == sender_id)
        return len(session.execute(stmt).all())


def outbox_reschedule(row_id: int, delay: float) -> None:
    with session_scope() as session:
        session.execute(update(ChannelOutbox).where(ChannelOutbox.id == row_id)
                        .values(next_attempt_at=time.time() + delay)
                        .execution_options(synchronize_session=False))


def outbox_remove(row_id: int) -> None:
    with session_scope() as session:
        session.execute(delete(ChannelOutbox).where(ChannelOutbox.id == row_id)
                        .execution_options(synchronize_session=False))
