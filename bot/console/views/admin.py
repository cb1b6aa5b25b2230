"""Admin pages: accounts, the audit log, the agency settings and purging old cases.

An admin manages their own agency only."""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Tuple

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from bot.console import accounts, purge
from bot.console.accounts import AccountError
from bot.console.app import error_response
from bot.console.audit import ACTIONS
from bot.console.models import AuditEntry, User
from bot.console.web import admins_only, db, record, require_user

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE = 100
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


admins_only(bp, "只有管理员可以访问这个页面")


def _own_user(user_id: int):
    target = db().get(User, user_id)
    if target is None or target.agency != require_user().agency:
        return None
    return target


# -- accounts --------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    admin = require_user()
    error = None
    form: Dict[str, str] = {}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in ("username", "display_name", "role")}
        password = request.form.get("password") or ""
        if password != (request.form.get("password2") or ""):
            error = "两次输入的密码不一致"
        else:
            try:
                created = accounts.create_user(db(), form["username"], password, form["role"] or "counselor",
                                               admin.agency, form["display_name"])
                record("user_add", detail={"user_id": created.id, "role": created.role})
                flash(f"已创建账号 {created.username}", "success")
                return redirect(url_for("admin.users"))
            except AccountError as exc:
                error = str(exc)
    rows = accounts.list_users(db(), admin.agency)
    return render_template("admin_users.html", rows=rows, error=error, form=form), (400 if error else 200)


@bp.post("/users/<int:user_id>/<action>")
def user_action(user_id: int, action: str):
    admin = require_user()
    target = _own_user(user_id)
    if target is None or action not in ("disable", "enable", "password"):
        return error_response(404)
    if action == "disable":
        if target.id == admin.id:
            flash("不能停用自己的账号", "warning")
            return redirect(url_for("admin.users"))
        accounts.set_disabled(db(), target, True)
        record("user_disable", detail={"user_id": target.id})
        flash(f"已停用账号 {target.username}，其登录已失效", "success")
    elif action == "enable":
        accounts.set_disabled(db(), target, False)
        record("user_enable", detail={"user_id": target.id})
        flash(f"已启用账号 {target.username}", "success")
    else:
        password = request.form.get("password") or ""
        try:
            accounts.set_password(db(), target, password)
        except AccountError as exc:
            flash(str(exc), "warning")
            return redirect(url_for("admin.users"))
        record("user_password", detail={"user_id": target.id})
        flash(f"已为 {target.username} 设置新密码，其登录已失效", "success")
    return redirect(url_for("admin.users"))


# -- audit log -------------------------------------------------------------------------------

@bp.get("/audit")
def audit_log():
    admin = require_user()
    args = request.args
    conds = [AuditEntry.agency == admin.agency]
    action = args.get("action") or ""
    if action in ACTIONS:
        conds.append(AuditEntry.action == action)
    username = (args.get("user") or "").strip()[:64]
    if username:
        conds.append(func.lower(AuditEntry.username) == username.lower())
    case = args.get("case") or ""
    if case.isdigit() and len(case) < 10:
        conds.append(AuditEntry.case_id == int(case))
    page = args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    s = db()
    total = int(s.execute(select(func.count()).select_from(AuditEntry).where(*conds)).scalar_one())
    pages = max(1, math.ceil(total / AUDIT_PAGE))
    page = min(max(page, 1), pages)
    rows = s.execute(select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc())
                     .limit(AUDIT_PAGE).offset((page - 1) * AUDIT_PAGE)).scalars().all()
    record("audit_view")
    filters = {k: v for k, v in (("action", action if action in ACTIONS else ""), ("user", username),
                                 ("case", case if case.isdigit() else "")) if v}
    return render_template("admin_audit.html", rows=rows, total=total, page=page, pages=pages,
                           filters=filters, actions=ACTIONS)


# -- agency settings -------------------------------------------------------------------------

def _settings_form(form) -> Tuple[Dict[str, Any], List[str]]:
    errors: List[str] = []
    values: Dict[str, Any] = {}
    for key, label, limit in (("name", "机构名称", 64), ("short_name", "简称", 16), ("greeting", "欢迎语", 500),
                              ("contact", "联系方式说明", 200)):
        value = (form.get(key) or "").strip()
        if not value:
            errors.append(f"{label}不能为空")
        elif len(value) > limit:
            errors.append(f"{label}不能超过 {limit} 个字")
        values[key] = value
    for key, label, lo, hi in (("retention_days", "数据保存天数", 1, 3650),
                               ("counselor_reply_hours", "顾问回复时限（小时）", 1, 720)):
        raw = (form.get(key) or "").strip()
        if not raw.isdigit() or not lo <= int(raw) <= hi:
            errors.append(f"{label}应为 {lo}–{hi} 之间的整数")
            values[key] = raw
        else:
            values[key] = int(raw)
    version = (form.get("consent_version") or "").strip()
    if not _VERSION_RE.match(version):
        errors.append("同意书版本号只能包含英文字母、数字、点、下划线和连字符")
    values["consent_version"] = version
    colors = {}
    for key, label in (("primary", "主色"), ("header", "标题栏颜色")):
        value = (form.get(f"color_{key}") or "").strip()
        if not _COLOR_RE.match(value):
            errors.append(f"{label}应为 #RRGGBB 格式的颜色，例如 #07c160")
        colors[key] = value
    values["colors"] = colors
    return values, errors


@bp.route("/settings", methods=["GET", "POST"])
def agency_settings():
    from bot import agency

    admin = require_user()
    deployment = current_app.config["AGENCY_ID"]
    if admin.agency != deployment:
        return error_response(403, f"本系统服务的机构代号是 {deployment}，你的账号属于 {admin.agency}，不能修改它的设置")
    errors: List[str] = []
    if request.method == "POST":
        values, errors = _settings_form(request.form)
        if not errors:
            before = agency.current()
            agency.save(values, by=admin.username)
            changed = sorted(k for k in values if before.get(k) != values[k])
            record("settings_save", detail={"changed": changed})
            flash("机构设置已保存，对话助手会在几秒内使用新设置", "success")
            return redirect(url_for("admin.agency_settings"))
        current = dict(agency.current())
        current.update(values)
    else:
        current = agency.current()
    return render_template("admin_settings.html", s=current, errors=errors), (400 if errors else 200)


# -- purge -----------------------------------------------------------------------------------

@bp.route("/purge", methods=["GET", "POST"])
def purge_page():
    from bot import agency

    admin = require_user()
    retention = int(agency.current().get("retention_days") or 365)
    raw = (request.values.get("days") or str(retention)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 36500:
        flash("天数应为 1 以上的整数", "warning")
        return redirect(url_for("admin.purge_page"))
    days = int(raw)
    url = current_app.config["DATABASE_URL"]
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash("请勾选确认后再清理", "warning")
            return redirect(url_for("admin.purge_page", days=days))
        db().commit()
        counts = purge.purge(days, agency=admin.agency, url=url)
        record("purge", detail={"older_than_days": days, **counts})
        flash(f"已删除 {counts['cases']} 个案例（{counts['messages']} 条消息，{counts['events']} 条对话事件）", "success")
        return redirect(url_for("admin.purge_page", days=days))
    preview = purge.purge(days, agency=admin.agency, dry_run=True, url=url)
    return render_template("admin_purge.html", days=days, retention=retention, preview=preview)
