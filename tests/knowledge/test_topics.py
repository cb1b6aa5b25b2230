"""The knowledge base (issue 10): every topic sourced and dated, reached by wordings the
training data does not contain, answering with its key facts; figures from knowledge/."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot import knowledge, knowledge_base as kb
from tests.conftest import ROOT

CASES_DIR = Path(__file__).parent


def _cases() -> List[Tuple[str, str, List[str]]]:
    out = []
    for path in sorted(CASES_DIR.glob("cases_*.yml")):
        for key, items in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            for item in items:
                out.append((key, item["ask"], list(item["expect"])))
    return out


CASES = _cases()


def _training_texts() -> set:
    from rasa.shared.nlu.training_data.loading import load_data

    texts = set()
    for path in sorted(glob.glob(str(ROOT / "data" / "nlu" / "*.yml"))):
        texts |= {m.get("text") for m in load_data(path).intent_examples}
    return texts


def test_there_are_at_least_sixty_topics_each_sourced_and_dated():
    topics = kb.topics()
    assert len(topics) >= 60
    assert kb.check() == []
    for t in topics.values():
        assert t.facts and all(f.get("source") and f.get("checked") for f in t.facts), t.key


def test_every_topic_has_two_wordings_the_training_data_does_not_contain():
    training = _training_texts()
    by_topic: Dict[str, int] = {}
    for key, ask, _ in CASES:
        assert ask not in training, ask
        by_topic[key] = by_topic.get(key, 0) + 1
    missing = [k for k in kb.topics() if by_topic.get(k, 0) < 2]
    assert missing == []


def test_rasa_responses_are_generated_from_the_topics():
    assert kb.main(["--check"]) == 0


def test_every_topic_has_training_examples():
    from rasa.shared.nlu.training_data.loading import load_data

    keys = set()
    for path in sorted(glob.glob(str(ROOT / "data" / "nlu" / "faq*.yml"))):
        keys |= {m.get_full_intent().split("/", 1)[1] for m in load_data(path).intent_examples
                 if m.get("intent") == "faq"}
    assert keys == set(kb.topics())


@pytest.mark.e2e
@pytest.mark.parametrize("key,ask,expect", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_unseen_wording_gets_the_topic_and_its_key_facts(stack, key, ask, expect):
    parse = stack.parse(ask)
    selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    # Answered with the topic, or — when the assistant is unsure — asked with a one-tap choice
    # whose topic button is this topic (actions/session.py: clarify_choices).
    assert parse["intent"]["name"] in ("faq", "nlu_fallback"), (ask, parse["intent"], parse.get("gate"))
    assert selector.get("intent_response_key") == f"faq/{key}", (ask, selector.get("intent_response_key"))
    if parse["intent"]["name"] == "nlu_fallback":
        from actions.session import OFFER_TOPIC

        assert float(selector.get("confidence") or 0) >= OFFER_TOPIC, (ask, selector)   # the button is offered
    answer = kb.render(key, {}, agency={"name": "启航", "retention_days": 365, "contact": "x"})
    raw = kb.topic(key).answer
    for fact in expect:
        assert fact in answer.text or fact in raw, (key, fact)


def test_figures_come_from_the_data(monkeypatch):
    data = knowledge.exams()
    changed = {**data, "国考": {**data["国考"], "years": {**data["国考"]["years"],
                                                        2026: {**data["国考"]["years"][2026],
                                                               "age": {"min": 18, "max": 39, "max_fresh_postgrad": 44}}}}}
    monkeypatch.setattr(knowledge, "exams", lambda: changed)
    text = kb.render("age_limit", {}).text
    assert "2026年国考：18～39周岁" in text and "44周岁" in text
    cal = [dict(s) for s in changed["国考"]["years"][2026]["calendar"]]
    for stage in cal:
        if stage["stage"] == "written":
            stage["start"] = stage["end"] = "2025-12-07"
    changed["国考"]["years"][2026] = {**changed["国考"]["years"][2026], "calendar": cal}
    assert "笔试 12月7日" in kb.render("exam_calendar", {"target_exam": "国考"}).text


def test_personal_lines_name_the_stored_fact_they_used():
    a = kb.render("age_limit", {"age": 40, "target_exam": "国考", "education": "本科"})
    assert "超过" in a.text and a.used == ["年龄", "报考类型"]
    a = kb.render("party_member_requirement", {"political_status": "共青团员"})
    assert "报不了" in a.text and "政治面貌" in a.used
    a = kb.render("party_member_requirement", {})
    assert a.used == [] and "用到了" not in a.text


def test_answers_carry_their_sources_for_the_transcript():
    meta = kb.render("disqualifications", {}).metadata()["knowledge"]
    assert meta["key"] == "disqualifications"
    assert any("第二十六条" in s["source"] for s in meta["sources"])
    assert all(s.get("checked") for s in meta["sources"])
