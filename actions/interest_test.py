"""Interest test: a 12-item Holland-style (RIASEC) questionnaire answered with buttons,
scored deterministically (bot/coaching/riasec.py), with what it suggests among the three
post families."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import has_consent, register_ask_actions, say
from actions.forms import FreeTextFormValidation
from bot import cases, normalize
from bot.coaching import riasec

ITEM_SLOTS = tuple(f"it_{item.id}" for item in riasec.items())


def _buttons() -> List[Dict[str, str]]:
    return [{"title": title, "payload": title} for title, _ in riasec.answer_options()]


def _asker(slot: str) -> Callable[[CollectingDispatcher, Tracker], None]:
    item_id = slot[3:]

    def ask(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        if item_id == riasec.items()[0].id and tracker.get_slot(slot) is None \
                and all(tracker.get_slot(s) is None for s in ITEM_SLOTS):
            say(dispatcher, "interest_intro")
        dispatcher.utter_message(text=riasec.prompt(item_id), buttons=_buttons())

    return ask


register_ask_actions(globals(), ITEM_SLOTS, render_fn=_asker)


def answers_of(tracker: Tracker) -> Dict[str, int]:
    out = {}
    for slot in ITEM_SLOTS:
        value = tracker.get_slot(slot)
        if isinstance(value, int) and not isinstance(value, bool):
            out[slot[3:]] = value
    return out


class ValidateInterestTestForm(FreeTextFormValidation):
    form_slots = ITEM_SLOTS
    own_intent = "start_interest_test"

    def name(self) -> Text:
        return "validate_interest_test_form"

    def check(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        score = riasec.parse_answer(value)
        if score is None:
            dispatcher.utter_message(text="点下面的“喜欢 / 一般 / 不喜欢”就行，不想答这题可以说“跳过”。",
                                     buttons=_buttons())
        return score

    def saved(self, answers: Dict[str, Any], tracker: Tracker) -> None:
        if has_consent(tracker):
            valid = {slot[3:]: v for slot, v in answers.items() if isinstance(v, int)}
            if valid:
                cases.save_interest_test(tracker.sender_id, valid)


class ActionInterestResult(Action):
    def name(self) -> Text:
        return "action_interest_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        answers = answers_of(tracker)
        reset = [SlotSet(slot, None) for slot in ITEM_SLOTS]
        try:
            result = riasec.score(answers)
        except riasec.RiasecError as exc:
            dispatcher.utter_message(text=f"{exc} 想重新测的话说“做兴趣测评”。")
            return reset
        dispatcher.utter_message(text=result.summary_text())
        if has_consent(tracker):
            cases.save_interest_test(tracker.sender_id, answers, scores=result.to_dict(), code=result.code,
                                     completed=True)
            say(dispatcher, "interest_saved")
        return reset
