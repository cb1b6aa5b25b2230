"""Admin page: upload an official position table, read the import report, then confirm.

Two steps, both audited:

1. ``POST /admin/positions/preview`` stores the upload (``.xls``, ``.xlsx`` or ``.csv``,
   at most 20 MB) under ``var/uploads/positions/<token>/`` and shows how every column was
   understood, how many posts and conditions were parsed and the wordings left to confirm
   (:func:`bot.positions.api.preview_import`); nothing is written to the position tables.
2. ``POST /admin/positions/confirm`` imports exactly that file (its SHA-256 is checked)
   for the exam and year shown in the preview, then shows the same report with the counts
   written. The pending upload belongs to the signed-in session: another account or
   session cannot confirm it. ``POST /admin/positions/cancel`` drops it.

Admins only (like the other admin pages); every POST carries the CSRF token. The audit
entries hold the exam, year, file name and counts (a position table holds no personal data).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from bot.config import ROOT
from bot.console.web import admins_only, current_session, db, record

bp = Blueprint("positions_upload", __name__, url_prefix="/admin/positions")

MAX_BYTES = 20 * 1024 * 1024
ALLOWED = {".xls": b"\xd0\xcf\x11\xe0", ".xlsx": b"PK\x03\x04", ".csv": None}
PENDING_KEY = "positions_upload"
PENDING_HOURS = 6

def upload_root() -> Path:
    return Path(current_app.config.get("POSITIONS_UPLOAD_DIR") or ROOT / "var" / "uploads" / "positions")


def _raise_limit():
    """Tables are larger than the console's default request limit. The app's CSRF check
    reads the form before any blueprint hook runs, so this runs first (registered at the
    front of the app's hooks, below); the admin check follows as usual."""
    if request.method == "POST" and request.path == "/admin/positions/preview":
        request.max_content_length = MAX_BYTES


@bp.record_once
def _install(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit)


admins_only(bp, "只有管理员可以导入职位表")


def _url() -> str:
    return current_app.config["DATABASE_URL"]


def _safe_name(name: str) -> str:
    """The uploaded file's own name, kept readable (Chinese included) but harmless."""
    base = Path(str(name or "").replace("\\", "/")).name
    base = re.sub(r"[^\w.\-（）()\u4e00-\u9fff]", "_", base).strip("._") or "table"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    return f"{stem[:80]}.{ext.lower()}" if ext else stem[:80]


def _pending() -> Optional[Dict[str, Any]]:
    s = current_session()
    data = dict((s.data or {}).get(PENDING_KEY) or {}) if s is not None else {}
    return data or None


def _set_pending(value: Optional[Dict[str, Any]]) -> None:
    s = current_session()
    if s is None:
        return
    data = dict(s.data or {})
    if value is None:
        data.pop(PENDING_KEY, None)
    else:
        data[PENDING_KEY] = value
    s.data = data
    db().add(s)


def _drop_files(token: Optional[str]) -> None:
    if token and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", token):
        shutil.rmtree(upload_root() / token, ignore_errors=True)


def _sweep() -> None:
    """Removes uploads left pending for longer than PENDING_HOURS."""
    root = upload_root()
    if not root.is_dir():
        return
    cutoff = time.time() - PENDING_HOURS * 3600
    for d in root.iterdir():
        try:
            if d.is_dir() and d.stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def _exams() -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    from bot import knowledge
    from bot.positions import api

    try:
        loaded = api.list_exams(_url())
    except Exception:
        loaded = []
    names = sorted({*knowledge.exams().keys(), *(x["exam"] for x in loaded)})
    return [{"name": n} for n in names], loaded


def _page(status: int = 200, **context):
    from bot.positions import store

    exams, loaded = _exams()
    try:
        history = store.imported_reports(_url(), limit=15)
    except Exception:
        history = []
    context.setdefault("pending", _pending())
    return render_template("positions_upload.html", exams=exams, loaded=loaded, history=history,
                           max_mb=MAX_BYTES // (1024 * 1024), **context), status


@bp.get("")
def upload_page():
    return _page()


def _year(text: str) -> Optional[int]:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text) or not 1990 <= int(text) <= 2100:
        raise ValueError("年度应为四位数字，例如 2026")
    return int(text)


@bp.post("/preview")
def preview():
    from bot.positions import api
    from bot.positions.importer import PositionImportError

    _sweep()
    upload = request.files.get("table")
    if upload is None or not upload.filename:
        return _page(400, error="请选择要上传的职位表文件（.xls、.xlsx 或 .csv）")
    name = _safe_name(upload.filename)
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        return _page(400, error=f"不支持的文件类型“{ext or '无扩展名'}”：请上传 .xls、.xlsx 或 .csv")
    try:
        year = _year(request.form.get("year", ""))
    except ValueError as exc:
        return _page(400, error=str(exc))
    exam = (request.form.get("exam") or "").strip()[:32] or None
    old = _pending()
    if old:
        _drop_files(old.get("token"))
    token = secrets.token_urlsafe(16)
    folder = upload_root() / token
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    upload.save(str(path))
    data = path.read_bytes()
    magic = ALLOWED[ext]
    if not data:
        _drop_files(token)
        return _page(400, error="上传的文件是空的")
    if magic is not None and not data.startswith(magic):
        _drop_files(token)
        return _page(400, error=f"“{name}”的内容不是 {ext} 格式的表格，请确认文件没有损坏或被改了扩展名")
    try:
        (report,) = api.preview_import([path], exam, year)
    except (PositionImportError, api.PositionsError) as exc:
        _drop_files(token)
        record("positions_preview", detail={"file": name, "ok": False})
        return _page(400, error=str(exc))
    digest = hashlib.sha256(data).hexdigest()
    _set_pending({"token": token, "file": name, "exam": report.exam, "year": report.year, "sha256": digest,
                  "rows": report.rows})
    record("positions_preview", detail={"file": name, "exam": report.exam, "year": report.year,
                                        "posts": report.rows, "ok": True})
    return _page(report=report, pending=_pending())


@bp.post("/confirm")
def confirm():
    from bot.positions import api
    from bot.positions.importer import PositionImportError

    pending = _pending()
    token = request.form.get("token") or ""
    if not pending or not secrets.compare_digest(str(pending.get("token")), token):
        flash("没有待确认的上传（可能已导入、已取消或已过期），请重新上传", "warning")
        return redirect(url_for("positions_upload.upload_page"))
    path = upload_root() / pending["token"] / pending["file"]
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != pending["sha256"]:
        _set_pending(None)
        _drop_files(pending["token"])
        flash("上传的文件已不在服务器上，请重新上传", "warning")
        return redirect(url_for("positions_upload.upload_page"))
    try:
        (report,) = api.import_positions([path], pending["exam"], int(pending["year"]), url=_url())
    except (PositionImportError, api.PositionsError) as exc:
        return _page(400, error=str(exc))
    _set_pending(None)
    _drop_files(pending["token"])
    record("positions_import", detail={"file": pending["file"], "exam": report.exam, "year": report.year,
                                       "posts": report.rows, "new": report.posts_new,
                                       "updated": report.posts_updated, "sha256": pending["sha256"][:16]})
    flash(f"已导入 {report.exam} {report.year}：职位 新增 {report.posts_new} 个、更新 {report.posts_updated} 个", "success")
    return _page(report=report, imported=True, pending=None)


@bp.post("/cancel")
def cancel():
    pending = _pending()
    if pending:
        _drop_files(pending.get("token"))
        _set_pending(None)
        flash("已取消这次上传，文件已删除", "success")
    return redirect(url_for("positions_upload.upload_page"))
