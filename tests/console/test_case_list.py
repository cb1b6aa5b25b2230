"""The case list: filters in the address, Chinese full-text search (SQLite and
PostgreSQL), pagination, bad input."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.console import search
from bot.db import session_scope
from bot.db.models import Message, Student
from tests.console.seed import make_case, make_user, turns

ROW_RE = re.compile(r'class="case-link">#(\d+)</a>')


def listed(b, path: str) -> set:
    r = b.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return {int(x) for x in ROW_RE.findall(r.get_data(as_text=True))}


def searched(b, q: str, **filters) -> set:
    r = b.post("/cases/search", {"q": q, **filters})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert q not in location and q not in urlsplit(location).query  # the text never goes into the URL
    return listed(b, location)


@pytest.fixture
def cases(app):
    make_user("zhang", name="张老师")
    ids = {}
    ids["wang"] = make_case(name="王小明", major="金融学", channel="telegram", stage="shortlist",
                            messages=[{"role": "user", "text": "我想报考湖北省考的税务岗位", "intent": "inform"}],
                            flags=["complaint"], active_days_ago=1, created_days_ago=20)
    ids["li"] = make_case(name="李华", major="汉语言文学", channel="webchat", stage="intake",
                          messages=turns(4, fallback=3), feedback=[2], active_days_ago=3, created_days_ago=3)
    ids["zhao"] = make_case(name="赵雪", major="计算机科学与技术", channel="telegram", stage="report",
                            messages=[{"role": "user", "text": "請問國考報名時間", "intent": "faq"},
                                      {"role": "bot", "text": "国考报名一般在10月中旬。"}],
                            flags=[("counselor_requested", True)], feedback=[5], review="reviewed",
                            active_days_ago=10, created_days_ago=40)
    ids["other"] = make_case(agency="other", name="王小明", major="金融学", messages=turns(1))
    return ids


def test_newest_activity_first_and_only_own_agency(cases, browser):
    b = browser("zhang")
    html = b.get("/cases").get_data(as_text=True)
    order = [int(x) for x in ROW_RE.findall(html)]
    assert order == [cases["wang"], cases["li"], cases["zhao"]]
    assert "共 3 个" in html


@pytest.mark.parametrize("query,expected", [
    ("channel=telegram", {"wang", "zhao"}),
    ("stage=intake", {"li"}),
    ("reached=shortlist", {"wang", "zhao"}),
    ("flag=complaint", {"wang"}),
    ("flag=counselor_requested", {"zhao"}),
    ("flag=counselor_requested&waiting=1", set()),
    ("flag=low_satisfaction", {"li"}),
    ("flag=fallback_heavy", {"li"}),
    ("flag=complaint&flag=low_satisfaction", {"wang", "li"}),
    ("status=reviewed", {"zhao"}),
    ("status=new", {"wang", "li"}),
    ("assigned=none", {"wang", "li", "zhao"}),
    ("assigned=me", set()),
    ("intent=faq", {"zhao"}),
    ("score=2", {"li"}),
    ("channel=telegram&status=new", {"wang"}),
])
def test_filters(cases, browser, query, expected):
    b = browser("zhang")
    assert listed(b, f"/cases?{query}") == {cases[k] for k in expected}


def test_date_range_on_activity_and_on_creation(cases, browser):
    import datetime as dt

    from bot.console.labels import today_local

    b = browser("zhang")
    today = today_local()
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    assert listed(b, f"/cases?from={week_ago}") == {cases["wang"], cases["li"]}
    assert listed(b, f"/cases?from={week_ago}&on=created") == {cases["li"]}
    day = (today - dt.timedelta(days=3)).isoformat()
    assert listed(b, f"/cases?from={day}&to={day}") == {cases["li"]}


def test_assignment_filter_follows_the_case_page(cases, browser):
    b = browser("zhang")
    with session_scope() as s:
        from bot.console.models import User

        me = s.query(User).filter_by(username="zhang").one().id
    assert b.post(f"/cases/{cases['li']}/assign", {"user_id": str(me)}).status_code == 302
    assert listed(b, "/cases?assigned=me") == {cases["li"]}
    assert listed(b, f"/cases?assigned={me}") == {cases["li"]}


def test_bad_filter_values_are_ignored_with_a_message(cases, browser):
    b = browser("zhang")
    r = b.get("/cases?from=2026-13-45&stage=nowhere&flag=bogus&page=abc&score=9&assigned=x%27%3B")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for text in ("不是有效日期", "阶段无效", "标记类型无效", "满意度分数应为 1–5", "负责顾问无效"):
        assert text in html
    assert len(ROW_RE.findall(html)) == 3
    assert b.get("/cases?s=unknownhandle").status_code == 200


@pytest.mark.parametrize("q,expected", [
    ("王小明", {"wang"}),          # a name
    ("王", {"wang"}),              # one character
    ("金融", {"wang"}),            # part of a major
    ("汉语言文学", {"li"}),
    ("税务岗位", {"wang"}),        # transcript text
    ("国考报名", {"zhao"}),        # traditional characters in the transcript fold to simplified
    ("國考", {"zhao"}),            # and in the query
    ("报名时间", {"li", "zhao"}),
    ("10月", {"zhao"}),            # bot text, digits and CJK
    ("王 税务", {"wang"}),         # several words: all must match
    ("王 汉语", set()),
    ("税务局", set()),             # bigrams 税务 and 务局 must be adjacent
])
def test_search_in_chinese(cases, browser, q, expected):
    b = browser("zhang")
    assert searched(b, q) == {cases[k] for k in expected}


def test_search_combines_with_filters_and_sees_new_messages_at_once(cases, browser):
    b = browser("zhang")
    assert searched(b, "报名时间", channel="telegram") == {cases["zhao"]}
    assert searched(b, "选调生") == set()
    with session_scope() as s:
        st = s.get(Student, cases["wang"])
        s.add(Message(student_id=st.id, role="user", text="我对选调生也感兴趣"))
        from bot.db.models import utcnow

        st.last_active_at = utcnow()  # as the tracker store does with every message
    assert searched(b, "选调生") == {cases["wang"]}


def test_search_text_is_not_in_any_url_and_expires_with_the_session(cases, browser):
    b = browser("zhang")
    r = b.post("/cases/search", {"q": "王小明", "channel": "telegram"})
    location = r.headers["Location"]
    assert "王" not in location and "%E7%8E%8B" not in location.upper()
    assert parse_qs(urlsplit(location).query)["channel"] == ["telegram"]
    page = b.get(location).get_data(as_text=True)
    assert 'value="王小明"' in page          # shown in the search box, from the server
    assert "王小明" not in page.split("<tbody>")[0].split('name="q"')[0]
    other = browser("zhang")
    r = other.get(location)
    assert "这条搜索已过期" in r.get_data(as_text=True)


def test_pagination(app, browser):
    make_user("zhang")
    for i in range(55):
        make_case(name=f"学生{i}", active_days_ago=i / 100)
    b = browser("zhang")
    first = b.get("/cases").get_data(as_text=True)
    assert len(ROW_RE.findall(first)) == 50 and "第 1 / 2 页" in first
    second = listed(b, "/cases?page=2")
    assert len(second) == 5
    assert listed(b, "/cases?page=99") == second   # past the end: the last page


def test_tokeniser():
    assert search.terms_of("王小明") == sorted({"王", "小", "明", "王小", "小明"})
    assert search.query_runs("  金融，學！ ") == ["金融", "学"]
    assert search.query_runs("!!!") == []
    assert search.tsquery_literal(["金融学"]) == "'融学' & '金融'"
    assert search.is_fallback_heavy(3, 100) and search.is_fallback_heavy(2, 10)
    assert not search.is_fallback_heavy(2, 11) and not search.is_fallback_heavy(1, 1)


@pytest.mark.postgres
def test_search_and_filters_on_postgresql(pg_app, monkeypatch):
    from tests.console.conftest import Browser

    make_user("zhang")
    wang = make_case(name="王小明", major="金融学",
                     messages=[{"role": "user", "text": "我想报考湖北省考的税务岗位", "intent": "inform"}])
    zhao = make_case(name="赵雪", major="计算机科学与技术",
                     messages=[{"role": "user", "text": "請問國考報名時間", "intent": "faq"}] +
                     turns(3, fallback=3))
    make_case(agency="other", name="王小明", major="金融学")
    b = Browser(pg_app)
    assert b.login("zhang").status_code == 302
    b.csrf("/cases")
    assert searched(b, "王") == {wang}
    assert searched(b, "金融学") == {wang}
    assert searched(b, "国考报名") == {zhao}
    assert searched(b, "税务局") == set()
    r = b.post("/cases/search", {"q": "%_'\\"})   # punctuation only: refused before searching
    assert r.headers["Location"] == "/cases"
    assert "没有可检索的文字" in b.get("/cases").get_data(as_text=True)
    assert listed(b, "/cases?flag=fallback_heavy") == {zhao}
    assert listed(b, "/cases?intent=faq") == {zhao}
    # The GIN index is what PostgreSQL uses for the term match.
    from sqlalchemy import text

    from bot.db import get_engine

    with get_engine().connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT student_id FROM console_case_index WHERE terms @@ CAST(:q AS tsquery)"),
            {"q": search.tsquery_literal(["金融"])}))
    assert "ix_console_case_index_terms" in plan


@pytest.mark.postgres
def test_postgresql_search_is_exact_ordered_and_capped(pg_app, monkeypatch):
    import csv
    import io

    from bot.console import queries
    from tests.console.conftest import Browser

    make_user("zhang")
    hits = [make_case(name=f"学生{i}", active_days_ago=i,
                      messages=[{"role": "user", "text": f"请问报名时间是几号？（{i}）"}]) for i in range(7)]
    decoy = make_case(name="干扰项", active_days_ago=0.5,     # 报名 and 时间, never side by side
                      messages=[{"role": "user", "text": "报名要带什么材料"}, {"role": "user", "text": "时间来得及吗"}])
    b = Browser(pg_app)
    assert b.login("zhang").status_code == 302
    b.csrf("/cases")
    r = b.post("/cases/search", {"q": "报名时间"})
    html = b.get(r.headers["Location"]).get_data(as_text=True)
    assert [int(x) for x in ROW_RE.findall(html)] == hits and "共 7 个" in html
    assert str(decoy) not in ROW_RE.findall(html)
    exported = list(csv.reader(io.StringIO(b.get("/cases/export.csv?" + r.headers["Location"].split("?")[1])
                                           .data.decode("utf-8")[1:])))
    assert [int(row[0]) for row in exported[1:]] == hits

    monkeypatch.setattr(queries, "SEARCH_CAP", 3)
    html = b.get(r.headers["Location"]).get_data(as_text=True)
    assert [int(x) for x in ROW_RE.findall(html)] == hits[:3]
    assert "超过 3 个" in html and "只列出最近活动的 3 个" in html
    # Short words are answered by the index alone; the cap applies too.
    r = b.post("/cases/search", {"q": "报名"})
    html = b.get(r.headers["Location"]).get_data(as_text=True)
    assert [int(x) for x in ROW_RE.findall(html)] == [hits[0], decoy, hits[1]]


def test_search_tells_when_the_index_is_still_being_built(app, browser):
    make_user("zhang")
    make_case(name="王小明")
    app.config["INDEX_ON_REQUEST"] = False          # as if the background build had not reached it
    b = browser("zhang")
    r = b.post("/cases/search", {"q": "王小明"})
    html = b.get(r.headers["Location"]).get_data(as_text=True)
    assert "搜索索引正在更新（还有 1 个案例待处理）" in html and not ROW_RE.findall(html)


def test_background_indexer_indexes_new_and_changed_cases(app):
    import time

    from bot.console.models import CaseIndex
    from bot.db import get_engine

    indexer = search.Indexer(get_engine(), interval=0.05)
    indexer.start()
    try:
        cid = make_case(name="王小明", messages=turns(2, fallback=2))

        def row():
            with session_scope() as s:
                return s.get(CaseIndex, cid)

        deadline = time.time() + 10
        while (r := row()) is None and time.time() < deadline:
            time.sleep(0.05)
        assert r is not None and "王小明" in r.body and (r.user_messages, r.fallback_messages) == (2, 2)
        with session_scope() as s:
            from bot.db.models import utcnow

            s.add(Message(student_id=cid, role="user", text="补充一句：我也想考选调生"))
            s.get(Student, cid).last_active_at = utcnow()
        while "选调生" not in row().body and time.time() < deadline:
            time.sleep(0.05)
        assert "选调生" in row().body and row().messages == 5
    finally:
        indexer.stop()
