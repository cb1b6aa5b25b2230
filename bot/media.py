"""Images and files sent to students (ratio charts, reports), stored in the case database
and served by an unguessable token (see bot/channels/media.py)."""

from __future__ import annotations

import secrets
from typing import Optional, Tuple

from sqlalchemy import select

from bot.config import settings
from bot.db import session_scope
from bot.db.models import Media, Report, Student


def new_token() -> str:
    return secrets.token_urlsafe(24)


def url_for(token: str, filename: str = "") -> str:
    base = settings()["public_url"].rstrip("/")
    suffix = f"/{filename}" if filename else ""
    return f"{base}/webhooks/media/{token}{suffix}"


def store(sender_id: str, kind: str, content_type: str, filename: str, data: bytes) -> Optional[str]:
    """Stores a file of a student's case; returns its token (None when there is no case)."""
    with session_scope() as session:
        student = session.execute(select(Student).where(Student.sender_id == sender_id)).scalar_one_or_none()
        if student is None:
            return None
        token = new_token()
        session.add(Media(student_id=student.id, token=token, kind=kind, content_type=content_type,
                          filename=filename, data=data))
        return token


def fetch(token: str) -> Optional[Tuple[str, str, bytes]]:
    """(content type, file name, bytes) of a stored file or report, by token."""
    if not token or len(token) > 64:
        return None
    with session_scope() as session:
        media = session.execute(select(Media).where(Media.token == token)).scalar_one_or_none()
        if media is not None:
            return media.content_type, media.filename, bytes(media.data)
        report = session.execute(select(Report).where(Report.token == token)).scalar_one_or_none()
        if report is not None and report.pdf:
            return "application/pdf", "生涯规划报告.pdf", bytes(report.pdf)
    return None
