"""Ranking the posts a student may apply to by fit, not only by odds.

Three layers, each small and separately tested:

* :func:`post_features` turns one post dict (an eligibility result joined with the post's
  details, in any of the shapes the position API returns) into a :class:`Features` record:
  how the post accepts the student's major, its family, level and place, whether it is a
  人民警察 post, its extra tests and service years, its ratio and late-registration surge.
* :func:`student_context` turns the profile, the interest result, the SWOT and the
  preferences into a :class:`Student` record.
* one component function per rule (``c_major`` … ``c_trend``) gives a value in [-1, 1]
  (a few go lower on purpose) and the Chinese fragment that explains it. The weights of
  ``knowledge/ranking.yml`` turn values into points; the total is their sum.

:func:`rank_posts` puts it together: every post gets ``total``, ``components`` (points per
rule), ``why`` (one line: "专业点名要会计学 · 综合管理类合你的兴趣(CSE) · 竞争比 35:1，低于同类中位数")
and ``ask`` (a question for the student, e.g. whether police work is an option).
:func:`parse_preferences` reads re-weighting in words ("我不想去公安", "更看重上岸概率",
"想留武汉", "只要省直" …) into a JSON-ready preferences dict.

Everything returned is JSON-serialisable; the same inputs always give the same order
(ties: lower ratio first, then more openings, then post code).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from statistics import median
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from bot.knowledge import load_yaml

__all__ = [
    "Features", "Student", "COMPONENTS", "params", "post_features", "student_context", "pool_stats",
    "score_post", "rank_posts", "candidates", "rank_eligible", "better_odds", "questions_to_ask",
    "parse_preferences", "describe_preferences", "empty_preferences", "family_values", "post_level",
    "major_match",
]

FAMILIES: Tuple[str, ...] = ("综合管理类", "行政执法类", "专业技术类")
COMPONENTS: Tuple[str, ...] = ("major", "interest", "swot", "region", "level", "police", "tests", "service",
                               "competition", "trend")


@lru_cache(maxsize=1)
def params() -> Dict[str, Any]:
    """The rule parameters of ``knowledge/ranking.yml`` (checked once)."""
    data = load_yaml("ranking.yml")
    missing = [c for c in COMPONENTS if c not in data["weights"]]
    if missing:
        raise RuntimeError(f"knowledge/ranking.yml: weights missing for {missing}")
    return data


def _clip(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def _text(x: Any) -> str:
    return "" if x is None else unicodedata.normalize("NFKC", str(x)).strip()


def _num(x: Any) -> Optional[float]:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


# --------------------------------------------------------------------------- features
@dataclass(frozen=True)
class Features:
    """What the ranking knows about one post (all plain values, see :meth:`to_dict`)."""

    code: str
    name: str = ""
    organ: str = ""
    unit: str = ""
    city: str = ""
    place: Optional[str] = None           # the city the job is in (None: not given, e.g. 省直)
    district: str = ""
    family: str = ""
    level: str = ""                       # 省直 / 市直 / 县区 / 乡镇
    verdict: Optional[str] = None
    major_match: Optional[str] = None     # named / class / category / open / None (unknown)
    major_label: str = ""                 # the matched entry ("会计学", "工商管理类")
    police: Optional[str] = None          # 公安 / 监狱 / 戒毒 / 司法 / 警察 when a 人民警察 post
    fitness: Optional[str] = None         # yes / likely / None
    psych: bool = False
    service_years: Optional[int] = None
    openings: Optional[int] = None
    applicants: Optional[int] = None
    ratio: Optional[float] = None
    late_share: Optional[float] = None    # share of the last snapshot's applicants that came last
    work_text: str = ""                   # name + description (for the SWOT topics)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _cn_int(s: str) -> Optional[int]:
    s = s.strip()
    if s.isdigit():
        return int(s)
    if s in _CN_DIGITS:
        return _CN_DIGITS[s]
    if len(s) == 2 and s[0] == "十" and s[1] in _CN_DIGITS:
        return 10 + _CN_DIGITS[s[1]]
    return None


_REQ_ALIASES = {"political": "political_status", "experience": "grassroots_experience", "project": "service_project"}


def _field(post: Mapping[str, Any], key: str) -> Any:
    """A post value in the flat store shape or under ``requirements`` (get_post shape)."""
    v = post.get(key)
    if v not in (None, ""):
        return v
    req = post.get("requirements")
    if isinstance(req, Mapping):
        v = req.get(_REQ_ALIASES.get(key, key))
        if v not in (None, ""):
            return v
    return None


def _notes(post: Mapping[str, Any]) -> str:
    parts: List[str] = []
    for key in ("notes",):
        v = post.get(key)
        if isinstance(v, (list, tuple)):
            parts += [_text(x) for x in v]
    parsed = post.get("parsed")
    if isinstance(parsed, Mapping) and isinstance(parsed.get("notes"), (list, tuple)):
        parts += [_text(x) for x in parsed["notes"]]
    for key in ("other", "remarks", "target_group"):
        parts.append(_text(_field(post, key)))
    return "\n".join(p for p in parts if p)


def post_level(post: Mapping[str, Any]) -> str:
    """省直 / 市直 / 县区 / 乡镇 from the table's city, district and unit names.

    Courts and procuratorates listed under 省直 (Hubei's 全省法官助理职位) are placed by their
    own name: 中级 → 市直, other named county or district courts → 县区."""
    lv = params()["levels"]
    city, district = _text(post.get("city")), _text(post.get("district"))
    unit = _text(post.get("unit")) or _text(post.get("organ"))
    where = " ".join(_text(post.get(k)) for k in ("organ", "unit", "name"))
    if city == lv["provincial_city"]:
        if re.search(r"人民(法院|检察院)", unit) and not re.match(r"^(省|湖北省|河南省|广东省)", unit):
            prefecture = any(unit.startswith(c + "人民") for c in _all_cities())
            return "市直" if "中级" in unit or prefecture else "县区"
        return "省直"
    if re.search(lv["township_pattern"], where):
        return "乡镇"
    if district == lv["city_district"] or _text(post.get("organ")).endswith("市直") or _city_level(unit, city):
        return "市直"
    return "县区"


def _city_level(unit: str, city: str) -> bool:
    """``黄冈市公安局``, ``咸宁市档案馆`` (the city's own organs), not ``武汉市硚口区商务局``."""
    if not city or not unit:
        return False
    for name in (city, _short_city(city)):
        if len(name) >= 2 and unit.startswith(name):
            rest = unit[len(name):].lstrip("市")
            return not re.match(r"^[\u4e00-\u9fff]{1,4}?[县区](?!域)", rest)
    return False


def _police_kind(post: Mapping[str, Any]) -> Optional[str]:
    pp = params()["police"]
    organ = _text(post.get("organ")) + " " + _text(post.get("unit"))
    name = _text(post.get("name"))
    desc = _text(post.get("description"))
    phys = _text(_field(post, "physical_exam"))
    hit = (any(re.search(p, organ) for p in pp["organ_patterns"])
           or any(re.search(p, name) for p in pp["name_patterns"])
           or any(re.search(p, desc) for p in pp["description_patterns"])
           or any(re.search(p, phys) for p in pp["physical_patterns"]))
    if not hit:
        return None
    # A 执法勤务 post of a market-supervision or urban-management bureau is not a police post.
    if not any(re.search(p, organ) for p in pp["organ_patterns"]) and "警" not in name and \
            not any(re.search(p, phys) for p in pp["physical_patterns"]) and "执法勤务类" not in name:
        if not re.search(r"公安(?!县)|警|监管改造|派出所", desc):
            return None
    text = organ + name + desc
    if re.search(r"公安(?!县)|派出所", text):
        return "公安"
    if "监狱" in text:
        return "监狱"
    if "戒毒" in text:
        return "戒毒"
    if re.search(r"法院|检察院|司法警察", text):
        return "司法"
    return "警察"


def _service_years(notes: str) -> Optional[int]:
    years = [_cn_int(m) for m in re.findall(params()["service"]["pattern"], notes)]
    years = [y for y in years if y]
    return max(years) if years else None


def _late_share(post: Mapping[str, Any]) -> Optional[float]:
    tp = params()["trend"]
    snaps = [s for s in post.get("snapshots") or [] if isinstance(s, Mapping) and _num(s.get("applicants")) is not None]
    if len(snaps) < tp["min_snapshots"]:
        return None
    snaps = sorted(snaps, key=lambda s: str(s.get("date")))
    last, prev = _num(snaps[-1]["applicants"]), _num(snaps[-2]["applicants"])
    if last is None or prev is None or last < tp["min_applicants"]:
        return None
    return round(max(0.0, last - prev) / last, 4)


def _ratio(post: Mapping[str, Any]) -> Tuple[Optional[float], Optional[int]]:
    ratio, applicants = _num(post.get("ratio")), _num(post.get("applicants"))
    snaps = [s for s in post.get("snapshots") or [] if isinstance(s, Mapping)]
    if ratio is None and snaps:
        last = sorted(snaps, key=lambda s: str(s.get("date")))[-1]
        ratio, applicants = _num(last.get("ratio")), _num(last.get("applicants"))
    return (round(ratio, 2) if ratio is not None else None,
            int(applicants) if applicants is not None else None)


def major_match(post: Mapping[str, Any], profile: Optional[Mapping[str, Any]]) -> Tuple[Optional[str], str]:
    """How the post accepts the student's major: ``named`` (the list names it), ``class``
    (through its class or graduate discipline), ``category`` (a whole 门类), ``open``
    (不限 for the student's level) or None (no major given, or the table cannot settle it).

    Returns ``(kind, label)`` where the label is the entry that matched."""
    from bot.positions import requirements as Q
    from bot.positions import rules as R

    if isinstance(post.get("major_match"), str):
        return post["major_match"], _text(post.get("major_label"))
    texts = {k: _field(post, k) for k in ("major", "major_college", "major_undergrad", "major_graduate")}
    if not any(texts.values()):
        return None, ""
    req = Q.parse_majors(texts["major"], texts["major_college"], texts["major_undergrad"], texts["major_graduate"])
    if req is None:
        return None, ""
    if getattr(req, "unrestricted", False):
        return "open", "不限"
    if not profile or not isinstance(req, Q.MajorReq):
        return None, ""
    sm = _student_major(_text(profile.get("education")) or None, _text(profile.get("major")) or None,
                        _text(profile.get("major_code")) or None)
    if sm.level is None:
        return None, ""
    items = req.items_for(sm.level)
    if items is None:
        return ("open", "不限") if (sm.level in req.open_levels or (not req.segments and req.open_levels)) else (None, "")
    best: Tuple[int, Optional[str], str] = (99, None, "")
    rank = {"named": 0, "class": 1, "category": 2}
    for it in items:
        if R.match_item(sm, it) != R.OK:
            continue
        if sm.names & {it.name, *it.included, *it.narrowing} or it.kind in ("major", "second"):
            kind = "named"
            label = next((n for n in (_text(profile.get("major")), it.name) if n in sm.names or n == it.name), it.name)
        elif it.kind == "category":
            kind, label = "category", it.name
        else:
            kind, label = "class", it.name
        if rank[kind] < best[0]:
            best = (rank[kind], kind, label)
    return best[1], best[2]


@lru_cache(maxsize=256)
def _student_major(education: Optional[str], major: Optional[str], code: Optional[str]) -> Any:
    from bot.positions import rules as R

    return R.student_major(education, major, code)


def post_features(post: Mapping[str, Any], profile: Optional[Mapping[str, Any]] = None, *,
                  district_cities: Optional[Mapping[str, str]] = None) -> Features:
    """The :class:`Features` of one post dict.

    ``post`` may be a row of ``api.search_posts``, an eligibility result, ``api.get_post``,
    ``api.post_competition`` or a merge of them (what :func:`candidates` builds); keys it
    lacks are simply unknown. ``profile`` is needed for the major specificity (or pass
    ``major_match``/``major_label`` in the post). ``district_cities`` maps county names to
    their city, to place 省直 posts that name a county court or bureau."""
    if not isinstance(post, Mapping):
        raise TypeError("post must be a mapping")
    notes = _notes(post)
    rp = params()
    city = _text(post.get("city"))
    level = post_level(post)
    place: Optional[str] = city or None
    if level == "省直" or city == rp["levels"]["provincial_city"]:
        place = _place_of_provincial(post, district_cities)
    police = _police_kind(post)
    fit_field = _text(_field(post, "fitness_test"))
    tp = rp["tests"]
    fitness: Optional[str] = None
    if fit_field in ("是", "需要", "有") or any(p in notes for p in tp["fitness_patterns"]):
        fitness = "yes"
    elif police and tp["police_fitness_likely"]:
        fitness = "likely"
    psych = any(p in notes for p in tp["psych_patterns"])
    ratio, applicants = _ratio(post)
    kind, label = major_match(post, profile)
    openings = _num(post.get("openings"))
    return Features(
        code=_text(post.get("code")), name=_text(post.get("name")), organ=_text(post.get("organ")),
        unit=_text(post.get("unit")), city=city, place=place, district=_text(post.get("district")),
        family=_text(post.get("family")), level=level, verdict=post.get("verdict"),
        major_match=kind, major_label=label, police=police, fitness=fitness, psych=psych,
        service_years=_service_years(notes), openings=int(openings) if openings is not None else None,
        applicants=applicants, ratio=ratio, late_share=_late_share(post),
        work_text=_text(post.get("name")) + " " + _text(post.get("description")),
    )


def _place_of_provincial(post: Mapping[str, Any], district_cities: Optional[Mapping[str, str]]) -> Optional[str]:
    """The city a 省直 post works in when its unit names one (省药品监督管理局荆门分局 → 荆门市)."""
    where = _text(post.get("unit")) or _text(post.get("organ"))
    for city in _all_cities():
        short = _short_city(city)
        if short and short in where:
            return "恩施土家族苗族自治州" if city == "恩施州" else city
    bare = re.sub(r"^(湖北省|河南省|广东省|省)", "", where)
    for district, city in sorted((district_cities or {}).items()):
        short = district[:-1] if len(district) > 2 and district.endswith(("县", "区", "市")) else district
        if len(short) >= 2 and (bare.startswith(district) or bare.startswith(short)):
            return city
    return None


# --------------------------------------------------------------------------- places
@lru_cache(maxsize=1)
def _regions() -> Dict[str, Any]:
    return load_yaml("regions.yml")


@lru_cache(maxsize=1)
def _all_cities() -> Tuple[str, ...]:
    out: List[str] = []
    for info in (_regions().get("provinces") or {}).values():
        for c in info.get("cities") or []:
            if c not in out:
                out.append(c)
    return tuple(out)


def _short_city(city: str) -> str:
    if city.endswith("土家族苗族自治州"):
        return city[:2]
    if len(city) > 2 and city.endswith(("市", "州", "区")) and not city.endswith(("示范区", "港区", "林区")):
        return city[:-1]
    return city


def _canonical_city(name: str) -> Optional[str]:
    n = _text(name)
    for city in _all_cities():
        if n in (city, _short_city(city)):
            return "恩施土家族苗族自治州" if city == "恩施州" else city
    return None


def _cities_in(text: str) -> List[str]:
    """Cities named in ``text``, in order of appearance (longest name wins at a position)."""
    found: List[Tuple[int, str]] = []
    for city in _all_cities():
        for alias in {city, _short_city(city)}:
            if len(alias) < 2:
                continue
            for m in re.finditer(re.escape(alias), text):
                found.append((m.start(), "恩施土家族苗族自治州" if city == "恩施州" else city))
    out: List[str] = []
    for _, c in sorted(found):
        if c not in out:
            out.append(c)
    return out


def _same_city(a: Optional[str], b: Optional[str]) -> bool:
    if not a or not b:
        return False
    return a == b or _short_city(a) == _short_city(b)


# --------------------------------------------------------------------------- student
@dataclass(frozen=True)
class Student:
    """What the ranking knows about the student (built by :func:`student_context`)."""

    code: str = ""                                    # interest code, e.g. CSE
    family_value: Mapping[str, float] = field(default_factory=dict)
    family_score: Mapping[str, int] = field(default_factory=dict)
    cities: Tuple[str, ...] = ()
    strict_cities: bool = False
    avoid_cities: Tuple[str, ...] = ()
    levels: Tuple[str, ...] = ()
    strict_levels: bool = False
    avoid_levels: Tuple[str, ...] = ()
    families: Tuple[str, ...] = ()
    avoid_families: Tuple[str, ...] = ()
    police: Optional[bool] = None
    fitness: Optional[bool] = None
    psych: Optional[bool] = None
    max_service_years: Optional[int] = None
    emphasis: Mapping[str, float] = field(default_factory=dict)
    strengths: Tuple[str, ...] = ()                   # SWOT topic keys
    weaknesses: Tuple[str, ...] = ()
    major: str = ""


def family_values(interest: Any) -> Tuple[str, Dict[str, int], Dict[str, float]]:
    """``(code, family scores 0–100, value in [-1, 1] per family)`` from an interest result
    (``riasec.Result.to_dict()``, a stored ``interest_test`` entry, or a bare code)."""
    ip = params()["interest"]
    code, scores = "", {}
    if isinstance(interest, str):
        code = interest
    elif isinstance(interest, Mapping):
        inner = interest.get("scores") if isinstance(interest.get("scores"), Mapping) else {}
        code = _text(interest.get("code") or inner.get("code"))
        fams = interest.get("families") if isinstance(interest.get("families"), Mapping) else inner.get("families")
        if isinstance(fams, Mapping):
            scores = {f: int(_num(fams.get(f)) or 0) for f in FAMILIES if _num(fams.get(f)) is not None}
    code = "".join(c for c in _text(code).upper() if c in "RIASEC")[:3]
    if not scores and code:
        scores = _scores_from_code(code)
    if len(scores) < 2:
        return code, scores, {}
    top, bottom = max(scores.values()), min(scores.values())
    spread = max(top - bottom, ip["min_spread"])
    values = {}
    for f, s in scores.items():
        v = 1.0 - 2.0 * (top - s) / spread
        if top - s < ip["close"] and s != top:
            v = max(v, 0.5)
        values[f] = round(_clip(v), 3)
    return code, scores, values


def _scores_from_code(code: str) -> Dict[str, int]:
    """Family scores from a three-letter code with the weights of riasec.yml."""
    data = load_yaml("riasec.yml")
    lw = params()["interest"]["code_letter_weights"]
    out = {}
    for f in FAMILIES:
        num = sum(lw[i] * float(data["types"][t]["families"][f]) for i, t in enumerate(code[:3]))
        den = sum(lw[i] * 2 for i in range(len(code[:3])))
        out[f] = int(round(100 * num / den)) if den else 0
    return out


def _swot_topics(swot: Any) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    if not isinstance(swot, Mapping):
        return (), ()
    topics = params()["swot_topics"]

    def keys(items: Any) -> Tuple[str, ...]:
        text = " ".join(_text(x) for x in items) if isinstance(items, (list, tuple)) else _text(items)
        return tuple(t["key"] for t in topics if any(k in text for k in t["swot"]))

    return keys(swot.get("S") or swot.get("strengths")), keys(swot.get("W") or swot.get("weaknesses"))


def empty_preferences() -> Dict[str, Any]:
    """The preferences dict with nothing said yet."""
    return {"police": None, "fitness": None, "psych": None, "cities": [], "strict_cities": False,
            "avoid_cities": [], "near_home": False, "levels": [], "strict_levels": False, "avoid_levels": [],
            "families": [], "avoid_families": [], "max_service_years": None, "emphasis": {}, "understood": []}


def _prefs(prefs: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    out = empty_preferences()
    if isinstance(prefs, Mapping):
        for k, v in prefs.items():
            if k in out and v is not None:
                out[k] = list(v) if isinstance(v, (list, tuple)) else (dict(v) if isinstance(v, Mapping) else v)
    return out


def student_context(profile: Optional[Mapping[str, Any]], *, interest: Any = None, swot: Any = None,
                    prefs: Optional[Mapping[str, Any]] = None) -> Student:
    """The student side of the ranking: interest fit per family, places and levels wanted,
    what they accept (police, 体能, 心理, service years), emphasis, SWOT topics."""
    profile = profile or {}
    p = _prefs(prefs)
    code, scores, values = family_values(interest)
    cities = [c for c in (_canonical_city(x) or x for x in p["cities"]) if c]
    if not cities:
        region = _text(profile.get("target_region"))
        if "·" in region:
            c = _canonical_city(region.split("·")[-1])
            if c:
                cities.append(c)
        elif region:
            cities += _cities_in(region)
    if p["near_home"]:
        for c in _cities_in(_text(profile.get("hukou"))):
            if c not in cities:
                cities.append(c)
    strengths, weaknesses = _swot_topics(swot)
    raw_emphasis = p["emphasis"] if isinstance(p["emphasis"], Mapping) else {}
    emphasis = {k: float(v) for k, v in raw_emphasis.items() if k in COMPONENTS and _num(v) is not None}
    return Student(
        code=code, family_value=values, family_score=scores, cities=tuple(cities),
        strict_cities=bool(p["strict_cities"]) and bool(cities),
        avoid_cities=tuple(c for c in (_canonical_city(x) or x for x in p["avoid_cities"]) if c),
        levels=tuple(p["levels"]), strict_levels=bool(p["strict_levels"]) and bool(p["levels"]),
        avoid_levels=tuple(p["avoid_levels"]), families=tuple(p["families"]),
        avoid_families=tuple(p["avoid_families"]), police=p["police"], fitness=p["fitness"], psych=p["psych"],
        max_service_years=p["max_service_years"], emphasis=emphasis, strengths=strengths, weaknesses=weaknesses,
        major=_text(profile.get("major")),
    )


# --------------------------------------------------------------------------- pool
def pool_stats(features: Iterable[Features]) -> Dict[str, Any]:
    """Medians the competition and trend rules compare with: ratio per family (and over
    the whole pool) and the late-registration share."""
    feats = list(features)
    ratios = [f.ratio for f in feats if f.ratio is not None]
    by_family: Dict[str, List[float]] = {}
    for f in feats:
        if f.ratio is not None and f.family:
            by_family.setdefault(f.family, []).append(f.ratio)
    min_pool = params()["competition"]["min_pool"]
    shares = [f.late_share for f in feats if f.late_share is not None]
    return {
        "median": round(median(ratios), 2) if ratios else None,
        "median_by_family": {k: round(median(v), 2) for k, v in sorted(by_family.items()) if len(v) >= min_pool},
        "late_share_median": round(median(shares), 4) if shares else None,
        "posts": len(feats),
    }


# --------------------------------------------------------------------------- components
Component = Tuple[float, Optional[str]]


def fmt_ratio(x: Optional[float]) -> str:
    from bot.coaching.swot import format_ratio

    return format_ratio(x)


def c_major(f: Features, s: Student) -> Component:
    """named > class > category > 不限; unknown is neutral."""
    mp = params()["major"]
    if f.major_match is None:
        return 0.0, None
    value = float(mp[f.major_match])
    label = f.major_label or s.major
    text = {"named": f"专业点名要{label}", "class": f"专业按{label}招", "category": f"专业按{label}门类招",
            "open": "专业不限"}[f.major_match]
    return value, text


def c_interest(f: Features, s: Student) -> Component:
    if not f.family or f.family not in s.family_value:
        return 0.0, None
    v = s.family_value[f.family]
    if f.family in s.families:
        v = max(v, 1.0)
    if f.family in s.avoid_families:
        v = -1.0
        return v, f"你说过不考虑{f.family}"
    code = f"({s.code})" if s.code else ""
    if v >= 0.5:
        return v, f"{f.family}合你的兴趣{code}"
    if v <= -0.5:
        return v, f"{f.family}和你的兴趣{code}不太合"
    return v, None


def c_swot(f: Features, s: Student) -> Component:
    """+ when the work uses a strength the student named, − when it leans on a weakness."""
    topics = {t["key"]: t for t in params()["swot_topics"]}
    v, text = 0.0, None
    for key in s.strengths:
        t = topics[key]
        hit = (key == "fitness" and f.fitness is not None) or any(k in f.work_text for k in t["post"])
        if hit:
            v, text = 1.0, "用得上你说的长处"
            break
    for key in s.weaknesses:
        t = topics[key]
        hit = (key == "fitness" and f.fitness is not None) or any(k in f.work_text for k in t["post"])
        if hit:
            return (v - 1.0, "要用到你说的短处" if v <= 0 else None)
    return v, text


def c_region(f: Features, s: Student) -> Component:
    rp = params()["region"]
    where = f.place or f.city
    if any(_same_city(where, c) for c in s.avoid_cities):
        return rp["avoided"], f"在{_short_city(where or '')}，你说过不想去"
    if not s.cities:
        return 0.0, None
    if f.place is None:
        return rp["unknown"], None
    if any(_same_city(f.place, c) for c in s.cities):
        return rp["match"], f"在{_short_city(f.place)}"
    return (rp["strict_other"] if s.strict_cities else rp["other"]), (
        f"在{_short_city(f.place)}，不在你想去的地方" if s.strict_cities else None)


def c_level(f: Features, s: Student) -> Component:
    lp = params()["level"]
    if f.level in s.avoid_levels:
        return lp["avoided"], f"{f.level}岗位，你说过不想去"
    if not s.levels:
        return 0.0, None
    if f.level in s.levels:
        return lp["wanted"], f"{f.level}岗位"
    return (lp["strict_other"] if s.strict_levels else lp["other"]), (
        f"{f.level}岗位，不是你要的" if s.strict_levels else None)


_POLICE_LABEL = {"公安": "公安岗", "监狱": "监狱警察岗", "戒毒": "戒毒警察岗", "司法": "司法警察岗", "警察": "警察岗"}


def c_police(f: Features, s: Student) -> Component:
    """人民警察 posts: down unless the student accepted them; declined goes further down."""
    pp = params()["police"]
    if not f.police:
        return 0.0, None
    label = _POLICE_LABEL[f.police]
    if s.police is False:
        return pp["declined"], f"{label}，你说过不考虑"
    if s.police is True:
        v = pp["accepted"]
        if s.family_value and s.family_value.get("行政执法类", 0.0) < 0:
            v += pp["interest_misfit"]
        return v, None
    return pp["not_asked"], f"{label}要体能测评" if f.fitness else label


def c_tests(f: Features, s: Student) -> Component:
    """体能 / 心理 tests against what the student accepts (police posts: the police rule
    already asks, so an unanswered 体能 question is not counted twice)."""
    tp = params()["tests"]
    v, text = 0.0, None
    if f.fitness:
        if s.fitness is False:
            v, text = tp["declined"], "要体能测评，你说过不想考"
        elif s.fitness is None and not f.police:
            # For police posts the police question includes the 体能 test.
            v, text = tp["not_asked"], "要体能测评"
    if f.psych:
        if s.psych is False:
            v, text = min(v, tp["declined"]), "有心理测评，你说过不想考"
        elif s.psych is None and v == 0.0:
            v, text = tp["not_asked"], "有心理测评"
    return v, text


def c_service(f: Features, s: Student) -> Component:
    sp = params()["service"]
    if f.service_years is None:
        return 0.0, None
    if s.max_service_years is not None and f.service_years > s.max_service_years:
        return sp["over_limit"], f"须服务满{f.service_years}年，超过你能接受的{s.max_service_years}年"
    if f.service_years >= sp["long_years"]:
        return 0.0, f"须服务满{f.service_years}年"
    return 0.0, None


def c_competition(f: Features, stats: Mapping[str, Any]) -> Component:
    cp = params()["competition"]
    if f.ratio is None:
        if stats.get("median") is None:
            # The table has no applicant counts at all: say how many it takes instead.
            return 0.0, (f"招{f.openings}人" if f.openings and f.openings >= 2 else None)
        return 0.0, "暂无报名数据"
    med = (stats.get("median_by_family") or {}).get(f.family)
    scope = "同类"
    if med is None:
        med, scope = stats.get("median"), "你能报的岗位"
    if f.ratio >= cp["one_in_a_thousand"]:
        return -1.0 + cp["one_in_a_thousand_extra"], f"竞争比 {fmt_ratio(f.ratio)}，千里挑一"
    if not med or f.ratio <= 0:
        return (1.0 if f.ratio is not None and f.ratio <= 0 else 0.0), f"竞争比 {fmt_ratio(f.ratio)}"
    v = _clip(math.log(med / f.ratio) / math.log(cp["base"]))
    if f.ratio < med * 0.95:
        where = f"低于{scope}中位数"
    elif f.ratio > med * 1.05:
        where = f"高于{scope}中位数 {fmt_ratio(med)}"
    else:
        where = f"和{scope}中位数差不多"
    return round(v, 3), f"竞争比 {fmt_ratio(f.ratio)}，{where}"


def c_trend(f: Features, stats: Mapping[str, Any]) -> Component:
    tp = params()["trend"]
    med = stats.get("late_share_median")
    if f.late_share is None or med is None:
        return 0.0, None
    v = _clip((med - f.late_share) / tp["scale"])
    if v <= -0.5:
        return round(v, 3), f"最后一天报名人数涨了{round(f.late_share * 100)}%"
    return round(v, 3), None


# --------------------------------------------------------------------------- scoring
_ASKS = {
    "police": "{label}要体能测评，你考虑吗？",
    "fitness": "这个岗位要体能测评，你能接受吗？",
    "psych": "这个岗位有心理测评，你能接受吗？",
}


def score_post(f: Features, s: Student, stats: Mapping[str, Any]) -> Dict[str, Any]:
    """Points per component, total, the one-line reason, the question to ask and flags."""
    rp = params()
    values: Dict[str, Component] = {
        "major": c_major(f, s), "interest": c_interest(f, s), "swot": c_swot(f, s), "region": c_region(f, s),
        "level": c_level(f, s), "police": c_police(f, s), "tests": c_tests(f, s), "service": c_service(f, s),
        "competition": c_competition(f, stats), "trend": c_trend(f, stats),
    }
    points: Dict[str, float] = {}
    for name, (v, _) in values.items():
        w = float(rp["weights"][name]) * float(s.emphasis.get(name, 1.0))
        points[name] = round(w * v, 2)
    total = round(sum(points.values()), 2)
    flags: List[str] = []
    ask = None
    if f.police and s.police is None:
        flags.append("ask_police")
        ask = _ASKS["police"].format(label=_POLICE_LABEL[f.police])
    elif f.fitness and s.fitness is None and not f.police:
        flags.append("ask_fitness")
        ask = _ASKS["fitness"]
    elif f.psych and s.psych is None:
        flags.append("ask_psych")
        ask = _ASKS["psych"]
    if f.police and s.police is False:
        flags.append("declined_police")
    if f.ratio is not None and f.ratio >= rp["competition"]["one_in_a_thousand"]:
        flags.append("one_in_a_thousand")
    if f.verdict == "needs_confirmation":
        flags.append("needs_confirmation")
    if (s.strict_cities and values["region"][0] < 0) or (s.strict_levels and values["level"][0] < 0):
        flags.append("outside_wishes")
    return {"total": total, "components": points, "why": _why(f, values), "ask": ask, "flags": flags}


def _why(f: Features, values: Mapping[str, Component]) -> str:
    """One line: warnings first (what the student said no to, police, tests), then major,
    interest, place, and always the competition."""
    limit = int(params()["why_parts"])
    ordered: List[str] = []
    warn = [values[k][1] for k in ("police", "tests", "region", "level", "interest", "service", "swot")
            if values[k][1] and values[k][0] < 0]
    good = [values[k][1] for k in ("major", "interest", "region", "level", "swot") if values[k][1] and values[k][0] > 0]
    neutral = [values[k][1] for k in ("major", "service", "police", "trend") if values[k][1] and values[k][0] == 0]
    trend_bad = [values["trend"][1]] if values["trend"][1] and values["trend"][0] < 0 else []
    comp = values["competition"][1]
    if f.verdict == "needs_confirmation":
        ordered.append("报考资格还要向招录单位确认")
    for part in warn + good + neutral + trend_bad:
        if part and part not in ordered:
            ordered.append(part)
    ordered = ordered[: max(1, limit - (1 if comp else 0))]
    if comp:
        ordered.append(comp)
    return " · ".join(ordered)


def rank_posts(posts: Sequence[Mapping[str, Any]], profile: Optional[Mapping[str, Any]], *, interest: Any = None,
               swot: Any = None, prefs: Optional[Mapping[str, Any]] = None,
               pool: Optional[Sequence[Mapping[str, Any]]] = None, limit: Optional[int] = None,
               district_cities: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """Posts best fit first.

    ``posts``: post dicts (see :func:`post_features`; :func:`candidates` builds them);
    ``interest``: ``riasec.Result.to_dict()``, the case's ``interest_test`` entry or a code;
    ``swot``: ``{"S": [...], "W": [...], ...}``; ``prefs``: :func:`parse_preferences`'s dict;
    ``pool``: the posts the competition medians come from (default: ``posts`` — pass all
    eligible posts when ranking a short list). Each result: ``rank, code, name, organ, unit,
    city, family, level, ratio, total, components, why, ask, flags, features``."""
    s = student_context(profile, interest=interest, swot=swot, prefs=prefs)
    feats = [post_features(p, profile, district_cities=district_cities) for p in posts if isinstance(p, Mapping)]
    pool_feats = feats if pool is None else [post_features(p, profile, district_cities=district_cities)
                                             for p in pool if isinstance(p, Mapping)]
    stats = pool_stats(pool_feats)
    out = []
    for f in feats:
        r = score_post(f, s, stats)
        out.append({"code": f.code, "name": f.name, "organ": f.organ, "unit": f.unit, "city": f.city,
                    "family": f.family, "level": f.level, "ratio": f.ratio, "openings": f.openings, **r,
                    "features": f.to_dict()})
    out.sort(key=lambda r: (-r["total"], r["ratio"] if r["ratio"] is not None else float("inf"),
                            -(r["openings"] or 0), r["code"]))
    for i, r in enumerate(out, 1):
        r["rank"] = i
    return out[:limit] if limit else out


# --------------------------------------------------------------------------- data access
def candidates(profile: Optional[Mapping[str, Any]], exam: Optional[str] = None, year: Optional[int] = None, *,
               url: Optional[str] = None, verdicts: Sequence[str] = ("eligible",)) -> Dict[str, Any]:
    """The posts of one exam the student may apply to, joined with everything the ranking
    reads: ``{"exam", "year", "posts": [...], "district_cities": {...}}``. Each post has the
    table fields (flat store shape), ``verdict``, ``reasons``, ``notes``, ``applicants``,
    ``ratio`` and ``snapshots`` (as :func:`bot.positions.api.get_post`)."""
    import numpy as np

    from bot.positions import api
    from bot.positions import ratios as _ratios
    from bot.positions.engine import VERDICTS

    data, ev = api.evaluation_for(profile or {}, exam, year, url)
    table = _ratios.ratio_table(data)
    wanted = {k for k, v in VERDICTS.items() if v in set(verdicts)}
    district_cities: Dict[str, str] = {}
    for p in data.posts:
        d, c = _text(p.get("district")), _text(p.get("city"))
        if d and c and d not in ("市直", "其他", "省直") and c != "省直":
            district_cities.setdefault(d, c)
    posts = []
    for i in np.nonzero(np.isin(ev.verdict, list(wanted)))[0]:
        i = int(i)
        p = dict(data.posts[i])
        d = ev.details(i)
        p.update(verdict=d["verdict"], reasons=d["reasons"], notes=d["notes"], phone=d.get("phone"))
        p["applicants"] = None if np.isnan(table.applicants[i]) else int(table.applicants[i])
        p["ratio"] = None if np.isnan(table.ratio[i]) else round(float(table.ratio[i]), 2)
        p["snapshots"] = [{"date": s["date"], "applicants": s["applicants"], "ratio": s["ratio"]}
                          for s in _ratios.snapshots_of(data, p["code"])]
        posts.append(p)
    return {"exam": data.exam, "year": data.year, "posts": posts, "district_cities": district_cities}


def rank_eligible(profile: Optional[Mapping[str, Any]], exam: Optional[str] = None, year: Optional[int] = None, *,
                  interest: Any = None, swot: Any = None, prefs: Optional[Mapping[str, Any]] = None,
                  url: Optional[str] = None, limit: Optional[int] = None) -> Dict[str, Any]:
    """:func:`candidates` + :func:`rank_posts`: ``{"exam", "year", "count", "posts": ranked}``."""
    c = candidates(profile, exam, year, url=url)
    ranked = rank_posts(c["posts"], profile, interest=interest, swot=swot, prefs=prefs, limit=limit,
                        district_cities=c["district_cities"])
    return {"exam": c["exam"], "year": c["year"], "count": len(c["posts"]), "posts": ranked}


def better_odds(ranked: Sequence[Mapping[str, Any]], code: str, limit: int = 3) -> List[Dict[str, Any]]:
    """Alternatives to ``code`` from a ranked list: a lower ratio, the same city or family,
    nothing the student said no to, best fit first."""
    this = next((r for r in ranked if r.get("code") == code), None)
    if this is None or this.get("ratio") is None:
        return []
    out = []
    for r in ranked:
        if r.get("code") == code or r.get("ratio") is None or r["ratio"] >= this["ratio"]:
            continue
        if {"declined_police", "outside_wishes"} & set(r.get("flags") or []):
            continue
        same_city = bool(this.get("city")) and r.get("city") == this.get("city")
        same_family = bool(this.get("family")) and r.get("family") == this.get("family")
        if not (same_city or same_family):
            continue
        out.append({**r, "why_alternative": "同城市、同类别" if same_city and same_family else
                    ("同城市" if same_city else "同类别")})
        if len(out) >= limit:
            break
    return out


def questions_to_ask(ranked: Sequence[Mapping[str, Any]], top: int = 5) -> List[str]:
    """The distinct questions raised by the first ``top`` posts (ask them before shortlisting)."""
    out: List[str] = []
    for r in list(ranked)[:top]:
        q = r.get("ask")
        if q and q not in out:
            out.append(q)
    return out


# --------------------------------------------------------------------------- preferences
_POS_OVERRIDE = r"(不怕|不介意|没问题|无所谓|不排斥|能接受|可以接受|也可以|也行|都行|不反对)"
_UNDECIDED = r"考虑一下|考虑考虑|想一想|想想|再说|不确定|纠结|还没想好|看看再"
_QUESTION = r"吗$|呢$|么$|什么|怎么|是否|多少|哪些|有没有|是不是|能不能|可不可以|要不要|会不会"
_NEG = (r"(不太|不大|不怎么|不想|不要|不考虑|不愿|不去|不报|不选|不接受|不喜欢|不适合|不打算|不太想|不考|不干|不做|不当|"
        r"别|排除|拒绝|算了|免了|不行|不了|不好|受不了|接受不了|做不了|干不了|过不了|不合适|没兴趣|不感兴趣|"
        r"怕|差|弱|太累|不能)")
_POS = r"(想|要|愿意|可以|接受|考虑|行|喜欢|能|好|去|报|当)"
_STRICT = r"(只要|只想|只考虑|只报|只去|非.{0,4}不|必须|一定要)"

_TOPICS = {
    "police": r"公安(?!县)|警察|民警|警务|执法勤务|监狱|戒毒|司法警察|当警",
    "fitness": r"体能|体测|体育测试|跑步|身体素质",
    "psych": r"心理测评|心理测试|心理素质测评",
}
_EMPHASIS = {
    "competition": (r"上岸|好考|容易考|好上|竞争(小|少|低)|人少|稳一点|稳妥|保险|概率|把握",
                    r"(不怕|不在乎|不管|无所谓)(竞争|难|人多)|(竞争|人多|难).{0,3}(不怕|没关系|无所谓|不在乎)"),
    "major": (r"专业对口|对口|专业相关|用上专业|用得上专业|学以致用", r"(不在乎|无所谓|不看)专业|专业无所谓"),
    "interest": (r"兴趣|喜欢的工作|感兴趣的", r"(不在乎|无所谓)兴趣"),
    "region": (r"地点|地区|城市|在哪|离家", r"(不在乎|无所谓)(地点|地区|城市|在哪)|哪里都行|去哪都行"),
}
_MORE = r"(更|最|比较|主要|优先|首先|重点)(看重|在乎|在意|重视|关心|想要|考虑)|看重|在乎|在意|重视|优先|首要|第一位|最重要"
_LEVEL_WORDS = {"省直": r"省直|省级|省里|省厅|省机关|省级机关", "市直": r"市直|市级|市里|市机关",
                "县区": r"县区|区县|县里|县级|区里|县城", "乡镇": r"乡镇|基层|街道|村里|乡下|农村"}
_FAMILY_WORDS = {"综合管理类": r"综合管理|综合岗|行政岗|文职", "行政执法类": r"行政执法|执法类|执法岗|(?<!行政)执法(?!勤务)",
                 "专业技术类": r"专业技术|技术岗|技术类"}
_HOME = r"离家近|离家|回家|家附近|老家|家乡|回去|家里"


def _clauses(text: str) -> List[str]:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    parts = re.split(r"[，,。.！!？?；;\n]|但是|但|不过|可是|然后|而且|另外|还有", t)
    return [p for p in parts if p]


def _polarity(clause: str, topic_re: str) -> Optional[bool]:
    """True / False / None for a topic in one clause (None: the clause does not say)."""
    m = re.search(topic_re, clause)
    if not m or re.search(_QUESTION, clause) or re.search(_UNDECIDED, clause):
        return None
    if re.search(_POS_OVERRIDE, clause):
        return True
    if re.search(_NEG, clause):
        return False
    if re.search(_POS, clause):
        return True
    return None


def _add(lst: List[str], x: str) -> None:
    if x not in lst:
        lst.append(x)


def _drop(lst: List[str], x: str) -> None:
    if x in lst:
        lst.remove(x)


def _service_limit(clause: str) -> Tuple[bool, Optional[int]]:
    """(mentioned, max years) from "服务年限不超过3年", "不想被绑5年", "服务期无所谓"."""
    if not re.search(r"服务(年限|期限|期)|最低服务|绑|服务.{0,4}年", clause):
        return False, None
    if re.search(_POS_OVERRIDE + r"|没关系|可以", clause) and not re.search(r"不超过|以内|最多|之内", clause):
        return True, None
    m = re.search(r"([0-9一二两三四五六七八九十]+)年", clause)
    n = _cn_int(m.group(1)) if m else None
    if n is None:
        return (True, 3) if re.search(_NEG + r"|太长|短", clause) else (False, None)
    if re.search(r"不超过|以内|最多|之内|以下", clause):
        return True, n
    if re.search(_NEG, clause):
        return True, max(0, n - 1)
    return True, n


def parse_preferences(text: Optional[str], prefs: Optional[Mapping[str, Any]] = None, *,
                      asked: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """Re-weighting in words → the updated preferences dict, or None when nothing is understood.

    ``prefs`` is the current dict (kept and updated; never modified in place). ``asked`` names
    the question the student is answering (``police``/``fitness``/``psych``) so that a bare
    "可以" or "不考虑" applies to it. ``understood`` lists what was read, in Chinese, for the
    confirmation message and the counselor."""
    if not isinstance(text, str) or not text.strip():
        return None
    p = _prefs(prefs)
    said: List[str] = []
    clauses = _clauses(text)
    for clause in clauses:
        _read_clause(clause, p, said, asked)
    if not said:
        return None
    for s in said:
        if s not in p["understood"]:
            p["understood"].append(s)
    return p


_LABEL_TOPIC = {"police": "公安、监狱等警察岗", "fitness": "要体能测评的岗位", "psych": "要心理测评的岗位"}


def _read_clause(clause: str, p: Dict[str, Any], said: List[str], asked: Optional[str]) -> None:
    hit_topic = False
    for key, rx in _TOPICS.items():
        pol = _polarity(clause, rx)
        strong = re.search(r"(体能|身体素质)(还|挺|很|比较|特别)?(好|强|不错|没问题)", clause)
        if key == "fitness" and strong:
            pol = True
        if pol is None:
            continue
        hit_topic = True
        p[key] = pol
        said.append(("可以考虑" if pol else "不考虑") + _LABEL_TOPIC[key])
        if key == "police" and pol is False and p["fitness"] is None and re.search(r"体能", clause):
            p["fitness"] = False
    if not hit_topic and asked in _TOPICS:
        if re.fullmatch(r"(可以|行|好|好的|考虑|愿意|能|没问题|接受|可以的|ok|OK|嗯|会|能接受|可以考虑|考虑的)[吧啊呀的哦]*", clause):
            p[asked] = True
            said.append("可以考虑" + _LABEL_TOPIC[asked])
            return
        if re.fullmatch(r"(不|不行|不考虑|不要|不了|算了|不愿意|不能|不接受|不想|不会|免了)[吧啊呀的哦了]*", clause):
            p[asked] = False
            said.append("不考虑" + _LABEL_TOPIC[asked])
            return
    for comp, (more, less) in _EMPHASIS.items():
        if comp == "region" and (_cities_in(clause) or re.search(_HOME, clause)) and not re.search(_MORE, clause):
            continue
        if re.search(less, clause):
            p["emphasis"][comp] = params()["emphasis"]["less"]
            said.append({"competition": "不太在乎竞争大小", "major": "专业对口没那么重要", "interest": "兴趣没那么重要",
                         "region": "地点不限"}[comp])
            if comp == "region":
                p["cities"], p["strict_cities"], p["near_home"] = [], False, False
        elif re.search(more, clause) and (re.search(_MORE, clause) or comp == "competition"):
            p["emphasis"][comp] = params()["emphasis"]["more"]
            said.append({"competition": "更看重上岸概率", "major": "更看重专业对口", "interest": "更看重兴趣",
                         "region": "更看重工作地点"}[comp])
    _read_places(clause, p, said)
    _read_levels(clause, p, said)
    for fam, rx in _FAMILY_WORDS.items():
        if fam == "行政执法类" and re.search(_TOPICS["police"], clause):
            continue
        pol = _polarity(clause, rx)
        if pol is None:
            continue
        if pol:
            _add(p["families"], fam)
            _drop(p["avoid_families"], fam)
            said.append(f"想考{fam}")
        else:
            _add(p["avoid_families"], fam)
            _drop(p["families"], fam)
            said.append(f"不考虑{fam}")
    mentioned, limit = _service_limit(clause)
    if mentioned:
        p["max_service_years"] = limit
        said.append(f"最低服务年限不超过{limit}年" if limit is not None else "服务年限长短都可以")


def _read_places(clause: str, p: Dict[str, Any], said: List[str]) -> None:
    cities = _cities_in(clause)
    home = re.search(_HOME, clause)
    if not cities and not home:
        return
    if cities and re.search(r"读书|上学|念书|读研|读大学|上大学|毕业于|出生|户口|人$|的人|是.{0,4}人", clause):
        return  # where the student studies or comes from is not a wish
    neg = bool(re.search(r"(不想|不要|不去|不考虑|不愿|别|排除|不喜欢|太远|不回)", clause))
    strict = bool(re.search(_STRICT, clause))
    if home and not cities:
        if re.search(r"(不想|不要|别|不愿意?)离家(太|很|特别)?远", clause):
            neg = False
        if neg:
            p["near_home"] = False
            said.append("不一定要离家近")
        else:
            p["near_home"] = True
            said.append("想离家近一些")
        return
    if neg and not strict:
        for c in cities:
            _add(p["avoid_cities"], c)
            _drop(p["cities"], c)
        said.append("不想去" + "、".join(_short_city(c) for c in cities))
        return
    if not (strict or re.search(r"想|要|留|去|回|在|考|报|最好|希望|偏向|倾向", clause) or len(clause) <= 4 + len(cities[0])):
        return
    p["cities"] = cities if strict else p["cities"] + [c for c in cities if c not in p["cities"]]
    for c in cities:
        _drop(p["avoid_cities"], c)
    p["strict_cities"] = strict
    said.append(("只考虑" if strict else "想在") + "、".join(_short_city(c) for c in cities))


def _read_levels(clause: str, p: Dict[str, Any], said: List[str]) -> None:
    strict = bool(re.search(_STRICT, clause))
    for level, rx in _LEVEL_WORDS.items():
        if not re.search(rx, clause):
            continue
        pol = _polarity(clause, rx)
        if pol is None and not strict:
            continue
        if pol is False and not strict:
            _add(p["avoid_levels"], level)
            _drop(p["levels"], level)
            said.append(f"不想去{level}")
            continue
        if strict:
            p["levels"] = [level] if not p["strict_levels"] or level not in p["levels"] else p["levels"]
            if p["strict_levels"] and level not in p["levels"]:
                p["levels"].append(level)
            p["strict_levels"] = True
            said.append(f"只要{level}岗位")
        else:
            _add(p["levels"], level)
            said.append(f"想去{level}")
        _drop(p["avoid_levels"], level)


def describe_preferences(prefs: Optional[Mapping[str, Any]]) -> List[str]:
    """What the ranking currently takes into account, as short Chinese phrases."""
    p = _prefs(prefs)
    out: List[str] = []
    for key in ("police", "fitness", "psych"):
        if p[key] is not None:
            out.append(("可以考虑" if p[key] else "不考虑") + _LABEL_TOPIC[key])
    if p["cities"]:
        out.append(("只考虑" if p["strict_cities"] else "想在") + "、".join(_short_city(c) for c in p["cities"]))
    if p["near_home"]:
        out.append("想离家近一些")
    if p["avoid_cities"]:
        out.append("不想去" + "、".join(_short_city(c) for c in p["avoid_cities"]))
    if p["levels"]:
        out.append(("只要" if p["strict_levels"] else "想去") + "、".join(p["levels"]) + "岗位")
    if p["avoid_levels"]:
        out.append("不想去" + "、".join(p["avoid_levels"]) + "岗位")
    if p["families"]:
        out.append("想考" + "、".join(p["families"]))
    if p["avoid_families"]:
        out.append("不考虑" + "、".join(p["avoid_families"]))
    if p["max_service_years"] is not None:
        out.append(f"最低服务年限不超过{p['max_service_years']}年")
    names = {"competition": "上岸概率", "major": "专业对口", "interest": "兴趣", "region": "工作地点"}
    for k, v in sorted((p["emphasis"] or {}).items()):
        if k in names:
            out.append(("更看重" if float(v) > 1 else "不太看重") + names[k])
    return out
