"""The answer editor (issue 10): admins only, every topic listed, a topic's default text,
facts and sources, preview, versioned saves through bot.knowledge_edits (its refusals
shown), revert, CSRF, audit; the assistant's renderer uses the saved text at once."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot import knowledge_base, knowledge_edits
from bot.console.models import AuditEntry
from bot.db import session_scope
from tests.console.conftest import audit_actions
from tests.console.seed import make_user

KEY = "salary_structure"


def visible(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def placeholder_topic():
    return next(t for t in knowledge_base.topics().values()
                if any("{" + p + "}" in t.answer for p in t.placeholders))


def test_counselors_cannot_see_or_edit_answers(app, browser):
    make_user("zhang")
    b = browser("zhang")
    for path in ("/admin/knowledge", f"/admin/knowledge/{KEY}"):
        r = b.get(path)
        assert r.status_code == 403 and "只有管理员" in r.get_data(as_text=True)
    r = b.post(f"/admin/knowledge/{KEY}", {"answer": "改掉", "action": "save"})
    assert r.status_code == 403
    assert b.post(f"/admin/knowledge/{KEY}/revert", {"version": "default"}).status_code == 403
    assert knowledge_edits.versions("default", KEY) == []
    page = b.get("/cases").get_data(as_text=True)
    assert "回答编辑" not in page and "职位表导入" not in page and "未答好的问题" in page


def test_admin_lists_every_topic_by_group(app, browser):
    make_user("boss", role="admin")
    knowledge_edits.save("default", KEY, "新的工资说明", None, author="boss")
    knowledge_edits.save("other", "pros_cons", "别的机构改的", None, author="x")
    page = browser("boss").get("/admin/knowledge").get_data(as_text=True)
    topics = knowledge_base.topics()
    assert f"{len(topics)} 个知识点，本机构改过 1 个" in page
    for t in topics.values():
        assert f'href="/admin/knowledge/{t.key}"' in page, t.key
    for title in ("笔试之后", "基本知识", "报考资格实务", "考试与流程", "工作与待遇", "备考方法"):
        assert f"<h2>{title} <small>" in page
    row = page.split(f'href="/admin/knowledge/{KEY}"')[1].split("</tr>")[0]
    assert "本机构修改 · 第 1 版" in row
    other = page.split('href="/admin/knowledge/pros_cons"')[1].split("</tr>")[0]
    assert "默认文本" in other                                # another agency's edit is not ours
    nav = page.split('class="mainnav"')[1].split("</nav>")[0]
    assert 'href="/admin/knowledge"' in nav and 'href="/admin/positions"' in nav and "职位表导入" in nav


def test_topic_page_shows_default_facts_sources_and_preview(app, browser):
    make_user("boss", role="admin")
    t = knowledge_base.topic(KEY)
    page = browser("boss").get(f"/admin/knowledge/{KEY}").get_data(as_text=True)
    text = visible(page)
    assert t.title in text and "默认文本" in text
    assert visible(t.answer.split("\n")[0]) in text
    for f in t.facts:
        assert visible(f["source"]) in text and f"核对于 {f['checked']}" in text
        if f.get("url"):
            assert f'href="{html.escape(f["url"])}"' in page or f'href="{f["url"]}"' in page
    assert "学生现在看到的回答" in text and "本机构还没有改过这个回答" in text
    assert browser("boss").get("/admin/knowledge/no_such_topic").status_code == 404
    assert browser("boss").get("/admin/knowledge/" + "x" * 100).status_code == 404


def test_save_versions_audit_and_the_assistant_uses_it(app, browser):
    make_user("boss", role="admin", name="王主任")
    b = browser("boss")
    r = b.post(f"/admin/knowledge/{KEY}", {"answer": "工资由基本工资、津贴、补贴和奖金组成。", "more": "",
                                            "action": "save"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/knowledge/{KEY}")
    page = b.get(f"/admin/knowledge/{KEY}").get_data(as_text=True)
    assert "已保存为第 1 版" in page and "本机构第 1 版" in page and "使用中" in page
    assert "王主任" in page.split('id="versions"')[1]
    b.post(f"/admin/knowledge/{KEY}", {"answer": "第二版：工资看职级和地区。", "action": "save"})
    versions = knowledge_edits.versions("default", KEY)
    assert [(v["version"], v["author"]) for v in versions] == [(2, "boss"), (1, "boss")]
    # What the assistant renders when it answers (actions/faq.py: current override → render).
    rendered = knowledge_base.render(KEY, {}, override=knowledge_edits.current("default", KEY))
    assert rendered.text.startswith("第二版：工资看职级和地区。") and rendered.version == 2
    assert rendered.metadata()["knowledge"]["version"] == 2
    with session_scope() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "knowledge_edit")
                            .order_by(AuditEntry.id)).scalars().all()
    assert [(e.detail, e.username) for e in entries] == [({"key": KEY, "version": 1}, "boss"),
                                                         ({"key": KEY, "version": 2}, "boss")]


def test_edit_errors_are_shown_and_nothing_saved(app, browser):
    make_user("boss", role="admin")
    b = browser("boss")
    r = b.post(f"/admin/knowledge/{KEY}", {"answer": "   ", "action": "save"})
    assert r.status_code == 400 and "回答不能为空" in r.get_data(as_text=True)
    r = b.post(f"/admin/knowledge/{KEY}", {"answer": "长" * 4001, "action": "save"})
    assert r.status_code == 400 and "回答太长了" in r.get_data(as_text=True)
    t = placeholder_topic()
    r = b.post(f"/admin/knowledge/{t.key}", {"answer": "把占位符删掉了", "action": "save"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "这些占位符来自数据，需要保留" in body
    assert "把占位符删掉了" in body                               # what was typed is kept in the form
    assert knowledge_edits.versions("default", KEY) == [] and knowledge_edits.versions("default", t.key) == []
    assert "knowledge_edit" not in audit_actions()


def test_preview_renders_without_saving(app, browser):
    make_user("boss", role="admin")
    b = browser("boss")
    t = placeholder_topic()
    r = b.post(f"/admin/knowledge/{t.key}", {"answer": t.answer + "\n补一句：以当年招考公告为准。", "action": "preview"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "预览（尚未保存）" in body
    preview = visible(body.split('id="preview-text"')[1].split("</div>")[0])
    assert "补一句：以当年招考公告为准。" in preview
    assert "{" not in preview                                      # the data placeholders are filled
    r = b.post(f"/admin/knowledge/{t.key}", {"answer": "没有占位符的预览", "action": "preview"})
    assert "保存会被拒绝" in r.get_data(as_text=True)
    assert knowledge_edits.versions("default", t.key) == []


def test_revert_saves_an_old_version_again(app, browser):
    make_user("boss", role="admin")
    b = browser("boss")
    for text in ("第一版文字", "第二版文字"):
        b.post(f"/admin/knowledge/{KEY}", {"answer": text, "action": "save"})
    r = b.post(f"/admin/knowledge/{KEY}/revert", {"version": "1"})
    assert r.status_code == 302
    assert [(v["version"], v["answer"]) for v in knowledge_edits.versions("default", KEY)] == [
        (3, "第一版文字"), (2, "第二版文字"), (1, "第一版文字")]
    b.post(f"/admin/knowledge/{KEY}/revert", {"version": "default"})
    current = knowledge_edits.current("default", KEY)
    assert current["version"] == 4 and current["answer"] == knowledge_base.topic(KEY).answer
    for bad in ("99", "abc", ""):
        b.post(f"/admin/knowledge/{KEY}/revert", {"version": bad})
    assert knowledge_edits.current("default", KEY)["version"] == 4
    with session_scope() as s:
        details = [e.detail for e in s.execute(select(AuditEntry).where(AuditEntry.action == "knowledge_revert")
                                               .order_by(AuditEntry.id)).scalars()]
    assert details == [{"key": KEY, "version": 3, "from": 1}, {"key": KEY, "version": 4, "from": "default"}]


def test_csrf_and_other_agency(app, browser):
    make_user("boss", role="admin")
    make_user("farboss", role="admin", agency="other")
    b = browser("boss")
    r = b.post(f"/admin/knowledge/{KEY}", {"answer": "没有令牌", "action": "save"}, csrf=False)
    assert r.status_code == 403 and "CSRF" in r.get_data(as_text=True)
    r = b.post(f"/admin/knowledge/{KEY}/revert", {"version": "default"}, csrf=False)
    assert r.status_code == 403
    assert knowledge_edits.versions("default", KEY) == []
    # An admin of another agency reads but cannot change this assistant's answers.
    far = browser("farboss")
    page = far.get(f"/admin/knowledge/{KEY}").get_data(as_text=True)
    assert "不能修改它的回答" in page and "disabled" in page.split('id="save-btn"')[1][:30]
    r = far.post(f"/admin/knowledge/{KEY}", {"answer": "别的机构", "action": "save"})
    assert r.status_code == 403
    assert knowledge_edits.versions("other", KEY) == [] and knowledge_edits.versions("default", KEY) == []


def test_positions_audit_actions_are_in_the_vocabulary():
    from bot.console import audit

    assert audit.ACTIONS["positions_preview"] == "试读职位表"
    assert audit.ACTIONS["positions_import"] == "导入职位表"
    for action in ("gaps_view", "knowledge_edit", "knowledge_revert"):
        assert action in audit.ACTIONS and len(action) <= 32
