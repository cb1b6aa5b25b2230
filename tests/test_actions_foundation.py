"""Custom actions of the foundation flows, run with CollectingDispatcher and a Tracker."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import consent, data_rights, faq, flow_control, intake, session
from bot import cases
from bot.privacy import ERASE_SLOT

DOMAIN: Dict[str, Any] = {"slots": {}, "forms": {}}


def make_tracker(sender: str = "u1", slots: Optional[Dict[str, Any]] = None, text: str = "",
                 intent: str = "inform", entities: Optional[List[Dict[str, Any]]] = None,
                 events: Optional[List[Dict[str, Any]]] = None, active_loop: Optional[str] = None,
                 response_key: Optional[str] = None, confidence: float = 0.95) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "entities": entities or []}
    if response_key:
        latest["response_selector"] = {"faq": {"response": {"intent_response_key": response_key}}}
    events = list(events or [])
    if not any(e.get("event") == "user" for e in events):
        events.append({"event": "user", "text": text})
    return Tracker(sender, dict(slots or {}), latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, tracker, domain=DOMAIN):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher, events


def texts(dispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def slots_of(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# -- consent -------------------------------------------------------------------------------

def test_greet_new_student_gets_agreement_and_buttons(sqlite_url):
    d, events = run(consent.ActionGreet(), make_tracker(intent="greet"))
    assert "谁能看" in texts(d) and "存多久" in texts(d)
    assert [b["payload"] for m in d.messages for b in m["buttons"]] == ["/affirm", "/deny"]
    assert slots_of(events) == {"awaiting": "consent", "intro_shown": True}


def test_greet_returning_student_is_welcomed_back(sqlite_url):
    d, events = run(consent.ActionGreet(), make_tracker(slots={"consent": "given"}, intent="greet"))
    assert "欢迎回来" in texts(d) and events == []
    assert any(b["payload"] == "/resume" for m in d.messages for b in m["buttons"])  # intake unfinished


def test_record_consent_given_and_refused(sqlite_url):
    d, events = run(consent.ActionRecordConsent(), make_tracker("yes", intent="affirm"))
    assert slots_of(events)["consent"] == "given"
    assert cases.consent_state("yes")["given"] is True
    d, events = run(consent.ActionRecordConsent(), make_tracker("no", intent="deny", slots={"age": 20}))
    assert slots_of(events) == {"consent": "refused", "awaiting": None, "age": None}
    assert cases.consent_state("no") is None


# -- validation ----------------------------------------------------------------------------

def _validate(tracker):
    action = intake.ValidateSlotMappings()
    d = CollectingDispatcher()
    events = asyncio.run(action.get_validation_events(d, tracker, DOMAIN))
    return d, slots_of(events)


def _with_turn(slots: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [{"event": "user", "text": "x"}] + [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]


def test_validation_without_consent_clears_personal_slots(sqlite_url):
    t = make_tracker("anon", slots={"age": "23", "education": "本科"}, events=_with_turn({"age": "23", "education": "本科"}))
    d, out = _validate(t)
    assert out == {"age": None, "education": None}
    assert cases.case_json("anon") is None


def test_validation_normalises_and_saves(sqlite_url):
    cases.record_consent("v1", True, "x")
    turn = {"age": "23", "education": "本科学历", "political_status": "党员", "major": "学法学的"}
    t = make_tracker("v1", slots={"consent": "given", **turn}, events=_with_turn(turn),
                     entities=[{"entity": "major", "value": "法学", "extractor": "SpacyEntityExtractor"},
                               {"entity": "major", "value": "学法学的", "extractor": "DIETClassifier"}])
    d, out = _validate(t)
    assert out == {"age": 23, "education": "本科", "political_status": "中共党员", "major": "法学"}
    profile = cases.load_profile("v1")
    assert profile["degree"] == "学士" and profile["major_code"] == "030101K"
    assert d.messages == []  # nothing to say when all is well


def test_validation_rejects_and_keeps_previous_value(sqlite_url):
    cases.record_consent("v2", True, "x")
    cases.save_profile("v2", age=24)
    t = make_tracker("v2", slots={"consent": "given", "age": "300"}, events=_with_turn({"age": "300"}))
    d, out = _validate(t)
    assert out == {"age": 24}
    assert "300岁" in texts(d)


def test_correction_is_announced(sqlite_url):
    cases.record_consent("v3", True, "x")
    cases.save_profile("v3", education="本科")
    t = make_tracker("v3", slots={"consent": "given", "education": "硕士"}, events=_with_turn({"education": "硕士"}))
    d, out = _validate(t)
    assert out == {"education": "硕士研究生"}
    assert "“本科”改为“硕士研究生”" in texts(d)
    assert cases.load_profile("v3")["degree"] == "硕士"


def test_grad_year_infers_fresh_graduate(sqlite_url):
    cases.record_consent("v4", True, "x")
    t = make_tracker("v4", slots={"consent": "given", "grad_year": "2030"}, events=_with_turn({"grad_year": "2030"}))
    d, out = _validate(t)
    assert out == {"grad_year": 2030, "fresh_graduate": True}
    assert "应届" in texts(d)


def test_target_exam_is_normalised_and_recorded_with_its_message(sqlite_url):
    cases.record_consent("v5", True, "x")
    t = make_tracker("v5", slots={"consent": "given", "target_exam": "河南"}, text="我打算考河南",
                     events=_with_turn({"target_exam": "河南"}))
    _, out = _validate(t)
    assert out["target_exam"] == "河南省考"
    history = cases.profile_history("v5")
    assert [(h["field"], h["old"], h["new"], h["message"]) for h in history] == [
        ("target_exam", None, "河南省考", "我打算考河南")]


def test_form_reads_the_requested_answer_from_raw_text(sqlite_url):
    form = intake.ValidateIntakeForm()
    d = CollectingDispatcher()
    for slot, text, intent in [("age", "24", "nlu_fallback"), ("experience_years", "没有", "deny"),
                               ("major", "区块链工程", "inform")]:
        t = make_tracker("f", slots={"consent": "given", "requested_slot": slot}, text=text, intent=intent)
        assert slots_of(asyncio.run(form.get_extraction_events(d, t, DOMAIN))) == {slot: text}
    # An interruption is not taken as the answer.
    t = make_tracker("f", slots={"consent": "given", "requested_slot": "age"}, text="年龄限制是多少", intent="faq")
    assert asyncio.run(form.get_extraction_events(d, t, DOMAIN)) == []
    # Already filled from an entity this turn: nothing to do.
    t = make_tracker("f", slots={"consent": "given", "requested_slot": "age", "age": "24"}, text="24岁",
                     events=_with_turn({"age": "24"}))
    assert asyncio.run(form.get_extraction_events(d, t, DOMAIN)) == []


def test_confirm_profile_update(sqlite_url):
    events = [{"event": "slot", "name": "education", "value": "本科"}, {"event": "user", "text": "我是党员"},
              {"event": "slot", "name": "political_status", "value": "中共党员"}]
    t = make_tracker("p", slots={"consent": "given", "education": "本科", "political_status": "中共党员"},
                     events=events, text="我是党员")
    d, _ = run(intake.ActionConfirmProfileUpdate(), t)
    assert "政治面貌：中共党员" in texts(d) and "还差" in texts(d)
    d, ev = run(intake.ActionConfirmProfileUpdate(), make_tracker("p2", text="我23岁"))
    assert "没有保存" in texts(d) and slots_of(ev)["awaiting"] == "consent"


def test_skip_pause_resume(sqlite_url):
    d, ev = run(flow_control.ActionSkipQuestion(), make_tracker(slots={"requested_slot": "age"}, active_loop="intake_form"))
    assert slots_of(ev) == {"age": "未填写"}
    d, ev = run(flow_control.ActionPauseForm(), make_tracker(active_loop="intake_form"))
    assert any(e["event"] == "active_loop" and e["name"] is None for e in ev)
    assert slots_of(ev)["paused_form"] == "intake_form"
    d, ev = run(flow_control.ActionResumeForm(), make_tracker(slots={"age": "未填写", "education": "本科"}))
    assert slots_of(ev) == {"paused_form": None, "age": None}


def test_ask_actions_exist_for_every_intake_slot():
    from actions.common import INTAKE_SLOTS

    for slot in INTAKE_SLOTS:
        action = getattr(intake, "ActionAsk" + "".join(p.title() for p in slot.split("_")))()
        d, _ = run(action, make_tracker())
        assert action.name() == f"action_ask_{slot}" and texts(d)


# -- session, data rights, faq -----------------------------------------------------------

def test_session_start_restores_consented_profile(sqlite_url):
    from actions.common import agency

    cases.record_consent("r1", True, agency()["consent_version"])
    cases.save_profile("r1", age=25, major="法学")
    _, events = run(session.ActionSessionStart(), make_tracker("r1"))
    s = slots_of(events)
    assert s["consent"] == "given" and s["age"] == 25 and s["major"] == "法学"
    assert s["agency_name"] and "age_limit_table" not in s
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"


def test_session_start_asks_again_after_agreement_changes(sqlite_url):
    cases.record_consent("r2", True, "an-old-version")
    cases.save_profile("r2", age=25)
    _, events = run(session.ActionSessionStart(), make_tracker("r2"))
    assert "consent" not in slots_of(events) and "age" not in slots_of(events)


def test_show_my_data(sqlite_url):
    d, _ = run(data_rights.ActionShowMyData(), make_tracker("nobody"))
    assert "没有保存" in texts(d)
    cases.record_consent("m1", True, "v9")
    cases.save_profile("m1", education="本科", age=22)
    d, _ = run(data_rights.ActionShowMyData(), make_tracker("m1"))
    assert "v9" in texts(d) and "本科" in texts(d) and "22岁" in texts(d) and "删除" in texts(d)


def test_delete_my_data_marks_erasure_and_restarts(sqlite_url):
    cases.record_consent("d1", True, "v1")
    d, events = run(data_rights.ActionDeleteMyData(), make_tracker("d1"))
    assert cases.case_json("d1") is None and "已删除" in texts(d)
    assert events[0]["name"] == ERASE_SLOT and events[0]["value"] and events[-1]["event"] == "restart"


def test_age_limit_answer_relates_the_limit_to_the_student(sqlite_url):
    cases.record_consent("fa1", True, "x")
    cases.save_profile("fa1", age=40, target_exam="国考", education="本科")
    t = make_tracker("fa1", slots={"consent": "given", "intro_shown": True}, intent="faq",
                     response_key="faq/age_limit")
    d, ev = run(faq.ActionAnswerQuestion(), t)
    assert "超过" in texts(d) and "38" in texts(d) and "用到了你资料里的：年龄" in texts(d)
    assert slots_of(ev)["last_view"] == {"kind": "faq", "key": "age_limit"}
    cases.save_profile("fa1", education="硕士研究生", fresh_graduate=True)
    d, _ = run(faq.ActionAnswerQuestion(), t)
    assert "满足" in texts(d)
    d, ev = run(faq.ActionAnswerQuestion(), make_tracker(intent="faq", response_key="faq/rights"))
    assert "谁能看" in texts(d) and slots_of(ev)["awaiting"] == "consent"   # first visit
    assert "超过" not in texts(d)                                             # nothing personal without consent


def test_age_limit_table_comes_from_knowledge():
    from bot.knowledge_base import age_limit_lines

    lines = age_limit_lines()
    assert any("2026年国考：18～38周岁" in l and "43" in l for l in lines)
    assert any("湖北省考" in l and "公告" in l for l in lines)


def test_fallback_offers_a_human_after_repeated_misses(sqlite_url):
    d, ev = run(session.ActionFallback(), make_tracker(slots={"fallback_count": 2, "intro_shown": True}))
    assert "转人工" in texts(d) and slots_of(ev)["fallback_count"] == 0


def test_restart_keeps_the_case(sqlite_url):
    from actions.common import agency

    cases.record_consent("rs", True, agency()["consent_version"])
    d, events = run(session.ActionRestart(), make_tracker("rs"))
    assert events[0]["event"] == "restart" and slots_of(events)["consent"] == "given"
    assert "从头开始" in texts(d)


def _ranked_tracker(ranking):
    t = make_tracker(intent="faq", response_key=ranking[0][0],
                     slots={"consent": "given", "intro_shown": True})
    t.latest_message["response_selector"]["faq"]["ranking"] = [
        {"intent_response_key": k, "confidence": c} for k, c in ranking]
    return t


def test_a_close_runner_up_topic_is_offered_as_a_button(sqlite_url):
    # 待遇 and 加班 are the pair the selector mixes up most: when it nearly chose the other
    # one, the answer comes with a one-tap button for it.
    d, _ = run(faq.ActionAnswerQuestion(), _ranked_tracker(
        [("faq/overtime_reality", 0.41), ("faq/salary_structure", 0.30), ("faq/daily_work", 0.1)]))
    payloads = [b["payload"] for m in d.messages for b in m.get("buttons") or []]
    assert any('"topic": "faq/salary_structure"' in p for p in payloads), payloads
    assert not any("daily_work" in p for p in payloads)
    assert "加班" in texts(d)
    # A clear winner: no button for the runner-up.
    d, _ = run(faq.ActionAnswerQuestion(), _ranked_tracker(
        [("faq/overtime_reality", 0.8), ("faq/salary_structure", 0.1)]))
    payloads = [b["payload"] for m in d.messages for b in m.get("buttons") or []]
    assert not any("salary_structure" in p for p in payloads), payloads


def _out_of_scope_tracker(key, confidence):
    t = make_tracker(intent="out_of_scope", slots={"consent": "given", "intro_shown": True})
    t.latest_message["response_selector"] = {"faq": {"response": {"intent_response_key": key,
                                                                  "confidence": confidence}}}
    return t


def test_out_of_scope_offers_a_knowledge_topic_the_selector_still_saw(sqlite_url):
    # A civil-service question worded unlike the training text can be rejected by the gate;
    # the answer still says no, and the topic the selector saw is one tap away.
    d, events = run(session.ActionOutOfScope(), _out_of_scope_tracker("faq/medical_exam", 0.354))
    buttons = [b for m in d.messages for b in m.get("buttons") or []]
    assert "帮不上" in texts(d) and "体检" in texts(d)
    assert [b["title"] for b in buttons] == ["我是想问：" + faq.topic_button("medical_exam")["title"]]
    assert '"topic": "faq/medical_exam"' in buttons[0]["payload"] and events == []
    # Weather or a train ticket: the selector's guess is noise, no button.
    d, _ = run(session.ActionOutOfScope(), _out_of_scope_tracker("faq/exam_calendar", 0.12))
    assert not any(m.get("buttons") for m in d.messages) and "帮不上" in texts(d)
