"""The web chat in Debian's Chromium (Playwright), against the running Rasa and actions.

One student's conversation, in order: the page opens with the agency's greeting, consent
with a chip (by keyboard), the intake, a knowledge question, eligible posts, a chart as an
inline image; reload keeps the conversation; markup is shown as text; a server restart is
survived with the same identity; screenshots at phone and desktop size.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.channels import dialogue
from tests.channels.conftest import ensure_chromium
from tests.conftest import OUTPUT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
IDLE = ("() => !document.querySelector('.state.pending') && !document.querySelector('.row.typing')")
WECHAT_GREEN = (0x95, 0xEC, 0x69)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable or shutil.which("chromium"), headless=True,
                              args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _watch(page, problems):
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)


def _idle(page, timeout=90_000):
    page.wait_for_function(IDLE, timeout=timeout)


def _bot_texts(page):
    return page.locator(".row.bot:not(.typing) .bubble").all_inner_texts()


def _send(page, text):
    before = page.locator(".row.bot:not(.typing)").count()
    page.fill("#input", text)
    page.press("#input", "Enter")
    _idle(page)
    return "\n".join(_bot_texts(page)[before:] if before else _bot_texts(page))


def _chips(page):
    return page.locator(".chips .chip:enabled")


def _click_chip(page, title):
    before = page.locator(".row.bot:not(.typing)").count()
    page.locator(".chips .chip:enabled", has_text=title).last.click()
    _idle(page)
    texts = _bot_texts(page)
    return "\n".join(texts[before:])


def _check_screenshot(path: Path, size):
    from PIL import Image

    assert path.exists() and path.stat().st_size > 10_000
    with Image.open(path) as img:
        img = img.convert("RGB")
        assert img.size == size
        colours = img.getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50          # not a blank page
        counts = dict((c, n) for n, c in colours)
        assert counts.get(WECHAT_GREEN, 0) > 500                  # the student's green bubbles
        assert counts.get((255, 255, 255), 0) > 500               # the assistant's white bubbles


def test_webchat_conversation(browser, channel_stack):
    OUTPUT.mkdir(exist_ok=True)
    problems = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    _watch(page, problems)
    page.goto(channel_stack.webchat)

    # The agency's name and colours from the settings.
    assert page.locator("#title").text_content().strip() == "启航公考生涯规划"
    assert page.title() == "启航公考生涯规划"
    primary = page.evaluate("getComputedStyle(document.querySelector('.send')).backgroundColor")
    assert primary == "rgb(7, 193, 96)"
    # Accessible structure.
    log = page.locator("#messages")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert page.get_by_label("输入消息").count() == 1
    assert page.get_by_role("button", name="发送").count() == 1

    # A new conversation opens with the greeting and the consent chips.
    page.locator(".chips .chip", has_text="不同意").wait_for(timeout=90_000)
    _idle(page)
    intro = "\n".join(_bot_texts(page))
    assert "启航" in intro and "存多久" in intro
    session_id = page.evaluate("localStorage.getItem('coach.webchat.session')")
    assert session_id and len(session_id) == 32
    assert page.locator(".row.user").count() == 0                # the greeting was not typed

    # Consent with the keyboard: from the input, Shift+Tab reaches the chips.
    page.locator("#input").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "同意"
    before = page.locator(".row.bot:not(.typing)").count()
    page.keyboard.press("Enter")
    _idle(page)
    reply = "\n".join(_bot_texts(page)[before:])
    assert "谢谢信任" in reply
    assert page.locator(".row.user .bubble").last.inner_text().endswith("同意")
    assert page.locator(".chips .chip", has_text="不同意").is_disabled()

    # The intake, pressing chips where offered and typing otherwise.
    for _ in range(25):
        if dialogue.DONE in reply:
            break
        titles = _chips(page).all_inner_texts()
        title = dialogue.button_to_press(titles)
        if title:
            reply = _click_chip(page, title)
            continue
        answer = dialogue.typed_answer(reply)
        assert answer, reply
        reply = _send(page, answer)
    assert dialogue.DONE in reply
    case = channel_stack.case(session_id)
    assert case["consent"]["given"] is True and case["channel"] == "webchat"
    for key, value in dialogue.EXPECTED_PROFILE.items():
        assert case["profile"][key] == value, key

    # A knowledge question.
    assert "38" in _send(page, "国考年龄限制是多少")

    # Eligible posts, one shortlisted with its chip, then the chart inline.
    _send(page, "我能报哪些岗位")
    if "女" in _chips(page).all_inner_texts():                    # asked only when posts differ by gender
        _click_chip(page, "女")
    _click_chip(page, "第1个加入备选")
    assert len(channel_stack.case(session_id)["shortlist"]) == 1
    _send(page, "比较竞争比")
    photo = page.locator("img.photo").last
    photo.wait_for(timeout=30_000)
    page.wait_for_function("() => { const i = [...document.querySelectorAll('img.photo')].pop();"
                           " return i && i.complete && i.naturalWidth > 100; }", timeout=30_000)
    # From this origin, although public_url (what links in stored messages use) points elsewhere.
    assert photo.get_attribute("src").startswith(channel_stack.rasa + "/webhooks/media/")
    # The student's question and the chart below it.
    page.evaluate("document.querySelectorAll('.row.user')[document.querySelectorAll('.row.user').length - 1]"
                  ".scrollIntoView({block: 'start'})")
    page.screenshot(path=str(OUTPUT / "webchat-390x844.png"))
    _check_screenshot(OUTPUT / "webchat-390x844.png", (390, 844))

    # The report as a file card that downloads the PDF.
    _send(page, "生成报告")
    card = page.locator("a.file-card").last
    card.wait_for(timeout=30_000)
    assert card.locator(".file-name").inner_text().endswith(".pdf")
    assert card.locator(".file-icon").inner_text() == "PDF"
    assert "KB" in card.locator(".file-size").inner_text() or "MB" in card.locator(".file-size").inner_text()
    href = card.get_attribute("href")
    assert href.startswith(channel_stack.rasa + "/webhooks/media/")
    assert requests.get(href, timeout=30).content.startswith(b"%PDF")

    # Markup typed by the student is shown as text and never runs.
    for payload in ('<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>"):
        _send(page, payload)
        assert page.locator(".row.user .bubble").last.inner_text().endswith(payload)
    # ... and so is markup in what the assistant (here a counselor) sends; only http(s) links.
    rasa = channel_stack.rasa
    evil = ('看这里 <img src=y onerror="window.__xss=3"> javascript:window.__xss=4 '
            '<a href="javascript:window.__xss=5">点我</a> https://example.org/guide?a=1&b=2')
    r = requests.post(f"{rasa}/conversations/{session_id}/tracker/events",
                      params={"output_channel": "latest", "execute_side_effects": "true"},
                      json={"event": "bot", "text": evil, "metadata": {"counselor": "张老师"}}, timeout=60)
    assert r.status_code == 200
    last = page.locator(".row.bot .bubble", has_text="看这里").last
    last.wait_for(timeout=15_000)
    assert evil in last.inner_text()
    links = last.locator("a")
    assert links.count() == 1 and links.first.get_attribute("href") == "https://example.org/guide?a=1&b=2"
    assert page.locator(".who").last.inner_text() == "生涯顾问 张老师"
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert page.locator(".bubble img, .bubble script, img[src='x'], img[src='y']").count() == 0

    # Reload: same session, the conversation comes back from the server.
    users_before = page.locator(".row.user .bubble").all_inner_texts()
    page.reload()
    page.locator(".row.user").first.wait_for(timeout=30_000)
    _idle(page)
    assert page.evaluate("localStorage.getItem('coach.webchat.session')") == session_id
    users_after = page.locator(".row.user .bubble").all_inner_texts()
    assert [t[-20:] for t in users_after] == [t[-20:] for t in users_before]
    assert any(dialogue.DONE in t for t in _bot_texts(page))
    assert page.locator("img.photo").count() >= 1 and page.locator(".time").count() >= 1
    assert page.evaluate("window.__xss") is None

    # A restart of the server: a clear offline state, then the same conversation goes on.
    channel_stack._stack.stop()
    banner = page.locator("#banner")
    banner.wait_for(state="visible", timeout=30_000)
    assert "断开" in banner.inner_text()
    assert page.locator("#send").is_disabled()
    page.fill("#input", "还在吗")
    assert page.locator("#send").is_disabled()                   # nothing is sent into the void
    channel_stack.restart_rasa_only()
    page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=120_000)
    page.press("#input", "Enter")
    _idle(page)
    assert page.evaluate("localStorage.getItem('coach.webchat.session')") == session_id
    transcript = channel_stack.case(session_id)["transcript"]
    assert [m["text"] for m in transcript if m["role"] == "user"][-1] == "还在吗"

    # Desktop: the same conversation (the same session id) in a wide window.
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    desktop.add_init_script(f"localStorage.setItem('coach.webchat.session', '{session_id}')")
    wide = desktop.new_page()
    _watch(wide, problems)
    wide.goto(channel_stack.webchat)
    wide.locator(".row.user").first.wait_for(timeout=30_000)
    wide.wait_for_function("() => [...document.querySelectorAll('img.photo')].every(i => i.complete)",
                           timeout=30_000)
    width = wide.evaluate("document.querySelector('.app').getBoundingClientRect().width")
    assert 360 <= width <= 720
    wide.screenshot(path=str(OUTPUT / "webchat-1280x800.png"))
    _check_screenshot(OUTPUT / "webchat-1280x800.png", (1280, 800))

    # 360 px: nothing overflows sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    offline_noise = [p for p in problems if "ERR_CONNECTION_REFUSED" in p or "WebSocket" in p
                     or "Failed to load resource" in p]
    assert [p for p in problems if p not in offline_noise] == []
    context.close()
    desktop.close()


def test_history_is_only_for_the_sessions_own_web_conversation(channel_stack, telegram):
    url = f"{channel_stack.rasa}/webhooks/webchat/history"
    assert requests.post(url, json={"session_id": "../../etc"}, timeout=10).status_code == 400
    assert requests.post(url, data=b"{", timeout=10).status_code == 400
    unknown = requests.post(url, json={"session_id": "0" * 32}, timeout=10)
    assert unknown.status_code == 200 and unknown.json()["messages"] == []
    # A conversation of another channel is not readable through the web chat, even by id.
    channel_stack.say("f" * 32, "你好")
    assert requests.post(url, json={"session_id": "f" * 32}, timeout=10).json()["messages"] == []
    student = telegram()
    student.say("你好")
    assert requests.post(url, json={"session_id": student.sender_id}, timeout=10).status_code == 400


def test_page_and_static_files_are_served_with_safe_headers(channel_stack):
    base = channel_stack.webchat
    r = requests.get(base, timeout=10)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert '<script id="webchat-config" type="application/json">' in r.text
    r = requests.get(base.rstrip("/"), allow_redirects=False, timeout=10)
    assert r.status_code == 301 and r.headers["Location"].endswith("/webhooks/webchat/")
    for name in ("app.js", "style.css", "socket.io.min.js"):
        r = requests.get(base + "static/" + name, timeout=10)
        assert r.status_code == 200 and r.content
        assert requests.get(base + "static/" + name, headers={"If-None-Match": r.headers["ETag"]},
                            timeout=10).status_code == 304
    assert requests.get(base + "static/..%2F..%2Fwebchat.py", timeout=10).status_code == 404
    assert requests.get(base + "static/index.html", timeout=10).status_code == 404
    css = requests.get(base + "theme.css", timeout=10).text
    assert "--primary:#07c160" in css and "--bubble-user:#95ec69" in css
    assert requests.get(base + "avatar.svg", timeout=10).headers["Content-Type"].startswith("image/svg+xml")


def test_agency_name_and_colours_follow_the_settings(channel_stack, monkeypatch):
    """What an admin saves in the console (table agency_settings) reaches the page."""
    import time

    from bot import agency
    from bot.config import reset_settings
    from bot.db import dispose_engines
    from bot.db.models import AgencySetting
    from bot.db import session_scope

    monkeypatch.setenv("COACH_DATABASE_URL", channel_stack.db_url)
    reset_settings()
    dispose_engines()
    base = channel_stack.webchat
    try:
        agency.save({"name": "<b>远航</b>职业规划", "short_name": "远航",
                     "colors": {"primary": "#1a73e8", "header": "#20232a"}})
        deadline = time.time() + 15
        css = ""
        while time.time() < deadline:
            css = requests.get(base + "theme.css", timeout=10).text
            if "#1a73e8" in css:
                break
            time.sleep(0.5)
        assert "--primary:#1a73e8" in css and "--header:#20232a" in css
        assert "--header-text:#ffffff" in css                     # readable on the dark header
        assert "--bubble-user:#95ec69" not in css                 # the bubble follows the colour
        page = requests.get(base, timeout=10).text
        assert "<title>&lt;b&gt;远航&lt;/b&gt;职业规划</title>" in page   # escaped, not markup
        assert "远" in requests.get(base + "avatar.svg", timeout=10).text
    finally:
        with session_scope() as session:
            for key in ("name", "short_name", "colors"):
                row = session.get(AgencySetting, key)
                if row is not None:
                    session.delete(row)
        time.sleep(agency.CACHE_SECONDS + 0.5)
        reset_settings()
        dispose_engines()
