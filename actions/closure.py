"""Closure: satisfaction feedback, complaints, asking for a human counselor. All three work
at any point, also in the middle of another form (see data/rules/interruptions.yml)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import agency, has_consent, offer_consent, register_ask_actions, say
from actions.forms import FreeTextFormValidation
from bot import cases, normalize

LOW_SATISFACTION = 2
# Words that only announce a complaint ("我要投诉") and carry no detail of their own.
_ANNOUNCE = re.compile(r"我?(要|想)?(投诉|反馈问题|举报|吐槽|提意见|差评|维权)(一下|你们)?[!！。.]*")


def _hours() -> Any:
    return agency().get("counselor_reply_hours", 24)


def parse_score(text: Any) -> Optional[int]:
    t = normalize.clean(text)
    m = re.search(r"(?<!\d)([1-5])\s*(分|星)?(?!\d)", t)
    if m:
        return int(m.group(1))
    words = {"非常满意": 5, "很满意": 5, "满意": 4, "还行": 3, "一般": 3, "不太满意": 2, "不满意": 2,
             "很不满意": 1, "非常不满意": 1, "太差": 1, "差评": 1, "五星": 5, "四星": 4, "三星": 3,
             "两星": 2, "一星": 1}
    for word in sorted(words, key=len, reverse=True):
        if word in t:
            return words[word]
    value = normalize.cn_to_number(t)
    if value is not None and float(value).is_integer() and 1 <= value <= 5 and len(t) <= 3:
        return int(value)
    return None


class ValidateFeedbackForm(FreeTextFormValidation):
    form_slots = ("fb_score", "fb_comment")
    own_intent = "give_feedback"

    def name(self) -> Text:
        return "validate_feedback_form"

    def prefill(self, tracker: Tracker) -> List[EventType]:
        """"给你们打5分" fills the score at once."""
        if tracker.get_slot("requested_slot") or tracker.get_slot("fb_score") is not None:
            return []
        score = parse_score(tracker.latest_message.get("text"))
        return [SlotSet("fb_score", str(score))] if score else []

    def check(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        if slot == "fb_score":
            score = parse_score(value)
            if score is None:
                dispatcher.utter_message(text="打个1到5的分就好，点下面的按钮也行。")
            return score
        return super().check(slot, value, dispatcher, tracker)


register_ask_actions(globals(), ("fb_score", "fb_comment", "complaint_text"))


class ActionSaveFeedback(Action):
    def name(self) -> Text:
        return "action_save_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        score = tracker.get_slot("fb_score")
        score = score if isinstance(score, int) else None
        comment = tracker.get_slot("fb_comment")
        comment = None if comment in (None, normalize.SKIPPED) else str(comment)
        reset = [SlotSet("fb_score", None), SlotSet("fb_comment", None)]
        if has_consent(tracker):
            cases.add_feedback(tracker.sender_id, score, comment)
            if score is not None and score <= LOW_SATISFACTION:
                cases.add_flag(tracker.sender_id, "low_satisfaction", f"{score}分：{comment or ''}")
                say(dispatcher, "feedback_low", hours=_hours())
                return reset
            say(dispatcher, "feedback_thanks", extra="我们会根据你的意见改进。" if comment else "")
        else:
            say(dispatcher, "feedback_thanks", extra="不过你没有同意记录个人信息，所以这条评价没有保存。")
        return reset


def _detail(text: str) -> str:
    return _ANNOUNCE.sub("", normalize.clean_text(text, 2000)).strip(" ，,。！!")


class ActionComplain(Action):
    """Records a complaint at once when the message says what is wrong; otherwise the
    complaint form asks for the details (``complaint_needs_detail``)."""

    def name(self) -> Text:
        return "action_complain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        detail = _detail(text)
        if tracker.active_loop_name or len(detail) >= 4:
            _record(dispatcher, tracker, text, inline=bool(tracker.active_loop_name))
            return [SlotSet("complaint_needs_detail", False)]
        return [SlotSet("complaint_needs_detail", True)]


class ValidateComplaintForm(FreeTextFormValidation):
    form_slots = ("complaint_text",)

    def name(self) -> Text:
        return "validate_complaint_form"


def _record(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, inline: bool) -> None:
    a = agency()
    if has_consent(tracker):
        cases.add_flag(tracker.sender_id, "complaint", text)
    say(dispatcher, "complaint_recorded_inline" if inline else "complaint_recorded", hours=_hours(),
        contact=a.get("contact", ""))
    if not has_consent(tracker):
        dispatcher.utter_message(text="你没有同意记录个人信息，顾问联系你需要先有你的同意：说“你好”可以看协议。")


class ActionRecordComplaint(Action):
    def name(self) -> Text:
        return "action_record_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.get_slot("complaint_text")
        if text and text != normalize.SKIPPED:
            _record(dispatcher, tracker, str(text), inline=False)
        else:
            dispatcher.utter_message(text="好的。如果之后想补充，随时说“我要投诉”。")
        return [SlotSet("complaint_text", None), SlotSet("complaint_needs_detail", None)]


class ActionRequestCounselor(Action):
    def name(self) -> Text:
        return "action_request_counselor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not has_consent(tracker):
            say(dispatcher, "counselor_requested_no_consent")
            return offer_consent(dispatcher, tracker, intro=False)
        cases.add_flag(tracker.sender_id, "counselor_requested", tracker.latest_message.get("text"))
        say(dispatcher, "counselor_requested", hours=_hours(), contact=agency().get("contact", ""))
        return []
