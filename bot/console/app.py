"""The counselor console: a Flask application (``create_app``).

Security model, in one place:

* every route needs a signed-in account except ``/login``, ``/healthz`` and static files
  (default-deny in :func:`_require_login`); admin pages check the role;
* sessions are server-side rows (``console_sessions``): the cookie carries a random token,
  is HttpOnly and SameSite=Lax, expires after ``console.session_idle_minutes`` of inactivity
  and ``console.session_hours`` at most, and signing out deletes the row;
* CSRF tokens (flask-wtf) on every POST; a strict Content-Security-Policy (no inline
  script or style) and ``Cache-Control: no-store`` on pages;
* a counselor sees only the cases of their own agency (others answer 404);
* the secret key comes from ``console.secret_key`` / ``COACH_CONSOLE_SECRET_KEY`` or, when
  none is configured, from a random key generated once into ``var/console-secret.key``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import traceback
from pathlib import Path
from typing import Any, Dict, Optional

from flask import Flask, g, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from bot.config import ROOT, settings

HERE = Path(__file__).resolve().parent
PUBLIC_ENDPOINTS = {"static", "auth.login", "healthz"}

csrf = CSRFProtect()
logger = logging.getLogger(__name__)


def secret_key(console: Dict[str, Any]) -> str:
    configured = str(console.get("secret_key") or "").strip()
    if configured:
        return configured
    path = Path(os.environ.get("COACH_CONSOLE_SECRET_FILE") or ROOT / "var" / "console-secret.key")
    try:
        existing = path.read_text(encoding="ascii").strip()
        if len(existing) >= 32:
            return existing
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created readable by the owner only; O_EXCL: two processes starting together agree.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def _int(value: Any, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value)))
    except (TypeError, ValueError):
        return default


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def create_app(config: Optional[Dict[str, Any]] = None) -> Flask:
    cfg = settings()
    console = cfg.get("console", {}) or {}
    app = Flask("bot.console", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.config.update(
        DATABASE_URL=cfg["database_url"],
        SECRET_KEY=secret_key(console),
        SESSION_COOKIE_NAME="coach_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_truthy(console.get("secure_cookies", False)),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=_int(console.get("session_hours"), 10, 1, 24 * 7)),
        SESSION_IDLE=dt.timedelta(minutes=_int(console.get("session_idle_minutes"), 30, 1, 24 * 60)),
        WTF_CSRF_TIME_LIMIT=None,          # valid for the life of the session
        MAX_CONTENT_LENGTH=512 * 1024,
        AGENCY_ID=str(cfg.get("agency", {}).get("id") or "default"),
        RASA_URL=None,                     # None: rasa.url or rasa.host/port from the settings
        RASA_TOKEN=None,                   # None: rasa.token from the settings
        INDEX_ON_REQUEST=True,             # bring the search index up to date before a list
    )
    if config:
        app.config.update(config)
    if _truthy(console.get("behind_proxy", False)):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    # Order matters: the login check runs before the CSRF check, so a signed-out POST is
    # sent to the sign-in page rather than told about a token.
    app.before_request(_require_login)
    csrf.init_app(app)
    app.after_request(_finish)
    app.teardown_request(_close_db)

    from bot.console.views import admin, auth, cases, dashboard

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    from bot.console.views import gaps, knowledge, positions_upload

    app.register_blueprint(positions_upload.bp)
    app.register_blueprint(gaps.bp)
    app.register_blueprint(knowledge.bp)

    @app.get("/healthz")
    def healthz():
        from bot.console.web import db

        try:
            db().execute(text("SELECT 1"))
        except Exception:
            return jsonify(status="database unavailable"), 503
        return jsonify(status="ok")

    @app.get("/")
    def index():
        return redirect(url_for("cases.case_list"))

    _register_errors(app)
    _register_template_helpers(app)
    return app


# -- request cycle ---------------------------------------------------------------------------

def wants_json() -> bool:
    return request.path.endswith(".json") or request.path.startswith("/api/")


def _require_login():
    from bot.console import accounts
    from bot.console.models import User
    from bot.console.web import db

    g.user = None
    g.user_session = None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    from flask import current_app

    s = db()
    row = accounts.load_session(s, session.get("sid"), current_app.config["SESSION_IDLE"])
    if row is not None:
        g.user = s.get(User, row.user_id)
        g.user_session = row
    # Commit now: the request must not hold a write lock (SQLite) while it works.
    s.commit()
    if g.user is not None:
        return None
    if wants_json():
        return jsonify(error="未登录或登录已过期，请重新登录"), 401
    had_session = "sid" in session
    session.pop("sid", None)
    target = request.full_path if request.method == "GET" else None
    if target and target.endswith("?"):
        target = target[:-1]
    if had_session:
        from flask import flash

        flash("登录已过期，请重新登录", "warning")
    return redirect(url_for("auth.login", next=target))


def _finish(response):
    db = g.get("db")
    if db is not None:
        if response.status_code < 500:
            db.commit()
        else:
            db.rollback()
    h = response.headers
    h.setdefault("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"
    return response


def _close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        if exc is not None:
            db.rollback()
        db.close()


# -- errors ----------------------------------------------------------------------------------

ERROR_TEXT = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "你的账号无权访问这个页面。"),
    404: ("页面不存在", "没有找到你要的页面或案例：它可能已被删除，或不属于你所在的机构。"),
    405: ("操作方式不正确", "这个地址不支持这种操作。"),
    413: ("内容过大", "提交的内容太大了。"),
    429: ("操作过于频繁", "尝试次数过多，请稍后再试。"),
    500: ("系统出错了", "服务器处理请求时出错，我们已记录。请稍后再试，或联系管理员。"),
    503: ("服务暂不可用", "依赖的服务暂时不可用，请稍后再试。"),
}


def error_response(code: int, message: Optional[str] = None):
    title, default = ERROR_TEXT.get(code, ("出错了", "请求无法完成。"))
    if wants_json():
        return jsonify(error=message or default), code
    return render_template("error.html", code=code, title=title, message=message or default), code


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(403, "页面已过期或请求来源无法验证（CSRF）。请刷新页面后重试。")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc):
        # The exception type, the route and the stack frames, but not the exception's
        # message: database errors quote the values they were given.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        logger.error("console error on %s %s: %s\n%s", request.method, request.url_rule,
                     exc.__class__.__name__, frames)
        return error_response(500)


def _register_template_helpers(app: Flask) -> None:
    from bot.console import labels, present

    @app.context_processor
    def inject():
        from bot import agency

        try:
            agency_settings = agency.current()
        except Exception:
            agency_settings = settings().get("agency", {})
        return {
            "current_user": g.get("user"),
            "agency_settings": agency_settings,
            "L": labels,
        }

    # Globals (not context variables): the macros imported by templates see them too.
    app.jinja_env.globals["P"] = present
    app.jinja_env.filters["dt"] = labels.fmt_time
    app.jinja_env.filters["dts"] = lambda v: labels.fmt_time(v, seconds=True)
    app.jinja_env.filters["yesno"] = labels.fmt_bool
    app.jinja_env.filters["channel"] = labels.channel_label
