"""Vectorised eligibility over all posts of an exam.

Compiling (once per exam, year and data version) parses every post's requirements and
factorises them:

* the non-major conditions of a post form a *condition set*; posts with the same wording
  share one set id (a few hundred sets for thousands of posts);
* each distinct major requirement gets an id, and its list entries are indexed per level
  (专科/本科/研究生) in CSR arrays over a table of distinct :class:`MajorItem`.

Evaluating one profile then calls each rule once per *distinct* condition (not per post),
decides every distinct major entry with one vectorised formula plus the scalar
:func:`bot.positions.rules.match_item` for the few entries that share a name or code with
the student, reduces entries to requirements with ``np.minimum.reduceat`` and finally
gathers statuses to posts with two array lookups. The scalar rules stay the single source
of truth: tests check that the vectorised path gives exactly their answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.positions import gdmajors
from bot.positions import rules as R
from bot.positions.profile import Profile
from bot.positions.requirements import MAJOR_LEVELS, Condition, MajorItem, MajorReq, Requirements, zh

# Verdict codes (same order as rule statuses: the worst condition decides).
ELIGIBLE, NEEDS_CONFIRMATION, NOT_ELIGIBLE = R.OK, R.CONFIRM, R.FAIL
VERDICTS = {ELIGIBLE: "eligible", NEEDS_CONFIRMATION: "needs_confirmation", NOT_ELIGIBLE: "not_eligible"}

# Per-level state of a major requirement.
_UNRESTRICTED, _ITEMS, _OPEN, _ABSENT_OTHER, _ABSENT_NONE = range(5)
# Item kinds as small ints for the vectorised formula.
_KINDS = {"category": 0, "class": 1, "discipline": 2, "second": 3, "major": 4, "name": 5, "gd": 6, "gd_group": 7}


@dataclass
class _LevelIndex:
    state: np.ndarray              # per major requirement: _UNRESTRICTED … _ABSENT_NONE
    indptr: np.ndarray             # CSR over items for requirements in state _ITEMS
    item_ids: np.ndarray
    has_items: np.ndarray          # bool per requirement (state == _ITEMS)


@dataclass
class CompiledPosts:
    """Everything one evaluation needs, for one exam and year."""

    exam: str
    year: int
    codes: List[str]
    requirements: List[Requirements]
    set_of_post: np.ndarray                     # int32: condition-set id per post
    sets: List[Tuple[int, ...]]                 # condition ids per set
    conds: List[Condition]
    major_of_post: np.ndarray                   # int32: major requirement id per post (-1: none)
    majors: List[MajorReq]
    items: List[MajorItem]
    item_kind: np.ndarray
    item_narrowed: np.ndarray
    levels: Dict[str, _LevelIndex]
    by_name: Dict[str, List[int]]               # item ids by item name / included / narrowing name
    by_code: Dict[str, List[int]]               # item ids by 2/4/6-digit code (and alt codes)
    extra_notes: List[Tuple[str, ...]] = field(default_factory=list)  # per post (data gaps)
    index_of: Dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.codes)


def compile_posts(exam: str, year: int, codes: Sequence[str], requirements: Sequence[Requirements],
                  extra_notes: Optional[Sequence[Tuple[str, ...]]] = None) -> CompiledPosts:
    n = len(codes)
    cond_ids: Dict[Condition, int] = {}
    conds: List[Condition] = []
    set_ids: Dict[Tuple[int, ...], int] = {}
    sets: List[Tuple[int, ...]] = []
    major_ids: Dict[MajorReq, int] = {}
    majors: List[MajorReq] = []
    set_of_post = np.empty(n, dtype=np.int32)
    major_of_post = np.full(n, -1, dtype=np.int32)
    # Requirements objects are shared by posts with identical wording: cache per object.
    per_req: Dict[int, Tuple[int, int]] = {}
    for i, req in enumerate(requirements):
        key = id(req)
        hit = per_req.get(key)
        if hit is None:
            ids = []
            mid = -1
            for c in req.conditions:
                if isinstance(c, MajorReq):
                    mid = major_ids.get(c, -1)
                    if mid < 0:
                        mid = major_ids[c] = len(majors)
                        majors.append(c)
                    continue
                cid = cond_ids.get(c)
                if cid is None:
                    cid = cond_ids[c] = len(conds)
                    conds.append(c)
                ids.append(cid)
            tup = tuple(sorted(set(ids)))
            sid = set_ids.get(tup)
            if sid is None:
                sid = set_ids[tup] = len(sets)
                sets.append(tup)
            hit = per_req[key] = (sid, mid)
        set_of_post[i], major_of_post[i] = hit
    # Distinct items and per-level CSR.
    item_ids: Dict[MajorItem, int] = {}
    items: List[MajorItem] = []
    levels: Dict[str, _LevelIndex] = {}
    for level in MAJOR_LEVELS:
        state = np.empty(len(majors), dtype=np.int8)
        indptr = [0]
        flat: List[int] = []
        for j, m in enumerate(majors):
            its = m.items_for(level) if not m.unrestricted else None
            if m.unrestricted:
                state[j] = _UNRESTRICTED
            elif its is not None:
                state[j] = _ITEMS
                for it in its:
                    iid = item_ids.get(it)
                    if iid is None:
                        iid = item_ids[it] = len(items)
                        items.append(it)
                    flat.append(iid)
            elif level in m.open_levels or (not m.segments and m.open_levels):
                state[j] = _OPEN
            elif m.segments:
                state[j] = _ABSENT_OTHER
            else:
                state[j] = _ABSENT_NONE
            if state[j] == _ITEMS and (len(flat) == indptr[-1]):
                state[j] = _ABSENT_OTHER if m.segments else _ABSENT_NONE  # an empty list
            indptr.append(len(flat))
        ip = np.asarray(indptr, dtype=np.int64)
        levels[level] = _LevelIndex(state=state, indptr=ip, item_ids=np.asarray(flat, dtype=np.int32),
                                    has_items=state == _ITEMS)
    by_name: Dict[str, List[int]] = {}
    by_code: Dict[str, List[int]] = {}
    for iid, it in enumerate(items):
        for nm in {it.name, *it.included, *it.narrowing, *it.excluded}:
            by_name.setdefault(nm, []).append(iid)
        d = it.digits
        if it.kind in ("gd", "gd_group"):
            keys = set(gdmajors.item_keys(it.code))  # lettered keys: never collide with digits
        elif it.kind == "category":
            keys = {d[:2]}
        else:
            keys = {d[:4], d[:6]} | set(it.alt_codes)
        for k in keys:
            if k:
                by_code.setdefault(k, []).append(iid)
    item_kind = np.asarray([_KINDS[it.kind] for it in items], dtype=np.int8)
    item_narrowed = np.asarray([bool(it.narrowing) for it in items], dtype=bool)
    return CompiledPosts(
        exam=exam, year=int(year), codes=list(codes), requirements=list(requirements),
        set_of_post=set_of_post, sets=sets, conds=conds, major_of_post=major_of_post, majors=majors,
        items=items, item_kind=item_kind, item_narrowed=item_narrowed, levels=levels,
        by_name=by_name, by_code=by_code,
        extra_notes=list(extra_notes) if extra_notes is not None else [()] * n,
        index_of={c: i for i, c in enumerate(codes)},
    )


# --------------------------------------------------------------------------- evaluation
def item_statuses(cp: CompiledPosts, sm: R.StudentMajor) -> np.ndarray:
    """Status of every distinct major entry for this student (equals ``rules.match_item``)."""
    n = len(cp.items)
    kind = cp.item_kind
    if sm.level == "本科":
        out = np.full(n, R.FAIL if sm.decisive else R.CONFIRM, dtype=np.int8)
    elif sm.level == "研究生":
        if sm.decisive:
            out = np.full(n, R.FAIL, dtype=np.int8)
        else:
            out = np.full(n, R.CONFIRM, dtype=np.int8)
            disc = (kind == _KINDS["discipline"]) | (kind == _KINDS["class"])
            if sm.recognized:
                fail = (kind == _KINDS["second"]) | (kind == _KINDS["major"]) | (kind == _KINDS["name"]) | \
                    (disc & cp.item_narrowed)
                out[fail] = R.FAIL
            if sm.candidates:
                out[disc] = R.FAIL        # non-candidates; candidates are re-decided below
            if sm.category_code:
                out[kind == _KINDS["category"]] = R.FAIL
    else:
        out = np.full(n, R.CONFIRM, dtype=np.int8)
    # Guangdong entries: decided by the student's places in Guangdong's catalogue.
    gd_mask = kind >= _KINDS["gd"]
    if gd_mask.any():
        out[gd_mask] = R.FAIL if sm.gd_codes else R.CONFIRM
    # Entries sharing a name or a code with the student: decided by the scalar rule.
    cand: set = set()
    for nm in sm.names:
        cand.update(cp.by_name.get(nm, ()))
    if sm.decisive:
        for k in {sm.code, sm.code[:4], sm.category_code, sm.class_code}:
            if k:
                cand.update(cp.by_code.get(k, ()))
    for k in sm.uncertain_codes | sm.candidates | ({sm.category_code} if sm.category_code else set()):
        cand.update(cp.by_code.get(k, ()))
    for k in gdmajors.keys_for(sm.gd_codes):
        cand.update(cp.by_code.get(k, ()))
    for iid in cand:
        out[iid] = R.match_item(sm, cp.items[iid])
    return out


def major_statuses(cp: CompiledPosts, profile: Profile) -> Tuple[np.ndarray, R.StudentMajor]:
    """Status of every distinct major requirement (equals ``rules.rule_major``)."""
    sm = R.student_major(profile.education, profile.major, profile.major_code)
    m = len(cp.majors)
    if m == 0:
        return np.zeros(0, dtype=np.int8), sm
    if sm.level is None:
        # No usable level: unrestricted passes, everything else asks for the education
        # (or passes for 高中, whose education rule decides).
        out = np.full(m, R.OK if profile.education == "高中" else R.CONFIRM, dtype=np.int8)
        out[[j for j, r in enumerate(cp.majors) if r.unrestricted]] = R.OK
        return out, sm
    li = cp.levels[sm.level]
    out = np.empty(m, dtype=np.int8)
    st = li.state
    out[st == _UNRESTRICTED] = R.OK
    out[st == _OPEN] = R.OK
    out[(st == _ABSENT_OTHER) | (st == _ABSENT_NONE)] = R.CONFIRM
    has = li.has_items
    if has.any():
        if not sm.names and not sm.decisive:
            out[has] = R.CONFIRM  # the major is missing
        else:
            ist = item_statuses(cp, sm)
            vals = ist[li.item_ids]
            starts = li.indptr[:-1][has]
            red = np.minimum.reduceat(vals, starts) if len(vals) else np.zeros(0, dtype=np.int8)
            out[has] = red
    return out, sm


@dataclass
class Evaluation:
    """The verdicts of one profile over one compiled exam (reasons built on demand)."""

    compiled: CompiledPosts
    profile: Profile
    verdict: np.ndarray                         # int8 per post
    set_status: np.ndarray
    major_status: np.ndarray
    cond_outcomes: List[R.Outcome]
    student_major: R.StudentMajor
    _major_outcomes: Dict[int, R.Outcome] = field(default_factory=dict)

    def counts(self) -> Dict[str, int]:
        c = np.bincount(self.verdict, minlength=3)
        return {VERDICTS[k]: int(c[k]) for k in (ELIGIBLE, NEEDS_CONFIRMATION, NOT_ELIGIBLE)}

    def major_outcome(self, mid: int) -> R.Outcome:
        o = self._major_outcomes.get(mid)
        if o is None:
            o = R.major_outcome(self.student_major, self.compiled.majors[mid], self.profile)
            self._major_outcomes[mid] = o
        return o

    def details(self, i: int) -> Dict[str, Any]:
        """Verdict, reasons, notes and phone of post ``i``."""
        cp = self.compiled
        v = int(self.verdict[i])
        fails: List[str] = []
        confirms: List[str] = []
        notes: List[str] = []
        outcomes: List[R.Outcome] = [self.cond_outcomes[c] for c in cp.sets[cp.set_of_post[i]]]
        mid = int(cp.major_of_post[i])
        if mid >= 0:
            outcomes.append(self.major_outcome(mid))
        for o in outcomes:
            if o.status == R.FAIL and o.reason:
                fails.append(o.reason)
            elif o.status == R.CONFIRM and o.reason:
                confirms.append(o.reason)
            if o.note:
                notes.append(o.note)
        req = cp.requirements[i]
        notes.extend(req.notes)
        notes.extend(cp.extra_notes[i] if cp.extra_notes else ())
        out: Dict[str, Any] = {
            "code": cp.codes[i],
            "verdict": VERDICTS[v],
            "reasons": _dedupe(fails if v == NOT_ELIGIBLE else confirms if v == NEEDS_CONFIRMATION else []),
        }
        if v == NOT_ELIGIBLE and confirms:
            out["also_to_confirm"] = _dedupe(confirms)
        if v == NEEDS_CONFIRMATION and req.phone:
            out["reasons"].append(f"咨询电话：{req.phone}")
        out["notes"] = _dedupe(notes)
        out["phone"] = req.phone
        return out


def _dedupe(xs: Sequence[str]) -> List[str]:
    seen, out = set(), []
    for x in xs:
        x = zh(x)
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def evaluate(cp: CompiledPosts, profile: Profile) -> Evaluation:
    """Verdict codes of every post for one profile."""
    outcomes = [R.check(profile, c) for c in cp.conds]
    cstat = np.fromiter((o.status for o in outcomes), dtype=np.int8, count=len(outcomes))
    set_status = np.fromiter((int(cstat[list(s)].max()) if s else 0 for s in cp.sets),
                             dtype=np.int8, count=len(cp.sets))
    mstat, sm = major_statuses(cp, profile)
    verdict = set_status[cp.set_of_post]
    if len(mstat):
        mp = cp.major_of_post
        has = mp >= 0
        mv = np.zeros(cp.size, dtype=np.int8)
        mv[has] = mstat[mp[has]]
        verdict = np.maximum(verdict, mv)
    return Evaluation(cp, profile, verdict.astype(np.int8, copy=False), set_status, mstat, outcomes, sm)


def evaluate_scalar(req: Requirements, profile: Profile) -> Tuple[int, List[R.Outcome]]:
    """Reference path for one post: every rule over every condition, no vectorisation."""
    outs = [R.check(profile, c) for c in req.conditions]
    return (max((o.status for o in outs), default=R.OK), outs)
