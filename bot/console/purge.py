"""Deleting cases past retention, with their Rasa tracker events (``coach cases purge`` and
the admin page)."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Tuple

from sqlalchemy import column, delete, func, inspect, select, table
from sqlalchemy.engine import Engine

from bot.db import get_engine
from bot.db.models import Message, Student, utcnow

CHUNK = 500
RASA_EVENTS = table("events", column("sender_id"))


def cutoff(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def expired(engine: Engine, days: int, agency: Optional[str] = None) -> List[Tuple[int, str]]:
    """(id, sender id) of the cases whose last activity is older than ``days`` days."""
    stmt = select(Student.id, Student.sender_id).where(Student.last_active_at < cutoff(days)).order_by(Student.id)
    if agency is not None:
        stmt = stmt.where(Student.agency == agency)
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(stmt)]


def purge(days: int, agency: Optional[str] = None, dry_run: bool = False,
          url: Optional[str] = None) -> Dict[str, int]:
    """Deletes (or with ``dry_run`` only counts) expired cases, everything attached to them
    and their conversation events. Returns the counts."""
    if days < 1:
        raise ValueError("days must be at least 1")
    engine = get_engine(url)
    cut = cutoff(days)
    victims = expired(engine, days, agency)
    has_events = inspect(engine).has_table("events")
    counts = {"cases": 0, "messages": 0, "events": 0}
    for start in range(0, len(victims), CHUNK):
        ids = [v[0] for v in victims[start:start + CHUNK]]
        with engine.begin() as conn:
            # A case that came back to life since the first look is kept.
            chunk = conn.execute(select(Student.id, Student.sender_id)
                                 .where(Student.id.in_(ids), Student.last_active_at < cut)).all()
            ids = [r[0] for r in chunk]
            senders = [r[1] for r in chunk]
            if not ids:
                continue
            counts["cases"] += len(ids)
            counts["messages"] += int(conn.execute(
                select(func.count()).select_from(Message).where(Message.student_id.in_(ids))).scalar_one())
            if has_events:
                counts["events"] += int(conn.execute(
                    select(func.count()).select_from(RASA_EVENTS)
                    .where(RASA_EVENTS.c.sender_id.in_(senders))).scalar_one())
            if dry_run:
                continue
            if has_events:
                conn.execute(delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id.in_(senders)))
            # Child rows go with the case: ON DELETE CASCADE (SQLite: foreign_keys=ON).
            conn.execute(delete(Student).where(Student.id.in_(ids)))
    return counts
