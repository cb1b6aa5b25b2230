"""专业对口: a major against the catalogues and every imported position table.

A pure library (no dialogue): the coaching flow asks "软件工程能报计算机类岗位吗", "我的专业能
报多少岗位", "本科自动化、硕士控制科学与工程，岗位好少", and shows what :func:`check_major`
returns; "为什么这个岗位不行" uses :func:`explain_post_major` for the major line.

For each degree (one, or 本科 + 硕士 with ``second``) the answer gives:

* the major's place in the national undergraduate (2026) or graduate (2022) catalogue and in
  Guangdong's 专业参考目录 (A/B/C codes, the 专业大类 that list it);
* for every imported table (exam, year): how many posts accept it, split by how — the
  list names it exactly, takes it through its class/discipline/category/大类, or is 不限 —
  with three example posts each; how many ask for confirmation (仅限 narrowings counted
  apart), how many list only another level's majors;
* the nearest classes it does **not** belong to (those the tables most often list next to
  its own), and the rule that the diploma's name must match the table's wording;
* the cases no rule can settle, named and never guessed: 仅限 narrowings, renamed
  majors (graduate engineering fields merged into 电子信息 and its siblings in 2022, former
  names), foreign degrees, 自考/成人 degrees and second degrees.

``target`` (a class such as 计算机类, a discipline, a Guangdong code or 大类, or a post
code) gets a direct answer: whether the major fits it and why.

Everything returned is JSON-serialisable. The work is vectorised over the compiled tables
(:mod:`bot.positions.engine`): one call over all shipped tables takes a few milliseconds
once the tables are loaded (``bench/positions_bench.py`` measures it).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from bot.positions import engine as E
from bot.positions import gdmajors as gd
from bot.positions import majors as cat
from bot.positions import rules as R
from bot.positions import store
from bot.positions.requirements import MajorItem, MajorReq, zh

LEVEL_WORDS = {
    "大专": "大专", "专科": "大专", "高职": "大专", "college": "大专",
    "本科": "本科", "学士": "本科", "undergraduate": "本科", "bachelor": "本科",
    "研究生": "研究生", "硕士": "研究生", "硕士研究生": "研究生", "博士": "研究生", "博士研究生": "研究生",
    "graduate": "研究生", "master": "研究生", "doctor": "研究生", "phd": "研究生",
}
_EDUCATION = {"大专": "大专", "本科": "本科", "研究生": "硕士研究生"}
EXAMPLES = 3
# 2022 graduate catalogue: engineering master fields (计算机技术, 软件工程, 控制工程 …) were
# merged into these professional degree categories; the diploma names the category.
MERGED_2022 = {"0854": "电子信息", "0855": "机械", "0856": "材料与化工", "0857": "资源与环境", "0858": "能源动力",
               "0859": "土木水利", "0860": "生物与医药", "0861": "交通运输"}
OLD_ENGINEERING_FIELDS = ("计算机技术", "软件工程", "控制工程", "电子与通信工程", "集成电路工程", "光学工程",
                          "仪器仪表工程", "机械工程", "车辆工程", "材料工程", "化学工程", "环境工程",
                          "动力工程", "电气工程", "建筑与土木工程", "水利工程", "交通运输工程", "生物工程",
                          "制药工程", "生物医学工程", "工业设计工程", "农业工程", "物流工程", "项目管理")
_FOREIGN = re.compile(r"境外|国外|海外|留学|中外合作|英国|美国|澳大利亚|加拿大|日本|韩国|新加坡|香港|澳门|台湾|QS")
_SELF_STUDY = re.compile(r"自考|自学考试|成人|函授|网络教育|网教|夜大|电大|开放大学|业余")
_SECOND = re.compile(r"第二学位|双学位|辅修|二学位|双专业")


class MajorCheckError(ValueError):
    """A question that cannot be answered (the message is for the user)."""


@lru_cache(maxsize=4096)
def _match(text: str, level: Optional[str]) -> Optional[cat.MajorMatch]:
    return cat.match_major(text, level=level)


# --------------------------------------------------------------------------- levels, places
def _clean(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip()
    return re.sub(r"\s+", "", t)


def _strip_qualifiers(text: str) -> str:
    """The major's name without 自考/第二学位/境外 qualifiers ("自考法学" -> 法学)."""
    t = re.sub(r"[(（][^)）]*[)）]", lambda m: "" if (_FOREIGN.search(m.group(0)) or _SELF_STUDY.search(m.group(0))
                                                  or _SECOND.search(m.group(0))) else m.group(0), text)
    t = re.sub(r"^(?:" + _SELF_STUDY.pattern + r"|" + _SECOND.pattern + r")(?:的)?", "", t)
    t = re.sub(r"(?:" + _SECOND.pattern + r")$", "", t)
    return t.strip() or text


def normalise_level(level: Optional[str], major: str = "") -> Tuple[str, bool]:
    """(大专 | 本科 | 研究生, assumed). Without a level the catalogues decide: a name only the
    graduate catalogue has is 研究生, only Guangdong's college list 大专, else 本科 (assumed)."""
    if level:
        key = _clean(level).lower()
        if key in LEVEL_WORDS:
            return LEVEL_WORDS[key], False
        raise MajorCheckError(f"学历层次“{level}”没看懂，请写大专、本科或研究生")
    t = _clean(major)
    if re.search(r"硕士|研究生|博士|专硕|学硕", t):
        return "研究生", False
    ug = _match(t, cat.UNDERGRADUATE)
    if ug is not None and ug.level == cat.UNDERGRADUATE and ug.decisive:
        return "本科", True
    g = _match(t, cat.GRADUATE)
    if g is not None and g.level == cat.GRADUATE and g.decisive:
        return "研究生", True
    if gd.codes_for([t], "大专") and not gd.codes_for([t], "本科"):
        return "大专", True
    return "本科", True


def _national(sm: R.StudentMajor, text: str, level: str) -> Dict[str, Any]:
    if level == "大专":
        return {"found": False, "catalogue": None,
                "note": "高职（专科）专业目录没有随产品提供，全国目录中的位置无法核对"}
    if level == "本科":
        m = cat.lookup_code(sm.code, cat.UNDERGRADUATE) if sm.decisive else None
        if m is None:
            return {"found": False, "catalogue": "普通高等学校本科专业目录（2026）"}
        conf = _match(text, cat.UNDERGRADUATE)
        return {"found": True, "catalogue": "普通高等学校本科专业目录（2026）", "name": m.name, "code": m.code,
                "class": m.class_name, "class_code": m.class_code, "category": m.category,
                "category_code": m.category_code,
                "matched_as": conf.confidence if conf is not None and conf.name == m.name else "exact"}
    out: Dict[str, Any] = {"catalogue": "研究生教育学科专业目录（2022）"}
    if sm.decisive:
        m = cat.lookup_code(sm.code, cat.GRADUATE)
        name = m.name if m else sm.code
        kind = "专业学位类别" if m is not None and m.professional else "一级学科"
        out.update(found=True, name=name, code=sm.code, kind=kind,
                   category=cat.category_name(sm.code[:2]), category_code=sm.code[:2])
        if sm.direction:
            out["direction"] = sm.direction
            out["note"] = (f"“{sm.direction}”是二级学科（方向）名称，2022年目录只列到一级学科；"
                           f"按官方职位表的写法，它归在{name}（{sm.code}）下")
        if sm.inferred:
            out["inferred_from_tables"] = True
        return out
    if sm.candidates:
        names = "、".join(_label(c, "研究生") for c in sorted(sm.candidates))
        out.update(found=False, candidates=sorted(sm.candidates),
                   note=f"“{text}”在官方职位表中分别归在{names}下，属于哪个一级学科要看学位证书")
        return out
    out["found"] = False
    return out


def _guangdong(sm: R.StudentMajor) -> Dict[str, Any]:
    places = []
    for g in sm.gd_codes:
        entry = gd.entry(g.code) or {}
        chain = [gd.describe(c) for c in gd.lineage(g.code)]
        places.append({"code": g.code, "name": entry.get("name"), "path": chain, "partial": g.partial,
                       "matched_name": g.via,
                       "groups": [gd.describe("G" + x) for x in gd.groups_of(g.code)]})
    out: Dict[str, Any] = {"catalogue": "广东省2026年考试录用公务员专业参考目录", "found": bool(places),
                           "places": places}
    if not places:
        out["note"] = "目录中没有同名专业（包括旧专业名称）；广东职位按目录写法核对，需向招录机关确认"
    elif len(places) > 1 or any(p["partial"] for p in places):
        out["note"] = "这个名称在目录中对应不止一处（或只对应其中一部分），以学位证书上的专业为准"
    return out


# --------------------------------------------------------------------------- one table
def _exact(sm: R.StudentMajor, it: MajorItem) -> bool:
    """Does the list entry name the student's own major (not a class or discipline around it)?"""
    names = sm.names
    if it.name in names or (it.narrowing and names & set(it.narrowing)):
        return True
    if it.kind in ("gd",):
        return any(g.code == it.code for g in sm.gd_codes) and len(it.code) == 7
    if it.kind == "major" and sm.decisive and sm.level == "本科":
        return it.digits[:6] == sm.code[:6]
    if it.kind == "discipline" and sm.level == "研究生" and sm.decisive and not sm.direction:
        return sm.code == it.digits[:4]
    return False


# Post categories (per post, for the student's level).
NAMED, BY_CLASS, OPEN, CONFIRM, NARROWED, FAIL, OTHER_LEVEL = range(7)
_KIND_KEYS = {NAMED: "named", BY_CLASS: "by_class", OPEN: "open", CONFIRM: "to_confirm",
              NARROWED: "narrowed", FAIL: "not_accepted", OTHER_LEVEL: "other_level_only"}


def _categories(cp: E.CompiledPosts, sm: R.StudentMajor) -> Tuple[np.ndarray, np.ndarray]:
    """(category per post, category per distinct major requirement) for this student."""
    m = len(cp.majors)
    req_cat = np.full(m, OPEN, dtype=np.int8)
    li = cp.levels.get(sm.level or "")
    if li is not None and m:
        st = li.state
        req_cat[(st == E._UNRESTRICTED) | (st == E._OPEN)] = OPEN
        req_cat[(st == E._ABSENT_OTHER)] = OTHER_LEVEL
        req_cat[(st == E._ABSENT_NONE)] = CONFIRM
        has = li.has_items
        if has.any():
            ist = E.item_statuses(cp, sm)
            # Per item: 4 named, 3 through a class, 2 narrowed and open, 1 open, 0 fails.
            score = np.where(ist == R.OK, 3, np.where(ist == R.CONFIRM, 1, 0)).astype(np.int8)
            for iid in np.nonzero(ist == R.OK)[0]:
                if _exact(sm, cp.items[int(iid)]):
                    score[iid] = 4
            if sm.decisive or sm.recognized or sm.gd_codes:
                # A narrowed entry left open for a known major: its discipline, direction unknown.
                for iid in np.nonzero((ist == R.CONFIRM) & cp.item_narrowed)[0]:
                    score[iid] = 2
            vals = score[li.item_ids]
            starts = li.indptr[:-1][has]
            best = np.maximum.reduceat(vals, starts) if len(vals) else np.zeros(0, dtype=np.int8)
            mapped = np.select([best == 4, best == 3, best == 2, best == 1], [NAMED, BY_CLASS, NARROWED, CONFIRM],
                               default=FAIL).astype(np.int8)
            req_cat[has] = mapped
    elif m:
        req_cat[:] = CONFIRM
    post_cat = np.full(cp.size, OPEN, dtype=np.int8)
    mp = cp.major_of_post
    with_req = mp >= 0
    post_cat[with_req] = req_cat[mp[with_req]]
    return post_cat, req_cat


def _examples(data: store.ExamData, idx: np.ndarray, n: int = EXAMPLES) -> List[Dict[str, Any]]:
    """The first posts of a category, preferring different organs."""
    out: List[Dict[str, Any]] = []
    organs: set = set()
    rest: List[int] = []
    for i in idx[: 200]:
        p = data.posts[int(i)]
        if p.get("organ") in organs:
            rest.append(int(i))
            continue
        organs.add(p.get("organ"))
        out.append({"code": p["code"], "organ": p.get("organ"), "name": p.get("name")})
        if len(out) == n:
            return out
    for i in rest[: n - len(out)]:
        p = data.posts[i]
        out.append({"code": p["code"], "organ": p.get("organ"), "name": p.get("name")})
    return out


def _table(data: store.ExamData, sm: R.StudentMajor) -> Dict[str, Any]:
    post_cat, _ = _categories(data.compiled, sm)
    counts = np.bincount(post_cat, minlength=7)
    out: Dict[str, Any] = {"exam": data.exam, "year": data.year, "posts": data.compiled.size}
    for k, key in _KIND_KEYS.items():
        entry: Dict[str, Any] = {"count": int(counts[k])}
        if k in (NAMED, BY_CLASS, OPEN, NARROWED, CONFIRM) and counts[k]:
            entry["examples"] = _examples(data, np.nonzero(post_cat == k)[0])
        out[key] = entry
    out["accepted"] = int(counts[NAMED] + counts[BY_CLASS] + counts[OPEN])
    return out


# --------------------------------------------------------------------------- nearest classes
def _class_keys(sm: R.StudentMajor) -> Tuple[List[str], str]:
    """The student's class-level keys (national class or discipline; Guangdong discipline)
    and how to show them."""
    keys: List[str] = []
    if sm.decisive and sm.level == "本科":
        keys.append(sm.class_code)
    elif sm.decisive and sm.level == "研究生":
        keys.append(sm.code[:4])
    for g in sm.gd_codes:
        if len(g.code) >= 5:
            keys.append(g.code[:5])
    return keys, sm.level or ""


def _item_key(it: MajorItem, level: str) -> Optional[str]:
    if it.kind == "class" and level == "本科":
        return it.digits[:4]
    if it.kind == "discipline" and level == "研究生":
        return it.digits[:4]
    if it.kind == "gd" and len(it.code) == 5:
        return it.code
    return None


def _label(key: str, level: str = "本科") -> str:
    """``0809`` -> 计算机类（0809） for 本科, 计算机科学与技术（0812）-style for 研究生."""
    if key[:1] in "ABC":
        return gd.describe(key)
    if level == "研究生":
        g = cat.lookup_code(key, cat.GRADUATE)
        return f"{g.name if g else key}（{key}）"
    name = cat.undergraduate_class_name(key) if len(key) == 4 else None
    return f"{name or key}（{key}）"


_COOCCUR: Dict[Tuple[int, str], Tuple[Any, Dict[str, Counter]]] = {}


def _cooccurrence(cp: E.CompiledPosts, level: str) -> Dict[str, Counter]:
    """class key -> Counter of the class keys listed with it, over one table's distinct
    major requirements (built once per compiled table and level)."""
    import weakref

    hit = _COOCCUR.get((id(cp), level))
    if hit is not None and hit[0]() is cp:
        return hit[1]
    index: Dict[str, Counter] = {}
    for req in cp.majors:
        items = req.items_for(level) if not req.unrestricted else None
        if not items:
            continue
        keys = {k for k in (_item_key(it, level) for it in items) if k}
        for k in keys:
            c = index.setdefault(k, Counter())
            for o in keys:
                if o != k:
                    c[o] += 1
    for key in [k for k, (ref, _) in _COOCCUR.items() if ref() is None]:
        _COOCCUR.pop(key, None)
    _COOCCUR[(id(cp), level)] = (weakref.ref(cp), index)
    return index


def _nearest(datas: Sequence[store.ExamData], sm: R.StudentMajor, limit: int = 3) -> List[Dict[str, Any]]:
    """Classes (disciplines) the tables most often list next to the student's own, that the
    major does not belong to: the usual confusions (电子信息类 next to 计算机类)."""
    own, _ = _class_keys(sm)
    if not own:
        return []
    level = sm.level or ""
    co: Counter = Counter()
    for data in datas:
        index = _cooccurrence(data.compiled, level)
        for k in own:
            for o, n in index.get(k, Counter()).items():
                if o not in own:
                    co[o] += n
    out = []
    for key, n in co.most_common():
        if key[:1] in "ABC" and any(g.code.startswith(key) for g in sm.gd_codes):
            continue
        mine = next((k for k in own if (k[:1] in "ABC") == (key[:1] in "ABC")), own[0])
        out.append({"class": _label(key, level), "code": key, "listed_together": n,
                    "why": f"常和{_label(mine, level)}写在同一个职位的专业要求里，但{sm.text}不属于{_label(key, level)}"})
        if len(out) == limit:
            break
    return out


# --------------------------------------------------------------------------- open cases
def _cases(text: str, raw: str, level: str, sm: R.StudentMajor, national: Dict[str, Any],
           guangdong: Dict[str, Any], tables: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The cases no rule settles, each named with whether it applies (True / False / None =
    cannot tell from what the student said)."""
    cases: List[Dict[str, Any]] = []
    if not national.get("found") and not guangdong.get("found") and not national.get("candidates"):
        cases.append({"kind": "unknown_major", "applies": True,
                      "text": (f"“{text}”在全国目录和广东目录里都没有找到，无法按专业类或学科判断；"
                               "请发毕业证上的专业全称，或对照职位表原文向招录机关确认")})
    narrowed = sum(t["narrowed"]["count"] for t in tables)
    cases.append({
        "kind": "narrowing", "applies": bool(narrowed),
        "text": (f"有 {narrowed} 个职位在你的学科（专业）后写了“仅限……”方向，是否符合要看学位证书上的专业（方向）名称"
                 if narrowed else "职位写“仅限某方向”时，只认学位证书上写明的专业（方向）"),
    })
    renamed = None
    if level == "研究生" and sm.decisive and sm.code in MERGED_2022:
        renamed = (f"{MERGED_2022[sm.code]}（{sm.code}）是2022年起由多个工程硕士领域合并而成的专业学位类别，"
                   f"学位证书上写“{MERGED_2022[sm.code]}”，而有的职位表仍写计算机技术、软件工程等旧领域名称，"
                   "能否对应由招录机关认定")
    elif level == "研究生" and text in OLD_ENGINEERING_FIELDS:
        renamed = (f"“{text}”是2022年以前的工程硕士领域名称，现多已并入电子信息、机械等专业学位类别；"
                   "请按学位证书上的名称核对")
    elif national.get("found") and national.get("name") and national["name"] != text and not national.get("direction"):
        renamed = f"你说的“{text}”按目录名称“{national['name']}”查询；报名时以毕业证上的专业全称为准"
    former = [p for p in guangdong.get("places", ()) if p.get("matched_name") and p.get("name")
              and p["matched_name"] != p["name"]]
    if former and renamed is None:
        p = former[0]
        renamed = (f"“{p['matched_name']}”在广东目录中是旧专业名称或所含方向，对应{p['name']}（{p['code']}）；"
                   "广东职位按新名称核对")
    cases.append({"kind": "renamed", "applies": renamed is not None,
                  "text": renamed or "专业改过名或已合并的，按学位证书上的名称和目录的对应关系由招录机关认定"})
    cases.append({"kind": "foreign_degree", "applies": True if _FOREIGN.search(raw) else None,
                  "text": "境外学历学位须经教育部留学服务中心认证，所学专业与国内专业如何对应由招录机关认定，不能按名称自动判断"})
    cases.append({"kind": "self_study", "applies": True if _SELF_STUDY.search(raw) else None,
                  "text": "自考、成人教育等学历能否报考、专业如何认定，以职位要求（如“普通高等院校毕业生”）和招考公告为准"})
    cases.append({"kind": "second_degree", "applies": True if _SECOND.search(raw) else None,
                  "text": "第二学士学位、双学位或辅修专业能否作为报考专业，各地规定不同，需向招录机关确认"})
    return cases


RULE = ("专业以毕业证、学位证上的名称为准，要和职位表的写法对得上：职位写具体专业的，只认这个专业；"
        "写专业类（如“计算机类”）、一级学科或广东的专业大类的，属于其中的专业都可以；"
        "名称不同但“相近”“课程差不多”的不算，拿不准时以招录机关的答复为准。")


# --------------------------------------------------------------------------- target
def _target_answer(target: str, degrees: Sequence[Tuple[str, str, R.StudentMajor]],
                   exam: Optional[str], year: Optional[int], url: Optional[str]) -> Dict[str, Any]:
    from bot.positions import api

    t = _clean(target)
    if re.fullmatch(r"\d{8,20}(?:-\d+)?", t):
        # The loaded tables first (no database round trip); the database names the exam otherwise.
        held = [d for d in _datas(exam, year, url) if t in d.compiled.index_of]
        if len(held) == 1:
            return {"target": target, "kind": "post", **_post_major(held[0], t, degrees)}
        try:
            data = api._locate(t, exam, year, url)
        except api.PositionsError as exc:
            return {"target": target, "kind": "post", "fits": None, "why": str(exc)}
        return {"target": target, "kind": "post", **_post_major(data, t, degrees)}
    results = []
    for text, level, sm in degrees:
        results.append({"major": text, "level": level, **_fits_class(t, level, sm)})
    fits = [r["fits"] for r in results]
    overall = True if any(f is True for f in fits) else (None if any(f is None for f in fits) else False)
    kind = next((r.get("kind") for r in results if r.get("kind")), "unknown")
    return {"target": target, "kind": kind, "fits": overall, "by_degree": results,
            "why": "；".join(r["why"] for r in results)}


def _fits_class(t: str, level: str, sm: R.StudentMajor) -> Dict[str, Any]:
    """A class / discipline / Guangdong code or 大类 against one degree."""
    who = f"{sm.text}（{level}）"
    m = re.fullmatch(r"(\d{2})?([\u4e00-\u9fff]{2,10}类)", t)
    # Guangdong 大类: "11信息电子类" or "信息电子类".
    gid = None
    if m:
        name = m.group(2)
        gid = next((k for k, (n, _) in gd.catalogue().groups.items() if n == name and (not m.group(1) or m.group(1) == k)),
                   None)
    if re.fullmatch(r"[ABC]\d{2,6}", t) or gid:
        code = t if not gid else "G" + gid
        s = gd.match_codes(sm.gd_codes, code) if sm.gd_codes else R.CONFIRM
        where = gd_places_text(sm)
        if s == R.OK:
            return {"kind": "guangdong", "fits": True, "why": f"{who}在广东目录中是{where}，属于{gd.describe(code)}"}
        if s == R.FAIL:
            return {"kind": "guangdong", "fits": False, "why": f"{who}在广东目录中是{where}，不属于{gd.describe(code)}"}
        return {"kind": "guangdong", "fits": None,
                "why": f"{who}在广东目录中{'是' + where if where else '找不到'}，是否属于{gd.describe(code)}要看学位证书"}
    name_or_code = t
    if level == "本科":
        cls = None
        if re.fullmatch(r"\d{4}", name_or_code):
            cls = name_or_code if cat.undergraduate_class_name(name_or_code) else None
        elif name_or_code.endswith("类"):
            cls = cat.class_code_by_name(name_or_code)
        if cls:
            label = f"{cat.undergraduate_class_name(cls)}（{cls}）"
            if not sm.decisive:
                return {"kind": "class", "fits": None, "why": f"{who}不在本科专业目录中，无法确定是否属于{label}"}
            own = f"{cat.undergraduate_class_name(sm.class_code)}（{sm.class_code}）"
            if sm.class_code == cls:
                return {"kind": "class", "fits": True, "why": f"{sm.text}（{sm.code}）属于{label}"}
            return {"kind": "class", "fits": False, "why": f"{sm.text}（{sm.code}）属于{own}，不属于{label}"}
        mj = cat.lookup_code(name_or_code, cat.UNDERGRADUATE) or _match(name_or_code, cat.UNDERGRADUATE)
        if mj is not None and mj.decisive and mj.level == cat.UNDERGRADUATE:
            same = sm.decisive and cat.code_digits(mj.code) == sm.code
            return {"kind": "major", "fits": same,
                    "why": (f"{sm.text}就是{mj.name}（{mj.code}）" if same else
                            f"{sm.text}和{mj.name}（{mj.code}）是不同的专业，职位写{mj.name}时只认这个专业")}
    if level == "研究生":
        g = cat.lookup_code(name_or_code, cat.GRADUATE) if re.fullmatch(r"\d{4}", name_or_code) else \
            _match(name_or_code, cat.GRADUATE)
        if g is not None and g.decisive and g.level == cat.GRADUATE:
            label = f"{g.name}（{g.code}）"
            if sm.decisive:
                own = cat.lookup_code(sm.code, cat.GRADUATE)
                if sm.code == g.code:
                    extra = f"（方向：{sm.direction}）" if sm.direction else ""
                    return {"kind": "discipline", "fits": True, "why": f"{sm.text}{extra}属于{label}"}
                return {"kind": "discipline", "fits": False,
                        "why": f"{sm.text}属于{own.name if own else sm.code}（{sm.code}），不是{label}"}
            if g.code in sm.candidates:
                return {"kind": "discipline", "fits": None, "why": f"{sm.text}可能归在{label}下，要看学位证书"}
            return {"kind": "discipline", "fits": None, "why": f"无法确定{sm.text}所属的一级学科，请对照学位证书"}
        if name_or_code.endswith("类"):
            return {"kind": "class", "fits": None,
                    "why": f"“{name_or_code}”是本科专业类；研究生专业按一级学科（如计算机科学与技术0812）核对"}
    if level == "大专":
        return {"kind": "unknown", "fits": None,
                "why": "高职（专科）专业目录没有随产品提供，只能按广东目录（C 代码）或职位原文核对"}
    return {"kind": "unknown", "fits": None, "why": f"没有在目录中找到“{name_or_code}”，请写专业类、学科或职位代码"}


def gd_places_text(sm: R.StudentMajor) -> str:
    return R.gd_places(sm)


def _post_major(data: store.ExamData, code: str, degrees: Sequence[Tuple[str, str, R.StudentMajor]]) -> Dict[str, Any]:
    cp = data.compiled
    i = cp.index_of[code]
    p = data.posts[i]
    mid = int(cp.major_of_post[i])
    post = {"code": p["code"], "exam": data.exam, "year": data.year, "organ": p.get("organ"), "name": p.get("name")}
    if mid < 0:
        return {"post": post, "fits": True, "why": "这个职位的职位表没有专业栏，不限专业", "by_degree": []}
    req = cp.majors[mid]
    results = []
    for text, level, sm in degrees:
        results.append({"major": text, "level": level, **_against(req, sm, cp)})
    fits = [r["fits"] for r in results]
    overall = True if any(f is True for f in fits) else (None if any(f is None for f in fits) else False)
    return {"post": post, "fits": overall, "wording": zh(req.text), "by_degree": results,
            "why": "；".join(r["why"] for r in results)}


def _against(req: MajorReq, sm: R.StudentMajor, cp: Optional[E.CompiledPosts] = None) -> Dict[str, Any]:
    """One degree against one post's major requirement: fits, how and the line to show."""
    level = sm.level
    wording = zh(req.text_for(level)) if level else zh(req.text)
    if req.unrestricted or (level in req.open_levels):
        return {"fits": True, "how": "open", "wording": wording, "why": f"{level}专业不限"}
    outcome = R.major_outcome(sm, req)
    items = req.items_for(level) if level else None
    how = None
    if outcome.status == R.OK and items:
        statuses = [R.match_item(sm, it) for it in items]
        ok = [it for it, s in zip(items, statuses) if s == R.OK]
        exact = [it for it in ok if _exact(sm, it)]
        it = (exact or ok)[0]
        how = "named" if exact else "by_class"
        label = it.text if it.kind != "gd_group" else gd.describe(it.code)
        why = (f"职位{level}专业写明了{zh(label)}" if exact else
               f"职位{level}专业写的是{zh(label)}，{sm.text}属于其中")
        return {"fits": True, "how": how, "wording": wording, "why": why}
    if outcome.status == R.OK:
        return {"fits": True, "how": "open", "wording": wording, "why": "专业符合要求"}
    if outcome.status == R.FAIL:
        return {"fits": False, "how": None, "wording": wording, "why": zh(outcome.reason) or "专业不符合要求"}
    return {"fits": None, "how": None, "wording": wording, "why": zh(outcome.reason) or "专业需人工确认"}


# --------------------------------------------------------------------------- API
def _student(major: str, level: str, major_code: Optional[str] = None) -> R.StudentMajor:
    return R.student_major(_EDUCATION[level], major, major_code)


def _datas(exam: Optional[str], year: Optional[int], url: Optional[str]) -> List[store.ExamData]:
    from bot.positions import api

    if exam is not None or year is not None:
        name, y = api.resolve_exam(exam, year, url)
        return [store.exam_data(name, y, url)]
    return [store.exam_data(x["exam"], x["year"], url) for x in api.list_exams(url)]


def warm(url: Optional[str] = None) -> None:
    """Loads every imported table and the per-level indexes (call it at start-up so that
    the first student does not wait for them)."""
    from bot.positions.requirements import MAJOR_LEVELS

    for data in _datas(None, None, url):
        for level in MAJOR_LEVELS:
            _cooccurrence(data.compiled, level)


def check_major(major: str, *, level: Optional[str] = None,
                second: Optional[Tuple[str, Optional[str]]] = None, target: Optional[str] = None,
                exam: Optional[str] = None, year: Optional[int] = None, url: Optional[str] = None) -> Dict[str, Any]:
    """Where a major stands: catalogues, posts accepting it in every imported table (or the
    one ``exam``/``year``), nearest classes it is not in, the diploma rule, the open cases;
    ``second`` = (major, level) of another degree (本科 + 硕士); ``target`` = a class,
    discipline, Guangdong code/大类 or post code to answer directly. JSON-serialisable.
    Raises :class:`MajorCheckError` for an empty major or an unknown level, and
    :class:`~bot.positions.api.PositionsError` for an exam that is not imported."""
    raw = str(major or "").strip()
    if not _clean(raw):
        raise MajorCheckError("请告诉我专业名称，比如“软件工程”")
    if len(raw) > 60:
        raise MajorCheckError("专业名称太长了，请只写专业名称")
    specs = [(raw, level)]
    if second:
        if isinstance(second, str):
            second = (second, None)
        specs.append((str(second[0] or "").strip(), second[1] if len(second) > 1 else None))
    datas = _datas(exam, year, url)
    degrees = []
    out_degrees = []
    for raw_text, lvl in specs:
        if not _clean(raw_text):
            raise MajorCheckError("第二个学历的专业名称是空的")
        text = _strip_qualifiers(_clean(raw_text))
        lv, assumed = normalise_level(lvl, text)
        found = _match(text, cat.GRADUATE if lv == "研究生" else cat.UNDERGRADUATE)
        name = found.name if found is not None and found.decisive and lv != "大专" else text
        sm = _student(text, lv)
        degrees.append((text, lv, sm))
        national = _national(sm, text, lv)
        guangdong = _guangdong(sm)
        tables = [_table(d, sm) for d in datas]
        out_degrees.append({
            "major": text, "said": raw_text, "level": lv, "level_assumed": assumed,
            "catalogue_name": name,
            "catalogues": {"national": national, "guangdong": guangdong},
            "tables": tables,
            "nearest_not": _nearest(datas, sm),
            "open_cases": _cases(text, raw_text, lv, sm, national, guangdong, tables),
        })
    levels = [d["level"] for d in out_degrees]
    result: Dict[str, Any] = {
        "major": out_degrees[0]["major"], "level": levels[0], "degrees": out_degrees, "rule": RULE,
        "tables_checked": [{"exam": d.exam, "year": d.year, "posts": d.compiled.size} for d in datas],
    }
    if len(out_degrees) > 1:
        result["two_degrees"] = ("两个学历分别按职位表对应层次的写法核对：本科栏看本科专业，研究生栏看研究生专业；"
                                 "报考时用哪个学历，就以那一栏为准")
    if target:
        result["target"] = _target_answer(target, degrees, exam, year, url)
    result["lines"] = summary_lines(result)
    return result


def summary_lines(result: Mapping[str, Any], limit_tables: int = 4) -> List[str]:
    """A few lines of plain Chinese for a chat reply."""
    lines: List[str] = []
    for d in result["degrees"]:
        nat = d["catalogues"]["national"]
        head = f"{d['level']}专业“{d['major']}”"
        if nat.get("found") and d["level"] == "本科":
            head += f"：全国本科目录 {nat['name']}（{nat['code']}），属于{nat['class']}（{nat['class_code']}）、{nat['category']}门类"
        elif nat.get("found"):
            head += f"：研究生目录 {nat['name']}（{nat['code']}，{nat['kind']}）"
            if nat.get("direction"):
                head += f"，{nat['direction']}是其下的方向"
        elif nat.get("note"):
            head += f"：{nat['note']}"
        else:
            head += "：全国目录中没有找到这个名称"
        g = d["catalogues"]["guangdong"]
        if g["found"]:
            head += "；广东目录 " + "、".join(f"{p['name']}（{p['code']}）" for p in g["places"])
        lines.append(head)
        for t in d["tables"][:limit_tables]:
            lines.append(f"{t['exam']}{t['year']}：写明这个专业的 {t['named']['count']} 个，按专业类（学科）可报 "
                         f"{t['by_class']['count']} 个，不限专业 {t['open']['count']} 个，需确认 "
                         f"{t['to_confirm']['count'] + t['narrowed']['count']} 个")
        if d["nearest_not"]:
            lines.append("注意不属于：" + "、".join(n["class"] for n in d["nearest_not"]))
        for c in d["open_cases"]:
            if c["applies"]:
                lines.append(c["text"])
    if result.get("two_degrees"):
        lines.append(result["two_degrees"])
    if result.get("target"):
        t = result["target"]
        verdict = {True: "符合", False: "不符合", None: "需确认"}[t["fits"]]
        lines.append(f"{t['target']}：{verdict}。{t['why']}")
    lines.append(result["rule"])
    return lines


def explain_post_major(profile: Union[Mapping[str, Any], Any], code: str, exam: Optional[str] = None,
                       year: Optional[int] = None, url: Optional[str] = None) -> Dict[str, Any]:
    """The major line of "为什么这个岗位不行": ``{code, exam, year, fits (True/False/None),
    how (named/by_class/open/None), wording (the post's text for the student's level),
    line}``. A graduate's ``undergrad_major`` is reported too where the post binds it."""
    from bot.positions import api
    from bot.positions.profile import Profile

    p = profile if isinstance(profile, Profile) else Profile.from_dict(profile or {})
    data = api._locate(code, exam, year, url)
    code = str(code).strip()
    cp = data.compiled
    i = cp.index_of[code]
    mid = int(cp.major_of_post[i])
    base = {"code": code, "exam": data.exam, "year": data.year}
    if mid < 0:
        return {**base, "fits": True, "how": "open", "wording": None, "line": "专业：这个职位没有专业要求"}
    req = cp.majors[mid]
    if p.major is None and p.major_code is None:
        return {**base, "fits": None, "how": None, "wording": zh(req.text),
                "line": f"专业：还不知道你的专业，职位要求“{zh(req.text)}”"}
    if p.education is None:
        return {**base, "fits": None, "how": None, "wording": zh(req.text),
                "line": f"专业：要先知道你的学历层次，才能按职位对应的那一栏核对（职位要求：{zh(req.text)}）"}
    sm = R.student_major(p.education, p.major, p.major_code)
    if sm.level is None:
        return {**base, "fits": True, "how": "open", "wording": zh(req.text), "line": "专业：由学历条件决定"}
    a = _against(req, sm, cp)
    verdict = {True: "符合", False: "不符合", None: "需确认"}[a["fits"]]
    out = {**base, **a, "line": f"专业{verdict}：{a['why']}"}
    prior = [c for c in cp.requirements[i].conditions if type(c).__name__ == "PriorMajorReq"]
    if prior:
        o = R.check(p, prior[0])
        out["undergrad_line"] = {R.OK: f"本科专业符合：{prior[0].text}", R.FAIL: zh(o.reason),
                                 R.CONFIRM: zh(o.reason)}[o.status]
    return out
