"""The study plan in the web chat (issue 11): readable on a 390×844 phone, in Chromium.

The plan's week table comes as a "table" message: a fixed-width font so its columns line
up, scrolling inside its bubble instead of widening the page; the chart follows as an image.
"""

from __future__ import annotations

import pytest

from tests.channels.test_webchat_browser import (  # noqa: F401  (the browser fixture)
    _bot_texts, _click_chip, _idle, _send, _watch, browser)
from tests.conftest import OUTPUT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_study_plan_is_readable_on_a_phone(browser, channel_stack):  # noqa: F811
    OUTPUT.mkdir(exist_ok=True)
    problems = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    _watch(page, problems)
    page.goto(channel_stack.webchat)
    page.locator(".chips .chip", has_text="不同意").wait_for(timeout=90_000)
    _idle(page)
    page.locator(".chips .chip:enabled").filter(has_text="同意").filter(has_not_text="不同意").last.click()
    _idle(page)

    reply = _send(page, "帮我做个备考计划")
    if "考哪个考试" in reply:
        reply = _send(page, "湖北省考")
    if "在职备考" in reply:
        reply = _click_chip(page, "在职备考")
    reply = _send(page, "工作日2小时，周末6小时")
    reply = _send(page, "常识3 言语4 数量1 判断3 资料2 申论3")
    assert "备考计划" in reply, "\n---\n".join(_bot_texts(page)[-8:])

    table = page.locator(".row.bot .bubble.table").last
    table.wait_for(timeout=30_000)
    assert "常言数判资" in table.inner_text() and "周" in table.inner_text()   # the week table, not just a head
    font = page.evaluate("getComputedStyle(document.querySelector('.bubble.table')).fontFamily")
    assert "Mono" in font or "monospace" in font
    box = table.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390      # nothing widens the page
    # The chart follows as an image that loads.
    page.wait_for_function("() => [...document.querySelectorAll('img.photo')].length > 0 && "
                           "[...document.querySelectorAll('img.photo')].every(i => i.complete && i.naturalWidth > 0)",
                           timeout=60_000)
    table.scroll_into_view_if_needed()
    path = OUTPUT / "webchat-plan-390x844.png"
    page.screenshot(path=str(path))
    from PIL import Image

    with Image.open(path) as img:
        assert img.size == (390, 844) and len(img.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50
    offline_noise = [p for p in problems if "ERR_CONNECTION_REFUSED" in p or "WebSocket" in p
                     or "Failed to load resource" in p]
    assert [p for p in problems if p not in offline_noise] == []
    context.close()
