"""Real-text corpora: the fixed train/held-out split and a loader.

The JSONL files under ``corpora/questions`` and ``corpora/ood`` keep every line. Whether a
line is used for training or kept back for measurement is decided by its text alone, so the
split never changes when lines are added, removed or reordered:

    held-out  <=>  int(sha1(text.strip()).hexdigest()[:8], 16) % 10 < threshold

with threshold 5 for questions (50 %) and 4 for out-of-domain text (40 %). Never change it:
held-out lines must stay unseen by every model the project trains.

Usage::

    from corpora.split import load, split_of
    train_questions = load("questions", "train")
    heldout_ood = load("ood", "heldout")
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

CORPORA_DIR = Path(__file__).resolve().parent
ROOT = CORPORA_DIR.parent

KINDS = ("questions", "ood")
SPLITS = ("train", "heldout")
# Lines whose hash bucket (0-9) is below the threshold are held out.
HELDOUT_BUCKETS = {"questions": 5, "ood": 4}

FIELDS = ("text", "label", "also", "source", "url", "near")

# Knowledge topic keys per group (issue 10, /tmp/topics.md as agreed on 2026-11-29). Used for
# a group until knowledge/topics/<group>.yml exists; from then on that file's keys count.
FAQ_KEYS: Dict[str, List[str]] = {
    "basics": [
        "what_is_civil_servant", "eligibility_conditions", "disqualifications", "age_limit",
        "fresh_graduate", "grassroots_experience", "rights", "duties", "career_paths",
        "pros_cons", "exam_content", "shenlun_marking", "professional_ethics",
        "performance_appraisal", "avoidance", "privacy",
    ],
    "exams": [
        "national_exam", "provincial_exam", "national_vs_provincial", "xuandiao", "linxuan",
        "shiye_danwei", "military_civilian", "exam_calendar", "exams_per_year",
        "registration_process", "exam_fee", "exam_day_schedule", "xingce_modules",
        "shenlun_question_types", "score_combination", "pass_line", "interview_forms",
        "professional_test", "adjustment", "backfill",
    ],
    "preparing": [
        "prep_duration", "working_vs_fulltime", "weekly_rhythm", "xingce_changshi",
        "xingce_yanyu", "xingce_shuliang", "xingce_panduan", "xingce_ziliao",
        "shenlun_preparation", "interview_preparation", "training_courses", "past_papers",
    ],
    "eligibility": [
        "major_matching", "three_unlimited", "foreign_degree", "part_time_degree",
        "self_taught_adult", "junior_college", "highest_vs_first_degree", "double_degree",
        "employer_consent", "service_projects", "veteran_students", "fresh_graduate_cases",
        "party_member_requirement", "hukou_gender_limits", "police_posts", "post_categories",
    ],
    "after_written": [
        "qualification_review", "medical_exam", "political_review", "publicity", "probation",
        "minimum_service",
    ],
    "job": [
        "salary_structure", "allowances", "year_end_bonus", "insurance_annuity",
        "rank_promotion", "daily_work", "overtime_reality", "resignation_dismissal", "transfer",
    ],
}

# Intents a real question may be labelled with besides the ones in domain.yml.
EXTRA_INTENTS = ("check_major", "make_study_plan")
OTHER_PREFIX = "other:"
OOD_LABEL = "out_of_scope"


def bucket(text: str) -> int:
    """The hash bucket 0-9 of a line's text (surrounding whitespace ignored)."""
    digest = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 10


def split_of(text: str, kind: str) -> str:
    """``"heldout"`` or ``"train"`` for a line of the given kind (``questions`` or ``ood``)."""
    if kind not in HELDOUT_BUCKETS:
        raise ValueError(f"unknown corpus kind {kind!r}; expected one of {KINDS}")
    return "heldout" if bucket(text) < HELDOUT_BUCKETS[kind] else "train"


def files(kind: str) -> List[Path]:
    """The JSONL files of one kind, in a stable order."""
    if kind not in KINDS:
        raise ValueError(f"unknown corpus kind {kind!r}; expected one of {KINDS}")
    return sorted((CORPORA_DIR / kind).glob("*.jsonl"))


def _read(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path.name}:{number}: a line must be a JSON object")
            row["_file"] = path.name
            row["_line"] = number
            yield row


def load(kind: str, split: Optional[str] = None) -> List[dict]:
    """All lines of a kind, or only the ``train`` / ``heldout`` part.

    Each row is the JSON object of its line plus ``_file``, ``_line`` and ``split``.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS} or None")
    rows: List[dict] = []
    for path in files(kind):
        for row in _read(path):
            row["split"] = split_of(str(row.get("text", "")), kind)
            if split is None or row["split"] == split:
                rows.append(row)
    return rows


def faq_keys(root: Path = ROOT) -> Set[str]:
    """Valid knowledge keys: from knowledge/topics/<group>.yml where the file exists, else the
    agreed list above for that group."""
    import yaml

    keys: Set[str] = set()
    covered: Set[str] = set()
    for path in sorted((root / "knowledge" / "topics").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        group = str(data.get("group") or path.stem)
        covered.add(group)
        for topic in data.get("topics") or []:
            if isinstance(topic, dict) and topic.get("key"):
                keys.add(str(topic["key"]))
    for group, group_keys in FAQ_KEYS.items():
        if group not in covered:
            keys.update(group_keys)
    return keys


def intents(root: Path = ROOT) -> Set[str]:
    """Intents of domain.yml plus the extra intents real questions may ask for."""
    import yaml

    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    names: Set[str] = set(EXTRA_INTENTS)
    for item in domain.get("intents") or []:
        names.add(next(iter(item)) if isinstance(item, dict) else str(item))
    names.discard("faq")
    return names


def label_ok(label: str, keys: Set[str], intent_names: Set[str]) -> bool:
    """Whether a question label is ``faq/<key>``, an intent, or ``other:<description>``."""
    if label.startswith("faq/"):
        return label[4:] in keys
    if label.startswith(OTHER_PREFIX):
        description = label[len(OTHER_PREFIX):]
        return bool(description.strip()) and description.isascii()
    return label in intent_names and label != OOD_LABEL
