"""Builds the Chinese NLP resources the Rasa pipeline loads, from knowledge/.

* ``var/nlp/jieba/userdict.txt``: jieba user dictionary (majors, education and political
  words, regions, exam names, recruiting organs from the shipped position tables), so the
  tokenizer keeps these words whole.
* ``var/nlp/spacy_zh/``: a spaCy 3.4 pipeline the project makes itself: blank ``zh`` with
  the jieba segmenter and an entity ruler labelling ``major``, ``education``,
  ``political_status``, ``location`` and ``exam``. No pretrained weights are involved.

Both are build outputs (git-ignored) and are rebuilt by ``coach train`` when their
inputs change (a stamp file holds the hash of the inputs).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

from bot import knowledge
from bot.config import ROOT

NLP_DIR = ROOT / "var" / "nlp"
JIEBA_DIR = NLP_DIR / "jieba"
SPACY_DIR = NLP_DIR / "spacy_zh"
STAMP = NLP_DIR / "stamp.json"

ENTITY_LABELS = ("major", "education", "political_status", "location", "exam")

# Inputs whose change means a rebuild.
INPUTS = (
    "bot/nlp.py",
    "bot/positions/majors.py",
    "knowledge/vocabulary.yml",
    "knowledge/regions.yml",
    "knowledge/exams.yml",
    "knowledge/majors",
)


def _hash_inputs() -> str:
    digest = hashlib.sha256()
    for rel in INPUTS:
        path = ROOT / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def vocabulary() -> Dict[str, Set[str]]:
    """Entity label -> surface forms, from knowledge/."""
    from bot.positions.majors import all_major_names

    vocab = knowledge.load_yaml("vocabulary.yml")
    regions = knowledge.load_yaml("regions.yml")
    exams = knowledge.exams()

    locations: Set[str] = set()
    for name, info in regions["provinces"].items():
        locations.add(name)
        locations.update(a for a in info.get("aliases", []) if len(a) >= 2)
        for city in info.get("cities", []):
            locations.add(city)
            if len(city) > 2 and city.endswith(("市", "州")):
                locations.add(city[:-1])
    locations.update(k for k in (regions.get("special") or {}) if k not in ("不限", "都行", "全国"))

    exam_words: Set[str] = {"省考", "联考", "公务员省考"}
    for name, info in exams.items():
        exam_words.add(name)
        exam_words.update(a for a in info.get("aliases", []) if len(a) >= 2 and a not in locations)

    return {
        "major": {m for m in all_major_names() if len(m) >= 2},
        "education": set(vocab["education"]),
        "political_status": set(vocab["political_status"]),
        "location": {l for l in locations if not l.isascii()},
        "exam": {e for e in exam_words if not e.isascii()},
    }


def _organ_names() -> Iterable[str]:
    """Recruiting organs named in the shipped position tables (for the tokenizer)."""
    path = ROOT / "knowledge" / "positions" / "hubei-2026-positions-final.json"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh).get("data", [])
    return {r.get("招录机关", "") for r in rows if 2 <= len(r.get("招录机关", "")) <= 20}


def build_jieba_dictionary(vocab: Dict[str, Set[str]]) -> Path:
    JIEBA_DIR.mkdir(parents=True, exist_ok=True)
    words: Dict[str, str] = {}
    tags = {"major": "nz", "education": "n", "political_status": "n", "location": "ns", "exam": "nz"}
    for label, forms in vocab.items():
        for form in forms:
            words.setdefault(form, tags[label])
    for word in knowledge.load_yaml("vocabulary.yml").get("degree_words", []):
        words.setdefault(word, "n")
    for organ in _organ_names():
        words.setdefault(organ, "nt")
    path = JIEBA_DIR / "userdict.txt"
    with open(path, "w", encoding="utf-8") as fh:
        for word in sorted(words):
            if " " in word or not word.strip():
                continue
            # A high frequency makes jieba prefer the whole word over its pieces; the short
            # education words need more to win over neighbours ("本科|学土木" vs "本|科学").
            freq = 50000 if word in vocab["education"] else 2000
            fh.write(f"{word} {freq} {words[word]}\n")
        # Frequency 0 removes a word: "二十二岁" and "两年" must split into the number and
        # its unit so that the number alone can be an entity (age, experience_years).
        for number in _chinese_numbers(60):
            for unit in ("年", "岁", "周岁", "年多", "年半"):
                fh.write(f"{number}{unit} 0\n")
                for prefix in ("满", "有", "近", "快", "将近", "不到", "超过", "干了", "做了"):
                    fh.write(f"{prefix}{number}{unit} 0\n")
        # Likewise an entity glued to a common neighbour ("法学专业", "本科毕业", "专业本科")
        # must split so that the entity is a token of its own.
        for label in ("major", "education", "exam", "political_status"):
            for form in vocab[label]:
                glued = [form + s for s in _GLUED_SUFFIXES if not form.endswith(s)]
                glued += [p + form for p in _GLUED_PREFIXES]
                for compound in glued:
                    if compound not in words:  # a word of its own, e.g. 本科生
                        fh.write(f"{compound} 0\n")
    return path


_GLUED_SUFFIXES = ("专业", "毕业", "学历", "在读", "考试", "学位", "类", "生", "的")
_GLUED_PREFIXES = ("专业", "我是", "学的", "读的", "是")


def _chinese_numbers(limit: int) -> List[str]:
    digits = "零一二三四五六七八九"
    out = ["两", "半", "几", "十几", "二十几", "三十几"]
    for n in range(1, limit + 1):
        tens, ones = divmod(n, 10)
        if tens == 0:
            out.append(digits[ones])
        else:
            out.append(("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else ""))
    return out


def load_jieba_dictionary() -> None:
    import jieba

    path = JIEBA_DIR / "userdict.txt"
    if path.exists():
        jieba.load_userdict(str(path))


def build_spacy_pipeline(vocab: Dict[str, Set[str]]) -> Path:
    import spacy

    load_jieba_dictionary()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    patterns: List[Dict[str, str]] = []
    seen: Set[Tuple[str, str]] = set()
    # Longer forms first so "硕士研究生" wins over "研究生".
    for label in ENTITY_LABELS:
        for form in sorted(vocab[label], key=len, reverse=True):
            if (label, form) not in seen:
                seen.add((label, form))
                patterns.append({"label": label, "pattern": form})
    ruler.add_patterns(patterns)
    if SPACY_DIR.exists():
        shutil.rmtree(SPACY_DIR)
    nlp.to_disk(SPACY_DIR)
    return SPACY_DIR


def ensure_built(force: bool = False) -> bool:
    """Builds the resources when missing or stale. Returns True if it built them."""
    digest = _hash_inputs()
    if not force and STAMP.exists() and SPACY_DIR.exists() and (JIEBA_DIR / "userdict.txt").exists():
        try:
            if json.loads(STAMP.read_text()).get("hash") == digest:
                return False
        except ValueError:
            pass
    vocab = vocabulary()
    build_jieba_dictionary(vocab)
    build_spacy_pipeline(vocab)
    STAMP.write_text(json.dumps({"hash": digest}))
    return True


def inputs_hash() -> str:
    return _hash_inputs()
