"""The case list (filters, search, exports) and the case page (notes, status, assignment,
tags, flags, take-over, exports)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import escape
from sqlalchemy import select

from bot import takeover
from bot.console import queries, search
from bot.console.accounts import user_names
from bot.console.app import error_response
from bot.console.casedata import find_case, load_case
from bot.console.exports import (
    ExportError,
    case_markdown,
    case_pdf,
    list_csv,
    list_rows,
    list_xlsx,
)
from bot.console.labels import REVIEW_STATUSES
from bot.console.models import User
from bot.console.web import (
    agency,
    db,
    last_list,
    record,
    remember_list,
    remember_search,
    require_user,
    searches,
)
from bot.db.models import Flag, Media, Message, Note, Report, utcnow

bp = Blueprint("cases", __name__)

MAX_NOTE = 5000
MAX_TAGS = 10
MAX_TAG = 20
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def _agency_name() -> str:
    from bot import agency as agency_settings

    try:
        return str(agency_settings.current().get("name") or "")
    except Exception:
        return ""


def _list_url(f: queries.Filters, **override: Any) -> str:
    args = f.args(**override)
    return url_for("cases.case_list") + ("?" + urlencode(args, doseq=True) if args else "")


def _refresh_index() -> None:
    """Indexes the cases changed since the last look (the background indexer does the
    bulk; this makes a search see a message stored a moment ago)."""
    if not current_app.config.get("INDEX_ON_REQUEST", True):
        return
    from bot.db import get_engine

    search.refresh_recent(get_engine(current_app.config["DATABASE_URL"]))


def _stale_count() -> int:
    """Cases not in the search index yet (a first build of a big database takes a while)."""
    from bot.db import get_engine

    with get_engine(current_app.config["DATABASE_URL"]).connect() as conn:
        return search.count_unindexed(conn)


# -- list --------------------------------------------------------------------------------------

@bp.get("/cases")
def case_list():
    user = require_user()
    f = queries.parse_filters(request.args, searches())
    for message in f.errors:
        flash(message, "warning")
    _refresh_index()
    s = db()
    result = queries.find_cases(s, f, user.agency, user.id)
    f.page = result.page
    index_pending = _stale_count() if (f.query or "fallback_heavy" in f.flags) else 0
    remember_list(urlencode(f.args(), doseq=True))
    users = s.execute(select(User).where(User.agency == user.agency).order_by(User.display_name)).scalars().all()
    return render_template(
        "cases.html", f=f, rows=result.rows, total=result.total, pages=result.pages, capped=result.capped,
        cap=queries.SEARCH_CAP, users=users, names={u.id: u.display_name for u in users},
        list_url=lambda **kw: _list_url(f, **kw),
        channels=sorted(set(queries.channels_in_use(s, user.agency)) | {"telegram", "webchat"}),
        index_pending=index_pending, export_args=urlencode(f.args(page=1), doseq=True),
    )


@bp.post("/cases/search")
def case_search():
    """Search text is posted, kept in the server-side session and referred to by a handle,
    so it never appears in an address, a browser history or a server log."""
    require_user()
    form = request.form
    f = queries.parse_filters(form, None)
    f.errors.clear()
    q = (form.get("q") or "").strip()[: search.MAX_QUERY]
    if not q:
        return redirect(_list_url(f, page=None, s=None))
    if not search.query_runs(q):
        flash("搜索内容里没有可检索的文字或数字", "warning")
        return redirect(_list_url(f, page=None, s=None))
    handle = remember_search(q)
    return redirect(_list_url(f, page=None, s=handle))


def _export_rows(f: queries.Filters) -> Optional[List[Dict[str, Any]]]:
    user = require_user()
    _refresh_index()
    return queries.all_cases(db(), f, user.agency, user.id)


@bp.get("/cases/export.<fmt>")
def export_list(fmt: str):
    user = require_user()
    if fmt not in ("csv", "xlsx"):
        return error_response(404)
    f = queries.parse_filters(request.args, searches())
    if f.errors:
        return error_response(400, "；".join(f.errors))
    rows = _export_rows(f)
    if rows is None:
        return error_response(400, f"符合条件的案例超过 {queries.MAX_EXPORT_ROWS} 个，请先缩小筛选范围再导出")
    table = list_rows(rows, user_names(db(), user.agency))
    record(f"list_export_{fmt}", detail={"rows": len(table), "filters": f.summary()})
    if fmt == "csv":
        body, mime = list_csv(table), "text/csv; charset=utf-8"
    else:
        body, mime = list_xlsx(table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, mime, f"cases.{fmt}")


def _download(body: bytes, mime: str, filename: str, inline: bool = False) -> Response:
    response = Response(body, mimetype=mime.split(";")[0], content_type=mime)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


# -- case page -------------------------------------------------------------------------------

def _case_or_404(case_id: int):
    student = find_case(db(), case_id, agency())
    return student


@bp.get("/cases/<int:case_id>")
def case_page(case_id: int):
    user = require_user()
    view = load_case(db(), case_id, user.agency)
    if view is None:
        return error_response(404)
    record("case_view", case_id=case_id)
    users = db().execute(
        select(User).where(User.agency == user.agency, User.disabled.is_(False)).order_by(User.display_name)
    ).scalars().all()
    back = url_for("cases.case_list") + ("?" + last_list() if last_list() else "")
    return render_template("case.html", v=view, s=view.student, users=users, back=back,
                           last_message_id=max((m.id for m in view.messages), default=0))


def _redirect_case(case_id: int, anchor: str = "") -> Response:
    return redirect(url_for("cases.case_page", case_id=case_id) + (f"#{anchor}" if anchor else ""))


@bp.post("/cases/<int:case_id>/notes")
def add_note(case_id: int):
    user = require_user()
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    text = (request.form.get("text") or "").strip()
    if not text:
        flash("备注内容不能为空", "warning")
        return _redirect_case(case_id, "notes")
    if len(text) > MAX_NOTE:
        flash(f"备注不能超过 {MAX_NOTE} 个字", "warning")
        return _redirect_case(case_id, "notes")
    db().add(Note(student_id=student.id, author=user.display_name[:64], text=text, at=utcnow()))
    record("note_add", case_id=case_id)
    flash("备注已保存", "success")
    return _redirect_case(case_id, "notes")


@bp.post("/cases/<int:case_id>/review")
def set_review(case_id: int):
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    status = request.form.get("status")
    if status not in REVIEW_STATUSES:
        flash("审阅状态无效", "warning")
        return _redirect_case(case_id)
    student.review_status = status
    record("review_status", case_id=case_id, detail={"status": status})
    flash("审阅状态已更新", "success")
    return _redirect_case(case_id)


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id: int):
    user = require_user()
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    value = (request.form.get("user_id") or "").strip()
    if not value:
        student.assigned_to = None
    else:
        target = db().get(User, int(value)) if value.isdigit() and len(value) < 10 else None
        if target is None or target.agency != user.agency or target.disabled:
            flash("只能分配给本机构在用的账号", "warning")
            return _redirect_case(case_id)
        student.assigned_to = target.id
    record("assign", case_id=case_id, detail={"user_id": student.assigned_to})
    flash("负责顾问已更新", "success")
    return _redirect_case(case_id)


@bp.post("/cases/<int:case_id>/tags")
def set_tags(case_id: int):
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    raw = (request.form.get("tags") or "").strip()
    tags: List[str] = []
    for t in _TAG_SPLIT.split(raw):
        t = t.strip()
        if t and t not in tags:
            tags.append(t)
    if any(len(t) > MAX_TAG for t in tags) or len(tags) > MAX_TAGS:
        flash(f"最多 {MAX_TAGS} 个标签，每个不超过 {MAX_TAG} 个字", "warning")
        return _redirect_case(case_id)
    student.tags = tags
    record("tags", case_id=case_id, detail={"count": len(tags)})
    flash("标签已更新", "success")
    return _redirect_case(case_id)


@bp.post("/cases/<int:case_id>/flags/<int:flag_id>")
def resolve_flag(case_id: int, flag_id: int):
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    flag = db().get(Flag, flag_id)
    if flag is None or flag.student_id != student.id:
        return error_response(404)
    reopen = request.form.get("action") == "reopen"
    flag.resolved_at = None if reopen else utcnow()
    record("flag_resolve", case_id=case_id, detail={"flag_id": flag_id, "kind": flag.kind, "reopened": reopen})
    flash("已重新标记为待处理" if reopen else "已标记为已处理", "success")
    return _redirect_case(case_id, "flags")


# -- take-over -------------------------------------------------------------------------------

def _client() -> takeover.RasaConversations:
    return takeover.RasaConversations(base_url=current_app.config.get("RASA_URL"),
                                      token=current_app.config.get("RASA_TOKEN"))


@bp.post("/cases/<int:case_id>/takeover")
def take_over(case_id: int):
    user = require_user()
    if _case_or_404(case_id) is None:
        return error_response(404)
    db().commit()
    try:
        takeover.take_over(case_id, user.id, user.agency, client=_client())
    except takeover.TakeoverError as exc:
        flash(str(exc), "error")
        return _redirect_case(case_id, "takeover")
    record("takeover", case_id=case_id)
    flash("已接管对话：助手暂停自动回复，学生的消息会出现在对话记录中", "success")
    return _redirect_case(case_id, "takeover")


@bp.post("/cases/<int:case_id>/reply")
def send_reply(case_id: int):
    user = require_user()
    if _case_or_404(case_id) is None:
        return error_response(404)
    db().commit()
    try:
        state = takeover.reply(case_id, user.id, user.display_name, request.form.get("text") or "",
                               user.agency, client=_client())
    except takeover.TakeoverError as exc:
        flash(str(exc), "error")
        return _redirect_case(case_id, "takeover")
    record("takeover_reply", case_id=case_id)
    if state.get("paused") is False:
        flash("回复已发送，但这段对话已不再处于暂停状态（学生可能重新开始了对话），助手会继续自动回复", "warning")
    else:
        flash("回复已发送", "success")
    return _redirect_case(case_id, "takeover")


@bp.post("/cases/<int:case_id>/handback")
def hand_back(case_id: int):
    user = require_user()
    if _case_or_404(case_id) is None:
        return error_response(404)
    db().commit()
    try:
        takeover.hand_back(case_id, user.id, user.agency, force=user.is_admin, client=_client())
    except takeover.TakeoverError as exc:
        flash(str(exc), "error")
        return _redirect_case(case_id, "takeover")
    record("handback", case_id=case_id)
    flash("已交还助手，它会继续回复学生", "success")
    return _redirect_case(case_id, "takeover")


@bp.get("/cases/<int:case_id>/messages.json")
def new_messages(case_id: int):
    """Messages after ``after`` (for the live transcript while a counselor has taken over).
    The case view itself is in the audit log; this refresh of it is not logged again."""
    user = require_user()
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() and len(after) < 12 else 0
    rows = db().execute(select(Message).where(Message.student_id == student.id, Message.id > after_id)
                        .order_by(Message.id).limit(200)).scalars().all()
    from bot.console.labels import fmt_time

    names = user_names(db(), user.agency)
    return jsonify(
        taken_over_by=names.get(student.taken_over_by) if student.taken_over_by else None,
        messages=[{
            "id": m.id, "role": m.role, "text": m.text, "at": fmt_time(m.at, seconds=True),
            "intent": m.intent if m.role == "user" else None,
            "confidence": round(m.confidence, 2) if m.confidence is not None else None,
            "slots": (m.slots or {}) if m.role == "user" else {},
            "counselor": (m.extra or {}).get("counselor") if m.role == "counselor" else None,
            **_live_extras(m),
        } for m in rows],
    )


def _live_extras(m: Message) -> Dict[str, Any]:
    """What the gate did and the knowledge behind an answer, for the live transcript."""
    from bot.console import present

    if m.role == "user":
        notes = [{"text": n.text, "kind": n.kind, "title": n.title} for n in present.gate_notes(m.extra)]
        topic = present.topic_note(m.extra)
        if topic:
            notes.append({"text": topic.text, "kind": "topic" + (" low" if topic.kind == "low" else ""),
                          "title": topic.title})
        return {"notes": notes}
    info = present.knowledge_info(m.extra) if m.role == "bot" else None
    if info is None:
        return {}
    return {"knowledge": {"title": info.title, "version": info.version, "used": info.used,
                          "sources": [{"source": x["source"], "url": x["url"], "checked": x["checked"]}
                                      for x in info.sources]}}


# -- exports and files -------------------------------------------------------------------------

@bp.get("/cases/<int:case_id>/export.<fmt>")
def export_case(case_id: int, fmt: str):
    user = require_user()
    if fmt not in ("pdf", "md"):
        return error_response(404)
    view = load_case(db(), case_id, user.agency)
    if view is None:
        return error_response(404)
    name = _agency_name()
    try:
        if fmt == "pdf":
            body, mime = case_pdf(view, name), "application/pdf"
        else:
            body, mime = case_markdown(view, name).encode("utf-8"), "text/markdown; charset=utf-8"
    except ExportError as exc:
        return error_response(503, str(exc))
    record(f"case_export_{fmt}", case_id=case_id)
    return _download(body, mime, f"case-{case_id}.{fmt}")


@bp.get("/cases/<int:case_id>/reports/<int:report_id>.<fmt>")
def download_report(case_id: int, report_id: int, fmt: str):
    student = _case_or_404(case_id)
    if student is None or fmt not in ("pdf", "md"):
        return error_response(404)
    report = db().get(Report, report_id)
    if report is None or report.student_id != student.id:
        return error_response(404)
    if fmt == "pdf":
        if not report.pdf:
            return error_response(404, "这份报告没有 PDF 版本，请下载 Markdown 版本")
        body, mime = bytes(report.pdf), "application/pdf"
    else:
        body, mime = report.markdown.encode("utf-8"), "text/markdown; charset=utf-8"
    record("report_download", case_id=case_id, detail={"report_id": report_id, "format": fmt})
    return _download(body, mime, f"report-{case_id}-{report_id}.{fmt}")


SAFE_INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@bp.get("/cases/<int:case_id>/media/<int:media_id>")
def media(case_id: int, media_id: int):
    student = _case_or_404(case_id)
    if student is None:
        return error_response(404)
    item = db().get(Media, media_id)
    if item is None or item.student_id != student.id:
        return error_response(404)
    mime = (item.content_type or "").split(";")[0].strip().lower()
    if mime in SAFE_INLINE:
        return _download(bytes(item.data), mime, f"media-{media_id}", inline=True)
    record("report_download", case_id=case_id, detail={"media_id": media_id})
    return _download(bytes(item.data), "application/octet-stream", f"media-{media_id}")


def _message_svg(message: str) -> Response:
    body = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="560" height="60" viewBox="0 0 560 60">'
        '<rect width="560" height="60" fill="#f6f7f8"/>'
        f'<text x="16" y="35" font-size="14" fill="#666" font-family="sans-serif">{escape(message)}</text></svg>'
    )
    return Response(body, mimetype="image/svg+xml")


@bp.get("/cases/<int:case_id>/shortlist-chart.png")
def shortlist_chart(case_id: int):
    user = require_user()
    view = load_case(db(), case_id, user.agency, with_competition=False)
    if view is None:
        return error_response(404)
    groups = view.shortlist_groups()
    exam = request.args.get("exam")
    year = request.args.get("year", "")
    group = next((g for g in groups if g[0] == exam and str(g[1]) == year), groups[0] if groups else None)
    if group is None:
        return _message_svg("还没有加入清单的岗位")
    try:
        from bot.positions import api

        png = api.compare_chart(group[2], group[0], group[1], profile=view.profile or None)
    except Exception as exc:
        from bot.positions.api import PositionsError
        from bot.positions.chart import ChartError

        from bot.positions.api import PostNotFound, UnknownExam

        if isinstance(exc, (UnknownExam, PostNotFound)):
            return _message_svg("岗位库中查不到清单里的职位，暂时无法生成竞争比图表")
        known = isinstance(exc, (PositionsError, ChartError))
        return _message_svg(str(exc)[:60] if known else "暂时无法生成竞争比图表")
    return Response(png, mimetype="image/png")
