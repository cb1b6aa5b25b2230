"""Parsing of official requirement text into small, typed requirement objects.

A post's requirement columns (学历, 学位, 专业, 年龄, 政治面貌, 工作经历, 招录对象,
其他要求, 备注 …) are parsed into a :class:`Requirements`: a tuple of *conditions* (each a
frozen dataclass that one rule in :mod:`bot.positions.rules` decides), a tuple of *notes*
(reminders that do not decide eligibility, such as avoidance clauses or minimum service
years) and the post's phone number. Conditions are hashable, so posts that share the same
wording share one object and the engine decides it once per profile.

Every parser keeps the official wording (``text``) so that reasons quote the table.
Text no parser understands becomes an :class:`Unparsed` condition: it is never ignored,
the verdict asks for confirmation instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

# Education levels, lowest first. 高中 covers 高中/职业中专/技工学校.
EDUCATION_LEVELS: Tuple[str, ...] = ("高中", "大专", "本科", "硕士研究生", "博士研究生")
EDU_RANK: Dict[str, int] = {lvl: i for i, lvl in enumerate(EDUCATION_LEVELS)}
DEGREES: Tuple[str, ...] = ("无", "学士", "硕士", "博士")
DEGREE_RANK: Dict[str, int] = {d: i for i, d in enumerate(DEGREES)}
# The degree that corresponds to each education level (与学历相对应的学位).
CORRESPONDING_DEGREE: Dict[str, str] = {
    "高中": "无", "大专": "无", "本科": "学士", "硕士研究生": "硕士", "博士研究生": "博士",
}
POLITICAL_STATUSES: Tuple[str, ...] = ("群众", "共青团员", "中共预备党员", "中共党员")
# Segment levels of a major requirement.
MAJOR_LEVELS: Tuple[str, ...] = ("专科", "本科", "研究生")
ANY_LEVEL = "不分层次"

SPECIAL_GROUPS: Dict[str, str] = {
    "service_project": "服务基层项目人员",
    "veteran": "退役士兵",
    "village_cadre": "村（社区）“两委”成员",
    "institution_staff": "事业编制人员",
    "disabled": "残疾人",
    "hk_macao": "港澳居民",
}
CERTIFICATES: Dict[str, str] = {
    "legal_A": "法律职业资格证书A证",
    "legal_B": "法律职业资格证书B证",
    "legal_C": "法律职业资格证书C证",
    "physician": "执业医师资格",
    "pharmacist": "执业药师资格",
    "nurse": "护士执业资格",
    "english": "英语等级证书",
}

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10}


def norm(text: object) -> str:
    """NFKC (full-width punctuation to ASCII), no surrounding space; None -> ''."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    t = t.replace("\u3000", " ").replace("\r", "\n")
    return t.strip()


_ZH = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；"})


def zh(text: Optional[str]) -> Optional[str]:
    """Official wording for display: the full-width punctuation NFKC turned into ASCII."""
    if text is None:
        return None
    return re.sub(r"(?<!\d):|:(?!\d)", "：", text.translate(_ZH))


def _number(text: str) -> Optional[float]:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if text in _CN_NUM:
        return float(_CN_NUM[text])
    m = re.fullmatch(r"([一二两三四五六七八九])?十([一二三四五六七八九])?", text)
    if m:
        return float((_CN_NUM[m.group(1)] if m.group(1) else 1) * 10
                     + (_CN_NUM[m.group(2)] if m.group(2) else 0))
    return None


def is_blank(text: str) -> bool:
    return norm(text) in ("", "无", "无要求", "不限", "无限制", "-", "—", "/", "nan", "None")


# --------------------------------------------------------------------------- conditions
@dataclass(frozen=True)
class Condition:
    """Base of every parsed requirement; ``text`` is the official wording."""

    text: str


@dataclass(frozen=True)
class EducationReq(Condition):
    allowed: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class DegreeReq(Condition):
    kind: str = "corresponding"      # corresponding | min | set
    level: Optional[str] = None       # for kind == "min": 学士 / 硕士 / 博士
    allowed: FrozenSet[str] = frozenset()   # for kind == "set": 学士、硕士


@dataclass(frozen=True)
class MajorItem:
    """One entry of a major list: ``金融学类（0203）``, ``0202应用经济学``, ``应用经济学（0202，仅限金融学）``."""

    kind: str                     # category | class | major | discipline | second | name | gd | gd_group
    code: str                     # digits (+T/K suffix, +Z1/L5 for self-set disciplines), '' for names;
                                  # Guangdong: A/B/C + digits (``A0301``), ``G06`` for a 专业大类
    name: str
    narrowing: Tuple[str, ...] = ()   # 仅限 … / （限：…）
    included: Tuple[str, ...] = ()    # （含：…）
    alt_codes: Tuple[str, ...] = ()   # 同时设专业学位类别，代码为1051
    text: str = ""
    excluded: Tuple[str, ...] = ()    # ，不包含… (Guangdong 其他要求)

    @property
    def digits(self) -> str:
        return re.sub(r"[^0-9]", "", self.code)


@dataclass(frozen=True)
class MajorReq(Condition):
    """Major requirement split by level.

    ``segments`` maps a level (专科/本科/研究生, or ``不分层次`` when the table does not
    split) to its items; ``open_levels`` are the levels whose text is 不限.
    ``unrestricted`` is true for 不限专业 as a whole.
    """

    segments: Tuple[Tuple[str, Tuple[MajorItem, ...]], ...] = ()
    open_levels: FrozenSet[str] = frozenset()
    unrestricted: bool = False
    segment_texts: Tuple[Tuple[str, str], ...] = ()

    def items_for(self, level: str) -> Optional[Tuple[MajorItem, ...]]:
        for lvl, items in self.segments:
            if lvl == level or lvl == ANY_LEVEL:
                return items
        return None

    def text_for(self, level: str) -> str:
        for lvl, text in self.segment_texts:
            if lvl == level or lvl == ANY_LEVEL:
                return text
        return self.text


@dataclass(frozen=True)
class AgeReq(Condition):
    min_age: Optional[int] = None
    max_age: Optional[int] = None          # inclusive ("38周岁以下" admits 38)
    fresh_postgrad_max: Optional[int] = None
    fresh_postgrad_year: Optional[int] = None
    safe_max: Optional[int] = None         # when max is unknown: decide only up to here
    source: str = "post"                   # post | exam


@dataclass(frozen=True)
class PoliticalReq(Condition):
    allowed: FrozenSet[str] = frozenset()
    confirm: FrozenSet[str] = frozenset()   # statuses the wording leaves open (预备党员 for 中共党员)
    label: str = ""                         # "中共党员", "非中共党员" …


@dataclass(frozen=True)
class GrassrootsReq(Condition):
    min_years: float = 0.0
    grassroots: bool = True                 # False: any work experience counts


@dataclass(frozen=True)
class FreshGraduateReq(Condition):
    year: Optional[int] = None
    strict: bool = False        # "2026届高校毕业生": that graduating class only (no job-seeking period)


@dataclass(frozen=True)
class SpecialGroupReq(Condition):
    groups: FrozenSet[str] = frozenset()
    detailed: FrozenSet[str] = frozenset()  # groups whose wording adds years/assessment/placement conditions


@dataclass(frozen=True)
class GenderReq(Condition):
    gender: str = ""                        # 男 / 女


@dataclass(frozen=True)
class HouseholdReq(Condition):
    places: Tuple[str, ...] = ()
    allow_origin: bool = True               # 户籍或生源
    city: Optional[str] = None              # city the places belong to, where known
    province: Optional[str] = None          # province of the exam (河南)
    region_places: Tuple[str, ...] = ()     # the cities of that province


@dataclass(frozen=True)
class CertificateReq(Condition):
    any_of: FrozenSet[str] = frozenset()
    detail: bool = False                    # scope/score conditions beyond holding it
    confirm_of: FrozenSet[str] = frozenset()  # certificates the wording leaves open (法考 B/C 证)
    if_major: str = ""                      # only for applicants of this major (法学专业报考者须…)


@dataclass(frozen=True)
class RegularCollegeReq(Condition):
    pass


@dataclass(frozen=True)
class PriorMajorReq(Condition):
    """The undergraduate major behind a degree: ``本科须为法学专业且获法学学士学位``,
    ``研究生报考者本科须为…`` (``graduates_only``)."""

    major: str = ""
    degree: str = ""
    graduates_only: bool = False


@dataclass(frozen=True)
class EthnicityReq(Condition):
    """``瑶族`` / ``壮族或瑶族`` in 其他要求."""

    allowed: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class InSchoolReq(Condition):
    """General rule: students who do not graduate in the exam year may not apply."""

    exam_year: int = 0


@dataclass(frozen=True)
class Unparsed(Condition):
    field_name: str = ""


@dataclass(frozen=True)
class Requirements:
    conditions: Tuple[Condition, ...] = ()
    notes: Tuple[str, ...] = ()
    phone: Optional[str] = None


# --------------------------------------------------------------------------- education
_EDU_WORD = [
    ("博士研究生", "博士研究生"), ("博士", "博士研究生"),
    ("硕士研究生", "硕士研究生"), ("硕士", "硕士研究生"), ("研究生", "硕士研究生"),
    ("本科", "本科"), ("学士", "本科"),
    ("大专", "大专"), ("专科", "大专"), ("高职", "大专"),
    ("高中", "高中"), ("中专", "高中"), ("技工学校", "高中"), ("职业中专", "高中"), ("技校", "高中"),
]


def _edu_level(word: str) -> Optional[str]:
    for key, lvl in _EDU_WORD:
        if key in word:
            return lvl
    return None


def parse_education(text: object) -> Optional[Condition]:
    """``本科及以上`` / ``仅限本科`` / ``本科或硕士研究生`` / ``研究生（硕士及以上）`` …"""
    t = norm(text)
    if is_blank(t):
        return None
    s = t.replace(" ", "")
    # 研究生(硕士及以上) / 研究生(仅限博士)
    m = re.fullmatch(r"研究生\((.+)\)", s)
    if m:
        s = m.group(1)
    if s.endswith("及以上") or s.endswith("以上"):
        head = re.sub(r"(及)?以上$", "", s)
        parts = [p for p in re.split(r"[、,/或]", head) if p]
        levels = [_edu_level(p) for p in parts]
        levels = [lv for lv in levels if lv]
        if not levels:
            return Unparsed(t, field_name="学历")
        low = min(EDU_RANK[lv] for lv in levels)
        return EducationReq(t, allowed=frozenset(EDUCATION_LEVELS[low:]))
    s2 = re.sub(r"^(仅限|限)", "", s)
    parts = [p for p in re.split(r"[、,/或]|及", s2) if p]
    levels = [_edu_level(p) for p in parts]
    if parts and all(levels):
        if s2 == "研究生":  # 研究生 without a level admits both
            return EducationReq(t, allowed=frozenset({"硕士研究生", "博士研究生"}))
        return EducationReq(t, allowed=frozenset(levels))  # type: ignore[arg-type]
    return Unparsed(t, field_name="学历")


# --------------------------------------------------------------------------- degree
def parse_degree(text: object) -> Optional[Condition]:
    """``与学历相对应的学位`` / ``学士`` / ``学士及以上`` / ``硕士及以上`` / ``博士`` / ``无要求``."""
    t = norm(text)
    if is_blank(t):
        return None
    s = t.replace(" ", "")
    if "相对应" in s or "相应" in s:
        return DegreeReq(t, kind="corresponding")
    m = re.fullmatch(r"(?:仅限|取得)?(学士|硕士|博士)(?:学位)?(及以上|以上)?(?:学位)?", s)
    if m:
        return DegreeReq(t, kind="min", level=m.group(1))
    parts = [p for p in re.split(r"[、,/或及和]", re.sub(r"学位", "", s)) if p]
    if len(parts) > 1 and all(p in DEGREE_RANK and p != "无" for p in parts):
        # 学士、硕士 (Guangdong): these degrees; a higher one is for the organ to accept.
        return DegreeReq(t, kind="set", level=min(parts, key=DEGREE_RANK.__getitem__),
                         allowed=frozenset(parts))
    return Unparsed(t, field_name="学位")


# --------------------------------------------------------------------------- majors
_SPLIT_TOP = re.compile(r"[,;](?![^()]*\))")


def _split_outside_parens(text: str, seps: str) -> List[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out if p.strip()]


_CODE = r"\d{2}(?:\d{2}(?:\d{2,3})?)?(?:[A-Z]{1,2}\d?)?"


def _item_kind(code: str, name: str, level: str) -> str:
    digits = re.sub(r"[^0-9]", "", code)
    if len(digits) == 2:
        return "category"
    if len(digits) == 4 and not re.search(r"[A-Z]", code):
        if level == "研究生":
            return "discipline"
        if level in ("本科", "专科"):
            return "class"
        return "class" if name.endswith("类") else "discipline"
    if level == "研究生" or re.search(r"[ZL]\d", code):
        return "second"
    return "major"


def _names_in(text: str) -> Tuple[str, ...]:
    return tuple(n.strip() for n in _split_outside_parens(text, "、,") if n.strip())


_GD_ITEM = re.compile(r"(?P<name>.+?)\((?P<code>[ABC]\d{2}(?:\d{2}(?:\d{2})?)?)\)")
_GD_GROUP = re.compile(r"(?P<code>\d{2})\s*(?P<name>[\u4e00-\u9fff]{2,8}类)")


def _gd_item(t: str) -> Optional[MajorItem]:
    """Guangdong's lettered entries ``法学(A0301)``, ``民商法学(含:劳动法学、…)(A030105)``,
    ``企业管理(限:财务管理)(A120202)`` and its 专业大类 ``06法律类``."""
    m = _GD_ITEM.fullmatch(t)
    if m:
        name = m.group("name").strip()
        included: Tuple[str, ...] = ()
        narrowing: Tuple[str, ...] = ()
        inc = re.search(r"\(含\s*[:∶：]?\s*(.+?)\)", name)
        if inc:
            included = _names_in(inc.group(1))
        lim = re.search(r"\((?:仅限|限)\s*[:∶：]?\s*(.+?)\)", name)
        if lim:
            narrowing = _names_in(lim.group(1))
        core = re.sub(r"\(.*?\)", "", name).strip() or name
        return MajorItem(kind="gd", code=m.group("code"), name=core, narrowing=narrowing,
                         included=included, text=t)
    m = _GD_GROUP.fullmatch(t)
    if m:
        from bot.positions import gdmajors

        if gdmajors.is_group(m.group("code"), m.group("name")):
            return MajorItem(kind="gd_group", code="G" + m.group("code"), name=m.group("name"), text=t)
    return None


@lru_cache(maxsize=65536)
def parse_major_item(text: str, level: str) -> Optional[MajorItem]:
    """One list entry in any layout: ``名称（代码[，仅限…]）`` (Henan, national),
    ``代码名称[（注释）]`` (Hubei) or Guangdong's lettered codes ``名称(A0301)`` /
    ``06法律类``. Returns ``None`` for empty text."""
    t = norm(text).strip(" .。")
    if not t:
        return None
    gd = _gd_item(t)
    if gd is not None:
        return gd
    narrowing: Tuple[str, ...] = ()
    included: Tuple[str, ...] = ()
    alt: Tuple[str, ...] = ()
    # Layout 1: name ( code [, 仅限 …] ) at the end; the name may carry its own (含…) note.
    m = re.fullmatch(r"(?P<name>.+?)\((?P<code>" + _CODE + r")(?:\s*[,，]\s*(?P<rest>.+))?\)", t)
    if m:
        name = m.group("name").strip()
        code = m.group("code")
        rest = (m.group("rest") or "").strip()
        if rest:
            r = re.match(r"^(?:仅限|限|只限)(.+)$", rest)
            if r:
                narrowing = _names_in(r.group(1))
        name_core = re.sub(r"\(.*?\)", "", name).strip() or name
        return MajorItem(kind=_item_kind(code, name_core, level), code=code, name=name_core,
                         narrowing=narrowing, text=t)
    # Layout 2: code name [ (note) ]; codes may be alternatives "0401Z1/0401Z3".
    m = re.fullmatch(r"(?P<code>" + _CODE + r"(?:/" + _CODE + r")*)\s*(?P<name>[^()]+?)\s*(?:\((?P<note>.*)\))?", t)
    if m:
        codes = m.group("code").split("/")
        name = m.group("name").strip()
        note = (m.group("note") or "").strip()
        if note:
            inc = re.match(r"^含\s*[:∶：]?\s*(.+)$", note)
            if inc:
                included = _names_in(inc.group(1))
            alt = tuple(re.findall(r"代码为\s*(\d{4})", note))
            if re.match(r"^(?:仅限|限|只限)", note):
                narrowing = _names_in(re.sub(r"^(?:仅限|限|只限)", "", note))
        return MajorItem(kind=_item_kind(codes[0], name, level), code=codes[0], name=name,
                         narrowing=narrowing, included=included,
                         alt_codes=tuple(codes[1:]) + alt, text=t)
    # Name only ("海岸及近海工程", "会计学、企业管理（含：…）", the national exam's
    # "中国语言文学类"): placed by the national catalogue where it names it exactly.
    name = re.sub(r"\(.*?\)", "", t).strip()
    inc = re.search(r"\(含\s*[:∶：]?\s*(.+?)\)", t)
    if inc:
        included = _names_in(inc.group(1))
    from bot.positions.majors import resolve_list_name

    placed = resolve_list_name(name, level) if not included else None
    if placed is not None:
        return MajorItem(kind=placed[0], code=placed[1], name=name, text=t)
    return MajorItem(kind="name", code="", name=name, included=included, text=t)


def _parse_item_list(text: str, level: str) -> Tuple[MajorItem, ...]:
    items: List[MajorItem] = []
    for chunk in _split_outside_parens(text, ",，"):
        # A code-less chunk listing several names with 、 ("会计学、企业管理（含…）、审计学").
        if not re.search(r"\d{2}", chunk) and "、" in re.sub(r"\(.*?\)", "", chunk):
            pieces = _split_outside_parens(chunk, "、")
        else:
            pieces = [chunk]
        for piece in pieces:
            item = parse_major_item(piece, level)
            if item:
                items.append(item)
    return tuple(items)


_LEVEL_PREFIX = re.compile(r"^(专科|大专|高职|本科|研究生|硕士研究生|硕士|博士研究生|博士)\s*[:：]\s*")
_LEVEL_OF_PREFIX = {"专科": "专科", "大专": "专科", "高职": "专科", "本科": "本科", "研究生": "研究生",
                    "硕士研究生": "研究生", "硕士": "研究生", "博士研究生": "研究生", "博士": "研究生"}


def _open(text: str) -> bool:
    return norm(text).replace(" ", "") in ("不限", "不限专业", "专业不限", "无要求", "无限制")


def parse_majors(major: object = None, college: object = None, undergrad: object = None,
                 graduate: object = None) -> Optional[Condition]:
    """Major requirement from one ``专业`` column (``本科：…；研究生：…``) and/or the
    per-level columns (专科专业, 本科专业, 研究生专业)."""
    return _parse_majors(norm(major), norm(college), norm(undergrad), norm(graduate))


@lru_cache(maxsize=65536)
def _parse_majors(major: str, college: str, undergrad: str, graduate: str) -> Optional[Condition]:
    segments: Dict[str, Tuple[MajorItem, ...]] = {}
    seg_texts: Dict[str, str] = {}
    open_levels = set()
    texts = []
    single = norm(major)
    if single:
        texts.append(single)
        if _open(single):
            return MajorReq(single, unrestricted=True)
        for seg in [s for s in re.split(r"[;；]\s*|\n+", single) if s.strip()]:
            m = _LEVEL_PREFIX.match(seg.strip())
            level = _LEVEL_OF_PREFIX[m.group(1)] if m else ANY_LEVEL
            body = seg.strip()[m.end():] if m else seg.strip()
            if _open(body):
                open_levels.add(level)
                continue
            items = _parse_item_list(body, level)
            segments[level] = segments.get(level, ()) + items
            seg_texts[level] = (seg_texts[level] + "；" + body) if level in seg_texts else body
    for level, value in (("专科", college), ("本科", undergrad), ("研究生", graduate)):
        v = norm(value)
        if not v:
            continue
        texts.append(f"{level}：{v}")
        if _open(v):
            open_levels.add(level)
            continue
        segments[level] = segments.get(level, ()) + _parse_item_list(v, level)
        seg_texts[level] = v
    if not texts:
        return None
    if not segments and open_levels:
        return MajorReq("；".join(texts), unrestricted=True, open_levels=frozenset(open_levels))
    return MajorReq(
        "；".join(texts),
        segments=tuple(sorted(segments.items())),
        open_levels=frozenset(open_levels),
        segment_texts=tuple(sorted(seg_texts.items())),
    )


# --------------------------------------------------------------------------- age
def parse_age(text: object) -> Optional[Condition]:
    """``18周岁以上、38周岁以下`` (+ ``，2026年应届硕士、博士研究生为35周岁以下``)."""
    t = norm(text)
    if is_blank(t):
        return None
    s = t.replace(" ", "")
    fresh = re.search(r"(?:(\d{4})年)?应届(?:硕士|博士|硕士、博士|硕士和博士|硕士或博士)[^,，;；]*?(\d{2})周岁(?:以下|及以下)", s)
    main = s[: fresh.start()] if fresh else s
    lo = re.search(r"(\d{2})周岁(?:以上|及以上)", main)
    hi = re.search(r"(\d{2})周岁(?:以下|及以下)", main)
    if not lo and not hi:
        m = re.fullmatch(r"(\d{2})[-~至到](\d{2})(?:周)?岁", main.rstrip(",，;；"))
        if not m:
            return Unparsed(t, field_name="年龄")
        return AgeReq(t, min_age=int(m.group(1)), max_age=int(m.group(2)))
    return AgeReq(
        t,
        min_age=int(lo.group(1)) if lo else None,
        max_age=int(hi.group(1)) if hi else None,
        fresh_postgrad_max=int(fresh.group(2)) if fresh else None,
        fresh_postgrad_year=int(fresh.group(1)) if fresh and fresh.group(1) else None,
    )


def exam_age_requirement(limits: Optional[Mapping[str, object]], label: str = "") -> Optional[AgeReq]:
    """The exam-year age limits from knowledge/exams.yml as a requirement (``label`` names
    the kind of post a special rule is for, e.g. 人民警察职位)."""
    if not limits:
        return None
    lo, hi = limits.get("min"), limits.get("max")
    fp = limits.get("max_fresh_postgrad")
    safe = limits.get("known_safe_max")
    parts = []
    if lo is not None:
        parts.append(f"{lo}周岁以上")
    if hi is not None:
        parts.append(f"{hi}周岁以下")
    if fp is not None:
        parts.append(f"应届硕士、博士研究生{fp}周岁以下")
    kind = f"（{label}）" if label else ""
    label = f"{limits.get('exam', '')}{limits.get('year', '')}年度年龄条件{kind}：" + "、".join(parts)
    return AgeReq(label, min_age=lo, max_age=hi, fresh_postgrad_max=fp,  # type: ignore[arg-type]
                  safe_max=safe if hi is None else None, source="exam")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- political
def parse_political(text: object) -> Optional[Condition]:
    t = norm(text)
    if is_blank(t):
        return None
    s = t.replace(" ", "")
    members = {"中共党员"}
    if re.fullmatch(r"非中共党员(?:\(民主党派[^()]*\))?", s):
        # 非中共党员（民主党派仅限民盟盟员）: the bracket narrows democratic-party members only.
        return PoliticalReq(t, allowed=frozenset({"群众", "共青团员"}), label="非中共党员")
    if re.search(r"可以?报考$|可报$", s) or re.search(r"无党派|民主党派|致公党|民建|民盟|民革|民进|农工党|台盟|九三学社", s):
        # A list of who may apply ("致公党员、共青团员、无党派人士可以报考").
        allowed = set()
        if "共青团员" in s:
            allowed.add("共青团员")
        if re.search(r"(?<!非)中共党员", s):
            allowed.add("中共党员")
        confirm = {"群众"} if "无党派" in s else set()
        return PoliticalReq(t, allowed=frozenset(allowed), confirm=frozenset(confirm),
                            label="仅" + re.sub(r"[。.]$", "", s))
    has_cpc = "中共党员" in s or s in ("党员", "中共")
    has_cyl = "共青团员" in s or "团员" in s
    includes_probation = bool(re.search(r"含(中共)?预备党员|或(中共)?预备党员|预备党员可以?报考", s))
    if has_cpc or has_cyl:
        allowed = set()
        confirm = set()
        if has_cpc:
            allowed |= members
            if includes_probation:
                allowed.add("中共预备党员")
            else:
                confirm.add("中共预备党员")
        if has_cyl:
            allowed.add("共青团员")
        label = "中共党员或共青团员" if has_cpc and has_cyl else ("中共党员" if has_cpc else "共青团员")
        return PoliticalReq(t, allowed=frozenset(allowed), confirm=frozenset(confirm), label=label)
    if s == "群众":
        return PoliticalReq(t, allowed=frozenset({"群众"}), label="群众")
    return Unparsed(t, field_name="政治面貌")


# --------------------------------------------------------------------------- experience
def parse_experience(text: object) -> Optional[Condition]:
    """``具有两年以上基层工作经历`` / ``二年`` / ``2年以上工作经历`` / ``无要求``."""
    t = norm(text)
    if is_blank(t) or t in ("无基层工作经历要求", "不要求", "否", "不需要"):
        return None
    s = t.replace(" ", "")
    if "应届" in s or re.search(r"\d{4}届", s):
        # "2024应届毕业生" / "限应届" in an experience column: a fresh-graduate post.
        fresh = fresh_graduate_req(t)
        if fresh is not None:
            return fresh
    m = re.search(r"([0-9]+|[一二两三四五六七八九十]+)年(?:及)?(?:以上)?", s)
    if not m:
        return Unparsed(t, field_name="工作经历")
    years = _number(m.group(1))
    if years is None:
        return Unparsed(t, field_name="工作经历")
    grassroots = "基层" in s or not ("工作经历" in s or "工作经验" in s)
    return GrassrootsReq(t, min_years=years, grassroots=grassroots)


# --------------------------------------------------------------------------- groups, other
_GROUP_PATTERNS: Sequence[Tuple[str, str]] = (
    (r"服务基层项目|四项目|三支一扶|西部计划|特岗|大学生村官|选聘生", "service_project"),
    (r"退役士兵|退役大学生士兵|大学生士兵|退役军士|义务兵|退役军人|退出现役", "veteran"),
    (r"两委|主职干部|村干部|社区干部", "village_cadre"),
    (r"事业编制|事业单位工作人员", "institution_staff"),
    (r"残疾人证|残疾人", "disabled"),
    (r"面向港澳|港澳居民|港澳人士|香港居民|澳门居民", "hk_macao"),
)


def _groups_in(s: str) -> FrozenSet[str]:
    return frozenset(tag for pat, tag in _GROUP_PATTERNS if re.search(pat, s))


_GROUP_DETAIL = re.compile(r"\d+年|满|考核合格|符合条件|安排工作|安置|高校毕业生|有效期|类型|现任")


def special_group(text: str) -> SpecialGroupReq:
    """``服务期满考核合格的四项目人员、退役士兵、…事业编制人员``: any of the groups; a group
    whose own words add conditions (years served, assessment, placement) is ``detailed``."""
    groups, detailed = set(), set()
    for part in re.split(r"[、,，;；]|或", norm(text).replace(" ", "")):
        tags = _groups_in(part)
        groups |= tags
        if tags and _GROUP_DETAIL.search(part):
            detailed |= tags
    return SpecialGroupReq(text, groups=frozenset(groups), detailed=frozenset(detailed))


def fresh_graduate_req(text: str, exam_year: Optional[int] = None) -> Optional[FreshGraduateReq]:
    """``2026年应届普通高校毕业生`` / ``应届毕业生`` / ``限应届`` (the exam year's fresh
    graduates, job-seeking period included) or ``2026届高校毕业生`` (that class only)."""
    s = norm(text).replace(" ", "")
    strict = re.search(r"(\d{4})届", s)
    if strict and "应届" not in s:
        return FreshGraduateReq(norm(text), year=int(strict.group(1)), strict=True)
    if "应届" not in s:
        return None
    m = re.search(r"(\d{4})(?:年|届)?应届", s) or re.search(r"(\d{4})年", s)
    return FreshGraduateReq(norm(text), year=int(m.group(1)) if m else exam_year)


_YES = ("是", "需要", "要求", "有", "限", "√")


def parse_target_group(text: object, exam_year: Optional[int] = None) -> List[Condition]:
    """``招录对象`` (or 现有身份要求, 是否限应届毕业生报考): ``2026年应届普通高校毕业生``,
    ``2026届高校毕业生``, ``具有2年及以上基层工作经历人员``, ``服务期满考核合格的四项目人员、
    退役士兵、…``, ``不限`` / ``否``. Several clauses separated by ``；`` are read one by one."""
    t = norm(text)
    if is_blank(t) or t in ("否", "不是", "不限制"):
        return []
    parts = [p for p in re.split(r"[;；\n]+", t) if p.strip()]
    if len(parts) > 1:
        out: List[Condition] = []
        for part in parts:
            out += [c for c in parse_target_group(part, exam_year) if c not in out]
        return out
    s = t.replace(" ", "")
    if s in ("是", "限", "仅限"):
        return [FreshGraduateReq(t, year=exam_year)]  # a yes/no "限应届毕业生" column said yes
    if (re.search(r"应届", s) or re.search(r"\d{4}届", s)) and re.search(r"毕业生|应届", s) \
            and not _groups_in(s):
        fresh = fresh_graduate_req(t, exam_year)
        if fresh is not None:
            return [fresh]
    if "基层工作经历" in s and not _groups_in(s):
        exp = parse_experience(s)
        return [exp] if exp else [Unparsed(t, field_name="招录对象")]
    if _groups_in(s):
        return [special_group(t)]
    return [Unparsed(t, field_name="招录对象")]


_PHONE = re.compile(
    r"(?:\(?0\d{2,3}\)?[-－—–\s]?)?\d{7,8}(?:[-－—–]?转\d{2,5}|[-－—–]\d{3,4}(?:[、,，]\d{3,4})*)?"
    r"|1[3-9]\d{9}"
)


def extract_phone(text: object) -> Optional[str]:
    """The consultation phone number(s) in a remark, as written (``0371-61176087``)."""
    t = norm(text)
    if not t:
        return None
    m = re.search(r"(?:咨询|联系)电话\s*[:：]?\s*(.+)", t)
    scope = m.group(1) if m else t
    found = _PHONE.findall(scope)
    if not found:
        return None
    phones = []
    for p in found:
        p = re.sub(r"[－—–]", "-", p).strip()
        if p not in phones:
            phones.append(p)
    return "、".join(phones)


_NOTE_PATTERNS: Sequence[str] = (
    r"最低服务", r"服务年限", r"服务期限", r"不得报考", r"回避", r"工作地点", r"统筹", r"分配",
    r"体能测评", r"体检", r"政治考察", r"出差", r"值班", r"值守", r"夜间", r"野外", r"封闭",
    r"井下", r"从事", r"负责", r"工作任务", r"主修专业", r"身体条件和心理素质", r"民主党派",
    r"选择职位", r"选择单位", r"确定岗位", r"职位$", r"法院\d+名", r"最高学历相对应专业",
    r"参公", r"直属", r"地处", r"能适应", r"能够适应", r"适应", r"需到", r"需参与", r"需经常",
    r"监管所", r"司法所", r"在市场监管所", r"招录后", r"录用后", r"人民警察",
    r"政审", r"包含.{1,12}方向", r"心理素质测评", r"心理测评", r"未通过的",
)


def _is_note(s: str) -> bool:
    return any(re.search(p, s) for p in _NOTE_PATTERNS)


def parse_clause(clause: str, *, post_city: Optional[str] = None, province: Optional[str] = None,
                 region_places: Tuple[str, ...] = (), exam_year: Optional[int] = None,
                 field_name: str = "其他要求", strict: bool = True) -> Tuple[List[Condition], List[str]]:
    """One clause of 其他要求/备注 -> (conditions, notes). ``strict`` makes unknown text a
    condition to confirm (其他要求); otherwise it becomes a note (备注)."""
    conds, notes = _parse_clause(clause, post_city, province, tuple(region_places), exam_year,
                                 field_name, strict)
    return list(conds), list(notes)


@lru_cache(maxsize=65536)
def _parse_clause(clause: str, post_city: Optional[str], province: Optional[str],
                  region_places: Tuple[str, ...], exam_year: Optional[int], field_name: str,
                  strict: bool) -> Tuple[Tuple[Condition, ...], Tuple[str, ...]]:
    conds, notes = _parse_clause_uncached(clause, post_city=post_city, province=province,
                                          region_places=region_places, exam_year=exam_year,
                                          field_name=field_name, strict=strict)
    return tuple(conds), tuple(notes)


def _parse_clause_uncached(clause: str, *, post_city: Optional[str] = None, province: Optional[str] = None,
                           region_places: Tuple[str, ...] = (), exam_year: Optional[int] = None,
                           field_name: str = "其他要求", strict: bool = True
                           ) -> Tuple[List[Condition], List[str]]:
    s = norm(clause).strip(" 。.;；,，")
    s = re.sub(r"^\d+[.、]\s*", "", s)
    if not s:
        return [], []
    conds: List[Condition] = []
    notes: List[str] = []
    compact = s.replace(" ", "")
    # Gender.
    g = re.fullmatch(r"(?:仅)?限(男|女)(?:性)?(?:报考)?", compact) or re.fullmatch(r"(男|女)性", compact)
    if g:
        return [GenderReq(s, gender=g.group(1))], []
    # Household registration / origin.
    h = re.fullmatch(r"(?:仅)?限(.+?)(户籍|户口)(或生源(?:地)?)?(?:人员)?(?:报考)?", compact)
    if h:
        places = tuple(p for p in re.split(r"[、,或]", h.group(1)) if p)
        return [HouseholdReq(s, places=places, allow_origin=bool(h.group(3)), city=post_city,
                             province=province, region_places=region_places)], []
    # Political status (alone or with a group: 高校毕业生退役士兵且为中共党员).
    if "党员" in compact or "团员" in compact or "无党派" in compact:
        if "民主党派" in compact and "非中共党员" not in compact:
            return [], [s]
        if re.search(r"且为|并且是|且是", compact):
            head, tail = re.split(r"且为|并且是|且是", compact, maxsplit=1)
            sub_c, sub_n = parse_clause(head, post_city=post_city, province=province,
                                        region_places=region_places,
                                        exam_year=exam_year, field_name=field_name, strict=strict)
            pol = parse_political(tail)
            return sub_c + ([pol] if pol else []), sub_n
        pol = parse_political(compact)
        if pol is not None and not isinstance(pol, Unparsed):
            return [pol], ([s] if "民主党派" in compact else [])
    # The undergraduate major behind the degree (本科须为法学专业且获法学学士学位).
    pm = re.fullmatch(r"(?:(研究生)(?:学历)?报考者)?(?:其)?本科(?:专业)?(?:须|应|必须)(?:为|是)(.+?)专业"
                      r"(?:[,，]?(?:且|并)(?:获|取得|获得)(.+?)学位)?", compact)
    if pm:
        return [PriorMajorReq(s, major=pm.group(2), degree=pm.group(3) or "",
                              graduates_only=bool(pm.group(1)))], []
    # Certificates. "通过法律职业资格考试，未通过的录用后需…工作满5年" is a service condition.
    if re.search(r"法律职业资格", compact) and "未通过" in compact:
        return [], [s]
    if re.search(r"法律职业资格", compact):
        letters = re.findall(r"([ABC])证", compact.upper())
        if_major = re.match(r"^(.{1,12}?)专业(?:的)?报考者", compact)
        if letters:
            return [CertificateReq(s, any_of=frozenset(f"legal_{x}" for x in letters),
                                   if_major=if_major.group(1) if if_major else "")], []
        # No class named: the A certificate surely counts; B and C (regional) are to check.
        return [CertificateReq(s, any_of=frozenset({"legal_A"}), confirm_of=frozenset({"legal_B", "legal_C"}),
                               if_major=if_major.group(1) if if_major else "")], []
    if re.search(r"执业医师|执业药师|护士执业|执业助理医师|医师执业", compact):
        kinds = set()
        if "医师" in compact:
            kinds.add("physician")
        if "执业药师" in compact:
            kinds.add("pharmacist")
        if "护士" in compact:
            kinds.add("nurse")
        return [CertificateReq(s, any_of=frozenset(kinds), detail="(" in compact or "范围" in compact)], []
    if "残疾" in compact:
        return [SpecialGroupReq(s, groups=frozenset({"disabled"}), detailed=frozenset({"disabled"}))], []
    if re.search(r"英语|六级|四级|雅思|托福|CET", compact, re.I):
        return [CertificateReq(s, any_of=frozenset({"english"}), detail=True)], []
    if re.search(r"^(?:具有|具备|持有|取得).*(?:资格|证书|职称|执业)", compact):
        # 具有注册会计师或会计专业技术资格（中级以上）… : a qualification the intake does not list.
        return [CertificateReq(s, any_of=frozenset({"other"}), detail=True)], []
    # Ethnicity (瑶族 / 壮族或瑶族).
    eth = re.fullmatch(r"(?:仅)?限?((?:[\u4e00-\u9fff]{1,5}族)(?:(?:或|、|和)[\u4e00-\u9fff]{1,5}族)*)(?:报考)?", compact)
    if eth:
        return [EthnicityReq(s, allowed=frozenset(re.split(r"或|、|和", eth.group(1))))], []
    # 普通高等学校 (regular higher education) clauses, with education/degree parts.
    if ("普通高等学校" in compact or "普通高校" in compact or "普通高等院校" in compact) and "应届" not in compact:
        head, _, rest = s.partition(",") if re.search(r"\)\s*,", s) else (s, "", "")
        if rest.strip():
            # 普通高等院校毕业生（非在职）, 本科须为法学专业…: two clauses joined by a comma.
            c1, n1 = parse_clause(head, post_city=post_city, province=province, region_places=region_places,
                                  exam_year=exam_year, field_name=field_name, strict=strict)
            c2, n2 = parse_clause(rest, post_city=post_city, province=province, region_places=region_places,
                                  exam_year=exam_year, field_name=field_name, strict=strict)
            return c1 + [c for c in c2 if c not in c1], n1 + n2
        m = re.search(r"普通高等学校(本科|大专|研究生|硕士研究生)(及以上)?[、,]?(学士|硕士|博士)?(及以上)?", compact)
        if m and m.group(1):
            # "普通高等学校本科、学士" sets a floor, the 学历 column sets the levels.
            edu = parse_education(m.group(1) + "及以上")
            if edu is not None and not isinstance(edu, Unparsed):
                conds.append(edu)
            if m.group(3):
                conds.append(DegreeReq(s, kind="min", level=m.group(3)))
        conds.append(RegularCollegeReq(s))
        return conds, []
    # Target groups written in 其他要求 (服务基层项目人员, 退役士兵, 残疾人证 …).
    if _groups_in(compact):
        return parse_target_group(s, exam_year), []
    if (re.search(r"应届", compact) or re.search(r"\d{4}届", compact)) and "毕业生" in compact \
            or re.fullmatch(r"(?:本职位)?(?:仅)?限应届(?:生)?(?:报考)?", compact):
        return parse_target_group(s, exam_year), []
    if "基层工作经历" in compact:
        exp = parse_experience(compact)
        if exp:
            return [exp], []
    if "周岁" in compact:
        age = parse_age(compact)
        if age is not None:
            return [age], []
    if _is_note(compact):
        return [], [s]
    if strict:
        return [Unparsed(s, field_name=field_name)], []
    return [], [s]


def _clauses(text: str) -> List[str]:
    t = norm(text)
    if not t:
        return []
    parts = re.split(r"[;；。\n]+|(?<=[^\d])[,，](?=\d[.、])|\s(?=\d[.、])", t)
    return [p.strip() for p in parts if p and p.strip(" ,，.")]


# --------------------------------------------------------------------------- major notes
_NOTE_CODE = r"[ABC]\d{2}(?:\d{2}(?:\d{2})?)?|\d{4}(?:\d{2})?"
_MAJOR_NOTE = re.compile(
    r"(?P<name>[^,，;；()]+?)\((?:仅限|限)\s*[:：]?\s*(?P<lim>[^()]+)\)\s*\((?P<code>" + _NOTE_CODE + r")\)"
    r"|(?P<name2>[^,，;；()]+?)\((?P<code2>" + _NOTE_CODE + r")\)\s*[,，]\s*不(?:包含|含)(?P<ex>[^,，;；]+)")


@dataclass(frozen=True)
class MajorNote:
    """``企业管理（限：财务管理）（A120202）`` / ``金融学（A020204），不包含保险学`` in 其他要求:
    a narrowing or an exclusion of one entry of the post's major list."""

    code: str
    name: str
    narrowing: Tuple[str, ...] = ()
    excluded: Tuple[str, ...] = ()
    text: str = ""


def extract_major_notes(text: object) -> Tuple[Tuple[MajorNote, ...], str]:
    """(notes found, the text left once they are taken out)."""
    t = norm(text)
    if not t or "(" not in t:
        return (), t
    found: List[MajorNote] = []
    for m in _MAJOR_NOTE.finditer(t):
        if m.group("code"):
            found.append(MajorNote(m.group("code"), m.group("name").strip(), narrowing=_names_in(m.group("lim")),
                                   text=m.group(0).strip()))
        else:
            found.append(MajorNote(m.group("code2"), m.group("name2").strip(),
                                   excluded=_names_in(m.group("ex").strip(" 。.")), text=m.group(0).strip()))
    if not found:
        return (), t
    rest = _MAJOR_NOTE.sub("", t)
    rest = re.sub(r"(?:\s*[,，;；]\s*)+", lambda x: "；" if re.search("[;；]", x.group(0)) else "，", rest)
    return tuple(found), rest.strip(" ,，;；")


def apply_major_notes(req: Optional[Condition], notes: Sequence[MajorNote]) -> Tuple[Optional[Condition], List[Condition]]:
    """The major requirement with the notes attached to the entries they name, and an
    :class:`Unparsed` for a note whose entry the lists do not have."""
    import dataclasses

    if not notes:
        return req, []
    left: List[Condition] = []
    if not isinstance(req, MajorReq) or not req.segments:
        return req, [Unparsed(n.text, field_name="其他要求") for n in notes]
    segments = []
    texts = dict(req.segment_texts)
    used = set()
    for level, items in req.segments:
        new_items = []
        for it in items:
            for i, n in enumerate(notes):
                if it.code == n.code or (not it.code.startswith(("A", "B", "C", "G")) and it.digits == n.code):
                    it = dataclasses.replace(it, narrowing=tuple(dict.fromkeys(it.narrowing + n.narrowing)),
                                             excluded=tuple(dict.fromkeys(it.excluded + n.excluded)))
                    if f"（其他要求：{n.text}）" not in texts.get(level, ""):
                        texts[level] = texts.get(level, "") + f"（其他要求：{n.text}）"
                    used.add(i)
            new_items.append(it)
        segments.append((level, tuple(new_items)))
    left = [Unparsed(n.text, field_name="其他要求") for i, n in enumerate(notes) if i not in used]
    text = req.text + "；其他要求：" + "，".join(n.text for i, n in enumerate(notes) if i in used) if used else req.text
    return dataclasses.replace(req, text=text, segments=tuple(segments),
                               segment_texts=tuple(sorted(texts.items()))), left


# --------------------------------------------------------------------------- other columns
def parse_gender(text: object) -> Optional[Condition]:
    """性别要求 column: ``男`` / ``男性`` / ``限女性`` / ``不限``."""
    t = norm(text)
    if is_blank(t):
        return None
    m = re.fullmatch(r"(?:仅)?限?(男|女)(?:性)?(?:报考)?", t.replace(" ", ""))
    return GenderReq(t, gender=m.group(1)) if m else Unparsed(t, field_name="性别")


def parse_household(text: object, *, post_city: Optional[str] = None, province: Optional[str] = None,
                    region_places: Tuple[str, ...] = ()) -> Optional[Condition]:
    """户籍要求 column: ``广州市`` / ``限广州市户籍或生源`` / ``不限``."""
    t = norm(text)
    if is_blank(t):
        return None
    s = re.sub(r"^(?:仅)?限|(?:报考)$|(?:人员)$", "", t.replace(" ", ""))
    origin = "生源" in s
    s = re.sub(r"(户籍|户口)|(或生源(?:地)?)|生源(?:地)?", "", s)
    places = tuple(p for p in re.split(r"[、,，或/]", s) if p)
    if not places:
        return Unparsed(t, field_name="户籍")
    return HouseholdReq(t, places=places, allow_origin=origin, city=post_city, province=province,
                        region_places=region_places)


_POLICE = re.compile(r"公安|监狱|戒毒|人民警察|司法警察|警务")


def section_conditions(section: str, section_notes: str = "",
                       kind_text: str = "") -> Tuple[List[Condition], List[str]]:
    """A sheet or section that names its posts' group: 面向服务基层项目人员 / 大学生士兵 /
    残疾人 / 退役士兵 restrict the post to that group; 公安, 监狱戒毒 (人民警察) and 乡镇
    add what comes with such posts."""
    conds: List[Condition] = []
    notes: List[str] = []
    s = norm(section).replace(" ", "")
    if s and re.search(r"面向|专门职位|专项", s) and _groups_in(s):
        conds.append(special_group(norm(section)))
    if _POLICE.search(s + norm(kind_text)):
        notes.append("人民警察职位：体检、体能测评和心理测评按人民警察录用标准进行（以招考公告为准）")
    if "乡镇" in s and not re.search(r"服务年限|服务期", norm(section_notes)):
        notes.append("乡镇机关职位：新录用人员在乡镇机关有最低服务年限（以招考公告为准）")
    for line in re.split(r"[\n;；]+", norm(section_notes)):
        line = line.strip()
        if line and re.search(r"[\u4e00-\u9fff]", line):
            notes.append(line)
    return conds, notes


def post_age_rule(rules: Sequence[Mapping[str, object]], kind_text: str) -> Optional[Mapping[str, object]]:
    """The exam's age rule for a kind of post (人民警察 …) whose words appear in the post's
    section or type, from ``post_age`` in knowledge/exams.yml."""
    for rule in rules or ():
        if any(str(k) in kind_text for k in (rule.get("match") or ())):
            return rule
    return None


# --------------------------------------------------------------------------- whole post
def parse_post(post: Mapping[str, object], *, exam_year: Optional[int] = None,
               exam_limits: Optional[Mapping[str, object]] = None, province: Optional[str] = None,
               region_places: Tuple[str, ...] = (),
               post_age: Sequence[Mapping[str, object]] = ()) -> Requirements:
    """All conditions, notes and the phone number of one post (canonical field names)."""
    conds: List[Condition] = []
    notes: List[str] = []

    def add(c: Optional[Condition]) -> None:
        if c is not None and c not in conds:
            conds.append(c)

    add(parse_education(post.get("education")))
    add(parse_degree(post.get("degree")))
    major_notes, other_text = extract_major_notes(post.get("other"))
    major, left = apply_major_notes(
        parse_majors(post.get("major"), post.get("major_college"), post.get("major_undergrad"),
                     post.get("major_graduate")), major_notes)
    add(major)
    for c in left:
        add(c)
    kind_text = f"{norm(post.get('section'))} {norm(post.get('post_type'))}"
    age = parse_age(post.get("age"))
    if age is None:
        rule = post_age_rule(post_age, kind_text)
        if rule is not None:
            # Only the rule's own limits: the general raised limit for fresh postgraduates
            # does not carry over to these posts.
            limits = {k: (exam_limits or {}).get(k, "") for k in ("exam", "year")}
            limits.update(rule.get("age") or {})
            limits.setdefault("max", None)
            age = exam_age_requirement(limits, label=str(rule.get("label") or ""))
            if rule.get("note"):
                notes.append(str(rule["note"]))
        else:
            age = exam_age_requirement(exam_limits)
    add(age)
    add(parse_political(post.get("political")))
    add(parse_experience(post.get("experience")))
    for c in parse_target_group(post.get("target_group"), exam_year):
        add(c)
    for c in parse_target_group(post.get("identity"), exam_year):
        add(c)
    add(parse_gender(post.get("gender")))
    city = norm(post.get("city")) or None
    add(parse_household(post.get("hukou"), post_city=city, province=province, region_places=region_places))
    project = norm(post.get("project"))
    if project and not is_blank(project):
        req = special_group(project)
        add(req if req.groups else SpecialGroupReq(project, groups=frozenset({"service_project"})))
    sc, sn = section_conditions(str(post.get("section") or ""), str(post.get("section_notes") or ""),
                                str(post.get("post_type") or ""))
    for c in sc:
        add(c)
    notes.extend(n for n in sn if n not in notes)
    for field_name, strict in (("other", True), ("remarks", False)):
        text = other_text if field_name == "other" else str(post.get(field_name) or "")
        for clause in _clauses(text):
            clause = re.sub(r"[,，]?\s*(咨询|联系)电话.*$", "", clause)
            if not clause.strip(" ,，") or _PHONE.fullmatch(clause.strip()) is not None:
                continue
            c, n = parse_clause(clause, post_city=city, province=province, region_places=region_places,
                                exam_year=exam_year,
                                field_name="其他要求" if strict else "备注", strict=strict)
            for x in c:
                add(x)
            for x in n:
                if not re.search(r"[\u4e00-\u9fff]", x):
                    continue  # numbering left over from a removed phone clause
                if x not in notes:
                    notes.append(x)
    physical = norm(post.get("physical_exam"))
    if physical and "警察" in physical:
        notes.append(f"体检标准：{physical}")
    fitness = norm(post.get("fitness_test"))
    if fitness in ("是", "需要", "有"):
        notes.append("需进行体能测评")
    for test in re.split(r"[;；、]+", norm(post.get("tests"))):
        if test.strip() and f"需参加{test.strip()}" not in notes:
            notes.append(f"需参加{test.strip()}")
    if exam_year:
        add(InSchoolReq(f"{exam_year}年度考试：在读的非应届毕业生不能报考", exam_year=int(exam_year)))
    phone = norm(post.get("phone")) or extract_phone(post.get("remarks")) or extract_phone(post.get("other"))
    return Requirements(conditions=tuple(conds), notes=tuple(notes), phone=phone or None)
