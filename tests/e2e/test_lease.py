"""Claims are leases: a dispatcher that dies (abandoned in-process, or a `casebot worker`
killed with SIGKILL) leaves its rows only until the lease runs out, then another one
takes them over and delivers them; a living dispatcher renews its leases, so its rows
are never taken from it. Time never passes for real here: the dispatchers share an
injected clock that the tests move past the lease.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, column, inspect, table, text
from sqlmodel import Session, col, select
from telegram import Bot, Message

from botsim.server import BotApiServer
from jobs.dispatcher import Dispatcher
from jobs.lease import ClaimLease
from jobs.render import AlertRenderer
from settings import Settings
from storage.database.engine import downgrade, make_engine, session_scope, upgrade
from storage.database.models import Delivery, UTCDateTime, utcnow
from storage.outbox import (
    CLAIM_LEASE,
    PENDING,
    SENDING,
    SENT,
    DeliveryResult,
    claim_due,
    reclaim_stale,
    record_results,
    take_over_expired,
)
from tests.e2e.dispatcher_support import (
    add_case,
    enqueue,
    make_bot,
    make_dispatcher,
    rows,
    wait_until,
)
from tests.e2e.test_cli import casebot_command, clean_env
from tests.e2e.test_scaleout import FIRST_CHAT, seed


class FakeClock:
    """The dispatchers' clock: stands still unless a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class HangingBot(Bot):
    """Telegram never answers until `release()` (then the sends go through)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = asyncio.Event()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    def release(self) -> None:
        self._release.set()

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        self._waiting += 1
        await self._release.wait()
        return await super().send_message(*args, **kwargs)


def hanging_bot(server: BotApiServer) -> HangingBot:
    return HangingBot(server.token, base_url=f"{server.url}/bot")


def claimed_by(engine: Engine) -> Counter[str | None]:
    return Counter(row.claimed_by for row in rows(engine) if row.status == SENDING)


def leases(engine: Engine, worker: str) -> list[datetime]:
    return [
        row.lease_until
        for row in rows(engine)
        if row.status == SENDING and row.claimed_by == worker and row.lease_until is not None
    ]


def renewed_past(engine: Engine, worker: str, count: int, horizon: datetime) -> bool:
    """Whether `worker` holds `count` rows, each leased at least until `horizon`."""
    found = leases(engine, worker)
    return len(found) == count and min(found) >= horizon


def received(server: BotApiServer) -> Counter[int]:
    return Counter(message.chat_id for message in server.outbox())


# -- a dead dispatcher's rows are taken over --------------------------------------------


def test_an_abandoned_dispatchers_rows_are_taken_over_after_its_lease(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = list(range(21001, 21011))
    enqueue(engine, add_case(engine, chats))
    clock = FakeClock()

    async def first_life() -> None:
        async with hanging_bot(botapi) as bot:
            dead = make_dispatcher(engine, bot, clock=clock, worker_id="a", heartbeat_interval=0.02)
            await dead.start()
            await wait_until(lambda: bot.waiting == len(chats))
            # It dies here: no stop(), no flush, no more heartbeats; its rows stay claimed.

    asyncio.run(first_life())
    assert claimed_by(engine) == {"a": 10}
    assert botapi.outbox() == []

    async def second(dispatcher: Dispatcher) -> None:
        await dispatcher.heartbeat()
        clock.advance(CLAIM_LEASE.total_seconds() - 5)  # still within the lease: left alone
        await dispatcher.heartbeat()
        assert claimed_by(engine) == {"a": 10}
        assert dispatcher.stats.taken_over == 0
        clock.advance(6)  # past the lease: the worker is gone
        await dispatcher.heartbeat()
        await dispatcher.drain(15)

    async def main() -> Dispatcher:
        async with make_bot(botapi) as bot:
            dispatcher = make_dispatcher(engine, bot, clock=clock, worker_id="b")
            await dispatcher.start()
            try:
                await second(dispatcher)
            finally:
                await dispatcher.stop()
            return dispatcher

    survivor = asyncio.run(main())
    assert survivor.stats.taken_over == 10
    assert received(botapi) == Counter(chats)  # every alert, once
    assert all(row.status == SENT and row.lease_until is None for row in rows(engine))


def test_a_living_dispatchers_rows_are_never_taken_over(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = list(range(22001, 22011))
    enqueue(engine, add_case(engine, chats))
    clock = FakeClock()

    async def main() -> tuple[Dispatcher, Dispatcher]:
        async with hanging_bot(botapi) as slow_bot, make_bot(botapi) as bot:
            # The living one renews by itself, every 20 ms of real time.
            alive = make_dispatcher(
                engine, slow_bot, clock=clock, worker_id="alive", heartbeat_interval=0.02
            )
            other = make_dispatcher(engine, bot, clock=clock, worker_id="other")
            await alive.start()
            await wait_until(lambda: slow_bot.waiting == len(chats))
            await other.start()
            try:
                for _ in range(6):  # 6 × 30 s: four times the lease
                    clock.advance(30)
                    horizon = clock.now + CLAIM_LEASE - timedelta(seconds=1)
                    await wait_until(partial(renewed_past, engine, "alive", 10, horizon))
                    await other.heartbeat()
                    assert claimed_by(engine) == {"alive": 10}
                assert botapi.outbox() == []
                slow_bot.release()  # Telegram answers at last
                await alive.drain(15)
                await other.drain(15)
            finally:
                await alive.stop()
                await other.stop()
            return alive, other

    alive, other = asyncio.run(main())
    assert other.stats.taken_over == 0 and other.stats.sent == 0
    assert alive.stats.sent == 10
    assert received(botapi) == Counter(chats)
    assert all(row.status == SENT for row in rows(engine))


def sigkill_a_worker_after_its_first_sends(
    tmp_path: Path, engine: Engine, settings: Settings, server: BotApiServer
) -> int:
    """Run `casebot worker --id a` until 8 messages went out, SIGKILL it; return its rows.

    It must die holding rows (more than none), or the test would prove nothing.
    """
    env = clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_URL=server.url,
        DATABASE_URL=settings.database_url,
        CASEBOT_RATE="10",
    )
    process = subprocess.Popen(
        [*casebot_command(), "worker", "--id", "a"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        async def until_sent() -> None:
            await wait_until(lambda: len(server.outbox()) >= 8, within=60)

        asyncio.run(until_sent())
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    orphans = claimed_by(engine)["worker:a"]
    assert orphans > 0  # it died holding rows
    return orphans


def take_over_after_the_lease(engine: Engine, server: BotApiServer, orphans: int) -> Dispatcher:
    """Worker b sends what nobody held, leaves the dead one's rows until its lease ends,
    then takes them over and sends them."""
    clock = FakeClock()

    async def survivor() -> Dispatcher:
        async with make_bot(server) as bot:
            dispatcher = make_dispatcher(
                engine,
                bot,
                renderer=AlertRenderer(zone="Asia/Almaty"),
                clock=clock,
                worker_id="b",
            )
            await dispatcher.start()
            try:
                await dispatcher.drain(30)  # the rows nobody held
                assert claimed_by(engine)["worker:a"] == orphans  # its lease still runs
                clock.advance(CLAIM_LEASE.total_seconds() + 1)
                await dispatcher.heartbeat()
                await dispatcher.drain(30)
            finally:
                await dispatcher.stop()
            return dispatcher

    return asyncio.run(survivor())


@pytest.mark.slow
def test_a_sigkilled_worker_is_taken_over_by_another_process(
    tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    followers = 40
    seed(engine, followers)
    chats = list(range(FIRST_CHAT, FIRST_CHAT + followers))
    with BotApiServer(messages_per_second=None) as server:
        orphans = sigkill_a_worker_after_its_first_sends(tmp_path, engine, settings, server)
        dispatcher = take_over_after_the_lease(engine, server, orphans)
        got = received(server)
    assert dispatcher.stats.taken_over == orphans
    assert set(got) == set(chats), "lost alerts"
    duplicates = sum(count - 1 for count in got.values())
    assert duplicates <= orphans  # only sends the dead worker had not recorded
    assert all(row.status == SENT for row in rows(engine))


# -- the outbox functions ---------------------------------------------------------------


def test_a_stale_retry_does_not_undo_another_workers_claim(engine: Engine) -> None:
    enqueue(engine, add_case(engine, [24001]))
    start = utcnow()
    with session_scope(engine) as session:
        [first] = claim_due(session, now=start, limit=10, worker="a")
    later = start + CLAIM_LEASE + timedelta(seconds=1)
    with session_scope(engine) as session:
        assert take_over_expired(session, now=later) == 1
        [again] = claim_due(session, now=later, limit=10, worker="b")
    assert again.id == first.id
    with session_scope(engine) as session:  # "a" comes back and hands its row back
        record_results(session, [DeliveryResult(id=first.id, status=PENDING, at=later)], worker="a")
    [row] = rows(engine)
    assert (row.status, row.claimed_by) == (SENDING, "b")


def test_the_planners_safety_net_waits_longer_than_the_lease(engine: Engine) -> None:
    enqueue(engine, add_case(engine, [24101, 24102]))
    start = utcnow()
    with session_scope(engine) as session:
        claim_due(session, now=start, limit=10, worker="a")
        session.execute(  # as a version before leases claimed it
            text("UPDATE deliveries SET lease_until = NULL WHERE chat_id = 24102")
        )
    with session_scope(engine) as session:
        soon = start + CLAIM_LEASE + timedelta(minutes=1)
        assert reclaim_stale(session, now=soon, older_than=timedelta(minutes=10)) == 0
        late = start + CLAIM_LEASE + timedelta(minutes=11)
        assert reclaim_stale(session, now=late, older_than=timedelta(minutes=10)) == 2
    assert {row.status for row in rows(engine)} == {PENDING}


def test_a_lapsed_lease_is_not_held() -> None:
    clock = FakeClock()
    lease = ClaimLease(engine=None, worker_id="a", clock=clock)  # type: ignore[arg-type]
    lease.claimed([1, 2], clock.now + CLAIM_LEASE)
    assert lease.holds(1) and lease.holds(2) and not lease.holds(3)
    clock.advance(CLAIM_LEASE.total_seconds() - 10)
    assert lease.holds(1)
    clock.advance(6)  # within the margin before its end: another worker may be about to take it
    assert not lease.holds(1)
    lease.released(2)
    assert lease.count == 1


# -- migration 0005 ----------------------------------------------------------------------


def _check_migration(engine: Engine) -> None:
    enqueue(engine, add_case(engine, [25001, 25002]))  # written with today's models
    downgrade(engine, "0004")  # the rows stay; later columns go
    assert "lease_until" not in {c["name"] for c in inspect(engine).get_columns("deliveries")}
    claimed_at = utcnow() - timedelta(seconds=5)
    deliveries = table(
        "deliveries",
        column("chat_id"),
        column("status"),
        column("claimed_by"),
        column("updated_at", UTCDateTime()),
    )
    with session_scope(engine) as session:  # claimed by a version before leases
        session.execute(
            deliveries.update()
            .where(deliveries.c.chat_id == 25001)
            .values(status=SENDING, claimed_by="old", updated_at=claimed_at)
        )
    upgrade(engine)
    with Session(engine) as session:
        by_chat = {row.chat_id: row for row in session.exec(select(Delivery)).all()}
    old = by_chat[25001]
    assert old.status == SENDING and old.lease_until is not None
    assert abs((old.lease_until - claimed_at).total_seconds()) < 1  # ended when claimed
    assert by_chat[25002].lease_until is None
    with session_scope(engine) as session:
        assert take_over_expired(session, now=utcnow()) == 1  # the next worker takes it
    with Session(engine) as session:
        statuses = session.exec(select(Delivery.status).order_by(col(Delivery.chat_id))).all()
    assert statuses == [PENDING, PENDING]
    downgrade(engine, "0004")
    upgrade(engine)


def test_migration_0005_leases_rows_already_sending_on_sqlite(engine: Engine) -> None:
    _check_migration(engine)


@pytest.mark.postgres
def test_migration_0005_leases_rows_already_sending_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        _check_migration(engine)
    finally:
        engine.dispose()
