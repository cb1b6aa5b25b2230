"""Case database: engine, sessions and schema migrations.

SQLAlchemy 1.4 is what Rasa 3.6 pins; everything here uses the 2.0-style API
(``future=True`` engines and sessions, ``select()`` statements).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Dict, Iterator, Optional

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ROOT, resolve_database_url, settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
    cursor = dbapi_connection.cursor()
    # Several processes (Rasa, action server, console) share the file: WAL lets
    # readers go on while one writes, busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = resolve_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


def get_engine(url: Optional[str] = None) -> Engine:
    """One engine per database URL per process."""
    url = resolve_database_url(url or settings()["database_url"])
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(url: Optional[str] = None) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session: Session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: Optional[str] = None):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", resolve_database_url(url or settings()["database_url"]))
    return cfg


_migrated: set = set()


def upgrade(url: Optional[str] = None) -> None:
    """Brings the database schema to the newest migration (idempotent)."""
    from alembic import command

    url = resolve_database_url(url or settings()["database_url"])
    if url in _migrated:
        return
    command.upgrade(alembic_config(url), "head")
    _migrated.add(url)
