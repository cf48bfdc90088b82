"""Shared fixtures: real SQLite files, PostgreSQL when available, the local Bot API
server, and the real Application running against it in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text

from bot import build_application
from botsim.server import BotApiServer
from services import Services
from settings import Settings, load_settings
from storage.database.engine import make_engine, upgrade

TEST_TOKEN = "123456:TEST-token-for-botsim-only_0123456789"

FIXED_NOW = datetime(2026, 6, 19, 6, 0, tzinfo=UTC)
"""The "now" of tests that render day counts: never the real date (11:00 in Almaty)."""


class Clock:
    """A clock the test sets and moves by hand (the bot's injectable ``Services.clock``).

    ``now=None`` follows the real time, for tests whose dates do not matter, until a
    test sets ``now``.
    """

    def __init__(self, now: datetime | None = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)


def make_settings(tmp_path: Path, **overrides: str) -> Settings:
    """Settings as `casebot` would read them, with the data folder in tmp_path."""
    environ = {"CASEBOT_DATA_DIR": str(tmp_path / "data"), **overrides}
    return load_settings(environ, env_file=None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with an SQLite file under tmp_path, admin 900."""
    return make_settings(tmp_path, CASEBOT_ADMINS="900")


@pytest.fixture
def engine(settings: Settings, migrated_template: Path) -> Iterator[Engine]:
    """A migrated SQLite database file: a copy of the session's template, which is what
    running every migration on an empty file gives (test_storage and the migration
    tests run them for real)."""
    database = make_url(settings.database_url).database
    assert database is not None
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_template, database)
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every migration applied, made once per test session."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection closes: the write-ahead log is folded in
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


@contextlib.contextmanager
def private_pg_schema(base: str) -> Iterator[str]:
    """A URL of the PostgreSQL database ``base`` whose search path is a fresh schema,
    dropped afterwards."""
    schema = f"casebot_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh, private schema; skips without TEST_DATABASE_URL."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (no PostgreSQL server to test against)")
    with private_pg_schema(base) as url:
        yield url


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """A local Bot API server on 127.0.0.1 (30 messages per second, as Telegram)."""
    server = BotApiServer(TEST_TOKEN)
    server.start()
    yield server
    server.stop()


class RunningBot:
    """The real Application, long-polling the local server from its own event loop thread."""

    def __init__(self, server: BotApiServer, services: Services) -> None:
        self.server = server
        self.services = services
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.app: Any = None

    @property
    def clock(self) -> Clock:
        """The bot's clock, which the test moves (set with ``Clock`` in its services)."""
        clock = self.services.clock
        assert isinstance(clock, Clock)
        return clock

    def _run(self, coroutine: Any, timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        self.app = build_application(
            self.services, token=self.server.token, api_url=self.server.url
        )
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)
        await self.app.start()

    async def _stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.post_stop(self.app)
        await self.app.shutdown()

    def start(self) -> RunningBot:
        """Start polling; returns when the bot is ready."""
        self.thread.start()
        self._run(self._start())
        return self

    def stop(self) -> None:
        """Stop polling and close the loop."""
        if self.app is not None:
            self._run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def ask(
        self,
        text: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        count: int = 1,
        **kwargs: Any,
    ) -> list[Any]:
        """Send `text` as a user and wait for `count` replies in that chat."""
        chat_id = kwargs.get("chat_id", user_id)
        since = len(self.server.outbox(chat_id))
        self.server.user_message(text, user_id=user_id, language_code=language_code, **kwargs)
        return self.server.wait_for_messages(chat_id, count, since=since)

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Wait until every update sent so far has been fetched and fully handled.

        Updates of different chats run concurrently, so "a later message was answered"
        no longer means an earlier one was: this waits for the server to hold no
        unfetched update and for the Application's queue to have no unfinished one.
        """
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not finish handling its updates")
            unfinished = self.app.update_queue._unfinished_tasks
            busy = self.server.pending_updates or unfinished
            quiet = 0 if busy else quiet + 1
            time.sleep(0.01)

    def wait_for_edit(
        self, chat_id: int, message_id: int, *, edits: int = 1, timeout: float = 10.0
    ) -> Any:
        """Wait until a message the bot sent has been edited `edits` times; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.server.outbox(chat_id):
                if message.message_id == message_id and message.edited >= edits:
                    return message
            time.sleep(0.02)
        raise TimeoutError(f"message {message_id} in chat {chat_id} was not edited")

    def press(
        self,
        message: Any,
        data: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        count: int = 1,
        check: bool = True,
    ) -> list[Any]:
        """Press a button of a message the bot sent and wait for `count` new messages."""
        since = len(self.server.outbox(message.chat_id))
        self.server.press_button(
            user_id=user_id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            data=data,
            language_code=language_code,
            check=check,
        )
        return self.server.wait_for_messages(message.chat_id, count, since=since)


@pytest.fixture
def running_bot(botapi: BotApiServer, settings: Settings, engine: Engine) -> Iterator[RunningBot]:
    """The Application answering through the local server, on a fresh database."""
    bot = RunningBot(botapi, Services(settings=settings, engine=engine, clock=Clock(None))).start()
    yield bot
    bot.stop()
