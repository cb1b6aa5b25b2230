"""备考计划: a week-by-week plan to the written test, then the interview (issue 11).

``study_plan_form`` asks what the plan needs and the case does not know: the exam date
(only when the target exam has no calendar in knowledge/exams.yml), working or full-time,
hours on weekdays and at weekends, and a self-rating (or last score) per 行测 module and
申论. ``action_build_plan`` builds the plan (bot/coaching/planner.py: deterministic rules
with golden cases), stores it in the case (``study_plan``), and shows it as a table and,
where the channel shows images, a chart. The student adjusts it in words ("下周出差",
"资料分析还是很差", "考试提前了") and checks in weekly ("这周完成了八成").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import case_profile, has_consent, register_ask_actions, say
from actions.forms import FreeTextFormValidation
from bot import cases, knowledge, media, normalize
from bot.coaching import planner

logger = logging.getLogger(__name__)

SP_SLOTS = ("sp_exam_date", "sp_status", "sp_hours", "sp_ratings")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+")
_WEEKEND = re.compile(r"周末|周六|周日|星期六|星期天|休息日|双休")
_DONT_KNOW = re.compile(r"不知道|不清楚|没考过|没做过|说不好|随便|跳过|都一般|不确定")


def today() -> dt.date:
    return dt.date.today()


def _number(text: str) -> Optional[float]:
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    return normalize.cn_to_number(text)


def parse_hours(text: str) -> Optional[Dict[str, float]]:
    """"工作日2小时，周末6小时" / "平时两个小时 周末一整天" / "每天3小时" → hours per day."""
    t = normalize.clean(text)
    if not t:
        return None
    out: Dict[str, float] = {}
    parts = re.split(r"[，,。；;、\s]+|但是|不过|然后", t)
    for part in parts:
        if not part:
            continue
        weekend = bool(_WEEKEND.search(part))
        if re.search(r"一整天|全天|一天都", part):
            value = 8.0
        else:
            m = re.search(r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+)\s*(?:个)?(?:半)?\s*(?:小时|h|钟头)", part)
            if not m:
                continue
            value = _number(m.group(1))
            if value is None:
                continue
            if "半" in part[m.end(1):m.end()] or (m.group(1) != "半" and "个半" in part):
                value += 0.5
        key = "weekend_hours" if weekend else "weekday_hours"
        out.setdefault(key, float(value))
    if "weekday_hours" in out and "weekend_hours" not in out and re.search(r"每天|天天|一天", t) and not _WEEKEND.search(t):
        out["weekend_hours"] = out["weekday_hours"]
    return out or None


def parse_ratings(text: str) -> Optional[Dict[str, Any]]:
    """Self-ratings 1–5 or last scores per module: "常识3 言语4 数量1 判断3 资料2 申论3",
    "3 4 1 3 2 3" (in that order), or "不知道" (the plan then assumes average)."""
    t = normalize.clean(text)
    if not t:
        return None
    if _DONT_KNOW.search(t) and not re.search(r"\d", t):
        return {}
    order = list(planner.xingce_modules()) + [planner.items()[len(planner.xingce_modules())]]   # + 申论
    found = planner._find_modules(t)
    ratings: Dict[str, Any] = {}
    if found:
        for i, (pos, module) in enumerate(found):
            end = found[i + 1][0] if i + 1 < len(found) else len(t)
            words = re.split(r"[，,。；;]", t[pos:end])[0]
            m = re.search(r"\d+(?:\.\d+)?", words)
            if m:
                number = float(m.group(0))
                rating = planner.rating_from(m.group(0) + ("%" if "%" in words else ""),
                                             "score" if number > 5 else "rating", module)
            else:
                rating = planner.rating_from(words[len(module) if words.startswith(module) else 0:] or words)
            if rating:
                ratings[module] = rating
        return ratings or None
    numbers = [n for n in (_number(x) for x in _NUMBER.findall(t)) if n is not None]
    if len(numbers) >= 5 and all(1 <= n <= 5 for n in numbers[:6]):
        return {module: int(n) for module, n in zip(order, numbers[:6])}
    return None


def exam_of(tracker: Tracker, profile: Dict[str, Any]) -> Optional[str]:
    form = tracker.get_slot("sp_exam_date") or {}
    return (form.get("exam") if isinstance(form, dict) else None) or profile.get("target_exam")


def has_calendar(exam: Optional[str]) -> bool:
    return bool(exam) and planner.exam_calendar(exam, None, today()) is not None


class ValidateStudyPlanForm(FreeTextFormValidation):
    form_slots = SP_SLOTS
    own_intent = "make_study_plan"

    def name(self) -> Text:
        return "validate_study_plan_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        profile = case_profile(tracker)
        slots = list(SP_SLOTS)
        if has_calendar(profile.get("target_exam")) and tracker.get_slot("sp_exam_date") is None:
            slots.remove("sp_exam_date")
        return slots

    def prefill(self, tracker: Tracker) -> List[EventType]:
        """"每晚9点下班，一天能学2小时" fills status and hours at once."""
        if tracker.get_slot("requested_slot"):
            return []
        text = tracker.latest_message.get("text") or ""
        events: List[EventType] = []
        status = planner._status(text)
        if status and tracker.get_slot("sp_status") is None:
            events.append(SlotSet("sp_status", text))
        if parse_hours(text) and tracker.get_slot("sp_hours") is None:
            events.append(SlotSet("sp_hours", text))
        return events

    def check(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        if isinstance(value, dict):   # already parsed (a resumed form)
            return value
        text = normalize.clean_text(value, 300)
        if text.startswith("/"):       # a button: its words are in the payload's entity
            text = next((str(e["value"]) for e in tracker.latest_message.get("entities") or []
                         if e.get("entity") == "sp_answer" and e.get("value")), text)
        if slot == "sp_exam_date":
            exam = knowledge.canonical_exam(text)
            if exam and has_calendar(exam):
                return {"exam": exam}
            try:
                planner.normalize_inputs({"written_date": text})
                return {"written_date": text, **({"exam": exam} if exam else {})}
            except planner.PlanError:
                dispatcher.utter_message(text="笔试日期没看懂，可以写成“2026-12-06”或“12月6日”，或者告诉我考哪个考试。")
                return None
        if slot == "sp_status":
            status = planner._status(text)
            if status is None:
                dispatcher.utter_message(text="是在职备考、全职备考，还是在校？点下面的按钮就行。")
            return status
        if slot == "sp_hours":
            hours = parse_hours(text)
            if hours is None:
                dispatcher.utter_message(text="说个大概的小时数就行，比如“工作日2小时，周末5小时”。")
            return hours
        if slot == "sp_ratings":
            ratings = parse_ratings(text)
            if ratings is None:
                dispatcher.utter_message(text="按“常识3 言语4 数量1 判断3 资料2 申论3”这样给1～5分，"
                                              "也可以报最近一次的分数；不清楚就说“不知道”。")
            return ratings
        return super().check(slot, value, dispatcher, tracker)


register_ask_actions(globals(), SP_SLOTS)


def _inputs(tracker: Tracker, profile: Dict[str, Any]) -> Dict[str, Any]:
    date_answer = tracker.get_slot("sp_exam_date")
    inputs: Dict[str, Any] = {"exam": exam_of(tracker, profile)}
    if isinstance(date_answer, dict) and date_answer.get("written_date"):
        inputs["written_date"] = date_answer["written_date"]
    status = tracker.get_slot("sp_status")
    if status not in (None, normalize.SKIPPED):
        inputs["status"] = status
    hours = tracker.get_slot("sp_hours")
    if isinstance(hours, dict):
        inputs.update(hours)
    ratings = tracker.get_slot("sp_ratings")
    if isinstance(ratings, dict):
        inputs["ratings"] = ratings
    return inputs


def show_plan(dispatcher: CollectingDispatcher, tracker: Tracker, plan: Dict[str, Any], head: Optional[str] = None
              ) -> None:
    """The plan as a narrow table (every channel) and a chart (where images are shown)."""
    text = planner.render_text(plan)
    if head:
        dispatcher.utter_message(text=head)
    dispatcher.utter_message(text=text, format="table",
                             buttons=[{"title": "这周打卡", "payload": "/plan_checkin"},
                                      {"title": "调整计划", "payload": "/adjust_plan"}])
    if not has_consent(tracker):
        return
    try:
        png = planner.render_png(plan)
    except Exception as exc:  # the table above already carries the plan
        logger.warning("plan chart failed: %s", exc.__class__.__name__)
        return
    token = media.store(tracker.sender_id, "chart", "image/png", "备考计划.png", png)
    if token:
        dispatcher.utter_message(image=media.url_for(token, "plan.png"))


def _stored(tracker: Tracker) -> Optional[Dict[str, Any]]:
    if not has_consent(tracker):
        return None
    row = cases.load_study_plan(tracker.sender_id)
    return row["plan"] if row and row.get("plan") else None


class ActionBuildPlan(Action):
    def name(self) -> Text:
        return "action_build_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        profile = case_profile(tracker)
        inputs = _inputs(tracker, profile)
        reset = [SlotSet(s, None) for s in SP_SLOTS]
        try:
            plan = planner.build_plan(inputs, today())
        except planner.PlanError as exc:
            dispatcher.utter_message(text=str(exc))
            if getattr(exc, "missing", None) == "written_date":
                say(dispatcher, "plan_needs_date")
            return reset
        if has_consent(tracker):
            cases.save_study_plan(tracker.sender_id, plan["inputs"], plan, {"kind": "built"})
        show_plan(dispatcher, tracker, plan)
        return reset + [SlotSet("last_view", {"kind": "study_plan"})]


class ActionAdjustPlan(Action):
    def name(self) -> Text:
        return "action_adjust_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        plan = _stored(tracker)
        if plan is None:
            say(dispatcher, "plan_none")
            return []
        text = tracker.latest_message.get("text") or ""
        adjustment = planner.parse_adjustment(text) if not text.startswith("/") else None
        if adjustment is None:
            say(dispatcher, "plan_adjust_how")
            return [SlotSet("last_view", {"kind": "study_plan"})]
        try:
            new = planner.adjust(plan, adjustment, today())
        except planner.PlanError as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        cases.save_study_plan(tracker.sender_id, new["inputs"], new,
                              {"kind": "adjusted", "text": text[:300], "changes": new["adjustments"][-1]["changes"]})
        summary = new["adjustments"][-1].get("summary") or "计划已按你说的调整。"
        show_plan(dispatcher, tracker, new, head=f"好的，{summary}")
        return [SlotSet("last_view", {"kind": "study_plan"})]


class ActionPlanCheckin(Action):
    def name(self) -> Text:
        return "action_plan_checkin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        plan = _stored(tracker)
        if plan is None:
            say(dispatcher, "plan_none")
            return []
        text = tracker.latest_message.get("text") or ""
        week = planner._current_week(plan, today())
        planned = float(week["hours"]) if week else 10.0
        if text.startswith("/") or planner.parse_progress(text, planned) is None:
            say(dispatcher, "plan_checkin_ask")
            return [SlotSet("last_view", {"kind": "checkin_question"})]
        try:
            new = planner.checkin(plan, text, today())
        except planner.PlanError as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("last_view", {"kind": "study_plan"})]
        entry = new["progress"][-1]
        cases.save_study_plan(tracker.sender_id, new["inputs"], new,
                              {"kind": "checkin", "text": text[:300], "week": entry["week"], "share": entry["share"]})
        show_plan(dispatcher, tracker, new, head=entry["message"])
        return [SlotSet("last_view", {"kind": "study_plan"})]
