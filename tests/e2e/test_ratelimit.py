"""Tests for jobs.ratelimit: the global SendGate, per-chat pacing, and the PTB rate limiter.

Pacing arithmetic is checked with an injected clock (no sleeping, no timing); the
limiter runs a real ``ExtBot`` against the local Bot API server, and its behaviour is
asserted by counting calls and by the order in which the server received them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from botsim.server import BotApiServer
from jobs.deferred import ReplyDeferred
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import (
    TICK,
    ChatPacer,
    SendGate,
    chat_key,
    is_send_endpoint,
    retry_after_seconds,
)

T = TypeVar("T")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- SendGate: the arithmetic, with a fake clock ------------------------------------------


def test_gate_spacing_uses_a_two_percent_margin() -> None:
    gate = SendGate(30)
    assert gate.interval == pytest.approx(1 / (30 * 0.98))
    assert gate.window_cap == 29  # floor(30 × 0.98): one slot of room for jitter
    gate.rate = 1000
    assert gate.interval == pytest.approx(1 / 980)
    assert gate.window_cap == 980
    assert SendGate(30, window_margin=0.9).window_cap == 27
    with pytest.raises(ValueError):
        gate.rate = 0


def test_idle_gate_lets_one_caller_through_at_once_then_spaces_them() -> None:
    clock = FakeClock()
    gate = SendGate(30, clock=clock)
    assert gate.try_acquire() is True  # burst of one
    assert gate.try_acquire() is False
    clock.advance(gate.interval * 0.9)
    assert gate.try_acquire() is False
    clock.advance(gate.interval * 0.1)
    assert gate.try_acquire() is True


def test_gate_releases_no_burst_after_being_idle() -> None:
    clock = FakeClock()
    gate = SendGate(30, clock=clock)
    assert gate.try_acquire()
    clock.advance(3600)  # idle for an hour: no credit is saved up
    assert gate.try_acquire() is True
    assert gate.try_acquire() is False


def test_late_pump_makes_up_at_most_one_missed_slot() -> None:
    clock = FakeClock()
    gate = SendGate(30, clock=clock)
    assert gate._grant(clock(), catch_up=True)
    clock.advance(gate.interval * 10)  # the event loop was busy for ten slots
    granted = 0
    while gate._grant(clock(), catch_up=True) is not None:
        granted += 1
    assert granted == 2  # the slot due now plus one missed slot, not ten


def test_above_a_hundred_per_second_a_late_pump_lets_one_ticks_slots_through() -> None:
    clock = FakeClock()
    gate = SendGate(1000, clock=clock)
    assert gate._grant(clock(), catch_up=True)
    clock.advance(TICK)  # the pump slept one tick
    granted = 0
    while gate._grant(clock(), catch_up=True) is not None:
        granted += 1
    assert granted == int(TICK / gate.interval) + 1  # the ten slots of the tick, in one turn
    clock.advance(1.0)  # a stall of a second: still no more than one tick's slots
    granted = 0
    while gate._grant(clock(), catch_up=True) is not None:
        granted += 1
    assert granted == int(TICK / gate.interval) + 1


def test_ticks_are_off_at_the_free_rate() -> None:
    clock = FakeClock()
    gate = SendGate(30, clock=clock)
    assert gate.try_acquire()
    clock.advance(TICK)
    assert gate._grant(clock(), catch_up=True) is None  # a slot is 34 ms: nothing is due
    clock.advance(gate.interval * 10)  # a stall: the one missed slot, as before ticks
    granted = 0
    while gate._grant(clock(), catch_up=True) is not None:
        granted += 1
    assert granted == 2


@pytest.mark.parametrize("rate", [30, 1000])
def test_no_sliding_second_ever_sees_more_than_the_rate(rate: int) -> None:
    clock = FakeClock()
    gate = SendGate(rate, clock=clock)
    step = gate.interval / 7
    times: list[float] = []
    for tick in range(int(3 / step)):
        # Every tick a stalled pump tries as hard as it can (catch-up included).
        if tick % 5 == 0:
            clock.advance(step * 3)  # irregular wake-ups
        clock.advance(step)
        while gate._grant(clock(), catch_up=True) is not None:
            times.append(clock())
    worst = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
    assert worst <= gate.window_cap < rate
    assert len(times) >= 2.5 * rate * 0.9  # and it still runs close to the rate


def test_a_late_caller_holds_its_place_in_the_window() -> None:
    clock = FakeClock()
    gate = SendGate(3, clock=clock)  # two sends in any second (3 × 0.98 → 2)
    first = gate._grant(clock(), catch_up=True)
    clock.advance(gate.interval)
    assert gate._grant(clock(), catch_up=True) is not None
    assert gate._free_at() == pytest.approx(1000.0 + 1.0, abs=0.01)
    assert first is not None
    first[0] = 1000.0 + 0.3  # its caller only resumed (and sent) 0.3 s after the grant
    assert gate._free_at() == pytest.approx(1000.0 + 0.3 + 1.0, abs=0.01)


def test_high_priority_is_served_before_queued_low_priority() -> None:
    order: list[str] = []

    async def main() -> None:
        gate = SendGate(50)

        async def take(name: str, high: bool) -> None:
            await gate.acquire(high=high)
            order.append(name)

        tasks = [asyncio.create_task(take(f"low{i}", False)) for i in range(4)]
        tasks.append(asyncio.create_task(take("high", True)))
        await asyncio.gather(*tasks)
        assert gate.granted_high == 1
        assert gate.granted_low == 4

    asyncio.run(main())
    # low0 found the gate idle; every other low was queued when high arrived.
    assert order == ["low0", "high", "low1", "low2", "low3"]


def test_cancelled_waiter_leaves_the_queue() -> None:
    async def main() -> None:
        gate = SendGate(20)
        await gate.acquire(high=False)
        waiter = asyncio.create_task(gate.acquire(high=False))
        await asyncio.sleep(0)
        assert gate.waiting == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert gate.waiting == 0
        await gate.acquire(high=True)  # the gate still works
        assert gate.granted_low == 1
        assert gate.granted_high == 1

    asyncio.run(main())


# -- ChatPacer, with a fake clock ----------------------------------------------------------


def test_private_chats_one_message_a_second() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    assert pacer.is_ready(42)
    pacer.note_sent(42, is_group=False)
    assert pacer.ready_at(42) == clock() + 1.0
    assert not pacer.is_ready(42)
    assert pacer.is_ready(43)  # other chats are not affected
    clock.advance(1.0)
    assert pacer.is_ready(42)


def test_groups_twenty_a_minute() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    sends = 0
    for _ in range(600):  # one minute in 0.1 s steps, sending whenever allowed
        if pacer.is_ready(-100):
            pacer.note_sent(-100, is_group=True)
            sends += 1
        clock.advance(0.1)
    assert sends == 20
    assert pacer.interval_for(True) == 3.0


def test_reserve_gives_concurrent_callers_successive_slots() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    first = pacer.reserve(-5, True)
    second = pacer.reserve(-5, True)
    third = pacer.reserve(-5, True)
    assert first == clock()
    assert second == first + 3.0
    assert third == second + 3.0


def test_pause_holds_only_that_chat() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    pacer.pause(7, 30)
    assert pacer.paused_chats() == {7}
    assert pacer.ready_at(7) == clock() + 30
    assert pacer.is_ready(8)
    pacer.pause(7, 5)  # a shorter pause does not shorten the longer one
    assert pacer.paused_until(7) == clock() + 30
    clock.advance(30)
    assert pacer.paused_chats() == set()
    assert pacer.is_ready(7)


def test_pacer_forgets_chats_that_no_longer_constrain() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock)
    for chat in range(5000):
        pacer.note_sent(chat, is_group=False)
        clock.advance(0.01)
    assert len(pacer) < 2100  # only about the last second of chats is kept


def test_helpers() -> None:
    assert is_send_endpoint("sendMessage")
    assert is_send_endpoint("sendDocument")
    assert is_send_endpoint("editMessageText")
    assert is_send_endpoint("copyMessage")
    for endpoint in ("getUpdates", "answerCallbackQuery", "getMe", "setMyCommands"):
        assert not is_send_endpoint(endpoint)
    assert not is_send_endpoint("sendChatAction")
    assert chat_key("-100123") == -100123
    assert chat_key("@channel") == "@channel"
    assert chat_key(None) is None
    assert retry_after_seconds(RetryAfter(7)) == 7.0


async def sleep_until(
    value: Callable[[], float], at_least: Callable[[], float], step: float
) -> None:
    """Poll until value() >= at_least() (at most 10 s)."""
    for _ in range(int(10 / step)):
        if value() >= at_least():
            return
        await asyncio.sleep(step)
    raise TimeoutError("condition not met")


# -- PriorityRateLimiter on a real ExtBot against the local server ------------------------


def run_with_bot(
    server: BotApiServer,
    limiter: PriorityRateLimiter,
    action: Callable[[ExtBot[Any]], Awaitable[T]],
) -> T:
    async def main() -> T:
        bot: ExtBot[Any] = ExtBot(
            server.token,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            rate_limiter=limiter,
            request=HTTPXRequest(connection_pool_size=16),
        )
        async with bot:
            return await action(bot)

    return asyncio.run(main())


def test_limiter_gates_sends_by_priority_and_passes_other_calls(botapi: BotApiServer) -> None:
    gate = SendGate(30)
    limiter = PriorityRateLimiter(gate)

    async def action(bot: ExtBot[Any]) -> None:
        await bot.send_message(1, "reply")
        await bot.send_message(2, "alert", rate_limit_args={"broadcast": True})
        message = await bot.send_message(3, "card")
        await bot.edit_message_text("card, edited", chat_id=3, message_id=message.message_id)
        await bot.get_me()
        await bot.set_my_commands([("case", "a case")])

    run_with_bot(botapi, limiter, action)
    assert gate.granted_high == 3  # two sends and one edit
    assert gate.granted_low == 1  # the broadcast
    assert limiter.stats.interactive == 3
    assert limiter.stats.broadcast == 1
    assert limiter.stats.passed_through >= 2  # getMe (twice: initialize) and setMyCommands
    assert [m.text for m in botapi.outbox(2)] == ["alert"]


def test_interactive_429_waits_for_its_chat_only_and_retries(botapi: BotApiServer) -> None:
    limiter = PriorityRateLimiter(SendGate(30), max_retries=2)
    botapi.fail_next(10, 429, retry_after=1)

    async def action(bot: ExtBot[Any]) -> None:
        paused = asyncio.create_task(bot.send_message(10, "to the paused chat"))
        await sleep_until(lambda: len(limiter.pacer.paused_chats()), lambda: 0.5, 0.01)
        assert limiter.pacer.paused_chats() == {10}
        await bot.send_message(11, "to another chat")  # not held back by chat 10's pause
        await paused

    run_with_bot(botapi, limiter, action)
    calls = [(c.params["chat_id"], c.status) for c in botapi.calls("sendMessage")]
    assert calls == [(10, 429), (11, 200), (10, 200)]
    assert limiter.stats.rate_limited == 1
    assert limiter.stats.retried == 1


def test_interactive_429_beyond_max_retries_is_deferred_then_sent(botapi: BotApiServer) -> None:
    limiter = PriorityRateLimiter(SendGate(30), max_retries=1)
    botapi.fail_next(12, 429, times=2, retry_after=1)

    async def action(bot: ExtBot[Any]) -> None:
        with pytest.raises(ReplyDeferred):
            await bot.send_message(12, "later")  # the handler is released at once
        assert limiter.deferred.waiting == 1
        await sleep_until(lambda: limiter.deferred.sent, lambda: 1, 0.02)

    run_with_bot(botapi, limiter, action)
    assert [c.status for c in botapi.calls("sendMessage")] == [429, 429, 200]
    assert [m.text for m in botapi.outbox(12)] == ["later"]


def test_interactive_reply_to_a_long_paused_chat_is_deferred_at_once(
    botapi: BotApiServer,
) -> None:
    limiter = PriorityRateLimiter(SendGate(30))
    limiter.pacer.pause(15, 600)

    async def action(bot: ExtBot[Any]) -> None:
        with pytest.raises(ReplyDeferred):
            await bot.send_message(15, "after the pause")
        await bot.send_message(16, "another chat is not held back")

    run_with_bot(botapi, limiter, action)
    assert botapi.calls("sendMessage")[0].params["chat_id"] == 16
    assert limiter.deferred.lost == 1  # still waiting when the bot stopped: counted


def test_broadcast_429_is_raised_at_once_and_pauses_that_chat(botapi: BotApiServer) -> None:
    limiter = PriorityRateLimiter(SendGate(30), max_retries=2)
    botapi.fail_next(13, 429, retry_after=5)

    async def action(bot: ExtBot[Any]) -> None:
        with pytest.raises(RetryAfter):
            await bot.send_message(13, "alert", rate_limit_args={"broadcast": True})
        assert limiter.pacer.paused_chats() == {13}
        await bot.send_message(14, "alert", rate_limit_args={"broadcast": True})

    run_with_bot(botapi, limiter, action)
    assert [c.params["chat_id"] for c in botapi.calls("sendMessage")] == [13, 14]
    assert limiter.stats.rate_limited == 1
    assert limiter.stats.retried == 0


def test_interactive_group_replies_are_paced(botapi: BotApiServer) -> None:
    pacer = ChatPacer(group_interval=0.3)
    limiter = PriorityRateLimiter(SendGate(30), pacer=pacer)

    async def action(bot: ExtBot[Any]) -> None:
        await asyncio.gather(bot.send_message(-500, "one"), bot.send_message(-500, "two"))
        await bot.send_message(600, "private chats are not held by group pacing")

    run_with_bot(botapi, limiter, action)
    assert limiter.stats.group_waits == 1  # the second group reply waited for its slot
    assert len(botapi.outbox(-500)) == 2
    assert len(botapi.outbox(600)) == 1
