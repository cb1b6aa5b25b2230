"""Competition ratios: applicants / openings per post, ranks, trends and alternatives.

Rank 1 is the most competitive post. ``percentile`` is the share (in %) of the compared
posts whose ratio is at or below this post's ratio: 100 means nothing compared is harder,
10 means nine in ten compared posts are more crowded. Ranks use the latest snapshot date
of the exam (the last registration day imported).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.positions.engine import ELIGIBLE, Evaluation
from bot.positions.store import ExamData

ONE_IN_A_THOUSAND = 1000.0


@dataclass
class RatioTable:
    date: Optional[dt.date]
    openings: np.ndarray          # float, nan when unknown
    applicants: np.ndarray        # float at ``date``, nan when no snapshot that day
    ratio: np.ndarray             # applicants / openings, nan when either is missing


def ratio_table(data: ExamData) -> RatioTable:
    cached = getattr(data, "_ratio_table", None)
    if cached is not None:
        return cached
    n = len(data.posts)
    openings = np.array([p.get("openings") if p.get("openings") else np.nan for p in data.posts], dtype=float)
    dates = [s[-1][0] for s in data.snapshots.values() if s]
    latest = max(dates) if dates else None
    applicants = np.full(n, np.nan)
    if latest is not None:
        for i, p in enumerate(data.posts):
            snaps = data.snapshots.get(p["code"])
            if snaps and snaps[-1][0] == latest:
                applicants[i] = snaps[-1][1]
            elif snaps:
                for d, a, _ in snaps:
                    if d == latest:
                        applicants[i] = a
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = applicants / openings
    table = RatioTable(latest, openings, applicants, ratio)
    data._ratio_table = table  # type: ignore[attr-defined]
    return table


def _rank(values: np.ndarray, mask: np.ndarray, value: float) -> Tuple[Optional[int], Optional[float], int]:
    pool = values[mask & ~np.isnan(values)]
    if np.isnan(value) or len(pool) == 0:
        return None, None, int(len(pool))
    rank = int((pool > value).sum()) + 1
    pct = round(float((pool <= value).sum()) / len(pool) * 100, 1)
    return rank, pct, int(len(pool))


def _r(x: float) -> Optional[float]:
    return None if x is None or np.isnan(x) else round(float(x), 2)


def snapshots_of(data: ExamData, code: str) -> List[Dict[str, Any]]:
    post = data.posts[data.compiled.index_of[code]]
    out = []
    prev = None
    for d, a, o in data.snapshots.get(code, []):
        openings = post.get("openings") or o
        out.append({"date": d.isoformat(), "applicants": int(a),
                    "ratio": round(a / openings, 2) if openings else None,
                    "added": None if prev is None else int(a - prev)})
        prev = a
    return out


def distribution(values: np.ndarray) -> Optional[Dict[str, Any]]:
    v = values[~np.isnan(values)]
    if len(v) == 0:
        return None
    q = np.percentile(v, [10, 25, 50, 75, 90])
    return {"posts": int(len(v)), "p10": _r(q[0]), "p25": _r(q[1]), "median": _r(q[2]), "p75": _r(q[3]),
            "p90": _r(q[4]), "max": _r(v.max()), "one_in_a_thousand": int((v >= ONE_IN_A_THOUSAND).sum())}


def post_competition(data: ExamData, code: str, evaluation: Optional[Evaluation] = None) -> Dict[str, Any]:
    """Openings, applicants per snapshot, ratio, rank and percentile among all posts of the
    exam and (with an evaluation) among the posts the student is eligible for, and the trend."""
    i = data.compiled.index_of[code]
    t = ratio_table(data)
    post = data.posts[i]
    ratio = t.ratio[i]
    all_mask = np.ones(len(data.posts), dtype=bool)
    r_all, p_all, n_all = _rank(t.ratio, all_mask, ratio)
    out: Dict[str, Any] = {
        "code": code, "exam": data.exam, "year": data.year, "name": post.get("name"),
        "organ": post.get("organ"), "unit": post.get("unit"), "city": post.get("city"),
        "district": post.get("district"), "family": post.get("family"),
        "openings": post.get("openings"),
        "date": t.date.isoformat() if t.date else None,
        "applicants": None if np.isnan(t.applicants[i]) else int(t.applicants[i]),
        "ratio": _r(ratio),
        "one_in_a_thousand": bool(not np.isnan(ratio) and ratio >= ONE_IN_A_THOUSAND),
        "rank_all": r_all, "percentile_all": p_all, "posts_ranked": n_all,
        "snapshots": snapshots_of(data, code),
    }
    if evaluation is not None:
        eligible = evaluation.verdict == ELIGIBLE
        r_el, p_el, n_el = _rank(t.ratio, eligible, ratio)
        out.update({"verdict": evaluation.details(i)["verdict"], "rank_eligible": r_el,
                    "percentile_eligible": p_el, "eligible_ranked": n_el})
    return out


def alternatives(data: ExamData, code: str, evaluation: Evaluation, exclude: Sequence[str] = (),
                 limit: int = 5) -> List[Dict[str, Any]]:
    """Eligible posts with a lower ratio in the same city or the same post family."""
    t = ratio_table(data)
    i = data.compiled.index_of[code]
    ratio = t.ratio[i]
    if np.isnan(ratio):
        return []
    post = data.posts[i]
    ex = {data.compiled.index_of[c] for c in exclude if c in data.compiled.index_of} | {i}
    cand = np.nonzero((evaluation.verdict == ELIGIBLE) & (t.ratio < ratio))[0]
    scored = []
    for j in cand:
        if j in ex:
            continue
        q = data.posts[j]
        same_city = bool(post.get("city")) and q.get("city") == post.get("city")
        same_family = bool(post.get("family")) and q.get("family") == post.get("family")
        if not (same_city or same_family):
            continue
        scored.append((-(same_city and same_family), -same_city, float(t.ratio[j]), int(j), same_city, same_family))
    scored.sort()
    out = []
    for *_, j, same_city, same_family in scored[:limit]:
        q = data.posts[j]
        why = "同城市、同类别" if same_city and same_family else ("同城市" if same_city else "同类别")
        out.append({"code": q["code"], "name": q.get("name"), "organ": q.get("organ"), "unit": q.get("unit"),
                    "city": q.get("city"), "family": q.get("family"), "openings": q.get("openings"),
                    "applicants": int(t.applicants[j]), "ratio": _r(t.ratio[j]), "why": why})
    return out


def compare(data: ExamData, codes: Sequence[str], evaluation: Optional[Evaluation] = None,
            alternatives_per_post: int = 5) -> Dict[str, Any]:
    """A shortlist side by side, the eligible distribution, and better-ratio alternatives."""
    t = ratio_table(data)
    posts = []
    for code in codes:
        item = post_competition(data, code, evaluation)
        if evaluation is not None:
            item["alternatives"] = alternatives(data, code, evaluation, exclude=codes,
                                                limit=alternatives_per_post)
        posts.append(item)
    out: Dict[str, Any] = {
        "exam": data.exam, "year": data.year, "date": t.date.isoformat() if t.date else None,
        "posts": posts, "all_posts": distribution(t.ratio),
    }
    if evaluation is not None:
        out["eligible_posts"] = distribution(np.where(evaluation.verdict == ELIGIBLE, t.ratio, np.nan))
        out["counts"] = evaluation.counts()
    if t.date is None:
        out["note"] = "该考试尚未导入报名人数，无法计算竞争比"
    return out
