"""Migration 0002 matches the models (SQLite and PostgreSQL); import + query on PostgreSQL."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.db import alembic_config
from bot.db.models import Base

POSITION_TABLES = {"position_posts", "position_snapshots", "position_imports"}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_DB = "coach_test_positions"


def position_diffs(url):
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()

    def table_of(d):
        d = d[0] if isinstance(d, list) else d
        for x in d[1:]:
            name = getattr(x, "name", None) if not isinstance(x, str) else x
            table = getattr(x, "table", None)
            if table is not None:
                return table.name
            if name in POSITION_TABLES:
                return name
        return None

    return [d for d in diffs if table_of(d) in POSITION_TABLES]


def check_upgrade_downgrade(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    engine = create_engine(url, future=True)
    try:
        assert POSITION_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert position_diffs(url) == []
    command.downgrade(cfg, "0001")
    engine = create_engine(url, future=True)
    try:
        assert not POSITION_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    command.upgrade(cfg, "head")


def test_migration_matches_models_on_sqlite(tmp_path):
    check_upgrade_downgrade("sqlite:///" + str(tmp_path / "m.db"))


@pytest.fixture(scope="module")
def pg_url():
    try:
        import psycopg2  # noqa: F401

        admin = create_engine(PG_ADMIN, future=True, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB}"))
            conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    except Exception as exc:  # server down, no driver …
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is unreachable: {exc.__class__.__name__}: {exc}".splitlines()[0])
    url = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    yield url
    from bot.db import dispose_engines
    from bot.positions import store

    store.clear_cache()
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
    admin.dispose()


@pytest.mark.postgres
def test_migration_matches_models_on_postgres(pg_url):
    check_upgrade_downgrade(pg_url)


@pytest.mark.postgres
def test_import_and_query_on_postgres(pg_url, tmp_path):
    from bot.positions import api

    reports = api.ensure_shipped_data(pg_url)
    assert sum(r.posts_new for r in reports) == 7509 + 5224 + 9344
    assert api.ensure_shipped_data(pg_url) == []
    post = api.get_post("14230201003000001", url=pg_url)
    assert [s["applicants"] for s in post["snapshots"]] == [17, 23, 33, 50, 54, 62]
    report = api.check_eligibility({"age": 23, "education": "本科", "degree": "学士", "major": "法学",
                                    "grad_year": 2026, "fresh_graduate": True, "political_status": "中共党员",
                                    "experience_years": 0, "gender": "男", "hukou": "河南郑州"},
                                   "河南省考", 2026, url=pg_url)
    assert sum(report.counts.values()) == 7509
    assert {r["code"]: r["verdict"] for r in report.results}["11001011"] == "eligible"
    # Re-importing one file on PostgreSQL is idempotent too.
    from bot.config import ROOT

    (rep,) = api.import_positions([ROOT / "knowledge/positions/hubei-2026-applicants-by-day.csv"], "湖北省考", 2026,
                                  url=pg_url)
    assert (rep.posts_new, rep.posts_updated, rep.snapshots_new, rep.snapshots_updated) == (0, 0, 0, 0)
