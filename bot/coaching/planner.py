"""A week-by-week study plan to the written test, then the interview.

The plan is a JSON-ready dict (the case stores it under ``study_plan``). It is built by
:func:`build_plan` from a short intake and the exam calendar of ``knowledge/exams.yml``
(read by :func:`exam_calendar`; a date the student gives wins), and changed by
:func:`adjust` (what :func:`parse_adjustment` reads in words: "下周出差", "资料分析还是很差",
"考试改到12月6号", "每天能多学一小时") and :func:`checkin` (the week's progress).

Every rule is a small pure function with its parameters in ``knowledge/study_plan.yml``:

* :func:`week_slots` — weeks from today to the day before the written test, aligned on
  Mondays (the first and last weeks may be partial);
* :func:`day_hours` — hours of one day (weekday / weekend, trips, what check-ins showed);
* :func:`phase_lengths` — foundation → module practice → full mock papers → review;
* :func:`module_weights` — 行测 modules weighted by weakness, and by quick return as the
  exam nears; :func:`shenlun_share` — 申论 alongside;
* :func:`mock_papers`, :func:`split_hours` — mock papers of the week and the hours per
  item in half hours (the week's total is kept exactly);
* :func:`plan_warnings` — too few weeks or hours, exam passed, estimated dates.

Same inputs and ``today`` → the same plan: there is no randomness and no clock inside.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.knowledge import canonical_exam, load_yaml

__all__ = [
    "PlanError", "Adjustment", "params", "xingce_modules", "items", "exam_calendar", "normalize_inputs",
    "rating_from", "week_slots", "day_hours", "phase_lengths", "module_weights", "shenlun_share",
    "mock_papers", "split_hours", "plan_warnings", "build_plan", "parse_adjustment", "adjust",
    "parse_progress", "checkin", "render_text", "render_png", "summary_lines", "STAGES",
]

STAGES: Tuple[str, ...] = ("announcement", "registration", "fee_confirmation", "admission_ticket", "written",
                           "results", "interview", "medical", "political_review", "publicity")
STATUSES: Tuple[str, ...] = ("working", "student", "full_time")
VERSION = 1


class PlanError(ValueError):
    """The plan cannot be made or changed; the message is for the student. ``missing``
    names the fact to ask for (``written_date``, ``progress``, …) when that is the reason."""

    def __init__(self, message: str, missing: Optional[str] = None) -> None:
        super().__init__(message)
        self.missing = missing


@lru_cache(maxsize=1)
def params() -> Dict[str, Any]:
    data = load_yaml("study_plan.yml")
    if abs(sum(m["base"] for m in data["modules"]) - 1.0) > 1e-6:
        raise RuntimeError("knowledge/study_plan.yml: module base shares must add up to 1")
    return data


def xingce_modules() -> Tuple[str, ...]:
    return tuple(m["key"] for m in params()["modules"])


def items() -> Tuple[str, ...]:
    """Everything hours go to: the five 行测 modules, 申论, mock papers."""
    p = params()
    return xingce_modules() + (p["shenlun"]["key"], p["mock_key"])


def _shen() -> str:
    return params()["shenlun"]["key"]


def _mock() -> str:
    return params()["mock_key"]


# --------------------------------------------------------------------------- small helpers
def _nfkc(x: Any) -> str:
    return unicodedata.normalize("NFKC", str(x)).strip() if x is not None else ""


def _plain(x: Any) -> Optional[str]:
    """Display text kept as written (no NFKC: Chinese punctuation stays full-width)."""
    s = str(x).strip() if x is not None else ""
    return s or None


def _date(x: Any) -> Optional[dt.date]:
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    t = _nfkc(x)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _iso(d: Optional[dt.date]) -> Optional[str]:
    return d.isoformat() if d else None


def _md(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def _short(d: dt.date) -> str:
    return f"{d.month}/{d.day}"


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _half(x: float) -> float:
    """Rounded to half hours (half up, so the result does not depend on float noise)."""
    return math.floor(x * 2 + 0.5 + 1e-9) / 2


def _fmt_h(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


_CN_NUM = {"零": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10, "半": 0.5}


def _number(t: str) -> Optional[float]:
    """``1.5``, ``两``, ``一个半``, ``半``, ``十二`` → float."""
    t = _nfkc(t).replace("个", "")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        pass
    half = t.endswith("半") and len(t) > 1
    if half:
        t = t[:-1]
    if t == "半":
        return 0.5
    if len(t) == 1 and t in _CN_NUM:
        v: Optional[float] = float(_CN_NUM[t])
    elif len(t) == 2 and t[0] == "十" and t[1] in _CN_NUM:
        v = 10.0 + _CN_NUM[t[1]]
    elif len(t) == 2 and t[1] == "十" and t[0] in _CN_NUM:
        v = 10.0 * _CN_NUM[t[0]]
    elif len(t) == 3 and t[1] == "十" and t[0] in _CN_NUM and t[2] in _CN_NUM:
        v = 10.0 * _CN_NUM[t[0]] + _CN_NUM[t[2]]
    else:
        return None
    return v + (0.5 if half else 0.0)


_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]{1,3}(?:个)?半?|半)"


# --------------------------------------------------------------------------- calendar
def _stages(raw: Any) -> Dict[str, Dict[str, Any]]:
    """Calendar entries (a list of {stage, start, end, …} or a dict by stage) → by stage."""
    rows: List[Mapping[str, Any]] = []
    if isinstance(raw, Mapping):
        rows = [{**(v if isinstance(v, Mapping) else {}), "stage": k} for k, v in raw.items()]
    elif isinstance(raw, (list, tuple)):
        rows = [r for r in raw if isinstance(r, Mapping)]
    out: Dict[str, Dict[str, Any]] = {}
    for r in rows:
        stage = _nfkc(r.get("stage"))
        start = _date(r.get("start"))
        end = _date(r.get("end")) or start
        if stage not in STAGES or start is None or end is None or end < start:
            continue
        out[stage] = {"start": start.isoformat(), "end": end.isoformat(), "estimate": bool(r.get("estimate")),
                      "source": _plain(r.get("source")), "url": _plain(r.get("url")),
                      "checked": _iso(_date(r.get("checked"))), "note": _plain(r.get("note"))}
    return out


def _rounds(exam: str) -> List[Tuple[int, bool, Dict[str, Dict[str, Any]]]]:
    from bot.knowledge import exams

    info = exams().get(exam) or {}
    out = []
    for key, estimated in (("years", False), ("estimated_years", True)):
        for year, data in sorted((info.get(key) or {}).items()):
            stages = _stages((data or {}).get("calendar"))
            if stages:
                out.append((int(year), estimated, stages))
    return out


def exam_calendar(exam: Optional[str], year: Optional[int] = None,
                  today: Optional[dt.date] = None) -> Optional[Dict[str, Any]]:
    """The calendar of one exam round from ``knowledge/exams.yml``, or None.

    ``{"exam", "year", "estimated_round", "stages": {stage: {start, end, estimate, source,
    url, checked, note}}}``. With ``year`` that round; otherwise the first round whose
    written test is not over on ``today`` (the latest round when ``today`` is None).
    Tolerates exams or years without a calendar (→ None)."""
    if not exam:
        return None
    name = canonical_exam(exam) or _nfkc(exam)
    try:
        rounds = _rounds(name)
    except (FileNotFoundError, KeyError, TypeError):
        return None
    if year is not None:
        rounds = [r for r in rounds if r[0] == int(year)]
        rounds.sort(key=lambda r: r[1])  # a published round wins over an estimate
        chosen = rounds[0] if rounds else None
    else:
        with_written = sorted((r for r in rounds if "written" in r[2]), key=lambda r: r[2]["written"]["end"])
        chosen = None
        if today is not None:
            chosen = next((r for r in with_written if _date(r[2]["written"]["end"]) >= today), None)
        if chosen is None and with_written:
            chosen = with_written[-1]
    if chosen is None:
        return None
    return {"exam": name, "year": chosen[0], "estimated_round": chosen[1], "stages": chosen[2]}


def _normalize_calendar(cal: Any) -> Optional[Dict[str, Any]]:
    """A calendar passed in (tests, callers) in the shape :func:`exam_calendar` returns."""
    if not isinstance(cal, Mapping):
        return None
    try:
        year = int(cal["year"]) if cal.get("year") is not None else None
    except (TypeError, ValueError):
        year = None
    return {"exam": _plain(cal.get("exam")), "year": year, "estimated_round": bool(cal.get("estimated_round")),
            "stages": _stages(cal.get("stages"))}


def _exam_minutes(exam: Optional[str], year: Optional[int]) -> Tuple[int, int]:
    """(行测, 申论) minutes of the exam day from exams.yml, else the plan defaults."""
    mp = params()["mock"]
    xm, sm = int(mp["xingce_minutes"]), int(mp["shenlun_minutes"])
    if not exam:
        return xm, sm
    from bot.knowledge import exams

    info = exams().get(canonical_exam(exam) or exam) or {}
    years = info.get("years") or {}
    if year is not None and int(year) in years:
        picks = [years[int(year)]]
    else:
        picks = [years[y] for y in sorted(years, reverse=True)]
    for data in picks:
        papers = ((data or {}).get("exam_day") or {}).get("papers") or []
        found = {p.get("paper"): p.get("minutes") for p in papers if isinstance(p, Mapping)}
        if found.get("行政职业能力测验") and found.get("申论"):
            return int(found["行政职业能力测验"]), int(found["申论"])
    return xm, sm


# --------------------------------------------------------------------------- inputs
def _module_key(name: Any) -> Optional[str]:
    t = _nfkc(name)
    if not t:
        return None
    p = params()
    for m in p["modules"] + [p["shenlun"]]:
        if t == m["key"] or t in m.get("aliases", []) or t == m.get("label"):
            return m["key"]
    return None


def _find_modules(text: str) -> List[Tuple[int, str]]:
    """(position, module) for every module alias in ``text`` (longest alias at a position)."""
    p = params()
    hits: Dict[int, Tuple[int, str]] = {}
    for m in p["modules"] + [p["shenlun"]]:
        for alias in {m["key"], *m.get("aliases", [])}:
            for mm in re.finditer(re.escape(alias), text):
                if mm.start() not in hits or len(alias) > hits[mm.start()][0]:
                    hits[mm.start()] = (len(alias), m["key"])
    out: List[Tuple[int, str]] = []
    covered = -1
    for pos in sorted(hits):
        if pos < covered:
            continue
        n, key = hits[pos]
        out.append((pos, key))
        covered = pos + n
    return out


def rating_from(value: Any, kind: str = "rating", module: Optional[str] = None) -> Optional[int]:
    """A 1–5 rating from a self-rating (1–5 or words such as 很差/一般/不错) or, with
    ``kind="score"``, from a last score: 行测 module = % correct (``65``, ``"65%"``,
    ``"13/20"``, ``{"correct": 13, "total": 20}``), 申论 = points out of 100."""
    p = params()
    if value is None or isinstance(value, bool):
        return None
    if kind == "score":
        pct: Optional[float] = None
        if isinstance(value, Mapping):
            c, t = value.get("correct"), value.get("total")
            try:
                pct = 100.0 * float(c) / float(t) if float(t) > 0 else None
            except (TypeError, ValueError):
                pct = None
        elif isinstance(value, (int, float)):
            pct = float(value)
        else:
            t = _nfkc(value).replace("分", "")
            m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", t)
            if m and float(m.group(2)) > 0:
                pct = 100.0 * float(m.group(1)) / float(m.group(2))
            else:
                m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%?", t)
                pct = float(m.group(1)) if m else None
        if pct is None or not 0 <= pct <= 100:
            return None
        table = p["score_to_rating"]["shenlun" if module == _shen() else "xingce"]
        return next(int(r) for lo, r in table if pct >= lo)
    if isinstance(value, (int, float)):
        v = float(value)
        return int(v) if v.is_integer() and 1 <= v <= 5 else None
    t = _nfkc(value)
    m = re.fullmatch(r"([1-5])\s*分?", t)
    if m:
        return int(m.group(1))
    t = re.sub(r"[吧啊呀的了哦嘛。！!，,\s]+$", "", t)
    best: Optional[Tuple[int, int]] = None
    for rating, words in p["rating_words"].items():
        for w in words:
            if w in t and (best is None or len(w) > best[0]):
                best = (len(w), int(rating))
    return best[1] if best else None


def _hours(value: Any, cap: float) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        m = re.search(_NUM, _nfkc(value))
        v = _number(m.group(0)) if m else None
        if v is None:
            return None
    if v != v or v < 0:
        return None
    return min(v, cap)


def _status(value: Any) -> Optional[str]:
    t = _nfkc(value).lower()
    if t in STATUSES:
        return t
    if re.search(r"全职|脱产|辞职|裸辞|不上班|全天|full", t):
        return "full_time"
    if re.search(r"在校|学生|上课|读书|应届|大四|研三|student", t):
        return "student"
    if re.search(r"在职|上班|工作|打工|work", t):
        return "working"
    return None


def normalize_inputs(inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """The intake in one canonical shape (what the plan stores under ``inputs``).

    Keys read: ``exam``, ``year``, ``written_date``, ``status`` (working / student /
    full_time or words: 在职、全职备考、在校), ``weekday_hours``, ``weekend_hours`` (per
    day), ``ratings`` ({module: 1–5 or words}), ``scores`` ({module: last score}),
    ``unavailable`` ([{start, end, factor, reason}]), ``carry`` ({module: hours}),
    ``realism``. Raises :class:`PlanError` for something that is not an intake."""
    if not isinstance(inputs, Mapping):
        raise PlanError("备考计划需要一些基本信息：考哪个考试（或笔试日期）、每天能学多久。")
    p = params()
    status = _status(inputs.get("status")) or ("working" if inputs.get("working") is True else None) or "student"
    defaults = p["default_hours"][status]
    notes: List[str] = []
    wd = _hours(inputs.get("weekday_hours"), float(p["max_hours"]["weekday"]))
    we = _hours(inputs.get("weekend_hours"), float(p["max_hours"]["weekend"]))
    for raw, v, key in ((inputs.get("weekday_hours"), wd, "weekday"), (inputs.get("weekend_hours"), we, "weekend")):
        given = _hours(raw, 1e9)
        if given is not None and v is not None and given > v:
            notes.append(key)
    hours_assumed = [k for k, v in (("weekday", wd), ("weekend", we)) if v is None]
    wd = float(defaults[0]) if wd is None else wd
    we = float(defaults[1]) if we is None else we

    ratings: Dict[str, int] = {}
    for raw_key, raw in (inputs.get("scores") or {}).items() if isinstance(inputs.get("scores"), Mapping) else ():
        key = _module_key(raw_key)
        r = rating_from(raw, "score", key) if key else None
        if key and r:
            ratings[key] = r
    for raw_key, raw in (inputs.get("ratings") or {}).items() if isinstance(inputs.get("ratings"), Mapping) else ():
        key = _module_key(raw_key)
        r = rating_from(raw) if key else None
        if key and r and key not in ratings:
            ratings[key] = r
    all_items = xingce_modules() + (_shen(),)
    assumed = [k for k in all_items if k not in ratings]
    for k in assumed:
        ratings[k] = int(p["default_rating"])

    exam = _nfkc(inputs.get("exam")) or None
    exam = (canonical_exam(exam) or exam) if exam else None
    year = inputs.get("year")
    try:
        year = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year = None
    written = _date(inputs.get("written_date"))
    if inputs.get("written_date") not in (None, "") and written is None:
        raise PlanError(f"笔试日期“{_nfkc(inputs.get('written_date'))[:20]}”没看懂，请写成“2026-12-06”或“12月6日”这样。",
                        missing="written_date")
    unavailable = []
    for u in inputs.get("unavailable") or []:
        if not isinstance(u, Mapping):
            continue
        s, e = _date(u.get("start")), _date(u.get("end"))
        try:
            f = float(u.get("factor", 0.0))
        except (TypeError, ValueError):
            continue
        if s and e and e >= s and 0 <= f <= 1:
            unavailable.append({"start": s.isoformat(), "end": e.isoformat(), "factor": round(f, 2),
                                "reason": _nfkc(u.get("reason")) or None})
    carry = {}
    if isinstance(inputs.get("carry"), Mapping):
        for k, v in inputs["carry"].items():
            key = _module_key(k)
            h = _hours(v, 40.0)
            if key and h:
                carry[key] = _half(h)
    try:
        realism = float(inputs.get("realism", 1.0))
    except (TypeError, ValueError):
        realism = 1.0
    return {
        "exam": exam, "year": year, "written_date": _iso(written), "status": status,
        "weekday_hours": round(wd, 2), "weekend_hours": round(we, 2), "hours_assumed": hours_assumed,
        "hours_capped": notes, "ratings": {k: ratings[k] for k in all_items}, "assumed": assumed,
        "unavailable": unavailable, "carry": carry, "realism": round(min(1.0, max(0.3, realism)), 2),
    }


# --------------------------------------------------------------------------- rules
def week_slots(anchor: dt.date, today: dt.date, exam_day: dt.date) -> List[Tuple[int, dt.date, dt.date]]:
    """``(week number, first day, last day)`` from ``today`` to the day before the written
    test; weeks are counted from ``anchor`` (a Monday) so numbers stay put when the plan
    is rebuilt; the first and last weeks may be partial."""
    last = exam_day - dt.timedelta(days=1)
    if last < today:
        return []
    out = []
    start = today
    while start <= last:
        n = (start - anchor).days // 7 + 1
        week_end = anchor + dt.timedelta(days=7 * n - 1)
        end = min(week_end, last)
        out.append((n, start, end))
        start = end + dt.timedelta(days=1)
    return out


def day_hours(day: dt.date, inputs: Mapping[str, Any]) -> float:
    """Hours on one day: weekday or weekend hours × availability (trips) × realism."""
    h = float(inputs["weekend_hours"] if day.weekday() >= 5 else inputs["weekday_hours"])
    for u in inputs.get("unavailable") or []:
        if _date(u["start"]) <= day <= _date(u["end"]):
            h *= float(u["factor"])
    return h * float(inputs.get("realism", 1.0))


def phase_lengths(n_weeks: int, avg_rating: float = 3.0) -> Dict[str, int]:
    """Weeks per phase. Review and mock papers always get their weeks first; foundation
    only from ``foundation_min_weeks`` on (shorter for students who rate themselves well);
    module practice takes the rest."""
    p = params()
    shares = {ph["key"]: float(ph["share"]) for ph in p["phases"]}
    out = {k: 0 for k in shares}
    if n_weeks <= 0:
        return out
    if n_weeks == 1:
        out["review"] = 1
        return out
    out["review"] = max(1, int(n_weeks * shares["review"] + 0.5))
    if n_weeks >= 3:
        out["mock"] = max(1, int(n_weeks * shares["mock"] + 0.5))
    else:
        out["mock"] = n_weeks - out["review"]
    if n_weeks >= int(p["foundation_min_weeks"]):
        factor = min(1.0, max(0.34, (5.0 - avg_rating) / 2.0))
        out["foundation"] = max(1, int(n_weeks * shares["foundation"] * factor + 0.5))
    out["practice"] = n_weeks - out["review"] - out["mock"] - out["foundation"]
    return out


def _k_and_t(weeks_left: int) -> Tuple[float, float]:
    w = params()["weakness"]
    long_w, short_w = float(w["long_weeks"]), float(w["short_weeks"])
    t = min(1.0, max(0.0, weeks_left / long_w))
    if weeks_left >= long_w:
        k = float(w["k_long"])
    elif weeks_left <= short_w:
        k = float(w["k_short"])
    else:
        lo, hi = float(w["k_short"]), float(w["k_long"])
        k = lo + (hi - lo) * (weeks_left - short_w) / (long_w - short_w)
    return k, t


def module_weights(ratings: Mapping[str, int], weeks_left: int) -> Dict[str, float]:
    """Share of the week's 行测 hours per module (sums to 1)."""
    k, t = _k_and_t(weeks_left)
    raw = {}
    for m in params()["modules"]:
        r = int(ratings.get(m["key"], params()["default_rating"]))
        raw[m["key"]] = float(m["base"]) * (1.0 + k * (5 - r) / 4.0) * float(m["quick"]) ** (1.0 - t)
    total = sum(raw.values())
    return {key: v / total for key, v in raw.items()}


def shenlun_share(ratings: Mapping[str, int]) -> float:
    """Share of the week (outside mock papers) for 申论: more when 申论 is rated below the
    行测 average, less when above, within the configured bounds."""
    s = params()["shenlun"]
    xs = [int(ratings.get(k, params()["default_rating"])) for k in xingce_modules()]
    gap = sum(xs) / len(xs) - int(ratings.get(_shen(), params()["default_rating"]))
    share = float(s["share"]) + gap * float(s["per_rating_step"])
    return round(min(float(s["share_max"]), max(float(s["share_min"]), share)), 4)


def mock_papers(phase: str, hours: float, paper_hours: float) -> int:
    """Full mock papers of the week: a share of the week's hours in the mock and review
    phases, at least one in the mock phase when the week has room for one."""
    share = float(params()["mock"]["share"].get(phase, 0.0))
    if share <= 0 or paper_hours <= 0:
        return 0
    n = int(hours * share / paper_hours + 1e-9)
    if n == 0 and phase == "mock" and hours >= paper_hours * 1.5:
        n = 1
    return n


def split_hours(total: float, weights: Mapping[str, float], step: float = 0.5) -> Dict[str, float]:
    """``total`` split by ``weights`` in ``step`` units (largest remainder; ties in key
    order), so the parts add up to ``total`` rounded to the step."""
    units = int(round(total / step))
    wsum = sum(max(0.0, w) for w in weights.values())
    if units <= 0 or wsum <= 0:
        return {k: 0.0 for k in weights}
    exact = {k: units * max(0.0, w) / wsum for k, w in weights.items()}
    base = {k: int(math.floor(v + 1e-9)) for k, v in exact.items()}
    left = units - sum(base.values())
    order = sorted(weights, key=lambda k: (-(exact[k] - base[k]), list(weights).index(k)))
    for k in order[:left]:
        base[k] += 1
    return {k: base[k] * step for k in weights}


def _week_items(phase: str, hours: float, ratings: Mapping[str, int], weeks_left: int, paper_hours: float,
                carry: Mapping[str, float]) -> Tuple[Dict[str, float], int]:
    """Hours per item of one week, and the number of mock papers."""
    papers = mock_papers(phase, hours, paper_hours)
    mock_h = _half(papers * paper_hours)
    rest = max(0.0, hours - mock_h)
    mw = module_weights(ratings, weeks_left)
    s = shenlun_share(ratings)
    weights: Dict[str, float] = {k: (1 - s) * w for k, w in mw.items()}
    weights[_shen()] = s
    if carry and rest > 0:
        # Hours left undone last week: up to a third of this week goes to them first.
        room = rest / 3.0
        extra_total = min(room, sum(carry.values()))
        factor = extra_total / sum(carry.values()) if carry else 0.0
        base_rest = rest - extra_total
        weights = {k: w * base_rest / rest for k, w in weights.items()}
        for k, h in carry.items():
            if k in weights:
                weights[k] += h * factor / rest
    split = split_hours(rest, weights)
    out = {k: split.get(k, 0.0) for k in xingce_modules() + (_shen(),)}
    out[_mock()] = mock_h
    return out, papers


def plan_warnings(*, days_left: int, weeks: int, weekly_hours: float, total_hours: float, inputs: Mapping[str, Any],
                  exam: Mapping[str, Any]) -> List[Dict[str, str]]:
    """Honest warnings: exam passed or today, too few weeks, too few hours, long days while
    working, estimated dates, assumed ratings or hours."""
    w = params()["warn"]
    out: List[Dict[str, str]] = []

    def add(code: str, text: str) -> None:
        out.append({"code": code, "text": text})

    if days_left < 0:
        add("exam_passed", f"笔试日期（{_md(_date(exam['written_start']))}）已经过了。")
    elif days_left == 0:
        add("exam_today", "今天就是笔试，这份计划只剩面试准备了。祝考试顺利！")
    elif weeks < int(w["min_weeks"]):
        add("few_weeks", f"离笔试只有{weeks}周，时间很紧：先把做题快、提分快的判断推理和资料分析练熟，"
                         f"常识不再铺开，申论把小题的要点写全；基础阶段省掉了。")
    if days_left > 0:
        if weekly_hours < float(w["min_weekly_hours"]):
            add("few_hours_week", f"每周大约只有{_fmt_h(weekly_hours)}小时，五个模块加申论很难都顾到；"
                                  f"能挤出更多时间最好，不行就集中在最弱的两个模块。")
        if total_hours < float(w["min_total_hours"]):
            add("few_hours_total", f"算下来到考前一共约{_fmt_h(total_hours)}小时，想系统准备比较吃力，"
                                   f"计划已经按轻重排好，先保证完成量。")
    sustainable = float(params()["sustainable_weekday_when_working"])
    if inputs.get("status") == "working" and float(inputs["weekday_hours"]) > sustainable:
        add("long_days", f"上班的同时每天学{_fmt_h(float(inputs['weekday_hours']))}小时，很难长期坚持；"
                         f"要是做不到，告诉我实际能学多久，我重新排。")
    if inputs.get("hours_capped"):
        add("hours_capped", "每天的学习时间按不超过"
                            f"{params()['max_hours']['weekday']}小时（周末{params()['max_hours']['weekend']}小时）算了。")
    if exam.get("estimate") and days_left > 0:
        if exam.get("written_start") != exam.get("written_end"):
            add("estimate", f"笔试日期还没公布，按往年推算在{_md(_date(exam['written_start']))}到"
                            f"{_md(_date(exam['written_end']))}之间，计划按最早的{_md(_date(exam['written_start']))}排；"
                            f"公告出来后告诉我准确日期，我会重排。")
        else:
            add("estimate", "笔试日期是按往年推算的，公告出来后告诉我准确日期，我会重排。")
    if inputs.get("assumed"):
        names = "、".join(inputs["assumed"])
        add("ratings_assumed", f"{names}没有自评或成绩，先按中等水平排；做一套真题后告诉我各模块的正确率会更准。")
    if inputs.get("hours_assumed"):
        wd, we = _fmt_h(float(inputs["weekday_hours"])), _fmt_h(float(inputs["weekend_hours"]))
        add("hours_assumed", f"你没说每天能学多久，先按工作日{wd}小时、周末{we}小时排。")
    if float(inputs.get("realism", 1.0)) < 1.0:
        add("low_completion", f"最近的打卡平均完成约{round(float(inputs['realism']) * 100)}%，后面的计划按你实际能完成的量排了。")
    return out


# --------------------------------------------------------------------------- building
def _written(n: Mapping[str, Any], cal: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    if n.get("written_date"):
        d = n["written_date"]
        return {"written_start": d, "written_end": d, "estimate": False, "source": "你告诉我的日期", "url": None}
    st = (cal or {}).get("stages", {}).get("written")
    if not st:
        exam = n.get("exam")
        msg = (f"{exam}{n.get('year') or ''}的笔试日期我这里还没有，告诉我笔试是哪天（比如“12月6日”），我就能排计划。"
               if exam else "先告诉我考哪个考试，或者直接告诉我笔试日期（比如“12月6日”）。")
        raise PlanError(msg, missing="written_date")
    return {"written_start": st["start"], "written_end": st["end"], "estimate": bool(st["estimate"]),
            "source": st.get("source"), "url": st.get("url")}


def _interview(n: Mapping[str, Any], cal: Optional[Mapping[str, Any]], written_end: dt.date, today: dt.date,
               weekly_hours: float) -> Optional[Dict[str, Any]]:
    ip = params()["interview"]
    stages = (cal or {}).get("stages", {})
    start = written_end + dt.timedelta(days=1)
    iv = stages.get("interview")
    if iv:
        end = _date(iv["start"]) - dt.timedelta(days=1)
        estimate, basis = bool(iv["estimate"]), "按考试日程的面试时间"
        if iv["estimate"]:
            basis = "面试时间是按往年推算的"
    else:
        end = written_end + dt.timedelta(weeks=int(ip["default_weeks"]))
        estimate, basis = True, f"面试时间还没有公布，先按笔试后{ip['default_weeks']}周准备"
    results = stages.get("results")
    first = max(start, today)
    if end < first:
        return None
    weeks = max(1, math.ceil(((end - first).days + 1) / 7))
    hours = _half(weekly_hours * float(ip["hours_factor"]))
    return {"start": first.isoformat(), "end": end.isoformat(), "weeks": weeks, "estimate": estimate, "basis": basis,
            "interview_date": iv["start"] if iv else None,
            "results": {"start": results["start"], "end": results["end"], "estimate": results["estimate"]}
            if results else None,
            "hours_per_week": hours, "tasks": list(params()["tasks"]["interview"])}


def _tasks(phase: str, week_items: Mapping[str, float], papers: int) -> List[str]:
    xs = {k: v for k, v in week_items.items() if k in xingce_modules()}
    weak = max(xs, key=lambda k: (xs[k], -xingce_modules().index(k))) if any(xs.values()) else xingce_modules()[0]
    return [t.format(weak=weak, mocks=papers) for t in params()["tasks"][phase]]


def build_plan(inputs: Mapping[str, Any], today: dt.date, *, calendar: Optional[Mapping[str, Any]] = None,
               anchor: Optional[dt.date] = None, start: Optional[dt.date] = None) -> Dict[str, Any]:
    """The plan (JSON-ready dict) from the intake and ``today``.

    ``calendar`` overrides the one read from knowledge/exams.yml (same shape as
    :func:`exam_calendar`); ``anchor`` is the Monday week 1 starts on (kept when a plan is
    rebuilt); ``start`` the first day to plan (default ``today``; a Sunday check-in plans
    from Monday). Raises :class:`PlanError` (``missing="written_date"``) when neither the
    calendar nor the student gives a written-test date."""
    if not isinstance(today, dt.date):
        raise PlanError("today must be a date")
    if isinstance(today, dt.datetime):
        today = today.date()
    first_day = max(today, start) if isinstance(start, dt.date) else today
    n = normalize_inputs(inputs)
    cal = _normalize_calendar(calendar) if calendar is not None else exam_calendar(n["exam"], n["year"], today)
    if cal and not n["year"]:
        n["year"] = cal.get("year")
    exam = {"name": n["exam"], "year": n["year"], **_written(n, cal)}
    exam_day = _date(exam["written_start"])
    written_end = _date(exam["written_end"])
    anchor = _monday(anchor or today)
    days_left = (exam_day - today).days
    slots = week_slots(anchor, first_day, exam_day)
    lengths = phase_lengths(len(slots), sum(n["ratings"][k] for k in xingce_modules()) / len(xingce_modules()))
    order = [ph["key"] for ph in params()["phases"]]
    phase_of: List[str] = []
    for key in order:
        phase_of += [key] * lengths[key]
    names = {ph["key"]: ph["name"] for ph in params()["phases"]}
    xm, sm = _exam_minutes(n["exam"], n["year"])
    paper_hours = (xm + sm) / 60.0 * (1 + float(params()["mock"]["review_factor"]))

    weeks: List[Dict[str, Any]] = []
    carry = dict(n["carry"])
    for i, (num, start, end) in enumerate(slots):
        days = [start + dt.timedelta(days=d) for d in range((end - start).days + 1)]
        hours = _half(sum(day_hours(d, n) for d in days))
        full = _half(sum(day_hours(d, {**n, "unavailable": [], "realism": 1.0}) for d in days))
        phase = phase_of[i]
        week_carry = carry if i < 2 else {}
        if i < 2 and carry:
            week_carry = {k: v / 2 for k, v in carry.items()}
        by, papers = _week_items(phase, hours, n["ratings"], len(slots) - i, paper_hours, week_carry)
        weeks.append({"week": num, "start": start.isoformat(), "end": end.isoformat(), "days": len(days),
                      "phase": phase, "phase_name": names[phase], "hours": hours, "items": by,
                      "mock_papers": papers, "reduced": hours < full, "tasks": _tasks(phase, by, papers)})
    phases = []
    for key in order:
        ws = [w for w in weeks if w["phase"] == key]
        if ws:
            phases.append({"key": key, "name": names[key], "start": ws[0]["start"], "end": ws[-1]["end"],
                           "weeks": len(ws), "hours": _half(sum(w["hours"] for w in ws))})
    typical = _half(5 * n["weekday_hours"] + 2 * n["weekend_hours"])
    total = _half(sum(w["hours"] for w in weeks))
    interview = _interview(n, cal, written_end, today, typical)
    warnings = plan_warnings(days_left=days_left, weeks=len(slots), weekly_hours=typical * n["realism"],
                             total_hours=total, inputs=n, exam=exam)
    if days_left < 0 and n["exam"]:
        nxt = _next_round_text(n["exam"], today)
        if nxt:
            warnings[0]["text"] += nxt
    return {
        "version": VERSION, "created": today.isoformat(), "built_on": today.isoformat(), "anchor": anchor.isoformat(),
        "exam": {**exam, "calendar": cal},
        "days_to_exam": max(0, days_left), "weeks_to_exam": len(slots),
        "hours": {"weekday": n["weekday_hours"], "weekend": n["weekend_hours"], "per_week": typical, "total": total},
        "ratings": dict(n["ratings"]), "phases": phases, "weeks": weeks, "interview": interview,
        "warnings": warnings, "needs": [], "inputs": n, "progress": [], "adjustments": [],
    }


def _next_round_text(exam: str, today: dt.date) -> str:
    cal = exam_calendar(exam, None, today)
    if not cal or "written" not in cal["stages"]:
        return ""
    w = cal["stages"]["written"]
    if _date(w["end"]) < today:
        return ""
    when = _md(_date(w["start"])) if w["start"] == w["end"] else f"{_md(_date(w['start']))}到{_md(_date(w['end']))}之间"
    est = "（按往年推算）" if w["estimate"] else ""
    return f"下一次{exam}（{cal['year']}年度）笔试在{when}{est}，要按那次重新排计划吗？"


# --------------------------------------------------------------------------- adjustments
@dataclass(frozen=True)
class Adjustment:
    """What the student asked to change, as a list of plain changes (see :func:`parse_adjustment`)."""

    changes: Tuple[Dict[str, Any], ...]
    text: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return {"changes": [dict(c) for c in self.changes], "text": self.text}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Adjustment":
        return cls(tuple(dict(c) for c in d.get("changes") or [] if isinstance(c, Mapping)), _nfkc(d.get("text")))


_WEEK_WORDS = (("下下周", 2), ("下下个星期", 2), ("下周", 1), ("下个星期", 1), ("下星期", 1), ("下个礼拜", 1), ("下礼拜", 1),
               ("这周", 0), ("本周", 0), ("这个星期", 0), ("这星期", 0), ("这礼拜", 0))
_AWAY = {"出差": 0.4, "加班": 0.5, "忙": 0.5, "期末": 0.5, "考试周": 0.5, "有事": 0.5, "回家": 0.5, "搬家": 0.3,
         "旅游": 0.2, "没空": 0.0, "没时间": 0.0, "请假": 0.0, "生病": 0.0, "住院": 0.0, "学不了": 0.0}


def _away(t: str) -> Optional[Dict[str, Any]]:
    reason = next((w for w in sorted(_AWAY, key=len, reverse=True) if w in t), None)
    if reason is None:
        return None
    m = re.search(r"(接下来|后面|未来|之后)(" + _NUM + r")(个)?(周|星期|礼拜)", t)
    if m:
        offset, count = 0, int(_number(m.group(2)) or 1)
    else:
        found = next(((w, o) for w, o in _WEEK_WORDS if w in t), None)
        if found is None:
            return None
        offset, count = found[1], 1
    days = None
    m = re.search(r"(" + _NUM + r")天", t)
    if m and count == 1:
        v = _number(m.group(1))
        days = int(v) if v and 1 <= v <= 7 else None
    factor = _AWAY[reason]
    out: Dict[str, Any] = {"kind": "away", "week_offset": offset, "weeks": count, "days": days, "factor": factor,
                           "reason": reason}
    if count == 1 and days is None and re.search(r"周末|礼拜六|周六|星期六|周日|星期天", t):
        out["weekend_only"] = True
    m = re.search(r"(?:每天|一天)?(?:只能|能|还能)学?(" + _NUM + r")(?:个)?小时", t)
    if m:
        out.update(factor=None, hours_per_day=_number(m.group(1)))
    return out


_MODULE_WORSE = r"差|不行|弱|不好|拉胯|没进步|不会|掉分|错得多|错很多|太慢|做不完|不熟|跟不上|薄弱|吃力|头疼"
_MODULE_BETTER = r"进步|好多了|提高|提升|稳了|上来了|熟练|没问题|掌握了|好了"


def _module_changes(t: str) -> List[Dict[str, Any]]:
    out = []
    hits = _find_modules(t)
    for i, (pos, key) in enumerate(hits):
        end = hits[i + 1][0] if i + 1 < len(hits) else len(t)
        seg = t[pos:end]
        if re.search(r"小时|考试|笔试|改到|提前|推迟", seg):
            continue
        score = re.search(r"(\d+(?:\.\d+)?)\s*(%|分)", seg)
        rating = rating_from(score.group(1) if score.group(2) == "%" or key == _shen() else None, "score", key) \
            if score else None
        if rating is not None:
            out.append({"kind": "module", "module": key, "rating": rating})
        elif re.search(_MODULE_BETTER, seg) and not re.search(r"没(有)?" + r"(进步|提高|提升)", seg):
            out.append({"kind": "module", "module": key, "delta": 1})
        elif re.search(_MODULE_WORSE, seg):
            out.append({"kind": "module", "module": key, "delta": -1})
    return out


def _exam_date_change(t: str) -> Optional[Dict[str, Any]]:
    if not re.search(r"考试|笔试|考期|省考|国考|联考", t):
        return None
    if not re.search(r"提前|推迟|延后|延期|改到|改成|改为|改在|定在|定于|定了|调到|挪到|是|在", t):
        return None
    m = re.search(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?", t) or \
        re.search(r"(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})", t)
    if m:
        year = int(m.group(1)) if m.group(1) else None
        month, day = int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return {"kind": "exam_date", "year": year, "month": month, "day": day}
    direction = "earlier" if "提前" in t else ("later" if re.search(r"推迟|延后|延期", t) else None)
    if direction is None:
        return None
    shift = None
    m = re.search(r"(" + _NUM + r")(个)?(周|星期|礼拜|天)", t)
    if m:
        v = _number(m.group(1)) or 0
        shift = int(v * (1 if m.group(3) == "天" else 7)) * (-1 if direction == "earlier" else 1)
    return {"kind": "exam_date", "direction": direction, "shift_days": shift}


def _hours_change(t: str) -> Optional[Dict[str, Any]]:
    m = re.search(r"(每天|每晚|一天|工作日|平时|下班后|周末|周六|周日|礼拜天|每周|一周)[^，,。;；]*?"
                  r"(多|少|只|能|可以|还能)?(?:学|安排|挤出|拿出)?(?:习)?(?:约|大概)?(" + _NUM + r")(?:个)?(小时|钟头|h)", t)
    if not m:
        return None
    scope, more_less, value = m.group(1), m.group(2), _number(m.group(3))
    if value is None:
        return None
    delta = "多" in (more_less or "") or bool(re.search(r"多学|多出", t))
    less = "少" in (more_less or "") or bool(re.search(r"少学", t))
    change: Dict[str, Any] = {"kind": "hours"}
    if scope in ("每周", "一周"):
        change["weekly"] = value if not (delta or less) else None
        if delta or less:
            change["weekly_delta"] = value if delta else -value
        return change
    targets = {"weekday": scope in ("每天", "每晚", "一天", "工作日", "平时", "下班后"),
               "weekend": scope in ("每天", "一天", "周末", "周六", "周日", "礼拜天")}
    if scope == "周末" and not re.search(r"每天|一天|各", t):
        value = value / 2  # "周末能学8小时": over the two days
    for key, on in targets.items():
        if on:
            if delta or less:
                change[f"{key}_delta"] = value if delta else -value
            else:
                change[key] = value
    return change


def _status_change(t: str) -> Optional[Dict[str, Any]]:
    if re.search(r"辞职|裸辞|全职备考|脱产|不上班了|离职", t):
        return {"kind": "status", "status": "full_time"}
    if re.search(r"(开始|找到|入职|重新).{0,3}(上班|工作)|上班了|工作了", t):
        return {"kind": "status", "status": "working"}
    return None


def _exam_change(t: str) -> Optional[Dict[str, Any]]:
    m = re.search(r"(改|换|转)(考|成|报|去考|为)(.{2,8})", t) or re.search(r"不考.{1,6}了.{0,2}考(.{2,8})", t)
    if not m:
        return None
    name = canonical_exam(m.group(m.lastindex))
    return {"kind": "exam", "exam": name} if name else None


def parse_adjustment(text: Optional[str]) -> Optional[Adjustment]:
    """Changes asked for in words, or None when nothing is understood: a busy week
    ("下周出差", "这周出差三天", "接下来两周加班"), a module going worse or better
    ("资料分析还是很差"), the exam date ("考试提前了", "考试改到12月6号", "提前一周"), study
    hours ("每天能多学一小时", "周末每天6小时"), working or full-time, another exam."""
    if not isinstance(text, str) or not text.strip():
        return None
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    changes: List[Dict[str, Any]] = []
    for clause in [c for c in re.split(r"[，,。！!？?；;\n]|但是|不过|而且|另外|还有", t) if c]:
        date = _exam_date_change(clause)
        if date:
            changes.append(date)
            continue
        exam = _exam_change(clause)
        if exam:
            changes.append(exam)
            continue
        away = _away(clause)
        if away:
            changes.append(away)
            continue
        hours = _hours_change(clause)
        if hours:
            changes.append(hours)
            continue
        status = _status_change(clause)
        if status:
            changes.append(status)
        changes += _module_changes(clause)
    unique: List[Dict[str, Any]] = []
    for c in changes:
        if c not in unique:
            unique.append(c)
    if not unique:
        return None
    return Adjustment(tuple(unique), t[:200])


def _resolve_date(change: Mapping[str, Any], old: dt.date, today: dt.date) -> Optional[dt.date]:
    if change.get("month"):
        years = [change["year"]] if change.get("year") else [today.year, today.year + 1, today.year - 1]
        options = []
        for y in years:
            try:
                options.append(dt.date(int(y), int(change["month"]), int(change["day"])))
            except ValueError:
                continue
        if not options:
            return None
        future = [d for d in options if d >= today]
        pool = future or options
        return min(pool, key=lambda d: (abs((d - old).days), d))
    if change.get("shift_days"):
        return old + dt.timedelta(days=int(change["shift_days"]))
    return None


def _apply(inputs: Dict[str, Any], change: Mapping[str, Any], plan: Mapping[str, Any], today: dt.date,
           notes: List[str], needs: List[str]) -> None:
    kind = change.get("kind")
    p = params()
    if kind == "away":
        monday = _monday(today) + dt.timedelta(weeks=int(change.get("week_offset") or 0))
        count = max(1, int(change.get("weeks") or 1))
        days = change.get("days")
        start = max(today, monday + dt.timedelta(days=5) if change.get("weekend_only") else monday)
        end = monday + dt.timedelta(days=7 * count - 1)
        if days:
            end = min(end, start + dt.timedelta(days=int(days) - 1))
        if end < start:
            return
        factor = change.get("factor")
        if factor is None:
            per_day = float(change.get("hours_per_day") or 0.0)
            base = max(float(inputs["weekday_hours"]), 0.5)
            factor = min(1.0, per_day / base)
        inputs["unavailable"] = list(inputs.get("unavailable") or []) + [
            {"start": start.isoformat(), "end": end.isoformat(), "factor": round(float(factor), 2),
             "reason": change.get("reason")}]
        pct = round(float(factor) * 100)
        notes.append(f"{_md(start)}到{_md(end)}{change.get('reason') or '有事'}，这几天的学习量按平时的{pct}%排"
                     if pct else f"{_md(start)}到{_md(end)}{change.get('reason') or '有事'}，这几天不排学习")
    elif kind == "module":
        key = change.get("module")
        if key in inputs["ratings"]:
            old = int(inputs["ratings"][key])
            if change.get("rating") is not None:
                new = min(5, max(1, int(change["rating"])))
            else:
                new = min(5, max(1, old + int(change.get("delta") or 0)))
            inputs["ratings"][key] = new
            inputs["assumed"] = [k for k in inputs.get("assumed") or [] if k != key]
            if new < old:
                notes.append(f"{key}的时间加多了")
            elif new > old:
                notes.append(f"{key}的时间减了一些，匀给其他模块")
            elif int(change.get("delta") or 0) < 0:
                notes.append(f"{key}已经是重点，时间排到了最多")
            else:
                notes.append(f"{key}保持现在的安排")
    elif kind == "exam_date":
        old = _date(plan["exam"]["written_start"])
        new = _resolve_date(change, old, today)
        if new is None:
            needs.append("written_date")
            word = "提前" if change.get("direction") == "earlier" else "推迟"
            notes.append(f"考试{word}到哪天？告诉我具体日期（比如“12月6日”），我马上重排。")
            return
        inputs["written_date"] = new.isoformat()
        notes.append(f"笔试日期改为{new.year}年{_md(new)}")
    elif kind == "hours":
        cap = p["max_hours"]
        if change.get("weekly") is not None or change.get("weekly_delta") is not None:
            cur = 5 * float(inputs["weekday_hours"]) + 2 * float(inputs["weekend_hours"])
            if change.get("weekly") is not None:
                target = float(change["weekly"])
            else:
                target = cur + float(change["weekly_delta"])
            scale = max(0.0, target) / cur if cur else 0.0
            inputs["weekday_hours"] = round(min(cap["weekday"], float(inputs["weekday_hours"]) * scale), 2)
            inputs["weekend_hours"] = round(min(cap["weekend"], float(inputs["weekend_hours"]) * scale), 2)
        for key in ("weekday", "weekend"):
            cur = float(inputs[f"{key}_hours"])
            if change.get(key) is not None:
                cur = float(change[key])
            if change.get(f"{key}_delta") is not None:
                cur += float(change[f"{key}_delta"])
            inputs[f"{key}_hours"] = round(min(float(cap[key]), max(0.0, cur)), 2)
        inputs["hours_assumed"] = []
        notes.append(f"学习时间改为工作日每天{_fmt_h(inputs['weekday_hours'])}小时、周末每天{_fmt_h(inputs['weekend_hours'])}小时")
    elif kind == "status":
        inputs["status"] = change["status"]
        notes.append({"full_time": "按全职备考排", "working": "按在职备考排", "student": "按在校备考排"}[change["status"]])
    elif kind == "exam":
        inputs["exam"], inputs["year"], inputs["written_date"] = change["exam"], None, None
        notes.append(f"目标考试改为{change['exam']}")


def _rebuild(plan: Mapping[str, Any], inputs: Dict[str, Any], today: dt.date,
             start: Optional[dt.date] = None) -> Dict[str, Any]:
    """Rebuilds from ``today`` with the stored anchor, keeping history. The calendar is
    read again (a published notice replaces estimates); a plan built on a calendar the
    knowledge files do not have keeps its own."""
    stored = (plan.get("exam") or {}).get("calendar")
    same_exam = (inputs.get("exam") == (plan.get("exam") or {}).get("name"))
    fresh = exam_calendar(inputs.get("exam"), inputs.get("year"), today) if inputs.get("exam") else None
    cal = fresh if fresh is not None else (stored if same_exam else None)
    new = build_plan(inputs, today, calendar=cal, anchor=_date(plan.get("anchor")) or None, start=start)
    new["created"] = plan.get("created") or plan.get("built_on")
    new["progress"] = copy.deepcopy(list(plan.get("progress") or []))
    new["adjustments"] = copy.deepcopy(list(plan.get("adjustments") or []))
    return new


def adjust(plan: Mapping[str, Any], adjustment: Any, today: dt.date) -> Dict[str, Any]:
    """The plan with the changes applied and re-planned from ``today`` (history kept;
    ``adjustments[-1]`` holds what was understood and ``summary`` to tell the student)."""
    if not isinstance(plan, Mapping) or "inputs" not in plan:
        raise PlanError("还没有备考计划，先说“帮我做个备考计划”。")
    if isinstance(adjustment, Mapping):
        adjustment = Adjustment.from_dict(adjustment)
    if not isinstance(adjustment, Adjustment) or not adjustment.changes:
        raise PlanError("没听明白要怎么调整，可以说“下周出差”“资料分析还是很差”或“考试改到12月6日”。")
    inputs = copy.deepcopy(dict(plan["inputs"]))
    notes: List[str] = []
    needs: List[str] = []
    for change in adjustment.changes:
        _apply(inputs, change, plan, today, notes, needs)
    new = _rebuild(plan, inputs, today)
    new["needs"] = sorted(set(needs))
    new["adjustments"].append({"at": today.isoformat(), "text": adjustment.text,
                               "changes": [dict(c) for c in adjustment.changes], "summary": "；".join(notes)})
    return new


# --------------------------------------------------------------------------- check-ins
_SHARE_WORDS = ((r"全部|都完成|全完成|全做完|都做完|都学完|完成了计划|按计划完成|百分百|满了", 1.0),
                (r"大部分|基本(上)?完成|差不多(完成|做完)|八九成", 0.8), (r"三分之二", 0.67), (r"一半|半数|过半", 0.5),
                (r"三分之一", 0.33), (r"一小部分|很少|不多|没怎么|几乎没", 0.15), (r"完全没|一点没|没学|啥也没", 0.0))


def parse_progress(done: Any, planned: float) -> Optional[Dict[str, Any]]:
    """``{"share": 0–1, "hours": done hours, "modules": {item: share}}`` from a dict
    (``hours`` / ``share`` / ``modules``: {item: hours done}) or words ("完成了八成",
    "学了12小时", "80%", "资料分析没做"); None when nothing is understood."""
    modules: Dict[str, float] = {}
    share: Optional[float] = None
    if isinstance(done, Mapping):
        if _hours(done.get("hours"), 200.0) is not None and planned > 0:
            share = _hours(done.get("hours"), 200.0) / planned
        elif done.get("share") is not None:
            try:
                share = float(done["share"])
            except (TypeError, ValueError):
                share = None
        if isinstance(done.get("modules"), Mapping):
            for k, v in done["modules"].items():
                key = _module_key(k)
                try:
                    if key:
                        modules[key] = float(v)
                except (TypeError, ValueError):
                    continue
    elif isinstance(done, str) and done.strip():
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", done))
        m = re.search(r"(\d{1,3}(?:\.\d+)?)%", t)
        if m:
            share = float(m.group(1)) / 100
        if share is None:
            m = re.search(r"([一二三四五六七八九十])成", t)
            if m:
                share = _CN_NUM[m.group(1)] / 10
        if share is None:
            m = re.search(r"(?:学|完成|做|练|看)了?(?:大概|大约|约|差不多|将近|不到)?(" + _NUM + r")(?:个)?(?:多)?(?:小时|钟头|h)", t)
            if m and planned > 0:
                v = _number(m.group(1))
                share = v / planned if v is not None else None
        if share is None:
            for rx, v in _SHARE_WORDS:
                if re.search(rx, t):
                    share = v
                    break
        hits = _find_modules(t)
        for i, (pos, key) in enumerate(hits):
            end = hits[i + 1][0] if i + 1 < len(hits) else len(t)
            seg = t[pos:end]
            if re.search(r"没(有)?(做|写|练|学|看|完成|动)|落下|欠着|没时间", seg):
                modules[key] = 0.0
            elif re.search(r"做完|写完|练完|完成|学完|都做了", seg):
                modules[key] = 1.0
    else:
        return None
    if share is None and not modules:
        return None
    if share is None:
        share = sum(modules.values()) / len(modules) if modules else 0.0
    share = max(0.0, min(1.5, float(share)))
    return {"share": round(share, 3), "hours": round(share * planned, 1), "modules": modules}


def _current_week(plan: Mapping[str, Any], today: dt.date) -> Optional[Mapping[str, Any]]:
    weeks = [w for w in plan.get("weeks") or [] if _date(w["start"]) <= today]
    return weeks[-1] if weeks else None


def checkin(plan: Mapping[str, Any], done: Any, today: dt.date) -> Dict[str, Any]:
    """Records the week's progress and re-plans what is left.

    Items left undone are carried into the next two weeks; when the last two check-ins
    average below ``warn.low_completion`` the remaining weeks are planned with the hours
    the student actually manages (and a warning says so). ``progress[-1]["message"]`` is
    the sentence to show."""
    if not isinstance(plan, Mapping) or "inputs" not in plan:
        raise PlanError("还没有备考计划，先说“帮我做个备考计划”。")
    week = _current_week(plan, today)
    if week is None:
        if not plan.get("weeks"):
            raise PlanError("笔试前的计划已经走完了，接下来是面试准备；笔试考得怎么样，可以跟我说说。")
        raise PlanError("计划还没开始，等第一周学完再来打卡吧。", missing="progress")
    got = parse_progress(done, float(week["hours"]))
    if got is None:
        raise PlanError("没听明白这周完成了多少，可以说“完成了八成”“学了12小时”或“资料分析没做”。", missing="progress")
    items_planned = {k: float(v) for k, v in (week.get("items") or {}).items() if k != _mock()}
    shortfall: Dict[str, float] = {}
    exact: Dict[str, float] = {}
    for k, h in items_planned.items():
        s = got["modules"].get(k, got["share"])
        exact[k] = h * max(0.0, 1.0 - min(1.0, s))
        if _half(exact[k]) > 0:
            shortfall[k] = _half(exact[k])
    inputs = copy.deepcopy(dict(plan["inputs"]))
    inputs["carry"] = shortfall
    history = [p for p in plan.get("progress") or [] if p.get("week") != week["week"]]
    recent = [min(1.0, float(p["share"])) for p in history[-1:]] + [min(1.0, got["share"])]
    avg = sum(recent) / len(recent)
    low = float(params()["warn"]["low_completion"])
    if len(recent) >= 2 and avg < low:
        inputs["realism"] = round(max(0.3, avg), 2)
    elif avg >= 0.9:
        inputs["realism"] = 1.0
    inputs["unavailable"] = [u for u in inputs.get("unavailable") or [] if _date(u["end"]) >= today]
    pct = round(min(got["share"], 1.5) * 100)
    msg = f"第{week['week']}周完成约{pct}%（{_fmt_h(got['hours'])}/{_fmt_h(float(week['hours']))}小时）。"
    if shortfall:
        top = sorted(shortfall, key=lambda k: (-exact[k], items().index(k)))[:2]
        msg += f"没完成的约{_fmt_h(sum(shortfall.values()))}小时（主要是{'、'.join(top)}）放到后面两周优先补。"
    elif got["share"] >= 1.0:
        msg += "全部完成，继续保持！"
    entry = {"week": week["week"], "start": week["start"], "end": week["end"], "at": today.isoformat(),
             "planned": float(week["hours"]), "done": got["hours"], "share": got["share"],
             "modules": got["modules"], "carried": shortfall, "message": msg}
    stub = {**plan, "progress": history}
    new = _rebuild(stub, inputs, today, start=today + dt.timedelta(days=1) if _date(week["end"]) <= today else None)
    new["progress"].append(entry)
    if inputs.get("realism", 1.0) < 1.0 and float(plan["inputs"].get("realism", 1.0)) >= 1.0:
        entry["message"] += "最近两周完成得不多，后面的计划按你实际能学的时间重新排了。"
    return new


# --------------------------------------------------------------------------- rendering
def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


def _wrap(text: str, width: int, indent: str = "") -> List[str]:
    """Lines of at most ``width`` columns, broken after punctuation where possible."""
    tokens = re.findall(r"[^，。；、）：！？,;)]*[，。；、）：！？,;)]?", text)
    out: List[str] = []
    line = ""
    for tok in (t for t in tokens if t):
        if _w(line + tok) <= width:
            line += tok
            continue
        if line.strip() and _w(indent + tok) <= width:
            out.append(line)
            line = indent + tok
            continue
        for ch in tok:
            if _w(line + ch) > width:
                out.append(line)
                line = indent + ch
            else:
                line += ch
    if line.strip():
        out.append(line)
    return out


def _pad(s: str, width: int) -> str:
    return " " * max(0, width - _w(s)) + s


def summary_lines(plan: Mapping[str, Any]) -> List[str]:
    """The plan's head in short sentences (used by the chat table and the report)."""
    ex = plan["exam"]
    name = f"{ex.get('name') or ''}{(str(ex['year']) + '年度') if ex.get('year') else ''}"
    d = _date(ex["written_start"])
    when = _md(d) + ("（估计）" if ex.get("estimate") else "")
    lines = [f"目标：{name + '，' if name else ''}笔试{when}，还有{plan['weeks_to_exam']}周"]
    h = plan["hours"]
    lines.append(f"每周约{_fmt_h(h['per_week'])}小时（工作日每天{_fmt_h(h['weekday'])}小时，周末每天{_fmt_h(h['weekend'])}小时），"
                 f"到考前共约{_fmt_h(h['total'])}小时")
    for ph in plan.get("phases") or []:
        lines.append(f"{ph['name']}：{_short(_date(ph['start']))}–{_short(_date(ph['end']))}（{ph['weeks']}周）")
    iv = plan.get("interview")
    if iv:
        when = f"，面试{_md(_date(iv['interview_date']))}" if iv.get("interview_date") else "，面试日期待公布"
        lines.append(f"面试准备：{_short(_date(iv['start']))}起{when}，每周约{_fmt_h(iv['hours_per_week'])}小时")
    return lines


def render_text(plan: Mapping[str, Any], width: int = 36, weeks: int = 6) -> str:
    """The plan as a compact Chinese table for a narrow chat (every line at most ``width``
    display columns, a CJK character counting two): head, phases, the next ``weeks``
    weeks (hours per module; 常 言 数 判 资 = 行测 modules, 申 = 申论, 模 = mock papers),
    the interview and the warnings."""
    width = max(30, int(width))
    lines: List[str] = ["【备考计划】"]
    for s in summary_lines(plan):
        lines += _wrap(s, width, "  ")
    shown = list(plan.get("weeks") or [])[: max(0, int(weeks))]
    if shown:
        p = params()
        keys = list(xingce_modules()) + [_shen()]
        if any(w["items"].get(_mock()) for w in shown):
            keys.append(_mock())
        short = {m["key"]: m["short"] for m in p["modules"]}
        short[_shen()] = p["shenlun"]["short"]
        short[_mock()] = "模"
        long_phase = width >= 3 + 4 + 4 * len(keys)
        with_date = long_phase and width >= 3 + 6 + 4 + 4 * len(keys)
        head = "周 " + ("日期  " if with_date else "") + ("阶段" if long_phase else "阶") + \
            "".join(_pad(short[k], 4) for k in keys)
        lines.append("")
        lines.append(head)
        for w in shown:
            start = _date(w["start"])
            row = f"{w['week']:>2} " + (f"{start.month:>2}/{start.day:<2} " if with_date else "") + \
                (w["phase_name"] if long_phase else w["phase_name"][0])
            row += "".join(_pad(_fmt_h(w["items"].get(k, 0.0)), 4) for k in keys)
            lines.append(row)
        rest = len(plan.get("weeks") or []) - len(shown)
        legend = "（单位：小时；" + "".join(short[k] for k in keys[:5]) + "=行测五模块，申=申论" + \
                 ("，模=全真模考" if _mock() in keys else "") + "）"
        lines += _wrap(legend, width)
        if rest > 0:
            lines.append(f"……后面还有{rest}周")
    for w in plan.get("warnings") or []:
        lines += _wrap("⚠️ " + w["text"], width, "  ")
    return "\n".join(lines)


def render_png(plan: Mapping[str, Any]) -> bytes:
    """The plan as a PNG (hours per module per week as stacked bars, phases shaded) with
    the project's CJK font; narrow enough to read in a phone chat."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from bot.coaching import fonts

    try:
        _, path = fonts.register_font()
    except fonts.FontError as exc:
        raise PlanError(str(exc)) from exc
    fp = font_manager.FontProperties(fname=path)
    small = font_manager.FontProperties(fname=path, size=7)
    weeks = list(plan.get("weeks") or [])
    keys = list(xingce_modules()) + [_shen(), _mock()]
    labels = {m["key"]: m["label"] for m in params()["modules"]}
    labels[_shen()] = "申论"
    labels[_mock()] = "模考"
    colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#b07aa1", "#9c755f"]
    n = max(1, len(weeks))
    fig_h = 1.6 + 0.26 * n
    fig, ax = plt.subplots(figsize=(4.2, fig_h), dpi=180)
    try:
        y = list(range(n))
        left = [0.0] * n
        for key, color in zip(keys, colors):
            vals = [float(w["items"].get(key, 0.0)) for w in weeks] or [0.0]
            if not any(vals):
                continue
            ax.barh(y, vals, left=left, color=color, height=0.72, label=labels[key])
            left = [a + b for a, b in zip(left, vals)]
        ax.set_yticks(y)
        ax.set_yticklabels([f"第{w['week']}周 {w['phase_name']}" for w in weeks] or ["—"], fontproperties=small)
        ax.invert_yaxis()
        ax.set_xlabel("小时", fontproperties=fp)
        for i, w in enumerate(weeks):
            ax.text(left[i] + 0.2, i, _fmt_h(float(w["hours"])), va="center", fontproperties=small, color="#333333")
        ex = plan["exam"]
        title = f"备考计划：笔试{_md(_date(ex['written_start']))}" + ("（估计）" if ex.get("estimate") else "")
        ax.set_title(title, fontproperties=fp, fontsize=10)
        handles, names = ax.get_legend_handles_labels()
        if handles:
            fig.legend(handles, names, prop=small, ncol=4, loc="lower center", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(left + [1.0]) * 1.15)
        fig.tight_layout(rect=(0, min(0.5, 0.5 / fig_h), 1, 1))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
