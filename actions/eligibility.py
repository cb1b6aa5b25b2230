"""Eligibility check: which posts of the imported tables the student can apply to.

``eligibility_form`` asks for whatever the check needs and the profile lacks (it shares
the intake's questions and validation); ``action_check_eligibility`` then answers with the
counts, the best matches first and why the nearest misses fail. ``action_post_info``
explains one post.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import case_profile, has_consent, register_ask_actions, say
from actions.intake import ValidateIntakeForm
from bot import cases, knowledge, normalize
from bot.positions import api

logger = logging.getLogger(__name__)

ELIGIBILITY_SLOTS = ("education", "major", "grad_year", "fresh_graduate", "age", "political_status",
                     "experience_years", "target_exam", "gender")
SHOW = 5

_CN_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class ValidateEligibilityForm(ValidateIntakeForm):
    def name(self) -> Text:
        return "validate_eligibility_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return list(ELIGIBILITY_SLOTS)


register_ask_actions(globals(), ["gender"])


# -- helpers shared with the strategy flow -----------------------------------------------------

def ordinal_from_text(text: str) -> Optional[int]:
    """"第二个" / "第2个" / "2号" → 2."""
    m = re.search(r"第\s*(\d{1,2}|[一二两三四五六七八九十])\s*[个条号岗]?", text or "")
    if not m:
        m = re.search(r"(?<!\d)(\d{1,2})\s*号", text or "")
    if not m:
        return None
    token = m.group(1)
    return int(token) if token.isdigit() else _CN_ORDINALS.get(token)


def post_code_from(tracker: Tracker) -> Optional[str]:
    """A post the student means: a code in the message, or "第N个" of the last list."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "post_code" and entity.get("value"):
            return str(entity["value"]).strip()
    text = tracker.latest_message.get("text") or ""
    m = re.search(r"(?<!\d)(\d{17}|\d{14}|\d{12}|\d{8})(?!\d)", text)
    if m:
        return m.group(1)
    from bot.nlu.speech_act import ordinal

    n = ordinal_from_text(text)
    n = n if n is not None else ordinal(text)
    shown = tracker.get_slot("last_list") or []
    if n and 1 <= n <= len(shown):
        return shown[n - 1]
    if n == -1 and shown:
        return shown[-1]
    view = tracker.get_slot("last_view") or {}
    if n == 0 or re.search(r"为什么|为啥|咋|怎么", text):
        # "这个岗位" / "为什么这个不行": the post shown last.
        return view.get("code") or (shown[0] if n == 0 and len(shown) == 1 else None)
    return None


def named_exam(tracker: Tracker, profile: Dict[str, Any]) -> Optional[str]:
    """The exam this message names as a one-off choice: a button's ``exam_choice``, an exam,
    or a province ("那湖北的呢" → 湖北省考). None when it names none."""
    entities = tracker.latest_message.get("entities") or []
    for kind in ("exam_choice", "exam", "location"):
        for entity in entities:
            if entity.get("entity") != kind or not entity.get("value"):
                continue
            value = str(entity["value"])
            if kind == "location":
                region = normalize.normalize_location(value)
                province = normalize.province_of(region.value) if region.ok else None
                value = f"{province}省考" if province else value
            result = normalize.normalize_exam(value, profile.get("target_region"))
            if result.ok and result.value in knowledge.exams():
                return result.value
    return None


def exam_for(tracker: Tracker, profile: Dict[str, Any]) -> Optional[str]:
    """The exam named in this message (a one-off choice), else the student's target."""
    return named_exam(tracker, profile) or profile.get("target_exam")


def available_exam_buttons(verb: str = "看") -> List[Dict[str, str]]:
    """One button per imported table. The payload's ``exam_choice`` is a one-off choice:
    it runs the check for that table without changing the student's target exam."""
    return [{"title": f"{verb}{x['exam']}{x['year']}",
             "payload": f'/check_my_eligibility{{"exam_choice":"{x["exam"]}"}}'}
            for x in api.list_exams()]


def fmt_ratio(ratio: Optional[float]) -> str:
    if ratio is None:
        return "暂无报名数据"
    return f"{ratio:.0f}:1" if ratio >= 10 else f"{ratio:.1f}:1"


def post_summary(row: Dict[str, Any]) -> str:
    where = row.get("unit") or row.get("organ") or ""
    ratio = f" · 竞争比{fmt_ratio(row.get('ratio'))}" if row.get("ratio") is not None else ""
    return f"{row['code']} {where} · {row.get('name') or ''} · 招{row.get('openings') or '?'}人{ratio}"


def post_line(i: int, row: Dict[str, Any]) -> str:
    return f"{i}. {post_summary(row)}"


def reason_counts(ev: Any, verdict_code: int, single_only: bool) -> Counter:
    """How often each reason decides a verdict; reasons depend only on a post's condition
    set and major requirement, so each combination is evaluated once."""
    import numpy as np

    cp = ev.compiled
    counter: Counter = Counter()
    memo: Dict[Tuple[int, int], List[str]] = {}
    for i in np.nonzero(ev.verdict == verdict_code)[0]:
        key = (int(cp.set_of_post[i]), int(cp.major_of_post[i]))
        if key not in memo:
            reasons = [r for r in ev.details(int(i))["reasons"] if not r.startswith("咨询电话")]
            memo[key] = reasons
        reasons = memo[key]
        if single_only and len(reasons) != 1:
            continue
        for reason in reasons[:1] if single_only else reasons:
            counter[_short_reason(reason)] += 1
    return counter


def _short_reason(reason: str) -> str:
    """Drops the student's own values in parentheses so reasons group together."""
    return re.sub(r"（你[^）]*）", "", reason).strip("；; ")


# -- the check -------------------------------------------------------------------------------

class ActionCheckEligibility(Action):
    def name(self) -> Text:
        return "action_check_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        profile = case_profile(tracker)
        return self.check(dispatcher, tracker, profile, exam_for(tracker, profile))

    def check(self, dispatcher: CollectingDispatcher, tracker: Tracker, profile: Dict[str, Any],
              exam: Optional[str]) -> List[EventType]:
        try:
            name, year = api.resolve_exam(exam)
        except api.UnknownExam:
            available = "、".join(f"{x['exam']}{x['year']}年" for x in api.list_exams()) or "无"
            say(dispatcher, "eligibility_no_data", buttons=available_exam_buttons(), exam=exam or "你的目标考试",
                available=available)
            return [SlotSet("last_view", {"kind": "no_data", "exam": exam}), SlotSet("last_list", [])]
        except api.PositionsError as exc:
            say(dispatcher, "eligibility_error", error=str(exc))
            return []

        data, ev = api.evaluation_for(profile, name, year)
        counts = ev.counts()
        total = sum(counts.values())
        lines = [f"按你的条件核对了{name}{year}年全部{total}个职位：",
                 f"✅ 符合条件：{counts['eligible']}个",
                 f"❓ 需要向招录单位确认：{counts['needs_confirmation']}个",
                 f"❌ 不符合：{counts['not_eligible']}个"]
        dispatcher.utter_message(text="\n".join(lines))

        ranked = ranked_posts(tracker, profile, name, year)
        best = ranked[:SHOW]
        shown = [row["code"] for row in best]
        asked = None
        if best:
            text = "你符合条件的岗位里，按适合你的程度排在前面的几个：\n" + "\n".join(
                post_line(i + 1, r) + (f"\n   理由：{r['why']}" if r.get("why") else "") for i, r in enumerate(best))
            prefs = describe_preferences(tracker)
            if prefs:
                text += f"\n（已按你说的偏好排：{prefs}）"
            dispatcher.utter_message(
                text=text + "\n说“第1个详细说说”看详情，“把第1个加入备选”收藏；也可以告诉我偏好，比如“更看重上岸概率”“我不想去公安”。",
                buttons=[{"title": "第1个加入备选", "payload": f'/shortlist_post{{"post_code":"{shown[0]}"}}'},
                         {"title": "第1个详情", "payload": f'/ask_post_info{{"post_code":"{shown[0]}"}}'}])
            asked = ask_preference(dispatcher, best)

        from bot.positions.engine import NEEDS_CONFIRMATION, NOT_ELIGIBLE

        misses = reason_counts(ev, NOT_ELIGIBLE, single_only=True).most_common(3)
        if misses:
            dispatcher.utter_message(text="只差一个条件的岗位：\n" + "\n".join(
                f"· 差一个条件：{reason}（{n}个岗位）" for reason, n in misses))
        confirm = reason_counts(ev, NEEDS_CONFIRMATION, single_only=False).most_common(2)
        if confirm:
            dispatcher.utter_message(text="需要确认的主要是：\n" + "\n".join(
                f"· {reason}（{n}个岗位）" for reason, n in confirm) +
                "\n这类岗位建议打职位表上的咨询电话问清楚再决定。")
        missing = [label for key, label in (("gender", "性别"), ("hukou", "户籍"))
                   if profile.get(key) is None]
        if missing:
            dispatcher.utter_message(text=f"提示：你没有提供{'、'.join(missing)}，限{'、'.join(missing)}的岗位都算在“需要确认”里。")

        if has_consent(tracker):
            cases.record_eligibility(tracker.sender_id, name, year, counts, {
                "shown": shown,
                "near_misses": [{"reason": r, "posts": n} for r, n in misses],
                "to_confirm": [{"reason": r, "posts": n} for r, n in confirm],
            })
        return [SlotSet("last_list", shown),
                SlotSet("last_view", {"kind": "eligibility", "exam": name, "year": year, "asked": asked})]


# -- ranking by fit (bot/coaching/ranking.py) ---------------------------------------------------

def ranked_posts(tracker: Tracker, profile: Dict[str, Any], exam: str, year: int) -> List[Dict[str, Any]]:
    """The student's eligible posts, best fit first: major specificity, post family against
    the interest test, place and level, police and extra tests against what they accept,
    competition and its trend. The eligibility list, the shortlist suggestions and the
    better-odds alternatives all use this one ranking."""
    from bot.coaching import ranking

    consent = has_consent(tracker)
    interest = cases.latest_interest(tracker.sender_id) if consent else None
    swot = (cases.load_self_analysis(tracker.sender_id).get("swot") if consent else None) or None
    prefs = cases.load_preferences(tracker.sender_id) if consent else (tracker.get_slot("preferences") or {})
    return ranking.rank_eligible(profile, exam, year, interest=interest, swot=swot, prefs=prefs)["posts"]


def describe_preferences(tracker: Tracker) -> str:
    from bot.coaching import ranking

    prefs = cases.load_preferences(tracker.sender_id) if has_consent(tracker) else (tracker.get_slot("preferences") or {})
    return "、".join(ranking.describe_preferences(prefs)) if prefs else ""


# Questions a ranked list raises, with one-tap answers (their words go to set_preferences).
ASK_BUTTONS = {
    "ask_police": ("police", [("公安岗也可以考虑", "公安也可以考虑"), ("不考虑公安", "我不考虑公安")]),
    "ask_fitness": ("fitness", [("体能测试没问题", "体能测试我可以"), ("不想考体能", "不想考体能")]),
    "ask_psych": ("psych", [("心理测评可以", "心理测评没问题"), ("不想做心理测评", "不想做心理测评")]),
}


def ask_preference(dispatcher: CollectingDispatcher, posts: List[Dict[str, Any]]) -> Optional[str]:
    """Asks the first question the listed posts raise ("公安岗要体能测评，你考虑吗？")."""
    for post in posts:
        for flag in post.get("flags") or []:
            if flag in ASK_BUTTONS and post.get("ask"):
                kind, choices = ASK_BUTTONS[flag]
                dispatcher.utter_message(text=post["ask"], buttons=[
                    {"title": title, "payload": '/set_preferences{"pref_text":"%s"}' % words} for title, words in choices])
                return kind
    return None


class ActionSetPreferences(Action):
    """Re-weighting in words ("我不想去公安", "更看重上岸概率", "想留武汉"): kept in the case,
    and the last list is ranked again."""

    def name(self) -> Text:
        return "action_set_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        from bot.coaching import ranking

        message = tracker.latest_message or {}
        text = next((str(e["value"]) for e in message.get("entities") or []
                     if e.get("entity") == "pref_text" and e.get("value")), None) or message.get("text") or ""
        view = tracker.get_slot("last_view") or {}
        consent = has_consent(tracker)
        current = cases.load_preferences(tracker.sender_id) if consent else (tracker.get_slot("preferences") or {})
        prefs = ranking.parse_preferences(text, current, asked=view.get("asked"))
        if prefs is None:
            say(dispatcher, "preferences_not_understood")
            return []
        if consent:
            cases.save_preferences(tracker.sender_id, prefs)
        events: List[EventType] = [] if consent else [SlotSet("preferences", prefs)]
        say(dispatcher, "preferences_saved", prefs="、".join(ranking.describe_preferences(prefs)) or "（无）")
        if view.get("kind") == "eligibility" and view.get("exam"):
            profile = case_profile(tracker)
            # Rank again with the new preferences (the tracker's slot is updated only after this turn).
            if not consent:
                tracker.slots["preferences"] = prefs
            events += ActionCheckEligibility().check(dispatcher, tracker, profile, view["exam"])
        return events


def post_the_student_means(dispatcher: CollectingDispatcher, tracker: Tracker
                           ) -> Optional[Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]]:
    """(post, the student's verdict on it, profile) for the post the message names, or None
    after telling the student what is missing or wrong."""
    code = post_code_from(tracker)
    if not code:
        text = tracker.latest_message.get("text") or ""
        if ordinal_from_text(text) and not tracker.get_slot("last_list"):
            # "第一个岗位详细说说" with no list shown yet: offer to show one.
            say(dispatcher, "post_no_list_yet", buttons=available_exam_buttons("查"))
        else:
            say(dispatcher, "post_code_needed")
        return None
    profile = case_profile(tracker)
    try:
        post = api.get_post(code)
        verdict = api.check_post(profile, code, post["exam"], post["year"])
    except api.PositionsError as exc:
        dispatcher.utter_message(text=str(exc))
        return None
    return post, verdict, profile


class ActionPostInfo(Action):
    def name(self) -> Text:
        return "action_post_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        found = post_the_student_means(dispatcher, tracker)
        if found is None:
            return []
        post, verdict, profile = found
        code = post["code"]
        competition = api.post_competition(code, post["exam"], post["year"], profile=profile)
        text = describe_post(post, competition, verdict)
        if verdict.get("verdict") != "eligible":
            # "为什么这个岗位不行": the major line, checked against the table's own wording.
            try:
                from bot.positions.major_check import explain_post_major

                major = explain_post_major(profile, code, post["exam"], post["year"])
                text += "\n" + major["line"] + (f"\n{major['undergrad_line']}" if major.get("undergrad_line") else "")
            except Exception as exc:  # the verdict above already says why
                logger.warning("major line failed: %s", exc.__class__.__name__)
        dispatcher.utter_message(text=text,
                                 buttons=[{"title": "加入备选", "payload": f'/shortlist_post{{"post_code":"{code}"}}'}])
        return [SlotSet("last_view", {"kind": "post", "exam": post["exam"], "year": post["year"], "code": code})]


REQUIREMENT_LABELS = (("education", "学历"), ("degree", "学位"), ("major", "专业"), ("major_undergrad", "本科专业"),
                      ("major_graduate", "研究生专业"), ("age", "年龄"), ("political_status", "政治面貌"),
                      ("grassroots_experience", "基层工作经历"), ("target_group", "招录对象"),
                      ("other", "其他要求"), ("remarks", "备注"))


def describe_post(post: Dict[str, Any], competition: Dict[str, Any], verdict: Dict[str, Any]) -> str:
    req = post.get("requirements") or {}
    lines = [f"{post['code']}｜{post.get('unit') or post.get('organ')} · {post.get('name')}",
             f"{post['exam']}{post['year']}年，招{post.get('openings')}人" +
             (f"，{post.get('city')}" if post.get("city") else "")]
    if post.get("description"):
        lines.append(f"职位简介：{post['description']}")
    for key, label in REQUIREMENT_LABELS:
        if req.get(key):
            value = str(req[key])
            lines.append(f"{label}：{value[:160]}{'…' if len(value) > 160 else ''}")
    if competition.get("ratio") is not None:
        lines.append(f"竞争：截至{competition.get('date')}报名{competition.get('applicants')}人，"
                     f"竞争比{fmt_ratio(competition.get('ratio'))}，在全部{competition.get('posts_ranked')}个岗位里"
                     f"热门程度排第{competition.get('rank_all')}")
        trend = [s for s in competition.get("snapshots") or [] if s.get("applicants") is not None]
        if len(trend) > 1:
            lines.append("报名趋势：" + " → ".join(f"{s['date'][5:]} {s['applicants']}人" for s in trend))
        if competition.get("one_in_a_thousand"):
            lines.append("⚠️ 这是“千里挑一”级别的热门岗，风险很高。")
    else:
        lines.append("竞争：这张职位表没有报名人数数据。")
    v = verdict.get("verdict")
    reasons = "；".join(verdict.get("reasons") or [])
    if v == "eligible":
        lines.append("你的情况：✅ 符合报考条件")
    elif v == "not_eligible":
        lines.append(f"你的情况：❌ 不符合——{reasons}")
    else:
        lines.append(f"你的情况：❓ 需要确认——{reasons}")
    return "\n".join(lines)
