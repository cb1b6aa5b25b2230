"""The coaching flows as a student meets them, through Rasa's REST channel (issue 4).

Each test talks to the running Rasa and action servers and then reads the case as a
counselor would (`coach cases show --json`)."""

from __future__ import annotations

import io

import pytest
import requests

from tests.conftest import new_sender

pytestmark = pytest.mark.e2e

INTAKE = ["/affirm", "本科", "法学", "2026", "/affirm", "23", "/inform{\"political_status\":\"共青团员\"}",
          "/inform{\"experience_years\":\"0\"}", "/inform{\"exam\":\"湖北省考\"}", "武汉"]


def onboard(stack, sender=None) -> str:
    """Greeting, consent and a complete intake (a law graduate targeting Hubei)."""
    sender = sender or new_sender("flow")
    stack.say(sender, "你好")
    for text in INTAKE:
        reply = stack.texts(sender, text)
    assert "基本情况记好了" in reply, reply
    return sender


def payloads(messages):
    return [b.get("payload") for m in messages for b in (m.get("buttons") or [])]


def test_self_analysis_with_swot_confirmed(stack):
    sender = onboard(stack)
    reply = stack.texts(sender, "我想做个自我分析")
    assert "什么样的人" in reply
    answers = ["内向但做事踏实", "稳定，离家近", "会写材料，英语六级", "家里支持我考公", "做综合文字工作",
               "考湖北的基层岗位", "看书和写东西", "公平和稳定", "有点拘谨，慢热", "话很多，爱开玩笑",
               "细心，写材料快", "不太自信，不擅长当众讲话"]
    for answer in answers:
        reply = stack.texts(sender, answer)
    assert "SWOT" in reply and "细心" in reply and "不太自信" in reply
    reply = stack.texts(sender, "/deny")
    assert "哪里需要改" in reply
    reply = stack.texts(sender, "优势里加上：普通话二甲")
    assert "普通话二甲" in reply
    reply = stack.texts(sender, "/affirm")
    assert "自我分析就定下来了" in reply
    sa = stack.case(sender)["self_analysis"]
    assert sa["confirmed"] is True
    assert sa["answers"]["strengths"] == "细心，写材料快"
    assert "普通话二甲" in sa["swot"]["S"] and sa["swot"]["O"]


def test_interest_test_scores_and_is_stored(stack):
    sender = onboard(stack)
    reply = stack.say(sender, "做个职业兴趣测评吧")
    assert "喜欢" in payloads(reply)
    for i in range(12):
        reply = stack.texts(sender, "喜欢" if i in (6, 7, 8, 9, 10, 11) else "不喜欢")
    assert "SEC" in reply
    test = stack.case(sender)["interest_test"]
    assert test["code"] == "SEC" and test["completed"] is True


def test_interest_test_survives_a_question_and_a_pause(stack):
    sender = onboard(stack)
    stack.say(sender, "开始兴趣测试")
    stack.say(sender, "喜欢")
    reply = stack.texts(sender, "申论是怎么打分的")
    assert "阅卷" in reply and "第 2/12 题" in reply        # answered, then the test goes on
    reply = stack.texts(sender, "先不做了")
    assert "继续" in reply
    reply = stack.texts(sender, "继续")
    assert "第 2/12 题" in reply


def test_eligibility_check_counts_and_reasons(stack):
    sender = onboard(stack)
    reply = stack.texts(sender, "我能报哪些岗位")
    assert "性别" in reply                                   # the one fact the intake did not ask
    reply = stack.texts(sender, "女")
    assert "湖北省考2026年" in reply and "符合条件" in reply and "差一个条件" in reply
    elig = stack.case(sender)["eligibility"]
    assert elig["exam"] == "湖北省考" and sum(elig["counts"].values()) == 5224
    reply = stack.texts(sender, "第1个详细说说")
    assert "你的情况" in reply and "竞争比" in reply


def test_three_step_strategy_with_chart_and_report(stack):
    sender = onboard(stack)
    stack.say(sender, "我能报哪些岗位")
    stack.say(sender, "男")
    reply = stack.texts(sender, "备考策略怎么做")
    assert "20" in reply and "5个" in reply
    # Step 1: a conversation with a past candidate.
    stack.say(sender, "记录一次访谈")
    for text in ("计算机科学与技术", "国考", "2024", "税务局一级行政执法员", "上岸了", "别只盯着省直"):
        reply = stack.texts(sender, text)
    assert "已访谈 1/20，其中 1 人与你专业不同" in reply
    # Step 2: shortlist two posts from the list shown.
    case = stack.case(sender)
    shown = case["eligibility"]["summary"]["shown"]
    reply = stack.texts(sender, f"把{shown[0]}加入备选")
    assert "加入备选" in reply and "1." in reply
    stack.say(sender, "把第2个也加进去")
    shortlist = stack.case(sender)["shortlist"]
    assert [s["post_code"] for s in shortlist] == shown[:2]
    assert all(len(s["questions"]) >= 10 for s in shortlist)
    # A post the student cannot apply to is refused with the reason.
    reply = stack.texts(sender, "加入备选14230201003000001")
    assert "报不了" in reply
    # Step 3: compare, with the chart as an image.
    messages = stack.say(sender, "比较一下竞争比")
    images = [m["image"] for m in messages if m.get("image")]
    assert images
    png = requests.get(images[0], timeout=30)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    # The report as a PDF with its sections.
    messages = stack.say(sender, "帮我生成生涯规划报告")
    url = next(m["attachment"]["url"] for m in messages if m.get("attachment"))
    pdf = requests.get(url, timeout=60)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for section in ("基本信息", "测评结果", "职业定位", "能力提升计划", "职业发展路径", "培训建议", "备选岗位", "下一步"):
        assert section in text
    assert shown[0] in text
    assert stack.case(sender)["stage"] == "report"


def test_feedback_complaint_and_counselor_also_inside_a_form(stack):
    sender = onboard(stack)
    stack.say(sender, "我想做自我分析")
    reply = stack.texts(sender, "转人工")
    assert "顾问" in reply and "什么样的人" in reply          # flagged, then the form goes on
    reply = stack.texts(sender, "我要投诉，你们的报告一直下载不了")
    assert "投诉已经记录" in reply or "记下你的意见" in reply
    reply = stack.texts(sender, "给个评价")
    assert "1分最低" in reply
    stack.say(sender, "2")
    reply = stack.texts(sender, "回答太慢了")
    assert "抱歉" in reply
    case = stack.case(sender)
    kinds = [f["kind"] for f in case["flags"]]
    assert {"counselor_requested", "complaint", "low_satisfaction"} <= set(kinds)
    assert case["feedback"][0]["score"] == 2 and case["feedback"][0]["comment"] == "回答太慢了"


def test_progress_persists_across_sessions(stack):
    sender = onboard(stack)
    stack.say(sender, "记录一次访谈")
    for text in ("汉语言文学", "河南省考", "2025", "乡镇综合岗", "上岸了", "跳过"):
        stack.say(sender, text)
    stack.restart_rasa()   # a week later, after a restart of the server
    reply = stack.texts(sender, "我现在进度怎么样")
    assert "已访谈 1/20" in reply


def test_a_student_goes_through_everything(stack):
    """One student, the whole method, as a real conversation; then the counselor's view."""
    sender = new_sender("whole")
    say = lambda text: stack.texts(sender, text)  # noqa: E731
    assert "同意" in say("老师好")
    say("/affirm")
    reply = say("我是本科，学会计的，22岁，共青团员，25届的")
    assert "应届" in reply                                   # graduated in 2025: asks about the job-seeking period
    say("是的还没工作")
    say("没有")
    say("河南省考")
    assert "基本情况记好了" in say("郑州")
    assert "43" in say("国考年龄限制是多少")                   # knowledge question, figures from knowledge/
    # Self-analysis, with a question in the middle.
    say("先做自我分析")
    for answer in ("认真负责，有点内向", "稳定和成就感", "做账、Excel熟练", "父母很支持", "财务审计类工作"):
        say(answer)
    reply = say("公务员年终考核怎么算")
    assert "50%" in reply and "最终选择" in reply          # answered, then the next question
    for answer in ("考河南的财政或审计岗", "跑步", "公平", "慢热", "很放松", "细心", "表达能力一般"):
        reply = say(answer)
    assert "SWOT" in reply
    say("/affirm")
    # Interest test.
    say("做兴趣测评")
    for i in range(12):
        reply = say("喜欢" if i >= 8 else "一般")
    assert "兴趣测评结果" in reply
    # Eligibility on the Henan tables.
    say("我能报哪些岗位")
    reply = say("男")
    assert "河南省考2026年" in reply
    shown = stack.case(sender)["eligibility"]["summary"]["shown"]
    # Exam strategy: two interviews, five posts, comparison, report.
    say("三步法怎么做")
    for person in (("计算机科学与技术", "国考", "2024", "海关", "上岸了", "早准备"),
                   ("会计学", "河南省考", "2025", "财政局", "笔试没过", "别报太热门的")):
        say("记录一次访谈")
        for text in person:
            reply = say(text)
    assert "已访谈 2/20，其中 1 人与你专业不同" in reply
    for code in shown[:5]:
        say(f"把{code}加入备选")
    reply = say("比较竞争比")
    assert "没有报名人数" in reply                         # Henan publishes no applicant counts
    stack.say(sender, "生成报告")
    say("给个评价")
    say("5")
    say("很有帮助")
    reply = say("我的数据你们都存了什么")
    assert "2条往届考生访谈记录" in reply and "5个备选岗位" in reply

    case = stack.case(sender)
    assert case["profile"]["major"] == "会计学" and case["profile"]["target_exam"] == "河南省考"
    assert case["self_analysis"]["confirmed"] is True
    assert case["interest_test"]["completed"] is True
    assert case["eligibility"]["exam"] == "河南省考"
    assert len(case["interviews"]) == 2 and len(case["shortlist"]) == 5
    assert all(len(s["questions"]) >= 10 for s in case["shortlist"])
    assert case["reports"] and case["stage"] == "report"
    assert case["feedback"][-1]["score"] == 5
    users = [m for m in case["transcript"] if m["role"] == "user"]
    assert users[-1]["text"] == "我的数据你们都存了什么"
    assert len(case["transcript"]) > 2 * len(users) - 5
