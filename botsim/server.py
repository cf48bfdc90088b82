"""A local Telegram Bot API server for tests and for a terminal chat.

:class:`BotApiServer` listens on 127.0.0.1 in a background thread and speaks the real
Bot API over HTTP, so an unmodified python-telegram-bot ``Application`` can long-poll
it and send to it::

    with BotApiServer() as server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(f"{server.url}/bot")
            .base_file_url(f"{server.url}/file/bot")
            .build()
        )
        ...
        server.user_message("/start", user_id=42)
        [reply] = server.wait_for_messages(42)

Tests drive users with :meth:`BotApiServer.user_message` and
:meth:`BotApiServer.press_button`, inspect the bot with :meth:`BotApiServer.outbox` and
:meth:`BotApiServer.calls`, and inject failures with :meth:`BotApiServer.fail_next`,
:meth:`BotApiServer.block` and :meth:`BotApiServer.delay_next`. Only the standard
library is used.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import email.parser
import email.policy
import email.utils
import itertools
import json
import mimetypes
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from botsim.objects import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiCall,
    ApiError,
    SentDocument,
    SentMessage,
    Stats,
    UploadedFile,
    bot_command_entities,
    normalize_reply_markup,
    parse_text,
    utf16_len,
)

__all__ = ["DEFAULT_TOKEN", "ApiCall", "BotApiServer", "SentDocument", "SentMessage", "Stats"]

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456:TEST-token-for-botsim-only_0123456789"  # noqa: S105
"""The token :class:`BotApiServer` uses unless told otherwise (bot id 123456)."""

_TOKEN_RE = re.compile(r"([0-9]+):[A-Za-z0-9_-]+")

# Form and multipart values are strings; everything else PTB sends JSON-encoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "description",
        "short_description",
        "name",
        "language_code",
        "action",
        "secret_token",
        "document",
        "photo",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "file_id",
        "inline_message_id",
        "business_connection_id",
        "ip_address",
        "certificate",
        "emoji",
        "title",
        "message_effect_id",
        "custom_emoji_id",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
    }
)
# Methods subject to fail_next/delay_next; block() also covers sendChatAction.
_FAILABLE = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)
_BLOCKABLE = _FAILABLE | {"sendChatAction"}
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_MAX_POLL_TIMEOUT = 50.0


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Delay:
    seconds: float
    remaining: int


@dataclass
class _Request:
    method: str
    params: JSONDict
    files: dict[str, UploadedFile]
    notify: list[SentMessage] = field(default_factory=list)
    delay: float = 0.0


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 400:
        return "Bad Request: chat not found"
    if status == 401:
        return "Unauthorized"
    if status == 404:
        return "Not Found"
    if status >= 500:
        return "Internal Server Error"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _coerce(name: str, value: str) -> Any:
    """Decode one form value the way Telegram reads PTB's JSON-encoded parameters."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        if name in _JSON_PARAMS:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        return value


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a ``multipart/form-data`` body into text fields and file parts."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(head + body)
    if not message.is_multipart():
        raise ApiError(400, "Bad Request: can't parse multipart/form-data request")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        raw_name = part.get_param("name", header="content-disposition")
        if not raw_name:
            continue
        name = email.utils.collapse_rfc2231_value(raw_name)
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            files[name] = UploadedFile(filename, part.get_content_type(), data)
    return fields, files


def _int_param(params: JSONDict, name: str) -> int:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ApiError(400, f"Bad Request: invalid {name} specified")


def _opt_int(params: JSONDict, name: str) -> int | None:
    if params.get(name) in (None, ""):
        return None
    return _int_param(params, name)


def _opt_float(params: JSONDict, name: str) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def _opt_str(params: JSONDict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _opt_list(params: JSONDict, name: str) -> list[Any] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON array")
    return value


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _inline_of(markup: JSONDict | None) -> JSONDict | None:
    """Return ``markup`` if it is a non-empty inline keyboard, else None."""
    return markup if markup is not None and markup.get("inline_keyboard") else None


def _json_response(status: int, payload: JSONDict) -> tuple[int, bytes, str]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return status, body, "application/json"


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its :class:`BotApiServer` and its open sockets."""

    daemon_threads = True
    request_queue_size = 128  # a client opening dozens of pooled connections at once

    def __init__(self, address: tuple[str, int], api: BotApiServer) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away (cancelled long polls, timeouts)."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every kept-alive client connection."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Routes each HTTP request to :meth:`BotApiServer._handle_http`."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; don't let Nagle hold the body.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = cast(_HTTPServer, self.server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = cast(_HTTPServer, self.server)
        with server.connections_lock:
            server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines."""

    def do_GET(self) -> None:
        """Handle a GET request (Bot API methods with a query string, file downloads)."""
        self._dispatch()

    def do_POST(self) -> None:
        """Handle a POST request (Bot API methods)."""
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._respond(*_json_response(400, ApiError(400, "Bad Request").payload()))
            return
        api = cast(_HTTPServer, self.server).api
        content_type = self.headers.get("Content-Type", "")
        try:
            response = api._handle_http(self.path, content_type, body)
        except Exception:  # a botsim bug: answer like Telegram's 500 and keep serving
            traceback.print_exc()
            response = _json_response(500, ApiError(500, "Internal Server Error").payload())
        self._respond(*response)

    def _respond(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


class BotApiServer:
    """A local Telegram Bot API server, for tests and for a terminal chat.

    The socket is bound on construction (``port=0`` picks a free port), so :attr:`url`
    is known before :meth:`start`. Every public method is thread-safe.

    ``messages_per_second`` and ``per_chat_per_second`` (None disables) limit
    sendMessage/sendDocument within any sliding one-second window; excess sends get
    ``429 Too Many Requests: retry after 1`` like Telegram's flood control.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "casebot_test_bot",
        first_name: str = "Casebot Test",
        messages_per_second: float | None = 30.0,
        per_chat_per_second: float | None = None,
    ) -> None:
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise ValueError(f"not a bot token (digits:secret): {token!r}")
        self.token = token
        self.bot_id = int(match.group(1))
        self.username = username
        self.first_name = first_name
        self.messages_per_second = messages_per_second
        self.per_chat_per_second = per_chat_per_second

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None

        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._poll_generation = 0
        self._allowed_updates: list[str] | None = None
        self._webhook: JSONDict | None = None

        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._outbox: list[SentMessage] = []
        self._files: dict[str, SentDocument] = {}
        self._file_paths: dict[str, SentDocument] = {}
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._callback_queries: dict[str, bool] = {}

        self._calls: list[ApiCall] = []
        self._stats = Stats()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._admins: dict[int, list[int]] = {}
        self._owners: dict[int, int] = {}
        self._failures: dict[int, deque[_Failure]] = {}
        self._delays: dict[int, deque[_Delay]] = {}
        self._blocked: set[int] = set()
        self._sent_times: deque[float] = deque()
        self._chat_sent_times: dict[int, deque[float]] = {}
        self._callbacks: list[Callable[[SentMessage], None]] = []

        self._methods: dict[str, tuple[str, Callable[[_Request], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._api_get_me),
                ("getUpdates", self._api_get_updates),
                ("setWebhook", self._api_set_webhook),
                ("deleteWebhook", self._api_delete_webhook),
                ("getWebhookInfo", self._api_get_webhook_info),
                ("logOut", self._api_true),
                ("close", self._api_true),
                ("sendMessage", self._api_send_message),
                ("sendDocument", self._api_send_document),
                ("editMessageText", self._api_edit_message_text),
                ("editMessageCaption", self._api_edit_message_caption),
                ("editMessageReplyMarkup", self._api_edit_message_reply_markup),
                ("deleteMessage", self._api_delete_message),
                ("answerCallbackQuery", self._api_answer_callback_query),
                ("sendChatAction", self._api_send_chat_action),
                ("getFile", self._api_get_file),
                ("setMyCommands", self._api_set_my_commands),
                ("getMyCommands", self._api_get_my_commands),
                ("deleteMyCommands", self._api_delete_my_commands),
                ("getChat", self._api_get_chat),
                ("getChatMember", self._api_get_chat_member),
                ("getChatAdministrators", self._api_get_chat_administrators),
                ("setMyDescription", self._description_setter("description")),
                ("getMyDescription", self._description_getter("description")),
                ("setMyShortDescription", self._description_setter("short_description")),
                ("getMyShortDescription", self._description_getter("short_description")),
                ("setMyName", self._description_setter("name")),
                ("getMyName", self._description_getter("name")),
            )
        }

        self._httpd = _HTTPServer((host, port), self)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> BotApiServer:
        """Start serving in a background thread; returns ``self``."""
        if self._closed:
            raise RuntimeError("this BotApiServer was stopped; create a new one")
        if self._thread is not None:
            raise RuntimeError("BotApiServer already started")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name=f"botsim-{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake pending long polls and close every connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop_event.set()
        if self._thread is not None:
            self._shutdown_httpd()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _shutdown_httpd(self) -> None:
        """Stop serve_forever now rather than at its next poll: poke it with a connection."""
        stopper = threading.Thread(target=self._httpd.shutdown, name="botsim-stop", daemon=True)
        stopper.start()
        address = self._httpd.server_address[:2]
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((str(address[0]), int(address[1])), timeout=0.5).close()
            stopper.join(timeout=0.05)

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- users' actions --------------------------------------------------------------

    def user_message(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Queue a ``message`` update as if a user sent ``text``; returns the Update.

        ``chat_id`` defaults to ``user_id`` in private chats and is required (negative)
        for ``group``/``supergroup``. Commands get ``bot_command`` entities as Telegram
        makes them. ``reply_to_message_id`` makes it a reply to a message in the chat.
        """
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(f"chat_type must be private, group or supergroup: {chat_type!r}")
        if not text or not text.strip():
            raise ValueError("Telegram users cannot send an empty message")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise ValueError("Telegram users cannot send more than 4096 characters")
        if chat_type == "private":
            if chat_id is None:
                chat_id = user_id
            if chat_id != user_id:
                raise ValueError("in a private chat, chat_id must equal user_id")
        elif chat_id is None or chat_id >= 0:
            raise ValueError(f"a {chat_type} needs a negative chat_id")
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        with self._cond:
            self._users[user_id] = user
            if chat_type == "private":
                chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
                if username is not None:
                    chat["username"] = username
            else:
                old_title = self._chats.get(chat_id, {}).get("title")
                title = chat_title or old_title or f"Test {chat_type} {chat_id}"
                chat = {"id": chat_id, "type": chat_type, "title": title}
            self._chats[chat_id] = chat
            message: JSONDict = {
                "message_id": self._new_message_id(chat_id),
                "from": dict(user),
                "chat": dict(chat),
                "date": int(time.time()),
                "text": text,
            }
            entities = bot_command_entities(text)
            if entities:
                message["entities"] = entities
            if reply_to_message_id is not None:
                target = self._message_by_id(chat_id, reply_to_message_id)
                if target is None:
                    raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
                message["reply_to_message"] = target
            self._user_messages[(chat_id, message["message_id"])] = message
            return self._queue_update({"message": message})

    def channel_post(self, text: str, *, chat_id: int, chat_title: str | None = None) -> JSONDict:
        """Queue a ``channel_post`` update: an admin posted ``text`` in a channel the bot
        administers (channel posts carry no ``from``; only admins can post)."""
        if not text or not text.strip():
            raise ValueError("a channel post cannot be empty")
        if chat_id >= 0:
            raise ValueError("a channel needs a negative chat_id")
        with self._cond:
            title = chat_title or self._chats.get(chat_id, {}).get("title") or "Test channel"
            chat: JSONDict = {"id": chat_id, "type": "channel", "title": title}
            self._chats[chat_id] = chat
            post: JSONDict = {
                "message_id": self._new_message_id(chat_id),
                "sender_chat": dict(chat),
                "chat": dict(chat),
                "date": int(time.time()),
                "text": text,
            }
            entities = bot_command_entities(text)
            if entities:
                post["entities"] = entities
            self._user_messages[(chat_id, post["message_id"])] = post
            return self._queue_update({"channel_post": post})

    def press_button(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        language_code: str | None = "en",
        check: bool = True,
    ) -> JSONDict:
        """Queue a ``callback_query`` update for a button on a message the bot sent.

        With ``check`` (the default) the message must currently show an inline button
        with this ``callback_data``, as in Telegram; ``check=False`` allows forged data.
        """
        with self._cond:
            message = self._bot_messages.get((chat_id, message_id))
            if message is None or message.deleted:
                raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
            if check and data not in [button[1] for button in message.buttons()]:
                raise ValueError(
                    f"message {message_id} in chat {chat_id} has no button with "
                    f"callback_data {data!r}; its buttons: {message.buttons()}"
                )
            chat = self._chats[chat_id]
            if chat["type"] == "private" and user_id != chat_id:
                raise ValueError("in a private chat, only its user can press buttons")
            user = dict(self._users.get(user_id) or self._user(user_id))
            user.pop("language_code", None)
            if language_code is not None:
                user["language_code"] = language_code
            query_id = str(4_000_000_000_000 + next(self._query_ids))
            self._callback_queries[query_id] = False
            query: JSONDict = {
                "id": query_id,
                "from": user,
                "message": self._message_dict(message),
                "chat_instance": str(abs(chat_id) * 7919 + 1_000_000_007),
                "data": data,
            }
            return self._queue_update({"callback_query": query})

    # -- what the bot did ------------------------------------------------------------

    def outbox(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (to ``chat_id``, or to anyone), in order, as they are now.

        Returned objects are snapshots; call again to see later edits.
        """
        with self._lock:
            return [
                message.snapshot()
                for message in self._outbox
                if chat_id is None or message.chat_id == chat_id
            ]

    def wait_for_messages(
        self, chat_id: int, count: int = 1, *, timeout: float = 10.0, since: int = 0
    ) -> list[SentMessage]:
        """Block until ``outbox(chat_id)`` has at least ``count`` messages after ``since``.

        Returns ``outbox(chat_id)[since:]``. Raises :class:`TimeoutError` describing
        what was sent (and which calls failed) when they do not arrive in time.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                messages = [m for m in self._outbox if m.chat_id == chat_id]
                if len(messages) - since >= count:
                    return [message.snapshot() for message in messages[since:]]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        self._describe_wait(chat_id, count, since, messages, timeout)
                    )
                self._cond.wait(remaining)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every API call received so far (optionally only ``method``, any case), in order."""
        with self._lock:
            if method is None:
                return list(self._calls)
            wanted = method.lower()
            return [call for call in self._calls if call.method.lower() == wanted]

    def commands(
        self, language_code: str | None = None, scope: str = "default"
    ) -> list[JSONDict] | None:
        """The command list set for ``scope`` and ``language_code``, or None if unset.

        ``scope`` is the BotCommandScope type, with ids for chat scopes:
        ``"default"``, ``"all_private_chats"``, ``"chat:<chat_id>"``,
        ``"chat_member:<chat_id>:<user_id>"`` and so on.
        """
        with self._lock:
            stored = self._commands.get((scope, language_code or ""))
            return copy.deepcopy(stored) if stored is not None else None

    def description(self, language_code: str | None = None) -> str | None:
        """The description set with setMyDescription for ``language_code``, or None."""
        with self._lock:
            return self._descriptions.get(("description", language_code or ""))

    def short_description(self, language_code: str | None = None) -> str | None:
        """The short description set with setMyShortDescription, or None."""
        with self._lock:
            return self._descriptions.get(("short_description", language_code or ""))

    @property
    def webhook(self) -> JSONDict | None:
        """The parameters of the last setWebhook call, or None when no webhook is set."""
        with self._lock:
            return dict(self._webhook) if self._webhook is not None else None

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters (sent, edited, rate_limited, failed_injected, blocked)."""
        with self._lock:
            return dataclasses.replace(self._stats)

    @property
    def pending_updates(self) -> int:
        """How many updates wait to be fetched (and acknowledged) with getUpdates."""
        with self._lock:
            return len(self._updates)

    def set_admins(self, chat_id: int, user_ids: list[int], *, owner: int | None = None) -> None:
        """Make ``user_ids`` the administrators of ``chat_id`` (and ``owner`` its creator)."""
        with self._lock:
            self._admins[chat_id] = list(user_ids)
            if owner is None:
                self._owners.pop(chat_id, None)
            else:
                self._owners[chat_id] = owner

    # -- failure injection -----------------------------------------------------------

    def fail_next(
        self,
        chat_id: int,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` sends/edits to ``chat_id`` fail with ``status``.

        Applies to sendMessage, sendDocument and editMessage*. 429 carries
        ``parameters.retry_after`` (default 1); the default descriptions are Telegram's
        (403 blocked by the user, 400 chat not found, 5xx Internal Server Error).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status, not {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or _default_description(status, retry_after)
        with self._lock:
            self._failures.setdefault(chat_id, deque()).append(
                _Failure(status, text, retry_after, times)
            )

    def block(self, chat_id: int) -> None:
        """Act as if the user blocked the bot: sends to ``chat_id`` get 403 until unblocked."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo :meth:`block`."""
        with self._lock:
            self._blocked.discard(chat_id)

    def delay_next(self, chat_id: int, seconds: float, *, times: int = 1) -> None:
        """Hold the response to the next ``times`` sends/edits to ``chat_id``.

        The request is processed (a message is recorded) and the answer is sent
        ``seconds`` later, the way a client time-out usually looks with Telegram.
        """
        if seconds < 0 or times < 1:
            raise ValueError("seconds must be >= 0 and times >= 1")
        with self._lock:
            self._delays.setdefault(chat_id, deque()).append(_Delay(seconds, times))

    def on_send(self, callback: Callable[[SentMessage], None]) -> None:
        """Call ``callback`` (from a server thread) with each message sent or edited."""
        with self._lock:
            self._callbacks.append(callback)

    # -- HTTP plumbing ---------------------------------------------------------------

    def _handle_http(self, path: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        received = time.monotonic()
        url = urlsplit(path)
        route = unquote(url.path)
        if route.startswith("/file/bot"):
            return self._serve_file(route[len("/file/bot") :])
        if not route.startswith("/bot"):
            return _json_response(404, ApiError(404, "Not Found").payload())
        token, _, method_name = route[len("/bot") :].partition("/")
        request = _Request(method_name, {}, {})
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            request.params, request.files = self._decode(url.query, content_type, body)
            entry = self._methods.get(method_name.lower())
            if entry is None:
                raise ApiError(404, "Not Found")
            request.method, handler = entry
            status, payload = 200, {"ok": True, "result": handler(request)}
        except ApiError as error:
            status, payload = error.status, error.payload()
        with self._lock:
            self._calls.append(
                ApiCall(request.method, request.params, received, status, payload, request.files)
            )
            callbacks = list(self._callbacks)
        for message in request.notify:
            for callback in callbacks:
                try:
                    callback(message.snapshot())
                except Exception:
                    traceback.print_exc()
        if request.delay > 0:
            self._stop_event.wait(request.delay)
        return _json_response(status, payload)

    def _decode(
        self, query: str, content_type: str, body: bytes
    ) -> tuple[JSONDict, dict[str, UploadedFile]]:
        raw: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
        typed: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        kind = content_type.split(";", 1)[0].strip().lower()
        if body:
            if kind == "application/json":
                try:
                    decoded = json.loads(body)
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON request body") from None
                if not isinstance(decoded, dict):
                    raise ApiError(400, "Bad Request: request body must be a JSON object")
                typed = decoded
            elif kind == "multipart/form-data":
                fields, files = _parse_multipart(content_type, body)
                raw.update(fields)
            else:
                text = body.decode("utf-8", "replace")
                raw.update(parse_qsl(text, keep_blank_values=True))
        params = {name: _coerce(name, value) for name, value in raw.items()}
        for name, value in typed.items():
            params[name] = (
                _coerce(name, value) if name in _JSON_PARAMS and isinstance(value, str) else value
            )
        return params, files

    def _serve_file(self, rest: str) -> tuple[int, bytes, str]:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _json_response(401, ApiError(401, "Unauthorized").payload())
        with self._lock:
            document = self._file_paths.get(file_path)
        if document is None:
            return _json_response(404, ApiError(404, "Not Found").payload())
        return 200, document.content, document.mime_type

    # -- shared helpers (call with the lock held) ------------------------------------

    def _queue_update(self, payload: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **payload}
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_user(self, *, full: bool = False) -> JSONDict:
        user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }
        if full:
            user.update(
                can_join_groups=True,
                can_read_all_group_messages=True,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return user

    def _user(self, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            return self._bot_user()
        known = self._users.get(user_id)
        if known is not None:
            return dict(known)
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def _chat(self, chat_id: int) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                user = self._user(chat_id)
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": f"Test {kind} {chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _chat_for(self, params: JSONDict) -> JSONDict:
        value = params.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return chat
            raise ApiError(400, "Bad Request: chat not found")
        try:
            chat_id = _int_param(params, "chat_id")
        except ApiError:
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id == 0:
            raise ApiError(400, "Bad Request: chat not found")
        return self._chat(chat_id)

    def _inject(self, request: _Request, chat: JSONDict) -> None:
        """Apply delay_next, block and fail_next to a request about ``chat``."""
        chat_id = chat["id"]
        if request.method in _FAILABLE:
            delays = self._delays.get(chat_id)
            if delays:
                request.delay = delays[0].seconds
                delays[0].remaining -= 1
                if delays[0].remaining <= 0:
                    delays.popleft()
        if request.method in _BLOCKABLE and chat_id in self._blocked:
            self._stats.blocked += 1
            if chat["type"] == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        if request.method in _FAILABLE:
            failures = self._failures.get(chat_id)
            if failures:
                failure = failures[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    failures.popleft()
                self._stats.failed_injected += 1
                raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)

    def _check_rate(self, chat_id: int) -> None:
        now = time.monotonic()
        per_chat = self._chat_sent_times.setdefault(chat_id, deque())
        for window, limit in (
            (self._sent_times, self.messages_per_second),
            (per_chat, self.per_chat_per_second),
        ):
            while window and window[0] <= now - 1.0:
                window.popleft()
            if limit is not None and len(window) >= limit:
                self._stats.rate_limited += 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._sent_times.append(now)
        per_chat.append(now)

    def _parse(
        self, params: JSONDict, text_key: str, entities_key: str, limit: int
    ) -> tuple[str, str | None, str, list[JSONDict]]:
        value = params.get(text_key)
        text = "" if value is None else value if isinstance(value, str) else str(value)
        parse_mode = _opt_str(params, "parse_mode") or None
        plain, entities = parse_text(text, parse_mode, _opt_list(params, entities_key))
        if utf16_len(plain) > limit:
            what = "message caption" if text_key == "caption" else "message"
            raise ApiError(400, f"Bad Request: {what} is too long")
        return text, parse_mode, plain, entities

    def _reply_target(self, params: JSONDict, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = _int_param(reply, "message_id")
            allow = _truthy(reply.get("allow_sending_without_reply"))
        else:
            found = _opt_int(params, "reply_to_message_id")
            if found is None:
                return None
            message_id = found
            allow = _truthy(params.get("allow_sending_without_reply"))
        if self._message_by_id(chat_id, message_id) is None:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return message_id

    def _message_by_id(self, chat_id: int, message_id: int) -> JSONDict | None:
        sent = self._bot_messages.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            return self._message_dict(sent, nested=False)
        received = self._user_messages.get((chat_id, message_id))
        if received is not None:
            result = copy.deepcopy(received)
            result.pop("reply_to_message", None)
            return result
        return None

    def _message_dict(self, message: SentMessage, *, nested: bool = True) -> JSONDict:
        result: JSONDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": dict(self._chat(message.chat_id)),
            "date": message.date,
        }
        if message.document is not None:
            result["document"] = message.document.to_dict()
            if message.plain_text:
                result["caption"] = message.plain_text
                if message.entities:
                    result["caption_entities"] = copy.deepcopy(message.entities)
        else:
            result["text"] = message.plain_text
            if message.entities:
                result["entities"] = copy.deepcopy(message.entities)
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        markup = message.reply_markup or {}
        if markup.get("inline_keyboard"):
            result["reply_markup"] = copy.deepcopy(markup)
        if nested and message.reply_to_message_id is not None:
            target = self._message_by_id(message.chat_id, message.reply_to_message_id)
            if target is not None:
                result["reply_to_message"] = target
        return result

    def _record(self, request: _Request, message: SentMessage) -> JSONDict:
        self._outbox.append(message)
        self._bot_messages[(message.chat_id, message.message_id)] = message
        self._stats.sent += 1
        request.notify.append(message.snapshot())
        self._cond.notify_all()
        return self._message_dict(message)

    def _editable(self, request: _Request) -> tuple[JSONDict, SentMessage]:
        if request.params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat_for(request.params)
        message_id = _int_param(request.params, "message_id")
        self._inject(request, chat)
        message = self._bot_messages.get((chat["id"], message_id))
        if message is None or message.deleted:
            if (chat["id"], message_id) in self._user_messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat, message

    def _edited(self, request: _Request, message: SentMessage) -> JSONDict:
        message.edited += 1
        message.edit_date = int(time.time())
        self._stats.edited += 1
        request.notify.append(message.snapshot())
        self._cond.notify_all()
        return self._message_dict(message)

    def _describe_wait(
        self, chat_id: int, count: int, since: int, messages: list[SentMessage], timeout: float
    ) -> str:
        lines = [
            f"waited {timeout}s for {count} message(s) to chat {chat_id} after index {since}; "
            f"{max(len(messages) - since, 0)} arrived."
        ]
        if messages:
            lines.append(f"Messages to chat {chat_id}:")
            for index, message in enumerate(messages):
                flags = " (deleted)" if message.deleted else ""
                shown = message.text if len(message.text) <= 200 else message.text[:200] + "…"
                if message.document is not None:
                    shown = f"[document {message.document.filename}] {shown}"
                lines.append(
                    f"  [{index}] #{message.message_id} {message.method}{flags}: {shown!r}"
                    + (f" buttons={message.buttons()}" if message.buttons() else "")
                )
        failed = [
            call
            for call in self._calls
            if call.status != 200 and str(call.params.get("chat_id")) == str(chat_id)
        ]
        if failed:
            lines.append(f"Failed calls for chat {chat_id}:")
            lines.extend(
                f"  {call.method} -> {call.status} {call.response.get('description')}"
                for call in failed[-10:]
            )
        others: dict[int, int] = {}
        for message in self._outbox:
            if message.chat_id != chat_id:
                others[message.chat_id] = others.get(message.chat_id, 0) + 1
        if others:
            lines.append(f"Messages to other chats: {others}")
        if self._updates:
            lines.append(
                f"{len(self._updates)} update(s) not yet acknowledged through getUpdates "
                "(is the bot polling?)"
            )
        return "\n".join(lines)

    # -- Bot API methods -------------------------------------------------------------

    def _api_true(self, request: _Request) -> bool:
        return True

    def _api_get_me(self, request: _Request) -> JSONDict:
        return self._bot_user(full=True)

    def _api_get_updates(self, request: _Request) -> list[JSONDict]:
        params = request.params
        offset = _opt_int(params, "offset")
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = min(max(_opt_float(params, "timeout") or 0.0, 0.0), _MAX_POLL_TIMEOUT)
        allowed = _opt_list(params, "allowed_updates")
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if allowed is not None:
                self._allowed_updates = [str(kind) for kind in allowed] or None
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            if offset is not None and offset < 0:
                del self._updates[: max(len(self._updates) + offset, 0)]
            elif offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                self._updates = [u for u in self._updates if self._allowed(u)]
                if self._updates or self._stopping:
                    return copy.deepcopy(self._updates[:limit])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def _allowed(self, update: JSONDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates is None:
            return kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED
        return kind in self._allowed_updates

    def _api_set_webhook(self, request: _Request) -> bool:
        url = _opt_str(request.params, "url") or ""
        with self._cond:
            if _truthy(request.params.get("drop_pending_updates")):
                self._updates.clear()
            self._webhook = {**request.params} if url else None
            self._cond.notify_all()
        return True

    def _api_delete_webhook(self, request: _Request) -> bool:
        with self._cond:
            if _truthy(request.params.get("drop_pending_updates")):
                self._updates.clear()
            self._webhook = None
        return True

    def _api_get_webhook_info(self, request: _Request) -> JSONDict:
        with self._lock:
            info: JSONDict = {
                "url": (self._webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook is not None and self._webhook.get("allowed_updates"):
                info["allowed_updates"] = self._webhook["allowed_updates"]
            return info

    def _api_send_message(self, request: _Request) -> JSONDict:
        params = request.params
        with self._cond:
            chat = self._chat_for(params)
            self._inject(request, chat)
            text, parse_mode, plain, entities = self._parse(
                params, "text", "entities", MAX_TEXT_LENGTH
            )
            if not plain:
                raise ApiError(400, "Bad Request: message text is empty")
            markup = normalize_reply_markup(params.get("reply_markup"))
            reply_to = self._reply_target(params, chat["id"])
            self._check_rate(chat["id"])
            message = SentMessage(
                message_id=self._new_message_id(chat["id"]),
                chat_id=chat["id"],
                text=text,
                parse_mode=parse_mode,
                reply_markup=markup,
                document=None,
                edited=0,
                date=int(time.time()),
                method="sendMessage",
                plain_text=plain,
                entities=entities,
                reply_to_message_id=reply_to,
                disable_notification=_truthy(params.get("disable_notification")),
            )
            return self._record(request, message)

    def _api_send_document(self, request: _Request) -> JSONDict:
        params = request.params
        with self._cond:
            chat = self._chat_for(params)
            self._inject(request, chat)
            document = self._document_from(request)
            caption, parse_mode, plain, entities = self._parse(
                params, "caption", "caption_entities", MAX_CAPTION_LENGTH
            )
            markup = normalize_reply_markup(params.get("reply_markup"))
            reply_to = self._reply_target(params, chat["id"])
            self._check_rate(chat["id"])
            if document.file_id not in self._files:
                self._files[document.file_id] = document
            message = SentMessage(
                message_id=self._new_message_id(chat["id"]),
                chat_id=chat["id"],
                text=caption,
                parse_mode=parse_mode,
                reply_markup=markup,
                document=document,
                edited=0,
                date=int(time.time()),
                method="sendDocument",
                plain_text=plain,
                entities=entities,
                reply_to_message_id=reply_to,
                disable_notification=_truthy(params.get("disable_notification")),
            )
            return self._record(request, message)

    def _document_from(self, request: _Request) -> SentDocument:
        value = request.params.get("document")
        upload = request.files.get("document")
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = request.files.get(value[len("attach://") :])
            if upload is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if upload is None:
            if not value:
                raise ApiError(400, "Bad Request: there is no document in the request")
            existing = self._files.get(str(value))
            if existing is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return existing
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        filename = upload.filename or "document"
        mime_type = upload.content_type
        if mime_type in ("", "application/octet-stream", "text/plain"):
            mime_type = mimetypes.guess_type(filename, strict=False)[0] or mime_type
        number = next(self._file_ids)
        return SentDocument(
            filename=filename,
            content=upload.data,
            mime_type=mime_type or "application/octet-stream",
            file_id=f"BQACAgIAAxkDAAIB{number:08X}botsim",
            file_unique_id=f"AgAD{number:06X}",
        )

    def _api_get_file(self, request: _Request) -> JSONDict:
        file_id = _opt_str(request.params, "file_id") or ""
        with self._lock:
            document = self._files.get(file_id)
            if document is None:
                raise ApiError(400, "Bad Request: invalid file_id")
            suffix = document.filename.rsplit(".", 1)[1] if "." in document.filename else ""
            path = f"documents/{document.file_unique_id}" + (f".{suffix}" if suffix else "")
            self._file_paths[path] = document
            return {
                "file_id": document.file_id,
                "file_unique_id": document.file_unique_id,
                "file_size": document.size,
                "file_path": path,
            }

    def _api_edit_message_text(self, request: _Request) -> JSONDict:
        params = request.params
        with self._cond:
            _, message = self._editable(request)
            if message.document is not None:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            text, parse_mode, plain, entities = self._parse(
                params, "text", "entities", MAX_TEXT_LENGTH
            )
            if not plain:
                raise ApiError(400, "Bad Request: message text is empty")
            markup = self._inline_markup(params)
            if (
                plain == message.plain_text
                and entities == message.entities
                and markup == _inline_of(message.reply_markup)
            ):
                raise ApiError(400, _NOT_MODIFIED)
            self._set_markup(message, markup)
            message.text, message.parse_mode = text, parse_mode
            message.plain_text, message.entities = plain, entities
            return self._edited(request, message)

    def _api_edit_message_caption(self, request: _Request) -> JSONDict:
        params = request.params
        with self._cond:
            _, message = self._editable(request)
            if message.document is None:
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            caption, parse_mode, plain, entities = self._parse(
                params, "caption", "caption_entities", MAX_CAPTION_LENGTH
            )
            markup = self._inline_markup(params)
            if (
                plain == message.plain_text
                and entities == message.entities
                and markup == _inline_of(message.reply_markup)
            ):
                raise ApiError(400, _NOT_MODIFIED)
            self._set_markup(message, markup)
            message.text, message.parse_mode = caption, parse_mode
            message.plain_text, message.entities = plain, entities
            return self._edited(request, message)

    def _api_edit_message_reply_markup(self, request: _Request) -> JSONDict:
        with self._cond:
            _, message = self._editable(request)
            markup = self._inline_markup(request.params)
            if markup == _inline_of(message.reply_markup):
                raise ApiError(400, _NOT_MODIFIED)
            self._set_markup(message, markup)
            return self._edited(request, message)

    def _inline_markup(self, params: JSONDict) -> JSONDict | None:
        """Edits keep only inline keyboards; leaving reply_markup out removes it."""
        markup = normalize_reply_markup(params.get("reply_markup"))
        if markup is None or not markup.get("inline_keyboard"):
            if markup is not None and "inline_keyboard" not in markup:
                raise ApiError(400, "Bad Request: inline keyboard expected")
            return None
        return markup

    @staticmethod
    def _set_markup(message: SentMessage, markup: JSONDict | None) -> None:
        """Replace an inline keyboard; a reply keyboard (chat state) survives edits."""
        if markup is not None or _inline_of(message.reply_markup) is not None:
            message.reply_markup = markup

    def _api_delete_message(self, request: _Request) -> bool:
        with self._cond:
            chat = self._chat_for(request.params)
            key = (chat["id"], _int_param(request.params, "message_id"))
            message = self._bot_messages.get(key)
            if message is not None and not message.deleted:
                message.deleted = True
                self._cond.notify_all()
                return True
            if self._user_messages.pop(key, None) is not None:
                return True
            raise ApiError(400, "Bad Request: message to delete not found")

    def _api_answer_callback_query(self, request: _Request) -> bool:
        query_id = _opt_str(request.params, "callback_query_id") or ""
        text = _opt_str(request.params, "text") or ""
        with self._lock:
            if self._callback_queries.get(query_id, True):
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or "
                    "query ID is invalid",
                )
            if utf16_len(text) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self._callback_queries[query_id] = True
        return True

    def _api_send_chat_action(self, request: _Request) -> bool:
        with self._lock:
            chat = self._chat_for(request.params)
            self._inject(request, chat)
            if _opt_str(request.params, "action") not in _CHAT_ACTIONS:
                raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _scope_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key = kind
        elif kind in ("chat", "chat_administrators"):
            key = f"{kind}:{_int_param(scope, 'chat_id')}"
        elif kind == "chat_member":
            key = f"{kind}:{_int_param(scope, 'chat_id')}:{_int_param(scope, 'user_id')}"
        else:
            raise ApiError(400, "Bad Request: wrong scope type specified")
        return key, _opt_str(params, "language_code") or ""

    def _api_set_my_commands(self, request: _Request) -> bool:
        commands = _opt_list(request.params, "commands")
        if commands is None:
            raise ApiError(400, "Bad Request: commands is empty")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        stored: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        key = self._scope_key(request.params)
        with self._lock:
            self._commands[key] = stored
        return True

    def _api_get_my_commands(self, request: _Request) -> list[JSONDict]:
        key = self._scope_key(request.params)
        with self._lock:
            return copy.deepcopy(self._commands.get(key, []))

    def _api_delete_my_commands(self, request: _Request) -> bool:
        key = self._scope_key(request.params)
        with self._lock:
            self._commands.pop(key, None)
        return True

    def _description_setter(self, field_name: str) -> Callable[[_Request], bool]:
        def handler(request: _Request) -> bool:
            value = _opt_str(request.params, field_name) or ""
            key = (field_name, _opt_str(request.params, "language_code") or "")
            with self._lock:
                if value:
                    self._descriptions[key] = value
                else:
                    self._descriptions.pop(key, None)
            return True

        return handler

    def _description_getter(self, field_name: str) -> Callable[[_Request], JSONDict]:
        def handler(request: _Request) -> JSONDict:
            language = _opt_str(request.params, "language_code") or ""
            with self._lock:
                value = self._descriptions.get((field_name, language))
                if value is None:
                    value = self._descriptions.get((field_name, ""), "")
            if field_name == "name" and not value:
                value = self.first_name
            return {field_name: value}

        return handler

    def _api_get_chat(self, request: _Request) -> JSONDict:
        with self._lock:
            chat = dict(self._chat_for(request.params))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _member(self, chat: JSONDict, user_id: int) -> JSONDict:
        user = self._user(user_id)
        if chat["type"] != "private":
            if self._owners.get(chat["id"]) == user_id:
                return {"status": "creator", "user": user, "is_anonymous": False}
            if user_id in self._admins.get(chat["id"], []):
                return {
                    "status": "administrator",
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
        return {"status": "member", "user": user}

    def _api_get_chat_member(self, request: _Request) -> JSONDict:
        with self._lock:
            chat = self._chat_for(request.params)
            return self._member(chat, _int_param(request.params, "user_id"))

    def _api_get_chat_administrators(self, request: _Request) -> list[JSONDict]:
        with self._lock:
            chat = self._chat_for(request.params)
            if chat["type"] == "private":
                raise ApiError(400, "Bad Request: there are no administrators in the private chat")
            ids: list[int] = []
            owner = self._owners.get(chat["id"])
            if owner is not None:
                ids.append(owner)
            ids.extend(uid for uid in self._admins.get(chat["id"], []) if uid != owner)
            return [self._member(chat, uid) for uid in ids]
