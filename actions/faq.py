"""Knowledge questions.

The answer itself is Rasa's ``utter_faq`` (the response selector's choice among
data/nlu/faq_responses.yml), whose placeholders are slots set at session start:
``{agency_name}``, ``{retention_days}``, ``{contact}`` from coach.yml and
``{age_limit_table}`` from knowledge/exams.yml. ``action_faq_extras`` runs after it: it
relates the age limit to the student's own age where that is known and consented to,
and shows the service agreement to a student who has not seen it yet.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import has_consent, intro_if_new
from bot import knowledge


def age_limit_lines(first_exam: Optional[str] = None) -> List[str]:
    """One line per exam and year that knowledge/exams.yml has an age rule for."""
    lines = []
    names = list(knowledge.exams())
    if first_exam in names:
        names.remove(first_exam)
        names.insert(0, first_exam)
    for exam in names:
        for year in sorted(knowledge.known_years(exam), reverse=True):
            limits = knowledge.age_limits(exam, year)
            if not limits:
                continue
            if limits.get("max") is None:
                lines.append(f"· {year}年{exam}：年满{limits['min']}周岁，上限以当年招考公告为准")
                continue
            line = f"· {year}年{exam}：{limits['min']}～{limits['max']}周岁"
            if limits.get("max_fresh_postgrad"):
                line += f"（应届硕士、博士研究生放宽到{limits['max_fresh_postgrad']}周岁）"
            lines.append(line)
    return lines


def age_limit_table(first_exam: Optional[str] = None) -> str:
    return "\n".join(age_limit_lines(first_exam))


def personal_age_note(tracker: Tracker) -> Optional[str]:
    """With consent and a known age and exam, says what the limit means for this student."""
    if not has_consent(tracker):
        return None
    age, exam = tracker.get_slot("age"), tracker.get_slot("target_exam")
    if not isinstance(age, (int, float)) or not exam:
        return None
    years = knowledge.known_years(exam)
    if not years:
        return None
    limits = knowledge.age_limits(exam, years[-1])
    if not limits or limits.get("max") is None:
        return None
    top = limits["max"]
    postgrad = tracker.get_slot("education") in ("硕士研究生", "博士研究生")
    if tracker.get_slot("fresh_graduate") is True and postgrad and limits.get("max_fresh_postgrad"):
        top = limits["max_fresh_postgrad"]
    age = int(age)
    if age < limits["min"]:
        return f"按你填的{age}岁，还没到{limits['min']}周岁的最低要求。"
    if age <= top:
        return f"按你填的{age}岁，{limits['year']}年{exam}的年龄条件你是满足的。"
    return (f"按你填的{age}岁，已经超过{limits['year']}年{exam}{top}周岁的上限，"
            "可以留意放宽年龄的岗位，或者看看别的考试。")


def selected_faq_key(tracker: Tracker) -> str:
    selector = (tracker.latest_message.get("response_selector") or {}).get("faq") or {}
    return ((selector.get("response") or {}).get("intent_response_key")) or ""


class ActionFaqExtras(Action):
    def name(self) -> Text:
        return "action_faq_extras"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if selected_faq_key(tracker) == "faq/age_limit":
            note = personal_age_note(tracker)
            if note:
                dispatcher.utter_message(text=note)
        return intro_if_new(dispatcher, tracker)
