"""Self-analysis: the six questions of a personal plan, interests, values, personality,
strengths and weaknesses; then a SWOT (S/W from the student, O/T from the position
tables) that the student confirms or amends."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import case_profile, has_consent, register_ask_actions, say
from actions.forms import FreeTextFormValidation
from bot import cases, knowledge, normalize
from bot.coaching import swot as swot_lib
from bot.positions import api

logger = logging.getLogger(__name__)

ANSWER_KEYS = ("who_am_i", "what_want", "what_can_do", "support", "suits_best", "final_choice",
               "interests", "values", "personality_strangers", "personality_friends", "strengths",
               "weaknesses")
SA_SLOTS = tuple(f"sa_{k}" for k in ANSWER_KEYS)
NOT_ANSWERED = "未回答"
SWOT_NAMES = {"S": "优势", "W": "劣势", "O": "机会", "T": "威胁"}


class ValidateSelfAnalysisForm(FreeTextFormValidation):
    form_slots = SA_SLOTS
    own_intent = "start_self_analysis"

    def name(self) -> Text:
        return "validate_self_analysis_form"

    def saved(self, answers: Dict[str, Any], tracker: Tracker) -> None:
        if has_consent(tracker):
            cases.save_self_analysis(tracker.sender_id, answers={
                slot[3:]: (NOT_ANSWERED if value == normalize.SKIPPED else value) for slot, value in answers.items()})


class ValidateSwotAmendForm(FreeTextFormValidation):
    form_slots = ("swot_amendment",)

    def name(self) -> Text:
        return "validate_swot_amend_form"


register_ask_actions(globals(), SA_SLOTS + ("swot_amendment",))


def answers_of(tracker: Tracker) -> Dict[str, str]:
    stored = (cases.load_self_analysis(tracker.sender_id) or {}).get("answers", {}) if has_consent(tracker) else {}
    out = dict(stored)
    for key in ANSWER_KEYS:
        value = tracker.get_slot(f"sa_{key}")
        if value is not None:
            out[key] = NOT_ANSWERED if value == normalize.SKIPPED else value
    return out


def exam_with_data(profile: Dict[str, Any]) -> Tuple[Optional[str], Optional[int], bool]:
    """The student's exam if its tables are loaded, else the one of their province, else
    the first loaded exam. The flag says whether this is their own exam."""
    available = api.list_exams()
    names = {x["exam"] for x in available}
    target = profile.get("target_exam")
    if target in names:
        return api.resolve_exam(target) + (True,)
    province = normalize.province_of(profile.get("target_region"))
    for candidate in (f"{province}省考" if province else None,):
        if candidate in names:
            return api.resolve_exam(candidate) + (False,)
    with_ratio = [x for x in available if x["exam"] == "湖北省考"] or available
    if not with_ratio:
        return None, None, False
    return with_ratio[0]["exam"], with_ratio[0]["year"], False


def make_swot(tracker: Tracker, dispatcher: Optional[CollectingDispatcher] = None) -> Dict[str, Any]:
    profile = case_profile(tracker)
    exam, year, own = exam_with_data(profile)
    facts: Dict[str, Any] = {}
    if exam:
        try:
            facts = swot_lib.market_facts(profile, exam, year)
        except Exception as exc:  # the SWOT still works from the student's own words
            logger.warning("market facts unavailable: %s", exc.__class__.__name__)
        if not own and dispatcher is not None and profile.get("target_exam"):
            say(dispatcher, "swot_no_exam_data", exam=profile["target_exam"])
    return swot_lib.build_swot(answers_of(tracker), profile, facts)


def format_full(swot: Dict[str, Any]) -> str:
    """The SWOT message, with the student's free-form amendments at the end."""
    text = swot_lib.format_swot(swot)
    notes = [n for n in (swot or {}).get("notes") or [] if n]
    if notes:
        text += "\n【你的补充】\n" + "\n".join(f"• {n}" for n in notes)
    return text


class ActionSwotSummary(Action):
    def name(self) -> Text:
        return "action_swot_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        swot = make_swot(tracker, dispatcher)
        if has_consent(tracker):
            cases.save_self_analysis(tracker.sender_id, answers=answers_of(tracker), swot=swot, confirmed=False)
        say(dispatcher, "swot_intro")
        dispatcher.utter_message(text=format_full(swot))
        say(dispatcher, "swot_confirm")
        return [SlotSet("awaiting", "swot_confirmation")]


class ActionSwotConfirm(Action):
    def name(self) -> Text:
        return "action_swot_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if has_consent(tracker):
            cases.save_self_analysis(tracker.sender_id, confirmed=True)
        say(dispatcher, "swot_confirmed")
        return [SlotSet("awaiting", None)]


_EDIT = re.compile(r"(优势|劣势|机会|威胁|[SWOTswot])\s*(?:里|中|部分|那里|这块)?\s*"
                   r"(加上|加入|添加|补充|增加|加|写上|删掉|去掉|删除|去除|拿掉|删)\s*[：:，,]?\s*(.+)")


def apply_amendment(swot: Dict[str, Any], text: str) -> Tuple[Dict[str, Any], bool]:
    """Applies "优势里加上：英语六级" / "劣势里的‘不自信’去掉"; other wording is kept as a note."""
    swot = {k: list(v) if isinstance(v, list) else v for k, v in (swot or {}).items()}
    for key in "SWOT":
        swot.setdefault(key, [])
    m = _EDIT.search(text)
    if not m:
        removal = re.search(r"(优势|劣势|机会|威胁)[里中的]*[‘'“\"]?(.+?)[’'”\"]?\s*(去掉|删掉|删除|不对)", text)
        if removal:
            key = {v: k for k, v in SWOT_NAMES.items()}[removal.group(1)]
            target = removal.group(2).strip("的 ")
            kept = [x for x in swot[key] if target not in x]
            if len(kept) != len(swot[key]):
                swot[key] = kept
                return swot, True
        swot.setdefault("notes", []).append(text)
        return swot, False
    name, verb, content = m.groups()
    key = name.upper() if len(name) == 1 else {v: k for k, v in SWOT_NAMES.items()}[name]
    content = content.strip("“”‘’\"' 。")
    if verb in ("删掉", "去掉", "删除", "去除", "拿掉", "删"):
        kept = [x for x in swot[key] if content not in x]
        if len(kept) == len(swot[key]):
            swot.setdefault("notes", []).append(text)
            return swot, False
        swot[key] = kept
    else:
        swot[key].append(content)
    return swot, True


class ActionSwotAmend(Action):
    def name(self) -> Text:
        return "action_swot_amend"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.get_slot("swot_amendment")
        stored = cases.load_self_analysis(tracker.sender_id) if has_consent(tracker) else {}
        swot = stored.get("swot") or make_swot(tracker)
        if text and text != normalize.SKIPPED:
            swot, _ = apply_amendment(swot, str(text))
            swot.setdefault("amendments", []).append(str(text))
            say(dispatcher, "swot_amended", amendment=str(text)[:100])
        if has_consent(tracker):
            cases.save_self_analysis(tracker.sender_id, swot=swot, confirmed=False)
        dispatcher.utter_message(text=format_full(swot))
        say(dispatcher, "swot_confirm")
        return [SlotSet("swot_amendment", None), SlotSet("awaiting", "swot_confirmation")]
