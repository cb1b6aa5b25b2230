"""Helpers shared by the action modules (one module per flow lives beside this one)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Text, Tuple

import yaml

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import cases, normalize, privacy
from bot.agency import current as agency_settings

logger = logging.getLogger(__name__)

# Slot name -> profile column.
SLOT_TO_FIELD = {
    "age": "age",
    "education": "education",
    "major": "major",
    "grad_year": "grad_year",
    "fresh_graduate": "fresh_graduate",
    "political_status": "political_status",
    "experience_years": "experience_years",
    "target_region": "target_region",
    "target_exam": "target_exam",
    "gender": "gender",
}

SLOT_LABELS = {
    "age": "年龄",
    "education": "学历",
    "major": "专业",
    "grad_year": "毕业年份",
    "fresh_graduate": "应届身份",
    "political_status": "政治面貌",
    "experience_years": "基层工作年限",
    "target_region": "意向地区",
    "target_exam": "报考类型",
    "gender": "性别",
}

FORM_LABELS = {
    "intake_form": "基本资料",
    "self_analysis_form": "自我分析",
    "swot_amend_form": "SWOT修改",
    "interest_test_form": "兴趣测评",
    "eligibility_form": "岗位核对",
    "interview_form": "访谈记录",
    "feedback_form": "满意度评价",
    "complaint_form": "投诉",
    "study_plan_form": "备考计划",
}

# Intents that interrupt a form rather than answer its question.
INTERRUPTIONS = {
    "faq", "stop", "skip_question", "delete_my_data", "show_my_data", "restart", "request_counselor",
    "complain", "give_feedback", "help", "bot_challenge", "greet", "goodbye", "thank", "resume",
    "start_self_analysis", "start_interest_test", "check_my_eligibility", "ask_exam_strategy",
    "log_candidate_interview", "show_progress", "shortlist_post", "compare_ratios", "ask_post_info",
    "get_report", "remove_post", "follow_up", "undo", "check_major", "set_preferences", "make_study_plan",
    "adjust_plan", "plan_checkin",
}


def latest_intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def is_interruption(tracker: Tracker, threshold: float = 0.8) -> bool:
    """The latest message is a request of its own (a button, or a confident intent such as
    a question), not an answer to the form's question."""
    text = (tracker.latest_message.get("text") or "").strip()
    name, confidence = latest_intent(tracker)
    if text.startswith("/"):
        return not text.startswith("/inform")
    return name in INTERRUPTIONS and confidence >= threshold


# Requests that stop a free-text answer from being taken as the answer.
CONTROL_INTENTS = {"stop", "skip_question", "resume", "restart", "delete_my_data", "show_my_data",
                   "show_progress", "bot_challenge"}
# Requests that an answer in one's own words can easily resemble ("表达能力一般" is not a
# rating): they interrupt only when the message says so in so many words.
CUED_INTENTS = {
    "give_feedback": re.compile(r"评价|打.{0,3}分|评分|反馈|满意|建议|服务|体验|[1-5一二三四五][星分]"),
    "complain": re.compile(r"投诉|举报|不满|太差|差劲|垃圾|气死|态度"),
    "request_counselor": re.compile(r"人工|真人|顾问|老师|客服|human"),
    # "很有帮助"/"对我帮助很大" are praise, not a request for the help menu: 帮助 alone
    # (or "帮助文档") asks for it, 帮助 inside a sentence does not.
    "help": re.compile(r"^\s*(求|需要|查看)?帮助\s*[!！。?？]*\s*$|帮助(文档|菜单|说明|中心)|功能|"
                       r"怎么(用|使用|操作|开始|玩)|使用(说明|方法|指南)|说明书|菜单|help|"
                       r"教程|指南|新手|文档|能(干|做|帮|办)|会(什么|啥|干|些)|从哪|不会用|命令|指令|"
                       r"什么服务|服务包括|模块|(你|是)干(嘛|啥)|问(啥|什么|哪)", re.IGNORECASE),
}
# Intents that are questions only when the message is phrased as one.
QUESTION_INTENTS = {"faq", "ask_post_info"}
FLOW_INTENTS = {"start_self_analysis", "start_interest_test", "check_my_eligibility", "ask_exam_strategy",
                "log_candidate_interview", "shortlist_post", "compare_ratios", "get_report", "remove_post",
                "check_major", "make_study_plan", "adjust_plan", "plan_checkin"}
_QUESTION = re.compile(r"[?？]|吗|呢|么|什么|怎么|怎样|如何|哪|几[个年岁]|多少|是否|能不能|可不可以|会不会|有没有|是不是|咋|啥")


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search(text or ""))


def is_free_text_interruption(tracker: Tracker, own_intent: Optional[str] = None) -> bool:
    """For questions answered in the student's own words (self-analysis, interviews...):
    almost anything is an answer. Only clear requests interrupt: a button, a control
    request (stop, skip, human, complaint...), a question phrased as one, or another flow."""
    text = (tracker.latest_message.get("text") or "").strip()
    name, confidence = latest_intent(tracker)
    if text.startswith("/"):
        return not text.startswith("/inform")
    # The intent classifier's probabilities (bot/nlu/classifiers.py, a linear model over ~40
    # intents) are lower than a softmax network's: a request worded in so many words comes at
    # 0.5-0.8, so the cue words carry the decision and the thresholds stay moderate.
    if name in CONTROL_INTENTS and confidence >= 0.6:
        return True
    if name in CUED_INTENTS:
        return confidence >= 0.5 and bool(CUED_INTENTS[name].search(text))
    if name in QUESTION_INTENTS and confidence >= 0.6 and looks_like_question(text):
        return True
    return name in FLOW_INTENTS and name != own_intent and confidence >= 0.8


def case_profile(tracker: Tracker) -> Dict[str, Any]:
    """The student's profile for the positions engine: the case, completed by the slots."""
    profile = cases.load_profile(tracker.sender_id) if has_consent(tracker) else {}
    for slot, field in SLOT_TO_FIELD.items():
        value = tracker.get_slot(slot)
        if profile.get(field) is None and value is not None and value != normalize.SKIPPED:
            profile[field] = value
    return {k: v for k, v in profile.items() if v != normalize.SKIPPED}


def ask_action(slot: str, render_fn: Optional[Callable[[CollectingDispatcher, Tracker], None]] = None) -> type:
    """Builds ``action_ask_<slot>``: asks a form's question (text and buttons from
    messages.yml, key ``ask_<slot>``, unless ``render_fn`` says it)."""

    class _Ask(Action):
        def name(self) -> Text:
            return f"action_ask_{slot}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: Dict[Text, Any]) -> List[EventType]:
            if render_fn is not None:
                render_fn(dispatcher, tracker)
            else:
                say(dispatcher, f"ask_{slot}")
            return []

    _Ask.__name__ = _Ask.__qualname__ = "ActionAsk" + "".join(p.title() for p in slot.split("_"))
    return _Ask


def register_ask_actions(namespace: Dict[str, Any], slots: Iterable[str],
                         render_fn: Optional[Callable[[str], Callable]] = None) -> None:
    """Defines the ask actions of ``slots`` in a module (so the action server finds them)."""
    for slot in slots:
        cls = ask_action(slot, render_fn(slot) if render_fn else None)
        namespace[cls.__name__] = cls

INTAKE_SLOTS = ("education", "major", "grad_year", "fresh_graduate", "age", "political_status",
                "experience_years", "target_exam", "target_region")


MESSAGES_FILE = Path(__file__).with_name("messages.yml")


class _Keep(dict):
    """format_map helper: unknown {names} stay as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@lru_cache(maxsize=1)
def messages() -> Dict[str, Dict[str, Any]]:
    with open(MESSAGES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["messages"]


def render(key: str, **values: Any) -> str:
    return messages()[key]["text"].format_map(_Keep({**agency_vars(), **values}))


def say(dispatcher: CollectingDispatcher, key: str, buttons: Optional[List[Dict[str, str]]] = None,
        **values: Any) -> None:
    """Sends the message ``key`` of actions/messages.yml with its buttons filled in."""
    message = messages()[key]
    if buttons is None:
        buttons = message.get("buttons")
    dispatcher.utter_message(text=render(key, **values), buttons=list(buttons or []))


def agency() -> Dict[str, Any]:
    """The agency's effective settings (coach.yml overridden by the console)."""
    return agency_settings()


def agency_vars() -> Dict[str, Any]:
    a = agency()
    return {"agency_name": a["name"], "retention_days": a["retention_days"], "contact": a["contact"]}


def agency_slot_events() -> List[EventType]:
    """Slots that responses in domain.yml use as placeholders."""
    a = agency()
    return [SlotSet("agency_name", a["name"]), SlotSet("retention_days", str(a["retention_days"])),
            SlotSet("contact", a["contact"])]


def has_consent(tracker: Tracker) -> bool:
    return tracker.get_slot(privacy.CONSENT_SLOT) == privacy.CONSENT_GIVEN


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def display(slot: str, value: Any) -> str:
    """How a stored value reads in a message to the student."""
    if value is None or value == normalize.SKIPPED:
        return "未填写"
    if slot == "age":
        return f"{value}岁"
    if slot == "grad_year":
        return f"{value}年"
    if slot == "fresh_graduate":
        return "应届" if value else "非应届"
    if slot == "experience_years":
        v = float(value)
        return "没有" if v == 0 else f"{v:g}年"
    return str(value)


def profile_lines(profile: Dict[str, Any]) -> str:
    lines = []
    for slot in INTAKE_SLOTS:
        lines.append(f"· {SLOT_LABELS[slot]}：{display(slot, profile.get(SLOT_TO_FIELD[slot]))}")
    return "\n".join(lines)


def profile_from_slots(tracker: Tracker) -> Dict[str, Any]:
    out = {}
    for slot, field in SLOT_TO_FIELD.items():
        value = tracker.get_slot(slot)
        if value is not None and value != normalize.SKIPPED:
            out[field] = value
    return out


def offer_consent(dispatcher: CollectingDispatcher, tracker: Tracker, intro: bool = True) -> List[EventType]:
    """Introduces the agency (once) and asks for consent with buttons."""
    if intro:
        dispatcher.utter_message(text=agency()["greeting"])
    say(dispatcher, "consent_request")
    return [SlotSet("awaiting", "consent"), SlotSet("intro_shown", True)]


def intro_if_new(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """For a student who has not seen the service agreement yet: show it after the answer."""
    if tracker.get_slot("consent") is None and not tracker.get_slot("intro_shown"):
        return offer_consent(dispatcher, tracker)
    return []
