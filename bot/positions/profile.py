"""The student profile the eligibility rules read, validated and normalised.

Keys (all optional; a rule that needs a missing fact asks for it instead of guessing):

``age`` int; ``education`` 大专/本科/硕士研究生/博士研究生; ``degree`` 无/学士/硕士/博士
(missing: the degree matching the education is assumed and the verdict says so);
``major`` catalogue name or free text; ``major_code`` (e.g. ``020301K`` or a 4-digit
graduate discipline ``0202``); ``grad_year`` int; ``fresh_graduate`` bool;
``political_status`` 群众/共青团员/中共预备党员/中共党员; ``experience_years`` number
(years of grass-roots work); ``gender`` 男/女; ``hukou`` province/city/county text.

Optional extras the intake may add: ``origin`` (生源地, where the student sat the gaokao),
``special_groups`` (list: 服务基层项目人员, 退役士兵, 村（社区）两委成员, 事业编制人员,
残疾人 - an empty list means "none of these"), ``certificates`` (list of certificates held,
e.g. ``["法律职业资格证书A证"]``; an empty list means "none"), ``regular_college`` (bool:
studied in regular full-time higher education, 普通高等学校), ``undergrad_major`` (a
graduate's undergraduate major, for posts such as "本科须为法学专业"), ``ethnicity`` (民族,
for posts limited to one, e.g. 瑶族).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Mapping, Optional

from bot.positions.requirements import (
    CORRESPONDING_DEGREE,
    DEGREES,
    EDUCATION_LEVELS,
    POLITICAL_STATUSES,
    norm,
)


class ProfileError(ValueError):
    """A profile value that cannot be understood (the message is for the user)."""


_EDU_SYNONYMS = {
    "大专": "大专", "专科": "大专", "高职": "大专", "高职专科": "大专",
    "本科": "本科", "大学本科": "本科", "学士": "本科",
    "硕士研究生": "硕士研究生", "硕士": "硕士研究生", "研究生": "硕士研究生", "硕士生": "硕士研究生",
    "博士研究生": "博士研究生", "博士": "博士研究生", "博士生": "博士研究生",
    "高中": "高中", "中专": "高中",
}
_DEGREE_SYNONYMS = {
    "无": "无", "没有": "无", "无学位": "无", "none": "无",
    "学士": "学士", "学士学位": "学士", "bachelor": "学士",
    "硕士": "硕士", "硕士学位": "硕士", "master": "硕士",
    "博士": "博士", "博士学位": "博士", "doctor": "博士", "phd": "博士",
}
_POLITICAL_SYNONYMS = {
    "群众": "群众", "无党派": "群众", "无": "群众",
    "共青团员": "共青团员", "团员": "共青团员",
    "中共预备党员": "中共预备党员", "预备党员": "中共预备党员",
    "中共党员": "中共党员", "党员": "中共党员", "中共正式党员": "中共党员", "正式党员": "中共党员",
}
_GENDER_SYNONYMS = {"男": "男", "男性": "男", "m": "男", "male": "男",
                    "女": "女", "女性": "女", "f": "女", "female": "女"}
_GROUP_SYNONYMS = {
    "service_project": "service_project", "服务基层项目人员": "service_project",
    "服务基层项目": "service_project", "四项目人员": "service_project", "三支一扶": "service_project",
    "西部计划": "service_project", "特岗教师": "service_project", "特岗计划": "service_project",
    "大学生村官": "service_project",
    "veteran": "veteran", "退役士兵": "veteran", "退役军人": "veteran", "退役大学生士兵": "veteran",
    "高校毕业生退役士兵": "veteran",
    "village_cadre": "village_cadre", "村（社区）两委成员": "village_cadre", "村两委": "village_cadre",
    "社区两委": "village_cadre", "村干部": "village_cadre",
    "institution_staff": "institution_staff", "事业编制人员": "institution_staff", "事业编": "institution_staff",
    "disabled": "disabled", "残疾人": "disabled",
    "hk_macao": "hk_macao", "港澳居民": "hk_macao", "港澳人士": "hk_macao", "香港居民": "hk_macao",
    "澳门居民": "hk_macao",
}


def certificate_tags(text: str) -> FrozenSet[str]:
    """Certificate wording -> tags (``法考A证`` -> ``legal_A``)."""
    t = norm(text).upper().replace(" ", "")
    tags = set()
    if re.search(r"法律职业资格|法考|司法考试", t):
        letters = re.findall(r"([ABC])(?:证|类)", t)
        tags.update(f"legal_{x}" for x in (letters or ["?"]))
    if re.search(r"执业医师|执业助理医师", t):
        tags.add("physician")
    if "执业药师" in t:
        tags.add("pharmacist")
    if "护士" in t:
        tags.add("nurse")
    if re.search(r"英语|CET|六级|四级|专八|专四|雅思|托福|IELTS|TOEFL", t):
        tags.add("english")
    return frozenset(tags)


@dataclass(frozen=True)
class Profile:
    age: Optional[int] = None
    education: Optional[str] = None
    degree: Optional[str] = None
    degree_assumed: bool = False
    major: Optional[str] = None
    major_code: Optional[str] = None
    grad_year: Optional[int] = None
    fresh_graduate: Optional[bool] = None
    political_status: Optional[str] = None
    experience_years: Optional[float] = None
    gender: Optional[str] = None
    hukou: Optional[str] = None
    origin: Optional[str] = None
    special_groups: Optional[FrozenSet[str]] = None
    certificates: Optional[FrozenSet[str]] = None
    certificate_text: Optional[str] = None
    regular_college: Optional[bool] = None
    undergrad_major: Optional[str] = None
    ethnicity: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_dict(cls, data: Optional[Mapping[str, Any]]) -> "Profile":
        """Validates the intake dict; raises :class:`ProfileError` with a clear message."""
        if data is None:
            data = {}
        if isinstance(data, Profile):
            return data
        if not isinstance(data, Mapping):
            raise ProfileError("档案应为键值对象（JSON object），例如 {\"age\": 23, \"education\": \"本科\"}")
        d = {k: v for k, v in data.items() if v is not None and not (isinstance(v, str) and not v.strip())}

        def pick(key: str, table: Mapping[str, str], allowed: str) -> Optional[str]:
            if key not in d:
                return None
            raw = norm(d[key])
            value = table.get(raw) or table.get(raw.lower())
            if value is None:
                raise ProfileError(f"{key} 的取值“{d[key]}”无法识别；可用：{allowed}")
            return value

        age = _int(d, "age", 10, 80)
        education = pick("education", _EDU_SYNONYMS, "、".join(EDUCATION_LEVELS[1:]))
        degree = pick("degree", _DEGREE_SYNONYMS, "、".join(DEGREES))
        assumed = False
        if degree is None and education is not None:
            degree, assumed = CORRESPONDING_DEGREE[education], True
        political = pick("political_status", _POLITICAL_SYNONYMS, "、".join(POLITICAL_STATUSES))
        gender = pick("gender", _GENDER_SYNONYMS, "男、女")
        grad_year = _int(d, "grad_year", 1950, 2100)
        exp = d.get("experience_years")
        if exp is not None:
            try:
                exp = float(exp)
            except (TypeError, ValueError):
                raise ProfileError(f"experience_years 应为数字（基层工作年限），收到“{exp}”") from None
            if exp < 0 or exp > 60:
                raise ProfileError(f"experience_years 超出合理范围：{exp}")
        fresh = _bool(d, "fresh_graduate")
        regular = _bool(d, "regular_college")
        groups = None
        if "special_groups" in d:
            raw_groups = d["special_groups"]
            if isinstance(raw_groups, str):
                raw_groups = [g for g in re.split(r"[,，、;；\s]+", raw_groups) if g]
            if not isinstance(raw_groups, (list, tuple, set, frozenset)):
                raise ProfileError("special_groups 应为列表，例如 [\"退役士兵\"]，没有则为 []")
            tags = set()
            for g in raw_groups:
                tag = _GROUP_SYNONYMS.get(norm(g)) or _GROUP_SYNONYMS.get(norm(g).lower())
                if tag is None:
                    raise ProfileError(
                        f"special_groups 中的“{g}”无法识别；可用：服务基层项目人员、退役士兵、"
                        "村（社区）两委成员、事业编制人员、残疾人、港澳居民")
                tags.add(tag)
            groups = frozenset(tags)
        certs = None
        cert_text = None
        if "certificates" in d:
            raw_c = d["certificates"]
            if isinstance(raw_c, str):
                raw_c = [c for c in re.split(r"[,，、;；]+", raw_c) if c.strip()]
            if not isinstance(raw_c, (list, tuple, set, frozenset)):
                raise ProfileError("certificates 应为列表，例如 [\"法律职业资格证书A证\"]，没有则为 []")
            tags = set()
            for c in raw_c:
                tags |= certificate_tags(str(c))
            certs = frozenset(tags)
            cert_text = "、".join(str(c) for c in raw_c)
        major = norm(d.get("major")) or None
        major_code = norm(d.get("major_code")).upper() or None
        if major_code and not re.fullmatch(r"\d{2,7}[A-Z]{0,2}\d?", major_code):
            raise ProfileError(f"major_code“{major_code}”不是专业代码（如 020301K 或 0202）")
        ethnicity = norm(d.get("ethnicity")) or None
        if ethnicity and not ethnicity.endswith("族") and len(ethnicity) <= 4:
            ethnicity += "族"
        known = {"age", "education", "degree", "major", "major_code", "grad_year", "fresh_graduate",
                 "political_status", "experience_years", "gender", "hukou", "origin",
                 "special_groups", "certificates", "regular_college", "undergrad_major", "ethnicity"}
        return cls(
            age=age, education=education, degree=degree, degree_assumed=assumed,
            major=major, major_code=major_code, grad_year=grad_year, fresh_graduate=fresh,
            political_status=political, experience_years=exp, gender=gender,
            hukou=norm(d.get("hukou")) or None, origin=norm(d.get("origin")) or None,
            special_groups=groups, certificates=certs, certificate_text=cert_text,
            regular_college=regular,
            undergrad_major=norm(d.get("undergrad_major")) or None,
            ethnicity=ethnicity,
            extra={k: v for k, v in d.items() if k not in known},
        )

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "age": self.age, "education": self.education,
            "degree": None if self.degree_assumed else self.degree,
            "major": self.major, "major_code": self.major_code, "grad_year": self.grad_year,
            "fresh_graduate": self.fresh_graduate, "political_status": self.political_status,
            "experience_years": self.experience_years, "gender": self.gender, "hukou": self.hukou,
        }
        if self.origin is not None:
            out["origin"] = self.origin
        if self.special_groups is not None:
            out["special_groups"] = sorted(self.special_groups)
        if self.certificates is not None:
            out["certificates"] = self.certificate_text
        if self.regular_college is not None:
            out["regular_college"] = self.regular_college
        if self.undergrad_major is not None:
            out["undergrad_major"] = self.undergrad_major
        if self.ethnicity is not None:
            out["ethnicity"] = self.ethnicity
        return out


def _int(d: Mapping[str, Any], key: str, lo: int, hi: int) -> Optional[int]:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, bool):
        raise ProfileError(f"{key} 应为整数，收到“{v}”")
    try:
        f = float(str(v).strip().rstrip("岁年届"))
    except ValueError:
        raise ProfileError(f"{key} 应为整数，收到“{v}”") from None
    if f != int(f):
        raise ProfileError(f"{key} 应为整数，收到“{v}”")
    if not lo <= int(f) <= hi:
        raise ProfileError(f"{key} 超出合理范围（{lo}–{hi}）：{v}")
    return int(f)


def _bool(d: Mapping[str, Any], key: str) -> Optional[bool]:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "y", "是", "对", "应届"):
        return True
    if s in ("false", "0", "no", "n", "否", "不是", "往届"):
        return False
    raise ProfileError(f"{key} 应为 true/false，收到“{v}”")
