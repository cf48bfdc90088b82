"""The HTTP layer of :mod:`botsim`: the threaded server, requests in, responses out.

:class:`ApiHTTPServer` is a ``ThreadingHTTPServer`` that hands every request (path,
``Content-Type`` and body) to one function and writes back the :data:`Response` it
returns. :func:`decode_params` reads a Bot API request's query string and body (form,
JSON or multipart) the way Telegram reads what python-telegram-bot sends, and a
:class:`Request` carries the result through a Bot API method. Nothing here knows the
simulated Telegram.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import email.utils
import json
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl

from botsim.objects import ApiError, SentMessage, UploadedFile

__all__ = [
    "ApiHTTPServer",
    "Request",
    "Response",
    "decode_params",
    "error_response",
    "json_response",
]

JSONDict = dict[str, Any]

Response = tuple[int, bytes, str]
"""The answer to one HTTP request: status, body and ``Content-Type``."""

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


@dataclass
class Request:
    """One Bot API request on its way through a method.

    ``method`` is the name as called until the method table sets its canonical
    spelling; ``notify`` collects snapshots of the messages the call sent or edited
    (for the ``on_send`` callbacks) and ``delay`` how long to hold the answer.
    """

    method: str
    params: JSONDict
    files: dict[str, UploadedFile]
    notify: list[SentMessage] = field(default_factory=list)
    delay: float = 0.0


def json_response(status: int, payload: JSONDict) -> Response:
    """A JSON response with ``payload`` as its body."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return status, body, "application/json"


def error_response(error: ApiError) -> Response:
    """The JSON response Telegram sends for ``error``."""
    return json_response(error.status, error.payload())


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


def decode_params(
    query: str, content_type: str, body: bytes
) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Decode a Bot API request's parameters and file parts.

    The query string and a form, JSON or multipart body are merged (the body wins);
    JSON-encoded form values such as ``reply_markup`` are decoded. Raises
    :class:`ApiError` (400) for a body or a JSON parameter Telegram cannot parse.
    """
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


class ApiHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that answers every request with ``answer`` and knows its sockets.

    ``answer(path, content_type, body)`` runs in the request's own thread; an
    exception it raises is printed and answered like Telegram's 500.
    """

    daemon_threads = True
    request_queue_size = 128  # a client opening dozens of pooled connections at once

    def __init__(
        self, address: tuple[str, int], answer: Callable[[str, str, bytes], Response]
    ) -> None:
        self.answer = answer
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

    def shutdown_now(self) -> None:
        """Stop serve_forever now rather than at its next poll: poke it with a connection."""
        stopper = threading.Thread(target=self.shutdown, name="botsim-stop", daemon=True)
        stopper.start()
        address = self.server_address[:2]
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((str(address[0]), int(address[1])), timeout=0.5).close()
            stopper.join(timeout=0.05)


class _Handler(BaseHTTPRequestHandler):
    """Reads each HTTP request, passes it to :attr:`ApiHTTPServer.answer`, writes the reply."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; don't let Nagle hold the body.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = cast(ApiHTTPServer, self.server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = cast(ApiHTTPServer, self.server)
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
            self._respond(*error_response(ApiError(400, "Bad Request")))
            return
        answer = cast(ApiHTTPServer, self.server).answer
        content_type = self.headers.get("Content-Type", "")
        try:
            response = answer(self.path, content_type, body)
        except Exception:  # a botsim bug: answer like Telegram's 500 and keep serving
            traceback.print_exc()
            response = error_response(ApiError(500, "Internal Server Error"))
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
