"""The audit log: every case view, export and change, every sign-in and account change.

An entry names the account, the action and the case id; ``detail`` holds only
non-personal facts (a status value, a row count, which filters were used), never a
student's data or a search text.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.console.models import AuditEntry, User
from bot.db.models import utcnow

# Action names and their labels in the console.
ACTIONS: Dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "case_view": "查看案例",
    "case_export_pdf": "导出案例 PDF",
    "case_export_md": "导出案例 Markdown",
    "report_download": "下载规划报告",
    "list_export_csv": "导出列表 CSV",
    "list_export_xlsx": "导出列表 Excel",
    "note_add": "添加备注",
    "review_status": "修改审阅状态",
    "assign": "分配顾问",
    "tags": "修改标签",
    "flag_resolve": "标记已处理",
    "takeover": "接管对话",
    "takeover_reply": "接管回复",
    "handback": "交还助手",
    "user_add": "新建账号",
    "user_disable": "停用账号",
    "user_enable": "启用账号",
    "user_password": "重置密码",
    "password_change": "修改本人密码",
    "settings_save": "修改机构设置",
    "purge": "清理过期案例",
    "audit_view": "查看审计日志",
    "audit_export": "导出审计日志",
    "positions_preview": "试读职位表",
    "positions_import": "导入职位表",
    "gaps_view": "查看未答好的问题",
    "knowledge_edit": "修改知识库回答",
    "knowledge_revert": "恢复知识库回答的旧版本",
}


def record(session: Session, action: str, user: Optional[User] = None, case_id: Optional[int] = None,
           detail: Optional[Dict[str, Any]] = None, ip: Optional[str] = None,
           username: Optional[str] = None, agency: Optional[str] = None) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=utcnow(), action=action, case_id=case_id, detail=detail or None, ip=(ip or None),
        user_id=user.id if user else None,
        username=user.username if user else (username or None),
        agency=user.agency if user else agency,
    )
    session.add(entry)
    return entry
