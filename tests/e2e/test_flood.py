"""Flood control: the token bucket with a fake clock, and the real bot slowing down one
user who floods it, answering every command within the backlog, while everyone else is
answered at once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botsim.server import BotApiServer
from handlers.flood import (
    BACKLOG,
    BOT_DATA_KEY,
    BURST,
    REFILL_PER_SECOND,
    SKIPPED,
    SLOW_DOWN,
    TokenBuckets,
    Verdict,
)
from tests.conftest import RunningBot

FLOODER = 1001
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
        verdicts.append(buckets.check(key).verdict)
    return verdicts


# -- the bucket ----------------------------------------------------------------------


def test_documented_numbers() -> None:
    assert (BURST, REFILL_PER_SECOND, BACKLOG) == (10, 2.0, 40)


def test_a_burst_passes_then_the_rest_wait_their_turn_then_skips() -> None:
    buckets = TokenBuckets(burst=10, rate=2, backlog=5, clock=FakeClock())
    decisions = [buckets.check(1) for _ in range(20)]
    assert [d.verdict for d in decisions[:10]] == [Verdict.ALLOW] * 10
    slowed = decisions[10:15]
    assert [d.verdict for d in slowed] == [Verdict.DELAY] * 5
    assert [d.delay for d in slowed] == [0.5, 1.0, 1.5, 2.0, 2.5]  # one every half second
    assert [d.notify for d in slowed] == [True, False, False, False, False]
    skipped = decisions[15:]
    assert [d.verdict for d in skipped] == [Verdict.SKIP] * 5
    assert [d.notify for d in skipped] == [True, False, False, False, False]


def test_the_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=10, rate=2, clock=clock)
    drain(buckets)
    clock.advance(0.25)  # half a token: the next update waits the other half
    first = buckets.check(1)
    assert first.verdict is Verdict.DELAY and first.delay == pytest.approx(0.25)
    assert first.notify
    clock.advance(2.0)  # four tokens, one of them owed
    assert [buckets.check(1).verdict for _ in range(4)] == [Verdict.ALLOW] * 3 + [Verdict.DELAY]
    assert not buckets.check(1).notify  # the same episode: told once


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
    assert [buckets.check(1) for _ in range(11)][-1].notify
    clock.advance(4.5)  # 8 tokens (one was owed): slowed down, but not quiet long enough
    drain(buckets)
    assert not buckets.check(1).notify
    clock.advance(10.0)  # full again: the episode is over
    drain(buckets)
    assert buckets.check(1).notify
    assert not buckets.check(1).notify


def test_users_have_separate_buckets() -> None:
    buckets = TokenBuckets(burst=3, rate=1, clock=FakeClock())
    assert [buckets.check(1) for _ in range(4)][-1].verdict is Verdict.DELAY
    assert [buckets.check(2).verdict for _ in range(3)] == [Verdict.ALLOW] * 3
    assert buckets.tokens(3) == 3  # never seen


def test_a_clock_going_backwards_adds_nothing() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=2, rate=1, backlog=1, clock=clock)
    drain(buckets)
    clock.advance(-100)
    assert buckets.check(1).verdict is Verdict.DELAY  # owes one token
    clock.advance(100.5)  # back where it was, plus half a token: still in debt
    assert buckets.check(1).verdict is Verdict.SKIP
    clock.advance(1.5)
    assert buckets.check(1).verdict is Verdict.ALLOW


def test_limits_can_change_at_run_time() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=2, rate=1, clock=clock)
    buckets.burst, buckets.rate = 5, 10
    assert len(drain(buckets, key=7)) == 5
    clock.advance(0.1)
    assert buckets.check(7).verdict is Verdict.ALLOW
    fast = FakeClock(5000.0)
    buckets.clock = fast
    assert buckets.tokens(7) == 5


@pytest.mark.parametrize("kwargs", [{"burst": 0}, {"rate": 0}, {"rate": -1.0}, {"backlog": -1}])
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
    assert [buckets.check(1) for _ in range(11)][-1].notify
    clock.advance(1.0)
    buckets.check(2)
    buckets.prune()
    drain(buckets, key=1)
    assert not buckets.check(1).notify  # still the same episode: not told again


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=200),
    burst=st.integers(1, 20),
    rate=st.floats(0.1, 10, allow_nan=False),
)
def test_no_window_lets_more_through_than_burst_plus_refill(
    gaps: list[float], burst: int, rate: float
) -> None:
    """Whatever the arrival times, any stretch of time handles at most burst + rate × its
    length: each update counted at the moment it is handled (arrival + delay)."""
    clock = FakeClock()
    buckets = TokenBuckets(burst=burst, rate=rate, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.advance(gap)
        decision = buckets.check(1)
        if decision.verdict is not Verdict.SKIP:
            allowed.append(clock.now + decision.delay)
    allowed.sort()
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= burst + rate * (allowed[j] - start) + 1e-6


# -- the bot -------------------------------------------------------------------------


def help_replies(server: BotApiServer, chat_id: int) -> list[str]:
    return [m.text for m in server.outbox(chat_id) if "/case" in m.text]


def notices(server: BotApiServer, chat_id: int, notice: str = SLOW_DOWN) -> list[str]:
    return [m.text for m in server.outbox(chat_id) if m.text == notice]


def test_a_slowed_user_gets_every_answer_later(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    """Fifteen quick commands: ten answered at once, one notice, the other five later."""
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    for _ in range(15):
        botapi.user_message("/help", user_id=FLOODER)
    botapi.wait_for_messages(FLOODER, 16, timeout=30)
    assert len(help_replies(botapi, FLOODER)) == 15
    assert notices(botapi, FLOODER) == [SLOW_DOWN]
    assert all(call.status < 400 for call in botapi.calls())


def test_a_flood_from_one_user_delays_only_that_user(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    """2,000 commands from one user, then twenty other users: the others are answered
    while the flooder's slowed backlog is still going out; beyond the backlog, the
    flooder's commands are skipped, and they are told so once."""
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    for _ in range(2000):
        botapi.user_message("/help", user_id=FLOODER)
    others = range(3001, 3021)
    for user in others:
        botapi.user_message("/help", user_id=user)
    for user in others:
        botapi.wait_for_messages(user, 1, timeout=30)
    expected = BURST + BACKLOG
    botapi.wait_for_messages(FLOODER, expected + 2, timeout=60)
    order = [m.chat_id for m in botapi.outbox()]
    last_other = max(i for i, chat in enumerate(order) if chat in others)
    flooder_answers = [i for i, chat in enumerate(order) if chat == FLOODER]
    assert last_other < flooder_answers[-1]  # nobody waited for the flooder's backlog
    assert len(help_replies(botapi, FLOODER)) == expected  # the burst and the backlog
    assert notices(botapi, FLOODER) == [SLOW_DOWN]
    assert notices(botapi, FLOODER, SKIPPED) == [SKIPPED]


@pytest.mark.parametrize("flooder", [FLOODER, ADMIN])
def test_with_a_frozen_clock_the_burst_goes_at_once_and_the_rest_waits(
    running_bot: RunningBot, botapi: BotApiServer, flooder: int
) -> None:
    clock = FakeClock()
    buckets = running_bot.app.bot_data[BOT_DATA_KEY]
    buckets.clock = clock
    for _ in range(BURST + 3):
        botapi.user_message("/help", user_id=flooder)
    botapi.wait_for_messages(flooder, BURST + 4, timeout=30)
    assert len(help_replies(botapi, flooder)) == BURST + 3
    assert len(notices(botapi, flooder)) == 1
    assert buckets.tokens(flooder) == -3  # three tokens owed

    clock.advance(60.0)  # quiet for a minute: a full bucket and, if needed, a new notice
    for _ in range(BURST + 1):
        botapi.user_message("/help", user_id=flooder)
    botapi.wait_for_messages(flooder, 2 * BURST + 6, timeout=30)
    assert len(help_replies(botapi, flooder)) == 2 * BURST + 4
    assert len(notices(botapi, flooder)) == 2


def test_buttons_count_and_the_notice_comes_once(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    [welcome] = running_bot.ask("/start")
    for _ in range(20):
        botapi.press_button(
            user_id=FLOODER, chat_id=FLOODER, message_id=welcome.message_id, data="help"
        )
    botapi.wait_for_messages(FLOODER, 22, timeout=30)
    after = [message.text for message in botapi.outbox(FLOODER)[1:]]
    assert after.count(SLOW_DOWN) == 1  # /start took one token, then 9 at once, 11 later
    assert sum("/case" in text for text in after) == 20


def test_chatter_in_a_group_takes_no_token(running_bot: RunningBot, botapi: BotApiServer) -> None:
    """Messages no handler acts on (a group talking among themselves) are not counted."""
    running_bot.app.bot_data[BOT_DATA_KEY].clock = FakeClock()
    for i in range(40):
        botapi.user_message(f"hello {i}", user_id=FLOODER, chat_id=-500, chat_type="group")
        botapi.user_message("/help@another_bot", user_id=FLOODER, chat_id=-500, chat_type="group")
    [reply] = running_bot.ask("/help", user_id=FLOODER, chat_id=-500, chat_type="group")
    assert "/case" in reply.text
    assert notices(botapi, -500) == []
    assert running_bot.app.bot_data[BOT_DATA_KEY].tokens(FLOODER) == BURST - 1
