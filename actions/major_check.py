"""专业对口: "does my major count?" against the catalogues and every imported table (issue 11).

The student names a major (their own by default), maybe a second degree ("本科自动化、硕士
控制科学与工程") and a target (a class such as 计算机类, or a post code). The answer says where
the major sits in the national and Guangdong catalogues, how many posts of each table accept
it (named / through its class / 不限, with examples), the nearest classes it is NOT in, the
diploma rule, and the cases that need a person (仅限, renamed majors, foreign degrees, 自考,
second degrees). The library is bot/positions/major_check.py; this is the conversation.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import case_profile, has_consent, intro_if_new, say
from bot import cases
from bot.positions import major_check

logger = logging.getLogger(__name__)

_TARGET_CLASS = re.compile(r"([\u4e00-\u9fa5]{1,10}类)")
_VERBS = re.compile(r"^.*?(能报考|能报|报考|可以报|报|算不算|算|属不属于|属于|是不是|是|对口|的)")
_TARGET_MAJOR = re.compile(r"(?:算不算|属不属于|属于|算|是不是)([\u4e00-\u9fa5]{2,12}?)(?:专业|类)?(?:吗|呢|的|[?？]|$)")
_LEVEL_BEFORE = re.compile(r"(本科|学士|大专|专科|硕士|研究生|博士)[^，,、；;。]{0,4}$")
# "专业不是计算机科学的程序员……": a major named as what someone did not study is not the one to check.
_NEGATED_BEFORE = re.compile(r"(不是|并非|并不是|非|不属于|没学过?|没读过?)$")
EXAMPLES_SHOWN = 3


@lru_cache(maxsize=1)
def _class_names() -> frozenset:
    from bot import knowledge

    names = {str(m.get("className") or "") for m in knowledge.load_json("majors/undergraduate-majors-2026.json")}
    return frozenset(n for n in names if n)


def _target_class(text: str) -> Optional[str]:
    """"软件工程能报计算机类岗位吗" → 计算机类: a catalogue class named in the text, else the
    words before 类 without the verb in front of them."""
    for m in _TARGET_CLASS.finditer(text):
        phrase = m.group(1)
        known = [phrase[i:] for i in range(len(phrase) - 1) if phrase[i:] in _class_names()]
        if known:
            return max(known, key=len)
        rest, previous = phrase, None
        while rest != previous:
            previous, rest = rest, _VERBS.sub("", rest, count=1)
        if len(rest) >= 2 and rest not in ("这类", "哪类", "那类", "一类", "同类", "这一类", "什么类"):
            return rest
    return None


def _level_word(word: str) -> Optional[str]:
    if word in ("本科", "学士"):
        return "本科"
    if word in ("硕士", "研究生", "博士"):
        return "研究生"
    if word in ("大专", "专科"):
        return "大专"
    return None


def parse_request(text: str, entities: List[Dict[str, Any]], profile: Dict[str, Any]
                  ) -> Tuple[Optional[str], Optional[str], Optional[Tuple[str, Optional[str]]], Optional[str]]:
    """(major, level, second degree, target) the message asks about; the profile fills in."""
    text = text or ""
    target = None
    code = next((str(e["value"]) for e in entities if e.get("entity") == "post_code" and e.get("value")), None)
    if code:
        target = code
    else:
        target = _target_class(text)
    majors = [e for e in entities if e.get("entity") == "major" and e.get("value")
              and not _NEGATED_BEFORE.search(text[:int(e.get("start") or 0)].rstrip())]
    if target:
        majors = [e for e in majors if str(e["value"]) not in target]
    if not target:
        m = _TARGET_MAJOR.search(text)
        if m and majors and m.group(1) not in str(majors[0]["value"]):
            target = m.group(1)
            majors = [e for e in majors if str(e["value"]) not in target]
    specs: List[Tuple[str, Optional[str]]] = []
    for e in majors[:2]:
        before = text[:int(e.get("start") or 0)]
        lm = _LEVEL_BEFORE.search(before)
        specs.append((str(e["value"]), _level_word(lm.group(1)) if lm else None))
    if not specs and profile.get("major"):
        edu = profile.get("education")
        specs.append((str(profile["major"]), _level_word({"硕士研究生": "硕士", "博士研究生": "博士"}.get(edu, edu or ""))))
    if not specs:
        return None, None, None, target
    major, level = specs[0]
    if level is None and len(specs) == 1 and profile.get("education") and not majors:
        level = _level_word(profile["education"][:2])
    second = specs[1] if len(specs) > 1 else None
    return major, level, second, target


def reply_lines(result: Dict[str, Any], first_exam: Optional[str]) -> List[str]:
    """The chat answer: the library's summary, then examples from the student's table."""
    lines = list(result.get("lines") or [])
    degree = (result.get("degrees") or [{}])[0]
    tables = degree.get("tables") or []
    table = next((t for t in tables if t.get("exam") == first_exam), tables[0] if tables else None)
    if table:
        examples = []
        for key, label in (("named", "点名要这个专业"), ("by_class", "按专业类"), ("open", "不限专业")):
            shown = (table.get(key) or {}).get("examples") or []
            if shown:
                examples.append(f"{label}：" + "；".join(f"{x['code']} {x.get('organ') or ''}{x.get('name') or ''}"
                                                      for x in shown[:EXAMPLES_SHOWN]))
        if examples:
            lines.insert(len(tables) + 1 if len(lines) > len(tables) else len(lines),
                         f"{table['exam']}{table['year']}的例子——\n" + "\n".join(f"  {e}" for e in examples))
    return lines


def run_major_check(dispatcher: CollectingDispatcher, tracker: Tracker, exam: Optional[str] = None
                    ) -> List[EventType]:
    profile = case_profile(tracker)
    message = tracker.latest_message or {}
    view = tracker.get_slot("last_view") or {}
    major, level, second, target = parse_request(message.get("text") or "", message.get("entities") or [], profile)
    if major is None and view.get("kind") == "major_check":
        major, level = view.get("major"), view.get("level")
    if major is None:
        say(dispatcher, "major_check_which")
        return []
    try:
        result = major_check.check_major(major, level=level, second=second, target=target, exam=exam)
    except major_check.MajorCheckError as exc:
        dispatcher.utter_message(text=str(exc))
        return []
    except Exception as exc:  # an exam that is not imported, a table being reloaded...
        logger.warning("major check failed: %s", exc.__class__.__name__)
        say(dispatcher, "major_check_failed")
        return []
    first_exam = exam or profile.get("target_exam")
    dispatcher.utter_message(text="\n".join(reply_lines(result, first_exam)),
                             buttons=[{"title": "查我能报的岗位", "payload": "/check_my_eligibility"}])
    if has_consent(tracker):
        query = {"text": (message.get("text") or "")[:300], "major": major, "level": level,
                 "second": list(second) if second else None, "target": target, "exam": exam}
        cases.save_major_check(tracker.sender_id, query, result)
    return [SlotSet("last_view", {"kind": "major_check", "major": major, "level": level})]


class ActionCheckMajor(Action):
    def name(self) -> Text:
        return "action_check_major"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return run_major_check(dispatcher, tracker) + intro_if_new(dispatcher, tracker)
