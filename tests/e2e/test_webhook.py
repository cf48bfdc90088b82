"""Webhook mode: the real Application behind `run_webhook` on 127.0.0.1, fed by real HTTP
POSTs, answering through the local Bot API server (the secret, bad bodies, /healthz
through the running bot, a clean stop and a failed start), and the webhook's pieces
(secret tokens, the path, the listen address). The health report itself is in
test_health.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from botsim.server import BotApiServer
from jobs.health import HealthReport, health_report
from jobs.webhook import (
    HEALTH_PATH,
    SECRET_HEADER,
    SECRET_TOKEN_RE,
    generate_secret_token,
    make_web_app,
    parse_listen,
    webhook_path,
    webhook_url,
)
from services import Services
from settings import Settings
from storage.database.engine import session_scope
from storage.database.models import Delivery, Subscriber
from tests.e2e.webhook_support import STALL, WebhookBot, start_update

WELCOME_EN = "Casebot: news of people on trial"


@pytest.fixture
def start_webhook_bot(
    botapi: BotApiServer, settings: Settings, engine: Engine
) -> Iterator[Callable[..., WebhookBot]]:
    """Start the bot in webhook mode (optionally with another health check); stop it after."""
    started: list[WebhookBot] = []

    def start(**kwargs: Any) -> WebhookBot:
        bot = WebhookBot(botapi, Services(settings=settings, engine=engine), **kwargs)
        started.append(bot)
        return bot.start()

    yield start
    for bot in started:
        if not bot.loop.is_closed():
            bot.stop()


@pytest.fixture
def webhook_bot(start_webhook_bot: Callable[..., WebhookBot]) -> WebhookBot:
    """The bot in webhook mode with its real health check."""
    return start_webhook_bot()


# -- webhook mode, end to end --------------------------------------------------------------


def test_set_webhook_reaches_the_bot_api_with_url_and_secret(
    webhook_bot: WebhookBot, botapi: BotApiServer
) -> None:
    webhook = botapi.webhook
    assert webhook is not None
    assert webhook["url"] == webhook_bot.url
    assert webhook["secret_token"] == webhook_bot.secret
    allowed = webhook["allowed_updates"]
    allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
    assert "message" in allowed and "callback_query" in allowed
    assert str(webhook.get("drop_pending_updates")).lower() in ("false", "0")
    assert webhook_bot.secret not in webhook_bot.url
    assert botapi.token not in webhook_bot.url
    assert botapi.calls("getUpdates") == []  # the Updater is not polling


def test_start_update_gets_the_welcome(webhook_bot: WebhookBot, botapi: BotApiServer) -> None:
    response = webhook_bot.post(start_update(4001))
    assert response.status_code == 200
    [reply] = botapi.wait_for_messages(4001, 1)
    assert WELCOME_EN in reply.text


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: "é".encode()}],
    ids=["missing", "empty", "wrong", "not-ascii"],
)
def test_a_request_without_the_right_secret_is_refused(
    webhook_bot: WebhookBot,
    botapi: BotApiServer,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str | bytes],
) -> None:
    caplog.set_level(logging.INFO, logger="casebot.webhook")
    refused = webhook_bot.post(start_update(4002), headers=headers)
    assert refused.status_code == 403
    assert refused.content == b""
    # Updates are handled one at a time, in order: had the refused /start been queued,
    # its welcome would come before this /help's answer.
    assert webhook_bot.post(start_update(4002, "/help")).status_code == 200
    [reply] = botapi.wait_for_messages(4002, 1)
    assert WELCOME_EN not in reply.text
    assert len(botapi.outbox(4002)) == 1
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "wrong-secret" not in caplog.text and "4002" not in caplog.text


def test_bad_json_gets_400_and_no_reply(webhook_bot: WebhookBot, botapi: BotApiServer) -> None:
    assert webhook_bot.post(b"{not json").status_code == 400
    assert webhook_bot.post(b"[1, 2]").status_code == 400
    assert webhook_bot.post({"message": {"text": "/start"}}).status_code == 400
    assert webhook_bot.post(b"\xff\xfe").status_code == 400
    assert webhook_bot.post(b" " * (1024 * 1024 + 1)).status_code == 413
    assert webhook_bot.post(start_update(4003)).status_code == 200
    botapi.wait_for_messages(4003, 1)
    assert len(botapi.outbox()) == 1


def test_only_post_on_the_secret_path(webhook_bot: WebhookBot) -> None:
    assert webhook_bot.http.get(webhook_bot.url).status_code == 405
    other = f"{webhook_bot.base}/telegram/0000000000000000"
    assert webhook_bot.http.post(
        other, headers={SECRET_HEADER: webhook_bot.secret}
    ).status_code == (404)


def test_healthz_reports_ok(webhook_bot: WebhookBot, engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(Subscriber(chat_id=4004))
        session.flush()
        session.add(
            Delivery(
                dedupe_key="test:-:health:4004",
                chat_id=4004,
                kind="test",
                due_at=now + timedelta(days=1),  # not due: not in the backlog
            )
        )
    response = webhook_bot.http.get(f"{webhook_bot.base}{HEALTH_PATH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    report = response.json()
    assert report["ok"] is True
    assert report["database"] is True
    assert report["backlog"] == 0
    assert report["problems"] == []


def test_healthz_with_a_broken_database_is_503(
    start_webhook_bot: Callable[..., WebhookBot], tmp_path: Path
) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'casebot.db'}")

    def broken_health(app: Any) -> Callable[[], Any]:
        async def check() -> HealthReport:
            return await asyncio.to_thread(
                health_report,
                broken,
                now=datetime.now(UTC),
                dispatcher_last_run=datetime.now(UTC),
                stall_after=STALL,
            )

        return check

    bot = start_webhook_bot(health=broken_health)
    response = bot.http.get(f"{bot.base}{HEALTH_PATH}")
    assert response.status_code == 503
    report = response.json()
    assert report["ok"] is False
    assert report["database"] is False
    assert "database unreachable" in report["problems"]
    broken.dispose()


def test_healthz_when_the_check_itself_fails_is_503(
    start_webhook_bot: Callable[..., WebhookBot],
) -> None:
    def failing_health(app: Any) -> Callable[[], Any]:
        async def check() -> HealthReport:
            raise RuntimeError("boom")

        return check

    bot = start_webhook_bot(health=failing_health)
    response = bot.http.get(f"{bot.base}{HEALTH_PATH}")
    assert response.status_code == 503
    assert response.json()["problems"] == ["health check failed (RuntimeError)"]


def test_stop_event_ends_run_webhook_cleanly(webhook_bot: WebhookBot, botapi: BotApiServer) -> None:
    # The first reply is held by the server, so the second update is still queued when
    # the stop comes: accepted with 200, it must be answered before run_webhook returns.
    botapi.delay_next(4005, 1.0)
    assert webhook_bot.post(start_update(4005)).status_code == 200
    assert webhook_bot.post(start_update(4006)).status_code == 200
    webhook_bot.stop()
    assert webhook_bot.future is not None and webhook_bot.future.result() is None
    assert len(botapi.outbox(4005)) == 1
    assert len(botapi.outbox(4006)) == 1
    assert not webhook_bot.app.running
    dispatcher = webhook_bot.app.bot_data["dispatcher"]
    assert not dispatcher.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{webhook_bot.base}{HEALTH_PATH}", timeout=5.0)
    assert botapi.webhook is not None  # kept at Telegram for the next start


def test_a_failed_start_stops_everything(
    botapi: BotApiServer, settings: Settings, engine: Engine
) -> None:
    bot = WebhookBot(botapi, Services(settings=settings, engine=engine))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot.port = int(taken.getsockname()[1])
        bot.thread.start()
        future = asyncio.run_coroutine_threadsafe(bot._run(), bot.loop)
        try:
            with pytest.raises(OSError):
                future.result(timeout=30)
            assert not bot.app.running
            assert not bot.app.bot_data["dispatcher"].running
            assert botapi.webhook is None  # never set: Telegram keeps its old settings
        finally:
            bot.http.close()
            bot.loop.call_soon_threadsafe(bot.loop.stop)
            bot.thread.join(10)
            bot.loop.close()


# -- the pieces ----------------------------------------------------------------------------


def test_generated_secrets_are_valid_and_distinct() -> None:
    tokens = {generate_secret_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert SECRET_TOKEN_RE.fullmatch(token)
        assert len(token) >= 32


def test_webhook_path_hides_the_secret() -> None:
    secret = generate_secret_token()
    path = webhook_path(secret)
    assert path == webhook_path(secret)
    assert path.startswith("/telegram/") and len(path) == len("/telegram/") + 16
    assert secret not in path
    assert webhook_path(generate_secret_token()) != path
    assert webhook_url("https://bot.example.org/", secret) == "https://bot.example.org" + path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8443", ("127.0.0.1", 8443)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:8080", ("::1", 8080)),
        ("localhost:88", ("localhost", 88)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8443", ":8443", "host:", "host:0", "host:70000", "host:x"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(text)


@pytest.mark.parametrize("secret", ["", "has space", "é", "x" * 257])
def test_make_web_app_refuses_secrets_telegram_would_refuse(secret: str) -> None:
    async def health() -> HealthReport:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="secret token"):
        make_web_app(Any, secret_token=secret, path="/telegram/x", health=health)  # type: ignore[arg-type]
