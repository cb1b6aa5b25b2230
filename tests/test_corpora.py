"""The real-text corpora (corpora/): schema, labels, duplicates, sources and the fixed split."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from corpora import split as corpora_split
from corpora.split import FIELDS, load, split_of

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "corpora" / "README.md"


@pytest.fixture(scope="module")
def questions():
    return load("questions")


@pytest.fixture(scope="module")
def ood():
    return load("ood")


def _where(row: dict) -> str:
    return f"{row['_file']}:{row['_line']}"


@pytest.mark.parametrize("kind", ["questions", "ood"])
def test_every_line_has_the_schema(kind):
    rows = load(kind)
    assert rows, f"corpora/{kind} has no lines"
    bad = []
    for row in rows:
        fields = {k for k in row if not k.startswith("_") and k != "split"}
        if fields != set(FIELDS):
            bad.append(f"{_where(row)}: fields {sorted(fields)}")
            continue
        text = row["text"]
        if not isinstance(text, str) or not text or text != text.strip() or len(text) > 400:
            bad.append(f"{_where(row)}: text must be a non-empty stripped string of at most 400 chars")
        if "\n" in text or "\ufeff" in text:
            bad.append(f"{_where(row)}: text contains a newline or BOM")
        if not isinstance(row["label"], str) or not row["label"]:
            bad.append(f"{_where(row)}: empty label")
        if not isinstance(row["also"], list) or not all(isinstance(a, str) for a in row["also"]):
            bad.append(f"{_where(row)}: also must be a list of strings")
        elif row["label"] in row["also"] or len(set(row["also"])) != len(row["also"]):
            bad.append(f"{_where(row)}: also repeats a label")
        for key in ("source", "url"):
            if not isinstance(row[key], str) or not row[key].strip():
                bad.append(f"{_where(row)}: empty {key}")
        if not isinstance(row["near"], bool):
            bad.append(f"{_where(row)}: near must be true or false")
    assert not bad, "\n".join(bad[:30])


def test_question_labels_are_known_keys_intents_or_other(questions):
    keys = corpora_split.faq_keys()
    intents = corpora_split.intents()
    bad = []
    for row in questions:
        for label in [row["label"], *row["also"]]:
            if not corpora_split.label_ok(label, keys, intents):
                bad.append(f"{_where(row)}: {label!r}")
        if row["near"]:
            bad.append(f"{_where(row)}: an in-domain question cannot be near out-of-domain")
    assert not bad, "unknown labels:\n" + "\n".join(bad[:30])


def test_label_checker_rejects_what_it_should():
    keys = {"age_limit"}
    intents = {"check_my_eligibility", "out_of_scope"}
    assert corpora_split.label_ok("faq/age_limit", keys, intents)
    assert corpora_split.label_ok("check_my_eligibility", keys, intents)
    assert corpora_split.label_ok("other:career choice", keys, intents)
    assert not corpora_split.label_ok("faq/no_such_topic", keys, intents)
    assert not corpora_split.label_ok("age_limit", keys, intents)
    assert not corpora_split.label_ok("out_of_scope", keys, intents)
    assert not corpora_split.label_ok("other:", keys, intents)
    assert not corpora_split.label_ok("other:职业选择", keys, intents)


def test_faq_keys_follow_the_topic_files(tmp_path):
    (tmp_path / "knowledge" / "topics").mkdir(parents=True)
    (tmp_path / "knowledge" / "topics" / "job.yml").write_text(
        "group: job\ntitle: 工作\ntopics:\n  - key: salary_structure\n  - key: new_job_key\n",
        encoding="utf-8",
    )
    keys = corpora_split.faq_keys(tmp_path)
    assert {"salary_structure", "new_job_key"} <= keys
    assert "overtime_reality" not in keys  # the job group now comes from its file only
    assert "national_exam" in keys  # groups without a file keep the agreed list


def test_intents_come_from_the_domain(tmp_path):
    (tmp_path / "domain.yml").write_text("intents:\n  - greet\n  - faq\n  - complain\n", encoding="utf-8")
    assert corpora_split.intents(tmp_path) == {"greet", "complain", "check_major", "make_study_plan"}
    real = corpora_split.intents()
    assert {"check_my_eligibility", "ask_exam_strategy", "complain", "request_counselor"} <= real


def test_ood_lines_are_out_of_scope(ood):
    bad = [_where(r) for r in ood if r["label"] != "out_of_scope" or r["also"]]
    assert not bad, bad[:20]


# Words that put a text on the civil-service path: none may appear in the out-of-domain set.
CIVIL_SERVICE = re.compile("公务员|国考|省考|考公|选调|遴选|事业单位|事业编|考编|公考|行测|申论|军队文职|政审|体制内")


def test_ood_holds_no_civil_service_text(ood):
    hits = [f"{_where(r)}: {r['text']}" for r in ood if CIVIL_SERVICE.search(r["text"])]
    assert not hits, "\n".join(hits[:20])


@pytest.mark.parametrize("kind", ["questions", "ood"])
def test_no_duplicates_within_a_kind(kind):
    counts = Counter(r["text"].strip() for r in load(kind))
    dupes = [t for t, n in counts.items() if n > 1]
    assert not dupes, dupes[:20]


def test_no_text_is_both_question_and_ood(questions, ood):
    both = {r["text"].strip() for r in questions} & {r["text"].strip() for r in ood}
    assert not both, sorted(both)[:20]


def test_every_source_is_described_in_the_readme(questions, ood):
    readme = README.read_text(encoding="utf-8")

    def listed(source: str) -> bool:
        # the full source, or its corpus name before a parenthesised detail, in backticks
        return f"`{source}`" in readme or f"`{source.split(' (')[0]}`" in readme

    missing = sorted({r["source"] for r in questions + ood if not listed(r["source"])})
    assert not missing, f"sources not listed (in backticks) in corpora/README.md: {missing}"


# The shared SMP2019 negatives live in corpora/ood too (added by the lead); the collected
# corpora must stand on their own beside them.
# The lead's files (shared negatives, CrossWOZ) are counted apart from the collected ones.
LEADS_FILES = ("smp2019_ecdt.jsonl", "crosswoz_val.jsonl")


def test_ood_comes_from_several_corpora(ood):
    collected = [r for r in ood if r["_file"] not in LEADS_FILES]
    assert len({r["source"] for r in collected}) >= 3
    assert 2000 <= len(collected) <= 7000
    assert sum(r["near"] for r in collected) >= 200


def test_split_rule_is_fixed():
    # Expected values computed once from the rule in the brief; they must never change.
    for text in ["国考和省考有什么区别", "宁波到杭州的汽车", "  公务员工资  "]:
        bucket = int(hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:8], 16) % 10
        assert split_of(text, "questions") == ("heldout" if bucket < 5 else "train")
        assert split_of(text, "ood") == ("heldout" if bucket < 4 else "train")
    assert split_of("国考和省考有什么区别", "questions") == split_of(" 国考和省考有什么区别\n", "questions")
    with pytest.raises(ValueError):
        split_of("x", "faq")
    with pytest.raises(ValueError):
        load("questions", "test")


def test_split_parts_add_up_and_are_balanced(questions, ood):
    for kind, rows, share in (("questions", questions, 0.5), ("ood", ood, 0.4)):
        train = load(kind, "train")
        heldout = load(kind, "heldout")
        assert len(train) + len(heldout) == len(rows)
        assert {r["text"] for r in train}.isdisjoint({r["text"] for r in heldout})
        assert abs(len(heldout) / len(rows) - share) < 0.06, (kind, len(heldout), len(rows))


def test_enough_held_out_questions():
    heldout = load("questions", "heldout")
    assert len(heldout) >= 150
    in_scope = [r for r in heldout if not r["label"].startswith("other:")]
    assert len(in_scope) >= 150
