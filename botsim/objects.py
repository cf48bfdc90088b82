"""Records and text rules for :mod:`botsim`, the local Telegram Bot API server.

This module holds the plain data the server records (:class:`SentMessage`,
:class:`SentDocument`, :class:`ApiCall`, :class:`Stats`), Telegram's length limits and
its inline keyboard checks (text rules are in :mod:`botsim.text`). Nothing here does
any I/O.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "ApiCall",
    "ApiError",
    "SentDocument",
    "SentMessage",
    "Stats",
    "UploadedFile",
    "normalize_reply_markup",
]

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
"""Longest message text Telegram accepts, in UTF-16 code units after entity parsing."""
MAX_CAPTION_LENGTH = 1024
"""Longest media caption Telegram accepts, in UTF-16 code units after entity parsing."""
MAX_CALLBACK_DATA_BYTES = 64
"""Longest ``callback_data`` of an inline keyboard button, in UTF-8 bytes."""


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        """Return the JSON envelope Telegram sends for this error."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a ``multipart/form-data`` request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class SentDocument:
    """A document the bot sent: the uploaded name, bytes and MIME type, plus its ids."""

    filename: str
    content: bytes
    mime_type: str
    file_id: str
    file_unique_id: str

    @property
    def data(self) -> bytes:
        """Alias of :attr:`content`."""
        return self.content

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return len(self.content)

    def to_dict(self) -> JSONDict:
        """Return the Bot API ``Document`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": self.size,
        }


@dataclass
class SentMessage:
    """A message the bot sent, as it stands now (after any edits).

    ``text`` is what the bot sent, markup included (the caption for documents);
    ``plain_text`` is what the user sees once ``parse_mode`` is applied, and
    ``entities`` the formatting Telegram derived from it (UTF-16 offsets).
    ``edited`` counts successful edits; ``deleted`` is set by ``deleteMessage``
    (deleted messages stay in the outbox so indices remain stable).
    """

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    document: SentDocument | None
    edited: int
    date: int
    method: str
    plain_text: str = ""
    entities: list[JSONDict] = field(default_factory=list)
    reply_to_message_id: int | None = None
    disable_notification: bool = False
    deleted: bool = False
    edit_date: int | None = None
    paid_broadcast: bool = False
    """Sent with ``allow_paid_broadcast=true`` (and paid for in Stars)."""

    def buttons(self) -> list[tuple[str, str | None, str | None]]:
        """Return ``(text, callback_data, url)`` for each inline keyboard button, in order."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (str(button.get("text", "")), button.get("callback_data"), button.get("url"))
            for row in rows
            for button in row
        ]

    def snapshot(self) -> SentMessage:
        """Return an independent copy (documents share their immutable bytes)."""
        return copy.deepcopy(self)


@dataclass
class ApiCall:
    """One Bot API request the server received.

    ``params`` holds the decoded parameters (JSON-encoded form values such as
    ``reply_markup`` are decoded, numbers and booleans converted); file parts of a
    multipart request are in ``files``. ``timestamp`` is ``time.monotonic()`` when the
    request arrived; ``status`` the HTTP status returned and ``response`` the body.
    """

    method: str
    params: JSONDict
    timestamp: float
    status: int
    response: JSONDict
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200


@dataclass
class Stats:
    """Counters of what the server did.

    ``sent``: messages delivered (sendMessage/sendDocument); ``edited``: successful
    edits; ``rate_limited``: 429s issued by the built-in limiter; ``failed_injected``:
    failures from :meth:`BotApiServer.fail_next`; ``blocked``: 403s caused by
    :meth:`BotApiServer.block`; ``paid``: messages sent with ``allow_paid_broadcast``;
    ``rate_limited_paid``: the 429s among those (the paid window, or the chat's).
    """

    sent: int = 0
    edited: int = 0
    rate_limited: int = 0
    failed_injected: int = 0
    blocked: int = 0
    paid: int = 0
    rate_limited_paid: int = 0


# ---------------------------------------------------------------------------------------
# Reply markup
# ---------------------------------------------------------------------------------------

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_button_url(url: object) -> None:
    if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)", url)
    if match is None:
        return  # Telegram accepts "example.org/path" and prefixes http://
    scheme, host = match.group(1).lower(), match.group(2).lower()
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if scheme in ("http", "https") and (not host or host in ("localhost", "127.0.0.1")):
        raise ApiError(
            400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
        )


MAX_COPY_TEXT = 256
"""Telegram's limit on a CopyTextButton's text (1-256 characters)."""


def _check_copy_text(copy_text: object) -> None:
    text = copy_text.get("text") if isinstance(copy_text, dict) else None
    if not isinstance(text, str):
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            'Field "copy_text" must be of type Object with a String "text"',
        )
    if not 1 <= len(text) <= MAX_COPY_TEXT:
        raise ApiError(400, "Bad Request: BUTTON_COPY_TEXT_INVALID")


def check_web_app(web_app: object) -> None:
    """A ``WebAppInfo``: an object whose ``url`` is an https address (Telegram refuses
    any other scheme for Mini Apps)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url.lower().startswith("https://"):
        raise ApiError(
            400, f"Bad Request: Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )


def normalize_reply_markup(markup: object) -> JSONDict | None:
    """Validate a ``reply_markup`` value and return it (None when absent).

    Enforces what Telegram rejects most often: malformed keyboards, buttons without
    an action, ``callback_data`` outside 1-64 bytes (``BUTTON_DATA_INVALID``) and
    unusable URLs.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "should be an Array of Arrays",
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "InlineKeyboardButton should be an Object",
                    )
                text = button.get("text")
                if not isinstance(text, str):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String',
                    )
                if not text.strip():
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                if not any(key in button for key in _BUTTON_ACTIONS):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if (
                        not isinstance(data, str)
                        or not data
                        or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button:
                    _check_button_url(button["url"])
                if "copy_text" in button:
                    _check_copy_text(button["copy_text"])
                if "web_app" in button:
                    check_web_app(button["web_app"])
        return {"inline_keyboard": copy.deepcopy(rows)}
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return copy.deepcopy(markup)
    raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
