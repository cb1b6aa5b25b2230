"""Portable backups of the whole database (SQLite or PostgreSQL, either way round).

A backup is gzip-compressed JSON: ``{"format": 1, "revision": <alembic head>, "tables":
{name: {"columns": [...], "rows": [[...], ...]}}}``. Dates are ISO strings, binary data is
base64. Restoring into a non-empty database needs ``force`` and replaces its content.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import MetaData, Table, delete, func, inspect, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.types import DateTime, LargeBinary

from bot.config import ROOT
from bot.db import get_engine, upgrade
from bot.db.models import Base

FORMAT = 1
RASA_EVENTS = "events"


class BackupError(Exception):
    pass


# Console tables worth keeping (sessions, failed sign-ins and the search index rebuild
# themselves and are left out).
CONSOLE_TABLES = ("console_users", "console_audit")


def _tables(engine: Engine) -> List[Table]:
    import bot.positions.models  # noqa: F401  (registers the position tables)
    from bot.console.models import ConsoleBase

    tables = list(Base.metadata.sorted_tables)
    tables += [t for t in ConsoleBase.metadata.sorted_tables if t.name in CONSOLE_TABLES]
    if inspect(engine).has_table(RASA_EVENTS):
        tables.append(Table(RASA_EVENTS, MetaData(), autoload_with=engine))
    return tables


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return {"$dt": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, column) -> Any:
    if isinstance(value, dict) and "$dt" in value and len(value) == 1:
        parsed = dt.datetime.fromisoformat(value["$dt"])
        return parsed if isinstance(column.type, DateTime) else parsed.date()
    if isinstance(value, dict) and "$b64" in value and len(value) == 1:
        return base64.b64decode(value["$b64"])
    return value


def write_backup(out: Optional[Path] = None) -> Tuple[Path, Dict[str, int]]:
    upgrade()
    engine = get_engine()
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = ROOT / "var" / "backups" / f"coach-{stamp}.json.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload: Dict[str, Any] = {"format": FORMAT, "created": dt.datetime.now(dt.timezone.utc).isoformat(),
                               "tables": {}}
    counts: Dict[str, int] = {}
    with engine.connect() as conn:
        payload["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for table in _tables(engine):
            columns = [c.name for c in table.columns]
            order = [c for c in table.primary_key.columns] or list(table.columns)[:1]
            rows = conn.execute(select(table).order_by(*order)).all()
            payload["tables"][table.name] = {
                "columns": columns,
                "rows": [[_encode(v) for v in row] for row in rows],
            }
            counts[table.name] = len(rows)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    tmp.replace(out)
    return out, counts


def read_backup(path: Path, force: bool = False) -> Dict[str, int]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a backup made by `coach backup` ({exc.__class__.__name__})")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "tables" not in payload:
        raise BackupError(f"{path} is not a backup made by `coach backup` (unknown format)")
    upgrade()
    engine = get_engine()
    if payload.get("revision"):
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current != payload["revision"]:
            raise BackupError(f"backup schema {payload['revision']} differs from database schema {current}; "
                              "restore with the product version that made it")
    if RASA_EVENTS in payload["tables"] and not inspect(engine).has_table(RASA_EVENTS):
        _create_rasa_events(engine)
    tables = {t.name: t for t in _tables(engine)}
    counts: Dict[str, int] = {}
    with engine.begin() as conn:
        non_empty = [name for name, t in tables.items()
                     if name in payload["tables"] and conn.execute(select(func.count()).select_from(t)).scalar()]
        if non_empty and not force:
            raise BackupError("the database is not empty (" + ", ".join(non_empty[:5]) +
                              "); use --force to replace its content")
        for name in reversed(list(tables)):
            if name in payload["tables"]:
                conn.execute(delete(tables[name]))
        for name, table in tables.items():
            data = payload["tables"].get(name)
            if not data:
                continue
            columns = [c for c in data["columns"] if c in table.columns]
            rows = [
                {c: _decode(v, table.columns[c]) for c, v in zip(data["columns"], row) if c in table.columns}
                for row in data["rows"]
            ]
            for start in range(0, len(rows), 1000):
                chunk = rows[start:start + 1000]
                if chunk:
                    conn.execute(insert(table), chunk)
            counts[name] = len(rows)
            _reset_sequence(conn, table, columns)
    return counts


def _create_rasa_events(engine: Engine) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore.Base.metadata.create_all(engine)


def _reset_sequence(conn, table: Table, columns: List[str]) -> None:
    """PostgreSQL sequences must move past restored ids."""
    if conn.dialect.name != "postgresql" or "id" not in columns:
        return
    conn.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
