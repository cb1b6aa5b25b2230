"""Major catalogues and the major matcher.

Two catalogues ship in ``knowledge/majors/``:

* ``undergraduate-majors-2026.json`` - the 2026 undergraduate catalogue (普通高等学校本科专业目录):
  883 majors, each with a 6-digit code that may carry a ``T`` (特设) and/or ``K`` (国家控制)
  suffix, its class (专业类, the first four digits, e.g. ``0203 金融学类``) and its
  category (学科门类, the first two digits, e.g. ``02 经济学``);
* ``graduate-disciplines-2022.json`` - the 2022 graduate catalogue (研究生教育学科专业目录):
  first-level academic disciplines (一级学科, e.g. ``0202 应用经济学``) and professional
  degree categories (专业学位类别, e.g. ``0251 金融``), grouped by category.

:func:`match_major` maps what a student writes ("学计算机的", "金融学专业", "法律硕士")
to one catalogue entry; :func:`all_major_names` feeds the tokenizer dictionary.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

from bot.knowledge import load_json, load_yaml

UNDERGRADUATE = "undergraduate"
GRADUATE = "graduate"
LEVELS = (UNDERGRADUATE, GRADUATE)

UG_FILE = "majors/undergraduate-majors-2026.json"
GRAD_FILE = "majors/graduate-disciplines-2022.json"
ALIAS_FILE = "majors/aliases.yml"


@dataclass(frozen=True)
class MajorMatch:
    """One catalogue entry matched from free text.

    ``class_name``/``class_code`` are the undergraduate class (专业类, e.g. 金融学类/0203);
    for a graduate entry they are the discipline itself. ``category``/``category_code`` are
    the 学科门类 (e.g. 经济学/02). ``confidence`` says how the text was matched:
    ``exact`` (catalogue name or code), ``alias`` (curated short form such as 计算机),
    ``partial`` (a catalogue name found inside a longer sentence) or ``fuzzy`` (close
    spelling). Eligibility decisions only rely on ``exact`` and ``alias`` matches.
    """

    name: str
    code: str
    level: str
    class_name: str
    class_code: str
    category: str
    category_code: str
    professional: bool = False
    confidence: str = "exact"
    text: str = ""

    @property
    def decisive(self) -> bool:
        return self.confidence in ("exact", "alias")

    def to_dict(self) -> Dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Entry:
    name: str
    code: str
    level: str
    class_name: str
    class_code: str
    category: str
    category_code: str
    professional: bool


def code_digits(code: str) -> str:
    """The numeric part of a catalogue code: ``020301K`` -> ``020301``."""
    return re.sub(r"[^0-9]", "", code or "")


@lru_cache(maxsize=1)
def _catalogue() -> Tuple[Dict[str, _Entry], Dict[str, _Entry], Dict[str, _Entry], Dict[str, str]]:
    """(undergraduate by name, graduate by name, any entry by code, class code -> class name)."""
    ug: Dict[str, _Entry] = {}
    by_code: Dict[str, _Entry] = {}
    classes: Dict[str, str] = {}
    for row in load_json(UG_FILE):
        digits = code_digits(row["code"])
        entry = _Entry(
            name=row["name"], code=row["code"], level=UNDERGRADUATE,
            class_name=row["className"], class_code=digits[:4],
            category=row["categoryName"], category_code=digits[:2], professional=False,
        )
        ug[row["name"]] = entry
        by_code[row["code"]] = entry
        by_code.setdefault(digits, entry)
        classes[digits[:4]] = row["className"]
    grad: Dict[str, _Entry] = {}
    data = load_json(GRAD_FILE)
    for cat in data["categories"]:
        for item in cat["items"]:
            entry = _Entry(
                name=item["name"], code=item["code"], level=GRADUATE,
                class_name=item["name"], class_code=item["code"],
                category=cat["name"], category_code=cat["code"],
                professional=item.get("type") == "professional",
            )
            # A name used twice (临床医学 1002 academic / 1051 professional) keeps the
            # academic discipline as the name's meaning; the code lookup finds both.
            grad.setdefault(item["name"], entry)
            by_code["G" + item["code"]] = entry
    return ug, grad, by_code, classes


@lru_cache(maxsize=1)
def _aliases() -> Dict[str, Dict[str, str]]:
    raw = load_yaml(ALIAS_FILE) or {}
    return {level: {str(k): str(v) for k, v in (raw.get(level) or {}).items()} for level in LEVELS}


@lru_cache(maxsize=1)
def _graduate_categories() -> Dict[str, str]:
    return {c["code"]: c["name"] for c in load_json(GRAD_FILE)["categories"]}


def category_name(code: str) -> Optional[str]:
    """学科门类 name for a two-digit code (``02`` -> ``经济学``)."""
    return _graduate_categories().get(code)


def undergraduate_class_name(code: str) -> Optional[str]:
    """专业类 name for a four-digit undergraduate class code (``0203`` -> ``金融学类``)."""
    return _catalogue()[3].get(code)


def _to_match(entry: _Entry, confidence: str, text: str) -> MajorMatch:
    return MajorMatch(
        name=entry.name, code=entry.code, level=entry.level, class_name=entry.class_name,
        class_code=entry.class_code, category=entry.category, category_code=entry.category_code,
        professional=entry.professional, confidence=confidence, text=text,
    )


def lookup_code(code: str, level: Optional[str] = None) -> Optional[MajorMatch]:
    """Catalogue entry by code: 6 digits (+T/K) undergraduate, 4 digits graduate."""
    _, _, by_code, _ = _catalogue()
    code = (code or "").strip().upper()
    if not re.fullmatch(r"\d{4,7}[TK]{0,2}", code):
        return None
    digits = code_digits(code)
    if len(digits) == 4 and level != UNDERGRADUATE:
        entry = by_code.get("G" + digits)
        return _to_match(entry, "exact", code) if entry else None
    if len(digits) >= 6 and level != GRADUATE:
        entry = by_code.get(code) or by_code.get(digits)
        return _to_match(entry, "exact", code) if entry else None
    return None


_GRAD_HINT = re.compile(r"(硕士|研究生|博士|专硕|学硕|法律[（(])")
_UG_HINT = re.compile(r"(本科|学士)")
_PUNCT = re.compile(r"[\s,，.。!！?？;；:：'\"“”‘’、/\\|~～·…\-—_]+")
_PREFIX = re.compile(
    r"^(?:我(?:是|的|本科|大学|研究生|硕士)*|本人|目前|现在|之前|大学|本科|研究生|硕士|博士)*"
    r"(?:学的是|读的是|念的是|学的|读的|念的|专业是|专业为|主修|学|读|念|是)?"
)
_SUFFIX = re.compile(r"(?:专业|方向|系|学院|毕业|的学生|学生|的|出身|背景|相关)+$")
_HINTS = re.compile(r"(?:^(?:本科|研究生|硕士|博士))|(?:(?:硕士研究生|博士研究生|研究生|硕士|博士|专硕|学硕|本科|学士)$)")


def _normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip()
    return _PUNCT.sub("", t)


def _variants(t: str) -> List[str]:
    """The text and successively stripped forms, most literal first."""
    out: List[str] = []

    def add(x: str) -> None:
        if x and x not in out:
            out.append(x)

    add(t)
    no_paren = re.sub(r"[（(][^）)]*[）)]", "", t)
    add(no_paren)
    for base in list(out):
        stripped = base
        for _ in range(3):
            s = _SUFFIX.sub("", _PREFIX.sub("", stripped, count=1))
            if s == stripped:
                break
            stripped = s
            add(stripped)
        add(_HINTS.sub("", stripped))
    return out


def _find(variants: Iterable[str], level: str) -> Optional[Tuple[_Entry, str]]:
    ug, grad, _, _ = _catalogue()
    table = ug if level == UNDERGRADUATE else grad
    aliases = _aliases()[level]
    for v in variants:
        if v in table:
            return table[v], "exact"
    for v in variants:
        target = aliases.get(v) or aliases.get(v.upper())
        if target and target in table:
            return table[target], "alias"
    for v in variants:
        # 会计 -> 会计学, 计算机 -> 计算机科学与技术 when the alias list lacks it.
        for suffix in ("学",):
            if v + suffix in table and len(v) >= 2:
                return table[v + suffix], "alias"
    return None


def match_major(text: str, level: Optional[str] = None) -> Optional[MajorMatch]:
    """Maps a student's words for their major to a catalogue entry, or ``None``.

    ``level`` (``"undergraduate"``/``"graduate"``) picks the catalogue to prefer; without
    it the text decides ("法律硕士" -> graduate 法律 0351, "法学" -> undergraduate 法学
    030101K). Codes are accepted too ("020301K", "0812"). Nonsense returns ``None``.
    """
    if level not in (None, *LEVELS):
        raise ValueError(f"level must be 'undergraduate' or 'graduate', not {level!r}")
    t = _normalise(text)
    if not t or len(t) > 60:
        return None
    raw = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    by_code = lookup_code(t, level)
    if by_code:
        return by_code
    if level is None:
        if _GRAD_HINT.search(t) and not _UG_HINT.search(t):
            order = [GRADUATE, UNDERGRADUATE]
        else:
            order = [UNDERGRADUATE, GRADUATE]
    else:
        order = [level, GRADUATE if level == UNDERGRADUATE else UNDERGRADUATE]
    variants = _variants(t)
    if raw != t:
        variants.insert(0, raw)  # catalogue names with punctuation (政治学、经济学与哲学)
    upper = [v.upper() for v in variants if v.isascii()]
    for lv in order:
        found = _find(variants + upper, lv)
        if found:
            return _to_match(found[0], found[1], str(text))
    # A catalogue name inside a longer sentence ("我是软件工程专业大三的"): the longest wins.
    ug, grad, _, _ = _catalogue()
    for lv in order:
        table = ug if lv == UNDERGRADUATE else grad
        best = max((n for n in table if len(n) >= 2 and n in t), key=len, default=None)
        if best and len(best) >= 3:
            return _to_match(table[best], "partial", str(text))
    # Close spelling ("汉语言文字" -> 汉语言文学); only for longer words, to keep nonsense out.
    core = variants[-1] if variants else t
    if len(core) >= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", core):
        for lv in order:
            table = ug if lv == UNDERGRADUATE else grad
            close = difflib.get_close_matches(core, list(table), n=1, cutoff=0.8)
            if close:
                return _to_match(table[close[0]], "fuzzy", str(text))
    return None


@lru_cache(maxsize=1)
def _class_by_name() -> Dict[str, str]:
    return {name: code for code, name in _catalogue()[3].items()}


def class_code_by_name(name: str) -> Optional[str]:
    """``计算机类`` -> ``0809`` (undergraduate classes)."""
    return _class_by_name().get(_normalise(name))


@lru_cache(maxsize=8192)
def resolve_list_name(name: str, level: str) -> Optional[Tuple[str, str]]:
    """(kind, code) of a name written without its code in a post's major list, where the
    catalogue of that level names it exactly: ``中国语言文学类`` -> (class, 0501),
    本科 ``汉语言文学`` -> (major, 050101), 研究生 ``法律`` -> (discipline, 0351).
    ``level`` is 本科 / 研究生 / 不分层次 (only class names are unambiguous there)."""
    ug, grad, _, _ = _catalogue()
    n = _normalise(name)
    if n.endswith("类") and level != "研究生":
        code = _class_by_name().get(n)
        return ("class", code) if code else None
    if level == "本科" and n in ug:
        return "major", ug[n].code
    if level == "研究生" and n in grad:
        return "discipline", grad[n].code
    return None


def all_major_names(include_aliases: bool = True) -> List[str]:
    """Every catalogue name (both levels) and, by default, the curated short forms."""
    ug, grad, _, classes = _catalogue()
    names = set(ug) | set(grad) | set(classes.values())
    if include_aliases:
        for table in _aliases().values():
            names.update(k for k in table if not k.isascii())
    return sorted(names)


def undergraduate_majors() -> List[MajorMatch]:
    return [_to_match(e, "exact", e.name) for e in _catalogue()[0].values()]


def graduate_disciplines() -> List[MajorMatch]:
    _, _, by_code, _ = _catalogue()
    return [_to_match(e, "exact", e.name) for k, e in by_code.items() if k.startswith("G")]
