"""Market facts from the position engine and the SWOT built from them."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from bot.coaching import swot
from bot.coaching.swot import build_swot, format_ratio, format_swot, market_facts, split_items
from bot.positions import api


@pytest.fixture(scope="module")
def hubei_facts(shipped_db):
    from tests.coaching.conftest import STUDENT

    return market_facts(STUDENT, "湖北省考", 2026, url=shipped_db)


# --------------------------------------------------------------------------- facts vs the engine's public API
def test_counts_match_check_eligibility(shipped_db, student):
    for exam in ("河南省考", "湖北省考"):
        facts = market_facts(student, exam, 2026, url=shipped_db)
        report = api.check_eligibility(student, exam, 2026, url=shipped_db)
        assert facts["counts"] == report.counts
        assert facts["posts"] == len(report.results) == sum(report.counts.values())
        assert facts["share_eligible"] == round(report.counts["eligible"] * 100 / facts["posts"], 1)


def test_ratio_distribution_matches_search_posts(shipped_db, student, hubei_facts):
    every = api.search_posts("湖北省考", 2026, limit=None, url=shipped_db)
    eligible = api.search_posts("湖北省考", 2026, profile=student, verdict="eligible", limit=None, url=shipped_db)
    all_r = [p["ratio"] for p in every if p["ratio"] is not None]
    el = [p for p in eligible if p["ratio"] is not None]
    r = hubei_facts["ratios"]
    assert r["date"] == "2026-01-18"
    assert r["all"]["median"] == pytest.approx(float(np.median(all_r)), abs=0.01)
    assert r["eligible"]["median"] == pytest.approx(float(np.median([p["ratio"] for p in el])), abs=0.01)
    assert r["eligible"]["posts"] == len(el)
    assert r["highest_eligible"]["ratio"] == pytest.approx(max(p["ratio"] for p in el), abs=0.01)
    assert r["lowest_eligible"]["ratio"] == pytest.approx(min(p["ratio"] for p in el), abs=0.01)
    codes = {p["code"] for p in el}
    assert r["highest_eligible"]["code"] in codes and r["lowest_eligible"]["code"] in codes


def _category(reason: str) -> str:
    if reason.startswith("专业不符合"):
        return "专业"
    if reason.startswith("要求中共党员"):
        return "政治面貌"
    if reason in ("限男性", "限女性"):
        return "性别"
    return "other"


def test_single_reason_misses_match_the_verdict_reasons(shipped_db, student):
    facts = market_facts(student, "河南省考", 2026, url=shipped_db)
    report = api.check_eligibility(student, "河南省考", 2026, url=shipped_db, verdict="not_eligible")
    singles = Counter(_category(r["reasons"][0]) for r in report.results if len(r["reasons"]) == 1)
    got = {m["category"]: m["posts"] for m in facts["misses"]["single"]}
    for cat in ("专业", "政治面貌", "性别"):
        assert got.get(cat, 0) == singles[cat], cat
    assert facts["misses"]["top"]["posts"] == max(got.values())
    # Posts lost to the party-membership requirement: any reason naming it.
    party = sum(1 for r in report.results if any(x.startswith("要求中共党员") for x in r["reasons"]))
    assert facts["restricted"]["party_lost"] == party > 0
    assert facts["restricted"]["party_label"] == "要求中共党员"


def test_fresh_graduate_only_posts_are_counted(shipped_db, student, hubei_facts):
    from bot.positions import store

    posts = store.exam_data("湖北省考", 2026, shipped_db).posts
    fresh = sum(1 for p in posts if "应届" in (p.get("target_group") or ""))
    r = hubei_facts["restricted"]
    assert r["fresh_only"] == fresh > 1000
    assert r["fresh_only_open"] is True and r["fresh_lost"] == 0
    not_fresh = dict(student, fresh_graduate=False, grad_year=2023)
    r2 = market_facts(not_fresh, "湖北省考", 2026, url=shipped_db)["restricted"]
    assert r2["fresh_only_open"] is False and r2["fresh_lost"] == fresh


def test_major_demand(shipped_db, hubei_facts):
    from bot.positions import store

    m = hubei_facts["major"]
    assert m["name"] == "汉语言文学" and m["level"] == "本科"
    assert 0 < m["eligible_accepting"] <= m["accepting_posts"] < hubei_facts["posts"]
    assert sum(c["posts"] for c in m["by_city"]) <= m["accepting_posts"]
    assert m["by_city"] == sorted(m["by_city"], key=lambda c: -c["posts"])
    # Every post counted lists the major's class (0501 中国语言文学类) or the major itself.
    data = store.exam_data("湖北省考", 2026, shipped_db)
    listed = [p for p in data.posts if any(t in (p.get("major_undergrad") or "") for t in ("0501", "汉语言文学"))]
    assert m["accepting_posts"] <= len(listed)
    assert m["accepting_posts"] >= 0.9 * len(listed)


def test_demand_differs_between_majors(shipped_db):
    base = {"age": 23, "education": "本科", "degree": "学士"}
    cs = market_facts(dict(base, major="计算机科学与技术"), "湖北省考", 2026, url=shipped_db)["major"]
    arch = market_facts(dict(base, major="考古学"), "湖北省考", 2026, url=shipped_db)["major"]
    assert cs["accepting_posts"] > arch["accepting_posts"]


def test_henan_has_no_ratios_but_an_age_limit(shipped_db, student):
    facts = market_facts(dict(student, age=36), "河南", 2026, url=shipped_db)
    assert facts["exam"] == "河南省考"
    assert facts["ratios"] is None
    assert any("没有报名人数" in n for n in facts["notes"])
    assert facts["age"]["limit"] == 38 and facts["age"]["years_left"] == 2
    s = build_swot({}, student, facts)
    assert any("38 周岁" in t and "2 岁" in t for t in s["T"])
    assert any("没有报名人数" in t for t in s["T"])


def test_hubei_age_limit_unknown(hubei_facts):
    assert hubei_facts["age"]["limit_known"] is False and hubei_facts["age"]["years_left"] is None


def test_empty_profile_does_not_guess(shipped_db):
    facts = market_facts({}, "湖北省考", 2026, url=shipped_db)
    assert facts["counts"]["eligible"] == 0
    assert facts["major"] is None
    assert facts["misses"]["top"] is None
    assert facts["profile_notes"]
    s = build_swot(None, None, facts)
    assert s["S"] == [] and s["W"] == []
    assert any("还没有一个岗位能确定可报" in t for t in s["T"])


def test_bad_input_gives_clear_errors(shipped_db, student):
    from bot.positions.profile import ProfileError

    with pytest.raises(api.PositionsError) as exc:
        market_facts(student, "火星省考", 2026, url=shipped_db)
    assert "火星省考" in str(exc.value)
    with pytest.raises(api.PositionsError):
        market_facts(student, "湖北省考", 1999, url=shipped_db)
    with pytest.raises(ProfileError):
        market_facts(dict(student, age="很年轻"), "湖北省考", 2026, url=shipped_db)
    with pytest.raises(ProfileError):
        market_facts(["本科"], "湖北省考", 2026, url=shipped_db)  # type: ignore[arg-type]


def test_fast_enough_for_a_chat_turn(shipped_db, student):
    market_facts(student, "湖北省考", 2026, url=shipped_db)  # compiled and cached
    t = time.perf_counter()
    for age in (22, 25, 28):
        market_facts(dict(student, age=age), "湖北省考", 2026, url=shipped_db)
    assert (time.perf_counter() - t) / 3 < 0.5


def test_facts_are_json_ready(hubei_facts):
    import json

    assert json.loads(json.dumps(hubei_facts, ensure_ascii=False))["exam"] == "湖北省考"


# --------------------------------------------------------------------------- answers -> S and W
@pytest.mark.parametrize("text,items", [
    ("细心、有耐心；肯吃苦", ["细心", "有耐心", "肯吃苦"]),
    ("做事认真，但是有点慢", ["做事认真，但是有点慢"]),
    ("1. 表达不够清楚 2. 缺乏社会实践", ["表达不够清楚", "缺乏社会实践"]),
    ("我觉得我的优点是细心", ["细心"]),
    ("有2.5年经验、会PS", ["有2.5年经验", "会PS"]),
    ("细心、细心", ["细心"]),
    ("未回答", []), ("", []), (None, []), ("跳过", []),
])
def test_split_items(text, items):
    assert split_items(text) == items


def test_strengths_and_weaknesses_keep_the_students_words():
    answers = {
        "strengths": "细心、文字功底不错", "weaknesses": "不太会表达；缺乏实践",
        "what_can_do": "写材料", "support": "未回答", "interests": "读书、写作",
        "personality_strangers": "有点拘束，话少", "personality_friends": "很活泼",
    }
    s = build_swot(answers, {}, {})
    assert s["S"][:2] == ["细心", "文字功底不错"]
    assert "能做好的事：写材料" in s["S"] and "兴趣所在：读书、写作" in s["S"]
    assert not any("未回答" in x for x in s["S"] + s["W"])
    assert s["W"][:2] == ["不太会表达", "缺乏实践"]
    assert "面对陌生人时：有点拘束，话少" in s["W"]       # shy with strangers -> a weakness
    assert s["O"] == [] and s["T"] == []
    confident = build_swot({"personality_strangers": "很快就能聊起来"}, {}, {})
    assert "面对陌生人时：很快就能聊起来" in confident["S"] and confident["W"] == []


# --------------------------------------------------------------------------- facts -> O and T (hand-made facts)
FACTS = {
    "exam": "湖北省考", "year": 2026, "posts": 1000,
    "counts": {"eligible": 300, "needs_confirmation": 50, "not_eligible": 650}, "share_eligible": 30.0,
    "major": {"name": "法学", "accepting_posts": 120, "accepting_openings": 150, "share": 12.0,
              "eligible_accepting": 80, "unrestricted_posts": 200,
              "by_city": [{"city": "武汉市", "posts": 40}, {"city": "宜昌市", "posts": 20}]},
    "ratios": {"all": {"median": 21.0, "p75": 34.12}, "eligible": {"median": 30.5, "one_in_a_thousand": 2},
               "highest_eligible": {"code": "H1", "ratio": 1500.0, "name": "综合岗"},
               "lowest_eligible": {"code": "L1", "ratio": 3.0, "unit": "某县司法局", "name": "执法岗"}},
    "misses": {"top": {"category": "政治面貌", "reason": "要求中共党员", "posts": 90}},
    "restricted": {"party_only": 100, "party_lost": 95, "party_label": "要求中共党员",
                   "grassroots_required": 30, "grassroots_lost": 30, "grassroots_min_years": 2.0,
                   "fresh_only": 400, "fresh_lost": 400, "fresh_only_open": False},
    "age": {"age": 35, "limit": 38, "limit_known": True, "years_left": 3},
}


def test_opportunities_and_threats_from_facts():
    s = build_swot({}, {"political_status": "共青团员"}, FACTS)
    o, t = "\n".join(s["O"]), "\n".join(s["T"])
    assert "120 个岗位（150 个名额）" in o and "法学" in o and "武汉市、宜昌市" in o and "80 个" in o
    assert "300 个（30.0%）" in o and "另有 50 个" in o
    assert "L1" in o and "3:1" in o
    assert "21:1" in t and "34.1:1" in t                      # all posts' median and upper quartile
    assert "竞争比中位数 30.5:1" in t                           # eligible posts are more crowded
    assert "2 个竞争比达到 1000:1" in t
    assert "95 个岗位因政治面貌" in t
    assert "30 个岗位要求 2 年以上基层工作经历" in t
    assert "400 个岗位只招应届毕业生，你不在此列" in t
    assert "38 周岁" in t and "只剩 3 岁" in t
    assert "最常见的单一原因" not in t                            # already covered by the party sentence
    assert s["T"][0].startswith("2026年湖北省考全部岗位")          # most pressing first
    assert "38 周岁" in s["T"][1]
    assert len(s["T"]) <= swot.MAX_FACT_ITEMS and len(s["O"]) <= swot.MAX_FACT_ITEMS


def test_opportunities_for_a_party_member_fresh_graduate():
    facts = dict(FACTS, restricted=dict(FACTS["restricted"], party_lost=0, fresh_lost=0, fresh_only_open=True,
                                        grassroots_lost=0))
    s = build_swot({}, {"political_status": "中共党员", "experience_years": 3}, facts)
    o = "\n".join(s["O"])
    assert "400 个岗位只招应届毕业生，你正好具备" in o
    assert "100 个岗位要求中共党员" in o
    assert "你的 3 年经历可以派上用场" in o
    assert len(s["O"]) == swot.MAX_FACT_ITEMS == 7


def test_top_single_reason_when_not_covered():
    facts = dict(FACTS, misses={"top": {"category": "专业", "reason": "专业不在职位要求的范围内", "posts": 500}},
                 restricted={})
    t = "\n".join(build_swot({}, {}, facts)["T"])
    assert "最常见的单一原因是“专业不在职位要求的范围内”：有 500 个岗位" in t


def test_real_facts_give_four_parts(hubei_facts, student):
    s = build_swot({"strengths": "细心", "weaknesses": "表达一般"}, student, hubei_facts)
    assert s["S"] == ["细心"] and s["W"] == ["表达一般"]
    assert s["O"] and s["T"]
    med = format_ratio(hubei_facts["ratios"]["all"]["median"])
    assert any(med in x for x in s["T"])
    assert any(str(hubei_facts["major"]["accepting_posts"]) in x for x in s["O"])


def test_build_swot_tolerates_garbage():
    s = build_swot("abc", 42, ["x"])  # type: ignore[arg-type]
    assert s == {"S": [], "W": [], "O": [], "T": []}
    s = build_swot({"strengths": 123, "weaknesses": ["慢", None]}, {}, {"ratios": "x", "major": None})
    assert s["S"] == ["123"]


# --------------------------------------------------------------------------- formatting
def test_format_swot():
    text = format_swot({"S": ["细心"], "W": [], "O": ["机会一"], "T": "单条威胁"})
    for title in ("优势（S）", "劣势（W）", "机会（O）", "威胁（T）"):
        assert f"【{title}】" in text
    assert "• 细心" in text and "• 单条威胁" in text
    assert "还没有说到自己的不足" in text
    assert "【优势（S）】" in format_swot(None)


@pytest.mark.parametrize("value,text", [(21.0, "21:1"), (34.125, "34.1:1"), (5.5, "5.5:1"), (1234.4, "1234:1"),
                                        (0, "0:1"), (None, "—"), ("abc", "—"), (float("nan"), "—")])
def test_format_ratio(value, text):
    assert format_ratio(value) == text
