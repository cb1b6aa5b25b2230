"""Moving around between flows: skip a question, pause a form, resume it, switch flows."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import FORM_LABELS, INTAKE_SLOTS, say
from bot import normalize


class ActionSkipQuestion(Action):
    def name(self) -> Text:
        return "action_skip_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if not slot or not tracker.active_loop_name:
            say(dispatcher, "nothing_to_skip")
            return []
        say(dispatcher, "skip_ok")
        return [SlotSet(slot, normalize.SKIPPED)]


class ActionPauseForm(Action):
    def name(self) -> Text:
        return "action_pause_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        form = tracker.active_loop_name
        say(dispatcher, "form_paused")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("paused_form", form)]


class ActionSwitchFlow(Action):
    """The student asked for another flow in the middle of a form: pause the form."""

    def name(self) -> Text:
        return "action_switch_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        form = tracker.active_loop_name
        say(dispatcher, "switched", paused=FORM_LABELS.get(form, "刚才的问题"))
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("paused_form", form)]


class ActionResumeForm(Action):
    """Continues the paused form (the intake when none is paused). Intake questions skipped
    earlier are asked again; the rule then runs the form."""

    def name(self) -> Text:
        return "action_resume_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        form = tracker.get_slot("paused_form") or "intake_form"
        events: List[EventType] = [SlotSet("paused_form", None)]
        if form == "intake_form":
            events += [SlotSet(s, None) for s in INTAKE_SLOTS if tracker.get_slot(s) == normalize.SKIPPED]
            if any(tracker.get_slot(s) in (None, normalize.SKIPPED) for s in INTAKE_SLOTS):
                say(dispatcher, "resumed")
        else:
            say(dispatcher, "resumed")
        return events
