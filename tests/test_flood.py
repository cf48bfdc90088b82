"""Flood control: the token bucket with a fake clock, and the real bot slowing down one
user who sends 50 commands at once while answering everyone else."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botsim.server import BotApiServer
from handlers.flood import (
    BOT_DATA_KEY,
    BURST,
    REFILL_PER_SECOND,
    SLOW_DOWN,
    TokenBuckets,
    Verdict,
)
from tests.conftest import RunningBot

FLOODER = 1001
OTHER = 1002
MARKER = 1003
ADMIN = 900


class FakeClock:
    """Seconds that move only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def drain(buckets: TokenBuckets, key: int = 1) -> list[Verdict]:
    """Check `key` until its bucket is empty; return the verdicts (all ALLOW)."""
    verdicts = []
    while buckets.tokens(key) >= 1:
        verdicts.append(buckets.check(key))
    return verdicts


# -- the bucket ----------------------------------------------------------------------


def test_documented_numbers() -> None:
    assert (BURST, REFILL_PER_SECOND) == (10, 2.0)


def test_a_burst_passes_then_one_notice_then_silence() -> None:
    buckets = TokenBuckets(burst=10, rate=2, clock=FakeClock())
    verdicts = [buckets.check(1) for _ in range(50)]
    assert verdicts[:10] == [Verdict.ALLOW] * 10
    assert verdicts[10] is Verdict.NOTIFY
    assert verdicts[11:] == [Verdict.DROP] * 39


def test_the_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock)
    drain(buckets)
    clock.advance(0.25)  # half a token
    assert buckets.check(1) is Verdict.NOTIFY
    clock.advance(0.25)  # now one whole token
    assert buckets.check(1) is Verdict.ALLOW
    assert buckets.check(1) is Verdict.DROP  # the same episode: told once
    clock.advance(1.5)
    assert [buckets.check(1) for _ in range(4)] == [Verdict.ALLOW] * 3 + [Verdict.DROP]


def test_a_long_pause_refills_only_up_to_the_burst() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock)
    drain(buckets)
    clock.advance(3600)
    assert buckets.tokens(1) == 10
    assert len(drain(buckets)) == 10


def test_a_new_episode_starts_only_once_the_bucket_is_full_again() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock)
    assert [buckets.check(1) for _ in range(11)][-1] is Verdict.NOTIFY
    clock.advance(4.0)  # 8 tokens: slowed down, but not quiet for long enough
    drain(buckets)
    assert buckets.check(1) is Verdict.DROP
    clock.advance(5.0)  # full again: the episode is over
    drain(buckets)
    assert buckets.check(1) is Verdict.NOTIFY
    assert buckets.check(1) is Verdict.DROP


def test_users_have_separate_buckets() -> None:
    buckets = TokenBuckets(burst=3, rate=1, clock=FakeClock())
    assert [buckets.check(1) for _ in range(4)][-1] is Verdict.NOTIFY
    assert [buckets.check(2) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert buckets.tokens(3) == 3  # never seen


def test_a_clock_going_backwards_adds_nothing() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=2, rate=1, clock=clock)
    drain(buckets)
    clock.advance(-100)
    assert buckets.check(1) is Verdict.NOTIFY
    clock.advance(100.5)  # back where it was, plus half a token
    assert buckets.check(1) is Verdict.DROP
    clock.advance(0.5)
    assert buckets.check(1) is Verdict.ALLOW


def test_limits_can_change_at_run_time() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=2, rate=1, clock=clock)
    buckets.burst, buckets.rate = 5, 10
    assert len(drain(buckets, key=7)) == 5
    clock.advance(0.1)
    assert buckets.check(7) is Verdict.ALLOW
    fast = FakeClock(5000.0)
    buckets.clock = fast
    assert buckets.tokens(7) == 5


@pytest.mark.parametrize("kwargs", [{"burst": 0}, {"rate": 0}, {"rate": -1.0}])
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TokenBuckets(**kwargs)  # type: ignore[arg-type]


def test_idle_users_are_pruned_so_memory_stays_bounded() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock, prune_above=100)
    for user in range(100):
        buckets.check(user)
    assert len(buckets) == 100
    clock.advance(0.1)
    buckets.check(1000)  # over the threshold, but nobody is idle yet: nothing pruned
    assert len(buckets) == 101
    clock.advance(1.0)  # one token back: every bucket is full again
    for user in range(2000, 12_000):  # 10,000 users, each active once, 1 ms apart
        buckets.check(user)
        clock.advance(0.001)
    assert len(buckets) < 2 * 600  # about the users of the last 0.5 s, never all 10,101
    buckets.prune()
    assert len(buckets) <= 500


def test_pruning_keeps_users_that_are_being_throttled() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock, prune_above=1)
    assert [buckets.check(1) for _ in range(11)][-1] is Verdict.NOTIFY
    clock.advance(1.0)
    buckets.check(2)
    buckets.prune()
    drain(buckets, key=1)
    assert buckets.check(1) is Verdict.DROP  # still the same episode: not told again


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=200),
    burst=st.integers(1, 20),
    rate=st.floats(0.1, 10, allow_nan=False),
)
def test_no_window_lets_more_through_than_burst_plus_refill(
    gaps: list[float], burst: int, rate: float
) -> None:
    """Whatever the arrival times, any stretch of time lets at most burst + rate × its length
    through."""
    clock = FakeClock()
    buckets = TokenBuckets(burst=burst, rate=rate, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.advance(gap)
        if buckets.check(1) is Verdict.ALLOW:
            allowed.append(clock.now)
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= burst + rate * (allowed[j] - start) + 1e-6


# -- the bot -------------------------------------------------------------------------


def help_replies(server: BotApiServer, chat_id: int) -> list[str]:
    return [m.text for m in server.outbox(chat_id) if "/case" in m.text]


def notices(server: BotApiServer, chat_id: int) -> list[str]:
    return [m.text for m in server.outbox(chat_id) if m.text == SLOW_DOWN]


def everything_handled(bot: RunningBot) -> None:
    """Updates are handled in order: once a fresh user's /help is answered, all are done."""
    [reply] = bot.ask("/help", user_id=MARKER)
    assert "/case" in reply.text


def test_a_flooding_user_is_slowed_down_and_others_are_not(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    started = time.monotonic()
    for i in range(50):
        botapi.user_message("/help", user_id=FLOODER)
        if i == 25:
            botapi.user_message("/help", user_id=OTHER)
    [other] = botapi.wait_for_messages(OTHER, 1)
    everything_handled(running_bot)
    elapsed = time.monotonic() - started

    assert "/case" in other.text  # the other user got their answer, not a notice
    answered = len(help_replies(botapi, FLOODER))
    # The bucket refills while the 50 are being handled: at most one more per half second.
    assert BURST <= answered <= BURST + math.ceil(elapsed * REFILL_PER_SECOND) + 1
    assert answered <= 25  # far fewer than 50
    assert notices(botapi, FLOODER) == [SLOW_DOWN]
    assert len(botapi.outbox(FLOODER)) == answered + 1
    assert all(call.status < 400 for call in botapi.calls())


@pytest.mark.parametrize("flooder", [FLOODER, ADMIN])
def test_with_a_frozen_clock_exactly_the_burst_passes_then_the_refill(
    running_bot: RunningBot, botapi: BotApiServer, flooder: int
) -> None:
    clock = FakeClock()
    running_bot.app.bot_data[BOT_DATA_KEY].clock = clock
    for _ in range(50):
        botapi.user_message("/help", user_id=flooder)
    everything_handled(running_bot)
    assert len(help_replies(botapi, flooder)) == BURST
    assert len(notices(botapi, flooder)) == 1

    clock.advance(1.0)  # two tokens, same episode: two answers, no second notice
    for _ in range(5):
        botapi.user_message("/help", user_id=flooder)
    everything_handled(running_bot)
    assert len(help_replies(botapi, flooder)) == BURST + 2
    assert len(notices(botapi, flooder)) == 1

    clock.advance(60.0)  # quiet for a minute: a full bucket and, if needed, a new notice
    for _ in range(BURST + 3):
        botapi.user_message("/help", user_id=flooder)
    everything_handled(running_bot)
    assert len(help_replies(botapi, flooder)) == 2 * BURST + 2
    assert len(notices(botapi, flooder)) == 2


def test_buttons_count_and_the_notice_comes_once(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    [welcome] = running_bot.ask("/start")
    for _ in range(30):
        botapi.press_button(
            user_id=FLOODER, chat_id=FLOODER, message_id=welcome.message_id, data="help"
        )
    everything_handled(running_bot)
    after = [message.text for message in botapi.outbox(FLOODER)[1:]]
    assert len(after) == BURST  # /start took one token: 9 help texts and the notice
    assert after[-1] == SLOW_DOWN
    assert all("/case" in text for text in after[:-1])


def test_chatter_in_a_group_takes_no_token(running_bot: RunningBot, botapi: BotApiServer) -> None:
    """Messages no handler acts on (a group talking among themselves) are not counted."""
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    for i in range(40):
        botapi.user_message(f"hello {i}", user_id=FLOODER, chat_id=-500, chat_type="group")
        botapi.user_message("/help@another_bot", user_id=FLOODER, chat_id=-500, chat_type="group")
    [reply] = running_bot.ask("/help", user_id=FLOODER, chat_id=-500, chat_type="group")
    assert "/case" in reply.text
    everything_handled(running_bot)
    assert notices(botapi, -500) == []
    assert running_bot.app.bot_data[BOT_DATA_KEY].tokens(FLOODER) == BURST - 1
