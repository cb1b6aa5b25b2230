"""The knowledge-gaps page (issue 10): questions not understood or answered unsure, grouped
by normalised text or by the suggested topic, counted, agency-scoped, paginated, kept up
to date incrementally; out-of-domain messages apart; the most-answered topics."""

from __future__ import annotations

import html
import re

from sqlalchemy import delete, func, select

from bot.console import gaps
from bot.db import session_scope
from bot.db.models import Message, Student
from tests.console.conftest import audit_actions
from tests.console.seed import knowledge_extra, make_case, make_user


def fallback(text, guess="complain"):
    return {"role": "user", "text": text, "intent": "nlu_fallback", "confidence": 0.3,
            "extra": {"gate": {"predicted": guess, "action": "ask", "demoted": guess}}}


def faq(text, topic, conf):
    return {"role": "user", "text": text, "intent": "faq", "confidence": 0.9,
            "extra": {"topic": f"faq/{topic}", "topic_confidence": conf, "gate": {"predicted": "faq"}}}


def oos(text, guess="inform"):
    return {"role": "user", "text": text, "intent": "out_of_scope", "confidence": 0.95,
            "extra": {"gate": {"predicted": guess, "action": "out_of_domain", "ood": 0.95}}}


def answer(topic):
    return {"role": "bot", "text": "……", "extra": knowledge_extra(topic, used=())}


def rows_of(page: str, table_class: str):
    if table_class not in page:
        return []
    body = page.split(f'class="compact {table_class}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    out = []
    for tr in body.split("<tr>")[1:]:
        cells = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", td))).strip()
                 for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
        out.append(cells)
    return out


def seed_gaps():
    make_case(name="王小明", messages=[
        fallback("国考和省考有什么区别？"), {"role": "bot", "text": "抱歉，我没太明白。"},
        faq("政审会查征信吗", "political_review", 0.31), answer("political_review"),
        faq("公务员工资大概多少", "salary_structure", 0.92), answer("salary_structure"),
        oos("宁波到杭州的汽车"), oos("给我打个谜语", guess="give_feedback"),
    ])
    make_case(name="李四", messages=[
        fallback("国考和省考 有什么区别", guess="faq"), fallback("國考和省考有什麼區别"),
        faq("政審會查征信嗎？", "political_review", 0.45), answer("political_review"),
        faq("申论需要背吗", "shenlun_prep", 0.7), answer("salary_structure"),
    ])
    # Another agency: never counted here.
    make_case(agency="other", name="外机构", messages=[fallback("国考和省考有什么区别"), oos("宁波到杭州的汽车"),
                                                       answer("salary_structure")])


def test_groups_counts_and_kinds(any_app, browser):
    from bot import knowledge_base

    make_user("zhang")
    seed_gaps()
    page = browser("zhang").get("/gaps").get_data(as_text=True)
    rows = rows_of(page, "gaps-table")
    # (question, suggestion, count, cases, kinds, last)
    assert [(r[0].split(" 其他写法")[0], r[2], r[3]) for r in rows] == [
        ("國考和省考有什麼區别", "3", "2"), ("政審會查征信嗎？", "2", "2")]
    assert "未理解 3" in rows[0][4] and "低置信度回答 2" in rows[1][4]
    assert "其他写法 2" in rows[0][0] and "国考和省考有什么区别？" in rows[0][0]
    assert rows[1][1] == knowledge_base.topic("political_review").title
    assert "意图：投诉" == rows[0][1]                                      # the classifier's most common guess
    # Confident answers are not gaps; out-of-domain messages are apart.
    assert "公务员工资大概多少" not in page.split('id="topics"')[0]
    assert "申论需要背吗" not in page
    assert "2 组 · 5 条消息" in page
    oos_rows = rows_of(page, "oos-table")
    assert sorted((r[0], r[1], r[2]) for r in oos_rows) == [("宁波到杭州的汽车", "意图：提供个人信息", "1"),
                                                             ("给我打个谜语", "意图：评价满意度", "1")]
    assert "<details>" in page.split('id="out-of-scope"')[1][:200]           # collapsed


def test_most_answered_topics_are_counted_per_agency(any_app, browser):
    from bot import knowledge_base

    make_user("zhang")
    seed_gaps()
    from bot.console.gaps import report
    from bot.db import get_engine

    url = any_app.config["DATABASE_URL"]
    rep = report(get_engine(url), url, "default")
    got = {t["key"]: (t["count"], t["cases"], t["low"]) for t in rep.topics}
    assert got == {"political_review": (2, 2, 2), "salary_structure": (2, 2, 0)}
    page = browser("zhang").get("/gaps").get_data(as_text=True)
    block = page.split('id="topics"')[1].split("</section>")[0]
    assert knowledge_base.topic("political_review").title in block
    assert knowledge_base.topic("salary_structure").title in block


def test_no_names_and_agency_scoping(app, browser):
    make_user("zhang")
    make_user("far", agency="other")
    seed_gaps()
    page = browser("zhang").get("/gaps").get_data(as_text=True)
    assert "王小明" not in page and "李四" not in page and "/cases/" not in page.split("<main")[1]
    far = browser("far").get("/gaps").get_data(as_text=True)
    rows = rows_of(far, "gaps-table")
    assert [(r[0], r[2], r[3]) for r in rows] == [("国考和省考有什么区别", "1", "1")]
    assert "政审" not in far


def test_group_by_suggested_topic(app, browser):
    from bot import knowledge_base

    make_user("zhang")
    seed_gaps()
    page = browser("zhang").get("/gaps?by=topic").get_data(as_text=True)
    rows = rows_of(page, "gaps-table")
    by = {r[0]: (r[2], r[3]) for r in rows}
    assert by[knowledge_base.topic("political_review").title] == ("2", "2")
    assert by["意图：投诉"] == ("2", "2")
    assert by["意图：知识问答"] == ("1", "1")


def test_period_filter_and_pagination(app, browser):
    make_user("zhang")
    make_case(messages=[fallback("两个月前的问题")], created_days_ago=60, active_days_ago=60)
    make_case(messages=[fallback(f"第{i}个没听懂的问题") for i in range(60)])
    b = browser("zhang")
    recent = b.get("/gaps?days=30").get_data(as_text=True)
    assert "两个月前的问题" not in recent and "60 组 · 60 条消息" in recent
    assert len(rows_of(recent, "gaps-table")) == 50 and "第 1 / 2 页" in recent
    second = b.get("/gaps?days=30&page=2").get_data(as_text=True)
    assert len(rows_of(second, "gaps-table")) == 10 and "第 2 / 2 页" in second
    assert "两个月前的问题" in b.get("/gaps?days=90&page=2").get_data(as_text=True)
    assert "61 组" in b.get("/gaps?days=0").get_data(as_text=True)
    # Bad arguments fall back to the defaults instead of failing.
    for bad in ("/gaps?days=abc", "/gaps?days=45", "/gaps?page=-3", "/gaps?page=999999", "/gaps?by=x",
                "/gaps?opage=0"):
        assert b.get(bad).status_code == 200, bad


def test_new_messages_late_commits_and_deleted_cases(app, browser):
    make_user("zhang")
    cid = make_case(messages=[fallback("报名照片有什么要求")])
    b = browser("zhang")
    assert "1 组 · 1 条消息" in b.get("/gaps").get_data(as_text=True)
    other = make_case(messages=[fallback("报名照片有什么要求？"), fallback("笔试带什么文具")])
    assert "2 组 · 3 条消息" in b.get("/gaps").get_data(as_text=True)
    # A row committed after a higher id was already seen (concurrent writers) still counts.
    with session_scope() as s:
        top = s.execute(select(func.max(Message.id))).scalar_one()
        s.add(Message(id=top + 10, student_id=other, role="user", text="体检要空腹吗", intent="nlu_fallback"))
    assert "3 组 · 4 条消息" in b.get("/gaps").get_data(as_text=True)
    with session_scope() as s:
        s.add(Message(id=top + 5, student_id=other, role="user", text="体检要空腹吗？", intent="nlu_fallback"))
    assert "3 组 · 5 条消息" in b.get("/gaps").get_data(as_text=True)
    # A deleted case takes its messages with it.
    with session_scope() as s:
        s.execute(delete(Message).where(Message.student_id == cid))
        s.execute(delete(Student).where(Student.id == cid))
    page = b.get("/gaps").get_data(as_text=True)
    assert "3 组 · 4 条消息" in page


def test_audited_counselor_visible_and_signed_out_redirects(app, browser):
    make_user("zhang")
    make_user("boss", role="admin")
    seed_gaps()
    b = browser("zhang")
    page = b.get("/gaps?days=90&by=topic").get_data(as_text=True)
    assert "未答好的问题" in page and "/admin/knowledge/" not in page       # counselors: no editor links
    assert audit_actions().count("gaps_view") == 1
    with session_scope() as s:
        from bot.console.models import AuditEntry

        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "gaps_view")).scalar_one()
        assert entry.detail == {"days": 90, "by": "topic"} and entry.case_id is None
    admin_page = browser("boss").get("/gaps").get_data(as_text=True)
    assert "/admin/knowledge/political_review" in admin_page
    r = browser().get("/gaps")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_normalise():
    assert gaps.normalise("國考和省考，有什麼區别？ ") == gaps.normalise("国考和省考有什么区别") == "国考和省考有什么区别"
    assert gaps.normalise("ＡＢＣ 123!") == "abc123"
    assert gaps.normalise("？？？") == ""


def test_odd_stored_extras_do_not_break_the_page(any_app, browser):
    """Rows written by older versions: no extra, a gate that is not an object, a confidence
    that is not a number (then the message's own confidence decides)."""
    make_user("zhang")
    make_case(messages=[
        {"role": "user", "text": "没有附加信息", "intent": "nlu_fallback"},
        {"role": "user", "text": "置信度不是数字", "intent": "faq", "confidence": 0.2,
         "extra": {"topic": "faq/age_limit", "topic_confidence": "x", "gate": "not a dict"}},
        {"role": "user", "text": "高置信度但字段奇怪", "intent": "faq", "confidence": 0.9,
         "extra": {"topic_confidence": None, "gate": ["a"]}},
        {"role": "bot", "text": "回答", "extra": {"knowledge": "not a dict"}},
        {"role": "bot", "text": "回答", "extra": ["list"]},
    ])
    r = browser("zhang").get("/gaps?days=0")
    assert r.status_code == 200
    rows = rows_of(r.get_data(as_text=True), "gaps-table")
    assert sorted(row[0] for row in rows) == ["没有附加信息", "置信度不是数字"]


def test_other_agencies_messages_move_the_watermark_but_never_count(app, browser):
    make_user("zhang")
    make_case(messages=[fallback("报名照片有什么要求")])
    b = browser("zhang")
    b.get("/gaps")
    far = make_case(agency="other", messages=[fallback(f"外机构的问题{i}") for i in range(5)])
    mine = make_case(messages=[fallback("笔试带什么文具")])
    page = b.get("/gaps").get_data(as_text=True)
    assert "2 组 · 2 条消息" in page and "外机构" not in page
    state = gaps._state(app.config["DATABASE_URL"], "default")
    with session_scope() as s:
        assert state.watermark == s.execute(select(func.max(Message.id))).scalar_one()


def test_background_indexer_builds_the_aggregate_before_any_request(app, browser):
    import time

    from bot.console.search import Indexer
    from bot.db import get_engine

    make_user("zhang")
    make_case(messages=[fallback("报名照片有什么要求")])
    url = app.config["DATABASE_URL"]
    indexer = Indexer(get_engine(url), interval=0.05, gaps_for=(url, "default"))
    indexer.start()
    try:
        state = gaps._state(url, "default")
        deadline = time.monotonic() + 10
        while state.watermark == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.watermark > 0 and "报名照片有什么要求" in state.gaps
    finally:
        indexer.stop()
    assert "1 组 · 1 条消息" in browser("zhang").get("/gaps").get_data(as_text=True)
