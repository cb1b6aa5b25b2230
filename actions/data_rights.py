"""The student's rights over their data: see what is stored, delete it."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import INTAKE_SLOTS, has_consent, profile_lines, render, say
from bot import cases
from bot.privacy import ERASE_SLOT


def _fmt_time(iso: str) -> str:
    return (iso or "")[:16].replace("T", " ")


class ActionShowMyData(Action):
    def name(self) -> Text:
        return "action_show_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        case = cases.case_json(tracker.sender_id)
        if case is None:
            say(dispatcher, "nothing_stored")
            return []
        consent = case.get("consent") or {}
        parts = []
        if consent:
            state = "已同意" if consent.get("given") else "已撤回同意"
            parts.append(f"知情同意：{state}（协议版本 {consent.get('text_version')}，{_fmt_time(consent.get('at'))} UTC）")
        parts.append("基本资料：\n" + profile_lines(case.get("profile") or {}))
        extra = []
        if case.get("self_analysis"):
            extra.append("自我分析")
        if case.get("interest_test"):
            extra.append("兴趣测评结果")
        if case.get("interviews"):
            extra.append(f"{len(case['interviews'])}条往届考生访谈记录")
        if case.get("shortlist"):
            extra.append(f"{len(case['shortlist'])}个备选岗位")
        if case.get("feedback"):
            extra.append("满意度反馈")
        if extra:
            parts.append("其他记录：" + "、".join(extra))
        parts.append(f"聊天记录：共{len(case.get('transcript') or [])}条消息")
        parts.append(render("my_data_footer"))
        dispatcher.utter_message(text="\n".join(parts))
        return []


class ActionAskDeleteConfirmation(Action):
    def name(self) -> Text:
        return "action_ask_delete_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        # Inside a form the rule has deactivated it first; "继续" resumes it after a cancel.
        say(dispatcher, "ask_delete_confirmation")
        return [SlotSet("awaiting", "delete_confirmation")]


class ActionDeleteMyData(Action):
    """Deletes the case; the tracker store erases the stored conversation when it sees
    the ``data_erased_at`` marker, and ``Restarted`` makes the next message a new start."""

    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        cases.delete_student(tracker.sender_id)
        say(dispatcher, "data_deleted")
        return [SlotSet(ERASE_SLOT, time.time()), Restarted()]


class ActionCancelDelete(Action):
    def name(self) -> Text:
        return "action_cancel_delete"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "delete_cancelled")
        events: List[EventType] = [SlotSet("awaiting", None)]
        if has_consent(tracker) and any(tracker.get_slot(s) is None for s in INTAKE_SLOTS):
            say(dispatcher, "delete_cancelled_resume")
        return events
