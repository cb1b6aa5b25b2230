"""Follow-ups that keep the thread: "那湖北的呢", "广东呢", "换成国考看看".

The NLU gate turns a short message that names only another exam or region into
``follow_up`` (bot/nlu/gate.py). This action re-runs what was shown last (``last_view``)
for the new target, as a one-off: the student's target exam stays as it is. With nothing
to re-run it asks what to show for that target, with one-tap choices.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import case_profile, say
from actions.eligibility import ActionCheckEligibility, available_exam_buttons, named_exam
from actions.faq import EXAM_TOPICS, answer_topic, topic_button
from rasa_sdk.events import SlotSet


def _exam_choice_buttons(exam: str) -> List[Dict[str, str]]:
    def faq(topic: str, title: str) -> Dict[str, str]:
        return {"title": title, "payload": "/faq" + json.dumps({"topic": topic, "exam_choice": exam}, ensure_ascii=False)}

    return [{"title": f"查{exam}能报的岗位", "payload": f'/check_my_eligibility{{"exam_choice":"{exam}"}}'},
            faq("exam_calendar", f"{exam}的时间安排"), faq("age_limit", f"{exam}的年龄要求")]


class ActionFollowUp(Action):
    def name(self) -> Text:
        return "action_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        profile = case_profile(tracker)
        exam = named_exam(tracker, profile)
        view = tracker.get_slot("last_view") or {}
        kind = view.get("kind")
        if exam is None:
            say(dispatcher, "follow_up_unknown_exam", buttons=available_exam_buttons("查"))
            return []
        if kind in ("eligibility", "no_data", "post"):
            return ActionCheckEligibility().check(dispatcher, tracker, profile, exam)
        if kind == "faq" and view.get("key") in EXAM_TOPICS:
            answer_topic(dispatcher, tracker, view["key"], profile_override={"target_exam": exam})
            return [SlotSet("last_view", {"kind": "faq", "key": view["key"], "exam": exam})]
        if kind == "major_check":
            from actions.major_check import run_major_check

            return run_major_check(dispatcher, tracker, exam=exam)
        say(dispatcher, "follow_up_what", exam=exam, buttons=_exam_choice_buttons(exam))
        return []
