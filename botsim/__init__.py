"""botsim: a local Telegram Bot API server for tests and for a terminal chat.

Start a :class:`BotApiServer`, point python-telegram-bot at it with
``ApplicationBuilder().base_url(f"{server.url}/bot").base_file_url(f"{server.url}/file/bot")``
and drive the bot as users would (:meth:`BotApiServer.user_message`,
:meth:`BotApiServer.press_button`) while inspecting what it sent
(:meth:`BotApiServer.outbox`, :meth:`BotApiServer.wait_for_messages`,
:meth:`BotApiServer.calls`). Only the standard library is used and it listens on
127.0.0.1 only by default.
"""

from botsim.objects import ApiCall, ApiError, SentDocument, SentMessage, Stats, UploadedFile
from botsim.server import DEFAULT_TOKEN, BotApiServer

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiServer",
    "SentDocument",
    "SentMessage",
    "Stats",
    "UploadedFile",
]
