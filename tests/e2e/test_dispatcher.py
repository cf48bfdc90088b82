"""Tests for jobs.dispatcher against real SQLite files and the local Bot API server:
delivery and its outcomes (sent, blocked, gone, failed, skipped, retried), the rate
limits, the logs, and the same on PostgreSQL. Crashes, restarts and stop are in
test_dispatcher_restarts.

Followers are created with the models and alerts enqueued with
``enqueue_for_followers``; a real ``telegram.Bot`` (or ``ExtBot`` with the
PriorityRateLimiter) sends through botsim. Outcomes are asserted from the database,
the server's outbox and the order of the server's calls: counts, never durations.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from botsim.server import BotApiServer
from jobs.dispatcher import Closed
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import SendGate
from storage.database.engine import make_engine, upgrade
from storage.database.models import utcnow
from storage.outbox import BLOCKED, FAILED, GONE, SENT, SKIPPED
from tests.e2e.dispatcher_support import (
    ProbeBot,
    TextRenderer,
    add_case,
    by_chat,
    enqueue,
    fast_pacer,
    rows,
    run_dispatcher,
    sent_chats,
    subscriber,
)

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
