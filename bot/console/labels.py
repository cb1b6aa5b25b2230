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


# -- profile history, the NLU gate, knowledge answers (issues 9 and 10) ----------------------

PROFILE_SOURCE_LABELS = {
    "stated": "学生自述",
    "form": "表单填写",
    "offered": "提问中提到，学生确认后写入",
    "undo": "学生撤销上一次修改",
}

INTENT_LABELS = {
    "greet": "打招呼", "goodbye": "告别", "affirm": "肯定", "deny": "否定", "thank": "感谢",
    "bot_challenge": "问是不是机器人", "out_of_scope": "无关话题", "inform": "提供个人信息",
    "start_self_analysis": "开始自我分析", "start_interest_test": "开始兴趣测试",
    "check_my_eligibility": "核查报考资格", "ask_exam_strategy": "问考试策略",
    "log_candidate_interview": "记录往届考生访谈", "show_progress": "查看进度", "shortlist_post": "加入岗位清单",
    "compare_ratios": "比较竞争比", "ask_post_info": "问岗位信息", "get_report": "生成规划报告",
    "give_feedback": "评价满意度", "complain": "投诉", "request_counselor": "找人工顾问",
    "delete_my_data": "删除我的数据", "show_my_data": "查看我的数据", "restart": "重新开始", "faq": "知识问答",
    "help": "求助", "stop": "停止当前流程", "skip_question": "跳过问题", "resume": "继续流程",
    "remove_post": "移出岗位清单", "follow_up": "追问", "undo": "撤销修改", "check_major": "专业对口查询",
    "set_preferences": "设置偏好", "make_study_plan": "制定备考计划", "adjust_plan": "调整备考计划",
    "plan_checkin": "备考打卡", "nlu_fallback": "未理解",
}

GATE_REASON_LABELS = {
    "no_cue": "消息里没有要求这项操作的说法",
    "question_about_action": "是在问这项操作，而不是要求去做",
    "question_about_flow": "是在问这个流程，而不是要开始它",
}

ENTITY_LABELS = {**PROFILE_LABELS, "location": "地区", "exam": "考试", "post_code": "职位代码"}

ENTITY_ROLE_LABELS = {
    "mentioned": "提到但非本人信息",
    "offered": "本人信息，待学生确认",
    "followup": "追问的新目标",
    "parameter": "本次请求的参数",
}

GAP_KIND_LABELS = {
    "fallback": "未理解",
    "low": "低置信度回答",
    "oos": "判为无关",
}


def intent_label(name: Optional[str]) -> str:
    if not name:
        return "—"
    return INTENT_LABELS.get(name, name)
