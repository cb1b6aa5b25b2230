"""Fixtures of the coaching-library tests: a temporary SQLite database with the shipped
Henan and Hubei 2026 position tables (same approach as tests/positions; never var/coach.db)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory):
    from bot.positions import api

    url = "sqlite:///" + str(tmp_path_factory.mktemp("coaching") / "positions.db")
    api.ensure_shipped_data(url)
    return url


# A typical final-year student (Chinese-language major) used by several tests.
STUDENT = {
    "age": 23, "education": "本科", "degree": "学士", "major": "汉语言文学", "grad_year": 2026,
    "fresh_graduate": True, "political_status": "共青团员", "experience_years": 0, "gender": "女",
    "hukou": "河南郑州", "target_exam": "湖北省考", "target_year": 2026, "target_region": "武汉",
}


@pytest.fixture()
def student():
    return dict(STUDENT)
