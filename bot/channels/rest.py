"""Rasa's REST channel with its input checked: ``POST /webhooks/rest/webhook``.

Rasa's own channel answers 500 to a body that is not a JSON object (empty, a list, a
string). This subclass answers 400 with a short reason instead, and caps the size of a
message so that one request cannot make the NLU pipeline chew on megabytes of text.

Every message passes the per-sender rate limit first, and a turn that Rasa cannot process
(database, lock store down) is answered with a request to send it again
(bot/channels/ratelimit.py) instead of an empty reply.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels.ratelimit import guard

MAX_MESSAGE_CHARS = 20_000


def _body(req: Request) -> Dict[str, Any]:
    try:
        body = req.json
    except Exception:  # sanic raises on undecodable JSON
        raise InvalidUsage("request body must be a JSON object")
    if not isinstance(body, dict):
        raise InvalidUsage("request body must be a JSON object with 'sender' and 'message'")
    return body


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guard(on_new_message, self.name()))

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _body(req).get("sender")
        if sender is None:
            return None  # Rasa then uses its default sender id
        if not isinstance(sender, (str, int)) or not str(sender).strip() or len(str(sender)) > 128:
            raise InvalidUsage("'sender' must be a non-empty string of at most 128 characters")
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if message is None:
            return ""
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string")
        return message[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> Text:
        channel = _body(req).get("input_channel")
        return channel if isinstance(channel, str) and channel else self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None
