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

The server is put together from parts that share one simulated Telegram and its lock:
:mod:`botsim.wire` (the HTTP server and request decoding), :mod:`botsim.state` (chats,
messages, updates), :mod:`botsim.methods` (the Bot API methods), :mod:`botsim.faults`
(fault injection and flood control) and :mod:`botsim.driver` (the test API).
"""

from __future__ import annotations

import re
import threading
import time
from types import TracebackType
from urllib.parse import unquote, urlsplit

from botsim.driver import Driver
from botsim.faults import Faults
from botsim.methods import BotApiMethods
from botsim.objects import ApiCall, ApiError, SentDocument, SentMessage, Stats
from botsim.state import TelegramState
from botsim.wire import (
    ApiHTTPServer,
    Request,
    Response,
    decode_params,
    error_response,
    json_response,
)

__all__ = ["DEFAULT_TOKEN", "ApiCall", "BotApiServer", "SentDocument", "SentMessage", "Stats"]

DEFAULT_TOKEN = "123456:TEST-token-for-botsim-only_0123456789"  # noqa: S105
"""The token :class:`BotApiServer` uses unless told otherwise (bot id 123456)."""

_TOKEN_RE = re.compile(r"([0-9]+):[A-Za-z0-9_-]+")

_HTTPServer = ApiHTTPServer
"""The HTTP server class (benchmarks raise its ``request_queue_size``)."""


class BotApiServer(Driver, Faults):
    """A local Telegram Bot API server, for tests and for a terminal chat.

    The socket is bound on construction (``port=0`` picks a free port), so :attr:`url`
    is known before :meth:`start`. Every public method is thread-safe.

    ``messages_per_second`` and ``per_chat_per_second`` (None disables) limit
    sendMessage/sendDocument within any sliding one-second window; excess sends get
    ``429 Too Many Requests: retry after 1`` like Telegram's flood control.

    Its parts share one :class:`~botsim.state.TelegramState` and its lock: the test
    API of :class:`~botsim.driver.Driver` and :class:`~botsim.faults.Faults`, the Bot
    API methods of :class:`~botsim.methods.BotApiMethods`, and the HTTP server of
    :mod:`botsim.wire`, which this class routes to them.
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

        state = TelegramState(self)
        Driver.__init__(self, state)
        Faults.__init__(
            self,
            state,
            messages_per_second=messages_per_second,
            per_chat_per_second=per_chat_per_second,
        )
        self._methods = BotApiMethods(
            state, apply_faults=self._apply_faults, check_rate=self._check_rate
        )

        self._stop_event = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._httpd = ApiHTTPServer((host, port), self._handle_http)
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
        self._state.stop()
        self._stop_event.set()
        if self._thread is not None:
            self._httpd.shutdown_now()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BotApiServer:
        """Start serving (see :meth:`start`)."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving (see :meth:`stop`)."""
        self.stop()

    # -- routing ---------------------------------------------------------------------

    def _handle_http(self, path: str, content_type: str, body: bytes) -> Response:
        """Answer one HTTP request: a file download or a Bot API method call."""
        received = time.monotonic()
        url = urlsplit(path)
        route = unquote(url.path)
        if route.startswith("/file/bot"):
            return self._serve_file(route[len("/file/bot") :])
        if not route.startswith("/bot"):
            return error_response(ApiError(404, "Not Found"))
        token, _, method_name = route[len("/bot") :].partition("/")
        request = Request(method_name, {}, {})
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            request.params, request.files = decode_params(url.query, content_type, body)
            status, payload = 200, {"ok": True, "result": self._methods.call(request)}
        except ApiError as error:
            status, payload = error.status, error.payload()
        call = ApiCall(request.method, request.params, received, status, payload, request.files)
        self._state.record_call(call, request.notify)
        if request.delay > 0:
            self._stop_event.wait(request.delay)
        return json_response(status, payload)

    def _serve_file(self, rest: str) -> Response:
        """Answer a download of a file getFile gave a path to."""
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return error_response(ApiError(401, "Unauthorized"))
        with self._state.lock:
            document = self._state.file_paths.get(file_path)
        if document is None:
            return error_response(ApiError(404, "Not Found"))
        return 200, document.content, document.mime_type
