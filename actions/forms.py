"""Validation shared by the forms whose answers are the student's own words."""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import is_free_text_interruption
from bot import normalize

MAX_ANSWER = 1000


class FreeTextFormValidation(FormValidationAction):
    """A form that takes the answer to its question from the text of the next message.

    Subclasses set ``form_slots`` and may override ``check(slot, value, ...)`` (return the
    value to keep, or None after telling the student what is wrong) and ``saved`` (called
    with the valid answers of the turn, to write them to the case at once)."""

    form_slots: Sequence[str] = ()
    # The intent that starts this form: saying it again inside the form is an answer.
    own_intent: Optional[str] = None

    @abc.abstractmethod
    def name(self) -> Text:  # abstract, so that the action server skips this base class
        """``validate_<form name>``."""

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return list(self.form_slots)

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if slot not in self.form_slots or tracker.slots_to_validate().get(slot) is not None:
            return self.prefill(tracker)
        text = (tracker.latest_message.get("text") or "").strip()
        if not text or is_free_text_interruption(tracker, self.own_intent):
            return []
        return [SlotSet(slot, text)]

    def prefill(self, tracker: Tracker) -> List[EventType]:
        """Answers found in the message that started the form (none by default)."""
        return []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        valid: Dict[str, Any] = {}
        out: Dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot not in self.form_slots:
                continue
            if value == normalize.SKIPPED:
                out[slot] = value
                valid[slot] = value
                continue
            checked = self.check(slot, value, dispatcher, tracker)
            out[slot] = checked
            if checked is not None:
                valid[slot] = checked
        if valid:
            self.saved(valid, tracker)
        return [SlotSet(k, v) for k, v in out.items()]

    def check(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        text = normalize.clean_text(value, MAX_ANSWER)
        if not text:
            dispatcher.utter_message(text="这条好像是空的，再说一次好吗？不想答可以说“跳过”。")
            return None
        return text

    def saved(self, answers: Dict[str, Any], tracker: Tracker) -> None:
        pass
