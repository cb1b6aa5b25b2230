"""`coach deploy check` and `coach deploy migrate` (bot/deploycheck.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import deploycheck
from tests.conftest import ROOT

COACH = str(Path(sys.executable).with_name("coach"))
STRONG = "x7Gq2vN9pL4sT8wZ1kR5"


def _env(url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(COACH_DATABASE_URL=url, COACH_RASA_TOKEN=STRONG + "a", COACH_CONSOLE_SECRET_KEY=STRONG + "b",
               COACH_REDIS_HOST="127.0.0.1", COACH_RABBITMQ_HOST="127.0.0.1", COACH_RABBITMQ_USER="guest",
               COACH_RABBITMQ_PASSWORD="guest", COACH_ACTIONS_URL="http://127.0.0.1:1/webhook")
    env.update(extra)
    return env


def _check(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([COACH, "deploy", "check", "--json", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _by_name(result: subprocess.CompletedProcess) -> dict:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


@pytest.mark.postgres
def test_a_migrated_deployment_passes_and_an_unmigrated_one_does_not(postgres_url, tmp_path):
    import psycopg2

    from tests.conftest import PG_ADMIN_URL

    # postgres_url is migrated (alembic) but has no Rasa events table yet.
    first = _check(_env(postgres_url))
    checks = _by_name(first)
    assert first.returncode == 1
    assert checks["database reachable"]["ok"] and checks["migrations at head"]["ok"]
    assert not checks["Rasa events table"]["ok"] and "coach deploy migrate" in checks["Rasa events table"]["detail"]

    migrated = subprocess.run([COACH, "deploy", "migrate"], cwd=ROOT, env=_env(postgres_url),
                              capture_output=True, text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr
    ok = _check(_env(postgres_url))
    assert ok.returncode == 0, ok.stdout
    checks = _by_name(ok)
    assert checks["Redis lock store"]["ok"] and checks["RabbitMQ event broker"]["ok"]
    # RabbitMQ's guest account is weak but works on one machine: a warning, not a failure.
    assert not checks["secret COACH_RABBITMQ_PASSWORD"]["ok"] and not checks["secret COACH_RABBITMQ_PASSWORD"]["required"]
    # The action servers may start after Rasa: reported, not required.
    assert not checks["action server"]["ok"] and not checks["action server"]["required"]
    # Secrets are never printed (the user name is not a secret).
    assert STRONG not in ok.stdout
    assert "guest" not in checks["secret COACH_RABBITMQ_PASSWORD"]["detail"]

    # A database behind on migrations fails the check.
    conn = psycopg2.connect(postgres_url)
    conn.autocommit = True
    conn.cursor().execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    behind = _by_name(_check(_env(postgres_url)))["migrations at head"]
    assert not behind["ok"] and "0001" in behind["detail"]


def test_missing_or_weak_secrets_and_unreachable_services_fail(tmp_path):
    env = _env("sqlite:///" + str(tmp_path / "x.db"), COACH_RASA_TOKEN="changeme", COACH_REDIS_HOST="127.0.0.1",
               COACH_RABBITMQ_HOST="127.0.0.1")
    del env["COACH_CONSOLE_SECRET_KEY"]
    env["COACH_TELEGRAM_TOKEN"] = "7000000001:AAH-fake"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text((ROOT / "endpoints.production.yml").read_text().replace("port: 6379", "port: 1"))
    result = _check(env, "--endpoints", str(endpoints), "--model", str(tmp_path / "none.tar.gz"))
    assert result.returncode == 1
    checks = _by_name(result)
    assert "SQLite" in checks["secret COACH_DATABASE_URL"]["detail"]
    assert "weak" in checks["secret COACH_RASA_TOKEN"]["detail"]
    assert checks["secret COACH_CONSOLE_SECRET_KEY"]["detail"] == "not set"
    assert not checks["secret COACH_TELEGRAM_SENDER_KEY"]["ok"]
    assert not checks["Redis lock store"]["ok"]
    assert not checks["trained model"]["ok"]
    assert "changeme" not in result.stdout


def test_every_variable_of_the_endpoints_file_is_required(tmp_path):
    names = deploycheck.endpoint_variables(ROOT / "endpoints.production.yml")
    assert {"COACH_ACTIONS_URL", "COACH_REDIS_HOST", "COACH_RABBITMQ_PASSWORD"} <= set(names)
    env = {"COACH_DATABASE_URL": "postgresql://u@h/db"}
    checks = {c.name: c for c in deploycheck.check_secrets(env, ROOT / "endpoints.production.yml")}
    assert not checks["variable COACH_ACTIONS_URL"].ok and checks["variable COACH_ACTIONS_URL"].required
    text = subprocess.run([COACH, "deploy", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("COACH_")},
                               "COACH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert text.returncode == 1 and "[FAIL]" in text.stdout and "Traceback" not in text.stderr
