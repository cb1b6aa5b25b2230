"""Service agreement and consent: greeting, recording the decision, asking where needed."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import INTAKE_SLOTS, agency, channel_of, has_consent, offer_consent, say
from bot import cases, privacy


class ActionGreet(Action):
    """First contact introduces the agency and asks for consent; a returning student is
    welcomed back."""

    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if has_consent(tracker):
            say(dispatcher, "welcome_back")
            missing = [s for s in INTAKE_SLOTS if tracker.get_slot(s) is None]
            if missing:
                say(dispatcher, "intake_incomplete")
            say(dispatcher, "menu")
            return []
        return offer_consent(dispatcher, tracker, intro=True)


class ActionRecordConsent(Action):
    """Stores the answer to the consent question (affirm = agree, deny = refuse)."""

    def name(self) -> Text:
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        given = intent == "affirm"
        version = agency()["consent_version"]
        had_case = cases.consent_state(tracker.sender_id) is not None
        cases.record_consent(tracker.sender_id, given, version, channel=channel_of(tracker),
                             agency=agency().get("id"))
        if given:
            say(dispatcher, "consent_given")
            return [SlotSet(privacy.CONSENT_SLOT, privacy.CONSENT_GIVEN), SlotSet("awaiting", None)]
        say(dispatcher, "consent_refused")
        if had_case:
            say(dispatcher, "consent_refused_had_case")
        events: List[EventType] = [SlotSet(privacy.CONSENT_SLOT, privacy.CONSENT_REFUSED),
                                   SlotSet("awaiting", None)]
        # Forget what this conversation holds about the student.
        events += [SlotSet(slot, None) for slot in privacy.PROFILE_SLOTS if tracker.get_slot(slot) is not None]
        return events


class ActionRequireConsent(Action):
    """A flow that needs personal data was asked for without consent."""

    def name(self) -> Text:
        return "action_require_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "consent_needed")
        return offer_consent(dispatcher, tracker, intro=False)
