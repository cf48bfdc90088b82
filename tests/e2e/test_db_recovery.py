"""The database goes away mid-broadcast and comes back: the dispatcher keeps its
outcomes, retries, and logs each trouble once when it starts and once when it ends —
one warning line with the error's type, never a traceback — and every alert is still
delivered exactly once.

SQLite: another connection holds the write lock for a while. PostgreSQL: the
dispatcher's own backend is terminated (``pg_terminate_backend``) while it renders a
claimed batch and while it records outcomes, then every idle connection of it too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from botsim.server import BotApiServer
from jobs.dispatcher import Dispatcher
from jobs.render import AlertRenderer
from settings import Settings
from storage.database.engine import make_engine, upgrade
from storage.outbox import SENT
from tests.e2e.dispatcher_support import rows, run_dispatcher, wait_until
from tests.e2e.test_scaleout import FIRST_CHAT, seed


def messages(caplog: pytest.LogCaptureFixture, fragment: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if fragment in record.getMessage()]


def assert_quiet_recovery(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no error line, nothing about sessions or the renderer."""
    for record in caplog.records:
        text = record.getMessage()
        assert record.exc_info is None, (record.name, text)
        assert record.levelno < logging.ERROR, (record.name, text)
        assert "PendingRollbackError" not in text and "renderer failed" not in text, text


def assert_each_once(engine: Engine, server: BotApiServer, followers: int) -> None:
    got = Counter(message.chat_id for message in server.outbox())
    assert got == Counter(range(FIRST_CHAT, FIRST_CHAT + followers))
    assert all(row.status == SENT for row in rows(engine))


def run(engine: Engine, server: BotApiServer, during: Any) -> Dispatcher:
    return run_dispatcher(
        engine,
        server,
        during,
        renderer=AlertRenderer(zone="Asia/Almaty"),
        heartbeat_interval=3600,  # the lease's beat is not what this is about
    )


# -- SQLite: a lock held by another connection -------------------------------------------


@pytest.fixture
def quick_engine(settings: Settings) -> Iterator[Engine]:
    """The database file, with writers giving up on a lock after 0.2 s instead of 10 s."""
    engine = make_engine(settings.database_url)

    def short_busy_timeout(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA busy_timeout=200")

    event.listen(engine, "connect", short_busy_timeout)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_locked_sqlite_file_is_logged_once_and_so_is_the_recovery(
    quick_engine: Engine, settings: Settings, botapi: BotApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    followers = 60
    seed(quick_engine, followers)
    path = settings.database_url.removeprefix("sqlite:///")

    async def during(dispatcher: Dispatcher) -> None:
        await wait_until(lambda: botapi.stats.sent >= 5)
        locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        await asyncio.to_thread(locker.execute, "BEGIN IMMEDIATE")  # writers must wait
        try:
            await wait_until(lambda: len(messages(caplog, "could not record")) > 0, within=20)
            await wait_until(lambda: botapi.stats.sent >= 30, within=20)  # sends go on
        finally:
            await asyncio.to_thread(locker.execute, "ROLLBACK")
            locker.close()
        await dispatcher.drain(30)

    with caplog.at_level(logging.INFO):
        run(quick_engine, botapi, during)

    [failing] = messages(caplog, "could not record")
    assert failing.levelno == logging.WARNING
    assert "(OperationalError)" in failing.getMessage()
    [recorded] = messages(caplog, "outcomes after")  # "recorded N outcomes after M failed …"
    assert recorded.getMessage().startswith("recorded ")
    assert len(messages(caplog, "could not claim")) <= 1
    assert len(messages(caplog, "claiming again")) == len(messages(caplog, "could not claim"))
    assert_quiet_recovery(caplog)
    assert_each_once(quick_engine, botapi, followers)


# -- PostgreSQL: the dispatcher's backend is terminated -----------------------------------


class BackendKiller:
    """Terminates the connection about to run a statement containing an armed marker."""

    def __init__(self, engine: Engine, admin: Engine) -> None:
        self.admin = admin
        self.armed: dict[str, int] = {}
        self.kills = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def arm(self, marker: str, *, skip: int = 0) -> None:
        """Kill the connection at the first statement with `marker` after `skip` of them."""
        self.armed[marker] = skip

    def _before(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        marker = next((m for m in self.armed if m in statement), None)
        if marker is None:
            return
        if self.armed[marker] > 0:
            self.armed[marker] -= 1
            return
        del self.armed[marker]
        pid = connection.connection.driver_connection.info.backend_pid
        with self.admin.connect() as admin:  # waits (up to 5 s) until the backend is gone
            admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        self.kills += 1

    def terminate_all(self, application_name: str) -> int:
        """Terminate every backend of the dispatcher's engine (idle in its pool)."""
        with self.admin.connect() as admin:
            found = admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": application_name},
            ).scalar()
        return int(found or 0)


@pytest.mark.postgres
def test_terminated_postgres_backends_are_one_warning_each_then_recovery(
    pg_url: str, botapi: BotApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"casebot_recovery_{uuid.uuid4().hex[:8]}"
    engine = make_engine(f"{pg_url}&application_name={name}")
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    try:
        upgrade(engine)
        followers = 90
        seed(engine, followers)
        killer = BackendKiller(engine, admin)
        killer.arm("FROM cases", skip=1)  # the renderer's first query in the second claim

        async def during(dispatcher: Dispatcher) -> None:
            await wait_until(lambda: killer.kills == 1)
            await wait_until(lambda: botapi.stats.sent >= 30)
            killer.arm("sent_at")  # the next flush of successes
            await wait_until(lambda: killer.kills == 2)
            await wait_until(lambda: botapi.stats.sent >= 50)
            assert await asyncio.to_thread(killer.terminate_all, name) >= 1
            await dispatcher.drain(30)

        with caplog.at_level(logging.INFO):
            run(engine, botapi, during)

        # Each lost connection is one warning, then one line when it recovered. The last
        # termination may catch the dispatcher claiming or idle: one or two claim losses.
        claims_lost = messages(caplog, "could not claim")
        assert 1 <= len(claims_lost) <= 2
        assert all("(connection lost: OperationalError)" in r.getMessage() for r in claims_lost)
        assert [r.getMessage() for r in messages(caplog, "claiming again")] == [
            "claiming again after 1 failed attempts"
        ] * len(claims_lost)
        records_lost = messages(caplog, "could not record")
        assert 1 <= len(records_lost) <= 2
        assert all("(connection lost: OperationalError)" in r.getMessage() for r in records_lost)
        recorded = messages(caplog, "outcomes after")
        assert len(recorded) == len(records_lost)
        assert all(r.getMessage().endswith("outcomes after 1 failed attempts") for r in recorded)
        assert_quiet_recovery(caplog)
        others = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert all(r.name.startswith("jobs") for r in others), [r.name for r in others]
        assert_each_once(engine, botapi, followers)
    finally:
        engine.dispose()
        admin.dispose()
