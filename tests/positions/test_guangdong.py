"""Guangdong 2026: the shipped table as published, its A/B/C major catalogue, golden cases."""

from pathlib import Path

import pytest
import yaml

from bot.positions import api, gdmajors, rules, store
from bot.positions.profile import Profile

GOLDEN = Path(__file__).with_name("guangdong_golden.yml")
SHEETS = {"县以上机关": 5027, "公安": 863, "法院": 532, "检察院": 261, "监狱戒毒": 318, "乡镇机关": 2343}


def golden():
    raw = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    return raw["profiles"], raw["cases"]


def test_golden_set_covers_every_sheet_and_verdict():
    profiles, cases = golden()
    assert len(cases) >= 30
    assert {c["sheet"] for c in cases} == set(SHEETS)
    assert {c["expect"] for c in cases} == {"eligible", "not_eligible", "needs_confirmation"}
    assert len({c["id"] for c in cases}) == len(cases)
    assert all(c["profile"] in profiles and c.get("why") for c in cases)
    assert all(c.get("reasons") for c in cases if c["expect"] != "eligible")


def test_golden_cases(shipped_db):
    profiles, cases = golden()
    data = store.exam_data("广东省考", 2026, shipped_db)
    wrong = []
    for c in cases:
        assert data.posts[data.compiled.index_of[c["code"]]]["section"] == c["sheet"], c["id"]
        got = api.check_post(profiles[c["profile"]], c["code"], "广东省考", 2026, url=shipped_db)
        text = " ".join(got["reasons"])
        missing = [w for w in c.get("reasons", []) if w not in text]
        if got["verdict"] != c["expect"] or missing:
            wrong.append(f"{c['id']} {c['code']} {c['profile']}: expected {c['expect']}"
                         f"{' with ' + '/'.join(missing) if missing else ''}, got {got['verdict']}: {got['reasons']}")
    assert not wrong, "\n".join(wrong)


def test_table_imports_with_every_sheet_and_column(shipped_db):
    data = store.exam_data("广东省考", 2026, shipped_db)
    assert data.compiled.size == sum(SHEETS.values())
    by_section = {}
    for p in data.posts:
        by_section[p["section"]] = by_section.get(p["section"], 0) + 1
    assert by_section == SHEETS
    assert sum(p["openings"] for p in data.posts) == 11779  # the notice's planned intake
    post = api.get_post("20100012646002", "广东省考", 2026, url=shipped_db)
    assert post["city"] == "广州市" and post["family"] == "行政执法类"
    assert post["requirements"]["major_graduate"] == "应用经济学(A0202),法学(A0301)"
    assert any("心理素质测评" in n for n in post["parsed"]["notes"])
    # The yes/no columns: 是否要求2年以上基层工作经历 / 是否限应届毕业生报考.
    post = api.get_post("19900632641002", "广东省考", 2026, url=shipped_db)
    assert post["requirements"]["grassroots_experience"] == "具有2年以上基层工作经历"
    assert api.get_post("19900512641003", "广东省考", 2026, url=shipped_db)["requirements"]["identity"] == \
        "2026届高校毕业生"
    # The 乡镇 sheet's 配套措施 (printed above its header) reaches its posts as a note.
    notes = api.get_post("60100512659001", "广东省考", 2026, url=shipped_db)["parsed"]["notes"]
    assert any("最低服务年限为5年" in n for n in notes)


def test_nearly_every_condition_is_understood(shipped_db):
    data = store.exam_data("广东省考", 2026, shipped_db)
    unparsed = {}
    for req in data.compiled.requirements:
        for c in req.conditions:
            if type(c).__name__ == "Unparsed":
                unparsed[c.text] = unparsed.get(c.text, 0) + 1
    # Only the school restriction of the prison posts is left to a person.
    assert unparsed == {"司法部属或省内司法警官院校毕业生": 10}


def test_guangdong_is_an_exam_choice(shipped_db):
    from bot.knowledge import age_limits, canonical_exam
    from bot.normalize import normalize_exam

    assert canonical_exam("广东") == "广东省考" and canonical_exam("想考广东省考") == "广东省考"
    assert normalize_exam("省考", "广东·广州市").value == "广东省考"
    assert api.resolve_exam("广东", url=shipped_db) == ("广东省考", 2026)
    lim = age_limits("广东省考", 2026)
    assert (lim["min"], lim["max"], lim["max_fresh_postgrad"]) == (18, 38, 43) and "2026" in lim["source"]


# --------------------------------------------------------------------------- catalogue
def test_catalogue_json_is_derived_from_the_shipped_xls():
    from bot.positions.derive_guangdong_catalogue import OUT, derive

    import json

    assert json.loads(OUT.read_text(encoding="utf-8")) == json.loads(json.dumps(derive(), ensure_ascii=False))


@pytest.mark.parametrize("name, level, codes", [
    ("法学", "本科", ["B030101"]),
    ("法学", "研究生", ["A0301"]),            # the discipline: direction unknown
    ("民商法学", "研究生", ["A030105"]),
    ("保险学", "研究生", ["A020204"]),         # 金融学（含：保险学）
    ("财务管理", "研究生", ["A120202"]),       # 企业管理（含：财务管理、…）
    ("金融", "研究生", ["A020212"]),           # the 2022 professional degree = 金融硕士（专业硕士）
    ("电子信息", "研究生", ["A0840"]),
    ("刑事执行", "大专", ["C030201"]),
    ("土木工程", "本科", ["B081101"]),          # B081101 here, 081001 in the national catalogue
    ("货币银行学", "本科", ["B020301"]),        # a former name of 金融学
    ("量子占卜学", "本科", []),
])
def test_names_are_placed_in_the_catalogue(name, level, codes):
    assert [g.code for g in gdmajors.codes_for([name], level)] == codes


def test_code_matching_rules():
    ok, confirm, fail = gdmajors.OK, gdmajors.CONFIRM, gdmajors.FAIL
    assert gdmajors.match_code("A030105", "A03") == ok
    assert gdmajors.match_code("A030105", "A0301") == ok
    assert gdmajors.match_code("A0301", "A030105") == confirm     # student broader than the post
    assert gdmajors.match_code("A030105", "A030104") == fail
    assert gdmajors.match_code("B030101", "G06") == ok             # 06法律类 lists 法学类 B0301
    assert gdmajors.match_code("A084004", "G11") == ok             # a listed 专业硕士 field
    assert gdmajors.match_code("B050101", "G06") == fail
    partial = gdmajors.codes_for(["统计学"], "研究生")              # 统计学（部分）under A0202 and A0714
    assert gdmajors.match_codes(partial, "A0714") == confirm
    assert gdmajors.describe("G06") == "06法律类" and gdmajors.describe("A0301") == "法学（A0301）"


def test_student_major_carries_guangdong_places_for_national_names():
    sm = rules.student_major("本科", "软件工程", None)
    assert [g.code for g in sm.gd_codes] == ["B080902"]
    sm = rules.student_major("本科", None, "080902")   # the national code: its name decides
    assert [g.code for g in sm.gd_codes] == ["B080902"]
    sm = rules.student_major("硕士研究生", "法律硕士", None)
    assert {g.code for g in sm.gd_codes} == {"A030111", "A030112"}


def test_profile_facts_used_by_guangdong_rules():
    p = Profile.from_dict({"undergrad_major": "法学", "ethnicity": "瑶", "special_groups": ["港澳居民"]})
    assert p.undergrad_major == "法学" and p.ethnicity == "瑶族" and p.special_groups == {"hk_macao"}
