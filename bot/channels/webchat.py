"""The WeChat-style web chat: a page and Rasa's socket.io channel on the same origin.

Configured in credentials.yml as ``bot.channels.webchat.WebChatInput`` (channel name
``webchat``). Rasa serves, under ``/webhooks/webchat/``:

* ``/``              the page (bot/channels/static/webchat), with the agency's name and
                     colours from :func:`bot.agency.current`;
* ``/theme.css``     the agency's colours as CSS variables; ``/avatar.svg`` its avatar;
* ``/static/<file>`` the script, the style sheet and the vendored socket.io client;
* ``/history``       (POST ``{"session_id"}``) the conversation so far, for a reload.

It is Rasa's socket.io channel (``SocketIOInput``) with session persistence always on, and
stricter: the session id is issued by the server (128 random bits, the only key to a
conversation and its history) and remembered per socket, so a message cannot name another
conversation; ids of another shape (a Telegram sender id, say) are refused; only web chat
conversations have a history here. Each bot message goes to the page as one JSON object
``{"id", "at", "text", "buttons", "image", "attachment", "counselor"}``; links to the
project's media files are made relative, so they load from this origin whatever
``public_url`` says. The acknowledgement of ``user_uttered`` arrives when the turn is done.
Messages pass the per-sender rate limit (bot/channels/ratelimit.py): one over it is
acknowledged ``{"ok": false, "error": "rate_limited"}`` and the student is told once to
wait; a turn that fails is acknowledged ``"server"`` and the student asked to send again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from socketio import AsyncServer

from bot.channels.ratelimit import TEXT_TRY_AGAIN, limiter
from bot.config import settings

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static" / "webchat"
STATIC_FILES = {
    "app.js": "application/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "socket.io.min.js": "application/javascript; charset=utf-8",
}
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_MEDIA_PATH = re.compile(r"^https?://[^/]+(/webhooks/media/[A-Za-z0-9_-]{8,64}(?:/[^/?#]*)?)$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
HISTORY_LIMIT = 300
DEFAULT_PRIMARY = "#07c160"
WECHAT_GREEN_BUBBLE = "#95ec69"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


def _local(url: Any) -> Optional[str]:
    """Media URLs of this project become same-origin paths; other URLs must be http(s)."""
    if not isinstance(url, str) or not url:
        return None
    match = _MEDIA_PATH.match(url)
    if match:
        return match.group(1)
    if url.startswith("/webhooks/media/"):
        return url
    if url.startswith(("https://", "http://")):
        return url
    return None


def bot_message(data: Dict[str, Any], at: Optional[float] = None) -> Optional[Dict[str, Any]]:
    """A Rasa bot message (``BotUttered.message()`` or the data of a stored event) as the
    page renders it, or None when there is nothing to show."""
    out: Dict[str, Any] = {"id": uuid.uuid4().hex[:16], "role": "bot",
                           "at": float(at if at is not None else data.get("timestamp") or time.time())}
    text = data.get("text")
    if isinstance(text, str) and text.strip():
        out["text"] = text.strip()
    buttons = []
    for b in data.get("buttons") or data.get("quick_replies") or []:
        if isinstance(b, dict) and b.get("title") and b.get("payload") is not None:
            buttons.append({"title": str(b["title"])[:64], "payload": str(b["payload"])[:512]})
    if buttons:
        out["buttons"] = buttons
    image = _local(data.get("image"))
    attachment = data.get("attachment")
    if image:
        out["image"] = image
    if isinstance(attachment, dict):
        url = _local(attachment.get("url") or (attachment.get("payload") or {}).get("src"))
        if url and attachment.get("type") == "image":
            out.setdefault("image", url)
        elif url:
            size = attachment.get("size")
            out["attachment"] = {"url": url, "name": str(attachment.get("name") or "文件")[:128],
                                 "mime": str(attachment.get("mime") or ""),
                                 "size": int(size) if isinstance(size, (int, float)) else None}
    counselor = data.get("counselor") or (data.get("metadata") or {}).get("counselor")
    if counselor:
        out["counselor"] = str(counselor)[:32]
    # A table (the study plan) is shown in a fixed-width font so that its columns line up.
    if (data.get("format") or (data.get("metadata") or {}).get("format")) == "table" and out.get("text"):
        out["format"] = "table"
    if not any(k in out for k in ("text", "buttons", "image", "attachment")):
        return None
    return out


def history_messages(events: List[Any]) -> List[Dict[str, Any]]:
    """The conversation as the page shows it, from a tracker's events."""
    from rasa.shared.core.events import BotUttered, UserUttered

    from bot.privacy import REDACTED

    out: List[Dict[str, Any]] = []
    last_buttons: Dict[str, str] = {}
    for event in events:
        if isinstance(event, UserUttered):
            text = event.text or ""
            if not text.strip():
                continue
            item = {"id": uuid.uuid4().hex[:16], "role": "user", "at": float(event.timestamp or 0)}
            if text == REDACTED:
                item.update(text="（同意记录之前的消息没有保存）", redacted=True)
            elif text.startswith("/") and text in last_buttons:
                item["text"] = last_buttons[text]
            else:
                item["text"] = text
            out.append(item)
        elif isinstance(event, BotUttered):
            data = dict(event.data or {})
            if data.get("image") and data.get("image") == data.get("attachment"):
                data["attachment"] = None
            data["text"] = event.text
            data["metadata"] = event.metadata or {}
            message = bot_message(data, at=event.timestamp)
            if message is not None:
                out.append(message)
                if message.get("buttons"):
                    last_buttons = {b["payload"]: b["title"] for b in message["buttons"]}
    return out[-HISTORY_LIMIT:]


class WebChatOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        try:
            data = bot_message(dict(message))
        except Exception as exc:
            logger.error("Could not render a web chat message (%s).", type(exc).__name__)
            return
        if data is not None:
            await self.sio.emit(self.bot_message_evt, data, room=recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


def _theme_css(agency: Dict[str, Any]) -> str:
    colors = agency.get("colors") or {}
    primary = colors.get("primary") if _COLOR.match(str(colors.get("primary") or "")) else DEFAULT_PRIMARY
    header = colors.get("header") if _COLOR.match(str(colors.get("header") or "")) else "#ededed"
    bubble = WECHAT_GREEN_BUBBLE if primary.lower() == DEFAULT_PRIMARY else _mix(primary, "#ffffff", 0.55)
    return (":root{"
            f"--primary:{primary};--primary-text:{_readable(primary)};"
            f"--header:{header};--header-text:{_readable(header)};"
            f"--bubble-user:{bubble};--bubble-user-text:{_readable(bubble)};"
            "}\n")


def _rgb(color: str) -> List[int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return [int(c[i:i + 2], 16) for i in (0, 2, 4)]


def _mix(color: str, other: str, amount: float) -> str:
    a, b = _rgb(color), _rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b))


def _readable(background: str) -> str:
    r, g, b = (v / 255 for v in _rgb(background))

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111111" if luminance > 0.35 else "#ffffff"


def _avatar_svg(agency: Dict[str, Any]) -> str:
    colors = agency.get("colors") or {}
    primary = colors.get("primary") if _COLOR.match(str(colors.get("primary") or "")) else DEFAULT_PRIMARY
    label = (str(agency.get("short_name") or agency.get("name") or "助")[:1]) or "助"
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80">'
            f'<rect width="80" height="80" rx="10" fill="{primary}"/>'
            f'<text x="40" y="53" font-size="38" text-anchor="middle" fill="{_readable(primary)}" '
            'font-family="PingFang SC, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif">'
            f'{html.escape(label)}</text></svg>')


class WebChatInput(SocketIOInput):
    """See the module docstring."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,
            credentials.get("socketio_path", "/webhooks/webchat/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            cors_allowed_origins=credentials.get("cors_allowed_origins"),
        )

    def __init__(self, *args: Any, cors_allowed_origins: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_persistence = True
        self.cors_allowed_origins = cors_allowed_origins
        self.max_chars = int(settings().get("webchat", {}).get("max_message_chars") or 2000)
        self._static: Dict[str, tuple] = {}

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    # -- files ---------------------------------------------------------------------------------

    def _file(self, name: str) -> tuple:
        if name not in self._static:
            data = (STATIC / name).read_bytes()
            self._static[name] = (data, '"' + hashlib.sha1(data).hexdigest()[:20] + '"')
        return self._static[name]

    @staticmethod
    async def _agency() -> Dict[str, Any]:
        from bot import agency

        return await asyncio.get_running_loop().run_in_executor(None, agency.current)

    async def _page(self) -> str:
        agency = await self._agency()
        title = str(settings().get("webchat", {}).get("title") or agency.get("name") or "在线咨询")
        config = {
            "title": title,
            "agency": str(agency.get("name") or ""),
            "contact": str(agency.get("contact") or ""),
            "socketPath": self.socketio_path,
            "userEvent": self.user_message_evt,
            "botEvent": self.bot_message_evt,
            "maxChars": self.max_chars,
        }
        blob = json.dumps(config, ensure_ascii=False)
        blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        return page.replace("{{title}}", html.escape(title)).replace("{{config}}", blob)

    # -- the blueprint -------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins,
                          max_http_buffer_size=64 * 1024)
        bp = SocketBlueprint(sio, self.socketio_path, "coach_webchat", __name__)
        self.sio = sio
        namespace = self.namespace
        parent = self

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if parent.jwt_key:
                from rasa.core.channels.channel import decode_bearer_token

                token = (auth or {}).get("token")
                try:
                    return bool(token and decode_bearer_token(token, parent.jwt_key, parent.jwt_algorithm))
                except Exception:
                    return False
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if valid_session_id(requested) else uuid.uuid4().hex
            previous = (await sio.get_session(sid, namespace=namespace)).get("session_id")
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=namespace)
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> Dict[str, Any]:
            session_id = (await sio.get_session(sid, namespace=namespace)).get("session_id")
            if not session_id:
                return {"ok": False, "error": "no_session"}
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str) or not text.strip():
                return {"ok": False, "error": "empty"}
            text = text.strip()
            if len(text) > parent.max_chars:
                return {"ok": False, "error": "too_long", "max": parent.max_chars}
            output = WebChatOutput(sio, parent.bot_message_evt)
            decision = await limiter().check(session_id)
            if not decision.allowed:
                if decision.first:  # said once, not once per extra message
                    await output.send_text_message(session_id, decision.text)
                return {"ok": False, "error": "rate_limited", "retry_after": decision.retry_after}
            try:
                await on_new_message(UserMessage(text, output, session_id, input_channel=parent.name()))
            except Exception as exc:
                logger.error("Web chat turn failed (%s).", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await output.send_text_message(session_id, TEXT_TRY_AGAIN)
                return {"ok": False, "error": "server"}
            return {"ok": True}

        def cached(request: Request, name: str, content_type: str) -> response.HTTPResponse:
            data, etag = self._file(name)
            headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            if request.headers.get("If-None-Match") == etag:
                return response.empty(status=304, headers=headers)
            return response.raw(data, content_type=content_type, headers=headers)

        async def page(request: Request) -> response.HTTPResponse:
            if not request.path.endswith("/"):
                # The page's resources are relative to the folder.
                return response.redirect(request.path + "/", status=301)
            try:
                body = await self._page()
            except Exception as exc:
                logger.error("Web chat page failed (%s).", type(exc).__name__)
                return response.text("网页聊天暂时不可用，请稍后再试。", status=503)
            return response.html(body, headers={
                "Content-Security-Policy": CSP, "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})

        bp.add_route(page, "/", methods=["GET"], name="webchat_page", strict_slashes=False)

        @bp.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> response.HTTPResponse:
            if name not in STATIC_FILES:
                return response.json({"error": "not found"}, status=404)
            return cached(request, name, STATIC_FILES[name])

        @bp.route("/theme.css", methods=["GET"])
        async def theme(request: Request) -> response.HTTPResponse:
            css = _theme_css(await self._agency())
            return response.raw(css.encode("utf-8"), content_type="text/css; charset=utf-8",
                                headers={"Cache-Control": "no-cache"})

        @bp.route("/avatar.svg", methods=["GET"])
        async def avatar(request: Request) -> response.HTTPResponse:
            svg = _avatar_svg(await self._agency())
            return response.raw(svg.encode("utf-8"), content_type="image/svg+xml",
                                headers={"Cache-Control": "no-cache",
                                         "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

        @bp.route("/history", methods=["POST"])
        async def history(request: Request) -> response.HTTPResponse:
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return response.json({"error": "invalid JSON"}, status=400)
            session_id = body.get("session_id") if isinstance(body, dict) else None
            if not valid_session_id(session_id):
                return response.json({"error": "invalid session id"}, status=400)
            headers = {"Cache-Control": "no-store"}
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return response.json({"error": "not ready"}, status=503, headers=headers)
            try:
                tracker = await agent.tracker_store.retrieve_full_tracker(session_id)
            except Exception as exc:
                logger.error("Web chat history failed (%s).", type(exc).__name__)
                return response.json({"error": "unavailable"}, status=503, headers=headers)
            if tracker is None:
                return response.json({"session_id": session_id, "messages": []}, headers=headers)
            channels = {getattr(e, "input_channel", None) for e in tracker.events
                        if type(e).__name__ == "UserUttered"}
            if channels - {None, self.name()}:
                # Not a web chat conversation: nothing to show through this page.
                return response.json({"session_id": session_id, "messages": []}, headers=headers)
            return response.json({"session_id": session_id, "messages": history_messages(list(tracker.events))},
                                 headers=headers)

        return bp
