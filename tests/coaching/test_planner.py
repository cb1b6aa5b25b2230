"""The study planner: golden cases per rule, whole plans, words for changes and check-ins,
the calendar of knowledge/exams.yml, rendering (chat text and PNG), determinism."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import yaml

from bot.coaching import planner as P

GOLDEN = yaml.safe_load((Path(__file__).parent / "golden_plans.yml").read_text(encoding="utf-8"))


def _d(x):
    return x if isinstance(x, dt.date) else dt.date.fromisoformat(str(x))


# --------------------------------------------------------------------------- single rules
@pytest.mark.parametrize("case", GOLDEN["week_slots"])
def test_week_slots(case):
    got = P.week_slots(_d(case["anchor"]), _d(case["today"]), _d(case["exam"]))
    assert [[n, s, e] for n, s, e in got] == [[n, _d(s), _d(e)] for n, s, e in case["expect"]]


@pytest.mark.parametrize("case", GOLDEN["phase_lengths"], ids=lambda c: f"{c['weeks']}w-{c['avg']}")
def test_phase_lengths(case):
    got = P.phase_lengths(case["weeks"], case["avg"])
    assert [got[k] for k in ("foundation", "practice", "mock", "review")] == case["expect"]
    assert sum(got.values()) == case["weeks"]


@pytest.mark.parametrize("case", GOLDEN["module_weights"])
def test_module_weights(case):
    got = P.module_weights(case["ratings"], case["weeks_left"])
    assert sum(got.values()) == pytest.approx(1.0)
    for k, v in case["expect"].items():
        assert got[k] == pytest.approx(v, abs=1e-4), (k, got)


def test_weakness_matters_less_and_quick_modules_more_as_the_exam_nears():
    ratings = {"常识判断": 3, "言语理解与表达": 3, "数量关系": 1, "判断推理": 3, "资料分析": 3}
    far, near = P.module_weights(ratings, 20), P.module_weights(ratings, 1)
    assert far["数量关系"] > near["数量关系"]
    assert near["资料分析"] > far["资料分析"] and near["判断推理"] > far["判断推理"]
    assert near["常识判断"] < far["常识判断"]


@pytest.mark.parametrize("case", GOLDEN["shenlun_share"])
def test_shenlun_share(case):
    assert P.shenlun_share(case["ratings"]) == pytest.approx(case["expect"])


@pytest.mark.parametrize("case", GOLDEN["mock_papers"])
def test_mock_papers(case):
    assert P.mock_papers(case["phase"], case["hours"], case["paper"]) == case["expect"]


@pytest.mark.parametrize("case", GOLDEN["split_hours"])
def test_split_hours(case):
    got = P.split_hours(case["total"], case["weights"])
    assert got == case["expect"]


@pytest.mark.parametrize("case", GOLDEN["ratings"], ids=lambda c: f"{c['value']}-{c.get('kind', 'rating')}")
def test_rating_from(case):
    assert P.rating_from(case["value"], case.get("kind", "rating"), case.get("module")) == case["expect"]


# --------------------------------------------------------------------------- whole plans
def _build(case):
    return P.build_plan(case["inputs"], _d(case["today"]), calendar=case.get("calendar"))


@pytest.mark.parametrize("case", GOLDEN["plans"], ids=[c["id"] for c in GOLDEN["plans"]])
def test_golden_plan(case):
    plan = _build(case)
    exp = case["expect"]
    weeks = {w["week"]: w for w in plan["weeks"]}
    for key in ("weeks_to_exam", "days_to_exam"):
        if key in exp:
            assert plan[key] == exp[key]
    if "per_week" in exp:
        assert plan["hours"]["per_week"] == exp["per_week"]
    if "total" in exp:
        assert plan["hours"]["total"] == exp["total"]
        assert sum(w["hours"] for w in plan["weeks"]) == exp["total"]
    if "hours" in exp:
        assert {k: plan["hours"][k] for k in exp["hours"]} == exp["hours"]
    if "phases" in exp:
        got = {p["key"]: p["weeks"] for p in plan["phases"]}
        assert [got.get(k, 0) for k in ("foundation", "practice", "mock", "review")] == exp["phases"]
    for n, h in (exp.get("week_hours") or {}).items():
        assert weeks[n]["hours"] == h, weeks[n]
    for n, items in (exp.get("week_items") or {}).items():
        assert weeks[n]["items"] == items
    for n, papers in (exp.get("mock_papers") or {}).items():
        assert weeks[n]["mock_papers"] == papers and weeks[n]["phase"] == "mock"
    for n, reduced in (exp.get("reduced") or {}).items():
        assert weeks[n]["reduced"] is reduced
    codes = [w["code"] for w in plan["warnings"]]
    if "warnings" in exp:
        assert sorted(codes) == sorted(exp["warnings"]), plan["warnings"]
    for code in exp.get("no_warnings") or []:
        assert code not in codes
    for code, text in (exp.get("warning_text") or {}).items():
        assert text in next(w["text"] for w in plan["warnings"] if w["code"] == code)
    if "written_start" in exp:
        assert plan["exam"]["written_start"] == str(exp["written_start"])
    if "estimate" in exp:
        assert plan["exam"]["estimate"] is exp["estimate"]
    for key, value in (exp.get("interview") or {}).items():
        v = plan["interview"][key]
        assert (v == str(value) if isinstance(value, dt.date) else v == value), (key, plan["interview"])
    _invariants(plan)


def _invariants(plan):
    """What holds for every plan: items add up to the week, phases in order, JSON-ready."""
    order = ["foundation", "practice", "mock", "review"]
    last = -1
    for w in plan["weeks"]:
        assert sum(w["items"].values()) == pytest.approx(w["hours"]), w
        assert all(v >= 0 and (v * 2).is_integer() for v in w["items"].values())
        assert order.index(w["phase"]) >= last
        last = order.index(w["phase"])
        assert _d(w["start"]) <= _d(w["end"]) < _d(plan["exam"]["written_start"])
        assert w["tasks"] and all("{" not in t for t in w["tasks"])
    assert json.loads(json.dumps(plan, ensure_ascii=False)) == plan


@pytest.mark.parametrize("case", GOLDEN["errors"])
def test_plan_errors_name_what_is_missing(case):
    with pytest.raises(P.PlanError) as err:
        P.build_plan(case["inputs"], dt.date(2026, 8, 3))
    assert err.value.missing == case["missing"]
    assert str(err.value) and "Traceback" not in str(err.value)


def test_bad_intake_values_are_tolerated_or_refused_clearly():
    plan = P.build_plan({"written_date": "2026年12月6日", "weekday_hours": "两个半小时", "weekend_hours": -3,
                         "ratings": {"资料": "很差", "火星语": 5, "申论": 9}, "scores": {"数量": "6/20"},
                         "unavailable": ["x", {"start": "bad"}], "carry": {"资料分析": "abc"}}, dt.date(2026, 8, 3))
    assert plan["hours"]["weekday"] == 2.5 and plan["hours"]["weekend"] == 6  # student default for a bad value
    assert plan["ratings"]["资料分析"] == 1 and plan["ratings"]["数量关系"] == 1 and plan["ratings"]["申论"] == 3
    with pytest.raises(P.PlanError):
        P.build_plan("not an intake", dt.date(2026, 8, 3))


def test_same_inputs_same_plan():
    case = GOLDEN["plans"][0]
    a, b = _build(case), _build(copy.deepcopy(case))
    assert a == b
    assert P.render_text(a) == P.render_text(b)


def test_weakest_module_gets_more_hours_while_the_exam_is_far():
    case = GOLDEN["plans"][0]
    plan = _build(case)
    long_weeks = P.params()["weakness"]["long_weeks"]
    n = len(plan["weeks"])
    for i, w in enumerate(plan["weeks"]):
        if n - i >= long_weeks and w["days"] == 7:       # far from the exam, weakness leads
            xs = {k: w["items"][k] for k in P.xingce_modules()}
            assert xs["数量关系"] >= xs["言语理解与表达"]        # rated 1 vs 4 (言语 has a larger base)
            assert xs["常识判断"] == min(xs.values())


# --------------------------------------------------------------------------- calendar
def test_calendar_from_knowledge_picks_the_next_round():
    cal = P.exam_calendar("国考", today=dt.date(2026, 8, 1))
    assert cal["exam"] == "国考" and "written" in cal["stages"]
    assert dt.date.fromisoformat(cal["stages"]["written"]["end"]) >= dt.date(2026, 8, 1)
    past = P.exam_calendar("国考", 2026)
    assert past["year"] == 2026 and past["estimated_round"] is False
    assert P.exam_calendar("河南", today=dt.date(2025, 12, 1))["exam"] == "河南省考"   # an alias
    assert P.exam_calendar("选调生") is None
    assert P.exam_calendar("火星考试") is None and P.exam_calendar(None) is None


def test_plan_from_the_knowledge_calendar_marks_estimates():
    plan = P.build_plan({"exam": "国考", "weekday_hours": 2, "weekend_hours": 5}, dt.date(2026, 8, 3))
    cal = P.exam_calendar("国考", today=dt.date(2026, 8, 3))
    w = cal["stages"]["written"]
    assert plan["exam"]["written_start"] == w["start"] and plan["exam"]["estimate"] is w["estimate"]
    assert plan["exam"]["year"] == cal["year"] and plan["exam"]["source"] == w["source"]
    if w["estimate"]:
        assert "estimate" in [x["code"] for x in plan["warnings"]]


def test_calendar_tolerates_broken_entries():
    cal = {"exam": "x", "year": "2026", "stages": [
        {"stage": "written", "start": "2026-11-29", "end": "2026-11-28"},      # end before start: dropped
        {"stage": "nonsense", "start": "2026-01-01"},
        {"stage": "written", "start": "2026-12-06"},                          # no end: one day
        "garbage"]}
    plan = P.build_plan({}, dt.date(2026, 10, 1), calendar=cal)
    assert plan["exam"]["written_start"] == "2026-12-06" == plan["exam"]["written_end"]


def test_exam_passed_points_to_the_next_round():
    plan = P.build_plan({"exam": "河南省考", "year": 2026}, dt.date(2026, 4, 1))
    assert plan["weeks"] == [] and plan["warnings"][0]["code"] == "exam_passed"
    nxt = P.exam_calendar("河南省考", today=dt.date(2026, 4, 1))
    if nxt and nxt["year"] != 2026:
        assert f"{nxt['year']}年度" in plan["warnings"][0]["text"]
    assert plan["interview"] and plan["interview"]["start"] == "2026-04-01"


# --------------------------------------------------------------------------- words
@pytest.mark.parametrize("case", GOLDEN["adjustments"], ids=[c["text"] or "empty" for c in GOLDEN["adjustments"]])
def test_parse_adjustment(case):
    got = P.parse_adjustment(case["text"])
    if case["changes"] is None:
        assert got is None
    else:
        assert got is not None and [dict(c) for c in got.changes] == case["changes"]
        assert P.Adjustment.from_dict(json.loads(json.dumps(got.to_dict()))) == got


@pytest.mark.parametrize("case", GOLDEN["progress"], ids=[str(c["done"]) for c in GOLDEN["progress"]])
def test_parse_progress(case):
    got = P.parse_progress(case["done"], case["planned"])
    if case["share"] is None:
        assert got is None
    else:
        assert got["share"] == pytest.approx(case["share"], abs=1e-3)
        for k, v in (case.get("modules") or {}).items():
            assert got["modules"][k] == v


def test_golden_flow_adjust_twice_and_check_in():
    flow = GOLDEN["flow"]
    plan = P.build_plan(flow["inputs"], _d(flow["today"]))
    for step in flow["steps"]:
        on = _d(step["date"])
        if "adjust" in step:
            plan = P.adjust(plan, P.parse_adjustment(step["adjust"]), on)
        else:
            plan = P.checkin(plan, step["checkin"], on)
        exp = step["expect"]
        weeks = {w["week"]: w for w in plan["weeks"]}
        for n, h in (exp.get("week_hours") or {}).items():
            assert weeks[n]["hours"] == h
        for n, r in (exp.get("reduced") or {}).items():
            assert weeks[n]["reduced"] is r
        if "summary" in exp:
            assert exp["summary"] in plan["adjustments"][-1]["summary"]
        for k, v in (exp.get("rating") or {}).items():
            assert plan["ratings"][k] == v
        if "first_week" in exp:
            assert plan["weeks"][0]["week"] == exp["first_week"]
        for k, v in (exp.get("progress") or {}).items():
            assert plan["progress"][-1][k] == v
        if "message" in exp:
            assert exp["message"] in plan["progress"][-1]["message"]
        for key in ("written_start", "estimate", "weeks_to_exam"):
            if key in exp:
                got = plan["exam"].get(key, plan.get(key))
                assert got == (str(exp[key]) if isinstance(exp[key], dt.date) else exp[key]), key
        _invariants(plan)
    # History survives every rebuild.
    assert len(plan["adjustments"]) == 3 and len(plan["progress"]) == 1
    assert plan["anchor"] == "2026-08-03" and plan["created"] == "2026-08-05"


def test_exam_earlier_without_a_date_asks_for_it():
    plan = P.build_plan({"written_date": "2026-12-06"}, dt.date(2026, 8, 3))
    new = P.adjust(plan, P.parse_adjustment("考试提前了"), dt.date(2026, 8, 4))
    assert new["needs"] == ["written_date"] and "哪天" in new["adjustments"][-1]["summary"]
    assert new["exam"]["written_start"] == "2026-12-06"
    shifted = P.adjust(plan, P.parse_adjustment("考试提前一周"), dt.date(2026, 8, 4))
    assert shifted["exam"]["written_start"] == "2026-11-29"


def test_exam_date_without_a_year_is_the_next_one():
    plan = P.build_plan({"written_date": "2027-03-13"}, dt.date(2026, 11, 2))
    new = P.adjust(plan, P.parse_adjustment("考试改到3月20号"), dt.date(2026, 11, 2))
    assert new["exam"]["written_start"] == "2027-03-20"


def test_more_hours_and_full_time_change_the_week():
    plan = P.build_plan({"written_date": "2026-12-06", "status": "working", "weekday_hours": 2, "weekend_hours": 5},
                        dt.date(2026, 8, 3))
    more = P.adjust(plan, P.parse_adjustment("每天能多学一小时"), dt.date(2026, 8, 3))
    assert more["hours"]["per_week"] == plan["hours"]["per_week"] + 7
    ft = P.adjust(plan, P.parse_adjustment("我辞职了，全职备考"), dt.date(2026, 8, 3))
    assert ft["inputs"]["status"] == "full_time"
    assert "long_days" not in [w["code"] for w in ft["warnings"]]


def test_low_completion_replans_with_real_hours_and_recovers():
    plan = P.build_plan({"written_date": "2026-12-06", "weekday_hours": 2, "weekend_hours": 5}, dt.date(2026, 8, 3))
    p1 = P.checkin(plan, "完成了一半", dt.date(2026, 8, 9))
    assert p1["inputs"]["realism"] == 1.0                     # one week is not a pattern
    p2 = P.checkin(p1, "完成了四成", dt.date(2026, 8, 16))
    assert p2["inputs"]["realism"] == pytest.approx(0.45)
    assert "low_completion" in [w["code"] for w in p2["warnings"]]
    assert p2["weeks"][1]["hours"] < plan["weeks"][3]["hours"]
    p3 = P.checkin(p2, "都完成了", dt.date(2026, 8, 23))
    p4 = P.checkin(p3, "都完成了", dt.date(2026, 8, 30))
    assert p4["inputs"]["realism"] == 1.0 and len(p4["progress"]) == 4


def test_checkin_carries_what_was_missed_into_the_next_weeks():
    plan = P.build_plan({"written_date": "2026-12-06", "weekday_hours": 2, "weekend_hours": 5,
                         "ratings": {"申论": 3}}, dt.date(2026, 8, 3))
    new = P.checkin(plan, "资料分析做完了，申论没写", dt.date(2026, 8, 9))
    entry = new["progress"][-1]
    assert entry["carried"]["申论"] == plan["weeks"][0]["items"]["申论"] and "资料分析" not in entry["carried"]
    nxt = new["weeks"][0]
    same = P.build_plan({**plan["inputs"], "carry": {}}, dt.date(2026, 8, 9), anchor=dt.date(2026, 8, 3),
                        start=dt.date(2026, 8, 10))["weeks"][0]
    assert nxt["week"] == 2 and nxt["items"]["申论"] > same["items"]["申论"]
    assert nxt["hours"] == same["hours"]                      # carried, not added on top
    assert "申论" in entry["message"]


def test_checkin_errors():
    plan = P.build_plan({"written_date": "2026-12-06"}, dt.date(2026, 8, 3))
    with pytest.raises(P.PlanError) as err:
        P.checkin(plan, "嗯嗯", dt.date(2026, 8, 9))
    assert err.value.missing == "progress"
    with pytest.raises(P.PlanError):
        P.checkin({}, "完成了八成", dt.date(2026, 8, 9))
    with pytest.raises(P.PlanError):
        P.adjust(plan, P.Adjustment(()), dt.date(2026, 8, 9))


# --------------------------------------------------------------------------- rendering
def _cols(s):
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


@pytest.mark.parametrize("width", [30, 36, 44])
def test_render_text_fits_a_narrow_chat(width):
    plan = _build(GOLDEN["plans"][0])
    text = P.render_text(plan, width=width)
    lines = text.splitlines()
    assert all(_cols(line) <= width for line in lines), [line for line in lines if _cols(line) > width]
    assert "11月29日" in text and "还有17周" in text
    row = next(line for line in lines if line.lstrip().startswith("2 "))
    assert row.split()[-6:] == ["1.5", "3", "3", "3.5", "3.5", "5.5"]          # week 2, by hand
    assert ("8/10" in row) == (width >= 37)
    assert "后面还有11周" in text


def test_render_text_mentions_warnings_and_interview():
    plan = _build(GOLDEN["plans"][1])
    text = P.render_text(plan)
    assert "离笔试只有3周" in text and "面试准备" in text and "⚠️" in text


def test_render_png_is_a_readable_image():
    from PIL import Image

    plan = _build(GOLDEN["plans"][0])
    png = P.render_png(plan)
    assert png.startswith(b"\x89PNG")
    img = Image.open(io.BytesIO(png))
    assert 600 <= img.width <= 900 and img.height > 400
    empty = P.build_plan({"written_date": "2026-12-06"}, dt.date(2026, 12, 6))
    assert P.render_png(empty).startswith(b"\x89PNG")


def test_busy_days_land_on_the_right_dates():
    plan = P.build_plan({"written_date": "2026-12-06", "weekday_hours": 2, "weekend_hours": 5}, dt.date(2026, 8, 5))
    trip = P.adjust(plan, P.parse_adjustment("这周出差三天"), dt.date(2026, 8, 5))        # Wed–Fri
    assert trip["inputs"]["unavailable"][-1] == {"start": "2026-08-05", "end": "2026-08-07", "factor": 0.4,
                                                 "reason": "出差"}
    assert trip["weeks"][0]["hours"] == pytest.approx(plan["weeks"][0]["hours"] - 3 * 2 * 0.6, abs=0.25)  # half hours
    weekend = P.adjust(plan, P.parse_adjustment("这周末有事"), dt.date(2026, 8, 5))
    assert weekend["inputs"]["unavailable"][-1]["start"] == "2026-08-08"
    assert weekend["inputs"]["unavailable"][-1]["end"] == "2026-08-09"
    score = P.adjust(plan, P.parse_adjustment("最近资料分析正确率只有50%"), dt.date(2026, 8, 5))
    assert score["ratings"]["资料分析"] == 2 and "资料分析" not in score["inputs"]["assumed"]
