"""Competition ratios, ranks, trends, alternatives and the PNG chart."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from bot.config import ROOT
from bot.positions import api, chart
from bot.positions.engine import ELIGIBLE

CSV = ROOT / "knowledge" / "positions" / "hubei-2026-applicants-by-day.csv"
STUDENT = {"age": 24, "education": "本科", "degree": "学士", "major": "汉语言文学", "grad_year": 2026,
           "fresh_graduate": True, "political_status": "共青团员", "experience_years": 0, "gender": "女",
           "hukou": "湖北武汉"}


@pytest.fixture(scope="module")
def by_day():
    df = pd.read_csv(CSV, dtype={"职位代码": str})
    df["ratio"] = df["报名人数_2026-01-18"] / df["招录人数"]
    return df.set_index("职位代码")


def test_ratio_rank_and_percentile_match_an_independent_count(shipped_db, by_day):
    for code in ["14230201003000001", "14230202001003001", by_day["ratio"].idxmax(), by_day["ratio"].idxmin()]:
        stats = api.post_competition(code, url=shipped_db)
        r = by_day.loc[code, "ratio"]
        assert stats["ratio"] == round(r, 2)
        assert stats["rank_all"] == int((by_day["ratio"] > r).sum()) + 1
        assert stats["percentile_all"] == round((by_day["ratio"] <= r).mean() * 100, 1)
        assert stats["posts_ranked"] == len(by_day)
        days = [c for c in by_day.columns if c.startswith("报名人数_")]
        assert [s["applicants"] for s in stats["snapshots"]] == [int(by_day.loc[code, c]) for c in days]
        assert [s["date"] for s in stats["snapshots"]] == [c.split("_")[1] for c in days]
    top = api.post_competition(by_day["ratio"].idxmax(), url=shipped_db)
    assert top["rank_all"] == 1 and top["percentile_all"] == 100.0
    assert top["one_in_a_thousand"] == (by_day["ratio"].max() >= 1000)


def test_rank_among_eligible_posts(shipped_db, by_day):
    data, ev = api.evaluation_for(STUDENT, "湖北省考", 2026, url=shipped_db)
    eligible = [c for c, v in zip(data.compiled.codes, ev.verdict) if v == ELIGIBLE]
    code = eligible[len(eligible) // 2]
    stats = api.post_competition(code, profile=STUDENT, url=shipped_db)
    pool = by_day.loc[eligible, "ratio"]
    r = by_day.loc[code, "ratio"]
    assert stats["verdict"] == "eligible"
    assert stats["rank_eligible"] == int((pool > r).sum()) + 1
    assert stats["eligible_ranked"] == len(eligible)


def test_compare_offers_better_eligible_alternatives(shipped_db, by_day):
    data, ev = api.evaluation_for(STUDENT, "湖北省考", 2026, url=shipped_db)
    eligible = {c for c, v in zip(data.compiled.codes, ev.verdict) if v == ELIGIBLE}
    shortlist = sorted(eligible, key=lambda c: -by_day.loc[c, "ratio"])[:3]
    result = api.compare_posts(shortlist, profile=STUDENT, url=shipped_db)
    assert [p["code"] for p in result["posts"]] == shortlist
    assert result["eligible_posts"]["posts"] == len(eligible)
    posts = {p["code"]: p for p in data.posts}
    for p in result["posts"]:
        assert p["alternatives"], p["code"]
        for alt in p["alternatives"]:
            assert alt["code"] in eligible and alt["code"] not in shortlist
            assert alt["ratio"] < p["ratio"]
            me, other = posts[p["code"]], posts[alt["code"]]
            assert me["city"] == other["city"] or me["family"] == other["family"]
    assert result["all_posts"]["median"] == round(float(by_day["ratio"].median()), 2)


def test_henan_has_no_ratios_and_says_so(shipped_db):
    result = api.compare_posts(["11001011"], url=shipped_db)
    assert result["date"] is None and "报名人数" in result["note"]
    assert result["posts"][0]["ratio"] is None
    with pytest.raises(api.ChartError):
        api.compare_chart(["11001011"], url=shipped_db)


def test_compare_requires_same_exam(shipped_db):
    with pytest.raises(api.PostNotFound):
        api.compare_posts(["14230201003000001", "11001011"], url=shipped_db)


def test_chart_is_a_png_with_chinese_glyphs(shipped_db):
    assert chart.cjk_font_path() is not None, "no CJK font installed (fonts-wqy-zenhei)"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = api.compare_chart(["14230202001003001", "14230201007000001"], profile=STUDENT, url=shipped_db)
    assert not [w for w in caught if "missing from current font" in str(w.message)], caught
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[0] > 300 and img.shape[1] > 600
    assert np.unique(img.reshape(-1, img.shape[2]), axis=0).shape[0] > 10  # not a blank canvas


def test_chart_without_cjk_font_is_a_clear_error(shipped_db, monkeypatch):
    monkeypatch.setattr(chart, "cjk_font_path", lambda: None)
    with pytest.raises(chart.ChartError, match="中文字体"):
        api.compare_chart(["14230202001003001"], url=shipped_db)
