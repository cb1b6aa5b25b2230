"""Conversation sessions: start (reloading the case), restart, help, fallback, goodbye."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    SLOT_TO_FIELD,
    agency,
    agency_slot_events,
    has_consent,
    intro_if_new,
    offer_consent,
    say,
)
from bot import cases, privacy

FALLBACKS_BEFORE_HUMAN = 2


def case_slot_events(sender_id: str) -> List[EventType]:
    """Slots that a returning student's case restores: consent and the profile.

    Consent counts only for the current agreement version; after the agency changes its
    agreement, the student is asked again (the stored profile stays until they answer).
    """
    state = cases.consent_state(sender_id)
    version = agency()["consent_version"]
    if not state:
        return []
    if not state["given"]:
        return [SlotSet(privacy.CONSENT_SLOT, privacy.CONSENT_REFUSED)]
    if state["text_version"] != version:
        return []
    events: List[EventType] = [SlotSet(privacy.CONSENT_SLOT, privacy.CONSENT_GIVEN)]
    profile = cases.load_profile(sender_id)
    for slot, field in SLOT_TO_FIELD.items():
        if profile.get(field) is not None:
            events.append(SlotSet(slot, profile[field]))
    return events


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        events += agency_slot_events()
        events += case_slot_events(tracker.sender_id)
        events.append(ActionExecuted("action_listen"))
        return events


class ActionRestart(Action):
    """Overrides Rasa's restart: the dialogue starts over, the case (if any) stays."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "restarted")
        events: List[EventType] = [Restarted()]
        events += agency_slot_events()
        restored = case_slot_events(tracker.sender_id)
        events += restored
        consent = next((e["value"] for e in restored if e.get("name") == privacy.CONSENT_SLOT), None)
        if consent == privacy.CONSENT_GIVEN:
            say(dispatcher, "restarted_kept")
            say(dispatcher, "menu")
        else:
            events += offer_consent(dispatcher, tracker, intro=True)
        return events


class ActionHelp(Action):
    def name(self) -> Text:
        return "action_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "menu")
        return intro_if_new(dispatcher, tracker)


# What a request does, as the one-tap choice "你是想……吗？" says it.
INTENT_LABELS = {
    "log_candidate_interview": "记录一次和过来人的交流", "complain": "投诉或反映问题", "give_feedback": "给这次服务打分",
    "request_counselor": "转给真人顾问", "shortlist_post": "把岗位加入备选", "delete_my_data": "删除你在这里的资料",
    "restart": "重新开始对话", "get_report": "生成你的规划报告", "check_my_eligibility": "查你能报的岗位",
    "start_interest_test": "做兴趣测评", "start_self_analysis": "做自我分析", "ask_exam_strategy": "了解报考三步法",
    "compare_ratios": "比较备选岗位的竞争比", "show_progress": "看你的备考进度", "show_my_data": "看你在这里的资料",
    "ask_post_info": "看某个岗位的详情", "remove_post": "把岗位移出备选",
}
# Below these, a guess is not worth offering.
OFFER_INTENT = 0.15
OFFER_TOPIC = 0.1
# An out-of-scope answer offers the knowledge topic when the selector is at least this sure.
OUT_OF_SCOPE_TOPIC = 0.3


def clarify_choices(tracker: Tracker) -> List[Dict[str, str]]:
    """One-tap choices for a message the assistant is unsure about: the request the
    classifier guessed (when the wording did not ask for it) and the knowledge topic the
    question seems to be about."""
    from actions.faq import topic_button

    message = tracker.latest_message or {}
    gate = message.get("gate") or {}
    candidates: List[str] = []
    if gate.get("demoted") in INTENT_LABELS:
        candidates.append(gate["demoted"])
    for item in message.get("intent_ranking") or []:
        name = item.get("name")
        if len(candidates) >= 1 or name not in INTENT_LABELS or item.get("confidence", 0) < OFFER_INTENT:
            continue
        candidates.append(name)
    buttons = [{"title": f"是，{INTENT_LABELS[c]}", "payload": f"/{c}"} for c in candidates]
    selector = ((message.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    key = selector.get("intent_response_key")
    if key and float(selector.get("confidence") or 0) >= OFFER_TOPIC:
        buttons.append({**topic_button(key.split("/", 1)[-1]), "title": "我是想问：" + topic_button(key.split("/", 1)[-1])["title"]})
    return buttons


class ActionFallback(Action):
    """Low confidence: say so honestly, offer one-tap guesses ("你是想……吗？"), show what
    works, and after repeated misses offer a human."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        choices = clarify_choices(tracker)
        if choices:
            gate = (tracker.latest_message or {}).get("gate") or {}
            guess = INTENT_LABELS.get(gate.get("demoted") or "", "")
            say(dispatcher, "clarify_request" if guess else "clarify", buttons=choices, guess=guess)
            return [SlotSet("fallback_count", count)]
        say(dispatcher, "fallback")
        if tracker.active_loop_name:
            return [SlotSet("fallback_count", count)]
        if count > FALLBACKS_BEFORE_HUMAN:
            say(dispatcher, "fallback_human")
            count = 0
        else:
            say(dispatcher, "fallback_hint")
        return [SlotSet("fallback_count", count)] + intro_if_new(dispatcher, tracker)


def out_of_scope_topic(parse_data: Dict[str, Any]) -> Optional[str]:
    """The knowledge topic an out-of-scope answer offers as a button, or None. A civil-service
    question worded unlike anything trained on can be turned away; when the selector still saw
    a topic, it is one tap away (the text still says no)."""
    response = ((parse_data.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    key = response.get("intent_response_key")
    return key if key and float(response.get("confidence") or 0) >= OUT_OF_SCOPE_TOPIC else None


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        from actions.faq import topic_button

        key = out_of_scope_topic(tracker.latest_message or {})
        if key:
            button = topic_button(key)
            say(dispatcher, "out_of_scope_topic", buttons=[{**button, "title": "我是想问：" + button["title"]}],
                topic=button["title"])
        else:
            say(dispatcher, "out_of_scope")
        return intro_if_new(dispatcher, tracker)


class ActionGoodbye(Action):
    def name(self) -> Text:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if has_consent(tracker):
            dispatcher.utter_message(response="utter_goodbye")
        else:
            say(dispatcher, "goodbye_no_consent")
        return []
