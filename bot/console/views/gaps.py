"""The knowledge-gaps page: questions the assistant could not answer or answered unsure,
grouped and counted, so that the agency knows what to add (issue 10). Counselors and
admins of the agency; see :mod:`bot.console.gaps` for what counts and how it stays fast."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request

from bot.console import gaps
from bot.console.labels import today_local
from bot.console.web import record, require_user

bp = Blueprint("gaps", __name__)

PERIODS = (7, 30, 90, 0)          # days; 0 = everything kept
VIEWS = ("text", "topic")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else default


@bp.get("/gaps")
def gaps_page():
    user = require_user()
    raw_days = request.args.get("days", "30")
    days = int(raw_days) if raw_days.isdigit() and int(raw_days) in PERIODS else 30
    by = request.args.get("by", "text")
    by = by if by in VIEWS else "text"
    first = today_local() - dt.timedelta(days=days - 1) if days else None
    from bot.db import get_engine

    url = current_app.config["DATABASE_URL"]
    rep = gaps.report(get_engine(url), url, user.agency, first=first, by=by, page=_int_arg("page", 1),
                      oos_page=_int_arg("opage", 1))
    record("gaps_view", detail={"days": days, "by": by})

    def link(**override):
        args = {"days": days, "by": by, "page": rep.gaps.page, "opage": rep.oos.page}
        args.update(override)
        args = {k: v for k, v in args.items() if v not in (None, "", 1) or k == "days"}
        from flask import url_for

        return url_for("gaps.gaps_page", **args)

    return render_template("gaps.html", rep=rep, days=days, by=by, periods=PERIODS, first=first, link=link,
                           low=gaps.LOW, open_oos=request.args.get("opage") is not None)
