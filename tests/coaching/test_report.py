"""The personal career-planning report: Markdown and a PDF with embedded Chinese font."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from bot.coaching import fonts, riasec
from bot.coaching.questions import questions_for_post
from bot.coaching.report import SECTION_TITLES, TITLE, Report, ReportError, build_report
from bot.coaching.swot import build_swot, format_ratio, market_facts
from bot.positions import api

WHEN = dt.datetime(2026, 3, 1, 9, 30)
AGENCY = "启航公考生涯规划"
ANSWERS = {
    "who_am_i": "内外向兼具，熟人面前比较活泼", "what_want": "在基层做服务群众的工作", "what_can_do": "写材料、组织活动",
    "support": "家人支持", "suits_best": "综合文字岗位", "final_choice": "湖北省考乡镇综合岗", "interests": "读书、写作",
    "values": "稳定、能帮到人", "personality_strangers": "有点拘束，话少", "personality_friends": "活泼",
    "strengths": "细心、有耐心；文字功底不错", "weaknesses": "表达不够清楚；缺乏社会实践；数学差", "values_extra": "未回答",
}
TEST_ANSWERS = {"R1": 0, "R2": 1, "I1": 1, "I2": 2, "A1": 2, "A2": 2, "S1": 2, "S2": 1, "E1": 1, "E2": 0,
                "C1": 2, "C2": 1}


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def full(shipped_db):
    from tests.coaching.conftest import STUDENT

    prof = dict(STUDENT)
    facts = market_facts(prof, "湖北省考", 2026, url=shipped_db)
    eligible = api.search_posts("湖北省考", 2026, profile=prof, verdict="eligible", sort="-ratio", limit=None,
                                url=shipped_db)
    codes = [eligible[0]["code"], eligible[len(eligible) // 2]["code"], eligible[-1]["code"]]
    comparison = api.compare_posts(codes, "湖北省考", 2026, prof, url=shipped_db)
    shortlist = [{"exam": "湖北省考", "year": 2026, "post_code": c,
                  "questions": questions_for_post(api.get_post(c, "湖北省考", 2026, shipped_db), prof)} for c in codes]
    result = riasec.score(TEST_ANSWERS)
    case = {
        "sender_id": "t-1", "consent": {"given": True}, "profile": prof,
        "self_analysis": {"answers": ANSWERS, "swot": build_swot(ANSWERS, prof, facts), "confirmed": True},
        "interest_test": {"answers": TEST_ANSWERS, "scores": result.to_dict(), "code": result.code},
        "interviews": [{"major": "法学", "exam": "湖北省考", "year": 2025, "post": "乡镇综合岗", "result": "上岸",
                        "advice": "早点准备"}, {"major": "汉语言文学"}, {"major": "会计学"}],
        "shortlist": shortlist,
        "eligibility": {"exam": "湖北省考", "year": 2026, "counts": facts["counts"]},
        "feedback": [], "flags": [], "transcript": [],
    }
    report = build_report(case, agency_name=AGENCY, comparison=comparison, facts=facts, generated_at=WHEN)
    return {"case": case, "report": report, "comparison": comparison, "facts": facts, "codes": codes,
            "result": result}


def test_full_report_pdf_contains_every_section_and_values(full):
    r: Report = full["report"]
    assert r.title == TITLE and r.pdf.startswith(b"%PDF")
    text = _flat(_text(r.pdf))
    for title in (TITLE,) + SECTION_TITLES:
        assert _flat(title) in text, title
    assert AGENCY in text and "2026年3月1日" in text
    assert full["result"].code in text                                  # interest code
    for code in full["codes"]:
        assert code in text
    for p in full["comparison"]["posts"]:
        assert format_ratio(p["ratio"]) in text                         # each shortlisted ratio
    assert "汉语言文学" in text and "共青团员" in text and "23岁" in text
    assert "已完成3/20" in text and "已选3/5" in text
    assert "2人与你专业不同" in text
    assert "第1/" in text                                                # page numbers


def test_pdf_is_a4_with_the_cjk_font_embedded(full):
    reader = PdfReader(io.BytesIO(full["report"].pdf))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        box = page.mediabox
        assert round(float(box.width)) == 595 and round(float(box.height)) == 842
    embedded = False
    for page in reader.pages:
        for f in page["/Resources"]["/Font"].values():
            desc = f.get_object().get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                embedded = True
    assert embedded
    assert reader.metadata.title == TITLE and reader.metadata.author == AGENCY


def test_pdf_uses_only_characters_the_font_has(full):
    assert fonts.missing_chars(_text(full["report"].pdf)) == []
    assert fonts.missing_chars(full["report"].markdown.replace("\\", "")) == []


def test_full_markdown_structure(full):
    md = full["report"].markdown
    assert md.startswith(f"# {TITLE}\n")
    for title in SECTION_TITLES:
        assert f"\n## {title}\n" in md
    assert md.index("## 一、") < md.index("## 八、")
    assert "- 细心" in md and "1. 基础阶段" in md
    tables = _tables(md)
    assert len(tables) == 2                                             # basic information, shortlist
    shortlist_table = tables[1]
    assert len(shortlist_table) == 1 + len(full["codes"])
    for code, row in zip(full["codes"], shortlist_table[1:]):
        assert row[1] == code
    assert "附录：向招录单位当面提问清单" in md
    assert "本报告由启航公考生涯规划于2026年3月1日生成" in md


def _tables(md: str):
    """Tables as lists of rows; checks header/separator/row column counts on the way."""
    out, cur = [], None
    lines = md.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if cur is None:
                cur = [cells]
                sep = lines[i + 1]
                assert re.fullmatch(r"\|(---\|)+", sep), sep
                assert sep.count("---") == len(cells)
            elif set("".join(cells)) <= set("-"):
                continue
            else:
                assert len(cells) == len(cur[0]), line
                cur.append(cells)
        elif cur is not None:
            out.append(cur)
            cur = None
    return out


def test_risk_and_alternatives_from_comparison(full):
    md = full["report"].markdown
    comp = full["comparison"]
    hottest = max(comp["posts"], key=lambda p: p["ratio"])
    assert hottest["percentile_eligible"] == 100.0
    row = next(r for r in _tables(md)[1] if r[1] == hottest["code"])
    assert row[7] in ("竞争非常激烈", "千里挑一，风险极高")
    alts = [a for a in hottest["alternatives"]]
    if alts:
        assert f"{hottest['code']}（{format_ratio(hottest['ratio'])}）可以换成：{alts[0]['code']}" in md


def test_one_in_a_thousand_is_flagged():
    comparison = {"exam": "湖北省考", "year": 2026, "date": "2026-01-18",
                  "posts": [{"code": "P1", "name": "综合岗", "unit": "某局", "openings": 1, "applicants": 1500,
                             "ratio": 1500.0, "percentile_eligible": 100.0,
                             "alternatives": [{"code": "A9", "unit": "某县局", "name": "执法岗", "ratio": 12.0,
                                               "why": "同城市"}]}],
                  "eligible_posts": {"posts": 100, "median": 20.0, "p25": 10.0, "p75": 35.0, "p90": 60.0},
                  "all_posts": {"median": 21.0}}
    case = {"profile": {"major": "法学"}, "shortlist": [{"post_code": "P1", "questions": ["问题？"] * 3}]}
    r = build_report(case, agency_name="某机构", comparison=comparison, generated_at=WHEN)
    assert "1500:1" in r.markdown and "千里挑一，风险极高" in r.markdown
    assert "有 1 个备选岗位的竞争比达到 1000:1 以上" in r.markdown
    assert "P1（1500:1）可以换成：A9 某县局执法岗（12:1，同城市）" in r.markdown
    assert "其中 0 个岗位已备好 10 个以上" in r.markdown
    assert "千里挑一" in _text(r.pdf)


def test_nearly_empty_case_says_what_is_left_to_do():
    r = build_report({"sender_id": "x"}, agency_name=AGENCY, generated_at=WHEN)
    text = _flat(_text(r.pdf))
    for title in SECTION_TITLES:
        assert _flat(title) in text
    md = r.markdown
    assert "还没有完成兴趣测评" in md and "还没有做自我分析" in md and "还没有加入备选岗位" in md
    assert "已完成 0/20" in md and "已选 0/5" in md and "还没做" in md
    assert md.count("未填写") == 7
    assert len(_tables(md)) == 1


def test_case_with_garbage_values_does_not_crash():
    case = {"profile": "abc", "self_analysis": 3, "interest_test": {"answers": {"bad": 5}, "code": "??"},
            "shortlist": "x", "interviews": [None, 5, {"major": None}], "eligibility": ["x"]}
    r = build_report(case, agency_name=AGENCY, comparison="nope", eligibility=7)  # type: ignore[arg-type]
    assert "还没有完成兴趣测评" in r.markdown and "已完成 3/20" in r.markdown
    assert _flat(SECTION_TITLES[-1]) in _flat(_text(r.pdf))


def test_stored_code_without_answers_is_explained():
    r = build_report({"interest_test": {"code": "SEC", "scores": {"S": 4, "E": 3, "C": 3}}}, agency_name=AGENCY)
    assert "兴趣代码：SEC" in r.markdown and "社会型" in r.markdown


def test_user_text_is_escaped_and_emoji_do_not_reach_the_pdf():
    case = {"profile": {"major": "数学|应用*统计", "age": 22},
            "self_analysis": {"answers": {"strengths": "细心😊、# 有耐心", "weaknesses": "<b>拖延</b>"}}}
    r = build_report(case, agency_name="A&B 机构", generated_at=WHEN)
    assert "数学\\|应用\\*统计" in r.markdown
    row = next(t for t in _tables(r.markdown)[0] if t[0] == "所学专业")
    assert row[1] == "数学\\|应用\\*统计"
    assert "\\<b\\>拖延\\</b\\>" in r.markdown
    text = _text(r.pdf)
    assert "😊" not in text and "细心" in text and "A&B 机构" in text and "<b>拖延</b>" in text
    assert "自律与节奏" in r.markdown                                    # 拖延 -> the matching plan step


def test_weaknesses_map_to_concrete_steps():
    case = {"self_analysis": {"answers": {"weaknesses": "表达不清楚；数学差；晚上睡不着"}}}
    md = build_report(case, agency_name=AGENCY).markdown
    assert "表达与沟通" in md and "数量与资料分析" in md
    assert "把“晚上睡不着”拆成一两个能练习的小目标" in md


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ReportError):
        build_report(None, agency_name=AGENCY)  # type: ignore[arg-type]
    with pytest.raises(ReportError):
        build_report({}, agency_name="  ")


def test_report_filename_and_speed(full):
    import time

    assert full["report"].filename == "career-report-20260301-0930.pdf"
    t = time.perf_counter()
    build_report(full["case"], agency_name=AGENCY, comparison=full["comparison"], generated_at=WHEN)
    assert time.perf_counter() - t < 5


def _renderer():
    if shutil.which("pdftoppm"):
        return "pdftoppm"
    try:
        import pypdfium2  # noqa: F401

        return "pdfium"
    except ImportError:
        return None


@pytest.mark.skipif(_renderer() is None, reason="no PDF rasteriser (pdftoppm or pypdfium2) installed")
def test_first_page_renders_to_png(full, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(full["report"].pdf)
    if _renderer() == "pdftoppm":
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                       check=True, timeout=60)
    else:
        import pypdfium2

        pypdfium2.PdfDocument(str(pdf))[0].render(scale=0.8).to_pil().save(tmp_path / "page-1.png")
    pngs = list(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 5000


def test_eligibility_report_object_is_accepted(shipped_db, student):
    report = api.check_eligibility(student, "湖北省考", 2026, url=shipped_db)
    md = build_report({"profile": {}}, agency_name=AGENCY, eligibility=report).markdown
    assert f"符合条件的岗位 {report.counts['eligible']} 个" in md and "2026年湖北省考" in md


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "_state", {})
    monkeypatch.setattr(fonts, "_candidates", lambda: [])
    with pytest.raises(ReportError) as exc:
        build_report({}, agency_name=AGENCY)
    assert "中文字体" in str(exc.value)


# --------------------------------------------------------------------------- the study plan
def _plan_case():
    from bot.coaching import planner

    plan = planner.build_plan({"written_date": "2026-11-29", "status": "working", "weekday_hours": 2,
                               "weekend_hours": 5, "ratings": {"数量": 1, "资料分析": 2}}, dt.date(2026, 8, 5))
    plan = planner.adjust(plan, planner.parse_adjustment("下周出差"), dt.date(2026, 8, 5))
    plan = planner.checkin(plan, "完成了八成", dt.date(2026, 8, 9))
    return {"profile": {"major": "会计学"}, "study_plan": plan}, plan


def test_ability_plan_shows_the_study_plan():
    case, plan = _plan_case()
    r = build_report(case, agency_name=AGENCY, generated_at=WHEN)
    md = r.markdown
    section = md[md.index("## 四、能力提升计划"):md.index("## 五、")]
    assert "### 个人备考计划" in section and "笔试11月29日" in section and f"还有{plan['weeks_to_exam']}周" in section
    assert "备考节奏" not in section                                     # the generic stages give way
    table = _tables(section)[0]
    assert table[0][:4] == ["周次", "日期", "阶段", "常识"] and table[0][-1] == "合计"
    assert len(table) == 1 + len(plan["weeks"])
    first = table[1]
    w = plan["weeks"][0]
    assert first[0] == f"第{w['week']}周" and first[2] == w["phase_name"] and float(first[-1]) == w["hours"]
    assert [float(c) for c in first[3:-1]] == [w["items"][k] for k in list(w["items"])[: len(first) - 4]]
    assert "### 打卡记录" in section and "第1周完成约80%" in section
    assert "模考" in table[0]                                            # the plan reaches the mock phase
    text = _flat(_text(r.pdf))
    assert "个人备考计划" in text and "打卡记录" in text and "第1周完成约80%" in text
    assert fonts.missing_chars(_text(r.pdf)) == []


def test_report_without_a_plan_keeps_the_general_stages_and_says_how_to_get_one():
    md = build_report({"profile": {"major": "法学"}}, agency_name=AGENCY, generated_at=WHEN).markdown
    section = md[md.index("## 四、能力提升计划"):md.index("## 五、")]
    assert "### 备考节奏" in section and "做个备考计划" in section and "个人备考计划" not in section


@pytest.mark.parametrize("bad", ["x", 5, {"weeks": "x"}, {"exam": {}, "weeks": [{"start": "bad"}]},
                                 {"exam": {"written_start": "2026-11-29"}, "weeks_to_exam": 3,
                                  "hours": {"per_week": 10, "weekday": 1, "weekend": 2.5, "total": 30},
                                  "weeks": [{"week": 1, "start": "2026-11-09", "end": "2026-11-15", "items": "?"},
                                            None]}])
def test_broken_study_plan_does_not_break_the_report(bad):
    r = build_report({"study_plan": bad}, agency_name=AGENCY, generated_at=WHEN)
    assert r.pdf.startswith(b"%PDF") and "## 四、能力提升计划" in r.markdown


def test_study_plan_warnings_and_estimates_reach_the_report():
    from bot.coaching import planner

    cal = {"exam": "国考", "year": 2027, "stages": {"written": {"start": "2026-11-29", "end": "2026-12-06",
                                                             "estimate": True, "source": "按往年推算（测试）"}}}
    plan = planner.build_plan({"exam": "国考", "weekday_hours": 0.5, "weekend_hours": 2}, dt.date(2026, 10, 5),
                              calendar=cal)
    md = build_report({"study_plan": plan}, agency_name=AGENCY, generated_at=WHEN).markdown
    assert "笔试11月29日（估计）" in md and "笔试日期依据：按往年推算（测试）" in md
    assert "按往年推算在11月29日到12月6日之间" in md
    assert "每周大约只有" in md
