"""Guangdong's major reference catalogue (A/B/C codes) and how a student's major sits in it.

Guangdong position tables name majors with the province's own codes
(``法学(A0301)``, ``法学类(B0301)``, ``刑事执行(C030201)``, ``06法律类``), from
``knowledge/majors/guangdong-2026-major-catalogue.json`` (derived from the official
``.xls`` by :mod:`bot.positions.derive_guangdong_catalogue`):

* letter = level: ``A`` 研究生, ``B`` 本科, ``C`` 大专;
* 2 digits = category (学科门类), 4 digits = discipline (学科), 6 digits = major (专业);
* a 专业大类 (``06``, written ``06法律类``) lists disciplines and single majors of all levels.

The codes are Guangdong's own: ``B081001`` is 建筑学 here but 土木工程 in the 2026 national
undergraduate catalogue. So a student's major is placed **by name** (catalogue name,
former name 旧专业名称, or a name a major includes, ``金融学（含：保险学）``), never by
national code; a national code given by the student is first turned into its national name.

A post item accepts a student code when the item's code is a prefix of it (``A03`` ⊃
``A0301`` ⊃ ``A030105``), or when a 专业大类 lists such a prefix. A student known only at
a broader level than the item (a graduate who says 法学 facing 民商法学 ``A030105``) is
undecidable; a name the catalogue files under several majors, or only partly (``（部分）``),
is undecidable where the alternatives disagree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from bot.knowledge import load_json

FILE = "majors/guangdong-2026-major-catalogue.json"
LETTER_OF_LEVEL = {"研究生": "A", "本科": "B", "专科": "C", "大专": "C"}
LEVEL_OF_LETTER = {"A": "研究生", "B": "本科", "C": "大专"}
OK, CONFIRM, FAIL = 0, 1, 2


def _norm_name(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or ""))
    t = re.sub(r"\s+", "", t).replace("∶", ":")
    return t


def _core(text: str) -> str:
    return re.sub(r"\([^()]*\)", "", _norm_name(text)).strip()


@dataclass(frozen=True)
class GdCode:
    """One place of a student's major in the catalogue."""

    code: str
    partial: bool = False          # reached through a former name marked （部分）
    via: str = ""                  # the name that matched


@dataclass
class Catalogue:
    names: Dict[str, Dict[str, str]]               # code -> {"name", "kind", "parent"}
    by_name: Dict[str, Dict[str, List[GdCode]]]    # letter -> name -> codes
    groups: Dict[str, Tuple[str, Tuple[Tuple[str, bool], ...]]]  # "06" -> (name, ((code, partial), …))


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    data = load_json(FILE)
    names: Dict[str, Dict[str, str]] = {}
    by_name: Dict[str, Dict[str, List[GdCode]]] = {}
    for letter, level in data["levels"].items():
        index: Dict[str, List[GdCode]] = {}

        def add(name: str, code: str, partial: bool = False) -> None:
            key = _core(name)
            if not key:
                return
            keys = {key}
            if key.endswith("硕士") and len(key) > 3:
                keys.add(key[:-2])          # 金融硕士 -> 金融 (the 2022 professional degree name)
            for k in keys:
                lst = index.setdefault(k, [])
                if all(x.code != code for x in lst):
                    lst.append(GdCode(code, partial, k))

        for code, name in level["categories"].items():
            names[code] = {"name": name, "kind": "category", "parent": ""}
        for code, d in level["disciplines"].items():
            names[code] = {"name": d["name"], "kind": "discipline", "parent": d["category"]}
            add(d["name"], code)
        for code, m in level["majors"].items():
            names[code] = {"name": m["core"], "kind": "major", "parent": m["discipline"],
                           "full": m["name"]}
            add(m["core"], code, bool(m.get("partial")))
            for inc in m.get("includes", ()):
                add(inc, code)
            for former in m.get("former", ()):
                add(former, code, "部分" in former)
        by_name[letter] = index
    groups = {gid: (g["name"], tuple((m["code"], bool(m.get("partial"))) for m in g["members"]))
              for gid, g in data["groups"].items()}
    return Catalogue(names=names, by_name=by_name, groups=groups)


def group_name(gid: str) -> Optional[str]:
    g = catalogue().groups.get(gid)
    return g[0] if g else None


def is_group(number: str, name: str) -> bool:
    """``06`` + ``法律类`` is Guangdong's 专业大类 06 (national category 06 is 历史学)."""
    return group_name(number) == _core(name)


def describe(code: str) -> str:
    """``A0301`` -> ``法学（A0301）``; ``G06`` -> ``06法律类``."""
    if code.startswith("G"):
        return f"{code[1:]}{group_name(code[1:]) or ''}"
    entry = catalogue().names.get(code)
    return f"{entry['name']}（{code}）" if entry else code


def entry(code: str) -> Optional[Dict[str, str]]:
    return catalogue().names.get(code)


def lineage(code: str) -> List[str]:
    """``A030105`` -> [``A03``, ``A0301``, ``A030105``] (codes that exist)."""
    out = [code[:n] for n in (3, 5, 7) if len(code) >= n]
    return [c for c in out if c in catalogue().names]


@lru_cache(maxsize=8192)
def groups_of(code: str, narrower: bool = False) -> List[str]:
    """专业大类 ids whose members contain the code or one of its ancestors (and, with
    ``narrower``, groups listing a major under it: 电子信息 A0840 ~ 11信息电子类 lists A084004)."""
    prefixes = {code[:n] for n in (3, 5, 7) if len(code) >= n}
    return [gid for gid, (_, members) in catalogue().groups.items()
            if any(m in prefixes or (narrower and m.startswith(code)) for m, _ in members)]


def codes_for(names: Iterable[str], level: Optional[str]) -> Tuple[GdCode, ...]:
    """The places of a major name at one level (研究生/本科/专科|大专), most specific only.

    Several names (the student's words and the national catalogue name) are looked up
    together; a code that is an ancestor of another found code is dropped (社会学 is both
    the discipline A0303 and its major A030301: the major is the answer)."""
    letter = LETTER_OF_LEVEL.get(level or "")
    if letter is None:
        return ()
    index = catalogue().by_name.get(letter, {})
    found: Dict[str, GdCode] = {}
    for n in names:
        key = _core(n)
        for variant in {key, re.sub(r"(专业|方向)$", "", key)}:
            for g in index.get(variant, ()):
                if g.code not in found or (found[g.code].partial and not g.partial):
                    found[g.code] = g
    codes = set(found)
    keep = [g for c, g in found.items() if not any(o != c and o.startswith(c) for o in codes)]
    return tuple(sorted(keep, key=lambda g: g.code))


def match_code(student: str, item: str) -> int:
    """OK when the item covers the student's code, CONFIRM when the student's code is
    broader than the item (direction unknown), else FAIL. ``item`` may be ``G06``."""
    if item.startswith("G"):
        g = catalogue().groups.get(item[1:])
        if not g:
            return FAIL
        best = FAIL
        for member, partial in g[1]:
            s = match_code(student, member)
            if s == OK and partial:
                s = CONFIRM  # the group takes only part of that discipline
            best = min(best, s)
        return best
    if student.startswith(item):
        return OK
    if item.startswith(student):
        return CONFIRM
    return FAIL


def match_codes(codes: Tuple[GdCode, ...], item: str) -> int:
    """Combined verdict over a student's possible places: all agree, or CONFIRM."""
    if not codes:
        return CONFIRM
    statuses = set()
    for g in codes:
        s = match_code(g.code, item)
        if s == OK and g.partial:
            s = CONFIRM  # only part of that former major was filed here
        statuses.add(s)
    if len(statuses) == 1:
        return statuses.pop()
    return CONFIRM


def keys_for(codes: Tuple[GdCode, ...]) -> FrozenSet[str]:
    """Index keys under which items concerning these codes are filed (see engine)."""
    keys = set()
    for g in codes:
        for n in (3, 5, 7):
            if len(g.code) >= n:
                keys.add(g.code[:n])
        keys.update("G" + gid for gid in groups_of(g.code, narrower=True))
    return frozenset(keys)


def item_keys(code: str) -> FrozenSet[str]:
    """Keys of a post item: its code and its ancestors (so that a student known only at a
    broader level finds the item and gets CONFIRM instead of FAIL)."""
    if code.startswith("G"):
        return frozenset({code})
    return frozenset(code[:n] for n in (3, 5, 7) if len(code) >= n)
