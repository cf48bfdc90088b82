"""Helpers of the dispatcher tests (test_dispatcher, test_dispatcher_restarts) and of the
other tests that run a dispatcher against botsim: followers and alerts made with the
models, a renderer and a Bot that the tests can watch, and a dispatcher run to the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from telegram import Bot, Message
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from botsim.server import BotApiServer
from jobs.dispatcher import Closed, Dispatcher, Rendered
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import ChatPacer, SendGate
from storage.database.engine import session_scope
from storage.database.models import Case, Delivery, Subscriber, Subscription, utcnow
from storage.outbox import DeliveryWork, enqueue_for_followers
from storage.payloads import StatusAlert


def add_case(engine: Engine, chats: Iterable[int], *, slug: str = "case-a") -> int:
    """A case followed by `chats` (subscribers created as needed); returns its id."""
    with session_scope(engine) as session:
        case = Case(slug=slug)
        session.add(case)
        session.flush()
        for chat in chats:
            if session.get(Subscriber, chat) is None:
                kind = "private" if chat > 0 else "supergroup"
                session.add(Subscriber(chat_id=chat, chat_type=kind, lang="en"))
                session.flush()
            session.add(Subscription(chat_id=chat, case_id=case.id or 0))
        assert case.id is not None
        return case.id


def enqueue(
    engine: Engine, case_id: int, *, what: str = "v1", due_at: datetime | None = None
) -> int:
    """A status alert (`what`) to the case's followers, due now unless `due_at`; the count."""
    with session_scope(engine) as session:
        return enqueue_for_followers(
            session,
            case_id=case_id,
            kind="status",
            what=what,
            payload=StatusAlert(dimension="custody", old=None, new=what),
            due_at=due_at or utcnow(),
        )


def rows(engine: Engine) -> list[Delivery]:
    """Every delivery row, in id order."""
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


def by_chat(engine: Engine) -> dict[int, list[Delivery]]:
    """The delivery rows of each chat, in id order."""
    result: dict[int, list[Delivery]] = {}
    for row in rows(engine):
        result.setdefault(row.chat_id, []).append(row)
    return result


def subscriber(engine: Engine, chat: int) -> Subscriber:
    """The subscriber row of `chat` (it must exist)."""
    with Session(engine) as session:
        found = session.get(Subscriber, chat)
        assert found is not None
        return found


class TextRenderer:
    """Renders `alert <delivery id>` with one button; chosen chats can be closed or broken."""

    def __init__(
        self, *, closed: dict[int, Closed] | None = None, broken: set[int] | None = None
    ) -> None:
        self.closed = closed or {}
        self.broken = broken or set()
        self.batches = 0

    def prepare(
        self, session: Session, batch: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        """Render each row of `batch`, or close it; raise if a broken chat is in it."""
        self.batches += 1
        if any(work.chat_id in self.broken for work in batch):
            raise RuntimeError("cannot render")
        result: dict[int, Rendered | Closed] = {}
        for work in batch:
            closed = self.closed.get(work.chat_id)
            result[work.id] = closed or Rendered(
                f"<b>alert</b> {work.id}", buttons=[[("Open", f"case:{work.case_id}")]]
            )
        return result


class ProbeBot(Bot):
    """A Bot that counts how many sends to each chat are under way at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._busy: dict[int, int] = {}
        self._most = 0

    @property
    def most_at_once_per_chat(self) -> int:
        """The most sends to one chat that were under way at the same time."""
        return self._most

    async def send_message(self, chat_id: Any, *args: Any, **kwargs: Any) -> Message:
        self._busy[chat_id] = self._busy.get(chat_id, 0) + 1
        self._most = max(self._most, self._busy[chat_id])
        try:
            return await super().send_message(chat_id, *args, **kwargs)
        finally:
            self._busy[chat_id] -= 1


def make_bot(server: BotApiServer, limiter: PriorityRateLimiter | None = None) -> Bot:
    """A Bot on `server`: an ExtBot with `limiter` if given, else a ProbeBot."""
    request = HTTPXRequest(connection_pool_size=128)
    if limiter is not None:
        return ExtBot(
            server.token,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            rate_limiter=limiter,
            request=request,
        )
    return ProbeBot(
        server.token,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=request,
    )


def fast_pacer() -> ChatPacer:
    """Per-chat pacing shortened tenfold, for tests that retry one chat several times."""
    return ChatPacer(private_interval=0.1, group_interval=0.3)


def make_dispatcher(engine: Engine, bot: Bot, **overrides: Any) -> Dispatcher:
    """A Dispatcher with the TextRenderer, 30/s and short waits, unless `overrides` say."""
    options: dict[str, Any] = {
        "renderer": TextRenderer(),
        "gate": SendGate(30),
        "clock": utcnow,
        "flush_interval": 0.05,
        "idle_poll": 0.5,
        "backoff": lambda attempts: 0.05,
    }
    options.update(overrides)
    return Dispatcher(engine=engine, bot=bot, **options)


def run_dispatcher(
    engine: Engine,
    server: BotApiServer,
    during: Callable[[Dispatcher], Awaitable[None]] | None = None,
    *,
    limiter: PriorityRateLimiter | None = None,
    **overrides: Any,
) -> Dispatcher:
    """Start a dispatcher, run `during` (default: drain), stop it; returns it for its stats."""

    async def main() -> Dispatcher:
        async with make_bot(server, limiter) as bot:
            dispatcher = make_dispatcher(engine, bot, **overrides)
            await dispatcher.start()
            try:
                if during is None:
                    await dispatcher.drain(15)
                else:
                    await during(dispatcher)
            finally:
                await dispatcher.stop()
            return dispatcher

    return asyncio.run(main())


async def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll `condition` every 10 ms; raise TimeoutError if it does not hold `within` s."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


def sent_chats(server: BotApiServer) -> list[int]:
    """The chat of every message in the server's outbox, in sending order."""
    return [m.chat_id for m in server.outbox()]
