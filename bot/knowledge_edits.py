"""Console edits of knowledge answers: versioned, per agency, without retraining.

The text in knowledge/topics stays the default. An admin's edit is stored as a new version
(``knowledge_overrides``); the newest version of a key is what students see. Reverting is
saving the old text again, so every version stays readable for the audit.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import KnowledgeOverride

MAX_TEXT = 4000


class EditError(ValueError):
    """A user-facing reason why an edit was refused."""


def current(agency: str, key: str) -> Optional[Dict[str, Any]]:
    with session_scope() as session:
        row = session.execute(
            select(KnowledgeOverride).where(KnowledgeOverride.agency == agency, KnowledgeOverride.key == key)
            .order_by(KnowledgeOverride.version.desc()).limit(1)).scalar_one_or_none()
        return None if row is None else _dict(row)


def versions(agency: str, key: str) -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = session.execute(
            select(KnowledgeOverride).where(KnowledgeOverride.agency == agency, KnowledgeOverride.key == key)
            .order_by(KnowledgeOverride.version.desc())).scalars().all()
        return [_dict(r) for r in rows]


def edited_keys(agency: str) -> Dict[str, int]:
    """key -> newest version, for the keys this agency has edited."""
    with session_scope() as session:
        rows = session.execute(
            select(KnowledgeOverride.key, func.max(KnowledgeOverride.version))
            .where(KnowledgeOverride.agency == agency).group_by(KnowledgeOverride.key)).all()
        return {k: int(v) for k, v in rows}


def save(agency: str, key: str, answer: str, more: Optional[str], author: str) -> Dict[str, Any]:
    """Stores a new version. Only keys that exist in knowledge/topics can be edited, and the
    placeholders of the original answer must stay (they carry figures from the data)."""
    from bot import knowledge_base

    topic = knowledge_base.topic(key)
    if topic is None:
        raise EditError(f"没有这个知识点：{key}")
    answer = (answer or "").replace("\r\n", "\n").strip()
    more = (more or "").replace("\r\n", "\n").strip() or None
    if not answer:
        raise EditError("回答不能为空。")
    if len(answer) > MAX_TEXT or (more and len(more) > MAX_TEXT):
        raise EditError(f"回答太长了（上限{MAX_TEXT}字）。")
    missing = [p for p in topic.placeholders if "{" + p + "}" in topic.answer and "{" + p + "}" not in answer]
    if missing:
        raise EditError("这些占位符来自数据，需要保留：" + "、".join("{" + p + "}" for p in missing))
    with session_scope() as session:
        top = session.execute(select(func.max(KnowledgeOverride.version)).where(
            KnowledgeOverride.agency == agency, KnowledgeOverride.key == topic.key)).scalar()
        row = KnowledgeOverride(agency=agency, key=topic.key, version=int(top or 0) + 1, answer=answer,
                                more=more, author=author)
        session.add(row)
        session.flush()
        return _dict(row)


def _dict(row: KnowledgeOverride) -> Dict[str, Any]:
    return {"key": row.key, "version": row.version, "answer": row.answer, "more": row.more,
            "author": row.author, "at": row.at.isoformat() if row.at else None}
