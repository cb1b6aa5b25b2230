"""A local stand-in for Telegram's Bot API (HTTP on 127.0.0.1), for tests and the benchmark.

It implements what the channel calls (getMe, setWebhook, deleteWebhook, setMyCommands,
sendMessage, sendPhoto, sendDocument, sendChatAction, answerCallbackQuery,
editMessageReplyMarkup, getUpdates), parses requests the way Telegram does (form fields,
JSON-encoded objects, multipart uploads), answers with real Bot API objects, and records
every call, including the ones it made fail on purpose (flood control, dropped
connections, server errors, a blocked bot).

Also: builders of real update JSON (messages, commands, button presses, stickers ...).
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, List, Optional
from urllib.parse import parse_qs

JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "commands", "allowed_updates",
               "link_preview_options", "reply_parameters", "scope"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
BOT_ID = 7000000001
BOT_USERNAME = "coach_test_bot"


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    files: Dict[str, Dict[str, Any]]
    at: float
    status: int = 200
    outcome: str = "ok"
    result: Any = None


@dataclass
class Failure:
    kind: str                 # retry_after | network | server_error | forbidden | bad_request
    retry_after: int = 1
    times: int = 1


class FakeBotAPI:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Call] = []
        self._failures: Dict[str, Deque[Failure]] = {}
        self._lock = threading.Condition()
        self._message_ids = itertools.count(1000)
        self._updates: List[Dict[str, Any]] = []
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.webhook: Dict[str, Any] = {}

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> "FakeBotAPI":
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                api._handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- test controls ------------------------------------------------------------------------

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, deque()).append(Failure(kind, retry_after, times))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def push_update(self, update: Dict[str, Any]) -> None:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def snapshot(self) -> int:
        """A mark: calls after it are what a step caused."""
        with self._lock:
            return len(self.calls)

    def since(self, mark: int, method: Optional[str] = None, chat_id: Optional[int] = None,
              ok_only: bool = True) -> List[Call]:
        with self._lock:
            calls = list(self.calls[mark:])
        return [c for c in calls if (method is None or c.method == method)
                and (chat_id is None or c.params.get("chat_id") == chat_id)
                and (not ok_only or c.outcome == "ok")]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.time() + timeout
        with self._lock:
            while not predicate():
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.2))
        return True

    # -- request handling -------------------------------------------------------------------------

    def _parse(self, handler: BaseHTTPRequestHandler) -> tuple:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        ctype = handler.headers.get("Content-Type", "")
        params: Dict[str, Any] = {}
        files: Dict[str, Dict[str, Any]] = {}
        if ctype.startswith("application/json"):
            params = json.loads(body or b"{}")
        elif ctype.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename is not None:
                    files[name] = {"filename": filename, "content_type": part.get_content_type(),
                                   "data": payload, "size": len(payload)}
                else:
                    params[name] = payload.decode("utf-8")
        elif body:
            params = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        for key in list(params):
            value = params[key]
            if key in JSON_FIELDS and isinstance(value, str):
                params[key] = json.loads(value)
            elif key in INT_FIELDS and isinstance(value, str) and value.lstrip("-").isdigit():
                params[key] = int(value)
        return params, files

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: Dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            # Read the body anyway so the connection stays usable.
            handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            self._send(handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = path[len(prefix):]
        params, files = self._parse(handler)
        call = Call(method, params, files, time.monotonic())
        failure = self._take_failure(method)
        if failure is not None:
            call.outcome = failure.kind
            self._record(call)
            if failure.kind == "network":
                handler.close_connection = True
                try:
                    handler.connection.shutdown(2)
                except OSError:
                    pass
                return
            status, body = {
                "retry_after": (429, {"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after {failure.retry_after}",
                                      "parameters": {"retry_after": failure.retry_after}}),
                "server_error": (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
                "forbidden": (403, {"ok": False, "error_code": 403,
                                    "description": "Forbidden: bot was blocked by the user"}),
                "bad_request": (400, {"ok": False, "error_code": 400,
                                      "description": "Bad Request: chat not found"}),
            }[failure.kind]
            call.status = status
            self._send(handler, status, body)
            return
        if method == "getUpdates":
            result = self._get_updates(params)
        else:
            try:
                result = self._result(method, params, files)
            except KeyError as exc:
                call.status, call.outcome = 400, "bad_request"
                self._record(call)
                self._send(handler, 400, {"ok": False, "error_code": 400,
                                          "description": f"Bad Request: {exc.args[0]} is missing"})
                return
        call.result = result
        self._record(call)
        self._send(handler, 200, {"ok": True, "result": result})

    def _take_failure(self, method: str) -> Optional[Failure]:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
            return failure

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _message(self, params: Dict[str, Any], **content: Any) -> Dict[str, Any]:
        chat_id = params["chat_id"]
        message = {
            "message_id": next(self._message_ids),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "启航助手", "username": BOT_USERNAME},
            "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group",
                     **({"first_name": "同学"} if int(chat_id) > 0 else {"title": "测试群"})},
            "date": int(time.time()),
        }
        message.update(content)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _result(self, method: str, params: Dict[str, Any], files: Dict[str, Dict[str, Any]]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "启航助手", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method == "setWebhook":
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token"),
                            "allowed_updates": params.get("allowed_updates")}
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method in ("setMyCommands", "answerCallbackQuery", "sendChatAction"):
            if method == "answerCallbackQuery":
                params["callback_query_id"]
            return True
        if method == "sendMessage":
            text = params["text"]
            if not text or len(text.encode("utf-16-le")) // 2 > 4096:
                raise KeyError("text of 1-4096 characters")
            content: Dict[str, Any] = {"text": text}
            if params.get("entities"):
                content["entities"] = params["entities"]
            return self._message(params, **content)
        if method == "sendPhoto":
            photo = files.get("photo") or {}
            size = photo.get("size", 0)
            return self._message(params, photo=[{"file_id": f"photo-{size}", "file_unique_id": f"p{size}",
                                                 "width": 800, "height": 500, "file_size": size}])
        if method == "sendDocument":
            doc = files.get("document") or {}
            return self._message(params, document={"file_id": f"doc-{doc.get('size', 0)}",
                                                    "file_unique_id": f"d{doc.get('size', 0)}",
                                                    "file_name": doc.get("filename"),
                                                    "mime_type": doc.get("content_type"),
                                                    "file_size": doc.get("size", 0)})
        if method == "editMessageReplyMarkup":
            message = self._message(params, text="(edited)")
            message["message_id"] = params["message_id"]
            return message
        raise KeyError(f"method {method}")

    def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        deadline = time.time() + timeout
        with self._lock:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.time() < deadline:
                self._lock.wait(min(0.1, max(0.0, deadline - time.time())))
            return list(self._updates[: int(params.get("limit") or 100)])


# -- update JSON as Telegram sends it ----------------------------------------------------------

_update_ids = itertools.count(int(time.time()) % 100000 * 1000)
_message_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def user(chat_id: int, first_name: str = "小明") -> Dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}


def _chat(chat_id: int, first_name: str, chat_type: str) -> Dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    return {"id": chat_id, "title": "考公交流群", "type": chat_type}


def message_update(chat_id: int, update_id: Optional[int] = None, first_name: str = "小明",
                   chat_type: str = "private", from_id: Optional[int] = None, **content: Any) -> Dict[str, Any]:
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "message": {
            "message_id": next(_message_ids),
            "from": user(from_id or chat_id, first_name),
            "chat": _chat(chat_id, first_name, chat_type),
            "date": int(time.time()),
            **content,
        },
    }


def text_update(chat_id: int, text: str, **kwargs: Any) -> Dict[str, Any]:
    content: Dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return message_update(chat_id, **kwargs, **content)


def sticker_update(chat_id: int, **kwargs: Any) -> Dict[str, Any]:
    return message_update(chat_id, **kwargs, sticker={
        "file_id": "CAACAgIAAxkBAAIBY2", "file_unique_id": "AgADcw", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"})


def voice_update(chat_id: int, **kwargs: Any) -> Dict[str, Any]:
    return message_update(chat_id, **kwargs, voice={
        "file_id": "AwACAgIAAxkBAAIBZG", "file_unique_id": "AgADdA", "duration": 3, "mime_type": "audio/ogg"})


def location_update(chat_id: int, **kwargs: Any) -> Dict[str, Any]:
    return message_update(chat_id, **kwargs, location={"latitude": 30.5928, "longitude": 114.3055})


def photo_update(chat_id: int, caption: Optional[str] = None, **kwargs: Any) -> Dict[str, Any]:
    content: Dict[str, Any] = {"photo": [{"file_id": "AgACAgIAAxkBAAIBZW", "file_unique_id": "AQADsw",
                                          "width": 90, "height": 67, "file_size": 1200}]}
    if caption:
        content["caption"] = caption
    return message_update(chat_id, **kwargs, **content)


def callback_update(chat_id: int, bot_message: Dict[str, Any], data: str, first_name: str = "小明",
                    update_id: Optional[int] = None) -> Dict[str, Any]:
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "callback_query": {
            "id": str(next_update_id() * 7),
            "from": user(chat_id, first_name),
            "message": bot_message,
            "chat_instance": "-5550001112223334445",
            "data": data,
        },
    }


def edited_update(chat_id: int, text: str) -> Dict[str, Any]:
    update = text_update(chat_id, text)
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = int(time.time())
    return update
