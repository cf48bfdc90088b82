"""Tests for jobs.dispatcher against real SQLite files and the local Bot API server.

Followers are created with the models and alerts enqueued with
``enqueue_for_followers``; a real ``telegram.Bot`` (or ``ExtBot`` with the
PriorityRateLimiter) sends through botsim. Outcomes are asserted from the database,
the server's outbox and the order of the server's calls: counts, never durations.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from telegram import Bot, Message
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from botsim.server import BotApiServer
from jobs.dispatcher import Closed, Dispatcher, Rendered
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import ChatPacer, SendGate
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Case, Delivery, Subscriber, Subscription, utcnow
from storage.outbox import (
    BLOCKED,
    FAILED,
    GONE,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    DeliveryResult,
    DeliveryWork,
    claim_due,
    enqueue_for_followers,
    record_results,
)
from storage.payloads import StatusAlert

# -- helpers ---------------------------------------------------------------------------


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
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


def by_chat(engine: Engine) -> dict[int, list[Delivery]]:
    result: dict[int, list[Delivery]] = {}
    for row in rows(engine):
        result.setdefault(row.chat_id, []).append(row)
    return result


def subscriber(engine: Engine, chat: int) -> Subscriber:
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
        return self._most

    async def send_message(self, chat_id: Any, *args: Any, **kwargs: Any) -> Message:
        self._busy[chat_id] = self._busy.get(chat_id, 0) + 1
        self._most = max(self._most, self._busy[chat_id])
        try:
            return await super().send_message(chat_id, *args, **kwargs)
        finally:
            self._busy[chat_id] -= 1


def make_bot(server: BotApiServer, limiter: PriorityRateLimiter | None = None) -> Bot:
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
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


def sent_chats(server: BotApiServer) -> list[int]:
    return [m.chat_id for m in server.outbox()]


# -- delivery --------------------------------------------------------------------------


def test_every_follower_gets_exactly_one_message(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(1001, 1026))
    case_id = add_case(engine, chats)
    assert enqueue(engine, case_id) == 25
    assert enqueue(engine, case_id) == 0  # the same alert twice adds nothing

    dispatcher = run_dispatcher(engine, botapi)

    assert sorted(sent_chats(botapi)) == chats
    for row in rows(engine):
        assert row.status == SENT
        assert row.attempts == 1
        assert row.claimed_by is None
        [message] = botapi.outbox(row.chat_id)
        assert row.message_id == message.message_id
        assert message.text == f"<b>alert</b> {row.id}"
        assert [b[:2] for b in message.buttons()] == [("Open", f"case:{case_id}")]
    stats = dispatcher.stats
    assert (stats.sent, stats.failed, stats.rate_limited, stats.in_flight) == (25, 0, 0, 0)
    assert dispatcher.last_run_at is not None
    assert botapi.stats.rate_limited == 0


def test_two_alerts_to_one_chat_are_never_in_flight_together(
    engine: Engine, botapi: BotApiServer
) -> None:
    first = add_case(engine, [2001, 2002], slug="first")
    second = add_case(engine, [2001], slug="second")
    enqueue(engine, first)
    enqueue(engine, second)
    botapi.delay_next(2001, 0.3)  # the first send to 2001 is slow to answer

    dispatcher = run_dispatcher(engine, botapi)

    assert len(botapi.outbox(2001)) == 2
    assert all(row.status == SENT for row in rows(engine))
    assert isinstance(dispatcher.bot, ProbeBot)
    assert dispatcher.bot.most_at_once_per_chat == 1


def test_blocked_chat_is_closed_and_others_are_unaffected(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = [3001, 3002, 3003, 3004]
    case_id = add_case(engine, chats)
    later = add_case(engine, [3002], slug="later")
    enqueue(engine, case_id)
    enqueue(engine, later, due_at=utcnow() + timedelta(hours=1))  # 3002's other pending row
    botapi.block(3002)

    dispatcher = run_dispatcher(engine, botapi)

    deliveries = by_chat(engine)
    assert [row.status for row in deliveries[3002]] == [BLOCKED, BLOCKED]
    assert subscriber(engine, 3002).blocked is True
    assert len(botapi.calls("sendMessage")) == 4  # one try to 3002, none for its later row
    for chat in (3001, 3003, 3004):
        assert [row.status for row in deliveries[chat]] == [SENT]
        assert subscriber(engine, chat).blocked is False
    assert dispatcher.stats.blocked == 1
    assert enqueue(engine, case_id, what="v2") == 3  # a blocked chat gets no new alerts


def test_429_pauses_only_that_chat(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(4001, 4011))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)
    botapi.fail_next(4001, 429, retry_after=1)

    dispatcher = run_dispatcher(engine, botapi)  # drain waits for the retry due in 1 s

    calls = [(c.params["chat_id"], c.status) for c in botapi.calls("sendMessage")]
    assert calls[0] == (4001, 429)  # the paused chat was tried first…
    assert calls[-1] == (4001, 200)  # …and got its message after every other chat got theirs
    assert sorted(chat for chat, status in calls if status == 200) == chats
    assert len(calls) == 11
    row = by_chat(engine)[4001][0]
    assert (row.status, row.attempts) == (SENT, 1)  # a 429 is not a failed attempt
    assert dispatcher.stats.rate_limited == 1


def test_5xx_twice_then_success_is_delivered_once(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [5001, 5002])
    enqueue(engine, case_id)
    botapi.fail_next(5001, 500, times=2)

    dispatcher = run_dispatcher(engine, botapi, pacer=fast_pacer())

    assert len(botapi.outbox(5001)) == 1
    row = by_chat(engine)[5001][0]
    assert (row.status, row.attempts) == (SENT, 3)
    assert dispatcher.stats.retried == 2


def test_permanent_5xx_fails_after_max_attempts(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [6001, 6002])
    enqueue(engine, case_id)
    botapi.fail_next(6001, 500, times=100)

    dispatcher = run_dispatcher(engine, botapi, max_attempts=3, pacer=fast_pacer())

    row = by_chat(engine)[6001][0]
    assert (row.status, row.attempts) == (FAILED, 3)
    assert row.last_error is not None and "NetworkError" in row.last_error
    assert len([c for c in botapi.calls("sendMessage") if c.params["chat_id"] == 6001]) == 3
    assert by_chat(engine)[6002][0].status == SENT
    assert dispatcher.stats.failed == 1


def test_outage_does_not_use_up_attempts(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(6101, 6109))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)
    for chat in chats:  # Telegram answers 502 to everyone, three times over
        botapi.fail_next(chat, 502, times=3)

    run_dispatcher(engine, botapi, max_attempts=2, outage_threshold=3, pacer=fast_pacer())

    assert sorted(sent_chats(botapi)) == chats
    assert all(row.status == SENT for row in rows(engine))


def test_chat_not_found_is_gone(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [7001, 7002])
    enqueue(engine, case_id)
    botapi.fail_next(7001, 400)  # "Bad Request: chat not found"

    dispatcher = run_dispatcher(engine, botapi)

    row = by_chat(engine)[7001][0]
    assert (row.status, row.last_error) == (GONE, "Chat not found")
    assert subscriber(engine, 7001).gone is True
    assert by_chat(engine)[7002][0].status == SENT
    assert dispatcher.stats.gone == 1


def test_other_bad_request_fails_without_retry(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [7101])
    enqueue(engine, case_id)
    botapi.fail_next(7101, 400, description="Bad Request: can't parse entities")

    run_dispatcher(engine, botapi)

    row = by_chat(engine)[7101][0]
    assert (row.status, row.attempts) == (FAILED, 1)
    assert len(botapi.calls("sendMessage")) == 1


def test_closed_by_the_renderer_is_not_sent(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [7201, 7202])
    enqueue(engine, case_id)
    renderer = TextRenderer(closed={7201: Closed(SKIPPED, "hearing moved")})

    dispatcher = run_dispatcher(engine, botapi, renderer=renderer)

    row = by_chat(engine)[7201][0]
    assert (row.status, row.last_error) == (SKIPPED, "hearing moved")
    assert sent_chats(botapi) == [7202]
    assert dispatcher.stats.skipped == 1


def test_renderer_failure_is_retried_then_failed(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [7301, 7302])
    enqueue(engine, case_id)
    renderer = TextRenderer(broken={7301})

    run_dispatcher(engine, botapi, renderer=renderer, max_attempts=2)

    row = by_chat(engine)[7301][0]
    assert (row.status, row.last_error) == (FAILED, "render failed")
    assert sent_chats(botapi) == [7302]


# -- crashes, restarts, stop ---------------------------------------------------------------


def test_restart_after_crash_resumes_claimed_rows(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(8001, 8011))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)
    # A previous process claimed every row, recorded three as sent, and died.
    with session_scope(engine) as session:
        claimed = claim_due(session, now=utcnow(), limit=100, worker="main")
    assert len(claimed) == 10
    with session_scope(engine) as session:
        record_results(
            session,
            [DeliveryResult(id=w.id, status=SENT, at=utcnow(), message_id=99) for w in claimed[:3]],
        )
    assert [row.status for row in rows(engine)].count(SENDING) == 7

    dispatcher = run_dispatcher(engine, botapi)

    assert dispatcher.stats.resumed == 7
    assert sorted(sent_chats(botapi)) == chats[3:]  # the rest, and nothing twice
    assert all(row.status == SENT for row in rows(engine))


def test_crash_mid_broadcast_loses_nothing(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(8101, 8131))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)

    async def first_life() -> None:
        bot = make_bot(botapi)
        await bot.initialize()
        dispatcher = make_dispatcher(engine, bot, flush_interval=0.3)
        await dispatcher.start()
        await wait_until(lambda: botapi.stats.sent >= 12)
        # The process dies here: no stop(), no flush; asyncio.run cancels every task.

    asyncio.run(first_life())
    in_flight = {row.chat_id for row in rows(engine) if row.status == SENDING}
    assert in_flight  # some rows were claimed and not recorded

    run_dispatcher(engine, botapi)

    received = sent_chats(botapi)
    assert sorted(set(received)) == chats  # nobody lost their alert
    duplicated = {chat for chat in received if received.count(chat) > 1}
    assert duplicated <= in_flight  # only unrecorded sends can repeat
    assert all(row.status == SENT for row in rows(engine))


def test_stop_returns_claimed_rows_to_pending(engine: Engine, botapi: BotApiServer) -> None:
    chats = list(range(9001, 9013))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)

    async def during(dispatcher: Dispatcher) -> None:
        await wait_until(lambda: botapi.stats.sent >= 2)
        await dispatcher.stop()
        statuses = [row.status for row in rows(engine)]
        assert SENDING not in statuses
        assert statuses.count(SENT) == botapi.stats.sent
        assert statuses.count(PENDING) == len(chats) - botapi.stats.sent > 0
        assert all(row.claimed_by is None for row in rows(engine))

    run_dispatcher(engine, botapi, during, gate=SendGate(5))
    run_dispatcher(engine, botapi)  # the next run sends the rest, nothing twice
    assert sorted(sent_chats(botapi)) == chats


def test_wake_from_another_thread_finds_new_rows(engine: Engine, botapi: BotApiServer) -> None:
    case_id = add_case(engine, [9101, 9102])

    async def during(dispatcher: Dispatcher) -> None:
        await asyncio.sleep(0.1)  # the first look found nothing; the next is 60 s away

        def writer() -> None:
            enqueue(engine, case_id)
            dispatcher.wake()

        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        await dispatcher.drain(10)

    run_dispatcher(engine, botapi, during, idle_poll=60)
    assert sorted(sent_chats(botapi)) == [9101, 9102]


# -- limits ----------------------------------------------------------------------------


def test_forty_recipients_at_thirty_per_second_get_no_429(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = list(range(10001, 10041))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)

    run_dispatcher(engine, botapi)

    assert botapi.stats.rate_limited == 0
    assert botapi.stats.sent == 40
    assert sorted(sent_chats(botapi)) == chats


def test_with_the_application_limiter_the_gate_is_passed_once(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = list(range(11001, 11021))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)
    gate = SendGate(30)
    limiter = PriorityRateLimiter(gate)

    run_dispatcher(engine, botapi, limiter=limiter, gate=gate)

    assert sorted(sent_chats(botapi)) == chats
    assert gate.granted_low == 20  # once per message, not twice
    assert gate.granted_high == 0
    assert limiter.stats.broadcast == 20
    assert botapi.stats.rate_limited == 0


def test_logs_carry_no_chat_ids_or_texts(
    engine: Engine, botapi: BotApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    chats = list(range(12001, 12011))
    case_id = add_case(engine, chats)
    enqueue(engine, case_id)
    botapi.block(12002)
    botapi.fail_next(12003, 400, description="Bad Request: can't parse entities")
    botapi.fail_next(12004, 500, times=10)

    with caplog.at_level(logging.INFO, logger="jobs"):
        run_dispatcher(engine, botapi, max_attempts=2, pacer=fast_pacer())

    assert caplog.records  # something was logged…
    for record in caplog.records:
        message = record.getMessage()
        assert "alert" not in message
        assert not any(str(chat) in message for chat in chats)


# -- PostgreSQL ------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_every_follower_once(pg_url: str, botapi: BotApiServer) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        chats = list(range(13001, 13021))
        case_id = add_case(engine, chats)
        enqueue(engine, case_id)
        botapi.fail_next(13002, 429, retry_after=1)

        run_dispatcher(engine, botapi)
        assert sorted(sent_chats(botapi)) == chats
        assert all(row.status == SENT for row in rows(engine))
    finally:
        engine.dispose()
