"""The ``coach`` command line: one entry point for running, training and the case database."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Optional

import click

from bot.config import ROOT, settings


def _fail(message: str) -> None:
    click.echo(f"错误 / error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Career-coaching assistant for the civil-service path."""


# -- running and training ----------------------------------------------------------------

@cli.command()
@click.option("--force", is_flag=True, help="Train even when a model for these inputs exists.")
@click.option("--config", default="config.yml", show_default=True, help="Rasa pipeline/policy config.")
def train(force: bool, config: str) -> None:
    """Build the NLP resources and train the Rasa model if its inputs changed."""
    from bot.training import ensure_model, model_path

    existed = model_path(config).exists()
    started = time.perf_counter()
    try:
        path = ensure_model(config, force=force)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    if existed and not force:
        click.echo(f"model up to date: {path.relative_to(ROOT)}")
    else:
        click.echo(f"trained {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")


def prepare_database() -> None:
    prepare_database_at(None)


def prepare_database_at(url: Optional[str]) -> None:
    """Migrates the database and loads the position tables the product ships with."""
    from bot.db import upgrade

    upgrade(url)
    try:
        from bot.positions.api import ensure_shipped_data
    except ImportError:  # the positions engine is optional for the dialogue itself
        return
    ensure_shipped_data(url)


@cli.command()
@click.option("--no-train", is_flag=True, help="Use the newest model for the current inputs; fail if none.")
def run(no_train: bool) -> None:
    """Train if needed, start everything on the embedded defaults and print the URLs."""
    from bot.runner import start_stack
    from bot.training import ensure_model, latest_model

    click.echo("准备数据库 / preparing the database …")
    prepare_database()
    if no_train:
        model = latest_model()
        if model is None:
            _fail("no model for the current training data; run without --no-train")
    else:
        click.echo("检查模型 / checking the model (trains only when the training data changed) …")
        model = ensure_model()
    click.echo(f"model: {model.relative_to(ROOT)}; starting servers …")
    try:
        stack = start_stack(model)
    except RuntimeError as exc:
        _fail(str(exc))
        return
    cfg = settings()
    click.echo("")
    click.echo("Ready / 已启动:")
    click.echo(f"  Rasa REST      POST {stack.urls['rasa']}/webhooks/rest/webhook")
    click.echo(f"  Rasa API       {stack.urls['rasa']}/model/parse")
    if "webchat" in stack.urls:
        click.echo(f"  Web chat       {stack.urls['webchat']}")
    if "telegram" in stack.urls:
        click.echo(f"  Telegram       POST {stack.urls['telegram']} (or: coach telegram --polling)")
    if "console" in stack.urls:
        click.echo(f"  Console        {stack.urls['console']}")
    click.echo(f"  Action server  {stack.urls['actions']}")
    click.echo(f"  Case database  {_safe_url(cfg['database_url'])}")
    if "console" in stack.urls and not _console_accounts():
        click.echo("No console account yet: create one with "
                   "`.venv/bin/coach users add NAME --role admin --agency "
                   f"{cfg['agency'].get('id', 'default')}`.")
    click.echo("Logs in var/run/. Ctrl-C stops everything.")

    def _stop(*_args: object) -> None:
        stack.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        while stack.alive():
            time.sleep(1)
        dead = [p.name for p in stack.processes if p.popen.poll() is not None]
        stack.stop()
        _fail(f"process(es) stopped unexpectedly: {', '.join(dead)} (see var/run/*.log)")
    except KeyboardInterrupt:
        stack.stop()


def _console_accounts() -> int:
    try:
        from sqlalchemy import func, select

        from bot.console.models import User as ConsoleUser
        from bot.db import session_scope

        with session_scope() as session:
            return int(session.execute(select(func.count()).select_from(ConsoleUser)).scalar_one())
    except Exception:
        return 0


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


# -- cases -------------------------------------------------------------------------------

@cli.group()
def cases() -> None:
    """Read the case database."""


@cases.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cases_list(limit: int, offset: int, as_json: bool) -> None:
    """Cases, newest activity first."""
    from bot import cases as repo
    from bot.db import upgrade

    upgrade()
    rows = repo.list_cases(limit=limit, offset=offset)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("(no cases)")
        return
    click.echo(f"{'sender_id':<40} {'channel':<9} {'stage':<14} {'msgs':>5}  last active")
    for r in rows:
        click.echo(f"{r['sender_id'][:40]:<40} {r['channel']:<9} {r['stage']:<14} {r['messages']:>5}  "
                   f"{(r['last_active_at'] or '')[:19]}")
    click.echo(f"{repo.count_cases()} case(s) in all")


@cases.command("show")
@click.argument("sender_id")
@click.option("--json", "as_json", is_flag=True, help="Print the case as one JSON object.")
def cases_show(sender_id: str, as_json: bool) -> None:
    """One case: consent, profile, analyses, flags and the transcript."""
    from bot import cases as repo
    from bot.db import upgrade

    upgrade()
    case = repo.case_json(sender_id)
    if case is None:
        if as_json:
            # Contract keys, empty: nothing is known about this sender.
            click.echo(json.dumps(repo.empty_case(sender_id), ensure_ascii=False, indent=2))
            return
        _fail(f"no case for sender id {sender_id!r}")
    if as_json:
        click.echo(json.dumps(case, ensure_ascii=False, indent=2))
        return
    click.echo(f"case {case['sender_id']}  channel={case['channel']}  stage={case['stage']}")
    consent = case["consent"] or {}
    click.echo(f"consent: {consent.get('given')} (version {consent.get('text_version')}, {consent.get('at')})")
    for key, value in (case["profile"] or {}).items():
        click.echo(f"  {key}: {value}")
    click.echo(f"transcript ({len(case['transcript'])} messages):")
    for m in case["transcript"]:
        click.echo(f"  [{(m['at'] or '')[11:19]}] {m['role']:>4}: {m['text']}")


@cases.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: stdout). One JSON object per line.")
def cases_export(out: Optional[Path]) -> None:
    """All cases as JSON lines (the contract's case objects)."""
    from bot import cases as repo
    from bot.db import upgrade

    upgrade()
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout
    try:
        n = 0
        offset = 0
        while True:
            rows = repo.list_cases(limit=500, offset=offset)
            if not rows:
                break
            for row in rows:
                case = repo.case_json(row["sender_id"])
                if case is not None:
                    sink.write(json.dumps(case, ensure_ascii=False) + "\n")
                    n += 1
            offset += len(rows)
    finally:
        if out:
            sink.close()
    if out:
        click.echo(f"exported {n} case(s) to {out}")


# -- backup and restore ------------------------------------------------------------------

@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Backup file (default: var/backups/coach-<time>.json.gz).")
def backup(out: Optional[Path]) -> None:
    """Write the whole database (cases, conversations, positions) to a portable file."""
    from bot.backup import write_backup

    path, counts = write_backup(out)
    total = sum(counts.values())
    click.echo(f"backup written: {path} ({total} rows in {len(counts)} tables)")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace what the database holds now.")
def restore(file: Path, force: bool) -> None:
    """Load a backup made by `coach backup` into the configured database."""
    from bot.backup import BackupError, read_backup

    try:
        counts = read_backup(file, force=force)
    except BackupError as exc:
        _fail(str(exc))
        return
    click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables from {file}")


def _register_optional() -> None:
    # Sub-command groups that live beside their subsystem.
    from bot.channels.telegram_cli import telegram
    from bot.console.cli import purge_cases, users
    from bot.positions.cli import import_positions, positions
    from bot.deploycheck import deploy

    cli.add_command(deploy)
    cli.add_command(positions)
    cli.add_command(import_positions)
    cli.add_command(telegram)
    cli.add_command(users)
    cases.add_command(purge_cases, "purge")


_register_optional_done = False


def main() -> None:
    global _register_optional_done
    if not _register_optional_done:
        _register_optional()
        _register_optional_done = True
    cli(prog_name="coach")


if __name__ == "__main__":  # pragma: no cover
    main()
