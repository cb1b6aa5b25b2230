"""Read-only access to the curated facts in knowledge/ (YAML and JSON files)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bot.config import ROOT

KNOWLEDGE = ROOT / "knowledge"


@lru_cache(maxsize=None)
def load_yaml(name: str) -> Any:
    with open(KNOWLEDGE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=None)
def load_json(name: str) -> Any:
    with open(KNOWLEDGE / name, encoding="utf-8") as fh:
        return json.load(fh)


def exams() -> Dict[str, Dict[str, Any]]:
    return load_yaml("exams.yml")["exams"]


def canonical_exam(text: Optional[str]) -> Optional[str]:
    """Maps what a student wrote ("河南", "国家公务员考试") to an exam name in exams.yml."""
    if not text:
        return None
    t = str(text).strip().lower()
    best: Optional[str] = None
    best_len = 0
    for name, info in exams().items():
        for alias in [name, *info.get("aliases", [])]:
            a = str(alias).lower()
            if a and a in t and len(a) > best_len:
                best, best_len = name, len(a)
    return best


def exam_year(exam: str, year: Optional[int]) -> Optional[Dict[str, Any]]:
    """The per-year data of an exam, or None when the year is not known."""
    info = exams().get(exam)
    if not info:
        return None
    years = info.get("years") or {}
    if year is None:
        return None
    return years.get(int(year))


def known_years(exam: str) -> List[int]:
    info = exams().get(exam) or {}
    return sorted(int(y) for y in (info.get("years") or {}))


def age_limits(exam: str, year: Optional[int]) -> Optional[Dict[str, Any]]:
    """``{"min", "max", "max_fresh_postgrad"?, "known_safe_max"?, "source"}`` or None."""
    data = exam_year(exam, year)
    if not data or "age" not in data:
        return None
    out = dict(data["age"])
    out["source"] = data.get("source", "")
    out["exam"] = exam
    out["year"] = int(year)
    return out
