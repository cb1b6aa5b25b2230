"""The wording rules of bot/nlu/speech_act.py: questions vs requests, whose facts, follow-ups."""

from __future__ import annotations

import pytest

from bot.nlu import speech_act as sa


def _entities(text, values):
    out = []
    for value, kind in values:
        start = sa.fold(text).find(value)
        assert start >= 0, value
        out.append({"entity": kind, "start": start, "end": start + len(value), "value": value})
    return out


@pytest.mark.parametrize("intent,text", [
    ("complain", "想了解对应岗位的薪资，有什么渠道？"),
    ("log_candidate_interview", "面试是一定要提供原单位同意报考证明，这个如何解决？"),
    ("log_candidate_interview", "如果考不上，事业编能考虑吗？"),
    ("give_feedback", "面试班是否有必要报？"),
    ("give_feedback", "遴选真的很难吗？"),
    ("give_feedback", "行测考了70分算高吗"),
    ("request_counselor", "老师好，请问专科能考吗"),
    ("shortlist_post", "备选岗位一般选几个合适"),
    ("restart", "考不上还能重新考吗"),
    ("start_self_analysis", "当公务员到底是好是坏，优缺点帮我分析分析"),
    # Another report named in passing is not the student's report; a name is not "go on".
    ("get_report", "单位让写半年总结报告"),
    ("get_report", "体检报告要自己带吗"),
    ("get_report", "我爸的体检报告会影响我政审吗"),
    ("resume", "周杰伦的资料"),
    ("resume", "回到老家考还是留在省会"),
])
def test_questions_that_share_words_with_a_request_are_not_that_request(intent, text):
    assert not sa.judge(intent, text).keep


@pytest.mark.parametrize("intent,text", [
    ("complain", "我要投诉，你们回答得太敷衍了"),
    ("log_candidate_interview", "今天跟一个上岸的学姐聊了聊，帮我记一下"),
    ("give_feedback", "给你们打5分"),
    ("give_feedback", "对我帮助很大"),
    ("request_counselor", "转人工"),
    ("request_counselor", "我想找个真人顾问聊聊"),
    ("delete_my_data", "帮我删除我的数据"),
    ("restart", "重新开始"),
    ("get_report", "帮我生成规划报告"),
    ("get_report", "把我的报告导出来"),
    ("resume", "好了，接着刚才的填"),
    ("shortlist_post", "把第一个加入备选"),
    ("shortlist_post", "把第2个也加进去"),
    ("check_my_eligibility", "我能报哪些岗位？"),
    ("start_interest_test", "我想做个兴趣测试"),
])
def test_requests_in_so_many_words_are_kept(intent, text):
    assert sa.judge(intent, text).keep


@pytest.mark.parametrize("intent,text", [
    ("delete_my_data", "你们会删除我的数据吗"),
    ("get_report", "报告里面有什么内容"),
    ("start_interest_test", "兴趣测试准吗"),
])
def test_a_question_about_a_request_is_confirmed_first(intent, text):
    verdict = sa.judge(intent, text)
    assert not verdict.keep and verdict.ask


def test_payloads_and_other_intents_are_untouched():
    assert sa.judge("complain", "/complain").keep
    assert sa.judge("faq", "公务员有哪些义务").keep
    assert sa.judge("inform", "我是本科").keep


@pytest.mark.parametrize("text,values,roles", [
    # facts inside a question, a hypothetical or about someone else: not the profile
    ("本科专业不是计算机科学的程序员，能报考计算机类的岗位吗？", [("计算机科学", "major")], ["mentioned"]),
    ("专科专业不是计算机专业，后来通过自考本科，能考吗？", [("专科", "education"), ("本科", "education")],
     ["mentioned", "mentioned"]),
    ("27岁还来得及吗", [("27", "age")], ["mentioned"]),
    ("如果我是专科呢", [("专科", "education")], ["mentioned"]),
    ("我朋友是法学专业的，他能考吗", [("法学", "major")], ["mentioned"]),
    ("2016年应届生法语招聘", [("法语", "major")], ["mentioned"]),
    # the student's own facts inside a question: offered
    ("我今年27岁，还来得及吗", [("27", "age")], ["offered"]),
    ("我是会计学本科，能报什么", [("会计学", "major"), ("本科", "education")], ["offered", "offered"]),
    # statements and answers: the student's own (no role)
    ("本科", [("本科", "education")], [None]),
    ("会计学吧", [("会计学", "major")], [None]),
    ("不对，我是硕士", [("硕士", "education")], [None]),
    ("我本科，学法学的，今年23岁，团员", [("本科", "education"), ("法学", "major"), ("23", "age"),
                                        ("团员", "political_status")], [None, None, None, None]),
    ("我是2025年毕业的，学的会计，现在在一家公司上班", [("会计", "major")], [None]),
    ("我朋友学的会计，我是法学", [("会计", "major"), ("法学", "major")], ["mentioned", None]),
    # exams and regions: a target only when stated as one
    ("我想考湖北", [("湖北", "location")], [None]),
    ("湖北省考什么时候报名", [("湖北省考", "exam")], ["mentioned"]),
    ("看湖北省考2026的岗位", [("湖北省考", "exam")], ["parameter"]),
])
def test_entity_roles(text, values, roles):
    entities = _entities(text, values)
    assert [sa.entity_role(text, e, others=entities) for e in entities] == roles


@pytest.mark.parametrize("text,expected", [
    ("那湖北的呢", True), ("广东呢", True), ("换成国考看看", True), ("那河南省考的呢？", True),
    ("湖北省考什么时候报名", False), ("我想考湖北，能报哪些岗位", False),
])
def test_follow_ups(text, expected):
    kind = "exam" if "考" in text else "location"
    value = next(v for v in ("河南省考", "国考", "湖北", "广东") if v in text)
    assert sa.is_followup(text, _entities(text, [(value, kind)])) is expected


def test_no_follow_up_without_a_target():
    assert not sa.is_followup("那呢", [])


@pytest.mark.parametrize("text,n", [("第一个岗位详细说说", 1), ("第3个", 3), ("第十二个", 12), ("最后一个", -1),
                                    ("上面那个", 0), ("这个岗位怎么样", 0), ("岗位怎么选", None)])
def test_ordinals(text, n):
    assert sa.ordinal(text) == n


def test_two_questions_are_split_and_one_is_not():
    spans = sa.split_questions("国考几月报名？专科能报吗？")
    assert [s[2] for s in spans] == ["国考几月报名?", "专科能报吗?"]
    assert len(sa.split_questions("国考几月报名")) == 1
