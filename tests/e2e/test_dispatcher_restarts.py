"""Tests for jobs.dispatcher across crashes, restarts and stop, against real SQLite files
and the local Bot API server: rows claimed by a process that died are resumed, a crash
mid-broadcast loses nothing, stop returns claimed rows, and a wake from another thread
finds new rows. Nobody loses an alert; only unrecorded sends can repeat.
"""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import Engine

from botsim.server import BotApiServer
from jobs.dispatcher import Dispatcher
from jobs.ratelimit import SendGate
from storage.database.engine import session_scope
from storage.database.models import utcnow
from storage.outbox import PENDING, SENDING, SENT, DeliveryResult, claim_due, record_results
from tests.e2e.dispatcher_support import (
    add_case,
    enqueue,
    make_bot,
    make_dispatcher,
    rows,
    run_dispatcher,
    sent_chats,
    wait_until,
)


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
