"""Two dispatchers (two workers, each with its own bot, gate and connections) draining one
outbox: every delivery is sent exactly once — on PostgreSQL (SKIP LOCKED) with 10,000
deliveries, and on SQLite (claims checked after the write) with fewer."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import col, select

from botsim.server import BotApiServer
from jobs.dispatcher import Dispatcher
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import ChatPacer, SendGate
from jobs.render import AlertRenderer
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Case, CaseName, Delivery, Subscriber, Subscription
from storage.outbox import count_by_status
from storage.usecases.changes import change_status

FIRST_CHAT = 10_000_000


def seed(engine: Engine, followers: int) -> None:
    """One case followed by `followers` chats, and one status change alerting them all."""
    with session_scope(engine) as session:
        case = Case(slug="scale")
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            CaseName(
                case_id=case.id, lang="en", text="Scale Test", is_primary=True, key="scale test"
            )
        )
        chats = range(FIRST_CHAT, FIRST_CHAT + followers)
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": chat,
                    "chat_type": "private",
                    "lang": ("kk", "ru", "en")[chat % 3],
                    "blocked": False,
                    "gone": False,
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
                for chat in chats
            ],
        )
        session.execute(
            insert(Subscription),
            [
                {"chat_id": chat, "case_id": case.id, "created_at": datetime.now(UTC)}
                for chat in chats
            ],
        )
        result = change_status(
            session, case_id=case.id, dimension="custody", key="released", now=datetime.now(UTC)
        )
    assert result is not None and result.alerts == followers


class Worker:
    """A dispatcher in its own thread and event loop, as a separate process would run it."""

    def __init__(self, engine: Engine, server: BotApiServer, name: str, rate: float) -> None:
        self.engine, self.server, self.name, self.rate = engine, server, name, rate
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.dispatcher: Any = None
        self.bot: Any = None

    def run(self, coroutine: Any, timeout: float = 120.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        from telegram.ext import ExtBot

        limiter = PriorityRateLimiter(SendGate(self.rate), pacer=ChatPacer())
        self.bot = ExtBot(
            self.server.token, base_url=f"{self.server.url}/bot", rate_limiter=limiter
        )
        await self.bot.initialize()
        self.dispatcher = Dispatcher(
            engine=self.engine,
            bot=self.bot,
            renderer=AlertRenderer(zone="Asia/Almaty"),
            gate=limiter.gate,
            pacer=limiter.pacer,
            clock=lambda: datetime.now(UTC),
            worker_id=self.name,
            idle_poll=0.5,
        )
        await self.dispatcher.start()

    async def _stop(self) -> None:
        await self.dispatcher.stop(timeout=10)
        await self.bot.shutdown()

    def start(self) -> Worker:
        self.thread.start()
        self.run(self._start())
        return self

    def stop(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def drain_with_two_workers(engine: Engine, followers: int) -> tuple[Counter[int], list[int]]:
    seed(engine, followers)
    with BotApiServer(messages_per_second=None) as server:
        workers = [Worker(engine, server, name, rate=1000).start() for name in ("a", "b")]
        try:
            deadline = 240.0
            for worker in workers:
                worker.run(worker.dispatcher.drain(deadline), deadline + 10)
        finally:
            for worker in workers:
                worker.stop()
        received = Counter(message.chat_id for message in server.outbox())
        return received, [worker.dispatcher.stats.sent for worker in workers]


def assert_exactly_once(
    engine: Engine, received: Counter[int], sent: list[int], followers: int
) -> None:
    assert set(received) == set(range(FIRST_CHAT, FIRST_CHAT + followers)), "lost alerts"
    duplicates = {chat: count for chat, count in received.items() if count > 1}
    assert duplicates == {}, f"{len(duplicates)} chats got the alert twice"
    assert sum(sent) == followers and all(count > 0 for count in sent), sent
    with session_scope(engine) as session:
        assert count_by_status(session) == {"sent": followers}
        claimed = select(Delivery.id).where(col(Delivery.claimed_by).is_not(None))
        assert session.exec(claimed).first() is None


@pytest.mark.postgres
@pytest.mark.slow
def test_two_dispatchers_on_postgres_send_10000_exactly_once(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    try:
        received, sent = drain_with_two_workers(engine, 10_000)
        assert_exactly_once(engine, received, sent, 10_000)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_dispatchers_on_sqlite_send_exactly_once(engine: Engine) -> None:
    received, sent = drain_with_two_workers(engine, 1_500)
    assert_exactly_once(engine, received, sent, 1_500)
