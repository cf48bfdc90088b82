"""Webhook mode: Telegram POSTs updates to casebot's own web server instead of being polled.

The Application runs without its Updater (as in PTB's custom-webhook example): an
aiohttp server receives Telegram's POSTs on a secret path, checks the
``X-Telegram-Bot-Api-Secret-Token`` header, and puts each update on
``application.update_queue``. The same server answers ``GET /healthz`` with the
:class:`~jobs.health.HealthReport` as JSON (200 when ok, 503 when not).

Nothing secret is logged: not the secret token, not the webhook path, not the
update's content; a refused request is logged as a fact (at most once a minute,
with a count). The aiohttp access log is off, since it would print the path.

:func:`run_webhook` starts in this order: Application initialized, ``post_init``
(menus, dispatcher, jobs), Application started, web server listening, and only
then ``setWebhook`` — so the first update Telegram sends finds a server that can
take it. It stops in the reverse order when ``stop_event`` is set: the web
server first (no new update is accepted), then the Application, which still
handles every update already answered with 200, then ``post_stop`` and
``shutdown``. The webhook stays set at Telegram, which keeps updates for the next
start; ``casebot run`` without ``--webhook`` deletes it (PTB's polling does).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from jobs.health import HealthCheck
from jobs.startup import stop_application

Handler = Callable[[web.Request], Awaitable[web.Response]]

log = logging.getLogger("casebot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
HEALTH_PATH = "/healthz"
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook secret token."""
MAX_UPDATE_BYTES = 1024 * 1024
HEALTH_TIMEOUT = 10.0
REFUSAL_LOG_INTERVAL = 60.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

_ALLOWED_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def generate_secret_token(nbytes: int = 32) -> str:
    """A fresh random secret token in Telegram's alphabet (A-Z a-z 0-9 _ -), at most 256 chars."""
    while True:
        token = "".join(c for c in secrets.token_urlsafe(nbytes) if c in _ALLOWED_CHARS)[:256]
        if token:
            return token


def webhook_path(secret_token: str) -> str:
    """The unguessable path Telegram posts to: ``/telegram/<first 16 hex of sha256(secret)>``.

    Derived from the secret, never from the bot token; the path alone does not let
    anyone post updates (the secret header does).
    """
    digest = hashlib.sha256(secret_token.encode("utf-8")).hexdigest()
    return f"/telegram/{digest[:16]}"


def webhook_url(base_url: str, secret_token: str) -> str:
    """The public URL to give Telegram: `base_url` (``https://host[:port][/prefix]``) + path."""
    return base_url.rstrip("/") + webhook_path(secret_token)


def parse_listen(value: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[::1]:8443`` for IPv6); raise ValueError with a clear message."""
    host, colon, port_text = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(
            f"--listen must be HOST:PORT, for example 127.0.0.1:8443 or [::1]:8443; "
            f"got {value[:80]!r}"
        )
    return host, int(port_text)


class _RefusalLog:
    """Logs refused webhook requests as a fact: the first at once, then a count each minute."""

    def __init__(self) -> None:
        self.unlogged = 0
        self.last_logged = float("-inf")

    def note(self) -> None:
        self.unlogged += 1
        now = time.monotonic()
        if now - self.last_logged >= REFUSAL_LOG_INTERVAL:
            log.warning(
                "refused %d webhook request(s) without the right secret token", self.unlogged
            )
            self.unlogged = 0
            self.last_logged = now


def _check_secret(secret_token: str) -> None:
    if not SECRET_TOKEN_RE.fullmatch(secret_token):
        raise ValueError("the secret token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")


def make_web_app(
    application: AnyApplication,
    *,
    secret_token: str,
    path: str,
    health: HealthCheck,
    health_timeout: float = HEALTH_TIMEOUT,
) -> web.Application:
    """The aiohttp application: ``POST {path}`` takes Telegram updates, ``GET /healthz``.

    ``POST {path}``: 403 (empty body) without the right secret header; 400 when the
    body is not a JSON update; 413 above 1 MiB; otherwise the update goes on
    ``application.update_queue`` and the answer is 200 at once (handlers run later).
    ``GET /healthz``: ``health()``'s report as JSON, 200 when ok, 503 when not; 503 with
    ``database: false`` when the check takes longer than `health_timeout` seconds (it
    only waits for the database) or fails.
    """
    _check_secret(secret_token)
    if not path.startswith("/") or path == HEALTH_PATH:
        raise ValueError(f"the webhook path must start with / and not be {HEALTH_PATH}")
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, _update_receiver(application, secret_token))
    app.router.add_get(HEALTH_PATH, _health_handler(health, health_timeout))
    return app


def _update_receiver(application: AnyApplication, secret_token: str) -> Handler:
    """``POST {path}``: check the secret, read the update, queue it."""
    expected = secret_token.encode("ascii")
    refusals = _RefusalLog()

    async def receive_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            refusals.note()
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        try:
            update = Update.de_json(data, application.bot)
        except Exception as error:  # malformed update: say so, never log its content
            log.warning(
                "refused a webhook update that could not be read (%s)", type(error).__name__
            )
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response(status=200)

    return receive_update


def _health_handler(health: HealthCheck, health_timeout: float) -> Handler:
    """``GET /healthz``: the health report, 200 or 503; 503 when it takes too long."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            report = await asyncio.wait_for(health(), timeout=health_timeout)
        except Exception as error:
            problem = (
                f"health check timed out: the database did not answer within {health_timeout:g} s"
                if isinstance(error, TimeoutError)
                else f"health check failed ({type(error).__name__})"
            )
            body = {"ok": False, "database": False, "problems": [problem]}
            return web.json_response(body, status=503)
        return web.Response(
            text=report.to_json(),
            content_type="application/json",
            status=200 if report.ok else 503,
        )

    return healthz


async def run_webhook(
    application: AnyApplication,
    *,
    webhook_url: str,
    listen_host: str,
    listen_port: int,
    secret_token: str,
    health: HealthCheck,
    stop_event: asyncio.Event,
    path: str | None = None,
    shutdown_timeout: float = 3.0,
    ready: Callable[[], None] | None = None,
    extra_routes: Sequence[Callable[[web.Application], None]] = (),
) -> None:
    """Run the bot in webhook mode until `stop_event` is set; see the module docstring.

    The web server listens on `listen_host`:`listen_port` at `path` (default: the
    path of `webhook_url`; give it when a reverse proxy rewrites paths). Requests
    still open when stopping get `shutdown_timeout` seconds. Errors at start (port
    in use, ``setWebhook`` refused) propagate after everything started is stopped.
    `ready` is called once the webhook is set and the server listens. `extra_routes`
    add more to the same listener (the public website: web.server.install_site).
    """
    _check_secret(secret_token)
    route = path if path is not None else (urlsplit(webhook_url).path or "/")
    web_app = make_web_app(application, secret_token=secret_token, path=route, health=health)
    for setup in extra_routes:
        setup(web_app)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=shutdown_timeout)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await runner.setup()
        site = web.TCPSite(runner, listen_host, listen_port)
        await site.start()
        await application.bot.set_webhook(
            url=webhook_url,
            secret_token=secret_token,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info(
            "webhook set for %s; listening on %s port %d",
            urlsplit(webhook_url).hostname,
            listen_host,
            listen_port,
        )
        if ready is not None:
            ready()
        await stop_event.wait()
        log.info("stopping the webhook server")
    finally:
        await runner.cleanup()
        await stop_application(application)
