"""What the conversation changes in how a message is read: typed button titles, and
answers inside a form.

Typed button titles behave like the button.

Students often type what a button says instead of tapping it ("看湖北省考2026"), or cannot
tap at all (a channel without buttons, a copy-paste). Read as free text, such a message can
mean something else: with an exam name in it, it once changed the target exam instead of
running the check the button offered. When a message is (almost exactly) the title of a
button the assistant has just shown, it is parsed as that button's payload; the text the
student typed stays in the conversation.

Inside a form, the NLU gate's caution does not apply to the form's own request: "5分"
in the satisfaction form is an answer even though, out of context, it is not asking to
give feedback (``in_form``). Right after the study plan was shown (or a check-in asked),
"下周出差" or "完成了八成" is about the plan, though out of context it could be anything
(``about_the_plan``).

Both are pure (events in, result out); ``bot/rasa_patches.py`` calls them from Rasa's
message processor, which is the one place that sees both the message and the
conversation before the NLU result is used.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from bot.textnorm import fold

_NOISE = re.compile(r"[\s，,。.!！?？~～、:：;；\"'“”‘’()（）\[\]【】<>《》]+|(吧|吗|呀|啊|哦|嗯|好的|好|的|了|一下|下)$")


def _norm(text: str) -> str:
    t = fold(text or "").strip()
    previous = None
    while previous != t:
        previous = t
        t = _NOISE.sub("", t)
    return t


def offered_buttons(events: Iterable[Any]) -> List[Dict[str, Any]]:
    """Buttons of the bot messages since the student's last message (newest last)."""
    buttons: List[Dict[str, Any]] = []
    for event in reversed(list(events)):
        name = event.get("event") if isinstance(event, dict) else getattr(event, "type_name", None)
        if name == "user":
            break
        if name == "bot":
            data = event.get("data") if isinstance(event, dict) else getattr(event, "data", None)
            found = (data or {}).get("buttons") or []
            buttons = [b for b in found if isinstance(b, dict)] + buttons
    return buttons


def typed_payload(text: str, events: Iterable[Any]) -> Optional[str]:
    """The payload of the button whose title the student typed, or None."""
    if not text or text.startswith("/"):
        return None
    typed = _norm(text)
    if not typed:
        return None
    for button in offered_buttons(events):
        title, payload = button.get("title"), button.get("payload")
        if not title or not isinstance(payload, str) or not payload.startswith("/"):
            continue
        if _norm(str(title)) == typed:
            return payload
    return None


# The request each form answers: inside the form, a message the gate demoted from it is an answer.
FORM_INTENTS = {"feedback_form": "give_feedback", "interview_form": "log_candidate_interview",
                "complaint_form": "complain"}


def in_form(parse_data: Dict[str, Any], active_form: Optional[str]) -> Dict[str, Any]:
    """Inside a form: the form's own intent that the gate demoted is restored (see
    FORM_INTENTS), and a knowledge topic guessed for a message that is not phrased as a
    question ("常识3 言语4 数量1", "国考") is an answer to the form's question."""
    from bot.nlu.speech_act import is_question

    gate = parse_data.get("gate") or {}
    intent = (parse_data.get("intent") or {}).get("name")
    if active_form == "intake_form" and intent == "inform":
        _own_facts_in_the_intake(parse_data)
    if intent == "faq" and not is_question(parse_data.get("text") or ""):
        confidence = float((parse_data.get("intent") or {}).get("confidence") or 0.0)
        parse_data["intent"] = {"name": "inform", "confidence": confidence}
        ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != "inform"]
        parse_data["intent_ranking"] = [{"name": "inform", "confidence": confidence}] + ranking
        parse_data["gate"] = {**gate, "action": "answer_in_form", "was": "faq"}
        return parse_data
    own = FORM_INTENTS.get(active_form or "")
    if not own or gate.get("demoted") != own:
        return parse_data
    confidence = float(gate.get("confidence") or 0.0)
    parse_data["intent"] = {"name": own, "confidence": confidence}
    ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != own]
    parse_data["intent_ranking"] = [{"name": own, "confidence": confidence}] + ranking
    parse_data["gate"] = {**gate, "action": "answer_in_form"}
    return parse_data


def _own_facts_in_the_intake(parse_data: Dict[str, Any]) -> None:
    """The intake asks the student about themself: a list of facts that is not a question and
    names no one else and no "如果" ("本科，法学，24岁，去年毕业，没有基层经历，想考湖北省考") answers
    it, although the gate, which does not know a form is asking, marked facts stated without
    "我" as only mentioned."""
    from bot.nlu.speech_act import _HYPOTHETICAL, _OTHERS, MENTIONED, PARAMETER, is_question

    text = parse_data.get("text") or ""
    if is_question(text) or _HYPOTHETICAL.search(text) or _OTHERS.search(text):
        return
    changed = False
    for e in parse_data.get("entities") or []:
        if e.get("entity") in _PROFILE and e.get("role") in (MENTIONED, PARAMETER):
            del e["role"]
            changed = True
    if changed:
        parse_data["gate"] = {**(parse_data.get("gate") or {}), "action": "own_facts_in_the_intake"}


# Intents that stay what they are even right after the plan was shown.
_CLEAR_REQUESTS = {"make_study_plan", "adjust_plan", "plan_checkin", "faq", "check_my_eligibility", "check_major",
                   "request_counselor", "complain", "delete_my_data", "show_my_data", "restart", "stop", "goodbye",
                   "greet", "thank", "help", "undo", "get_report", "give_feedback"}


def about_the_plan(parse_data: Dict[str, Any], last_view: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """After the plan or a check-in question: an adjustment or a progress report in words."""
    kind = (last_view or {}).get("kind")
    if kind not in ("study_plan", "checkin_question"):
        return parse_data
    intent = (parse_data.get("intent") or {}).get("name")
    confidence = float((parse_data.get("intent") or {}).get("confidence") or 0.0)
    if intent in _CLEAR_REQUESTS and confidence >= 0.6:
        return parse_data
    from bot.coaching import planner

    text = parse_data.get("text") or ""
    if kind == "checkin_question" and planner.parse_progress(text, 10.0) is not None:
        target = "plan_checkin"
    elif planner.parse_adjustment(text) is not None:
        target = "adjust_plan"
    else:
        return parse_data
    ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != target]
    parse_data["intent"] = {"name": target, "confidence": 1.0}
    parse_data["intent_ranking"] = [{"name": target, "confidence": 1.0}] + ranking
    parse_data["entities"] = [e for e in parse_data.get("entities") or [] if e.get("entity") not in
                              ("age", "education", "major", "political_status", "grad_year", "experience_years",
                               "location", "exam")]
    parse_data["gate"] = {**(parse_data.get("gate") or {}), "action": "about_the_plan", "was": intent}
    return parse_data


_PROFILE = ("age", "education", "major", "political_status", "grad_year", "experience_years", "location", "exam")


def bare_facts_outside_a_form(parse_data: Dict[str, Any]) -> Dict[str, Any]:
    """Out of a form, a fact given without saying it is the student's own ("法学", "27岁") is
    not written at once: it is offered with one tap (role ``offered``). Inside a form the same
    words answer the form's question; "我是法学的" / "不对，我是硕士" are recorded as said."""
    from bot.nlu.speech_act import _FIRST_PERSON, OFFERED

    if (parse_data.get("intent") or {}).get("name") != "inform":
        return parse_data
    text = parse_data.get("text") or ""
    if text.startswith("/") or _FIRST_PERSON.search(text):
        return parse_data
    entities = parse_data.get("entities") or []
    changed = False
    for e in entities:
        if e.get("entity") in _PROFILE and not e.get("role"):
            e["role"] = OFFERED
            changed = True
    if changed:
        parse_data["gate"] = {**(parse_data.get("gate") or {}), "action": "offer_bare_facts"}
    return parse_data


def in_context(parse_data: Dict[str, Any], tracker: Any) -> Dict[str, Any]:
    """All context rules, in order (``tracker``: Rasa's DialogueStateTracker). A payload (a
    button, a Telegram command) says exactly what it means and is never reinterpreted."""
    if str(parse_data.get("text") or "").startswith("/"):
        return parse_data
    if tracker.active_loop_name:
        return in_form(parse_data, tracker.active_loop_name)
    parse_data = about_the_plan(parse_data, tracker.get_slot("last_view"))
    return bare_facts_outside_a_form(parse_data)
