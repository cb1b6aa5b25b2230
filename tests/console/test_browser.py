"""A counselor's session in Debian's Chromium (Playwright): sign in, filter to a flagged
case, read its transcript (an XSS payload shows as text), add a note, take over, reply and
hand back, export the PDF and read it back, sign out. Screenshots go to
test-output/console/.

The take-over here talks to a stand-in for Rasa's HTTP API and checks what the console
sends; the real Rasa round trip is test_takeover_e2e.py. Checking the reply arrive in the
student's web chat / Telegram needs those channels (built separately).
"""

from __future__ import annotations

import io
import shutil
import threading

import pytest
from pypdf import PdfReader
from werkzeug.serving import make_server

from tests.conftest import OUTPUT
from tests.console.seed import PASSWORD, make_case, make_user, turns

pytestmark = pytest.mark.browser

SHOTS = OUTPUT / "console"
XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture
def server(app, fake_rasa):
    app.config.update(RASA_URL=fake_rasa.url)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_counselor_session_in_chromium(server, chromium, fake_rasa, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user("zhangls", name="张老师")
    for i in range(6):
        make_case(name=f"学生{i}", major="法学", messages=turns(2), active_days_ago=i)
    flagged = make_case(
        name="王小明", major="金融学", education="本科", stage="shortlist", flags=["complaint"], extra=True,
        active_days_ago=2.5,
        messages=[
            {"role": "user", "text": "我想报考湖北省考的税务岗位", "intent": "inform", "confidence": 0.88,
             "slots": {"target_region": "湖北"}},
            {"role": "bot", "text": "好的，我们先核对报考条件。",
             "extra": {"buttons": [{"title": "开始核查", "payload": "/check_my_eligibility"}]}},
            {"role": "user", "text": XSS, "intent": "nlu_fallback", "confidence": 0.2},
            {"role": "bot", "text": "抱歉，我没太明白。"},
        ])

    context = chromium.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    dialogs = []

    def on_dialog(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.accept()

    page.on("dialog", on_dialog)

    # Sign in.
    page.goto(f"{server}/cases")
    assert "/login" in page.url
    page.fill("#username", "zhangls")
    page.fill("#password", PASSWORD)
    page.screenshot(path=str(SHOTS / "01-login.png"))
    page.click("#login")
    page.wait_for_selector("table.cases")
    assert page.locator("a.case-link").count() == 7
    page.screenshot(path=str(SHOTS / "02-case-list.png"), full_page=True)

    # Filter to the flagged case; the filter is in the address.
    page.check("input[name=flag][value=complaint]")
    page.click("#apply-filters")
    page.wait_for_url("**flag=complaint**")
    links = page.locator("a.case-link")
    assert links.count() == 1 and links.first.inner_text() == f"#{flagged}"
    page.screenshot(path=str(SHOTS / "03-filtered.png"), full_page=True)

    # Read the transcript.
    links.first.click()
    page.wait_for_selector("#transcript-list")
    messages = page.locator("#transcript-list li.msg")
    assert messages.count() == 4
    assert "意图 inform · 0.88" in messages.nth(0).inner_text()
    assert "target_region = 湖北" in messages.nth(0).inner_text()
    assert "开始核查" in messages.nth(1).inner_text()
    # The payload is text on the page, not markup: nothing ran, no element was created.
    assert messages.nth(2).locator(".msg-text").inner_text() == XSS
    assert page.evaluate("window.__xss") is None
    assert page.locator("#transcript-list img[src=x]").count() == 0
    assert "nlu_fallback" in messages.nth(2).inner_text()
    page.screenshot(path=str(SHOTS / "04-case.png"), full_page=True)

    # Add a note.
    page.fill("#note-text", "已电话联系，建议先做自我分析。")
    page.click("#note-btn")
    page.wait_for_selector("text=备注已保存")
    assert "已电话联系，建议先做自我分析。" in page.locator("ul.notes").inner_text()
    assert "张老师" in page.locator("ul.notes").inner_text()

    # Take over, reply, hand back.
    page.click("#takeover-btn")
    page.wait_for_selector("#reply-text")
    page.fill("#reply-text", "你好，我是张老师，看到你的投诉了，我们来聊聊。")
    page.click("#reply-btn")
    page.wait_for_selector("text=回复已发送")
    page.screenshot(path=str(SHOTS / "05-takeover.png"), full_page=True)
    page.click("#handback-btn")                       # a confirm dialog: accepted
    page.wait_for_selector("text=已交还助手")
    assert [r["body"]["event"] for r in fake_rasa.requests] == ["pause", "bot", "resume"]
    assert fake_rasa.requests[1]["body"]["text"] == "你好，我是张老师，看到你的投诉了，我们来聊聊。"
    assert fake_rasa.requests[1]["body"]["metadata"] == {"counselor": "张老师"}

    # Export the PDF and read it back.
    with page.expect_download() as download_info:
        page.click("#export-pdf")
    target = tmp_path / "case.pdf"
    download_info.value.save_as(str(target))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    for expected in ("王小明", "金融学", "我想报考湖北省考的税务岗位", "已电话联系，建议先做自我分析。", XSS):
        assert expected in text.replace("\n", ""), expected
    shutil.copy(target, SHOTS / "case-export.pdf")

    # The dashboard: a bar leads to the matching list.
    page.click("nav.mainnav >> text=数据看板")
    page.wait_for_selector("figure.chart svg")
    page.screenshot(path=str(SHOTS / "07-dashboard.png"), full_page=True)
    page.click("figure.chart:has(figcaption:text('等待处理')) a.bar-link >> nth=0")
    page.wait_for_url("**waiting=1**")
    assert page.locator("a.case-link").all_inner_texts() == [f"#{flagged}"]

    # Sign out.
    page.click("#logout")
    page.wait_for_url("**/login")
    assert "你已安全退出" in page.content()
    page.goto(f"{server}/cases/{flagged}")
    assert "/login" in page.url
    page.screenshot(path=str(SHOTS / "06-signed-out.png"))

    assert [d for d in dialogs if d[0] != "confirm"] == []   # no alert() from the payload
    context.close()


def test_case_with_history_sources_major_check_and_plan_in_chromium(server, chromium):
    """An admin reads a case (profile history, the gate's notes, the sources of the answers,
    the major check, the study plan), then the gaps page, then edits an answer."""
    from bot import knowledge_base, knowledge_edits
    from tests.console.seed import issue_case

    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user("zhuren", role="admin", name="李主任")
    cid = issue_case()
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{server}/login")
    page.fill("#username", "zhuren")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("table.cases")
    page.goto(f"{server}/cases/{cid}")
    page.wait_for_selector("#transcript-list")

    history = page.locator("#profile-history tbody tr")
    assert history.count() == 5
    undone = page.locator("#profile-history tr.undone")
    assert undone.count() == 1 and "已撤销" in undone.inner_text()
    # Struck through: the old → new of an undone change.
    assert "line-through" in undone.locator(".new").evaluate("e => getComputedStyle(e).textDecorationLine")

    first = page.locator("#transcript-list li.msg").nth(0)
    assert "按问题回答（原判：提供个人信息）" in first.inner_text()
    assert "专业：提到但非本人信息" in first.inner_text()
    answer = page.locator("#transcript-list li.msg").nth(3)
    assert "机构修改版 第2版" in answer.inner_text()
    links = answer.locator(".sources a")
    assert links.count() >= 3 and links.first.get_attribute("href").startswith("https://")
    assert "核对于 2026-11-29" in answer.inner_text()

    mc = page.locator("#major-check")
    assert "“计算机类”：符合" in mc.inner_text().replace(" ", "")
    assert mc.locator("table.mc-table tbody tr").count() == 3
    plan = page.locator("#study-plan")
    assert plan.locator("table.plan-table tbody tr").count() >= 10
    assert "资料分析还是很差" in plan.inner_text() and "第1周完成约80%" in plan.inner_text()
    page.screenshot(path=str(SHOTS / "10-case-history-sources-plan.png"), full_page=True)
    page.locator("#major-check").screenshot(path=str(SHOTS / "11-major-check.png"))
    page.locator("#study-plan").screenshot(path=str(SHOTS / "12-study-plan.png"))

    # The gaps page: the unsure answer and the question not understood; out of domain apart.
    page.click("nav.mainnav >> text=未答好的问题")
    page.wait_for_selector("#gaps")
    gaps_text = page.locator("table.gaps-table").inner_text()
    assert "面试班是否有必要报？" in gaps_text
    assert page.locator("#out-of-scope details").get_attribute("open") is None
    page.click("#out-of-scope summary")
    assert "宁波到杭州的汽车" in page.locator("table.oos-table").inner_text()
    page.screenshot(path=str(SHOTS / "13-gaps.png"), full_page=True)

    # The answer editor: preview, save, and the transcript's renderer uses the new text.
    page.click("nav.mainnav >> text=回答编辑")
    page.wait_for_selector("table.topics")
    assert page.locator("table.topics tbody tr").count() == len(knowledge_base.topics())
    page.click("a[href='/admin/knowledge/salary_structure']")
    page.fill("#answer", "公务员工资由基本工资、津贴补贴和奖金构成，具体数额以当地规定为准。")
    page.click("#preview-btn")
    page.wait_for_selector("text=预览（尚未保存）")
    assert knowledge_edits.versions("default", "salary_structure") == []
    page.click("#save-btn")
    page.wait_for_selector("text=已保存为第 1 版")
    assert knowledge_edits.current("default", "salary_structure")["answer"].startswith("公务员工资由基本工资")
    page.screenshot(path=str(SHOTS / "14-answer-editor.png"), full_page=True)
    context.close()
