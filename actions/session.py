"""Conversation sessions: start (reloading the case), restart, help, fallback, goodbye."""

from __future__ import annotations

from typing import Any, Dict, List, Text

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


class ActionFallback(Action):
    """Low confidence: say so honestly, show what works, and after repeated misses offer a human."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        say(dispatcher, "fallback")
        if tracker.active_loop_name:
            return [SlotSet("fallback_count", count)]
        if count > FALLBACKS_BEFORE_HUMAN:
            say(dispatcher, "fallback_human")
            count = 0
        else:
            say(dispatcher, "fallback_hint")
        return [SlotSet("fallback_count", count)] + intro_if_new(dispatcher, tracker)


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
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
