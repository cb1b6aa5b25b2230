"""The case page's newer parts: profile change history (issue 9), what the NLU gate did and
the knowledge behind each answer (issues 9, 10), the major check and the study plan
(issue 11); the same in the exports and the live transcript; agency scoping."""

from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader

from tests.console.seed import (
    add_profile_changes,
    issue_case,
    knowledge_extra,
    load_major_check,
    make_case,
    make_user,
    sample_plan,
)

XSS = '<script>alert("x")</script>'


def text_of(page: str, section: str) -> str:
    """The visible text of one section of the page (tags dropped, entities decoded)."""
    start = page.index(f'id="{section}"')
    end = page.index("</section>", start)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page[start:end])))


def transcript_items(page: str):
    body = page.split('id="transcript-list"')[1].split("</section>")[0]
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", li))) for li in body.split('<li class="msg')[1:]]


def test_profile_history_in_chinese_with_message_source_and_undo(app, browser):
    make_user("zhang")
    cid = issue_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    history = text_of(page, "profile-history")
    assert "资料修改记录 5" in history
    # Newest first; field labels, old → new, source and the student's words, in Chinese.
    rows = page.split('id="profile-history"')[1].split("</tbody>")[0].split("<tr class=")[1:]
    assert len(rows) == 5
    first, undo, undone, major2, major1 = (re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r))) for r in rows)
    assert "应届毕业生" in first and "（空） → 是" in first and "表单填写" in first
    assert "学历" in undone and "本科 → 大专" in undone and "提问中提到，学生确认后写入" in undone
    assert "专科专业不是计算机专业，后来通过自考本科……能考吗？" in undone and "已撤销" in undone
    assert '"change source-offered undone"' in rows[2][:40]
    assert "大专 → 本科" in undo and "学生撤销上一次修改" in undo and "已撤销" not in undo
    assert "计算机科学与技术 → 软件工程" in major2 and "不对，我是软件工程专业" in major2 and "学生自述" in major2
    assert "（空） → 计算机科学与技术" in major1


def test_history_escapes_student_words_and_empty_case_says_so(app, browser):
    make_user("zhang")
    cid = make_case(name="赵雪")
    add_profile_changes(cid, [{"field": "age", "old": 23, "new": 24, "message": XSS}])
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "23 → 24" in text_of(page, "profile-history")
    empty = make_case(name="钱多")
    page = browser("zhang").get(f"/cases/{empty}").get_data(as_text=True)
    assert "还没有资料修改记录" in page and "学生还没有问过专业对口" in page and "还没有备考计划" in page


def test_transcript_shows_the_gate_the_topic_and_the_sources(app, browser):
    make_user("zhang")
    cid = issue_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    items = transcript_items(page)
    assert len(items) == 10
    q1, a1, q2, a2, q3, _, ood, _, follow, typed = items
    assert "按问题回答（原判：提供个人信息）" in q1
    assert "专业：提到但非本人信息" in q1 and "学历：提到但非本人信息" in q1
    assert "知识点：专业对口是怎么认定的 · 0.71" in q1
    assert "按问题回答（原判：投诉）" in q2 and "知识点：公务员工资怎么构成、大概多少 · 0.55" in q2
    assert "需确认（原判：评价满意度）" in q3
    assert "判为无关" in ood
    assert "判为追问" in follow and "地区：追问的新目标" in follow
    assert "输入的是按钮上的文字，按点按钮处理" in typed
    # The answers: topic, every source with its link and date, the stored facts used.
    assert "知识点：专业对口是怎么认定的" in a1 and "用到学生资料：专业" in a1
    assert "知识点：公务员工资怎么构成、大概多少" in a2 and "机构修改版 第2版" in a2 and "未用到学生资料" in a2
    assert "《中华人民共和国公务员法》（2018年修订）第八十条" in a2 and "（核对于 2026-11-29）" in a2
    assert 'href="https://github.com/LawRefBook/Laws/blob/master/' in page
    assert 'rel="noopener noreferrer nofollow"' in page
    # A low topic confidence is marked like a low intent confidence.
    assert 'class="topic low"' not in page
    cid2 = make_case(messages=[{"role": "user", "text": "政审会查征信吗", "intent": "faq", "confidence": 0.6,
                                "extra": {"topic": "faq/political_review", "topic_confidence": 0.31}}])
    page2 = browser("zhang").get(f"/cases/{cid2}").get_data(as_text=True)
    assert 'class="topic low"' in page2 and "· 0.31" in page2


def test_sources_only_link_web_addresses_and_odd_extras_do_not_break_the_page(app, browser):
    make_user("zhang")
    bad = knowledge_extra("age_limit")
    bad["knowledge"]["sources"] = [{"source": "恶意链接", "url": "javascript:alert(1)", "checked": "2026-01-01"},
                                   "只有文字的来源", {"source": XSS}]
    cid = make_case(messages=[
        {"role": "bot", "text": "回答", "extra": bad},
        {"role": "user", "text": "问", "intent": "faq", "extra": {"gate": "not a dict", "topic_confidence": "x"}},
        {"role": "user", "text": "问2", "intent": "faq", "extra": {"gate": {"action": "ask", "roles": ["major"]}}},
        {"role": "bot", "text": "回答2", "extra": {"knowledge": {"key": None}}},
    ])
    r = browser("zhang").get(f"/cases/{cid}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page   # shown as text only
    assert "只有文字的来源" in page and "<script>alert" not in page
    assert "需确认" in page


def test_major_check_section(app, browser):
    make_user("zhang")
    cid = issue_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    mc = text_of(page, "major-check")
    assert "共 2 次" in mc
    assert "“软件工程能报计算机类岗位吗”" in mc and "能否报“计算机类”" in mc
    assert "“计算机类”： 符合" in mc and "软件工程（080902）属于计算机类（0809）" in mc
    assert "普通高等学校本科专业目录（2026）：软件工程（080902），属于计算机类（0809）、工学门类" in mc
    assert "软件工程（B080902）" in mc
    result = load_major_check("software")
    for table in result["degrees"][0]["tables"]:
        row = (f"{table['exam']} {table['year']} {table['posts']} {table['named']['count']} "
               f"{table['by_class']['count']} {table['open']['count']} {table['accepted']}")
        assert row in mc, row
    assert "法学类（0301）" in mc and "电子信息类（0807）" in mc       # nearest classes it is not in
    assert "境外学历" in mc and "无法自动判断" not in mc               # nothing applies for certain here
    assert "规则：专业以毕业证、学位证上的名称为准" in mc
    assert "更早的查询（1）" in mc and "我的专业能报多少岗位" in mc


def test_major_check_two_degrees_names_the_undecidable_cases(app, browser):
    from tests.console.seed import add_major_check

    make_user("zhang")
    cid = make_case()
    add_major_check(cid, {"major": "自动化", "level": "本科", "second": ["控制科学与工程", "硕士"]},
                    load_major_check("two_degrees"))
    mc = text_of(browser("zhang").get(f"/cases/{cid}").get_data(as_text=True), "major-check")
    assert "本科专业“自动化”，硕士专业“控制科学与工程”" in mc
    assert "本科专业“自动化”" in mc and "研究生专业“控制科学与工程”" in mc
    assert "无法自动判断，需向招录机关确认" in mc and "“仅限”方向" in mc
    assert "有 2 个职位在你的学科（专业）后写了“仅限……”方向" in mc
    assert "（含“仅限” 2）" in mc
    assert "两个学历分别按职位表对应层次的写法核对" in mc


def test_study_plan_section(app, browser):
    from bot.coaching import planner

    make_user("zhang")
    cid = issue_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    plan_text = text_of(page, "study-plan")
    plan = sample_plan()
    for line in planner.summary_lines(plan):
        assert line in plan_text, line
    # The week table: one row per week, hours per module, the week's total.
    table = page.split('class="compact plan-table"')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].split("<tr")[1:]
    assert len(rows) == len(plan["weeks"])
    first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<tr" + rows[0])).split()
    week = plan["weeks"][0]
    hours = [week["items"][k] for k in planner.items() if k in week["items"]]
    assert first[0] == str(week["week"]) and first[2] == week["phase_name"]
    assert [float(x) for x in first[3:3 + len(hours)]] == hours
    assert float(first[3 + len(hours)]) == week["hours"]
    assert ('class="reduced"' in rows[0]) == week["reduced"]
    assert "常识" in table and "资料" in table and "申论" in table and "模考" in table
    for w in plan["warnings"]:
        assert w["text"] in plan_text
    # The plan's record (the case's history), newest first, with what the student said and
    # what the assistant answered.
    events = plan_text.split("计划记录（制定、调整、打卡）")[1]
    assert "计划记录（制定、调整、打卡） 4" in plan_text
    assert events.index("资料分析还是很差") < events.index("第1周完成约80%") < events.index("下周出差") \
        < events.index("制定计划")
    assert "9月7日到9月13日出差" in events and "资料分析的时间加多了" in events
    assert "2026-09-02 20:30 调整 下周出差" in events                    # local time (Asia/Shanghai)


def test_plan_without_history_shows_its_own_adjustments_and_check_ins(app, browser):
    from tests.console.seed import add_study_plan

    make_user("zhang")
    cid = make_case()
    add_study_plan(cid, sample_plan())
    events = text_of(browser("zhang").get(f"/cases/{cid}").get_data(as_text=True), "study-plan") \
        .split("计划记录（制定、调整、打卡）")[1]
    assert events.index("资料分析还是很差") < events.index("第1周完成约80%") < events.index("下周出差")
    assert "制定计划" not in events


def test_another_agencys_case_is_404_and_counselors_see_the_sections(app, browser):
    make_user("zhang")
    make_user("far", agency="other")
    cid = issue_case()
    assert browser("far").get(f"/cases/{cid}").status_code == 404
    assert browser("far").get(f"/cases/{cid}/messages.json?after=0").status_code == 404
    assert browser("far").get(f"/cases/{cid}/export.md").status_code == 404
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    for section in ("profile-history", "major-check", "study-plan"):
        assert f'id="{section}"' in page


def test_live_transcript_carries_the_gate_and_the_sources(app, browser):
    make_user("zhang")
    cid = issue_case()
    data = browser("zhang").get(f"/cases/{cid}/messages.json?after=0").get_json()["messages"]
    assert [n["text"] for n in data[0]["notes"]][:1] == ["按问题回答（原判：提供个人信息）"]
    assert data[0]["notes"][-1]["text"] == "知识点：专业对口是怎么认定的 · 0.71"
    k = data[3]["knowledge"]
    assert k["title"] == "公务员工资怎么构成、大概多少" and k["version"] == 2 and k["used"] == []
    assert k["sources"][0]["source"].startswith("《中华人民共和国公务员法》") and k["sources"][0]["checked"]
    assert data[5] .get("knowledge") is None


def test_exports_include_history_major_check_plan_and_sources(app, browser):
    make_user("zhang")
    cid = issue_case()
    b = browser("zhang")
    md = b.get(f"/cases/{cid}/export.md").get_data(as_text=True)
    for expected in ("## 资料修改记录（5）", "学历：本科 → 大专（提问中提到，学生确认后写入）", "撤销",
                     "## 专业对口查询", "软件工程能报计算机类岗位吗", "广东省考2026（9344 个职位）：写明本专业 183",
                     "“计算机类”：符合", "更早的查询", "## 备考计划", "每周安排（小时）", "资料分析还是很差",
                     "按问题回答（原判：提供个人信息）", "知识点：公务员工资怎么构成、大概多少（机构修改版 第2版）",
                     "来源：《中华人民共和国公务员法》（2018年修订）第八十条", "判为无关"):
        assert expected in md.replace("\\", ""), expected
    r = b.get(f"/cases/{cid}/export.pdf")
    assert r.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages).replace("\n", "")
    for expected in ("资料修改记录", "计算机科学与技术 → 软件工程", "专业对口查询", "软件工程能报计算机类岗位吗",
                     "备考计划", "资料分析还是很差", "判为无关", "第八十条"):
        assert expected in text, expected
