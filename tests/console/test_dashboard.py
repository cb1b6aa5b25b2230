"""The dashboard: each chart's figures agree with the case list its bars link to."""

from __future__ import annotations

import html as htmlmod
import re

from tests.console.seed import make_case, make_user, turns

BAR_RE = re.compile(r'<a href="([^"]+)" class="bar-link">\s*<title>([^<]*)</title>.*?</a>', re.S)
VALUE_RE = re.compile(r'class="value">([^<]*)</text>')
FIGURE_RE = re.compile(r'<figure class="chart">\s*<figcaption>([^<]*)</figcaption>(.*?)</figure>', re.S)
ROW_RE = re.compile(r'class="case-link">#(\d+)</a>')


def charts(page: str):
    out = {}
    for title, body in FIGURE_RE.findall(page):
        bars = []
        for match in BAR_RE.finditer(body):
            values = VALUE_RE.findall(match.group(0))
            bars.append((htmlmod.unescape(match.group(1)), htmlmod.unescape(match.group(2)),
                         values[0] if values else ""))
        out[htmlmod.unescape(title)] = bars
    return out


def count_listed(b, href: str) -> int:
    r = b.get(href)
    assert r.status_code == 200, href
    return int(re.search(r"共 (\d+) 个", r.get_data(as_text=True)).group(1))


def test_every_bar_links_to_a_list_with_the_same_number_of_cases(any_app, browser):
    make_user("zhang")
    make_case(stage="report", feedback=[5], messages=turns(3), created_days_ago=2, active_days_ago=1)
    make_case(stage="shortlist", feedback=[2, 1], flags=["complaint"], messages=turns(4, fallback=3),
              created_days_ago=2, active_days_ago=2)
    make_case(stage="intake", flags=["counselor_requested", ("complaint", True)], created_days_ago=5,
              active_days_ago=5, messages=[{"role": "user", "text": "在吗", "intent": "greet"}])
    make_case(stage="eligibility", created_days_ago=60, active_days_ago=45, feedback=[3])   # outside 30 days
    make_case(agency="other", stage="report", feedback=[1], flags=["complaint"])             # other agency
    b = browser("zhang")
    page = b.get("/dashboard").get_data(as_text=True)
    found = charts(page)
    assert set(found) >= {"每日新建案例", "阶段漏斗（期间内有活动的案例）", "满意度分布（评分的案例数）", "等待处理",
                          "学生消息的热门意图", "每日未理解率（nlu_fallback 占学生消息的比例）"}

    funnel = {title.split("”")[0].split("“")[1]: int(value) for _, title, value in found["阶段漏斗（期间内有活动的案例）"]}
    assert funnel == {"基本信息": 3, "自我分析": 2, "资格核查": 2, "岗位筛选": 2, "规划报告": 1}
    scores = [int(v) for _, _, v in found["满意度分布（评分的案例数）"]]
    assert scores == [1, 1, 0, 0, 1]
    waiting = [int(v) for _, _, v in found["等待处理"]]
    assert waiting == [1, 1]                      # complaint (one resolved one not counted), hand-over
    per_day = [int(v) if v else 0 for _, _, v in found["每日新建案例"]]
    assert sum(per_day) == 3 and len(per_day) == 30

    checked = 0
    for name in ("阶段漏斗（期间内有活动的案例）", "满意度分布（评分的案例数）", "等待处理", "每日新建案例"):
        for href, title, value in found[name]:
            assert count_listed(b, href) == (int(value) if value else 0), (name, title, href)
            checked += 1
    for href, title, value in found["学生消息的热门意图"]:
        cases = int(re.search(r"(\d+) 个案例", value).group(1))
        assert count_listed(b, href) == cases, (title, href)
        checked += 1
    for href, _, _ in found["每日未理解率（nlu_fallback 占学生消息的比例）"]:
        assert b.get(href).status_code == 200
    assert checked >= 5 + 5 + 2 + 30 + 2
    assert "未理解率" in page and "%" in page


def test_dashboard_period_and_bad_input(app, browser):
    make_user("zhang")
    b = browser("zhang")
    page = b.get("/dashboard?days=7").get_data(as_text=True)
    assert len(charts(page)["每日新建案例"]) == 7
    assert b.get("/dashboard?days=abc").status_code == 200
    assert len(charts(b.get("/dashboard?days=1000").get_data(as_text=True))["每日新建案例"]) == 30
