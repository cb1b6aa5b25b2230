"""``coach deploy``: prepare a deployment's database and check its environment before start.

    coach deploy migrate        # schema migrations, Rasa's events table, shipped position tables
    coach deploy check          # every secret set, services reachable, migrations at head
    coach deploy check --json

``check`` reads the endpoints file the servers will use (``--endpoints``, default
``COACH_ENDPOINTS`` or endpoints.production.yml): every ``${VARIABLE}`` it names must be
set, and the services it configures (Redis lock store, RabbitMQ event broker) must answer.
Then the secrets of the product itself (``COACH_DATABASE_URL``, ``COACH_RASA_TOKEN``,
``COACH_CONSOLE_SECRET_KEY``, and the Telegram keys when Telegram is on), the case database
(reachable, migrations at the newest revision, Rasa's events table present) and, with
``--model``, the trained model. It exits 1 when anything fails, so a container's start
command or a Kubernetes init container can run it first. Values of secrets are never
printed: only whether they are set and strong enough.

``migrate`` is what the deployment's migration job runs once per release, before the Rasa
replicas start: replicas starting together on an empty database would otherwise race to
create Rasa's events table.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlparse

import click

from bot.config import ROOT

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
WEAK_SECRETS = {"", "changeme", "change-me", "secret", "password", "admin", "test", "token", "guest", "example"}
MIN_SECRET_CHARS = 16


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


# -- database --------------------------------------------------------------------------------


def migrate(url: Optional[str] = None) -> Dict[str, Any]:
    """Migrations, Rasa's events table and the shipped position tables (idempotent)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.cli import prepare_database_at
    from bot.db import get_engine

    prepare_database_at(url)
    engine = get_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    return {"revision": _current_revision(engine), "head": head_revision()}


def head_revision() -> Optional[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _current_revision(engine) -> Optional[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def check_database(url: str, timeout: int = 5) -> List[Check]:
    from sqlalchemy import create_engine, inspect, text

    shown = _safe_url(url)
    args = {"connect_timeout": timeout} if url.startswith("postgres") else {}
    try:
        engine = create_engine(url, future=True, connect_args=args, pool_pre_ping=True)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return [Check("database reachable", False, f"{shown}: {type(exc).__name__}: {_first_line(exc)}")]
    out = [Check("database reachable", True, shown)]
    try:
        current, head = _current_revision(engine), head_revision()
        out.append(Check("migrations at head", current == head,
                         f"database at {current or 'no revision'}, code at {head}"
                         + ("" if current == head else " (run `coach deploy migrate`)")))
        has_events = inspect(engine).has_table("events")
        out.append(Check("Rasa events table", has_events,
                         "present" if has_events else "missing (run `coach deploy migrate`)"))
    except Exception as exc:
        out.append(Check("migrations at head", False, f"{type(exc).__name__}: {_first_line(exc)}"))
    finally:
        engine.dispose()
    return out


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


# -- secrets and services ---------------------------------------------------------------------


def endpoint_variables(path: Path) -> List[str]:
    """The ``${VARIABLE}`` names an endpoints file uses (Rasa substitutes them at start)."""
    return sorted(set(_VAR.findall(path.read_text(encoding="utf-8"))))


def _secret_check(name: str, environ: Mapping[str, str], required: bool = True) -> Check:
    value = environ.get(name)
    if value is None or value == "":
        return Check(f"secret {name}", False, "not set", required)
    if value.strip().lower() in WEAK_SECRETS or len(value) < MIN_SECRET_CHARS:
        return Check(f"secret {name}", False, f"set but weak (use at least {MIN_SECRET_CHARS} random characters)",
                     required)
    return Check(f"secret {name}", True, f"set ({len(value)} characters)", required)


def check_secrets(environ: Mapping[str, str], endpoints: Optional[Path]) -> List[Check]:
    out: List[Check] = []
    url = environ.get("COACH_DATABASE_URL", "")
    if not url:
        out.append(Check("secret COACH_DATABASE_URL", False, "not set (the default is a local SQLite file)"))
    elif url.startswith("sqlite"):
        out.append(Check("secret COACH_DATABASE_URL", False,
                         "SQLite: replicas need a shared server database (postgresql://...)"))
    else:
        out.append(Check("secret COACH_DATABASE_URL", True, _safe_url(url)))
    out.append(_secret_check("COACH_RASA_TOKEN", environ))
    out.append(_secret_check("COACH_CONSOLE_SECRET_KEY", environ))
    if environ.get("COACH_TELEGRAM_TOKEN"):
        out.append(Check("secret COACH_TELEGRAM_TOKEN", True, "set"))
        out.append(_secret_check("COACH_TELEGRAM_SENDER_KEY", environ))
        if environ.get("COACH_TELEGRAM_WEBHOOK_URL", "").startswith("http://"):
            out.append(Check("COACH_TELEGRAM_WEBHOOK_URL", False, "must be https"))
    if endpoints is not None:
        for name in endpoint_variables(endpoints):
            if name in {c.name.split(" ", 1)[-1] for c in out}:
                continue
            if "PASSWORD" in name or "TOKEN" in name or "SECRET" in name:
                check = _secret_check(name, environ)
                if not check.ok and environ.get(name):
                    check.required = False   # e.g. RabbitMQ's guest account on one machine
                out.append(check)
            else:
                value = environ.get(name)
                out.append(Check(f"variable {name}", bool(value), value if value else
                                 f"not set (used by {endpoints.name})"))
    return out


def _expand(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: environ.get(m.group(1), ""), value)
    return value


def _tcp(host: str, port: int, timeout: float = 3.0) -> Optional[str]:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return type(exc).__name__


def check_services(environ: Mapping[str, str], endpoints: Optional[Path]) -> List[Check]:
    import yaml

    if endpoints is None:
        return []
    data = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    out: List[Check] = []
    lock = data.get("lock_store") or {}
    if lock.get("type") == "redis":
        host = _expand(lock.get("url"), environ)
        port = int(_expand(lock.get("port"), environ) or 6379)
        out.append(_check_redis(host, port, int(lock.get("db") or 0), _expand(lock.get("password"), environ)))
    broker = data.get("event_broker") or {}
    if broker.get("type") == "pika":
        host = _expand(broker.get("url"), environ)
        port = int(_expand(broker.get("port"), environ) or 5672)
        user = _expand(broker.get("username"), environ)
        password = _expand(broker.get("password"), environ)
        out.append(_check_amqp(host, port, user, password) if host else
                   Check("RabbitMQ event broker", False, "not checked: its host is not set"))
    actions = _expand((data.get("action_endpoint") or {}).get("url"), environ)
    if actions:
        parsed = urlparse(actions)
        problem = _tcp(parsed.hostname or "localhost", parsed.port or 80) if parsed.hostname else "no host"
        # The action servers may start after Rasa: reported, not required.
        out.append(Check("action server", problem is None,
                         f"{parsed.hostname}:{parsed.port or 80} " + ("answers" if problem is None else
                                                                   f"not reachable yet ({problem})"),
                         required=False))
    return out


def _check_redis(host: Optional[str], port: int, db: int, password: Optional[str]) -> Check:
    if not host:
        return Check("Redis lock store", False, "not checked: its host is not set")
    try:
        import redis

        redis.Redis(host=host, port=port, db=db, socket_timeout=3, password=password or None).ping()
        return Check("Redis lock store", True, f"{host}:{port} answers")
    except Exception as exc:
        return Check("Redis lock store", False, f"{host}:{port}: {type(exc).__name__}")


def _check_amqp(host: str, port: int, user: str, password: str) -> Check:
    import asyncio

    async def probe() -> None:
        import aio_pika

        connection = await asyncio.wait_for(
            aio_pika.connect(host=host, port=port, login=user or "guest", password=password or "guest",
                             timeout=5), 8)
        await connection.close()

    try:
        asyncio.run(probe())
        return Check("RabbitMQ event broker", True, f"{host}:{port} accepts the credentials")
    except Exception as exc:
        return Check("RabbitMQ event broker", False, f"{host}:{port}: {type(exc).__name__}")


def check_model(path: Path) -> Check:
    if path.is_dir():
        models = sorted(path.glob("*.tar.gz"))
        return Check("trained model", bool(models), str(models[-1]) if models else f"no *.tar.gz in {path}")
    return Check("trained model", path.exists(), str(path) if path.exists() else f"{path} missing")


def run_checks(environ: Optional[Mapping[str, str]] = None, endpoints: Optional[Path] = None,
               model: Optional[Path] = None) -> List[Check]:
    environ = os.environ if environ is None else environ
    checks = check_secrets(environ, endpoints)
    url = environ.get("COACH_DATABASE_URL")
    if url:
        checks += check_database(url)
    checks += check_services(environ, endpoints)
    if model is not None:
        checks.append(check_model(model))
    return checks


def default_endpoints(environ: Optional[Mapping[str, str]] = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("COACH_ENDPOINTS") or ROOT / "endpoints.production.yml")


# -- the command ----------------------------------------------------------------------------


@click.group("deploy")
def deploy() -> None:
    """Prepare and check a production deployment (see deploy/README.md)."""


@deploy.command("check")
@click.option("--endpoints", "endpoints", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Endpoints file the Rasa servers use (default: COACH_ENDPOINTS or endpoints.production.yml).")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="Also check that this model file (or a *.tar.gz in this folder) exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def deploy_check(endpoints: Optional[Path], model: Optional[Path], as_json: bool) -> None:
    """Check the environment before start: secrets set, database reachable and migrated,
    Redis and RabbitMQ answering. Exits 1 if a required check fails."""
    path = endpoints or default_endpoints()
    if not path.exists():
        click.echo(f"错误 / error: endpoints file {path} not found", err=True)
        sys.exit(2)
    checks = run_checks(endpoints=path, model=model)
    failed = [c for c in checks if c.required and not c.ok]
    if as_json:
        click.echo(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, ensure_ascii=False,
                              indent=2))
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
            click.echo(f"[{mark}] {c.name}: {c.detail}")
        click.echo("ready to start" if not failed else f"{len(failed)} required check(s) failed")
    sys.exit(1 if failed else 0)


@deploy.command("migrate")
def deploy_migrate() -> None:
    """Migrate the database (COACH_DATABASE_URL), create Rasa's events table and load the
    shipped position tables. Run once per release, before the servers start."""
    url = os.environ.get("COACH_DATABASE_URL") or None
    try:
        result = migrate(url)
    except Exception as exc:
        click.echo(f"错误 / error: migration failed ({type(exc).__name__}: {_first_line(exc)})", err=True)
        sys.exit(1)
    click.echo(f"database at revision {result['revision']} (head {result['head']}); Rasa events table ready")
