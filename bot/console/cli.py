"""Command-line tools of the console, mounted by ``bot.cli``:

* ``users`` — the group ``coach users`` (add, list, disable, enable, passwd);
* ``purge_cases`` — ``coach cases purge --older-than DAYS [--agency A] [--dry-run]``.
"""

from __future__ import annotations

import sys
from typing import Optional

import click


def _fail(message: str) -> None:
    click.echo(f"错误 / error: {message}", err=True)
    sys.exit(2)


def _prepare() -> None:
    from bot.db import upgrade

    try:
        upgrade()
    except Exception as exc:
        _fail(f"cannot open the case database ({exc.__class__.__name__})")


def _read_password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            _fail("no password on standard input")
        return password
    return click.prompt("Password / 密码", hide_input=True, confirmation_prompt=confirm)


@click.group("users", context_settings={"help_option_names": ["-h", "--help"]})
def users() -> None:
    """Counselor console accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["counselor", "admin"]), default="counselor", show_default=True)
@click.option("--agency", default=None, help="Agency id (default: agency.id of this deployment).")
@click.option("--name", "display_name", default=None, help="Name shown to colleagues, e.g. 张老师.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_add(username: str, role: str, agency: Optional[str], display_name: Optional[str],
              password_stdin: bool) -> None:
    """Create an account (the password is prompted for, or read with --password-stdin)."""
    from bot.config import settings
    from bot.console import accounts, audit
    from bot.db import session_scope

    _prepare()
    agency = agency or str(settings()["agency"].get("id") or "default")
    try:
        # Check the name before asking for a password.
        accounts.check_username(username)
        accounts.check_agency(agency)
    except accounts.AccountError as exc:
        _fail(str(exc))
    password = _read_password(password_stdin)
    try:
        with session_scope() as session:
            user = accounts.create_user(session, username, password, role, agency, display_name)
            audit.record(session, "user_add", username="cli", agency=agency,
                         detail={"user_id": user.id, "role": role, "via": "cli"})
            created = accounts.describe(user)
    except accounts.AccountError as exc:
        _fail(str(exc))
        return
    click.echo(f"created {created['role']} account {created['username']} for agency {created['agency']}")


@users.command("list")
@click.option("--agency", default=None, help="Only this agency.")
def users_list(agency: Optional[str]) -> None:
    """List accounts."""
    from bot.console import accounts
    from bot.console.labels import fmt_time
    from bot.db import session_scope

    _prepare()
    with session_scope() as session:
        rows = [(u.username, u.display_name, u.role, u.agency, u.disabled, fmt_time(u.last_login_at))
                for u in accounts.list_users(session, agency)]
    if not rows:
        click.echo("(no accounts)")
        return
    click.echo(f"{'username':<24} {'role':<10} {'agency':<16} {'status':<9} last login        name")
    for username, name, role, ag, disabled, last in rows:
        click.echo(f"{username:<24} {role:<10} {ag:<16} {'disabled' if disabled else 'active':<9} {last:<17} {name}")


def _set_disabled(username: str, disabled: bool) -> None:
    from bot.console import accounts, audit
    from bot.db import session_scope

    _prepare()
    with session_scope() as session:
        user = accounts.find_user(session, username)
        if user is None:
            _fail(f"no account named {username!r}")
            return
        accounts.set_disabled(session, user, disabled)
        audit.record(session, "user_disable" if disabled else "user_enable", username="cli", agency=user.agency,
                     detail={"user_id": user.id, "via": "cli"})
    click.echo(f"{'disabled' if disabled else 'enabled'} {username}" +
               (" (its sessions are closed)" if disabled else ""))


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account and sign it out everywhere."""
    _set_disabled(username, True)


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Re-enable a disabled account."""
    _set_disabled(username, False)


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def users_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (signs the account out everywhere)."""
    from bot.console import accounts, audit
    from bot.db import session_scope

    _prepare()
    with session_scope() as session:
        if accounts.find_user(session, username) is None:
            _fail(f"no account named {username!r}")
    password = _read_password(password_stdin)
    try:
        with session_scope() as session:
            user = accounts.find_user(session, username)
            accounts.set_password(session, user, password)
            audit.record(session, "user_password", username="cli", agency=user.agency,
                         detail={"user_id": user.id, "via": "cli"})
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"password of {username} changed")


@click.command("purge")
@click.option("--older-than", "days", required=True, type=click.IntRange(min=1),
              help="Delete cases whose last activity is older than this many days.")
@click.option("--agency", default=None, help="Only this agency's cases (default: all).")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_cases(days: int, agency: Optional[str], dry_run: bool) -> None:
    """Delete cases past retention, with their transcripts and Rasa tracker events."""
    from bot.console import audit, purge
    from bot.db import session_scope

    _prepare()
    counts = purge.purge(days, agency=agency, dry_run=dry_run)
    if not dry_run:
        with session_scope() as session:
            audit.record(session, "purge", username="cli", agency=agency,
                         detail={"older_than_days": days, "via": "cli", **counts})
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {counts['cases']} case(s), {counts['messages']} message(s), "
               f"{counts['events']} tracker event(s) (last activity older than {days} days"
               f"{', agency ' + agency if agency else ''})")
