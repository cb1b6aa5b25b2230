"""Validation and normalisation of what students say about themselves.

Every function takes the raw value (an entity value, a button payload or free text) and
returns a ``Result``: the normalised value, or an error written for the student. None of
them raises on bad input.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

from bot import knowledge
from bot.textnorm import fold

SKIPPED = "未填写"


@dataclass(frozen=True)
class Result:
    value: Any = None
    error: Optional[str] = None
    extra: Optional[dict] = None  # e.g. {"major_code": ...}

    @property
    def ok(self) -> bool:
        return self.error is None and self.value is not None


def clean(text: Any) -> str:
    """NFKC (full-width digits and letters to ASCII), common traditional characters to
    simplified, trimmed, at most 200 characters."""
    if text is None:
        return ""
    return fold(unicodedata.normalize("NFKC", str(text))).strip()[:200]


def clean_text(text: Any, limit: int = 1000) -> str:
    """Free text kept as the student wrote it: control characters dropped, spaces
    collapsed, at most ``limit`` characters (no folding of traditional characters)."""
    if text is None:
        return ""
    t = "".join(ch for ch in str(text) if ch.isprintable() or ch in "\n")
    t = re.sub(r"[ \t\u3000]+", " ", t).strip()
    return t[:limit]


# -- numbers -----------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}


def cn_to_number(text: str) -> Optional[float]:
    """Parses 23, 二十三, 两, 十八, 一九九八, 半, 一年半, 2.5 into a number."""
    t = clean(text)
    if not t:
        return None
    m = re.search(r"\d+(?:\.\d+)?", t)
    if m:
        value = float(m.group())
        if "半" in t[m.end():m.end() + 3]:
            value += 0.5
        return value
    if t.startswith("半"):
        return 0.5
    chars = [c for c in t if c in _CN_DIGITS or c in _CN_UNITS]
    if not chars:
        return None
    # Digit-by-digit years such as 一九九八 / 二〇二五.
    if len(chars) >= 3 and all(c in _CN_DIGITS for c in chars):
        return float("".join(str(_CN_DIGITS[c]) for c in chars))
    total, current = 0, 0
    for c in chars:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            total += (current or 1) * unit
            current = 0
    value = float(total + current)
    if "半" in t:
        value += 0.5
    return value


def _int(value: Optional[float]) -> Optional[int]:
    if value is None:
        return None
    if abs(value - round(value)) > 1e-9:
        return None
    return int(round(value))


# -- age ---------------------------------------------------------------------------------

AGE_MIN, AGE_MAX = 16, 65


def normalize_age(raw: Any) -> Result:
    t = clean(raw)
    if not t:
        return Result(error="没看到年龄哦，直接发数字就行，比如“23”。")
    year = re.search(r"(19[5-9]\d|20[0-2]\d)\s*年?\s*(?:出生|生)", t)
    if year:
        age = dt.date.today().year - int(year.group(1))
    else:
        age = _int(cn_to_number(t))
    if age is None:
        return Result(error="年龄我没看懂，请直接发周岁数字，比如“23”。")
    if age < AGE_MIN or age > AGE_MAX:
        return Result(error=f"{age}岁不太像报考年龄呀，可能是输错了？请发你的周岁数字，比如“23”。")
    return Result(age)


# -- education and degree ----------------------------------------------------------------

EDUCATION_LEVELS = ("大专", "本科", "硕士研究生", "博士研究生")
EDUCATION_DEGREE = {"大专": "无", "本科": "学士", "硕士研究生": "硕士", "博士研究生": "博士"}

_EDU_PATTERNS = [
    ("博士研究生", r"博士|博士生|phd|ph\.d|doctor"),
    ("硕士研究生", r"硕士|研究生|研一|研二|研三|读研|master|mba|mpa|专硕|学硕"),
    ("本科", r"本科|学士|大学本科|本科生|二本|一本|三本|bachelor|undergrad|大四|大三"),
    ("大专", r"大专|专科|高职|专升本前|college"),
]


def normalize_education(raw: Any) -> Result:
    t = clean(raw).lower()
    if not t:
        return Result(error="请告诉我你的最高学历：大专、本科、硕士研究生还是博士研究生？")
    if "专升本" in t:
        return Result("本科")
    for level, pattern in _EDU_PATTERNS:
        if re.search(pattern, t):
            return Result(level)
    if t in ("高中", "中专", "初中", "职高") or re.search(r"高中|中专|初中|职高", t):
        return Result(error="公务员招录一般要求大专及以上学历。如果你正在读大专或本科，请告诉我将取得的学历。")
    return Result(error=f"“{clean(raw)[:20]}”我没对上学历层次。请从大专、本科、硕士研究生、博士研究生里选一个。")


# -- political status --------------------------------------------------------------------

POLITICAL_STATUSES = ("群众", "共青团员", "中共预备党员", "中共党员")


def normalize_political_status(raw: Any) -> Result:
    t = clean(raw).lower()
    if not t:
        return Result(error="请选一下你的政治面貌：中共党员、中共预备党员、共青团员或群众。")
    if re.search(r"预备", t):
        return Result("中共预备党员")
    if re.search(r"非党员|不是党员|不是团员|无党派|民主党派|群众|普通人|啥也不是|都不是|没有", t):
        return Result("群众")
    if re.search(r"党员|中共|正式党员|party member|\bcpc\b|\bccp\b", t):
        return Result("中共党员")
    if re.search(r"团员|共青团|league member", t):
        return Result("共青团员")
    return Result(error="政治面貌我没对上，请从中共党员、中共预备党员、共青团员、群众里选一个。")


# -- graduation year ---------------------------------------------------------------------

def normalize_grad_year(raw: Any, today: Optional[dt.date] = None) -> Result:
    today = today or dt.date.today()
    t = clean(raw)
    if not t:
        return Result(error="请告诉我毕业年份，比如“2025”或“25届”。")
    relative = {"今年": 0, "明年": 1, "后年": 2, "去年": -1, "前年": -2}
    for word, offset in relative.items():
        if word in t:
            return Result(today.year + offset)
    m = re.search(r"(19\d{2}|20\d{2})", t)
    if m:
        year = int(m.group(1))
    else:
        m = re.search(r"(?<!\d)(\d{2})(?!\d)", t)
        if m:
            year = 2000 + int(m.group(1))
        else:
            value = _int(cn_to_number(t))
            if value is None:
                return Result(error="毕业年份没看懂，请发四位年份，比如“2025”。")
            year = value if value > 1900 else 2000 + value
    if year < 1980 or year > today.year + 6:
        return Result(error=f"{year}年毕业好像不太对，请再发一次毕业年份，比如“2025”。")
    return Result(year)


# -- fresh graduate ----------------------------------------------------------------------

def normalize_fresh_graduate(raw: Any) -> Result:
    if isinstance(raw, bool):
        return Result(raw)
    t = clean(raw).lower()
    if t in ("true", "yes", "1", "是", "对", "是的", "嗯"):
        return Result(True)
    if t in ("false", "no", "0", "不是", "否", "不"):
        return Result(False)
    if re.search(r"非应届|不是应届|往届|社会考生|已经工作|在职|上班|工作[了过]", t):
        return Result(False)
    if re.search(r"应届|择业期|还没工作|没工作过|没有工作|在读|今年毕业|明年毕业", t):
        return Result(True)
    return Result(error="你算应届毕业生吗？毕业两年内、一直没落实工作单位的一般也按应届算。回答“是”或“不是”就行。")


# -- grass-roots experience --------------------------------------------------------------

def normalize_experience_years(raw: Any) -> Result:
    t = clean(raw)
    if not t:
        return Result(error="你有几年基层工作经历？没有的话回“没有”就行。")
    if re.search(r"没有|无|没|零|0年|不到半年|一天也没|从没", t) and not re.search(r"\d|[一二两三四五六七八九十]年", t.replace("零", "")):
        return Result(0.0)
    value = cn_to_number(t)
    if value is None:
        return Result(error="基层工作年限没看懂，请发数字，比如“2”，没有就回“没有”。")
    if value < 0 or value > 45:
        return Result(error=f"{value:g}年基层经历看起来不太对，请再确认一下。")
    return Result(float(value))


# -- places and exams --------------------------------------------------------------------

def _regions() -> dict:
    return knowledge.load_yaml("regions.yml")


def normalize_location(raw: Any) -> Result:
    t = clean(raw)
    if not t:
        return Result(error="你想考哪个地区？比如“湖北”“河南”或“北京（国考）”。")
    regions = _regions()
    best, best_len = None, 0
    for canonical, info in regions["provinces"].items():
        for alias in [canonical, *info.get("aliases", [])]:
            if alias and alias in t and len(alias) > best_len:
                best, best_len = canonical, len(alias)
        for city in info.get("cities", []):
            short = city[:-1] if len(city) > 2 and city.endswith(("市", "州")) else city
            for alias in (city, short):
                if alias and alias in t and len(alias) > best_len:
                    best, best_len = f"{canonical}·{city}", len(alias)
    for alias, canonical in (regions.get("special") or {}).items():
        if alias in t and len(alias) > best_len:
            best, best_len = canonical, len(alias)
    if best is None:
        return Result(error=f"“{t[:20]}”这个地区我没认出来，请写省份或城市名，比如“湖北”“郑州”。")
    return Result(best)


def province_of(location: Optional[str]) -> Optional[str]:
    if not location:
        return None
    return str(location).split("·")[0]


def normalize_exam(raw: Any, region: Optional[str] = None) -> Result:
    t = clean(raw)
    if not t:
        return Result(error="你准备考哪一类：国考、省考还是选调？")
    exam = knowledge.canonical_exam(t)
    if exam is None and re.search(r"省考|省公务员|联考|地方", t):
        province = province_of(region)
        if province:
            candidate = f"{province}省考"
            exam = candidate if candidate in knowledge.exams() else None
            if exam is None:
                return Result(f"{province}省考")
        else:
            return Result("省考")
    if exam is None:
        return Result(error="考试类型没认出来，请选国考、省考或选调。")
    return Result(exam)


# -- major -------------------------------------------------------------------------------

def normalize_major(raw: Any, education: Optional[str] = None) -> Result:
    """Matches the student's words against the national major catalogues.

    For a postgraduate the graduate catalogue is tried first, for others the undergraduate
    one; either way the other catalogue is the fallback.
    """
    from bot.positions.majors import match_major

    t = clean(raw)
    if not t:
        return Result(error="你学的是什么专业？写专业全称最好，比如“汉语言文学”。")
    level = "graduate" if education in ("硕士研究生", "博士研究生") else "undergraduate"
    match = match_major(t, level=level) or match_major(t)
    if match is None:
        return Result(error=f"“{t[:20]}”在专业目录里没找到。能发一下毕业证或学位证上的专业全称吗？比如“汉语言文学”“计算机科学与技术”。")
    return Result(match.name, extra={"major_code": match.code, "major_raw": t[:128]})


def normalize_gender(raw: Any) -> Result:
    t = clean(raw).lower()
    if re.search(r"女|female|woman|girl", t):
        return Result("女")
    if re.search(r"男|male|man|boy", t):
        return Result("男")
    return Result(error="性别请回答“男”或“女”；不方便说的话说“跳过”，限性别的岗位我会标成需要确认。")


NORMALIZERS = {
    "age": normalize_age,
    "education": normalize_education,
    "major": normalize_major,
    "grad_year": normalize_grad_year,
    "fresh_graduate": normalize_fresh_graduate,
    "political_status": normalize_political_status,
    "experience_years": normalize_experience_years,
    "target_region": normalize_location,
    "gender": normalize_gender,
}


def normalize(slot: str, raw: Any, **context: Any) -> Result:
    """Normalises one intake slot; ``skip`` answers are kept as ``SKIPPED``."""
    if raw == SKIPPED:
        return Result(SKIPPED)
    if slot == "target_exam":
        return normalize_exam(raw, context.get("region"))
    if slot == "major":
        return normalize_major(raw, context.get("education"))
    fn = NORMALIZERS.get(slot)
    if fn is None:
        t = clean(raw)
        return Result(t) if t else Result(error="没看到内容，请再说一次。")
    return fn(raw)
