"""Fixtures of the position-engine tests: a temporary SQLite database with the shipped data."""

import pytest


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory):
    """URL of a temporary SQLite database holding the shipped Henan and Hubei 2026 tables
    (never var/coach.db)."""
    from bot.positions import api

    url = "sqlite:///" + str(tmp_path_factory.mktemp("positions") / "positions.db")
    api.ensure_shipped_data(url)
    return url


@pytest.fixture()
def empty_db(tmp_path):
    """URL of a fresh, migrated, empty SQLite database."""
    from bot.positions import store

    url = "sqlite:///" + str(tmp_path / "empty.db")
    store.ensure_schema(url)
    return url
