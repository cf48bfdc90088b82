"""A slow Telegram must not turn into duplicates: sends wait long enough for a slow
answer, and when time-outs cluster the dispatcher holds every new send, lets those
under way finish, and resumes gradually instead of resending each one at once.

botsim answers late while a "slow window" is open (the message is recorded at once,
the answer comes `delay` seconds later, as a Telegram that is slow to answer does).
The delays are scaled down: seconds, against a 1 s read time-out where the brake must
act. The assertions count messages, never durations (except that a retry comes after
its backoff, a lower bound that a slow machine only makes easier to meet).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine

from botsim.objects import SentMessage
from botsim.server import BotApiServer
from jobs.sendpolicy import SendBrake, SendTimeouts, Ticket
from storage.outbox import SENT
from tests.e2e.dispatcher_support import add_case, enqueue, rows, run_dispatcher


class SlowWindow:
    """Delays botsim's answers by `delay` s for `length` s, from the `after`-th message on."""

    def __init__(self, server: BotApiServer, *, after: int, delay: float, length: float) -> None:
        self.after, self.delay, self.length = after, delay, length
        self.opened_at: float | None = None
        self.delayed = 0
        self._seen = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        server.on_send(self._on_send)

    def is_open(self, at: float) -> bool:
        return self.opened_at is not None and self.opened_at <= at < self.opened_at + self.length

    def _on_send(self, message: SentMessage) -> None:
        with self._lock:
            self._seen += 1
            now = time.monotonic()
            if self.opened_at is None and self._seen > self.after:
                self.opened_at = now
            slow = self.is_open(now)
            if slow:
                self.delayed += 1
        if slow:  # runs in the request's own server thread: only this answer waits
            self._closed.wait(self.delay)

    def close(self) -> None:
        self._closed.set()


def duplicates(server: BotApiServer) -> int:
    """Messages received more than once for the same delivery (one alert per chat here)."""
    counts = Counter(message.chat_id for message in server.outbox())
    return sum(count - 1 for count in counts.values())


def assert_nothing_lost(engine: Engine, server: BotApiServer, chats: list[int]) -> None:
    assert set(Counter(m.chat_id for m in server.outbox())) == set(chats), "lost alerts"
    assert all(row.status == SENT for row in rows(engine))


def test_slow_answers_within_the_read_timeout_cause_no_duplicate(
    engine: Engine, botapi: BotApiServer
) -> None:
    # Answers take 6 s for a while: longer than python-telegram-bot's default read
    # time-out (5 s), which made every one of them a time-out and a resend.
    chats = list(range(31001, 31061))
    enqueue(engine, add_case(engine, chats))
    window = SlowWindow(botapi, after=10, delay=6.0, length=1.5)
    try:
        dispatcher = run_dispatcher(engine, botapi, during=None)
    finally:
        window.close()

    assert window.delayed > 10  # the slow window was hit
    assert_nothing_lost(engine, botapi, chats)
    assert duplicates(botapi) == 0
    assert dispatcher.stats.timed_out == 0


def test_clustered_timeouts_hold_the_dispatcher_instead_of_resending(
    engine: Engine, botapi: BotApiServer
) -> None:
    chats = list(range(32001, 32121))
    enqueue(engine, add_case(engine, chats))
    read_timeout, rate = 1.0, 30
    window = SlowWindow(botapi, after=20, delay=3.0, length=3.0)

    async def during(dispatcher: Any) -> None:
        await dispatcher.drain(60)

    try:
        dispatcher = run_dispatcher(
            engine,
            botapi,
            during,
            timeouts=SendTimeouts(connect=1.0, read=read_timeout, write=1.0),
            backoff=lambda level: 1.0 * level,
        )
    finally:
        window.close()

    assert_nothing_lost(engine, botapi, chats)
    stats = dispatcher.stats
    assert stats.holds >= 1 and stats.timed_out >= 3
    # Only the sends already started when the first time-outs came back are exposed
    # (about rate × read time-out: 30-33 measured), plus a probe or two while the window
    # stays open. Without the brake every send of the 3 s window timed out and came
    # again: 87 duplicates measured.
    assert duplicates(botapi) <= rate * read_timeout + 12, duplicates(botapi)
    assert duplicates(botapi) == stats.timed_out  # every time-out had reached botsim
    # A timed-out send is tried again only after its time-out and a backoff (≥ 1 s).
    sends: dict[int, list[tuple[float, int]]] = {}
    for call in botapi.calls("sendMessage"):
        sends.setdefault(call.params["chat_id"], []).append((call.timestamp, call.status))
    for calls in sends.values():
        for (first, status), (second, _) in pairwise(calls):
            if status == 200:  # it reached botsim: the client timed out (not a rare 429)
                assert second - first >= read_timeout + 0.9


# -- the brake alone, on a fake clock ---------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_brake_engages_on_a_cluster_and_resumes_one_send_at_a_time() -> None:
    clock = Clock()
    brake = SendBrake(limit=8, backoff=lambda level: 2.0**level, cluster=3, clock=clock)
    ticket = Ticket(0)
    assert not brake.note_failure(ticket, 1, timed_out=True)
    assert not brake.note_failure(ticket, 2, timed_out=True)
    assert brake.note_failure(ticket, 3, timed_out=True)  # the third within 30 s
    assert brake.held and brake.hold_remaining() == 2.0 and brake.level == 1
    # Sends started before the hold time out too: already accounted for.
    assert not brake.note_failure(ticket, 4, timed_out=True)
    clock.now += 2.0
    assert not brake.held and brake.allowed == 1  # one probe
    probe = Ticket(1)
    assert brake.note_failure(probe, 5, timed_out=True)  # the probe timed out: hold longer
    assert brake.hold_remaining() == 4.0 and brake.level == 2
    clock.now += 4.0
    probe = Ticket(2)
    ends = [brake.note_success(probe) for _ in range(7)]
    assert ends == [False] * 6 + [True]  # one more send at a time, up to the limit
    assert brake.allowed == 8 and brake.level == 0 and not brake.slowed


def test_scattered_timeouts_do_not_engage_the_brake() -> None:
    clock = Clock()
    brake = SendBrake(limit=8, cluster=3, window=30.0, clock=clock)
    for chat in range(10):
        assert not brake.note_failure(Ticket(0), chat, timed_out=True)
        brake.note_success(Ticket(0))
        clock.now += 20.0  # one time-out every 20 s: never three within 30 s
    assert brake.engaged == 0


def test_an_outage_engages_the_brake_after_several_chats_fail() -> None:
    brake = SendBrake(limit=8, outage=3, clock=Clock())
    assert not brake.note_failure(Ticket(0), 1, timed_out=False)
    assert not brake.note_failure(Ticket(0), 1, timed_out=False)  # the same chat again
    assert not brake.note_failure(Ticket(0), 2, timed_out=False)
    assert brake.note_failure(Ticket(0), 3, timed_out=False)


@pytest.mark.parametrize("read", [0.5, 35.0])
def test_timeouts_become_send_message_arguments(read: float) -> None:
    assert SendTimeouts(read=read).as_kwargs() == {
        "connect_timeout": 5.0,
        "read_timeout": read,
        "write_timeout": 10.0,
    }
