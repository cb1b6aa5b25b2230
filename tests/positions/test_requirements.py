"""Parsing of official requirement wording into conditions (bot.positions.requirements)."""

import pytest

from bot.positions.requirements import (
    AgeReq,
    CertificateReq,
    DegreeReq,
    EducationReq,
    FreshGraduateReq,
    GenderReq,
    GrassrootsReq,
    HouseholdReq,
    MajorReq,
    PoliticalReq,
    RegularCollegeReq,
    SpecialGroupReq,
    Unparsed,
    extract_phone,
    parse_age,
    parse_clause,
    parse_degree,
    parse_education,
    parse_experience,
    parse_major_item,
    parse_majors,
    parse_political,
    parse_post,
    parse_target_group,
    zh,
)

UG, MS, PHD, JC = "本科", "硕士研究生", "博士研究生", "大专"


@pytest.mark.parametrize("text, allowed", [
    ("本科及以上", {UG, MS, PHD}),
    ("大专及以上", {JC, UG, MS, PHD}),
    ("仅限本科", {UG}),
    ("本科或硕士研究生", {UG, MS}),
    ("大专或本科", {JC, UG}),
    ("硕士研究生及以上", {MS, PHD}),
    ("仅限硕士研究生", {MS}),
    ("仅限博士研究生", {PHD}),
    ("研究生（硕士及以上）", {MS, PHD}),
    ("研究生（仅限博士）", {PHD}),
    ("高中、职业中专、技工学校及以上", {"高中", JC, UG, MS, PHD}),
])
def test_education(text, allowed):
    req = parse_education(text)
    assert isinstance(req, EducationReq) and req.allowed == frozenset(allowed)


def test_education_blank_and_unknown():
    assert parse_education(None) is None and parse_education("不限") is None
    assert isinstance(parse_education("全日制"), Unparsed)


@pytest.mark.parametrize("text, kind, level", [
    ("与学历相对应的学位", "corresponding", None),
    ("学士", "min", "学士"), ("学士及以上", "min", "学士"), ("硕士及以上", "min", "硕士"), ("博士", "min", "博士"),
])
def test_degree(text, kind, level):
    req = parse_degree(text)
    assert isinstance(req, DegreeReq) and (req.kind, req.level) == (kind, level)
    assert parse_degree("无要求") is None


def test_major_item_layouts():
    it = parse_major_item("应用经济学（0202，仅限税收学、税务学、金融学）", "研究生")
    assert (it.kind, it.code, it.name, it.narrowing) == ("discipline", "0202", "应用经济学", ("税收学", "税务学", "金融学"))
    it = parse_major_item("金融学类（0203）", "本科")
    assert (it.kind, it.code, it.name) == ("class", "0203", "金融学类")
    it = parse_major_item("金融学（020301K）", "本科")
    assert (it.kind, it.code) == ("major", "020301K")
    it = parse_major_item("司法警察学（030106TK）", "本科")
    assert (it.kind, it.code) == ("major", "030106TK")
    it = parse_major_item("理学（07）", "本科")
    assert (it.kind, it.code) == ("category", "07")
    it = parse_major_item("教育（0451，仅限学科教学（英语））", "研究生")
    assert it.narrowing == ("学科教学(英语)",)
    it = parse_major_item("艺术学（含音乐、舞蹈、戏剧与影视、戏曲与曲艺、美术与书法、设计等历史、理论和评论研究）（1301，仅限设计学）", "研究生")
    assert (it.code, it.name, it.narrowing) == ("1301", "艺术学", ("设计学",))
    # Hubei layout: code first.
    it = parse_major_item("020203财政学（含：税收学）", "研究生")
    assert (it.kind, it.code, it.name, it.included) == ("second", "020203", "财政学", ("税收学",))
    it = parse_major_item("1002临床医学（同时设专业学位类别，代码为1051）", "研究生")
    assert (it.kind, it.code, it.alt_codes) == ("discipline", "1002", ("1051",))
    it = parse_major_item("0828Z2农业信息工程", "研究生")
    assert (it.kind, it.code, it.name) == ("second", "0828Z2", "农业信息工程")
    it = parse_major_item("090116TK生物育种科学（授予理学学士学位）", "本科")
    assert (it.kind, it.code, it.name) == ("major", "090116TK", "生物育种科学")
    it = parse_major_item("海岸及近海工程", "研究生")
    assert (it.kind, it.name) == ("name", "海岸及近海工程")


def test_majors_split_by_level():
    req = parse_majors("本科：金融学类（0203），法学类（0301）；研究生：应用经济学（0202，仅限金融学），金融（0251）")
    assert isinstance(req, MajorReq) and not req.unrestricted
    assert [i.code for i in req.items_for("本科")] == ["0203", "0301"]
    assert [i.code for i in req.items_for("研究生")] == ["0202", "0251"]
    assert req.items_for("专科") is None


def test_majors_unrestricted_and_columns():
    assert parse_majors("不限专业").unrestricted
    assert parse_majors(undergrad="不限").unrestricted
    req = parse_majors(undergrad="0301法学类", graduate="0301法学,0351法律")
    assert [i.name for i in req.items_for("研究生")] == ["法学", "法律"]
    req = parse_majors(undergrad="不限", graduate="0301法学")
    assert "本科" in req.open_levels and req.items_for("本科") is None
    assert parse_majors(None, None, None, None) is None
    # Names with 、 inside stay whole; a code-less 、 list is split.
    req = parse_majors(graduate="0256资产评估,会计学、企业管理（含：财务管理、市场营销）、审计学")
    assert [i.name for i in req.items_for("研究生")] == ["资产评估", "会计学", "企业管理", "审计学"]
    req = parse_majors(undergrad="081010T土木、水利与交通工程")
    assert req.items_for("本科")[0].name == "土木、水利与交通工程"


def test_age():
    req = parse_age("18周岁以上、38周岁以下")
    assert (req.min_age, req.max_age, req.fresh_postgrad_max) == (18, 38, None)
    req = parse_age("18周岁以上、30周岁以下，2026年应届硕士、博士研究生为35周岁以下")
    assert (req.min_age, req.max_age, req.fresh_postgrad_max, req.fresh_postgrad_year) == (18, 30, 35, 2026)
    assert isinstance(parse_age("年轻"), Unparsed)


def test_political():
    req = parse_political("中共党员")
    assert req.allowed == {"中共党员"} and req.confirm == {"中共预备党员"}
    req = parse_political("中共党员（含预备党员）")
    assert req.allowed == {"中共党员", "中共预备党员"}
    req = parse_political("非中共党员")
    assert req.allowed == {"群众", "共青团员"} and not req.confirm
    req = parse_political("中共党员或共青团员")
    assert req.allowed == {"中共党员", "共青团员"} and req.confirm == {"中共预备党员"}
    req = parse_political("致公党员、共青团员、无党派人士可以报考")
    assert req.allowed == {"共青团员"} and req.confirm == {"群众"} and req.label.startswith("仅")


@pytest.mark.parametrize("text, years, grassroots", [
    ("具有两年以上基层工作经历", 2, True), ("二年", 2, True), ("具有2年及以上基层工作经历人员", 2, True),
    ("三年以上工作经历", 3, False),
])
def test_experience(text, years, grassroots):
    req = parse_experience(text)
    assert isinstance(req, GrassrootsReq) and (req.min_years, req.grassroots) == (years, grassroots)
    assert parse_experience("无要求") is None and parse_experience("无限制") is None


def test_target_groups():
    (req,) = parse_target_group("2026年应届普通高校毕业生")
    assert isinstance(req, FreshGraduateReq) and req.year == 2026
    (req,) = parse_target_group("具有2年及以上基层工作经历人员")
    assert isinstance(req, GrassrootsReq) and req.min_years == 2
    (req,) = parse_target_group("服务期满考核合格的四项目人员、退役士兵、本县市区在编在岗3年及以上事业编制人员")
    assert isinstance(req, SpecialGroupReq)
    assert req.groups == {"service_project", "veteran", "institution_staff"}
    assert req.detailed == {"service_project", "institution_staff"}  # plain 退役士兵 has no extra condition
    assert parse_target_group("不限") == []


def test_other_requirement_clauses():
    assert parse_clause("限男性")[0] == [GenderReq("限男性", gender="男")]
    (h,), _ = parse_clause("限内黄县户籍或生源", post_city="安阳市", province="河南")
    assert isinstance(h, HouseholdReq) and h.places == ("内黄县",) and h.allow_origin and h.city == "安阳市"
    (c,), _ = parse_clause("取得《法律职业资格证书》A证、B证、C证")
    assert isinstance(c, CertificateReq) and c.any_of == {"legal_A", "legal_B", "legal_C"}
    conds, _ = parse_clause("普通高等学校本科及以上、学士及以上")
    assert {type(x) for x in conds} == {EducationReq, DegreeReq, RegularCollegeReq}
    conds, _ = parse_clause("高校毕业生退役士兵且为中共党员")
    assert {type(x) for x in conds} == {SpecialGroupReq, PoliticalReq}
    assert parse_clause("限主修专业报考") == ([], ["限主修专业报考"])
    conds, notes = parse_clause("需要会游泳")  # unknown 其他要求 text is never ignored
    assert isinstance(conds[0], Unparsed) and not notes
    assert parse_clause("需要会游泳", strict=False) == ([], ["需要会游泳"])


@pytest.mark.parametrize("text, phone", [
    ("近亲属…不得报考；咨询电话：0371-61176087", "0371-61176087"),
    ("咨询电话：0710－8222511。", "0710-8222511"),
    ("咨询电话：0719-8691895、0719-8686990。", "0719-8691895、0719-8686990"),
    ("在本机关最低服务5年。", None),
])
def test_phone(text, phone):
    assert extract_phone(text) == phone


def test_parse_post_collects_conditions_notes_and_phone():
    post = {"education": "本科及以上", "degree": "与学历相对应的学位", "major": "不限专业",
            "age": "18周岁以上、38周岁以下", "other": "限男性；中共党员；限主修专业报考",
            "remarks": "近亲属为本级…工作的不得报考；咨询电话：0371-61176087"}
    req = parse_post(post, exam_year=2026)
    kinds = {type(c).__name__ for c in req.conditions}
    assert {"EducationReq", "DegreeReq", "MajorReq", "AgeReq", "GenderReq", "PoliticalReq", "InSchoolReq"} <= kinds
    assert "限主修专业报考" in req.notes and req.phone == "0371-61176087"


def test_exam_age_limits_come_from_knowledge():
    from bot.knowledge import age_limits

    req = parse_post({}, exam_year=2026, exam_limits=age_limits("国考", 2026))
    (age,) = [c for c in req.conditions if isinstance(c, AgeReq)]
    assert (age.min_age, age.max_age, age.fresh_postgrad_max, age.source) == (18, 38, 43, "exam")
    req = parse_post({}, exam_year=2026, exam_limits=age_limits("湖北省考", 2026))
    (age,) = [c for c in req.conditions if isinstance(c, AgeReq)]
    assert age.max_age is None and age.safe_max == 35


def test_display_punctuation():
    assert zh("本科:法学类(0301),公安学类(0306)") == "本科：法学类（0301），公安学类（0306）"
    assert zh("10:30") == "10:30"
