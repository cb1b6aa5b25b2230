"""Chinese labels of the values the console shows, and local-time formatting."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import settings

STAGES = ("intake", "self_analysis", "eligibility", "shortlist", "report")
STAGE_LABELS = {
    "intake": "基本信息",
    "self_analysis": "自我分析",
    "eligibility": "资格核查",
    "shortlist": "岗位筛选",
    "report": "规划报告",
}

REVIEW_STATUSES = ("new", "reviewed", "follow_up")
REVIEW_LABELS = {"new": "待审阅", "reviewed": "已审阅", "follow_up": "需跟进"}

FLAG_KINDS = ("counselor_requested", "complaint", "low_satisfaction", "fallback_heavy")
FLAG_LABELS = {
    "counselor_requested": "请求人工",
    "complaint": "投诉",
    "low_satisfaction": "满意度低（≤2分）",
    "fallback_heavy": "多次未理解",
}

CHANNEL_LABELS = {
    "telegram": "Telegram",
    "webchat": "网页聊天",
    "web": "网页聊天",
    "socketio": "网页聊天",
    "rest": "REST 接口",
}

ROLE_LABELS = {"counselor": "顾问", "admin": "管理员"}

PROFILE_LABELS = {
    "age": "年龄",
    "gender": "性别",
    "education": "学历",
    "degree": "学位",
    "major": "专业",
    "major_code": "专业代码",
    "major_raw": "专业（学生原话）",
    "grad_year": "毕业年份",
    "fresh_graduate": "应届毕业生",
    "political_status": "政治面貌",
    "experience_years": "基层工作年限",
    "hukou": "户籍",
    "target_region": "目标地区",
    "target_exam": "目标考试",
    "target_year": "目标年份",
}

SWOT_LABELS = {
    "strengths": "优势（S）", "weaknesses": "劣势（W）", "opportunities": "机会（O）", "threats": "威胁（T）",
    "S": "优势（S）", "W": "劣势（W）", "O": "机会（O）", "T": "威胁（T）",
}

INTERVIEW_TARGET = 20
SHORTLIST_TARGET = 5
QUESTIONS_TARGET = 10


def channel_label(value: Optional[str]) -> str:
    if not value:
        return "—"
    return CHANNEL_LABELS.get(value, value)


@lru_cache(maxsize=1)
def local_zone() -> dt.tzinfo:
    name = str(settings().get("console", {}).get("timezone") or "Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def local(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    value = aware(value)
    return value.astimezone(local_zone()) if value else None


def fmt_time(value: Optional[dt.datetime], seconds: bool = False) -> str:
    v = local(value)
    if v is None:
        return "—"
    return v.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_bool(value: Optional[bool]) -> str:
    if value is None:
        return "—"
    return "是" if value else "否"


def today_local() -> dt.date:
    return dt.datetime.now(local_zone()).date()


def day_bounds(day: dt.date) -> tuple:
    """UTC start and end (exclusive) of a local calendar day."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=local_zone())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=local_zone())
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
