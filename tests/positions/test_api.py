"""The Python API the dialogue calls (bot.positions.api)."""

import pytest

from bot.positions import api

STUDENT = {"age": 23, "education": "本科", "major": "法学", "grad_year": 2026, "fresh_graduate": True,
           "political_status": "中共党员", "experience_years": 0, "gender": "男", "hukou": "河南郑州"}


def test_resolve_exam_accepts_aliases_and_defaults_to_latest_year(shipped_db):
    assert api.resolve_exam("河南", None, shipped_db) == ("河南省考", 2026)
    assert api.resolve_exam("湖北公务员", 2026, shipped_db) == ("湖北省考", 2026)
    with pytest.raises(api.UnknownExam, match="import-positions"):
        api.resolve_exam("国考", 2026, shipped_db)
    with pytest.raises(api.UnknownExam, match="2026"):
        api.resolve_exam("河南省考", 2025, shipped_db)


def test_check_eligibility_report(shipped_db):
    report = api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db)
    assert sum(report.counts.values()) == len(report.results) == 7509
    assert report.counts["eligible"] == len(report.by_verdict("eligible"))
    assert any("学位" in n for n in report.profile_notes)  # degree not given: said so
    assert any("第十三条" in c for c in report.general_conditions)
    assert any("38周岁" in c for c in report.general_conditions)  # exam-year limit from knowledge
    only = api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db, verdict="needs_confirmation")
    assert len(only.results) == report.counts["needs_confirmation"]
    some = api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db, codes=["11001011", "11001021"])
    assert [r["verdict"] for r in some.results] == ["eligible", "not_eligible"]
    with pytest.raises(api.PostNotFound):
        api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db, codes=["nope"])
    with pytest.raises(api.PositionsError):
        api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db, verdict="maybe")


def test_needs_confirmation_carries_the_phone(shipped_db):
    d = api.check_post({**STUDENT, "gender": "女", "political_status": "中共预备党员"}, "11001021", url=shipped_db)
    assert d["verdict"] == "needs_confirmation"
    assert "咨询电话：0371-61176087" in d["reasons"] and d["phone"] == "0371-61176087"


def test_missing_facts_are_named_not_guessed(shipped_db):
    d = api.check_post({"education": "本科", "major": "法学"}, "11001011", url=shipped_db)
    assert d["verdict"] == "needs_confirmation"
    text = " ".join(d["reasons"])
    for fact in ("年龄", "性别", "政治面貌"):
        assert fact in text


def test_bad_profile_raises_profile_error(shipped_db):
    with pytest.raises(api.ProfileError):
        api.check_eligibility({"education": "幼儿园"}, "河南省考", 2026, url=shipped_db)


def test_search_posts(shipped_db):
    rows = api.search_posts("湖北省考", 2026, city="孝感", keyword="财务", limit=None, url=shipped_db)
    assert rows and all("孝感" in (r["city"] or "") + (r["organ"] or "") + (r["district"] or "") for r in rows)
    eligible = api.search_posts("河南省考", 2026, profile=STUDENT, verdict="eligible", limit=None, url=shipped_db)
    report = api.check_eligibility(STUDENT, "河南省考", 2026, url=shipped_db)
    assert len(eligible) == report.counts["eligible"]
    cheap = api.search_posts("湖北省考", 2026, max_ratio=2, sort="ratio", limit=None, url=shipped_db)
    assert cheap and all(r["ratio"] <= 2 for r in cheap)
    with pytest.raises(api.PositionsError):
        api.search_posts("湖北省考", 2026, verdict="eligible", url=shipped_db)


def test_post_lookup_without_exam(shipped_db):
    assert api.get_post("11001011", url=shipped_db)["exam"] == "河南省考"
    assert api.get_post(" 14230201003000001 ", url=shipped_db)["exam"] == "湖北省考"
    with pytest.raises(api.PostNotFound):
        api.get_post("0000", url=shipped_db)


def test_major_matcher_is_reexported():
    assert api.match_major("学计算机的").name == "计算机科学与技术"
    assert "法学" in api.all_major_names()
