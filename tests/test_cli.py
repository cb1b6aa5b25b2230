"""The `coach` command line: help everywhere, cases, backup and restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cases
from tests.conftest import ROOT

COACH = str(Path(sys.executable).with_name("coach"))


def coach(*args: str, env_url: str, stdin: str = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COACH_DATABASE_URL=env_url)
    return subprocess.run([COACH, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, input=stdin)


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield prefix + (name,)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help(sqlite_url):
    from bot.cli import _register_optional, cli

    try:
        _register_optional()
    except ValueError:
        pass
    paths = list(_commands(cli))
    for required in (("run",), ("train",), ("cases", "list"), ("cases", "show"), ("cases", "export"),
                     ("cases", "purge"), ("backup",), ("restore",), ("import-positions",),
                     ("positions", "show"), ("positions", "eligible"), ("users", "add"), ("telegram",)):
        assert required in paths, required
    for path in paths:
        result = coach(*path, "--help", env_url=sqlite_url)
        assert result.returncode == 0 and "Usage" in result.stdout, (path, result.stderr[-300:])


def test_cases_show_json_has_the_contract_keys_even_when_empty(sqlite_url):
    result = coach("cases", "show", "nobody", "--json", env_url=sqlite_url)
    data = json.loads(result.stdout)
    assert set(cases.CASE_KEYS) <= set(data) and data["transcript"] == [] and data["profile"] == {}


def test_cases_list_show_and_export(sqlite_url, tmp_path):
    cases.record_consent("cli-1", True, "v1")
    cases.save_profile("cli-1", education="本科", major="法学")
    listing = coach("cases", "list", env_url=sqlite_url)
    assert "cli-1" in listing.stdout and "1 case(s)" in listing.stdout
    shown = json.loads(coach("cases", "show", "cli-1", "--json", env_url=sqlite_url).stdout)
    assert shown["profile"] == {"education": "本科", "major": "法学"}
    out = tmp_path / "cases.jsonl"
    assert coach("cases", "export", "--out", str(out), env_url=sqlite_url).returncode == 0
    assert [json.loads(l)["sender_id"] for l in out.read_text(encoding="utf-8").splitlines()] == ["cli-1"]


def test_unknown_case_is_a_clear_error(sqlite_url):
    result = coach("cases", "show", "nobody", env_url=sqlite_url)
    assert result.returncode != 0 and "no case" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.postgres
def test_backup_from_sqlite_restores_into_postgresql(sqlite_url, tmp_path, postgres_url):
    # postgres_url switched the process to PostgreSQL; fill SQLite through the CLI's process.
    src = sqlite_url
    subprocess.run([sys.executable, "-c", (
        "from bot import cases; cases.record_consent('bk-1', True, 'v1');"
        "cases.save_profile('bk-1', age=24, major='法学');"
        "cases.add_flag('bk-1', 'complaint', '太慢')")], cwd=ROOT,
        env=dict(os.environ, COACH_DATABASE_URL=src), check=True, capture_output=True)
    backup = tmp_path / "b.json.gz"
    result = coach("backup", "--out", str(backup), env_url=src)
    assert result.returncode == 0, result.stderr
    restored = coach("restore", str(backup), env_url=postgres_url)
    assert restored.returncode == 0, restored.stderr
    case = json.loads(coach("cases", "show", "bk-1", "--json", env_url=postgres_url).stdout)
    assert case["profile"]["age"] == 24 and case["flags"][0]["detail"] == "太慢"
    # Restoring again without --force refuses and changes nothing.
    again = coach("restore", str(backup), env_url=postgres_url)
    assert again.returncode != 0 and "--force" in again.stderr
    # New rows after a restore get fresh ids (sequences moved on).
    subprocess.run([sys.executable, "-c", "from bot import cases; cases.record_consent('bk-2', True, 'v1')"],
                   cwd=ROOT, env=dict(os.environ, COACH_DATABASE_URL=postgres_url), check=True, capture_output=True)


def test_restore_rejects_a_file_that_is_not_a_backup(sqlite_url, tmp_path):
    bogus = tmp_path / "x.json.gz"
    bogus.write_bytes(b"not gzip")
    result = coach("restore", str(bogus), env_url=sqlite_url)
    assert result.returncode != 0 and "not a backup" in result.stderr and "Traceback" not in result.stderr
