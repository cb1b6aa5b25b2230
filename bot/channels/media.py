"""Serves charts and reports to the chat clients: ``GET /webhooks/media/<token>[/<name>]``.

A Rasa input channel only for its HTTP route, so that the files come from the same
server (and origin) as the conversation. Tokens are unguessable and belong to one case;
they disappear with the case when the student deletes their data.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable
from urllib.parse import quote

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot import media


class MediaChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "media"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_media", __name__)

        async def serve(request: Request, token: str, name: str = "") -> response.HTTPResponse:
            found = await asyncio.get_running_loop().run_in_executor(None, media.fetch, token)
            if found is None:
                return response.json({"error": "not found"}, status=404)
            content_type, filename, data = found
            disposition = "inline" if content_type.startswith("image/") else "attachment"
            headers = {
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            }
            return response.raw(data, content_type=content_type, headers=headers)

        bp.add_route(serve, "/<token>", methods=["GET"], name="media")
        bp.add_route(serve, "/<token>/<name>", methods=["GET"], name="media_named")
        return bp
