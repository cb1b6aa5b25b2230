"""A short Holland-style (RIASEC) vocational-interest questionnaire.

Twelve items (two per type R, I, A, S, E, C) live in ``knowledge/riasec.yml``; each is
answered 喜欢 / 一般 / 不喜欢, scored 2 / 1 / 0.

Scoring (deterministic, see :func:`score`):

* ``scores[t]`` is the raw sum of the answered items of type ``t`` (0–4 with both items);
* ``level[t] = scores[t] / (2 × answered items of t)``: the share of the maximum, so a type
  with one unanswered item stays comparable (types with no answer are left out);
* the **code** is the first three answered types by level, highest first; **ties keep the
  fixed order R, I, A, S, E, C** (Holland's hexagon order) and are reported in
  ``Result.ties``;
* each post family (综合管理类 / 行政执法类 / 专业技术类) gets
  ``100 × Σ w[f][t]·level[t] / Σ w[f][t]`` over the answered types, with the weights
  ``w`` from the YAML file (0–2); ties between families keep the order
  综合管理类, 行政执法类, 专业技术类.

Example (hand-computed in the tests): R 0, I 3, A 2, S 4, E 3, C 3 gives the code ``SIE``
(I, E and C tie at 3 and the fixed order keeps I and E) and the family scores 78 / 57 / 46.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.knowledge import load_yaml

__all__ = ["Item", "Result", "RiasecError", "TYPES", "FAMILIES", "items", "item", "prompt",
           "answer_options", "parse_answer", "score", "describe_code", "type_info", "family_info"]

TYPES: Tuple[str, ...] = ("R", "I", "A", "S", "E", "C")
FAMILIES: Tuple[str, ...] = ("综合管理类", "行政执法类", "专业技术类")
MAX_PER_ITEM = 2


class RiasecError(ValueError):
    """Answers that cannot be scored (the message is meant for the student)."""


@dataclass(frozen=True)
class Item:
    """One questionnaire item: ``id`` such as ``S1``, its type letter and the activity text."""

    id: str
    type: str
    text: str


# --------------------------------------------------------------------------- data
@lru_cache(maxsize=1)
def _data() -> Dict[str, Any]:
    data = load_yaml("riasec.yml")
    order = tuple(data["order"])
    if order != TYPES:
        raise RuntimeError("knowledge/riasec.yml: order must be R, I, A, S, E, C")
    seen = set()
    for it in data["items"]:
        if it["type"] not in TYPES or it["id"] in seen:
            raise RuntimeError(f"knowledge/riasec.yml: bad item {it!r}")
        seen.add(it["id"])
    for t in TYPES:
        w = data["types"][t]["families"]
        if set(w) != set(FAMILIES):
            raise RuntimeError(f"knowledge/riasec.yml: type {t} needs weights for {FAMILIES}")
    return data


def items() -> List[Item]:
    """The questionnaire in the order it is asked."""
    return [Item(str(x["id"]), str(x["type"]), str(x["text"])) for x in _data()["items"]]


def item(item_id: str) -> Item:
    """One item by id (case-insensitive); :class:`RiasecError` when unknown."""
    key = str(item_id).strip().upper()
    for it in items():
        if it.id == key:
            return it
    raise RiasecError(f"没有编号为“{item_id}”的题目")


def prompt(item_id: str) -> str:
    """The question as the assistant asks it: ``第 3/12 题：……你喜欢吗？``."""
    its = items()
    it = item(item_id)
    n = next(i for i, x in enumerate(its, 1) if x.id == it.id)
    return f"第 {n}/{len(its)} 题：{it.text}。你喜欢做这件事吗？"


def answer_options() -> List[Tuple[str, int]]:
    """Button titles and their values, e.g. ``[("喜欢", 2), ("一般", 1), ("不喜欢", 0)]``."""
    return [(str(x["button"]), int(x["value"])) for x in _data()["scale"]]


def type_info(letter: str) -> Dict[str, Any]:
    """``{name, short, meaning, work, families}`` of one type letter."""
    t = str(letter).strip().upper()
    if t not in TYPES:
        raise RiasecError(f"未知的兴趣类型“{letter}”（应为 R、I、A、S、E、C 之一）")
    return dict(_data()["types"][t])


def family_info(family: str) -> Dict[str, Any]:
    if family not in FAMILIES:
        raise RiasecError(f"未知的职位类别“{family}”")
    return dict(_data()["families"][family])


# --------------------------------------------------------------------------- answers
_LIKE = ("喜欢", "很喜欢", "超喜欢", "非常喜欢", "特别喜欢", "挺喜欢", "比较喜欢", "蛮喜欢", "好喜欢", "最喜欢",
         "喜爱", "热爱", "爱", "感兴趣", "有兴趣", "很感兴趣", "非常感兴趣", "喜欢的", "like", "love", "yes")
_NEUTRAL = ("一般", "还行", "无所谓", "还可以", "一般般", "凑合", "马马虎虎", "说不上", "说不好", "中立", "都行",
            "都可以", "还好", "普通", "一般吧", "neutral", "ok", "so-so", "soso")
_DISLIKE = ("不喜欢", "讨厌", "没兴趣", "没有兴趣", "不感兴趣", "很讨厌", "不太喜欢", "不怎么喜欢", "不大喜欢",
            "很不喜欢", "非常不喜欢", "特别不喜欢", "不爱", "反感", "厌烦", "dislike", "no")
_ANSWERS: Dict[str, int] = {**{w: 2 for w in _LIKE}, **{w: 1 for w in _NEUTRAL}, **{w: 0 for w in _DISLIKE}}
_PUNCT = re.compile(r"[\s。，、！？!?,.~～…:：;；\"'“”‘’()（）\[\]【】👍👎😊🙂😐🙁]+")
_PREFIX = re.compile(r"^(我|我觉得|我感觉|感觉|嗯|额|呃|那|那就|还是|选)+")
_SUFFIX = re.compile(r"(吧|啊|呀|哦|喔|呢|了|的|哈|嘛)+$")


def parse_answer(text: Optional[str]) -> Optional[int]:
    """The value (2/1/0) of an answer, or None when it is not a recognisable answer.

    Accepts 喜欢/很喜欢/超喜欢/…, 一般/还行/无所谓/…, 不喜欢/讨厌/没兴趣/…, the button
    titles, and the digits 0–2 (half- or full-width, optionally followed by 分). Empty
    text and anything else (including other numbers) give None."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= MAX_PER_ITEM else None
    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    if not t:
        return None
    for title, value in answer_options():
        if t == title.lower():
            return value
    t = _PUNCT.sub("", t)
    m = re.fullmatch(r"([0-9])分?", t)
    if m:
        v = int(m.group(1))
        return v if v <= MAX_PER_ITEM else None
    if t in _ANSWERS:
        return _ANSWERS[t]
    core = _SUFFIX.sub("", _PREFIX.sub("", t))
    if core and core in _ANSWERS:
        return _ANSWERS[core]
    return None


# --------------------------------------------------------------------------- scoring
@dataclass
class Result:
    """A scored questionnaire.

    ``scores`` raw sums per type (0 for unanswered types), ``answered_per_type`` how many
    items of each type were answered, ``percent`` the level as 0–100 (None: no answer),
    ``ranking`` the answered types best first, ``code`` the first three, ``families``
    0–100 per post family, ``family_ranking`` best first, ``meaning`` and ``suggestion``
    in plain Chinese, ``answered``/``missing``/``missing_items`` the coverage, ``ties``
    and ``notes`` what the student should know about the result's reliability."""

    scores: Dict[str, int]
    answered_per_type: Dict[str, int]
    percent: Dict[str, Optional[int]]
    ranking: List[str]
    code: str
    code_names: List[str]
    meaning: str
    families: Dict[str, int]
    family_ranking: List[str]
    suggestion: str
    answered: int
    missing: int
    missing_items: List[str] = field(default_factory=list)
    ties: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.missing == 0

    @property
    def top_family(self) -> str:
        return self.family_ranking[0]

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready dict (what the dialogue stores in the case)."""
        return {
            "scores": dict(self.scores), "answered_per_type": dict(self.answered_per_type),
            "percent": dict(self.percent), "ranking": list(self.ranking), "code": self.code,
            "code_names": list(self.code_names), "meaning": self.meaning, "families": dict(self.families),
            "family_ranking": list(self.family_ranking), "top_family": self.top_family,
            "suggestion": self.suggestion, "answered": self.answered, "missing": self.missing,
            "missing_items": list(self.missing_items), "ties": list(self.ties), "notes": list(self.notes),
        }

    def summary_text(self) -> str:
        """The result as one chat message."""
        per_type = " · ".join(
            f"{t} {self.scores[t]}" if self.answered_per_type[t] else f"{t} —" for t in TYPES)
        fam = " · ".join(f"{f} {self.families[f]}" for f in self.family_ranking)
        lines = [f"兴趣测评结果：{self.code}（{'、'.join(self.code_names)}）",
                 f"各类型得分（每类满分 {MAX_PER_ITEM * 2}）：{per_type}",
                 self.meaning,
                 f"与三类岗位的契合度（满分 100）：{fam}",
                 self.suggestion]
        lines += self.notes
        return "\n".join(lines)


def _value(item_id: str, raw: Any) -> Optional[int]:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise RiasecError(f"第 {item_id} 题的答案“{raw}”无法识别（应为 喜欢/一般/不喜欢 或 2/1/0）")
    if isinstance(raw, int):
        if 0 <= raw <= MAX_PER_ITEM:
            return raw
        raise RiasecError(f"第 {item_id} 题的分数应为 0、1 或 2，收到 {raw}")
    if isinstance(raw, float) and raw.is_integer() and 0 <= raw <= MAX_PER_ITEM:
        return int(raw)
    if isinstance(raw, str):
        if not raw.strip():
            return None
        v = parse_answer(raw)
        if v is None:
            raise RiasecError(f"第 {item_id} 题的答案“{raw}”无法识别（应为 喜欢/一般/不喜欢 或 2/1/0）")
        return v
    raise RiasecError(f"第 {item_id} 题的答案“{raw}”无法识别（应为 喜欢/一般/不喜欢 或 2/1/0）")


def _pct(x: Fraction) -> int:
    """Percent rounded half up (so 78.125 -> 78 and 62.5 -> 63, independent of float rounding)."""
    v = x * 100
    return int(v + Fraction(1, 2))


def score(answers: Mapping[str, Any]) -> Result:
    """Scores the answers ``{item_id: 0|1|2}`` (strings such as "喜欢" are parsed too;
    ``None`` or "" count as unanswered).

    Partial answers are scored on what is there and the result says how many items are
    missing. Raises :class:`RiasecError` for no answer at all, an unknown item id or a
    value that is not an answer."""
    if answers is None or not isinstance(answers, Mapping):
        raise RiasecError("答案格式不正确：应为 {题号: 分数} 的形式，例如 {\"R1\": 2}")
    known = {it.id: it for it in items()}
    values: Dict[str, int] = {}
    for key, raw in answers.items():
        k = str(key).strip().upper()
        if k not in known:
            raise RiasecError(f"没有编号为“{key}”的题目")
        v = _value(k, raw)
        if v is not None:
            values[k] = v
    if not values:
        raise RiasecError("还没有回答任何一道题，无法给出兴趣测评结果。请先完成测评题目。")

    data = _data()
    scores = {t: 0 for t in TYPES}
    answered_t = {t: 0 for t in TYPES}
    for k, v in values.items():
        t = known[k].type
        scores[t] += v
        answered_t[t] += 1
    level: Dict[str, Optional[Fraction]] = {
        t: (Fraction(scores[t], MAX_PER_ITEM * answered_t[t]) if answered_t[t] else None) for t in TYPES}
    answered_types = [t for t in TYPES if level[t] is not None]
    # Stable sort on the level keeps the fixed R-I-A-S-E-C order among equals.
    ranking = sorted(answered_types, key=lambda t: -level[t])  # type: ignore[operator]
    code_types = ranking[:3]
    code = "".join(code_types)

    ties: List[str] = []
    if len(ranking) > 3:
        boundary = level[ranking[2]]
        tied = [t for t in ranking if level[t] == boundary]
        if any(t not in code_types for t in tied):
            kept = [t for t in tied if t in code_types]
            ties.append(f"{'、'.join(_name(t) for t in tied)}得分相同，按 R-I-A-S-E-C 的固定次序，"
                        f"代码里取了{'、'.join(_name(t) for t in kept)}。")

    fam_scores: Dict[str, Fraction] = {}
    for f in FAMILIES:
        num, den = Fraction(0), 0
        for t in answered_types:
            w = int(data["types"][t]["families"][f])
            num += w * level[t]  # type: ignore[operator]
            den += w
        fam_scores[f] = num / den if den else Fraction(0)
    family_ranking = sorted(FAMILIES, key=lambda f: -fam_scores[f])
    families = {f: _pct(fam_scores[f]) for f in FAMILIES}

    total = len(known)
    missing_items = [i for i in known if i not in values]
    notes: List[str] = []
    if missing_items:
        notes.append(f"还有 {len(missing_items)} 道题没有回答（共 {total} 题），结果只根据已答的 "
                     f"{len(values)} 道题计算，补答后会更准确。")
    levels = [level[t] for t in answered_types]
    if all(v == 0 for v in levels):
        notes.append("你对这些活动都不太感兴趣，代码只是按固定次序排出来的，参考价值有限；"
                     "建议和生涯顾问聊聊，从过往经历里找找让你有成就感的事。")
    elif max(levels) - min(levels) <= Fraction(1, 4) and len(answered_types) >= 4:  # type: ignore[operator]
        notes.append("各类兴趣的得分很接近，说明你的兴趣比较广泛，代码的前后顺序只作参考。")

    meaning = _meaning(code_types)
    suggestion = _suggestion(family_ranking, families, all(v == 0 for v in levels))
    return Result(
        scores=scores, answered_per_type=answered_t,
        percent={t: (_pct(level[t]) if level[t] is not None else None) for t in TYPES},
        ranking=ranking, code=code, code_names=[_name(t) for t in code_types], meaning=meaning,
        families=families, family_ranking=family_ranking, suggestion=suggestion,
        answered=len(values), missing=len(missing_items), missing_items=missing_items, ties=ties,
        notes=ties + notes,
    )


def _name(t: str) -> str:
    return str(_data()["types"][t]["name"])


def describe_code(code: str) -> str:
    """Plain-Chinese meaning of a code such as ``SEC`` (for a stored code without answers)."""
    letters = [c for c in str(code or "").strip().upper() if c in TYPES]
    if not letters:
        raise RiasecError(f"兴趣代码“{code}”无法识别（应由 R、I、A、S、E、C 组成）")
    return _meaning(letters[:3])


def _meaning(code_types: List[str]) -> str:
    info = _data()["types"]
    first = code_types[0]
    parts = [f"你的兴趣代码是 {''.join(code_types)}。最突出的是{info[first]['name']}（{info[first]['short']}）："
             f"{info[first]['meaning']}。"]
    rest = code_types[1:]
    if rest:
        desc = "；".join(f"{info[t]['name']}（{info[t]['short']}）：{info[t]['meaning']}" for t in rest)
        parts.append(f"其次是{desc}。")
    parts.append(f"放到公务员岗位上，你可能更容易在{info[first]['work']}中找到成就感。")
    return "".join(parts)


def _suggestion(ranking: List[str], families: Dict[str, int], flat_zero: bool) -> str:
    if flat_zero:
        return ("从这次测评看不出明显偏好，职位类别可以先按专业和报考条件来筛，"
                "再结合实习或访谈中的真实感受慢慢确定。")
    f1, f2 = ranking[0], ranking[1]
    out = [f"从兴趣看，你和{f1}最契合（{families[f1]} 分），这类岗位主要做{_data()['families'][f1]['what']}。"]
    caveat = {
        "专业技术类": "不过专业技术类岗位大多限定对口专业，先对照职位表确认自己的专业能不能报。",
        "行政执法类": "执法岗位常要下现场、轮值班，部分还有体能测评，报考前想清楚自己能否适应。",
        "综合管理类": "它的岗位数量最多、对专业的限制较少，但报考的人也最集中，选岗时要多看竞争比。",
    }[f1]
    out.append(caveat)
    if families[f1] - families[f2] < 8:
        out.append(f"另外，{f2}（{families[f2]} 分）和它相差不多，两类可以一起考虑。")
    return "".join(out)
