"""Webhook mode and the health report: the real Application behind `run_webhook` on
127.0.0.1, fed by real HTTP POSTs, answering through the local Bot API server."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine, create_engine
from sqlmodel import select

from bot import build_application
from botsim.server import BotApiServer
from jobs import deadman
from jobs.deadman import describe
from jobs.health import HealthReport, application_health, health_report, webhook_health
from jobs.webhook import (
    HEALTH_PATH,
    SECRET_HEADER,
    SECRET_TOKEN_RE,
    generate_secret_token,
    make_web_app,
    parse_listen,
    run_webhook,
    webhook_path,
    webhook_url,
)
from messages import translator
from services import Services
from settings import Settings
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Delivery, JobState, Subscriber
from tests.conftest import TEST_TOKEN, make_settings

WELCOME_EN = "Casebot: news of people on trial"
STALL = timedelta(minutes=10)


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


# -- health_report -------------------------------------------------------------------------


def _record_planner(engine: Engine, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(JobState(name="planner", last_run_at=at))


def _add_deliveries(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        session.add(Subscriber(chat_id=5001))
        session.flush()
        for number, row in enumerate(rows):
            session.add(
                Delivery(dedupe_key=f"test:-:{number}:5001", chat_id=5001, kind="test", **row)
            )


def test_health_report_all_well(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(minutes=1))
    report = health_report(
        engine, now=now, dispatcher_last_run=now - timedelta(seconds=3), stall_after=STALL
    )
    assert report.ok and report.database
    assert report.problems == []
    assert report.backlog == 0 and report.oldest_due_seconds is None
    assert report.planner_last_run == now - timedelta(minutes=1)
    data = json.loads(report.to_json())
    assert data["ok"] is True and data["backlog"] == 0
    assert data["planner_last_run"] == (now - timedelta(minutes=1)).isoformat()


def test_health_report_stale_planner(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(minutes=30))
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and report.database
    assert report.problems == ["planner has not run for 30 minutes"]


def test_health_report_stale_or_missing_dispatcher(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    stale = health_report(
        engine, now=now, dispatcher_last_run=now - timedelta(minutes=12), stall_after=STALL
    )
    assert stale.problems == ["dispatcher has not run for 12 minutes"]
    missing = health_report(engine, now=now, dispatcher_last_run=None, stall_after=STALL)
    assert missing.problems == ["dispatcher has not run yet"]


def test_health_report_grace_period_after_start(engine: Engine) -> None:
    now = datetime.now(UTC)
    fresh = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=2),
    )
    assert fresh.ok and fresh.planner_last_run is None
    late = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=11),
    )
    assert late.problems == ["planner has not run yet", "dispatcher has not run yet"]


def test_health_report_failed_deliveries(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    recent = [
        {"status": "failed", "due_at": now, "updated_at": now - timedelta(minutes=minutes)}
        for minutes in (1, 10, 20, 50, 59)
    ]
    old = [{"status": "failed", "due_at": now, "updated_at": now - timedelta(hours=2)}] * 3
    sent = [{"status": "sent", "due_at": now, "updated_at": now}] * 4
    _add_deliveries(engine, recent + old + sent)
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert report.failed_recently == 5
    assert report.problems == ["deliveries failing: 5 failed in the last hour"]
    assert not report.ok
    tolerant = health_report(
        engine, now=now, dispatcher_last_run=now, stall_after=STALL, failed_threshold=6
    )
    assert tolerant.ok and tolerant.failed_recently == 5
    wider = health_report(
        engine,
        now=now,
        dispatcher_last_run=now,
        stall_after=STALL,
        failed_window=timedelta(hours=3),
    )
    assert wider.problems == ["deliveries failing: 8 failed in the last 3 hours"]


def test_health_report_backlog(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    _add_deliveries(
        engine,
        [
            {"due_at": now - timedelta(seconds=90)},
            {"due_at": now - timedelta(seconds=5)},
            {"due_at": now + timedelta(hours=1)},  # not due yet
            {"due_at": now - timedelta(hours=5), "status": "sent"},
        ],
    )
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert report.backlog == 2
    assert report.oldest_due_seconds == pytest.approx(90.0)
    assert report.ok


def test_health_report_unreachable_database(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'casebot.db'}")
    now = datetime.now(UTC)
    report = health_report(broken, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and not report.database
    assert report.problems == ["database unreachable"]
    assert report.backlog == 0 and report.planner_last_run is None
    assert json.loads(report.to_json())["database"] is False
    broken.dispose()


def test_health_report_database_file_deleted(engine: Engine, settings: Settings) -> None:
    engine.dispose()
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    now = datetime.now(UTC)
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and not report.database
    assert report.problems == ["database queries failed (OperationalError)"]


def test_health_report_never_raises() -> None:
    now = datetime.now(UTC)
    report = health_report(
        None,  # type: ignore[arg-type]
        now=now,
        dispatcher_last_run=now,
        stall_after=STALL,
    )
    assert not report.ok and not report.database
    assert report.problems and all(isinstance(p, str) for p in report.problems)


# -- /healthz and the alarm: one check, one setting ----------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def stall_app(tmp_path: Path) -> Iterator[tuple[Any, Clock, Engine]]:
    """An Application (not started) with CASEBOT_STALL_AFTER=1m, a hand-moved clock, the
    dead-man's switch installed as at start, and a dispatcher that last claimed 5 s ago."""
    settings = make_settings(tmp_path, CASEBOT_STALL_AFTER="1m")
    eng = make_engine(settings.database_url)
    upgrade(eng)
    clock = Clock(T0)
    app = build_application(
        Services(settings=settings, engine=eng, clock=clock),
        token=TEST_TOKEN,
        api_url="http://127.0.0.1:9",
    )
    deadman.install(app, settings.stall_after)
    app.bot_data["dispatcher"] = SimpleNamespace(last_run_at=T0 - timedelta(seconds=5))
    _record_planner(eng, T0 - timedelta(seconds=10))
    yield app, clock, eng
    eng.dispose()


def _get_healthz(
    app: Any, checks: list[Callable[[], Any]], *, health_timeout: float = 10.0
) -> list[tuple[int, dict[str, Any]]]:
    """GET /healthz from a real server on 127.0.0.1 once per check given."""

    async def main() -> list[tuple[int, dict[str, Any]]]:
        answers = []
        for check in checks:
            web_app = make_web_app(
                app,
                secret_token=generate_secret_token(),
                path="/telegram/x",
                health=check,
                health_timeout=health_timeout,
            )
            runner = web.AppRunner(web_app, access_log=None)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                async with httpx.AsyncClient(timeout=30) as client:
                    response = await client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}")
                answers.append((response.status_code, response.json()))
            finally:
                await runner.cleanup()
        return answers

    return asyncio.run(main())


def test_healthz_and_the_alarm_judge_alike_with_the_stall_setting(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, clock, _ = stall_app
    checks = [webhook_health(app), application_health(app), app.bot_data["health"]]
    for status, body in _get_healthz(app, checks):
        assert status == 200, body
        assert body["ok"] is True and body["problems"] == []
        assert body["stall_after_seconds"] == 60.0
    clock.now = T0 + timedelta(seconds=130)  # both silent for more than a minute
    answers = _get_healthz(app, checks)
    expected = ["planner has not run for 2 minutes", "dispatcher has not run for 2 minutes"]
    for status, body in answers:
        assert status == 503, body
        assert body["ok"] is False and body["database"] is True
        assert body["problems"] == expected
    # The dead-man's switch raises its alarm on that very report, in the admin's words.
    report = asyncio.run(app.bot_data["health"]())
    assert app.bot_data["deadman"].decide(report, clock.now) == "alarm"
    lines = describe(translator("en"), report, stall_after=timedelta(minutes=1))
    assert lines == [
        "The reminder planner last ran 2 minutes ago.",
        "The alert dispatcher last ran 2 minutes ago.",
    ]


def test_healthz_counts_deliveries_stuck_in_sending(stall_app: tuple[Any, Clock, Engine]) -> None:
    app, clock, engine = stall_app
    _add_deliveries(
        engine,
        [
            {"status": "sending", "due_at": T0, "updated_at": T0 - timedelta(minutes=3)},
            {"status": "sending", "due_at": T0, "updated_at": T0 - timedelta(seconds=20)},
        ],
    )
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 503
    assert body["stuck_sending"] == 1  # the one claimed 20 s ago is still in time
    assert body["problems"] == ["deliveries stuck: 1 claimed for 3 minutes without an outcome"]
    clock.now = T0 + timedelta(seconds=50)
    app.bot_data["dispatcher"].last_run_at = clock.now
    with session_scope(engine) as session:
        for row in session.exec(select(Delivery)).all():
            row.status = "sent"
            session.add(row)
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 200 and body["stuck_sending"] == 0, body


def test_healthz_when_the_database_cannot_be_read_is_503(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, _, engine = stall_app
    engine.dispose()
    database = Path(app.bot_data["services"].settings.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 503, body
    assert body["ok"] is False and body["database"] is False
    assert body["problems"] == ["database queries failed (OperationalError)"]


def test_healthz_when_the_database_does_not_answer_in_time_is_503(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, _, _ = stall_app

    async def hanging() -> HealthReport:
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    [(status, body)] = _get_healthz(app, [hanging], health_timeout=0.2)
    assert status == 503
    assert body == {
        "ok": False,
        "database": False,
        "problems": ["health check timed out: the database did not answer within 0.2 s"],
    }


def test_a_job_that_ran_before_this_start_gets_the_grace_period(engine: Engine) -> None:
    # Restarted after a night off: the planner's last run is old, but this process only
    # began a minute ago; not a stall until stall_after has passed since the start.
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(hours=8))
    report = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=1),
    )
    assert report.ok, report.problems
    later = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=11),
    )
    assert later.problems == ["planner has not run for 480 minutes", "dispatcher has not run yet"]
