"""The personal career-planning report (PDF and Markdown), stored in the case and sent as
a file link."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import agency, case_profile, has_consent, say
from actions.self_analysis import exam_with_data
from bot import cases, media
from bot.coaching import report as report_lib
from bot.coaching import swot as swot_lib
from bot.positions import api

logger = logging.getLogger(__name__)


def _comparison(sender_id: str, profile: Dict[str, Any]) -> Dict[str, Any]:
    posts = cases.shortlist(sender_id)
    if not posts:
        return {}
    exam, year = posts[0]["exam"], posts[0]["year"]
    codes = [p["post_code"] for p in posts if p["exam"] == exam and p["year"] == year]
    try:
        return api.compare_posts(codes, exam, year, profile=profile)
    except api.PositionsError:
        return {}


class ActionGetReport(Action):
    def name(self) -> Text:
        return "action_get_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        case = cases.case_json(tracker.sender_id, transcript=False)
        if case is None or not has_consent(tracker):
            dispatcher.utter_message(text="生成报告要用到你的资料，需要先同意记录。")
            return []
        profile = case_profile(tracker)
        facts: Dict[str, Any] = {}
        exam, year, _ = exam_with_data(profile)
        if exam:
            try:
                facts = swot_lib.market_facts(profile, exam, year)
            except Exception as exc:
                logger.warning("market facts unavailable: %s", exc.__class__.__name__)
        try:
            built = report_lib.build_report(case, agency_name=agency()["name"], facts=facts,
                                            comparison=_comparison(tracker.sender_id, profile))
        except report_lib.ReportError as exc:
            logger.error("report failed: %s", exc.__class__.__name__)
            cases.add_flag(tracker.sender_id, "report_failed", str(exc))
            say(dispatcher, "report_failed")
            return []
        token = media.new_token()
        cases.add_report(tracker.sender_id, built.markdown, built.pdf, token)
        url = media.url_for(token, "report.pdf")
        say(dispatcher, "report_ready", url=url)
        dispatcher.utter_message(attachment={"type": "file", "url": url, "name": built.filename,
                                             "mime": "application/pdf", "size": len(built.pdf)})
        return []
