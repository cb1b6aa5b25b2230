"""The dashboard: charts drawn on the server, each bar linking to the matching case list."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for

from bot.console import charts, queries
from bot.console.labels import FLAG_LABELS, STAGE_LABELS
from bot.console.web import db, require_user

bp = Blueprint("dashboard", __name__)

PERIODS = (7, 30, 90)


def _list(**args) -> str:
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for("cases.case_list") + ("?" + urlencode(args, doseq=True) if args else "")


@bp.get("/dashboard")
def dashboard():
    user = require_user()
    days = request.args.get("days", "30")
    days = int(days) if days.isdigit() and int(days) in PERIODS else 30
    d = queries.dashboard(db(), user.agency, days)
    since = d["from"].isoformat()

    per_day = charts.vertical(
        "每日新建案例",
        [charts.Bar(label=day.strftime("%m-%d"), value=n, text=str(n) if n else "",
                    href=_list(**{"from": day.isoformat(), "to": day.isoformat(), "on": "created"}),
                    title=f"{day.isoformat()}：新建 {n} 个案例")
         for day, n in d["per_day"]],
        label_every=1 if days <= 7 else (5 if days <= 30 else 15))
    funnel = charts.horizontal(
        "阶段漏斗（期间内有活动的案例）",
        [charts.Bar(label=STAGE_LABELS[stage], value=n, text=str(n),
                    href=_list(reached=stage, **{"from": since}),
                    title=f"到达“{STAGE_LABELS[stage]}”及以后：{n} 个案例")
         for stage, n in d["funnel"]])
    scores = charts.horizontal(
        "满意度分布（评分的案例数）",
        [charts.Bar(label=f"{score} 分", value=n, text=str(n), href=_list(score=score, **{"from": since}),
                    title=f"给出 {score} 分的案例：{n} 个")
         for score, n in d["scores"]], label_width=60)
    waiting = charts.horizontal(
        "等待处理",
        [charts.Bar(label=FLAG_LABELS[kind], value=n, text=str(n), href=_list(flag=kind, waiting="1"),
                    title=f"{FLAG_LABELS[kind]}，尚未处理：{n} 个案例")
         for kind, n in d["waiting"]], label_width=90)
    intents = charts.horizontal(
        "学生消息的热门意图",
        [charts.Bar(label=intent, value=n, text=f"{n} 条 · {c} 个案例", href=_list(intent=intent, **{"from": since}),
                    title=f"{intent}：{n} 条消息，涉及 {c} 个案例")
         for intent, n, c in d["intents"]], label_width=170, width=600, value_space=120)
    fallback = charts.vertical(
        "每日未理解率（nlu_fallback 占学生消息的比例）",
        [charts.Bar(label=day.strftime("%m-%d"), value=(fb / n if n else 0),
                    text=f"{round(100 * fb / n)}%" if n and fb else "",
                    href=_list(intent="nlu_fallback", **{"from": day.isoformat(), "to": day.isoformat()}),
                    title=f"{day.isoformat()}：学生消息 {n} 条，未理解 {fb} 条")
         for day, n, fb in d["fallback"]],
        label_every=1 if days <= 7 else (5 if days <= 30 else 15))
    total_n, total_fb = d["fallback_total"]
    return render_template(
        "dashboard.html", d=d, days=days, periods=PERIODS,
        charts=[per_day, funnel, scores, waiting, intents, fallback],
        fallback_rate=(total_fb / total_n if total_n else None), total_messages=total_n,
        list_fallback_heavy=_list(flag="fallback_heavy", **{"from": since}),
    )
