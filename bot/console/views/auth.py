"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from bot.console import accounts
from bot.console.accounts import AccountError
from bot.console.web import client_ip, db, record, require_user

bp = Blueprint("auth", __name__)


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no protocol-relative //)."""
    if not target or len(target) > 1000:
        return url_for("cases.case_list")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or target.startswith("/login"):
        return url_for("cases.case_list")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    from bot.console import audit

    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", next=next_url, username="", error=None)
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    s = db()
    result = accounts.authenticate(s, username, password, client_ip())
    if result.user is None:
        known = accounts.find_user(s, username) if username else None
        audit.record(s, "login_failed", user=known, ip=client_ip(),
                     detail={"reason": "throttled" if result.throttled else "rejected"})
        s.commit()
        status = 429 if result.throttled else 200
        return render_template("login.html", next=next_url, username=username, error=result.error), status
    user = result.user
    session.clear()  # a new session id after sign-in (no fixation)
    session.permanent = True
    session["sid"] = accounts.open_session(s, user, current_app.config["PERMANENT_SESSION_LIFETIME"])
    audit.record(s, "login", user=user, ip=client_ip())
    s.commit()
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout():
    s = db()
    record("logout")
    accounts.close_session(s, session.get("sid"))
    s.commit()
    session.clear()
    flash("你已安全退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    user = require_user()
    if request.method == "POST":
        current = request.form.get("current_password") or ""
        new = request.form.get("new_password") or ""
        again = request.form.get("new_password2") or ""
        s = db()
        error = None
        if not accounts.verify_password(user.password_hash, current):
            error = "当前密码不正确"
        elif new != again:
            error = "两次输入的新密码不一致"
        else:
            try:
                accounts.set_password(s, user, new)
            except AccountError as exc:
                error = str(exc)
        if error:
            return render_template("account.html", error=error), 400
        # Other browsers of this account are signed out; this one gets a fresh session.
        record("password_change")
        session.clear()
        session.permanent = True
        session["sid"] = accounts.open_session(s, user, current_app.config["PERMANENT_SESSION_LIFETIME"])
        flash("密码已修改，其他设备上的登录已失效", "success")
        return redirect(url_for("auth.account"))
    return render_template("account.html", error=None)
