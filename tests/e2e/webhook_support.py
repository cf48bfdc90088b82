"""Helpers of the webhook and health tests (test_webhook, test_health) and of test_startup:
a free local port, updates shaped as Telegram sends them, and the real Application run
by `run_webhook` in its own event loop thread.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import httpx

from bot import build_application
from botsim.server import BotApiServer
from jobs.health import application_health
from jobs.webhook import SECRET_HEADER, generate_secret_token, run_webhook, webhook_url
from services import Services

STALL = timedelta(minutes=10)
"""The silence after which the health tests' reports call a job stalled."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float = 15.0) -> None:
    """Poll `predicate` until it holds; raise TimeoutError if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        time.sleep(0.02)


_update_ids = iter(range(500_000, 10**9))


def start_update(user_id: int, text: str = "/start") -> dict[str, Any]:
    """A message update shaped as Telegram sends it."""
    update_id = next(_update_ids)
    command_length = len(text.split()[0]) if text.startswith("/") else 0
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Aigerim"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Aigerim", "language_code": "en"},
        "text": text,
    }
    if command_length:
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_length}]
    return {"update_id": update_id, "message": message}


class WebhookBot:
    """`run_webhook` with the real Application, in its own event loop thread."""

    def __init__(
        self,
        server: BotApiServer,
        services: Services,
        *,
        health: Callable[[Any], Callable[[], Any]] | None = None,
    ) -> None:
        self.server = server
        self.services = services
        self.port = free_port()
        self.secret = generate_secret_token()
        self.url = webhook_url(f"http://127.0.0.1:{self.port}", self.secret)
        self.base = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.app: Any = build_application(services, token=server.token, api_url=server.url)
        self.health = (health or application_health)(self.app)
        self.stop_event: asyncio.Event | None = None
        self.future: Future[None] | None = None
        self.http = httpx.Client(timeout=10.0)

    async def _run(self) -> None:
        self.stop_event = asyncio.Event()
        await run_webhook(
            self.app,
            webhook_url=self.url,
            listen_host="127.0.0.1",
            listen_port=self.port,
            secret_token=self.secret,
            health=self.health,
            stop_event=self.stop_event,
        )

    def start(self) -> WebhookBot:
        """Run until the webhook is set at the local Bot API server."""
        self.thread.start()
        self.future = asyncio.run_coroutine_threadsafe(self._run(), self.loop)
        future = self.future
        wait_until(lambda: self.server.webhook is not None or future.done())
        if future.done():
            future.result()  # raises what stopped it
        return self

    def post(
        self, body: bytes | dict[str, Any], *, headers: dict[str, str | bytes] | None = None
    ) -> httpx.Response:
        """POST to the webhook URL, with the right secret unless `headers` are given."""
        if headers is None:
            headers = {SECRET_HEADER: self.secret}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        raw = [(b"Content-Type", b"application/json")] + [
            (name.encode(), value if isinstance(value, bytes) else value.encode())
            for name, value in headers.items()
        ]
        return self.http.post(self.url, content=content, headers=raw)

    def stop(self) -> None:
        """Set the stop event and wait for run_webhook to return (re-raising its error)."""
        try:
            if self.future is not None and not self.future.done():
                event = self.stop_event
                assert event is not None
                self.loop.call_soon_threadsafe(event.set)
            if self.future is not None:
                self.future.result(timeout=30)
        finally:
            self.http.close()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
