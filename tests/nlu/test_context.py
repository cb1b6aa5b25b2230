"""The context rules of bot/nlu/context.py applied to a parse before the policies see it."""

from __future__ import annotations

from types import SimpleNamespace

from bot.nlu import context


def _tracker(form=None, last_view=None):
    return SimpleNamespace(active_loop_name=form, get_slot=lambda name: last_view if name == "last_view" else None)


def _parse(text, intent, confidence=0.9, entities=None):
    return {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": entities or []}


def test_a_payload_inside_a_form_keeps_its_intent():
    # Telegram's /privacy sends this payload; mid-intake it must stay a knowledge request.
    parsed = context.in_context(_parse('/faq{"topic":"privacy"}', "faq", 1.0), _tracker("profile_form"))
    assert parsed["intent"]["name"] == "faq"


def test_a_knowledge_guess_for_a_bare_answer_inside_a_form_is_the_answer():
    parsed = context.in_context(_parse("国考", "faq", 0.7), _tracker("profile_form"))
    assert parsed["intent"]["name"] == "inform"
    assert parsed["gate"]["action"] == "answer_in_form"


def test_a_question_inside_a_form_stays_a_question():
    parsed = context.in_context(_parse("国考报名费多少钱？", "faq", 0.7), _tracker("profile_form"))
    assert parsed["intent"]["name"] == "faq"


def test_a_bare_fact_outside_a_form_is_offered_not_written():
    ents = [{"entity": "major", "value": "法学", "start": 0, "end": 2}]
    parsed = context.in_context(_parse("法学", "inform", 0.9, ents), _tracker())
    assert parsed["entities"][0]["role"] == "offered"
    ents = [{"entity": "major", "value": "法学", "start": 2, "end": 4}]
    parsed = context.in_context(_parse("我是法学的", "inform", 0.9, ents), _tracker())
    assert not parsed["entities"][0].get("role")
