"""Each eligibility rule on its own (bot.positions.rules)."""

import pytest

from bot.positions import rules as R
from bot.positions.profile import Profile, ProfileError
from bot.positions.requirements import (
    AgeReq,
    FreshGraduateReq,
    GenderReq,
    GrassrootsReq,
    HouseholdReq,
    InSchoolReq,
    RegularCollegeReq,
    Unparsed,
    parse_age,
    parse_clause,
    parse_degree,
    parse_education,
    parse_majors,
    parse_political,
    special_group,
)

OK, CONFIRM, FAIL = R.OK, R.CONFIRM, R.FAIL


def P(**kw):
    return Profile.from_dict(kw)


# ----------------------------------------------------------------- profile
def test_profile_normalises_synonyms_and_assumes_degree():
    p = P(education="硕士", political_status="党员", gender="female", fresh_graduate="是", age="24岁")
    assert (p.education, p.political_status, p.gender, p.fresh_graduate, p.age) == ("硕士研究生", "中共党员", "女", True, 24)
    assert p.degree == "硕士" and p.degree_assumed


@pytest.mark.parametrize("bad", [
    {"education": "小学三年级"}, {"age": "abc"}, {"age": 200}, {"political_status": "无所谓"},
    {"gender": "x"}, {"experience_years": "很多"}, {"special_groups": ["外星人"]}, {"major_code": "法学"},
    {"fresh_graduate": "maybe"},
])
def test_profile_errors_are_clear(bad):
    with pytest.raises(ProfileError) as e:
        P(**bad)
    assert list(bad)[0] in str(e.value)


def test_profile_must_be_a_mapping():
    with pytest.raises(ProfileError):
        Profile.from_dict(["本科"])


# ----------------------------------------------------------------- education, degree
def test_rule_education():
    req = parse_education("硕士研究生及以上")
    assert R.rule_education(P(education="硕士研究生"), req).status == OK
    out = R.rule_education(P(education="本科"), req)
    assert out.status == FAIL and out.reason.startswith("学历要求硕士研究生及以上")
    assert R.rule_education(P(), req).status == CONFIRM


def test_rule_degree_corresponding_and_minimum():
    corr = parse_degree("与学历相对应的学位")
    assert R.rule_degree(P(education="本科", degree="学士"), corr).status == OK
    assert R.rule_degree(P(education="本科", degree="无"), corr).status == FAIL
    assert R.rule_degree(P(education="大专", degree="无"), corr).status == OK
    # A master's student holding only a bachelor's degree: the table cannot settle it.
    assert R.rule_degree(P(education="硕士研究生", degree="学士"), corr).status == CONFIRM
    assumed = R.rule_degree(P(education="本科"), corr)
    assert assumed.status == OK and "未提供学位" in assumed.note
    mn = parse_degree("硕士及以上")
    assert R.rule_degree(P(education="本科", degree="学士"), mn).status == FAIL
    assert R.rule_degree(P(education="博士研究生", degree="博士"), mn).status == OK


# ----------------------------------------------------------------- majors
HENAN = parse_majors("本科：金融学类（0203），法学（030101K），理学（07）；"
                     "研究生：应用经济学（0202，仅限金融学），金融（0251），法学（0301）")


@pytest.mark.parametrize("education, major, code, status", [
    ("本科", "金融学", None, OK),            # class 0203
    ("本科", "投资学", None, OK),            # 020304 is also 金融学类
    ("本科", "法学", None, OK),              # major code 030101K (K suffix kept)
    ("本科", "数学与应用数学", None, OK),     # category 07
    ("本科", "汉语言文学", None, FAIL),
    ("本科", "我也说不清", None, CONFIRM),    # not in the catalogue: never guessed
    ("本科", None, "020301K", OK),           # by code
    ("硕士研究生", "金融学", None, OK),       # the 仅限 list names the student's degree title
    ("硕士研究生", "应用经济学", None, CONFIRM),  # discipline right, direction unknown
    ("硕士研究生", "财政学", None, FAIL),     # a known direction the 仅限 list does not name
    ("硕士研究生", "金融", None, OK),         # professional degree 0251
    ("硕士研究生", "法律硕士", None, FAIL),   # 0351 is not listed
    ("硕士研究生", "民商法学", None, OK),     # filed under 法学 0301 in the official tables
    ("大专", "金融服务与管理", None, CONFIRM),  # only 本科/研究生 listed
])
def test_rule_major(education, major, code, status):
    out = R.rule_major(P(education=education, major=major, major_code=code), HENAN)
    assert out.status == status, out


def test_rule_major_reasons_quote_the_table():
    out = R.rule_major(P(education="本科", major="汉语言文学"), HENAN)
    assert "金融学类(0203)" in out.reason or "金融学类（0203）" in out.reason
    out = R.rule_major(P(education="硕士研究生", major="应用经济学"), HENAN)
    assert "仅限金融学" in out.reason


def test_rule_major_levels_and_missing():
    only_ug = parse_majors(undergrad="0203金融学类")
    out = R.rule_major(P(education="硕士研究生", major="金融学"), only_ug)
    assert out.status == CONFIRM and "只列出本科" in out.reason
    assert R.rule_major(P(education="本科"), only_ug).status == CONFIRM      # major missing
    assert R.rule_major(P(major="金融学"), only_ug).status == CONFIRM        # education missing
    assert R.rule_major(P(education="本科", major="哲学"), parse_majors("不限专业")).status == OK
    open_ug = parse_majors(undergrad="不限")
    assert R.rule_major(P(education="硕士研究生", major="哲学"), open_ug).status == OK


def test_rule_major_professional_ambiguity():
    req = parse_majors(graduate="0251金融,0301法学")
    out = R.rule_major(P(education="硕士研究生", major="金融学"), req)
    assert out.status == CONFIRM and "专业学位" in out.reason


def test_rule_major_with_alt_code():
    req = parse_majors(graduate="1002临床医学（同时设专业学位类别，代码为1051）")
    assert R.rule_major(P(education="硕士研究生", major="临床医学", major_code="1051"), req).status == OK


# ----------------------------------------------------------------- age
def test_rule_age_limits_inclusive():
    req = parse_age("18周岁以上、38周岁以下")
    assert R.rule_age(P(age=38), req).status == OK
    assert R.rule_age(P(age=39), req).status == FAIL
    assert R.rule_age(P(age=17), req).status == FAIL
    assert R.rule_age(P(), req).status == CONFIRM


def test_rule_age_fresh_postgraduate_exception():
    req = parse_age("18周岁以上、30周岁以下，2026年应届硕士、博士研究生为35周岁以下")
    base = dict(age=34, education="硕士研究生", fresh_graduate=True, grad_year=2026)
    assert R.rule_age(P(**base), req).status == OK
    assert R.rule_age(P(**{**base, "education": "本科"}), req).status == FAIL
    assert R.rule_age(P(**{**base, "fresh_graduate": False}), req).status == FAIL
    assert R.rule_age(P(**{**base, "grad_year": 2025}), req).status == CONFIRM
    assert R.rule_age(P(**{**base, "age": 36}), req).status == FAIL
    assert R.rule_age(P(**{k: v for k, v in base.items() if k != "fresh_graduate"}), req).status == CONFIRM


def test_rule_age_unknown_upper_limit():
    req = AgeReq("湖北省考2026年度年龄条件：18周岁以上", min_age=18, safe_max=35, source="exam")
    assert R.rule_age(P(age=35), req).status == OK
    out = R.rule_age(P(age=36), req)
    assert out.status == CONFIRM and "招考公告" in out.reason


# ----------------------------------------------------------------- political
def test_rule_political():
    cpc = parse_political("中共党员")
    assert R.rule_political(P(political_status="中共党员"), cpc).status == OK
    out = R.rule_political(P(political_status="共青团员"), cpc)
    assert out.status == FAIL and out.reason.startswith("要求中共党员")
    assert R.rule_political(P(political_status="中共预备党员"), cpc).status == CONFIRM
    assert R.rule_political(P(political_status="中共预备党员"), parse_political("中共党员（含预备党员）")).status == OK
    non = parse_political("非中共党员")
    assert R.rule_political(P(political_status="中共预备党员"), non).status == FAIL
    assert R.rule_political(P(political_status="群众"), non).status == OK
    assert R.rule_political(P(), cpc).status == CONFIRM


# ----------------------------------------------------------------- experience, target groups
def test_rule_grassroots():
    req = GrassrootsReq("具有两年以上基层工作经历", min_years=2)
    assert R.rule_grassroots(P(experience_years=2), req).status == OK
    out = R.rule_grassroots(P(experience_years=1.5), req)
    assert out.status == FAIL and "2年以上基层工作经历" in out.reason
    assert R.rule_grassroots(P(), req).status == CONFIRM
    work = GrassrootsReq("三年以上工作经历", min_years=3, grassroots=False)
    assert R.rule_grassroots(P(experience_years=1), work).status == CONFIRM  # other work may count


def test_rule_fresh_graduate():
    req = FreshGraduateReq("2026年应届普通高校毕业生", year=2026)
    assert R.rule_fresh_graduate(P(fresh_graduate=True), req).status == OK
    assert R.rule_fresh_graduate(P(fresh_graduate=False), req).status == FAIL
    assert R.rule_fresh_graduate(P(), req).status == CONFIRM


def test_rule_special_group():
    req = special_group("服务期满考核合格的四项目人员、退役士兵")
    assert R.rule_special_group(P(special_groups=["退役士兵"]), req).status == OK
    assert R.rule_special_group(P(special_groups=["三支一扶"]), req).status == CONFIRM  # 考核合格 to check
    assert R.rule_special_group(P(special_groups=[]), req).status == FAIL
    assert R.rule_special_group(P(), req).status == CONFIRM


def test_rule_gender():
    req = GenderReq("限男性", gender="男")
    assert R.rule_gender(P(gender="男"), req).status == OK
    out = R.rule_gender(P(gender="女"), req)
    assert (out.status, out.reason) == (FAIL, "限男性")
    assert R.rule_gender(P(), req).status == CONFIRM


def test_rule_household():
    cities = ("郑州市", "安阳市", "南阳市")
    req = HouseholdReq("限内黄县户籍或生源", places=("内黄县",), allow_origin=True, city="安阳市",
                       province="河南", region_places=cities)
    assert R.rule_household(P(hukou="河南省安阳市内黄县"), req).status == OK
    assert R.rule_household(P(hukou="河南郑州", origin="内黄县"), req).status == OK
    assert R.rule_household(P(hukou="河南郑州"), req).status == CONFIRM   # 生源 may still be 内黄
    assert R.rule_household(P(hukou="安阳市"), req).status == CONFIRM      # which county?
    assert R.rule_household(P(hukou="湖北武汉", origin="湖北武汉"), req).status == FAIL
    assert R.rule_household(P(), req).status == CONFIRM
    strict = HouseholdReq("限内黄县户籍", places=("内黄县",), allow_origin=False, city="安阳市",
                          province="河南", region_places=cities)
    assert R.rule_household(P(hukou="湖北武汉"), strict).status == FAIL


def test_rule_certificate():
    (req,), _ = parse_clause("取得《法律职业资格证书》A证")
    assert R.rule_certificate(P(certificates=["法考A证"]), req).status == OK
    assert R.rule_certificate(P(certificates=["法律职业资格证书C证"]), req).status == FAIL
    assert R.rule_certificate(P(certificates=[]), req).status == FAIL
    assert R.rule_certificate(P(), req).status == CONFIRM
    assert R.rule_certificate(P(certificates=["通过了法考"]), req).status == CONFIRM  # which class?


def test_rule_regular_college():
    req = RegularCollegeReq("本科系普通高等学校毕业")
    assert R.rule_regular_college(P(regular_college=True), req).status == OK
    assert R.rule_regular_college(P(regular_college=False), req).status == FAIL
    assert R.rule_regular_college(P(fresh_graduate=True), req).status == OK
    assert R.rule_regular_college(P(fresh_graduate=False), req).status == CONFIRM


def test_rule_in_school():
    req = InSchoolReq("x", exam_year=2026)
    assert R.rule_in_school(P(grad_year=2026), req).status == OK
    assert R.rule_in_school(P(grad_year=2027), req).status == FAIL
    assert R.rule_in_school(P(fresh_graduate=False), req).status == OK
    assert R.rule_in_school(P(), req).status == CONFIRM


def test_rule_unparsed_always_confirms():
    out = R.rule_unparsed(P(age=20), Unparsed("需要会游泳", field_name="其他要求"))
    assert out.status == CONFIRM and "需要会游泳" in out.reason


def test_every_condition_type_has_a_rule():
    import dataclasses

    from bot.positions import requirements as Q

    kinds = [c for c in vars(Q).values() if isinstance(c, type) and issubclass(c, Q.Condition)
             and c is not Q.Condition and dataclasses.is_dataclass(c)]
    assert set(kinds) == set(R.RULES)
