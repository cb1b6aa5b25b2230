"""SWOT for the self-analysis flow: S and W from the student's own words, O and T from the
imported position tables.

* :func:`market_facts` evaluates the profile over every post of one exam and year with
  the position engine (a few milliseconds once the exam is compiled) and returns plain
  numbers: posts open to the student, demand for their major, typical competition
  ratios, the posts they miss and why.
* :func:`build_swot` turns the self-analysis answers and those facts into four short lists
  of Chinese sentences; :func:`format_swot` renders them as one chat message.

No personal data is logged here.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ["ANSWER_KEYS", "market_facts", "build_swot", "format_swot", "split_items", "clean_answer",
           "format_ratio"]

# The self-analysis answers the dialogue passes (any may be missing or "未回答").
ANSWER_KEYS: Tuple[str, ...] = (
    "who_am_i", "what_want", "what_can_do", "support", "suits_best", "final_choice", "interests",
    "values", "personality_strangers", "personality_friends", "strengths", "weaknesses",
)

# Failing-condition categories (by condition class of the position engine).
CATEGORY_LABELS: Dict[str, str] = {
    "EducationReq": "学历", "DegreeReq": "学位", "MajorReq": "专业", "AgeReq": "年龄",
    "PoliticalReq": "政治面貌", "GrassrootsReq": "基层工作经历", "FreshGraduateReq": "应届毕业生身份",
    "SpecialGroupReq": "特定招录对象", "GenderReq": "性别", "HouseholdReq": "户籍或生源",
    "CertificateReq": "资格证书", "RegularCollegeReq": "普通高校学历", "InSchoolReq": "在读身份",
    "Unparsed": "其他条件",
}

MAX_ITEMS = 6          # per S / W list
MAX_FACT_ITEMS = 7     # per O / T list
MAX_ITEM_CHARS = 60


# --------------------------------------------------------------------------- facts
def _pct(part: int, whole: int) -> Optional[float]:
    return round(part * 100.0 / whole, 1) if whole else None


def _reason_label(reason: Optional[str]) -> str:
    """``要求中共党员（你的政治面貌：共青团员）`` -> ``要求中共党员``."""
    if not reason:
        return ""
    return re.sub(r"（你[^（）]*）$", "", reason).strip()


def _post_brief(post: Mapping[str, Any], ratio: float, applicants: float) -> Dict[str, Any]:
    return {"code": post.get("code"), "name": post.get("name"), "organ": post.get("organ"),
            "unit": post.get("unit"), "city": post.get("city"), "family": post.get("family"),
            "openings": post.get("openings"),
            "applicants": None if np.isnan(applicants) else int(applicants),
            "ratio": round(float(ratio), 2)}


def market_facts(profile: Optional[Mapping[str, Any]], exam: str, year: Optional[int],
                 url: Optional[str] = None) -> Dict[str, Any]:
    """Facts about one exam's posts for this profile (JSON-ready dict).

    Keys: ``exam``, ``year``, ``posts``, ``openings``, ``counts`` (eligible /
    needs_confirmation / not_eligible), ``share_eligible`` and ``share_open`` (% of posts,
    open = eligible + needs confirmation), ``major`` (None without a major:
    ``name, level, accepting_posts`` = posts whose major list includes the student's
    major, ``accepting_openings, share, eligible_accepting, unrestricted_posts`` = posts
    without a major restriction for the student's level, ``by_city`` top five),
    ``ratios`` (None without applicant data: ``date, all, eligible`` distributions with
    ``median``/``p75``/``one_in_a_thousand`` …, ``highest_eligible``, ``lowest_eligible``),
    ``misses`` (``top`` = most common single failing condition among posts the student
    misses by exactly one condition, ``single`` all such categories, ``any`` failing
    categories over all not-eligible posts), ``restricted`` (posts limited to party
    members, to grass-roots experience, to fresh graduates, and how many of them the
    student loses), ``age`` (limit of the exam year from knowledge/exams.yml and the
    years left), ``profile_notes`` and ``notes``.

    Raises :class:`bot.positions.api.PositionsError` (unknown exam or year, message for
    the user) and :class:`bot.positions.profile.ProfileError` (unreadable profile)."""
    from bot.positions import api
    from bot.positions import ratios as _ratios
    from bot.positions import requirements as Rq
    from bot.positions.engine import ELIGIBLE, NEEDS_CONFIRMATION, NOT_ELIGIBLE

    if profile is not None and not isinstance(profile, Mapping):
        raise api.ProfileError("档案应为键值对象，例如 {\"age\": 23, \"education\": \"本科\"}")
    data, ev = api.evaluation_for(dict(profile or {}), exam, year, url)
    cp = data.compiled
    p = ev.profile
    n = cp.size
    verdict = ev.verdict
    counts = ev.counts()
    openings_arr = np.array([float(x.get("openings") or 0) for x in data.posts])

    # Per condition set: failing categories, and structural restrictions.
    outcomes = ev.cond_outcomes
    fail = [o.status == NOT_ELIGIBLE for o in outcomes]
    set_fail: List[List[int]] = [[c for c in s if fail[c]] for s in cp.sets]
    set_nfail = np.array([len(x) for x in set_fail], dtype=np.int32)

    def set_flag(pred) -> np.ndarray:
        flags = np.array([any(pred(cp.conds[c]) for c in s) for s in cp.sets], dtype=bool)
        return flags[cp.set_of_post] if len(flags) else np.zeros(n, dtype=bool)

    def cat_of(c: int) -> str:
        return type(cp.conds[c]).__name__

    mp = cp.major_of_post
    has_major = mp >= 0
    major_status = np.full(n, -1, dtype=np.int8)
    if len(ev.major_status):
        major_status[has_major] = ev.major_status[mp[has_major]]
    major_fail = major_status == NOT_ELIGIBLE
    nfail = set_nfail[cp.set_of_post] + major_fail.astype(np.int32) if len(set_nfail) else major_fail.astype(np.int32)

    # Failing categories over not-eligible posts ("any") and single-condition misses.
    any_counts: Counter = Counter()
    single_counts: Counter = Counter()
    reason_counts: Dict[str, Counter] = {}
    sid_counts = Counter(cp.set_of_post[verdict == NOT_ELIGIBLE].tolist())
    for sid, k in sid_counts.items():
        for c in set_fail[sid]:
            any_counts[cat_of(c)] += k
            reason_counts.setdefault(cat_of(c), Counter())[_reason_label(outcomes[c].reason)] += k
    any_counts["MajorReq"] += int(major_fail.sum())
    single = np.nonzero(nfail == 1)[0]
    for i in single:
        if major_fail[i]:
            single_counts["MajorReq"] += 1
        else:
            single_counts[cat_of(set_fail[cp.set_of_post[i]][0])] += 1

    def cat_entry(cat: str, k: int) -> Dict[str, Any]:
        rc = reason_counts.get(cat)
        reason = rc.most_common(1)[0][0] if rc else ("专业不在职位要求的范围内" if cat == "MajorReq" else "")
        return {"category": CATEGORY_LABELS.get(cat, cat), "condition": cat, "reason": reason, "posts": int(k)}

    single_list = [cat_entry(c, k) for c, k in sorted(single_counts.items(), key=lambda x: (-x[1], x[0]))]
    misses = {
        "top": single_list[0] if single_list else None,
        "single": single_list,
        "near_misses": int(len(single)),
        "any": {CATEGORY_LABELS.get(c, c): int(k) for c, k in sorted(any_counts.items(), key=lambda x: (-x[1], x[0]))
                if k},
    }

    # Structural restrictions of the posts (independent of the student) and what they cost.
    party_only = set_flag(lambda c: isinstance(c, Rq.PoliticalReq) and "群众" not in c.allowed
                          and "中共党员" in c.allowed)
    grass = set_flag(lambda c: isinstance(c, Rq.GrassrootsReq) and c.grassroots and c.min_years > 0)
    fresh = set_flag(lambda c: isinstance(c, Rq.FreshGraduateReq))
    special = set_flag(lambda c: isinstance(c, Rq.SpecialGroupReq))

    def lost(cls: str) -> int:
        return int(any_counts.get(cls, 0))

    fresh_status = [o.status for c, o in enumerate(outcomes) if isinstance(cp.conds[c], Rq.FreshGraduateReq)]
    grass_years = [c.min_years for c in cp.conds if isinstance(c, Rq.GrassrootsReq) and c.grassroots]
    restricted = {
        "party_only": int(party_only.sum()), "party_lost": lost("PoliticalReq"),
        "party_label": (reason_counts.get("PoliticalReq") or Counter({"要求中共党员": 1})).most_common(1)[0][0],
        "grassroots_required": int(grass.sum()), "grassroots_lost": lost("GrassrootsReq"),
        "grassroots_min_years": min(grass_years) if grass_years else None,
        "fresh_only": int(fresh.sum()), "fresh_lost": lost("FreshGraduateReq"),
        "fresh_only_open": (None if not fresh_status or p.fresh_graduate is None
                            else all(s != NOT_ELIGIBLE for s in fresh_status)),
        "special_group_only": int(special.sum()),
    }

    # Demand for the student's major.
    major: Optional[Dict[str, Any]] = None
    sm = ev.student_major
    if p.major and sm.level:
        li = cp.levels[sm.level]
        listed = np.zeros(n, dtype=bool)
        listed[has_major] = li.has_items[mp[has_major]]
        accepting = listed & (major_status == ELIGIBLE)
        unrestricted = (~has_major) | (~listed & (major_status == ELIGIBLE))
        cities = Counter(data.posts[i].get("city") or "未注明" for i in np.nonzero(accepting)[0])
        major = {
            "name": p.major, "level": sm.level,
            "accepting_posts": int(accepting.sum()),
            "accepting_openings": int(openings_arr[accepting].sum()),
            "share": _pct(int(accepting.sum()), n),
            "eligible_accepting": int((accepting & (verdict == ELIGIBLE)).sum()),
            "to_confirm": int((listed & (major_status == NEEDS_CONFIRMATION)).sum()),
            "unrestricted_posts": int(unrestricted.sum()),
            "by_city": [{"city": c, "posts": k} for c, k in sorted(cities.items(), key=lambda x: (-x[1], x[0]))[:5]],
        }

    # Competition ratios (where applicant data exists).
    t = _ratios.ratio_table(data)
    ratios: Optional[Dict[str, Any]] = None
    if t.date is not None:
        elig = verdict == ELIGIBLE
        el_ratio = np.where(elig, t.ratio, np.nan)
        idx = np.nonzero(elig & ~np.isnan(t.ratio))[0]
        hi = lo = None
        if len(idx):
            # Highest ratio (then code); lowest ratio, more openings first, then code.
            j_hi = min(idx, key=lambda i: (-t.ratio[i], data.posts[i]["code"]))
            j_lo = min(idx, key=lambda i: (t.ratio[i], -openings_arr[i], data.posts[i]["code"]))
            hi = _post_brief(data.posts[j_hi], t.ratio[j_hi], t.applicants[j_hi])
            lo = _post_brief(data.posts[j_lo], t.ratio[j_lo], t.applicants[j_lo])
        all_d = _ratios.distribution(t.ratio)
        el_d = _ratios.distribution(el_ratio)
        ratios = {"date": t.date.isoformat(), "all": all_d, "eligible": el_d,
                  "highest_eligible": hi, "lowest_eligible": lo}

    # Age limit of the exam year.
    age = _age_facts(p, data.exam, data.year)

    notes: List[str] = []
    if ratios is None:
        notes.append(f"{data.exam}{data.year}年的职位表没有报名人数，暂时算不出竞争比")
    if not p.major:
        notes.append("档案里还没有专业，专业需求没有统计")
    return {
        "exam": data.exam, "year": data.year, "posts": n, "openings": int(openings_arr.sum()),
        "counts": counts,
        "share_eligible": _pct(counts["eligible"], n),
        "share_open": _pct(counts["eligible"] + counts["needs_confirmation"], n),
        "major": major, "ratios": ratios, "misses": misses, "restricted": restricted, "age": age,
        "profile_notes": api._profile_notes(p),
        "notes": notes,
    }


def _age_facts(p: Any, exam: str, year: int) -> Optional[Dict[str, Any]]:
    from bot.knowledge import age_limits

    try:
        lim = age_limits(exam, year)
    except (FileNotFoundError, KeyError, ValueError):
        lim = None
    if not lim:
        return None
    limit = lim.get("max")
    postgrad = bool(p.fresh_graduate) and p.education in ("硕士研究生", "博士研究生")
    if limit is not None and postgrad and lim.get("max_fresh_postgrad"):
        limit = lim["max_fresh_postgrad"]
    out = {"age": p.age, "min": lim.get("min"), "limit": limit, "limit_known": limit is not None,
           "known_safe_max": lim.get("known_safe_max"), "source": lim.get("source", ""),
           "years_left": (limit - p.age) if (limit is not None and p.age is not None) else None}
    return out


# --------------------------------------------------------------------------- answers
_EMPTY = {"", "未回答", "跳过", "略", "无", "没有", "暂无", "不知道", "不清楚", "没想好", "没想过", "不确定", "说不上来",
          "skip", "n/a", "na", "none", "null", "-", "—", "…", "..."}
_FILLER = re.compile(r"^(嗯+|呃+|额+|那个|就是|我觉得|我认为|我感觉|我想|我的(优点|优势|长处|缺点|劣势|短板|不足)(是|有|就是)?|"
                     r"优点(是|有)?|缺点(是|有)?|(主要|大概|可能)(是|有)?)[，,：:\s]*")
_ENUM = re.compile(r"^\s*(\(?\d+[\.、．)）]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|[-*•·])\s*")
_CONJ = ("但", "但是", "不过", "可是", "而且", "并且", "所以", "因为", "因此", "也", "还", "就", "然后", "只是")
_SHY = re.compile(r"紧张|拘束|害羞|内向|腼腆|慢热|不善|不太会|不敢|怯|话少|不爱说|放不开|社恐|尴尬|不自在|沉默")


def clean_answer(text: Any) -> str:
    """An answer lightly cleaned: spaces collapsed, fillers and trailing punctuation removed,
    "未回答"/"跳过"/"不知道" and similar -> ''. The student's own wording is kept."""
    if text is None or isinstance(text, bool):
        return ""
    if not isinstance(text, str):
        text = str(text) if not isinstance(text, (list, tuple)) else "；".join(str(x) for x in text)
    t = unicodedata.normalize("NFKC", text)
    t = t.replace(",", "，").replace(";", "；").replace("?", "？").replace("!", "！").replace(":", "：")
    t = re.sub(r"[ \t\u3000]+", " ", t).strip()
    t = _FILLER.sub("", t).strip()
    t = t.strip(" 。.，,；;！!～~、")
    if t.lower() in _EMPTY:
        return ""
    return t


def _clip(text: str, limit: int = MAX_ITEM_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_items(text: Any, limit: int = MAX_ITEMS) -> List[str]:
    """Splits a free answer such as "细心、有耐心，但是有点慢；肯吃苦" into items
    (["细心", "有耐心，但是有点慢", "肯吃苦"]): separators are 。；、，and new lines, a
    fragment opening with a conjunction stays with the one before, enumeration marks go."""
    t = clean_answer(text)
    if not t:
        return []
    # Inline enumerations ("1. 表达不清 2. 缺乏实践") become separators too.
    t = re.sub(r"(?:^|(?<=\s)|(?<=[^\d.]))[（(]?\d{1,2}(?:[.．](?!\d)|[、)）])", "\n", t)
    parts = re.split(r"[\n。；！？]+|[、，]", t)
    out: List[str] = []
    for raw in parts:
        x = _ENUM.sub("", raw).strip(" ，、")
        x = clean_answer(x)
        if not x:
            continue
        if out and x.startswith(_CONJ):
            out[-1] = f"{out[-1]}，{x}"
        else:
            out.append(x)
    seen, uniq = set(), []
    for x in out:
        x = _clip(x)
        if x not in seen:
            seen.add(x)
            uniq.append(x)
    return uniq[:limit]


def _answer(answers: Mapping[str, Any], key: str) -> str:
    return _clip(clean_answer(answers.get(key)), 80)


# --------------------------------------------------------------------------- SWOT
def format_ratio(x: Optional[float]) -> str:
    """``42.456`` -> ``42.5:1``; ``1234.4`` -> ``1234:1``; None -> ``—``."""
    if x is None:
        return "—"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    if np.isnan(v):
        return "—"
    if v >= 100:
        return f"{v:.0f}:1"
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{s}:1"


def _num(x: Any) -> Optional[float]:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def build_swot(answers: Optional[Mapping[str, Any]], profile: Optional[Mapping[str, Any]],
               facts: Optional[Mapping[str, Any]]) -> Dict[str, List[str]]:
    """``{"S": [...], "W": [...], "O": [...], "T": [...]}`` — short Chinese sentences.

    S and W keep the student's own words (strengths, weaknesses, what they can do, their
    support, interests, personality with friends and strangers); O and T come from
    :func:`market_facts` (demand for the major, share of posts open, ratios, posts lost for
    want of party membership or grass-roots experience, fresh-graduate-only posts, the age
    limit). Missing answers or facts give shorter (possibly empty) lists, never an error."""
    answers = answers if isinstance(answers, Mapping) else {}
    profile = profile if isinstance(profile, Mapping) else {}
    facts = facts if isinstance(facts, Mapping) else {}
    return {"S": _strengths(answers), "W": _weaknesses(answers),
            "O": _opportunities(profile, facts), "T": _threats(profile, facts)}


def _strengths(a: Mapping[str, Any]) -> List[str]:
    out = list(split_items(a.get("strengths")))
    can = _answer(a, "what_can_do")
    if can:
        out.append(f"能做好的事：{can}")
    sup = _answer(a, "support")
    if sup:
        out.append(f"身边的支撑：{sup}")
    interests = _answer(a, "interests")
    if interests:
        out.append(f"兴趣所在：{interests}")
    friends = _answer(a, "personality_friends")
    if friends:
        out.append(f"和熟人相处时：{friends}")
    strangers = _answer(a, "personality_strangers")
    if strangers and not _SHY.search(strangers):
        out.append(f"面对陌生人时：{strangers}")
    return _dedupe(out)[:MAX_ITEMS]


def _weaknesses(a: Mapping[str, Any]) -> List[str]:
    out = list(split_items(a.get("weaknesses")))
    strangers = _answer(a, "personality_strangers")
    if strangers and _SHY.search(strangers):
        out.append(f"面对陌生人时：{strangers}")
    return _dedupe(out)[:MAX_ITEMS]


def _dedupe(xs: Sequence[str]) -> List[str]:
    seen, out = set(), []
    for x in xs:
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out


def _mp(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _exam_label(facts: Mapping[str, Any]) -> str:
    exam, year = facts.get("exam") or "", facts.get("year")
    return f"{year}年{exam}" if year else str(exam)


def _is_party(profile: Mapping[str, Any]) -> bool:
    return str(profile.get("political_status") or "").strip() in ("中共党员", "党员", "中共正式党员", "正式党员")


def _opportunities(profile: Mapping[str, Any], f: Mapping[str, Any]) -> List[str]:
    out: List[str] = []
    if not f:
        return out
    label = _exam_label(f)
    major = _mp(f.get("major"))
    if major and major.get("accepting_posts"):
        s = (f"{label}有 {major['accepting_posts']} 个岗位（{major.get('accepting_openings', 0)} 个名额）"
             f"在专业要求里点名接收你的专业“{major.get('name')}”，占全部岗位的 {major.get('share')}%")
        cities = [c["city"] for c in (major.get("by_city") or []) if isinstance(c, Mapping)
                  and c.get("city") and c["city"] != "未注明"][:3]
        if cities:
            s += f"，较多集中在{'、'.join(cities)}"
        if major.get("eligible_accepting"):
            s += f"；其中 {major['eligible_accepting']} 个你的各项条件都符合"
        out.append(s)
    if major and major.get("unrestricted_posts"):
        out.append(f"另有 {major['unrestricted_posts']} 个岗位对你的学历层次不限专业，可以一并考虑")
    counts = _mp(f.get("counts"))
    total = f.get("posts") or 0
    if total and counts.get("eligible"):
        s = f"按你目前的条件，{label} {total} 个岗位中你能报 {counts['eligible']} 个（{f.get('share_eligible')}%）"
        if counts.get("needs_confirmation"):
            s += f"，另有 {counts['needs_confirmation']} 个核实情况后可能也能报"
        out.append(s)
    ratios = _mp(f.get("ratios"))
    el, al = _mp(ratios.get("eligible")), _mp(ratios.get("all"))
    if el.get("median") is not None and al.get("median") is not None and el["median"] < al["median"]:
        out.append(f"你能报的岗位竞争比中位数为 {format_ratio(el['median'])}，低于全部岗位的 {format_ratio(al['median'])}")
    lo = _mp(ratios.get("lowest_eligible"))
    if lo and lo.get("ratio") is not None:
        where = "".join(x for x in (lo.get("unit") or lo.get("organ") or "",) if x)
        out.append(f"可报岗位中竞争最小的是{where}{lo.get('name') or ''}（{lo.get('code')}），"
                   f"竞争比只有 {format_ratio(lo['ratio'])}")
    r = _mp(f.get("restricted"))
    if r.get("fresh_only") and r.get("fresh_only_open"):
        out.append(f"{r['fresh_only']} 个岗位只招应届毕业生，你正好具备这个身份，往届生不能和你竞争")
    if r.get("party_only") and _is_party(profile):
        out.append(f"{r['party_only']} 个岗位要求中共党员，你的党员身份正好用得上")
    exp = _num(profile.get("experience_years"))
    if r.get("grassroots_required") and exp is not None and exp > 0 and not r.get("grassroots_lost"):
        out.append(f"{r['grassroots_required']} 个岗位要求有基层工作经历，你的 {exp:g} 年经历可以派上用场")
    return out[:MAX_FACT_ITEMS]


def _threats(profile: Mapping[str, Any], f: Mapping[str, Any]) -> List[str]:
    """Most pressing first: the typical ratio, the age limit, one-in-a-thousand posts, then
    the posts lost for want of a condition."""
    out: List[str] = []
    if not f:
        return out
    label = _exam_label(f)
    ratios = _mp(f.get("ratios"))
    al, el = _mp(ratios.get("all")), _mp(ratios.get("eligible"))
    if ratios and al.get("median") is not None:
        out.append(f"{label}全部岗位的竞争比中位数是 {format_ratio(al['median'])}，也就是一半的岗位超过这个数"
                   + (f"，四分之一超过 {format_ratio(al['p75'])}" if al.get("p75") is not None else ""))
    elif f.get("exam") and not ratios:
        out.append(f"{label}的职位表没有报名人数，无法直接判断竞争程度，需要参考往年数据和同类岗位")
    age = _mp(f.get("age"))
    if age.get("limit_known") and age.get("years_left") is not None:
        left = age["years_left"]
        if left < 0:
            out.append(f"按{label}的年龄上限 {age['limit']} 周岁，你已超过一般岗位的年龄要求，只能关注放宽年龄的岗位")
        elif left <= 3:
            out.append(f"按{label}的年龄上限 {age['limit']} 周岁，你离上限只剩 {left} 岁，留给你的报考年份不多了")
    elif age and not age.get("limit_known") and age.get("age") is not None and age.get("known_safe_max") \
            and age["age"] > age["known_safe_max"]:
        out.append(f"{label}的年龄上限以当年公告为准，你已 {age['age']} 岁，报名前务必核对公告")
    thousand = el.get("one_in_a_thousand") or 0
    if thousand:
        out.append(f"你能报的岗位里有 {thousand} 个竞争比达到 1000:1 以上，报这类岗位几乎是在赌运气")
    if el.get("median") is not None and al.get("median") is not None and el["median"] >= al["median"]:
        out.append(f"你能报的岗位竞争更激烈：竞争比中位数 {format_ratio(el['median'])}，"
                   f"不低于全部岗位的 {format_ratio(al['median'])}")
    counts = _mp(f.get("counts"))
    if f.get("posts") and not counts.get("eligible") and counts.get("needs_confirmation"):
        out.append(f"按目前的信息还没有一个岗位能确定可报，{counts['needs_confirmation']} 个岗位要先补全或核实信息")
    r = _mp(f.get("restricted"))
    covered = set()
    if r.get("party_lost"):
        lab = r.get("party_label") or "要求中共党员"
        out.append(f"有 {r['party_lost']} 个岗位因政治面貌报不了（多为“{lab}”）")
        covered.add("政治面貌")
    if r.get("grassroots_lost"):
        yrs = r.get("grassroots_min_years")
        yrs_s = f" {yrs:g} 年以上" if isinstance(yrs, (int, float)) else ""
        out.append(f"有 {r['grassroots_lost']} 个岗位要求{yrs_s}基层工作经历，你暂时还不具备")
        covered.add("基层工作经历")
    if r.get("fresh_lost"):
        out.append(f"有 {r['fresh_lost']} 个岗位只招应届毕业生，你不在此列")
        covered.add("应届毕业生身份")
    top = _mp(_mp(f.get("misses")).get("top"))
    if top and top.get("category") not in covered and top.get("posts"):
        reason = top.get("reason") or top.get("category")
        out.append(f"你错过岗位最常见的单一原因是“{reason}”：有 {top['posts']} 个岗位只差这一条")
    major = f.get("major")
    if isinstance(major, Mapping) and f.get("posts") and not major.get("accepting_posts"):
        out.append(f"{label}的职位表里几乎没有点名招你专业的岗位，主要只能报不限专业的岗位，竞争往往更集中")
    hi = _mp(ratios.get("highest_eligible"))
    if hi.get("ratio") is not None and not thousand and hi["ratio"] >= 100:
        out.append(f"可报岗位中最热门的{hi.get('unit') or hi.get('organ') or ''}{hi.get('name') or ''}"
                   f"（{hi.get('code')}）竞争比高达 {format_ratio(hi['ratio'])}")
    return out[:MAX_FACT_ITEMS]


_TITLES = (("S", "优势（S）"), ("W", "劣势（W）"), ("O", "机会（O）"), ("T", "威胁（T）"))
_EMPTY_HINT = {
    "S": "还没有说到自己的优势，可以补充几条，比如做事细心、文字功底好",
    "W": "还没有说到自己的不足，想到了可以随时补充",
    "O": "暂时没有，补全档案（学历、专业等）和报考目标后会更具体",
    "T": "暂时没有，补全档案（学历、专业等）和报考目标后会更具体",
}


def format_swot(swot: Optional[Mapping[str, Any]]) -> str:
    """The SWOT as one chat message (empty parts say what is still missing)."""
    swot = swot if isinstance(swot, Mapping) else {}
    lines = ["你的 SWOT 小结："]
    for key, title in _TITLES:
        items = swot.get(key) or []
        if isinstance(items, str):
            items = [items]
        lines.append(f"【{title}】")
        items = [str(x).strip() for x in items if x and str(x).strip()]
        if items:
            lines += [f"• {x}" for x in items]
        else:
            lines.append(f"（{_EMPTY_HINT[key]}）")
    return "\n".join(lines)
