"""Exam strategy, the three-step method:

1. talk to at least 20 past candidates of varied majors (``interview_form``,
   ``action_show_progress``);
2. shortlist at least 5 eligible posts, each with 10+ questions for the recruiting unit
   (``action_shortlist_post``, ``action_remove_post``);
3. compare the shortlist's competition ratios with the other eligible posts, flag
   one-in-a-thousand risks and swap in eligible alternatives with better odds
   (``action_compare_ratios``, chart sent as an image).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import case_profile, has_consent, register_ask_actions, say
from actions.eligibility import fmt_ratio, post_summary, post_the_student_means, ranked_posts
from actions.forms import FreeTextFormValidation
from bot import cases, media, normalize
from bot.coaching.questions import questions_for_post
from bot.positions import api
from bot.positions.majors import match_major

logger = logging.getLogger(__name__)

INTERVIEWS_GOAL = 20
SHORTLIST_GOAL = 5
IV_SLOTS = ("iv_major", "iv_exam", "iv_year", "iv_post", "iv_result", "iv_advice")


# -- progress ---------------------------------------------------------------------------------

def _same_major(a: Optional[str], b: Optional[str]) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    ma, mb = match_major(a), match_major(b)
    return bool(ma and mb and (ma.code == mb.code or (ma.class_code and ma.class_code == mb.class_code)))


def progress(sender_id: str, my_major: Optional[str]) -> Dict[str, Any]:
    done = cases.interviews(sender_id)
    majors = [i.get("major") for i in done if i.get("major") and i.get("major") != normalize.SKIPPED]
    different = sum(1 for m in majors if not _same_major(m, my_major)) if my_major else None
    posts = cases.shortlist(sender_id)
    return {
        "interviews": len(done),
        "distinct_majors": len(set(majors)),
        "different_major": different,
        "shortlist": len(posts),
        "questions": sum(len(p.get("questions") or []) for p in posts),
    }


def progress_text(p: Dict[str, Any]) -> str:
    line1 = f"已访谈 {p['interviews']}/{INTERVIEWS_GOAL}"
    if p["different_major"] is not None and p["interviews"]:
        line1 += f"，其中 {p['different_major']} 人与你专业不同"
    line2 = f"备选岗位 {p['shortlist']}/{SHORTLIST_GOAL}，已准备 {p['questions']} 个问题"
    return f"{line1}；{line2}"


def variety_nudge(p: Dict[str, Any]) -> Optional[str]:
    if not p["interviews"]:
        return None
    if p["different_major"] is not None and p["different_major"] < p["interviews"] / 2:
        return "目前多数受访者和你同专业，下一个可以找找别的专业的人聊聊，看看他们是怎么选岗的。"
    if p["interviews"] < INTERVIEWS_GOAL:
        return f"还差 {INTERVIEWS_GOAL - p['interviews']} 位，专业越多样越好。"
    return "20位访谈已经完成，很棒！把他们的建议和你的备选岗位对照一下。"


class ActionExamStrategy(Action):
    def name(self) -> Text:
        return "action_exam_strategy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "strategy")
        p = progress(tracker.sender_id, case_profile(tracker).get("major"))
        say(dispatcher, "strategy_buttons", progress=progress_text(p))
        return []


class ActionShowProgress(Action):
    def name(self) -> Text:
        return "action_show_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        p = progress(tracker.sender_id, case_profile(tracker).get("major"))
        lines = [progress_text(p) + "。"]
        nudge = variety_nudge(p)
        if nudge:
            lines.append(nudge)
        if p["shortlist"] < SHORTLIST_GOAL:
            lines.append(f"备选岗位还差 {SHORTLIST_GOAL - p['shortlist']} 个，说“我能报哪些岗位”去挑。")
        elif p["shortlist"]:
            lines.append("备选够5个了，可以说“比较竞争比”做第三步。")
        dispatcher.utter_message(text="\n".join(lines))
        return []


# -- step 1: interviews -----------------------------------------------------------------------

class ValidateInterviewForm(FreeTextFormValidation):
    form_slots = IV_SLOTS
    own_intent = "log_candidate_interview"

    def name(self) -> Text:
        return "validate_interview_form"

    def prefill(self, tracker: Tracker) -> List[EventType]:
        """Facts in the message that started the logging ("采访了一位南阳的公务员 社会工作专业")."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent != "log_candidate_interview" or tracker.get_slot("requested_slot"):
            return []
        events = []
        wanted = {"major": "iv_major", "exam": "iv_exam", "grad_year": "iv_year"}
        for entity in tracker.latest_message.get("entities") or []:
            slot = wanted.get(entity.get("entity"))
            if slot and tracker.get_slot(slot) is None and entity.get("value"):
                events.append(SlotSet(slot, str(entity["value"])))
                wanted.pop(entity["entity"])
        return events

    def check(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Any]:
        text = super().check(slot, value, dispatcher, tracker)
        if text is None:
            return None
        if slot == "iv_major":
            match = match_major(text)
            return match.name if match else text[:64]
        if slot == "iv_exam":
            result = normalize.normalize_exam(text, case_profile(tracker).get("target_region"))
            return result.value if result.ok else text[:32]
        if slot == "iv_year":
            result = normalize.normalize_grad_year(text)
            if not result.ok or result.value > dt.date.today().year:
                dispatcher.utter_message(text="是哪一年考的？发四位年份就行，比如“2024”。")
                return None
            return result.value
        return text


register_ask_actions(globals(), IV_SLOTS)


class ActionSaveInterview(Action):
    def name(self) -> Text:
        return "action_save_interview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        fields = {}
        for slot in IV_SLOTS:
            value = tracker.get_slot(slot)
            fields[slot[3:]] = None if value == normalize.SKIPPED else value
        reset = [SlotSet(slot, None) for slot in IV_SLOTS]
        if not has_consent(tracker):
            return reset
        cases.add_interview(tracker.sender_id, **fields)
        p = progress(tracker.sender_id, case_profile(tracker).get("major"))
        say(dispatcher, "interview_saved")
        text = progress_text(p) + "。"
        nudge = variety_nudge(p)
        dispatcher.utter_message(text=text + (f"\n{nudge}" if nudge else ""))
        return reset


# -- step 2: shortlist ------------------------------------------------------------------------

def _questions(post: Dict[str, Any], profile: Dict[str, Any]) -> List[str]:
    try:
        return questions_for_post(post, profile)
    except Exception as exc:  # never lose the shortlist entry over the questions
        logger.warning("questions for post failed: %s", exc.__class__.__name__)
        return []


def _add(dispatcher: CollectingDispatcher, tracker: Tracker, post: Dict[str, Any]) -> List[EventType]:
    profile = case_profile(tracker)
    code = post["code"]
    questions = _questions(post, profile)
    added = cases.add_to_shortlist(tracker.sender_id, post["exam"], post["year"], code, questions)
    if not added:
        say(dispatcher, "shortlist_exists", code=code)
        return []
    events: List[EventType] = []
    swap = (tracker.get_slot("swap_map") or {}).get(code)
    if swap and cases.remove_from_shortlist(tracker.sender_id, swap):
        say(dispatcher, "shortlist_swapped", new=code, old=swap)
        events.append(SlotSet("swap_map", {k: v for k, v in (tracker.get_slot("swap_map") or {}).items()
                                           if v != swap}))
    count = len(cases.shortlist(tracker.sender_id))
    say(dispatcher, "shortlist_added", code=code, organ=post.get("unit") or post.get("organ") or "",
        name=post.get("name") or "", count=count)
    dispatcher.utter_message(text="\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))
    if count < SHORTLIST_GOAL:
        text = f"按三步法至少挑{SHORTLIST_GOAL}个，还差{SHORTLIST_GOAL - count}个。"
        taken = {p["post_code"] for p in cases.shortlist(tracker.sender_id)}
        try:
            nxt = [r for r in ranked_posts(tracker, profile, post["exam"], int(post["year"])) if r["code"] not in taken][:3]
        except api.PositionsError:
            nxt = []
        if nxt:
            # Not numbered: "第2个" keeps meaning the list the student picked from.
            text += "按适合你的程度，接下来可以看看：\n" + "\n".join(
                "· " + post_summary(r) + (f"\n   理由：{r['why']}" if r.get("why") else "") for r in nxt)
        dispatcher.utter_message(text=text, buttons=[
            {"title": f"加入{r['code']}", "payload": f'/shortlist_post{{"post_code":"{r["code"]}"}}'} for r in nxt])
    else:
        dispatcher.utter_message(text="备选已经够5个了，可以说“比较竞争比”看看风险。",
                                 buttons=[{"title": "比较竞争比", "payload": "/compare_ratios"}])
    return events


class ActionShortlistPost(Action):
    def name(self) -> Text:
        return "action_shortlist_post"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        found = post_the_student_means(dispatcher, tracker)
        if found is None:
            return []
        post, verdict, _ = found
        code = post["code"]
        reasons = "；".join(r for r in verdict.get("reasons") or [] if not r.startswith("咨询电话"))
        if verdict["verdict"] == "not_eligible":
            say(dispatcher, "shortlist_not_eligible", code=code, name=post.get("name") or "", reasons=reasons)
            return []
        if verdict["verdict"] == "needs_confirmation":
            phone = f"（咨询电话：{verdict['phone']}）" if verdict.get("phone") else ""
            say(dispatcher, "shortlist_needs_confirmation", code=code, name=post.get("name") or "",
                reasons=reasons, phone=phone)
            return [SlotSet("pending_post", code), SlotSet("awaiting", "shortlist_confirmation")]
        return _add(dispatcher, tracker, post)


class ActionConfirmShortlist(Action):
    """The student confirmed with the recruiting unit that they may apply."""

    def name(self) -> Text:
        return "action_confirm_shortlist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        code = tracker.get_slot("pending_post")
        events: List[EventType] = [SlotSet("pending_post", None), SlotSet("awaiting", None)]
        if not code:
            return events
        try:
            post = api.get_post(code)
        except api.PositionsError as exc:
            dispatcher.utter_message(text=str(exc))
            return events
        return events + _add(dispatcher, tracker, post)


class ActionDeclineShortlist(Action):
    def name(self) -> Text:
        return "action_decline_shortlist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "shortlist_declined", code=tracker.get_slot("pending_post") or "")
        return [SlotSet("pending_post", None), SlotSet("awaiting", None)]


class ActionRemovePost(Action):
    def name(self) -> Text:
        return "action_remove_post"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        posts = cases.shortlist(tracker.sender_id)
        code = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "post_code":
                code = str(entity["value"])
        if code is None:
            from actions.eligibility import ordinal_from_text

            n = ordinal_from_text(tracker.latest_message.get("text") or "")
            if n and 1 <= n <= len(posts):
                code = posts[n - 1]["post_code"]
        if code is None:
            if not posts:
                say(dispatcher, "shortlist_empty")
                return []
            listing = "\n".join(f"{i}. {p['post_code']}" for i, p in enumerate(posts, 1))
            dispatcher.utter_message(text=f"要移除哪一个？说职位代码或“第几个”：\n{listing}")
            return []
        if cases.remove_from_shortlist(tracker.sender_id, code):
            say(dispatcher, "shortlist_removed", code=code, count=len(cases.shortlist(tracker.sender_id)))
        else:
            say(dispatcher, "shortlist_not_found", code=code)
        return []


# -- step 3: compare --------------------------------------------------------------------------

class ActionCompareRatios(Action):
    def name(self) -> Text:
        return "action_compare_ratios"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        posts = cases.shortlist(tracker.sender_id)
        if not posts:
            say(dispatcher, "shortlist_empty")
            return []
        if len(posts) < SHORTLIST_GOAL:
            say(dispatcher, "compare_need_more", count=len(posts))
        profile = case_profile(tracker)
        swap_map: Dict[str, str] = {}
        by_exam: Dict[tuple, List[str]] = {}
        for p in posts:
            by_exam.setdefault((p["exam"], p["year"]), []).append(p["post_code"])
        for (exam, year), codes in by_exam.items():
            swap_map.update(self._compare(dispatcher, tracker, exam, year, codes, profile))
        return [SlotSet("swap_map", swap_map or None)]

    def _compare(self, dispatcher: CollectingDispatcher, tracker: Tracker, exam: str, year: int,
                 codes: List[str], profile: Dict[str, Any]) -> Dict[str, str]:
        try:
            comparison = api.compare_posts(codes, exam, year, profile=profile)
        except api.PositionsError as exc:
            dispatcher.utter_message(text=str(exc))
            return {}
        rows = comparison.get("posts") or []
        if all(r.get("ratio") is None for r in rows):
            say(dispatcher, "compare_no_ratio", exam=exam)
            return {}
        lines = [f"{exam}{year}：你的{len(rows)}个备选岗位"]
        for r in rows:
            rank, n = r.get("rank_eligible"), r.get("eligible_ranked")
            where = f"，在你能报的{n}个岗位里热门程度排第{rank}" if rank and n else ""
            risk = "  ⚠️千里挑一" if r.get("one_in_a_thousand") else ""
            lines.append(f"· {r['code']} {r.get('name') or ''}：{fmt_ratio(r.get('ratio'))}{where}{risk}")
        dist = comparison.get("eligible_posts") or comparison.get("all_posts") or {}
        if dist.get("median") is not None:
            lines.append(f"对照：你能报的岗位竞争比中位数约{fmt_ratio(dist['median'])}，"
                         f"四分之三的岗位在{fmt_ratio(dist.get('p75'))}以内。")
        hot = [r for r in rows if r.get("one_in_a_thousand")]
        high = [r for r in rows if not r.get("one_in_a_thousand") and dist.get("p90") is not None
                and (r.get("ratio") or 0) > dist["p90"]]
        if high:
            lines.append(f"{'、'.join(r['code'] for r in high)} 比你能报的九成岗位都热门，可以考虑换一换。")
        if hot:
            lines.append("千里挑一的岗位，就算准备得很好也像抽奖，建议换成条件相近、竞争小得多的岗位，把成败放在自己的努力上。")
        dispatcher.utter_message(text="\n".join(lines))

        self._chart(dispatcher, tracker, codes, exam, year, profile)

        swap_map: Dict[str, str] = {}
        buttons = []
        alt_lines = []
        # Alternatives only for posts more crowded than the typical one the student can
        # apply to: a post at 4:1 needs no replacement. They come from the same fit ranking
        # as the eligibility list (bot/coaching/ranking.py), so nothing the student ruled out.
        typical = dist.get("median")
        crowded = sorted((r for r in rows if typical is None or (r.get("ratio") or 0) > typical),
                         key=lambda r: -(r.get("ratio") or 0))
        from bot.coaching.ranking import better_odds

        ranked = ranked_posts(tracker, profile, exam, year) if crowded else []
        for row in crowded:
            code = row["code"]
            for alt in [a for a in better_odds(ranked, code, limit=4) if a["code"] not in codes][:2]:
                if alt["code"] in swap_map:
                    continue
                swap_map[alt["code"]] = code
                alt_lines.append(f"· 替换 {code} → {alt['code']} {alt.get('unit') or alt.get('organ') or ''} · "
                                 f"{alt.get('name') or ''}：{fmt_ratio(alt.get('ratio'))}（{alt.get('why_alternative')}；"
                                 f"{alt.get('why') or ''}）")
                if len(buttons) < 4:
                    buttons.append({"title": f"换成{alt['code']}",
                                    "payload": f'/shortlist_post{{"post_code":"{alt["code"]}"}}'})
        if alt_lines:
            dispatcher.utter_message(text="这些是你也能报、竞争更小的同城或同类岗位：\n" + "\n".join(alt_lines),
                                     buttons=buttons)
        return swap_map

    @staticmethod
    def _chart(dispatcher: CollectingDispatcher, tracker: Tracker, codes: List[str], exam: str, year: int,
               profile: Dict[str, Any]) -> None:
        try:
            png = api.compare_chart(codes, exam, year, profile=profile)
        except Exception as exc:
            logger.warning("chart failed: %s", exc.__class__.__name__)
            return
        token = media.store(tracker.sender_id, "chart", "image/png", "竞争比对比.png", png) \
            if has_consent(tracker) else None
        if token:
            dispatcher.utter_message(image=media.url_for(token, "chart.png"))
