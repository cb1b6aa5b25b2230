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


def _ents(text, *pairs):
    return [{"entity": kind, "value": value, "start": text.index(value), "end": text.index(value) + len(value),
             "role": role} for kind, value, role in pairs]


def test_a_list_of_facts_answers_the_intake_although_it_never_says_wo():
    text = "本科，法学，24岁，去年毕业，党员，没有基层经历，想考湖北省考"
    ents = _ents(text, ("education", "本科", "mentioned"), ("major", "法学", "mentioned"),
                 ("exam", "湖北省考", "parameter"))
    parsed = context.in_context(_parse(text, "inform", 0.9, ents), _tracker("intake_form"))
    assert [e.get("role") for e in parsed["entities"]] == [None, None, None]
    # A question, someone else's facts or a hypothetical keep their roles, even in the intake.
    for other in ("本科法学能考湖北省考吗", "我表弟本科法学，想考湖北省考", "如果本科读法学，想考湖北省考"):
        ents = _ents(other, ("education", "本科", "mentioned"), ("major", "法学", "mentioned"))
        parsed = context.in_context(_parse(other, "inform", 0.9, ents), _tracker("intake_form"))
        assert [e.get("role") for e in parsed["entities"]] == ["mentioned", "mentioned"], other
