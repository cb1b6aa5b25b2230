"""Custom actions of the coaching flows (issue 4), with CollectingDispatcher and Tracker."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import closure, eligibility, flow_control, interest_test, report, self_analysis, strategy
from bot import cases, media
from bot.coaching import riasec
from tests.conftest import new_sender
from tests.test_actions_foundation import DOMAIN, make_tracker, run, slots_of, texts

LAW_GRAD = {"age": 23, "education": "本科", "degree": "学士", "major": "法学", "major_code": "030101K",
            "grad_year": 2026, "fresh_graduate": True, "political_status": "共青团员", "experience_years": 0.0,
            "target_exam": "湖北省考", "target_region": "湖北·武汉市", "gender": "女"}


def student(profile=None) -> str:
    sender = new_sender("c")
    cases.record_consent(sender, True, "v1")
    cases.save_profile(sender, **(profile or LAW_GRAD))
    return sender


def consented(sender, **kw):
    slots = {"consent": "given", **kw.pop("slots", {})}
    return make_tracker(sender, slots=slots, **kw)


def _validate(form, tracker):
    d = CollectingDispatcher()
    extraction = asyncio.run(form.get_extraction_events(d, tracker, DOMAIN))
    for e in extraction:
        tracker.slots[e["name"]] = e["value"]
        tracker.events.append(e)
    return d, extraction, slots_of(asyncio.run(form.get_validation_events(d, tracker, DOMAIN)))


# -- self-analysis -----------------------------------------------------------------------

def test_self_analysis_answers_are_saved_as_they_come(loaded_db):
    sender = student()
    t = consented(sender, slots={"requested_slot": "sa_strengths"}, text="细心，写材料快", intent="inform")
    _, extraction, out = _validate(self_analysis.ValidateSelfAnalysisForm(), t)
    assert out == {"sa_strengths": "细心，写材料快"}
    assert cases.load_self_analysis(sender)["answers"] == {"strengths": "细心，写材料快"}
    # A knowledge question is not taken as the answer.
    t = consented(sender, slots={"requested_slot": "sa_values"}, text="公务员有哪些义务", intent="faq")
    _, extraction, out = _validate(self_analysis.ValidateSelfAnalysisForm(), t)
    assert extraction == [] and out == {}


def test_swot_summary_uses_the_students_words_and_the_tables(loaded_db):
    sender = student()
    cases.save_self_analysis(sender, answers={"strengths": "细心；写作能力强", "weaknesses": "不太自信"})
    d, events = run(self_analysis.ActionSwotSummary(), consented(sender))
    text = texts(d)
    assert "细心" in text and "写作能力强" in text and "不太自信" in text
    assert "【机会" in text or "机会" in text
    assert slots_of(events)["awaiting"] == "swot_confirmation"
    stored = cases.load_self_analysis(sender)
    assert stored["swot"]["S"] and stored["swot"]["O"] and stored["confirmed"] is False
    run(self_analysis.ActionSwotConfirm(), consented(sender))
    assert cases.load_self_analysis(sender)["confirmed"] is True
    assert cases.case_json(sender)["stage"] == "self_analysis"


@pytest.mark.parametrize("text,key,present,absent", [
    ("优势里加上：英语六级", "S", "英语六级", None),
    ("劣势里的“不太自信”去掉", "W", None, "不太自信"),
    ("W 删掉 不太自信", "W", None, "不太自信"),
])
def test_swot_amendments(text, key, present, absent):
    swot = {"S": ["细心"], "W": ["不太自信"], "O": [], "T": []}
    new, applied = self_analysis.apply_amendment(swot, text)
    assert applied
    if present:
        assert present in new[key]
    if absent:
        assert all(absent not in x for x in new[key])


def test_unparsed_amendment_is_kept_as_a_note():
    new, applied = self_analysis.apply_amendment({"S": []}, "整体感觉太乐观了")
    assert not applied and new["notes"] == ["整体感觉太乐观了"]


# -- interest test -----------------------------------------------------------------------

def test_interest_answers_and_result(loaded_db):
    sender = student()
    form = interest_test.ValidateInterestTestForm()
    t = consented(sender, slots={"requested_slot": "it_S1"}, text="不喜欢", intent="deny")
    _, _, out = _validate(form, t)
    assert out == {"it_S1": 0}
    t = consented(sender, slots={"requested_slot": "it_S2"}, text="随便吧哈哈", intent="nlu_fallback")
    d, _, out = _validate(form, t)
    assert out == {"it_S2": None} and "喜欢" in texts(d)
    answers = {f"it_{i.id}": (2 if i.type in "SEC" else 0) for i in riasec.items()}
    d, events = run(interest_test.ActionInterestResult(), consented(sender, slots=answers))
    assert "SEC" in texts(d)
    case = cases.case_json(sender)
    assert case["interest_test"]["code"] == "SEC" and case["interest_test"]["completed"] is True
    assert all(v is None for v in slots_of(events).values())   # ready for a retake


# -- eligibility -------------------------------------------------------------------------

@pytest.mark.parametrize("text,n", [("第二个", 2), ("第2个详细说说", 2), ("3号岗位", 3), ("把第一个加进去", 1), ("没有序号", None)])
def test_ordinals(text, n):
    assert eligibility.ordinal_from_text(text) == n


def test_check_eligibility_counts_best_matches_and_near_misses(loaded_db):
    sender = student()
    d, events = run(eligibility.ActionCheckEligibility(), consented(sender, intent="check_my_eligibility"))
    text = texts(d)
    assert "湖北省考2026年" in text and "符合条件" in text and "需要向招录单位确认" in text
    assert "差一个条件" in text
    shown = slots_of(events)["last_list"]
    assert len(shown) == 5 and all(len(c) == 17 for c in shown)
    case = cases.case_json(sender)
    assert case["eligibility"]["exam"] == "湖北省考" and sum(case["eligibility"]["counts"].values()) == 5224
    assert case["stage"] == "eligibility"


def test_check_eligibility_without_tables_for_the_exam_offers_others(loaded_db):
    sender = student({**LAW_GRAD, "target_exam": "国考"})
    d, _ = run(eligibility.ActionCheckEligibility(), consented(sender, intent="check_my_eligibility"))
    assert "国考" in texts(d) and "没有导入" in texts(d)
    payloads = [b["payload"] for m in d.messages for b in m.get("buttons") or []]
    assert any("湖北省考" in p for p in payloads) and any("河南省考" in p for p in payloads)


def test_post_info_by_ordinal(loaded_db):
    sender = student()
    shown = ["14230201003000001"]
    d, _ = run(eligibility.ActionPostInfo(), consented(sender, text="第1个详细说说", slots={"last_list": shown}))
    text = texts(d)
    assert "14230201003000001" in text and "文字综合岗" in text and "竞争比" in text
    assert "不符合" in text and "研究生" in text    # the student is an undergraduate


# -- exam strategy -----------------------------------------------------------------------

def _eligible_codes(n):
    from bot.positions import api

    rows = api.search_posts("湖北省考", 2026, profile=LAW_GRAD, verdict="eligible", sort="-ratio", limit=n)
    return [r["code"] for r in rows]


def test_shortlist_eligible_post_with_questions(loaded_db):
    sender = student()
    code = _eligible_codes(1)[0]
    d, _ = run(strategy.ActionShortlistPost(), consented(sender, entities=[{"entity": "post_code", "value": code}]))
    assert "加入备选" in texts(d)
    entry = cases.shortlist(sender)[0]
    assert entry["post_code"] == code and len(entry["questions"]) >= 10
    d, _ = run(strategy.ActionShortlistPost(), consented(sender, entities=[{"entity": "post_code", "value": code}]))
    assert "已经在你的备选里" in texts(d)


def test_shortlist_refuses_a_post_the_student_cannot_apply_to(loaded_db):
    sender = student()
    d, _ = run(strategy.ActionShortlistPost(), consented(sender, text="把14230201003000001加入备选"))
    assert "报不了" in texts(d) and "研究生" in texts(d)
    assert cases.shortlist(sender) == []


def test_shortlist_needs_confirmation_then_confirmed(loaded_db):
    from bot.positions import api

    sender = student()
    rows = api.search_posts("湖北省考", 2026, profile=LAW_GRAD, verdict="needs_confirmation", limit=1)
    code = rows[0]["code"]
    d, events = run(strategy.ActionShortlistPost(), consented(sender, text=f"加入备选{code}"))
    assert slots_of(events) == {"pending_post": code, "awaiting": "shortlist_confirmation"}
    assert cases.shortlist(sender) == []
    d, _ = run(strategy.ActionConfirmShortlist(), consented(sender, slots={"pending_post": code}))
    assert [e["post_code"] for e in cases.shortlist(sender)] == [code]


def test_remove_post(loaded_db):
    sender = student()
    code = _eligible_codes(1)[0]
    cases.add_to_shortlist(sender, "湖北省考", 2026, code, [])
    d, _ = run(strategy.ActionRemovePost(), consented(sender, text="第一个不要了"))
    assert "已把" in texts(d) and cases.shortlist(sender) == []


def test_compare_flags_hot_posts_sends_chart_and_offers_swaps(loaded_db):
    sender = student()
    for code in _eligible_codes(3):
        cases.add_to_shortlist(sender, "湖北省考", 2026, code, [])
    d, events = run(strategy.ActionCompareRatios(), consented(sender))
    text = texts(d)
    assert "还差" in text or "至少挑5个" in text
    assert "竞争比中位数" in text
    images = [m["image"] for m in d.messages if m.get("image")]
    assert len(images) == 1
    token = images[0].split("/webhooks/media/")[1].split("/")[0]
    content_type, _, data = media.fetch(token)
    assert content_type == "image/png" and data[:4] == b"\x89PNG"
    swap = slots_of(events)["swap_map"]
    assert swap and set(swap.values()) <= set(_eligible_codes(3))
    # Swapping in an alternative replaces the post it was proposed for.
    new, old = next(iter(swap.items()))
    run(strategy.ActionShortlistPost(), consented(sender, entities=[{"entity": "post_code", "value": new}],
                                                  slots={"swap_map": swap}))
    codes = [e["post_code"] for e in cases.shortlist(sender)]
    assert new in codes and old not in codes


def test_interview_saved_and_progress_counts_other_majors(loaded_db):
    sender = student()
    slots = {"iv_major": "计算机科学与技术", "iv_exam": "国考", "iv_year": 2024, "iv_post": "税务局一级行政执法员",
             "iv_result": "上岸了", "iv_advice": "别扎堆省直"}
    d, events = run(strategy.ActionSaveInterview(), consented(sender, slots=slots))
    assert "已访谈 1/20，其中 1 人与你专业不同" in texts(d)
    assert cases.case_json(sender)["interviews"][0]["advice"] == "别扎堆省直"
    assert all(v is None for v in slots_of(events).values())
    d, _ = run(strategy.ActionSaveInterview(), consented(sender, slots={**slots, "iv_major": "法学"}))
    assert "已访谈 2/20，其中 1 人与你专业不同" in texts(d)


def test_interview_form_prefills_from_the_first_message(loaded_db):
    form = strategy.ValidateInterviewForm()
    t = consented(student(), text="采访了一位社会工作专业的学姐", intent="log_candidate_interview",
                  entities=[{"entity": "major", "value": "社会工作"}])
    _, extraction, out = _validate(form, t)
    assert out["iv_major"] == "社会工作"


# -- report ------------------------------------------------------------------------------

def test_report_is_built_stored_and_sent_as_a_file(loaded_db):
    sender = student()
    cases.add_to_shortlist(sender, "湖北省考", 2026, _eligible_codes(1)[0], ["问题一"])
    d, _ = run(report.ActionGetReport(), consented(sender))
    attachment = next(m["attachment"] for m in d.messages if m.get("attachment"))
    assert attachment["name"].endswith(".pdf")
    token = attachment["url"].split("/webhooks/media/")[1].split("/")[0]
    content_type, _, pdf = media.fetch(token)
    assert content_type == "application/pdf" and pdf[:4] == b"%PDF"
    case = cases.case_json(sender)
    assert case["reports"] and case["stage"] == "report"


# -- closure -----------------------------------------------------------------------------

def test_low_feedback_is_flagged(loaded_db):
    sender = student()
    d, _ = run(closure.ActionSaveFeedback(), consented(sender, slots={"fb_score": 2, "fb_comment": "太慢了"}))
    case = cases.case_json(sender)
    assert case["feedback"][0] == {**case["feedback"][0], "score": 2, "comment": "太慢了"}
    assert [f["kind"] for f in case["flags"]] == ["low_satisfaction"]
    assert "小时内" in texts(d)


def test_complaint_with_details_is_recorded_at_once(loaded_db):
    sender = student()
    d, events = run(closure.ActionComplain(), consented(sender, text="我要投诉，报告一直生成不出来", intent="complain"))
    assert slots_of(events) == {"complaint_needs_detail": False}
    assert cases.case_json(sender)["flags"][0]["detail"] == "我要投诉，报告一直生成不出来"
    d, events = run(closure.ActionComplain(), consented(sender, text="我要投诉", intent="complain"))
    assert slots_of(events) == {"complaint_needs_detail": True}


def test_request_counselor_flags_the_case(loaded_db):
    sender = student()
    d, _ = run(closure.ActionRequestCounselor(), consented(sender, text="转人工"))
    assert "顾问" in texts(d) and cases.case_json(sender)["flags"][0]["kind"] == "counselor_requested"
    d, ev = run(closure.ActionRequestCounselor(), make_tracker(new_sender(), text="转人工"))
    assert slots_of(ev)["awaiting"] == "consent"


@pytest.mark.parametrize("text,score", [("5", 5), ("给你们打4分", 4), ("非常满意", 5), ("不太满意", 2), ("随便", None)])
def test_feedback_scores(text, score):
    assert closure.parse_score(text) == score


# -- flow control ------------------------------------------------------------------------

def test_switch_and_resume(loaded_db):
    d, events = run(flow_control.ActionSwitchFlow(), make_tracker(active_loop="self_analysis_form"))
    assert slots_of(events)["paused_form"] == "self_analysis_form" and "自我分析" in texts(d)
    d, events = run(flow_control.ActionResumeForm(), make_tracker(slots={"paused_form": "self_analysis_form"}))
    assert slots_of(events) == {"paused_form": None}


def test_generated_rules_are_current():
    from bot.dialogue_rules import main

    assert main(["--check"]) == 0


@pytest.mark.parametrize("text,intent,confidence,interrupts", [
    ("会写材料，英语六级", "faq", 1.0, False),          # an answer, whatever the classifier thinks
    ("公平和稳定", "faq", 1.0, False),
    ("内向但做事踏实", "start_self_analysis", 0.95, False),
    ("申论是怎么打分的", "faq", 0.99, True),             # a question phrased as one
    ("先不做了", "stop", 0.97, True),
    ("转人工", "request_counselor", 0.99, True),
    ("算了还是先做兴趣测试吧", "start_interest_test", 0.98, True),
    ("/start_interest_test", "start_interest_test", 1.0, True),
    ("/inform{\"education\":\"本科\"}", "inform", 1.0, False),
    ("话很多，爱开玩笑", "out_of_scope", 0.95, False),
    ("表达能力一般", "give_feedback", 0.97, False),      # not a rating
    ("给你们打个5分", "give_feedback", 0.97, True),
    ("我要投诉你们", "complain", 0.9, True),
])
def test_free_text_interruptions(text, intent, confidence, interrupts):
    from actions.common import is_free_text_interruption

    t = make_tracker(text=text, intent=intent, confidence=confidence)
    assert is_free_text_interruption(t, own_intent="start_self_analysis") is interrupts


def test_answers_in_own_words_do_not_change_the_profile(loaded_db):
    from actions.intake import ValidateSlotMappings

    sender = student()
    t = consented(sender, slots={"major": "英语六级", "requested_slot": "sa_what_can_do"}, text="会写材料，英语六级",
                  intent="faq", entities=[{"entity": "major", "value": "英语六级", "extractor": "DIETClassifier"}],
                  active_loop="self_analysis_form",
                  events=[{"event": "user", "text": "x"}, {"event": "slot", "name": "major", "value": "英语六级"}])
    d = CollectingDispatcher()
    out = slots_of(asyncio.run(ValidateSlotMappings().get_validation_events(d, t, DOMAIN)))
    assert out == {"major": "法学"} and d.messages == []
    assert cases.load_profile(sender)["major"] == "法学"


def _major(text, value):
    start = text.index(value)
    return [{"entity": "major", "value": value, "start": start, "end": start + len(value)}]


def test_major_check_reads_which_major_the_question_is_about():
    from actions.major_check import parse_request

    text = "我是本科计算机科学与技术，能报计算机类的岗位吗"
    major, level, _, target = parse_request(text, _major(text, "计算机科学与技术"), {})
    assert (major, level, target) == ("计算机科学与技术", "本科", "计算机类")
    # A major someone did not study is not the one to check: the student's own is.
    text = "本科专业不是计算机科学的程序员，能报考计算机类的岗位吗？"
    major, level, _, target = parse_request(text, _major(text, "计算机科学"), {"major": "法学", "education": "本科"})
    assert (major, level, target) == ("法学", "本科", "计算机类")
    assert parse_request(text, _major(text, "计算机科学"), {})[0] is None      # then the assistant asks
