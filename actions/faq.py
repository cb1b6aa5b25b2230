"""Knowledge questions: the answer of a topic of knowledge/topics, for this student.

``action_answer_question`` answers the topic the NLU selected (``response_selector.faq``),
or the one a button names (``/faq{"topic": "age_limit", "detail": "more"}``). A message
with two questions gets both answers (or one and a button for the other). The answer
uses the stored facts it depends on (with consent) and says which; its sources go with
the message into the transcript, where counselors see them. Facts the student stated
about themself inside the question are offered for the profile afterwards.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import agency, case_profile, has_consent, intro_if_new
from bot import knowledge_base, knowledge_edits

logger = logging.getLogger(__name__)

# A second question of the same message is answered when its topic is this sure, and
# offered as a button when it is at least the lower figure.
SECOND_ANSWER = 0.5
SECOND_OFFER = 0.25
# When the selector's runner-up is at least this share of the answered topic's confidence, it
# is offered as a button: close pairs (待遇 vs 加班, 优缺点 vs 日常工作) are where the answer is
# most often the neighbour. Chosen by 5-fold CV on the training part of the real questions
# (`python -m bench.nlu_bench train-cv`): offered for ~23 % of them, right topic answered
# or one tap away 0.938 against 0.892 answered.
RUNNER_UP_RATIO = 0.5
# Topics whose answer depends on the exam (a follow-up "那湖北的呢" re-renders them).
EXAM_TOPICS = {"age_limit", "exam_calendar", "exam_day_schedule", "prep_duration", "provincial_exam",
               "exams_per_year", "national_vs_provincial", "exam_content", "pass_line", "exam_fee"}


def topic_button(key: str, title: Optional[str] = None, detail: bool = False) -> Dict[str, str]:
    t = knowledge_base.topic(key)
    payload = {"topic": key, **({"detail": "more"} if detail else {})}
    label = "想了解更多" if detail else (title or (t.title if t else key))
    return {"title": label, "payload": "/faq" + json.dumps(payload, ensure_ascii=False)}


def runner_up(selector: Dict[str, Any]) -> Optional[str]:
    """The topic to offer beside the answered one when the selector nearly chose it (or None)."""
    ranking = [r for r in selector.get("ranking") or [] if r.get("intent_response_key")]
    if len(ranking) < 2:
        return None
    first, second = ranking[0], ranking[1]
    if float(second.get("confidence") or 0) >= RUNNER_UP_RATIO * float(first.get("confidence") or 0) > 0:
        return str(second["intent_response_key"])
    return None


def requested_topics(tracker: Tracker) -> Tuple[List[str], bool, List[str]]:
    """(topics to answer, detail requested, topics to offer as buttons)."""
    message = tracker.latest_message or {}
    entities = {e.get("entity"): e.get("value") for e in message.get("entities") or []}
    if entities.get("topic"):
        return [str(entities["topic"])], entities.get("detail") == "more", []
    selector = (message.get("response_selector") or {}).get("faq") or {}
    key = ((selector.get("response") or {}).get("intent_response_key")) or ""
    keys = [key] if key else []
    offer: List[str] = []
    for q in selector.get("questions") or []:
        k = q.get("key")
        if not k or k in keys:
            continue
        if q.get("confidence", 0) >= SECOND_ANSWER and len(keys) < 2:
            keys.append(k)
        elif q.get("confidence", 0) >= SECOND_OFFER:
            offer.append(k)
    if not offer and len(keys) == 1:
        close = runner_up(selector)
        if close and knowledge_base.bare_key(close) != knowledge_base.bare_key(keys[0]):
            offer.append(close)
    return keys, False, offer[:1]


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, *, detail: bool = False,
                 profile_override: Optional[Dict[str, Any]] = None, buttons_extra: Optional[List[Dict]] = None
                 ) -> Optional[knowledge_base.Answer]:
    """Sends one topic's answer; returns it (None for an unknown key)."""
    topic = knowledge_base.topic(key)
    if topic is None:
        return None
    profile = case_profile(tracker) if has_consent(tracker) else {}
    if profile_override:
        profile.update(profile_override)
    a = agency()
    override = None
    try:
        override = knowledge_edits.current(str(a.get("id", "default")), topic.key)
    except Exception:  # the default text is always there; a database hiccup must not cost the answer
        logger.warning("knowledge overrides unavailable; answering with the default text")
    answer = knowledge_base.render(topic.key, profile, agency=a, override=override, detail=detail)
    buttons = [topic_button(topic.key, detail=True)] if answer.more else []
    buttons += list(buttons_extra or [])
    dispatcher.utter_message(text=answer.text, buttons=buttons, **answer.metadata())
    return answer


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        from actions.intake import offer_pending_facts

        keys, detail, offer = requested_topics(tracker)
        choice = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                       if e.get("entity") == "exam_choice" and e.get("value")), None)
        override = {"target_exam": str(choice)} if choice else None
        answered = []
        for i, key in enumerate(keys):
            extra = [topic_button(k) for k in offer] if i == len(keys) - 1 else []
            if answer_topic(dispatcher, tracker, key, detail=detail, buttons_extra=extra, profile_override=override):
                answered.append(knowledge_base.bare_key(key))
        if not answered:
            from actions.session import ActionFallback

            return await ActionFallback().run(dispatcher, tracker, domain)
        events: List[EventType] = [SlotSet("last_view", {"kind": "faq", "key": answered[-1]})]
        events += offer_pending_facts(dispatcher, tracker)
        return events + intro_if_new(dispatcher, tracker)
