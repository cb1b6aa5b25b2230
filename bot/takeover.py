"""A counselor takes over a conversation, replies, and hands it back: through Rasa's HTTP API.

* take over: ``POST {rasa}/conversations/{id}/tracker/events`` with ``{"event": "pause"}``;
  while paused Rasa logs what the student writes but predicts and runs no action, so the
  assistant stays quiet;
* reply: the same endpoint with ``?output_channel=latest&execute_side_effects=true`` and a
  ``bot`` event carrying ``metadata.counselor``: Rasa sends it on the channel the student
  last wrote from (Telegram, web chat) and the tracker store writes it to the transcript
  as a counselor message;
* hand back: ``{"event": "resume"}``.

``rasa.token`` from the settings is sent as ``?token=`` when set. ``Student.taken_over_by``
(the console account id) mirrors the paused state. Errors are :class:`TakeoverError` with a
message for the counselor; nothing here logs message text.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional
from urllib.parse import quote

import requests
from sqlalchemy import select, update

from bot.config import settings
from bot.db import session_scope
from bot.db.models import Student

logger = logging.getLogger(__name__)

TIMEOUT = 15.0
MAX_REPLY = 2000


class TakeoverError(RuntimeError):
    """Why a take-over step failed, in Chinese, for the counselor."""


def rasa_url() -> str:
    cfg = settings().get("rasa", {})
    if cfg.get("url"):
        return str(cfg["url"]).rstrip("/")
    return f"http://{cfg.get('host', '127.0.0.1')}:{cfg.get('port', 5005)}"


def rasa_token() -> str:
    return str(settings().get("rasa", {}).get("token") or "")


class RasaConversations:
    """Minimal client of Rasa's conversation API."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = TIMEOUT, http: Optional[requests.Session] = None) -> None:
        self.base_url = (base_url or rasa_url()).rstrip("/")
        self.token = rasa_token() if token is None else token
        self.timeout = timeout
        self.http = http or requests.Session()

    def _events_url(self, sender_id: str) -> str:
        return f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker/events"

    def append(self, sender_id: str, event: Dict[str, Any], deliver: bool = False) -> Dict[str, Any]:
        params: Dict[str, str] = {}
        if deliver:
            params.update(output_channel="latest", execute_side_effects="true")
        if self.token:
            params["token"] = self.token
        try:
            response = self.http.post(self._events_url(sender_id), params=params, json=event,
                                      timeout=self.timeout)
        except requests.Timeout:
            raise TakeoverError("对话服务（Rasa）响应超时，请稍后再试") from None
        except requests.RequestException:
            raise TakeoverError("无法连接对话服务（Rasa），请确认它已启动，或联系管理员") from None
        if response.status_code in (401, 403):
            raise TakeoverError("对话服务拒绝了请求：控制台配置的 Rasa 令牌（rasa.token）不正确")
        if response.status_code == 409:
            raise TakeoverError("对话服务尚未加载模型，暂时无法接管，请稍后再试")
        if response.status_code >= 400:
            logger.warning("Rasa answered %s to a %s event", response.status_code, event.get("event"))
            raise TakeoverError(f"对话服务返回错误（HTTP {response.status_code}），请稍后再试或联系管理员")
        try:
            return response.json()
        except ValueError:
            return {}


def _student(session, case_id: int, agency: Optional[str]) -> Student:
    stmt = select(Student).where(Student.id == case_id)
    if agency is not None:
        stmt = stmt.where(Student.agency == agency)
    student = session.execute(stmt).scalar_one_or_none()
    if student is None:
        raise TakeoverError("找不到这个案例")
    return student


def take_over(case_id: int, user_id: int, agency: Optional[str] = None,
              client: Optional[RasaConversations] = None) -> None:
    """Pauses the assistant for this student; the case is then the counselor's."""
    client = client or RasaConversations()
    with session_scope() as session:
        student = _student(session, case_id, agency)
        if student.taken_over_by not in (None, user_id):
            raise TakeoverError("这个对话已由其他顾问接管")
        sender = student.sender_id
    client.append(sender, {"event": "pause"})
    with session_scope() as session:
        # Only if nobody else took it over in the meantime.
        result = session.execute(
            update(Student).where(Student.id == case_id, Student.taken_over_by.is_(None))
            .values(taken_over_by=user_id)
        )
        if result.rowcount == 0:
            current = session.get(Student, case_id)
            if current is None or current.taken_over_by != user_id:
                raise TakeoverError("这个对话已由其他顾问接管")


def reply(case_id: int, user_id: int, counselor_name: str, text: str, agency: Optional[str] = None,
          client: Optional[RasaConversations] = None) -> Dict[str, Any]:
    """Sends the counselor's message to the student. Returns ``{"paused": bool}``: False
    means the conversation is no longer paused in Rasa (e.g. the student restarted it)."""
    text = (text or "").strip()
    if not text:
        raise TakeoverError("回复内容不能为空")
    if len(text) > MAX_REPLY:
        raise TakeoverError(f"回复内容不能超过 {MAX_REPLY} 个字")
    client = client or RasaConversations()
    with session_scope() as session:
        student = _student(session, case_id, agency)
        if student.taken_over_by != user_id:
            raise TakeoverError("请先接管对话再回复")
        sender = student.sender_id
    state = client.append(sender, {"event": "bot", "text": text,
                                   "metadata": {"counselor": counselor_name}}, deliver=True)
    return {"paused": bool(state.get("paused", True))}


def hand_back(case_id: int, user_id: Optional[int], agency: Optional[str] = None, force: bool = False,
              client: Optional[RasaConversations] = None) -> None:
    """Resumes the assistant. ``force`` lets an admin end someone else's take-over."""
    client = client or RasaConversations()
    with session_scope() as session:
        student = _student(session, case_id, agency)
        if student.taken_over_by is None:
            raise TakeoverError("这个对话目前没有被接管")
        if student.taken_over_by != user_id and not force:
            raise TakeoverError("只有接管这个对话的顾问才能交还")
        sender = student.sender_id
    client.append(sender, {"event": "resume"})
    with session_scope() as session:
        session.execute(update(Student).where(Student.id == case_id).values(taken_over_by=None))
