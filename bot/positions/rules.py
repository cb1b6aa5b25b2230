"""Eligibility rules: one small function per kind of requirement.

Each rule takes the normalised :class:`~bot.positions.profile.Profile` and one parsed
condition from :mod:`bot.positions.requirements` and returns an :class:`Outcome`:
``OK``, ``FAIL`` with the failing condition in plain Chinese, or ``CONFIRM`` with what
cannot be decided mechanically (a missing fact, or wording the table leaves open).
Rules never guess: a fact the profile lacks gives ``CONFIRM`` naming the fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, Optional, Sequence, Tuple, Type

from bot.positions import gdmajors as gd
from bot.positions import majors as cat
from bot.positions.profile import Profile
from bot.positions.requirements import (
    CORRESPONDING_DEGREE,
    DEGREE_RANK,
    EDU_RANK,
    SPECIAL_GROUPS,
    AgeReq,
    CertificateReq,
    Condition,
    DegreeReq,
    EducationReq,
    EthnicityReq,
    FreshGraduateReq,
    GenderReq,
    GrassrootsReq,
    HouseholdReq,
    InSchoolReq,
    MajorItem,
    MajorReq,
    PoliticalReq,
    PriorMajorReq,
    RegularCollegeReq,
    SpecialGroupReq,
    Unparsed,
)

OK, CONFIRM, FAIL = 0, 1, 2
STATUS_NAMES = {OK: "ok", CONFIRM: "confirm", FAIL: "fail"}


@dataclass(frozen=True)
class Outcome:
    status: int
    reason: Optional[str] = None
    note: Optional[str] = None


PASS = Outcome(OK)


def _missing(fact: str, context: str = "") -> Outcome:
    return Outcome(CONFIRM, f"需补充信息：{fact}" + (f"（{context}）" if context else ""))


def _short(text: str, limit: int = 90) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- education, degree
def rule_education(p: Profile, req: EducationReq) -> Outcome:
    """学历: the student's level must be one the post admits."""
    if p.education is None:
        return _missing("学历", f"学历要求{req.text}")
    if p.education in req.allowed:
        return PASS
    return Outcome(FAIL, f"学历要求{req.text}（你的学历：{p.education}）")


def rule_degree(p: Profile, req: DegreeReq) -> Outcome:
    """学位: 与学历相对应的学位, or a minimum degree (学士及以上 …)."""
    if p.degree is None:
        return _missing("学位", f"学位要求{req.text}")
    note = (f"未提供学位，按与学历相对应的学位（{p.degree}）判断" if p.degree_assumed else None)
    if req.kind == "corresponding":
        if p.education is None:
            return _missing("学历", f"学位要求{req.text}")
        needed = CORRESPONDING_DEGREE[p.education]
        if DEGREE_RANK[p.degree] >= DEGREE_RANK[needed]:
            return Outcome(OK, note=note)
        if p.degree != "无" and EDU_RANK[p.education] > EDU_RANK["本科"]:
            # A graduate without the graduate degree may or may not apply on a lower level.
            return Outcome(CONFIRM, f"要求与学历相对应的学位：你的学位（{p.degree}）与学历（{p.education}）"
                                    "不对应，能否以较低学历学位报考请咨询招录机关")
        return Outcome(FAIL, f"要求与学历相对应的学位（{p.education}需{needed}学位）")
    if req.kind == "set":
        if p.degree in req.allowed:
            return Outcome(OK, note=note)
        if DEGREE_RANK[p.degree] > max(DEGREE_RANK[d] for d in req.allowed):
            return Outcome(CONFIRM, f"学位要求{req.text}，你的学位（{p.degree}）高于所列学位，能否报考请咨询招录机关")
        return Outcome(FAIL, f"学位要求{req.text}（你的学位：{p.degree}）")
    need = req.level or "学士"
    if DEGREE_RANK[p.degree] >= DEGREE_RANK[need]:
        return Outcome(OK, note=note)
    return Outcome(FAIL, f"学位要求{need}及以上（你的学位：{p.degree}）")


# --------------------------------------------------------------------------- majors
@dataclass(frozen=True)
class StudentMajor:
    """The student's major as the major rule sees it, on the level they apply with."""

    level: Optional[str]            # 专科 / 本科 / 研究生 (from education)
    text: Optional[str]
    names: FrozenSet[str]           # names compared with item names and 仅限 lists
    decisive: bool                  # code known in the level's catalogue
    code: str = ""                  # 6 digits (本科) / 4 digits (研究生) when decisive
    class_code: str = ""
    category_code: str = ""
    direction: Optional[str] = None  # graduate: a second-level name (金融学) when not a discipline
    recognized: bool = False        # text is a catalogue name: a differing name is a real mismatch
    inferred: bool = False          # discipline taken from the observed second-level list
    uncertain_codes: FrozenSet[str] = frozenset()  # professional degrees the name may also mean
    candidates: FrozenSet[str] = frozenset()  # possible disciplines when not decisive (observed)
    gd_codes: Tuple[gd.GdCode, ...] = ()     # places in Guangdong's catalogue (A/B/C codes), by name


@lru_cache(maxsize=1)
def _observed() -> Dict[str, Any]:
    from bot.knowledge import load_json

    try:
        return load_json("majors/graduate-second-level-observed.json")
    except FileNotFoundError:
        return {}


def observed_second_level() -> Dict[str, str]:
    """Second-level name -> 2022 discipline code, as filed in the shipped official tables
    (knowledge/majors/graduate-second-level-observed.json, see derive_second_level.py)."""
    return {name: v["discipline"] for name, v in (_observed().get("names") or {}).items()}


def observed_candidates(name: str) -> Tuple[FrozenSet[str], str]:
    """(possible discipline codes, their common category or '') of an ambiguous name."""
    v = (_observed().get("ambiguous") or {}).get(name)
    if not v:
        return frozenset(), ""
    return frozenset(v.get("candidates") or ()), v.get("category") or ""


def _professional_near(name: str, code: str) -> FrozenSet[str]:
    """Professional degrees a student may mean by a second-level name (金融学 ~ 金融 0251)."""
    out = set()
    for m in cat.graduate_disciplines():
        if m.professional and m.code != code and len(m.name) >= 2 and name.startswith(m.name):
            out.add(m.code)
    return frozenset(out)


_LEVEL_OF_EDU = {"高中": None, "大专": "专科", "本科": "本科", "硕士研究生": "研究生", "博士研究生": "研究生"}


def _clean_major(text: str) -> str:
    t = re.sub(r"\s+", "", text)
    t = re.sub(r"(专业|方向)$", "", t)
    return t


@lru_cache(maxsize=4096)
def student_major(education: Optional[str], major: Optional[str], major_code: Optional[str]) -> StudentMajor:
    sm = _student_major(education, major, major_code)
    if sm.names and sm.level:
        import dataclasses

        sm = dataclasses.replace(sm, gd_codes=gd.codes_for(sm.names, sm.level))
    return sm


def _student_major(education: Optional[str], major: Optional[str], major_code: Optional[str]) -> StudentMajor:
    level = _LEVEL_OF_EDU.get(education) if education else None
    if not major and not major_code:
        return StudentMajor(level=level, text=None, names=frozenset(), decisive=False)
    text = _clean_major(major or "")
    names = {text} if text else set()
    if level == "本科":
        m = cat.lookup_code(major_code, cat.UNDERGRADUATE) if major_code else None
        if m is None and text:
            m = cat.match_major(text, level=cat.UNDERGRADUATE)
            if m is not None and (not m.decisive or m.level != cat.UNDERGRADUATE):
                recognized = m is not None and m.decisive
                return StudentMajor(level, text, frozenset(names), False, recognized=False)
        if m is None:
            return StudentMajor(level, text, frozenset(names), False)
        names.add(m.name)
        digits = cat.code_digits(m.code)
        return StudentMajor(level, text, frozenset(names), True, code=digits, class_code=digits[:4],
                            category_code=digits[:2], recognized=True)
    if level == "研究生":
        digits = cat.code_digits(major_code or "")
        if len(digits) == 4:
            m = cat.lookup_code(digits, cat.GRADUATE)
            if m is not None:
                names.add(m.name)
                direction = text if text and text != m.name else None
                return StudentMajor(level, text, frozenset(names), True, code=digits, class_code=digits,
                                    category_code=digits[:2], direction=direction, recognized=True)
        if len(digits) == 6:  # an old second-level code: discipline = first four digits
            m = cat.lookup_code(digits[:4], cat.GRADUATE)
            if m is not None:
                return StudentMajor(level, text, frozenset(names), True, code=digits[:4],
                                    class_code=digits[:4], category_code=digits[:2],
                                    direction=text or None, recognized=bool(text))
        if text:
            g = cat.match_major(text, level=cat.GRADUATE)
            if g is not None and g.decisive and g.level == cat.GRADUATE:
                names.add(g.name)
                return StudentMajor(level, text, frozenset(names), True, code=g.code, class_code=g.code,
                                    category_code=g.category_code, recognized=True)
            observed = observed_second_level() if not major_code else {}
            if text in observed:
                # A second-level name the official tables file under one discipline.
                d = observed[text]
                return StudentMajor(level, text, frozenset(names), True, code=d, class_code=d,
                                    category_code=d[:2], direction=text, recognized=True, inferred=True,
                                    uncertain_codes=_professional_near(text, d))
            u = cat.match_major(text, level=cat.UNDERGRADUATE)
            recognized = u is not None and u.decisive and u.level == cat.UNDERGRADUATE
            if recognized:
                names.add(u.name)
            # A second-level name (会计学 …) whose first-level discipline is not certain: the
            # observed candidates (1202 or 1253) and their category bound it where known.
            cands, cat_code = observed_candidates(text)
            return StudentMajor(level, text, frozenset(names), False, category_code=cat_code,
                                direction=(u.name if recognized else text),
                                recognized=recognized or bool(cands),
                                uncertain_codes=_professional_near(text, ""), candidates=cands)
        return StudentMajor(level, text, frozenset(names), False)
    # 专科 (no catalogue shipped) or unknown level: names only.
    return StudentMajor(level, text, frozenset(names), False)


def match_gd_item(sm: StudentMajor, item: MajorItem) -> int:
    """A Guangdong entry (``法学(A0301)``, ``06法律类``) against the student's places in
    Guangdong's catalogue; 限 narrowings and 不包含 exclusions from 其他要求 apply."""
    names = sm.names
    if item.excluded and names & set(item.excluded):
        return FAIL
    if item.narrowing:
        if names & set(item.narrowing):
            return OK
    elif names & {item.name, *item.included}:
        return OK
    if not sm.gd_codes:
        return CONFIRM
    status = gd.match_codes(sm.gd_codes, item.code)
    if status == OK and item.narrowing:
        # Another direction the entry lists is a real mismatch; the entry itself
        # (企业管理 for 企业管理（限：财务管理）) leaves the direction to the diploma.
        return FAIL if names & (set(item.included) - set(item.narrowing)) else CONFIRM
    return status


def match_item(sm: StudentMajor, item: MajorItem) -> int:
    """OK / CONFIRM / FAIL for one list entry against the student's major."""
    if item.kind in ("gd", "gd_group"):
        return match_gd_item(sm, item)
    if item.narrowing:
        # 应用经济学（0202，仅限金融学）: only the named directions count, not the discipline's name.
        if sm.names & set(item.narrowing):
            return OK
    elif sm.names & {item.name, *item.included}:
        return OK
    digits = item.digits
    if sm.level == "本科":
        if not sm.decisive:
            return CONFIRM
        if item.kind == "category":
            return OK if sm.category_code == digits[:2] else FAIL
        if item.kind == "class":
            return OK if sm.class_code == digits[:4] else FAIL
        if item.kind == "major":
            return OK if sm.code == digits[:6] else FAIL
        # A graduate-style entry in an undergraduate list: only its name can decide.
        return FAIL
    if sm.level == "研究生":
        if item.kind == "category":
            if sm.decisive or sm.category_code:
                return OK if sm.category_code == digits[:2] else FAIL
            return CONFIRM
        if item.kind in ("discipline", "class"):
            codes = {digits[:4], *item.alt_codes}
            if sm.decisive and sm.code in codes:
                if not item.narrowing:
                    return OK
                return FAIL if sm.direction and sm.recognized else CONFIRM
            if codes & sm.uncertain_codes:
                return CONFIRM  # 金融学 may be the professional 金融 (0251) degree
            if sm.decisive:
                return FAIL
            if item.narrowing and sm.recognized:
                return FAIL  # a known direction that the 仅限 list does not name
            if sm.candidates:
                return CONFIRM if codes & sm.candidates else FAIL
            return CONFIRM
        if item.kind in ("second", "major"):
            if sm.decisive:
                if sm.code == digits[:4] and not (sm.direction and sm.recognized):
                    return CONFIRM
                return FAIL
            return FAIL if sm.recognized else CONFIRM
        # name-only entry
        return FAIL if (sm.decisive or sm.recognized) else CONFIRM
    # 专科: the vocational catalogue is not shipped, only a name can decide.
    return CONFIRM


def rule_major(p: Profile, req: MajorReq) -> Outcome:
    """专业: by category/class/major code, by discipline with 仅限 narrowing, split by level."""
    if req.unrestricted:
        return PASS
    sm = student_major(p.education, p.major, p.major_code)
    return major_outcome(sm, req, p)


def major_outcome(sm: StudentMajor, req: MajorReq, p: Optional[Profile] = None) -> Outcome:
    if req.unrestricted:
        return PASS
    if sm.level is None:
        if p is not None and p.education == "高中":
            return PASS  # the education rule decides
        return _missing("学历", "用于核对专业要求")
    items = req.items_for(sm.level)
    if items is None:
        if sm.level in req.open_levels:
            return PASS
        if not req.segments:
            if req.open_levels:
                return PASS
            return Outcome(CONFIRM, "所收职位表未列出该职位的专业要求（可能只列在专科专业栏），请核对官方职位表")
        listed = "、".join(lvl for lvl, _ in req.segments)
        return Outcome(CONFIRM, f"职位只列出{listed}专业要求，{sm.level}学历报考时专业如何认定请以招考公告为准或咨询招录机关")
    if not sm.names and not sm.decisive:
        return _missing("专业", f"{sm.level}专业要求：{_short(req.text_for(sm.level), 40)}")
    statuses = [match_item(sm, it) for it in items]
    best = min(statuses) if statuses else FAIL
    seg = _short(req.text_for(sm.level))
    if best == OK:
        return PASS
    if best == CONFIRM:
        gd_open = [it for it, s in zip(items, statuses) if s == CONFIRM and it.kind in ("gd", "gd_group")]
        if gd_open:
            return Outcome(CONFIRM, gd_confirm_reason(sm, gd_open, seg))
        narrowed = [it for it, s in zip(items, statuses) if s == CONFIRM and it.narrowing]
        uncertain = [it for it, s in zip(items, statuses)
                     if s == CONFIRM and ({it.digits[:4], *it.alt_codes} & sm.uncertain_codes)]
        if uncertain:
            it = uncertain[0]
            return Outcome(CONFIRM, f"职位要求{it.name}（{it.code}）专业学位；你的专业“{sm.text}”是学术学位还是"
                                    f"{it.name}专业学位，请按学位证书核对")
        if narrowed and sm.decisive:
            it = narrowed[0]
            return Outcome(CONFIRM, f"专业要求{it.name}（{it.code}）仅限{'、'.join(it.narrowing)}，"
                                    f"需按你的学位证书所载专业（研究方向）确认")
        if sm.level == "专科":
            return Outcome(CONFIRM, f"专科专业目录未收录，无法自动核对你的专业“{sm.text}”是否属于：{seg}")
        if sm.level == "研究生" and sm.recognized:
            return Outcome(CONFIRM, f"无法确定你的研究生专业“{sm.text}”所属的一级学科，请对照学位证书核对：{seg}")
        return Outcome(CONFIRM, f"未能在专业目录中确定你的专业“{sm.text}”，请对照职位要求核对：{seg}")
    return Outcome(FAIL, f"专业不符合要求（{sm.level}：{seg}；你的专业：{sm.text}）")


def gd_places(sm: StudentMajor) -> str:
    return "、".join(gd.describe(g.code) + ("（部分）" if g.partial else "") for g in sm.gd_codes)


def gd_confirm_reason(sm: StudentMajor, items: Sequence[MajorItem], seg: str) -> str:
    """Why Guangdong entries cannot be decided for this student, in one sentence."""
    item = items[0]
    labels = [gd.describe(it.code) if it.kind == "gd_group" else f"{it.name}（{it.code}）" for it in items[:3]]
    label = "、".join(labels) + ("等" if len(items) > 3 else "")
    if not sm.gd_codes:
        return (f"你的专业“{sm.text}”在广东省专业参考目录{sm.level}层次中找不到同名专业，是否属于"
                f"“{_short(seg, 60)}”请对照目录或咨询招录机关")
    if item.narrowing:
        return f"职位要求{label}且限{'、'.join(item.narrowing)}，需按你的学位证书所载专业（方向）确认"
    if len(sm.gd_codes) > 1 or any(g.partial for g in sm.gd_codes):
        return (f"你的专业“{sm.text}”在广东省专业参考目录中对应{gd_places(sm)}，是否属于{label}"
                f"请按学位证书核对")
    return (f"职位要求{label}，你的专业“{sm.text}”在广东省专业参考目录中是{gd_places(sm)}，"
            f"具体专业（方向）请按学位证书核对")


# --------------------------------------------------------------------------- age
def rule_age(p: Profile, req: AgeReq) -> Outcome:
    """年龄: ``X周岁以上、Y周岁以下`` (inclusive), with the fresh master/doctor exception."""
    if p.age is None:
        return _missing("年龄", req.text)
    if req.min_age is not None and p.age < req.min_age:
        return Outcome(FAIL, f"年龄要求{req.min_age}周岁以上（你{p.age}岁）")
    if req.max_age is None:
        if req.safe_max is not None and p.age > req.safe_max:
            return Outcome(CONFIRM, f"{req.text.split('：')[0]}的年龄上限以当年招考公告为准（所收数据未载明），"
                                    f"你{p.age}岁，请核对公告")
        return PASS
    if p.age <= req.max_age:
        return PASS
    fail = Outcome(FAIL, f"年龄要求{req.text}（你{p.age}岁）")
    if req.fresh_postgrad_max is None or p.age > req.fresh_postgrad_max:
        return fail
    # Only the raised limit for fresh master's/doctoral graduates can admit the student.
    if p.education is None:
        return _missing("学历", "应届硕士、博士研究生年龄可放宽")
    if p.education not in ("硕士研究生", "博士研究生"):
        return fail
    if p.fresh_graduate is None:
        return _missing("是否应届毕业生", "应届硕士、博士研究生年龄可放宽")
    if p.fresh_graduate is False:
        return fail
    if req.fresh_postgrad_year is not None:
        if p.grad_year is None:
            return _missing("毕业年份", f"年龄放宽仅适用于{req.fresh_postgrad_year}年应届硕士、博士研究生")
        if p.grad_year != req.fresh_postgrad_year:
            return Outcome(CONFIRM, f"年龄放宽仅写明适用于{req.fresh_postgrad_year}年应届硕士、博士研究生，"
                                    f"你{p.grad_year}年毕业，是否适用请咨询招录机关")
    return PASS


# --------------------------------------------------------------------------- political status
def rule_political(p: Profile, req: PoliticalReq) -> Outcome:
    """政治面貌: 中共党员 admits 中共预备党员 only where the wording says so."""
    if p.political_status is None:
        return _missing("政治面貌", f"职位要求{req.label or req.text}")
    if p.political_status in req.allowed:
        return PASS
    if p.political_status in req.confirm:
        if p.political_status == "中共预备党员":
            return Outcome(CONFIRM, f"职位要求{req.label}，未写明中共预备党员可否报考，请以招考公告为准或咨询招录机关")
        return Outcome(CONFIRM, f"职位写明“{req.text}”，你的政治面貌（{p.political_status}）是否属于其中请咨询招录机关")
    label = req.label if req.label.startswith("仅") else f"要求{req.label}"
    return Outcome(FAIL, f"{label}（你的政治面貌：{p.political_status}）")


# --------------------------------------------------------------------------- experience, groups
def _years(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def rule_grassroots(p: Profile, req: GrassrootsReq) -> Outcome:
    """基层工作经历: at least N years (以上 includes N)."""
    kind = "基层工作经历" if req.grassroots else "工作经历"
    if p.experience_years is None:
        return _missing("基层工作年限", f"要求具有{_years(req.min_years)}年以上{kind}")
    if p.experience_years >= req.min_years:
        return PASS
    if not req.grassroots:
        return Outcome(CONFIRM, f"要求具有{_years(req.min_years)}年以上工作经历；你的基层工作年限为"
                                f"{_years(p.experience_years)}年，其他工作经历请自行核对")
    return Outcome(FAIL, f"要求具有{_years(req.min_years)}年以上基层工作经历（你{_years(p.experience_years)}年）")


def rule_fresh_graduate(p: Profile, req: FreshGraduateReq) -> Outcome:
    """招录对象 应届毕业生 (the two-year job-seeking period counts, per the exam notice)."""
    if req.strict:
        label = f"{req.year}届高校毕业生"
        if p.grad_year is None:
            if p.fresh_graduate is False:
                return Outcome(FAIL, f"仅限{label}报考")
            return _missing("毕业年份", f"仅限{label}报考，择业期内的往届毕业生不算")
        if p.grad_year == req.year:
            return PASS
        return Outcome(FAIL, f"仅限{label}报考（你{p.grad_year}年毕业）")
    label = f"{req.year}年应届毕业生" if req.year else "应届毕业生"
    if p.fresh_graduate is None:
        return _missing("是否应届毕业生", f"仅限{label}报考")
    if p.fresh_graduate:
        return PASS
    return Outcome(FAIL, f"仅限{label}报考（{req.text}）")


def rule_special_group(p: Profile, req: SpecialGroupReq) -> Outcome:
    """招录对象 服务基层项目人员 / 退役士兵 / 村（社区）两委成员 / 事业编制人员 / 残疾人."""
    names = "、".join(SPECIAL_GROUPS[g] for g in sorted(req.groups))
    # "面向…专门职位" / "面向港澳人士招录" name the group themselves; other wordings list it.
    facing = "面向" in req.text
    if p.special_groups is None:
        if facing:
            return Outcome(CONFIRM, f"{_short(req.text, 60)}：请确认你是否属于{names}")
        return Outcome(CONFIRM, f"仅限{_short(req.text, 60)}报考，请确认你是否属于（{names}）")
    mine = p.special_groups & req.groups
    if not mine:
        if facing:
            return Outcome(FAIL, f"{_short(req.text, 60)}：你不属于{names}")
        return Outcome(FAIL, f"仅限{_short(req.text, 60)}报考")
    if mine - req.detailed:
        return PASS
    mine_names = "、".join(SPECIAL_GROUPS[g] for g in sorted(mine))
    return Outcome(CONFIRM, f"你属于{mine_names}，请核对具体条件：{_short(req.text, 80)}")


def rule_gender(p: Profile, req: GenderReq) -> Outcome:
    """性别: 限男性 / 限女性."""
    if p.gender is None:
        return _missing("性别", f"限{req.gender}性")
    if p.gender == req.gender:
        return PASS
    return Outcome(FAIL, f"限{req.gender}性")


def _place_stem(place: str) -> str:
    stem = re.sub(r"(特别行政区|自治区|自治州|自治县|示范区|新区|省|市|县|区|旗)$", "", place)
    return stem if len(stem) >= 2 else place


PROVINCES: Tuple[str, ...] = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
)


def _place_relation(where: str, req: HouseholdReq) -> str:
    """'in' (within a required place), 'out' (decidably elsewhere) or 'unknown'."""
    w = where.replace(" ", "")
    if any(_place_stem(pl) in w for pl in req.places):
        return "in"
    named = [pr for pr in PROVINCES if pr in w]
    if req.province and named and req.province not in named:
        return "out"  # another province
    if req.city:
        city = _place_stem(req.city)
        others = [c for c in req.region_places if _place_stem(c) in w and _place_stem(c) != city]
        if others and city not in w:
            return "out"  # another city of the same province
    return "unknown"


def rule_household(p: Profile, req: HouseholdReq) -> Outcome:
    """户籍或生源: the student's registration (or, where allowed, gaokao origin) must be there."""
    places = "、".join(req.places)
    if p.hukou is None and p.origin is None:
        return _missing("户籍所在地", req.text)
    rel_h = _place_relation(p.hukou, req) if p.hukou else "unknown"
    if rel_h == "in":
        return PASS
    if req.allow_origin:
        rel_o = _place_relation(p.origin, req) if p.origin else "unknown"
        if rel_o == "in":
            return PASS
        if rel_h == "out" and rel_o == "out":
            return Outcome(FAIL, req.text)
        if rel_h == "out" and p.origin is None:
            return Outcome(CONFIRM, f"{req.text}：你的户籍不在{places}，如生源地为{places}仍可报考，请确认")
        return Outcome(CONFIRM, f"{req.text}：无法从“{p.hukou or p.origin}”确定是否属于{places}，请核对")
    if rel_h == "out":
        return Outcome(FAIL, req.text)
    return Outcome(CONFIRM, f"{req.text}：无法从“{p.hukou}”确定是否属于{places}，请核对")


# --------------------------------------------------------------------------- certificates, college
# Disciplines that count as the named field for "X专业报考者须…" (法学 covers 法律硕士 0351).
_FIELD_CODES = {"法学": {"0301", "0351"}}


def major_is(p: Profile, field_name: str) -> Optional[bool]:
    """Whether the student's major belongs to ``field_name`` (法学): True/False, None when
    it cannot be told. 本科: same class (法学类 0301); 研究生: same discipline."""
    sm = student_major(p.education, p.major, p.major_code)
    if not sm.names and not sm.decisive:
        return None
    if field_name in sm.names:
        return True
    if sm.level == "本科":
        target = cat.match_major(field_name, cat.UNDERGRADUATE)
        if sm.decisive and target is not None and target.decisive:
            return sm.class_code == target.class_code
    elif sm.level == "研究生":
        target = cat.match_major(field_name, cat.GRADUATE)
        codes = set(_FIELD_CODES.get(field_name, ())) | ({target.code} if target is not None and target.decisive else set())
        if sm.decisive and codes:
            return sm.code in codes
        if sm.candidates and codes:
            return True if sm.candidates <= codes else (None if sm.candidates & codes else False)
    return None


def rule_certificate(p: Profile, req: CertificateReq) -> Outcome:
    """资格证书 (法律职业资格 A/B/C 证, 执业医师, 英语等级, other qualifications …)."""
    held = p.certificates is not None and bool(p.certificates & req.any_of)
    if req.if_major and not held:
        applies = major_is(p, req.if_major)
        if applies is False:
            return PASS
        if applies is None:
            return Outcome(CONFIRM, f"职位写明“{_short(req.text, 60)}”，请确认你的专业是否属于{req.if_major}以及是否已取得该证书")
    if p.certificates is None:
        return Outcome(CONFIRM, f"要求{_short(req.text, 80)}，请确认你是否已取得")
    if held:
        if req.detail:
            return Outcome(CONFIRM, f"请核对证书的具体要求：{_short(req.text, 80)}")
        return PASS
    if p.certificates & req.confirm_of:
        return Outcome(CONFIRM, f"职位写明“{_short(req.text, 60)}”，未注明证书类别；你的证书类别是否符合请以招考公告为准")
    if "legal_?" in p.certificates and any(k.startswith("legal_") for k in req.any_of):
        return Outcome(CONFIRM, f"要求{_short(req.text, 60)}，请确认你的法律职业资格证书类别（A/B/C证）")
    if "other" in req.any_of and p.certificates:
        return Outcome(CONFIRM, f"要求{_short(req.text, 80)}，请核对你的证书是否符合")
    return Outcome(FAIL, f"要求{_short(req.text, 80)}")


def rule_prior_major(p: Profile, req: PriorMajorReq) -> Outcome:
    """本科须为X专业（且获X学士学位）: the undergraduate major behind the applicant's degree."""
    if p.education is None:
        return _missing("学历", req.text)
    graduate = p.education in ("硕士研究生", "博士研究生")
    if req.graduates_only and not graduate:
        return PASS
    if p.education in ("高中", "大专"):
        return PASS  # the education rule decides
    major = p.undergrad_major if graduate else p.major
    if not major:
        return _missing("本科专业", _short(req.text, 60))
    sm = student_major("本科", major, None if graduate else p.major_code)
    if req.major in sm.names:
        return PASS
    target = cat.match_major(req.major, cat.UNDERGRADUATE)
    if sm.decisive and target is not None and target.decisive:
        if sm.class_code == target.class_code:
            return Outcome(CONFIRM, f"职位写明“{_short(req.text, 60)}”；你的本科专业{major}与{req.major}同属"
                                    f"{cat.undergraduate_class_name(sm.class_code) or '一类'}，是否认可请咨询招录机关")
        return Outcome(FAIL, f"{_short(req.text, 60)}（你的本科专业：{major}）")
    return Outcome(CONFIRM, f"职位写明“{_short(req.text, 60)}”，无法自动核对你的本科专业“{major}”，请对照学位证书确认")


def rule_ethnicity(p: Profile, req: EthnicityReq) -> Outcome:
    """民族: 瑶族 / 壮族或瑶族 (少数民族 admits every group but 汉族)."""
    allowed = "或".join(sorted(req.allowed))
    if p.ethnicity is None:
        return _missing("民族", f"职位限{allowed}报考")
    if p.ethnicity in req.allowed or ("少数民族" in req.allowed and p.ethnicity != "汉族"):
        return PASS
    return Outcome(FAIL, f"职位限{allowed}报考（你的民族：{p.ethnicity}）")


def rule_regular_college(p: Profile, req: RegularCollegeReq) -> Outcome:
    """普通高等学校: fresh graduates are regular-college graduates by definition."""
    if p.regular_college is True:
        return PASS
    if p.regular_college is False:
        return Outcome(FAIL, f"要求{req.text}")
    if p.fresh_graduate:
        return PASS
    return Outcome(CONFIRM, f"要求{_short(req.text, 60)}，请确认你的学历为普通高等学校（统招）学历")


def rule_in_school(p: Profile, req: InSchoolReq) -> Outcome:
    """General: students who graduate after the exam year (在读的非应届毕业生) may not apply."""
    if p.grad_year is None:
        if p.fresh_graduate is not None:
            return PASS  # fresh or past graduate: either way not an in-school non-fresh student
        return _missing("毕业年份", "在读的非应届毕业生不能报考")
    if p.grad_year > req.exam_year:
        return Outcome(FAIL, f"在读的非应届毕业生不能报考（你{p.grad_year}年毕业，{req.exam_year}年度考试只招"
                             f"{req.exam_year}年及以前毕业生）")
    return PASS


def rule_unparsed(p: Profile, req: Unparsed) -> Outcome:
    """Text no parser understood: never ignored, always confirmed by a person."""
    return Outcome(CONFIRM, f"职位{req.field_name or '要求'}：“{_short(req.text, 80)}”需人工核对")


RULES: Dict[Type[Condition], Callable[[Profile, Condition], Outcome]] = {
    EducationReq: rule_education,  # type: ignore[dict-item]
    DegreeReq: rule_degree,  # type: ignore[dict-item]
    MajorReq: rule_major,  # type: ignore[dict-item]
    AgeReq: rule_age,  # type: ignore[dict-item]
    PoliticalReq: rule_political,  # type: ignore[dict-item]
    GrassrootsReq: rule_grassroots,  # type: ignore[dict-item]
    FreshGraduateReq: rule_fresh_graduate,  # type: ignore[dict-item]
    SpecialGroupReq: rule_special_group,  # type: ignore[dict-item]
    GenderReq: rule_gender,  # type: ignore[dict-item]
    HouseholdReq: rule_household,  # type: ignore[dict-item]
    CertificateReq: rule_certificate,  # type: ignore[dict-item]
    RegularCollegeReq: rule_regular_college,  # type: ignore[dict-item]
    PriorMajorReq: rule_prior_major,  # type: ignore[dict-item]
    EthnicityReq: rule_ethnicity,  # type: ignore[dict-item]
    InSchoolReq: rule_in_school,  # type: ignore[dict-item]
    Unparsed: rule_unparsed,  # type: ignore[dict-item]
}


def check(p: Profile, cond: Condition) -> Outcome:
    """Runs the rule for one condition."""
    return RULES[type(cond)](p, cond)
