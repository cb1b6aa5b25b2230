"""The case page: everything a counselor reads, the follow-up forms, and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from bot.console.models import AuditEntry, User
from bot.db import session_scope
from bot.db.models import Flag, Note, Student
from tests.console.conftest import audit_actions
from tests.console.seed import make_case, make_user, turns

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def rich_case() -> int:
    return make_case(
        name="王小明", major="金融学", education="本科", stage="shortlist", extra=True,
        messages=[
            {"role": "user", "text": "我是2026届金融学本科生", "intent": "inform", "confidence": 0.87,
             "slots": {"major": "金融学", "grad_year": 2026}},
            {"role": "bot", "text": "你想先做哪一步？",
             "extra": {"buttons": [{"title": "自我分析", "payload": "/start_self_analysis"}]}},
            {"role": "user", "text": XSS, "intent": "nlu_fallback", "confidence": 0.21, "slots": {}},
            {"role": "counselor", "text": "你好，我是张老师", "extra": {"counselor": "张老师"}},
        ],
        flags=["counselor_requested"], feedback=[4])


def test_case_page_shows_the_whole_case(app, browser):
    make_user("zhang", name="张老师")
    cid = rich_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    for text in ("王小明", "金融学", "本科", "已同意", "2026-11-v1",              # profile and consent
                 "文字功底好", "竞争激烈",                                    # SWOT
                 "湖北省考 2026", "符合 <strong>120</strong>",                 # eligibility
                 "访谈往届考生 <small>1/20</small>", "税务局科员",              # interviews
                 "14230201003000001", "1/10",                                 # shortlist, questions
                 "请求人工", "4 分"):                                          # flags, feedback
        assert text in page, text
    assert f"/cases/{cid}/shortlist-chart.png" in page


def test_transcript_shows_intent_confidence_slots_buttons_and_counselor(app, browser):
    make_user("zhang")
    cid = rich_case()
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    transcript = page.split('id="transcript-list"')[1]
    assert "意图 inform · 0.87" in transcript
    assert "major = 金融学" in transcript and "grad_year = 2026" in transcript
    assert 'class="intent low"' in transcript and "意图 nlu_fallback · 0.21" in transcript
    assert "自我分析" in transcript and 'title="/start_self_analysis"' in transcript
    assert 'class="msg msg-counselor"' in transcript and "顾问 张老师" in transcript
    # In order.
    positions = [transcript.index(t) for t in ("2026届金融学", "你想先做哪一步", "alert", "你好，我是张老师")]
    assert positions == sorted(positions)


def test_student_text_is_escaped_everywhere(app, browser):
    make_user("zhang")
    cid = rich_case()
    with session_scope() as s:
        st = s.get(Student, cid)
        st.display_name = XSS
        st.tags = [XSS[:20]]
        s.add(Flag(student_id=cid, kind="complaint", detail=XSS))
    b = browser("zhang")
    for path in (f"/cases/{cid}", "/cases", "/cases?flag=complaint"):
        page = b.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    r = b.get(f"/cases/{cid}/messages.json?after=0")
    assert XSS in [m["text"] for m in r.get_json()["messages"]]   # JSON is data; the page builds text nodes


def test_notes_have_author_and_time_and_are_audited(app, browser):
    make_user("zhang", name="张老师")
    cid = rich_case()
    b = browser("zhang")
    assert b.post(f"/cases/{cid}/notes", {"text": "  "}).status_code == 302
    assert "备注内容不能为空" in b.get(f"/cases/{cid}").get_data(as_text=True)
    r = b.post(f"/cases/{cid}/notes", {"text": "已电话联系，下周复盘 <b>重点</b>"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{cid}#notes")
    page = b.get(f"/cases/{cid}").get_data(as_text=True)
    assert "<strong>张老师</strong>" in page and "已电话联系，下周复盘 &lt;b&gt;重点&lt;/b&gt;" in page
    with session_scope() as s:
        notes = s.execute(select(Note)).scalars().all()
    assert [(n.author, n.text) for n in notes] == [("张老师", "已电话联系，下周复盘 <b>重点</b>")]
    assert notes[0].at is not None
    assert audit_actions(cid).count("note_add") == 1


def test_review_status_assignment_tags_and_flags(app, browser):
    make_user("zhang", name="张老师")
    make_user("wangls", name="王老师")
    make_user("away", agency="other")
    cid = rich_case()
    b = browser("zhang")
    with session_scope() as s:
        wang = s.execute(select(User.id).where(User.username == "wangls")).scalar_one()
        away = s.execute(select(User.id).where(User.username == "away")).scalar_one()
        flag = s.execute(select(Flag.id).where(Flag.student_id == cid)).scalar_one()
    b.post(f"/cases/{cid}/review", {"status": "follow_up"})
    b.post(f"/cases/{cid}/review", {"status": "closed"})          # not a status: ignored
    b.post(f"/cases/{cid}/assign", {"user_id": str(wang)})
    b.post(f"/cases/{cid}/assign", {"user_id": str(away)})        # another agency's account: refused
    b.post(f"/cases/{cid}/assign", {"user_id": "12abc"})
    b.post(f"/cases/{cid}/tags", {"tags": "重点，国考、 湖北  重点"})
    b.post(f"/cases/{cid}/flags/{flag}", {"action": "resolve"})
    with session_scope() as s:
        st = s.get(Student, cid)
        assert (st.review_status, st.assigned_to, st.tags) == ("follow_up", wang, ["重点", "国考", "湖北"])
        assert s.get(Flag, flag).resolved_at is not None
    page = b.get(f"/cases/{cid}").get_data(as_text=True)
    assert "需跟进" in page and "重新打开" in page
    b.post(f"/cases/{cid}/flags/{flag}", {"action": "reopen"})
    with session_scope() as s:
        assert s.get(Flag, flag).resolved_at is None
    assert b.post(f"/cases/{cid}/tags", {"tags": "很长" * 11}).status_code == 302
    with session_scope() as s:
        assert s.get(Student, cid).tags == ["重点", "国考", "湖北"]
    actions = audit_actions(cid)
    for action in ("case_view", "review_status", "assign", "tags", "flag_resolve"):
        assert action in actions


def test_computed_fallback_heavy_flag(app, browser):
    make_user("zhang")
    cid = make_case(name="赵雪", messages=turns(5, fallback=3))
    page = browser("zhang").get(f"/cases/{cid}").get_data(as_text=True)
    assert "多次未理解" in page and "5 条学生消息中有 3 条未被理解" in page


def test_every_view_and_export_is_audited_with_the_account_and_case(app, browser):
    make_user("zhang", name="张老师")
    cid = rich_case()
    b = browser("zhang")
    with session_scope() as s:
        from bot.db.models import Report

        rid = s.execute(select(Report.id).where(Report.student_id == cid)).scalar_one()
    b.get(f"/cases/{cid}")
    b.get(f"/cases/{cid}/export.pdf")
    b.get(f"/cases/{cid}/export.md")
    b.get(f"/cases/{cid}/reports/{rid}.md")
    b.get("/cases/export.csv?channel=telegram")
    b.get("/cases/export.xlsx")
    with session_scope() as s:
        rows = s.execute(select(AuditEntry).where(AuditEntry.action != "login")).scalars().all()
    got = [(e.action, e.case_id, e.username) for e in rows]
    assert got == [("case_view", cid, "zhang"), ("case_export_pdf", cid, "zhang"), ("case_export_md", cid, "zhang"),
                   ("report_download", cid, "zhang"), ("list_export_csv", None, "zhang"),
                   ("list_export_xlsx", None, "zhang")]
    assert rows[4].detail == {"rows": 1, "filters": {"channel": "telegram"}}
    # Nothing personal in the audit details.
    for e in rows:
        assert "王小明" not in str(e.detail) and "金融" not in str(e.detail)


def test_unknown_case_and_report_are_404(app, browser):
    make_user("zhang")
    cid = rich_case()
    b = browser("zhang")
    assert b.get("/cases/999999").status_code == 404
    assert b.get(f"/cases/{cid}/reports/999999.md").status_code == 404
    assert b.get(f"/cases/{cid}/reports/1.exe").status_code == 404
    assert b.get(f"/cases/{cid}/export.docx").status_code == 404
    r = b.get("/cases/abc")
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)
