"""The whole take-over in two Chromium windows, against the running Rasa and actions (the
``stack`` fixture, which serves the web chat at /webhooks/webchat/): a student asks for a
human in the web chat; a counselor signs in to the console, filters to the flagged case,
reads the transcript, adds a note, takes over and replies; the reply appears in the
student's web chat, named as the counselor's; what the student writes meanwhile gets no
answer from the assistant but shows up in the counselor's live transcript; after hand-back
the assistant answers again; the case PDF holds the exchange; sign out. Screenshots go to
test-output/console/.
"""

from __future__ import annotations

import io
import shutil
import threading
import time

import pytest
from pypdf import PdfReader
from werkzeug.serving import make_server

from tests.conftest import OUTPUT, _reset_process_state
from tests.console.conftest import _make_app
from tests.console.seed import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SHOTS = OUTPUT / "console"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
IDLE = "() => !document.querySelector('.state.pending') && !document.querySelector('.row.typing')"
REPLY = "你好，我是张老师。看到你想找人工，我们直接聊：你最想先解决哪个问题？"


@pytest.fixture
def console(stack, monkeypatch):
    monkeypatch.setenv("COACH_DATABASE_URL", stack.db_url)
    _reset_process_state()
    app = _make_app(monkeypatch, RASA_URL=stack.rasa)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        _reset_process_state()


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


def _bot_rows(page):
    return page.locator(".row.bot:not(.typing)")


def _send(page, text):
    page.fill("#input", text)
    page.press("#input", "Enter")
    page.wait_for_function(IDLE, timeout=90_000)


def test_take_over_a_web_chat_from_the_console(stack, console, chromium, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user("zhangls_web", name="张老师")

    # The student: consent, then asks for a human.
    student = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    student.goto(f"{stack.rasa}/webhooks/webchat/")
    student.locator(".chips .chip", has_text="不同意").wait_for(timeout=90_000)
    student.wait_for_function(IDLE, timeout=90_000)
    student.locator(".chips .chip:enabled").filter(has_text="同意").filter(has_not_text="不同意").first.click()
    student.wait_for_function(IDLE, timeout=90_000)
    _send(student, "/request_counselor")
    assert _bot_rows(student).count() >= 3

    # The counselor: sign in, filter to the flagged case, read it, note, take over, reply.
    counselor_ctx = chromium.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = counselor_ctx.new_page()
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{console}/login")
    page.fill("#username", "zhangls_web")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("table.cases")
    page.check("input[name=flag][value=counselor_requested]")
    page.click("#apply-filters")
    page.wait_for_url("**flag=counselor_requested**")
    # The stack is shared with other tests that may have flagged cases too; the newest
    # activity comes first.
    assert page.locator("a.case-link").count() >= 1
    page.locator("a.case-link").first.click()
    page.wait_for_selector("#transcript-list")
    transcript = page.locator("#transcript-list").inner_text()
    assert "request_counselor" in transcript                    # the student's message and its intent
    page.fill("#note-text", "学生在网页聊天中请求人工，已接管。")
    page.click("#note-btn")
    page.wait_for_selector("text=备注已保存")
    page.click("#takeover-btn")
    page.wait_for_selector("#reply-text")
    page.fill("#reply-text", REPLY)
    page.click("#reply-btn")
    page.wait_for_selector("text=回复已发送")

    # The reply reaches the student's web chat, as the counselor's.
    student.locator(".bubble", has_text=REPLY).wait_for(timeout=30_000)
    assert "生涯顾问 张老师" in student.locator(".row.bot").last.inner_text()
    student.screenshot(path=str(SHOTS / "takeover-student-webchat.png"))

    # While taken over the assistant stays quiet; the counselor sees the message live.
    before = _bot_rows(student).count()
    _send(student, "好的，谢谢老师，我想问问报名的事")
    time.sleep(3)
    assert _bot_rows(student).count() == before
    page.locator("#transcript-list", has_text="我想问问报名的事").wait_for(timeout=20_000)
    page.screenshot(path=str(SHOTS / "takeover-console.png"), full_page=True)

    # Hand back: the assistant answers again.
    page.click("#handback-btn")
    page.wait_for_selector("text=已交还助手")
    _send(student, "你好")
    assert _bot_rows(student).count() > before

    # The case PDF holds the exchange.
    with page.expect_download() as download_info:
        page.click("#export-pdf")
    target = tmp_path / "case.pdf"
    download_info.value.save_as(str(target))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages).replace("\n", "")
    for expected in (REPLY, "顾问 张老师", "我想问问报名的事", "学生在网页聊天中请求人工，已接管。"):
        assert expected in text, expected

    page.click("#logout")
    page.wait_for_url("**/login")
    counselor_ctx.close()
