"""Pacing of everything the bot sends: one global gate with two priorities, per-chat pacing,
and the python-telegram-bot rate limiter that puts both in front of every send.

Telegram allows a bot about 30 messages a second overall (about 1000 with paid
broadcasts), about one a second to one chat and 20 a minute to one group. Three
pieces keep casebot under those limits without ever pausing the whole bot:

- :class:`SendGate` spaces all sends globally. Interactive replies (high priority)
  are always served before broadcast sends (low priority) waiting at the same time,
  so a ``/case`` lookup waits at most one slot while a broadcast runs.
- :class:`ChatPacer` remembers, per chat, when the next message may go: one a second
  to a private chat, one every three seconds to a group, supergroup or channel, and
  no message at all while the chat is paused by a 429 (only that chat is paused).
- :class:`jobs.limiter.PriorityRateLimiter` is the ``Application``'s rate limiter: every send-type
  call passes the gate; interactive calls also respect group pacing and short chat
  pauses, and hand longer waits to :mod:`jobs.deferred` (sent later, in order, by a
  task of their own), while broadcast
  calls (``rate_limit_args={"broadcast": True}``, made by the dispatcher) re-raise
  ``RetryAfter`` at once so the dispatcher reschedules that one chat.

PTB's own ``AIORateLimiter`` pauses *all* sending on a 429 and has no per-chat
limit for private chats, which is why this module exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
ChatKey = int | str

RATE_MARGIN = 0.98
"""Slots are spaced 1 / (rate × 0.98): 2 % below the limit."""

WINDOW_MARGIN = 0.98
"""At most floor(rate × 0.98) sends in any sliding second (29 at 30/s, 980 at 1000/s)."""

PRIVATE_INTERVAL = 1.0
"""Seconds between two messages to one private chat."""

GROUP_INTERVAL = 3.0
"""Seconds between two messages to one group, supergroup or channel (20 a minute)."""

_WINDOW = 1.0
_EPSILON = 0.001

TICK = 0.010
"""At rates above 100/s the gate's pump sleeps at least this long: it wakes every 10 ms
and lets the slots that fell due meanwhile through together (10 at 1,000/s), instead of
one event-loop turn per slot (measured: 0.09 ms less CPU per message at 1,000/s). At
100/s and below (the free 30/s) a slot is longer than a tick and ticks are off."""

# Methods that put or change a message in a chat and so count against the flood limits.
# sendChatAction does not create a message; get*/set*/answer* calls are not messages.
_SEND_PREFIXES = ("send", "editMessage")
_SEND_METHODS = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "stopPoll"}
)
_NOT_SENDS = frozenset({"sendChatAction"})


def is_send_endpoint(endpoint: str) -> bool:
    """Whether a Bot API method sends or edits a message (and so passes the gate)."""
    if endpoint in _NOT_SENDS:
        return False
    return endpoint in _SEND_METHODS or endpoint.startswith(_SEND_PREFIXES)


def retry_after_seconds(error: RetryAfter) -> float:
    """The pause a 429 asks for, in seconds (without PTB's int/timedelta deprecation warning)."""
    value: Any = getattr(error, "_retry_after", None)
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        public: Any = error.retry_after
    if isinstance(public, timedelta):
        return max(public.total_seconds(), 0.0)
    return max(float(public), 0.0)


async def sleep_until(deadline: Callable[[], float], clock: Callable[[], float]) -> None:
    """Sleep until ``clock()`` reaches ``deadline()`` (re-read after each sleep: it may move)."""
    while True:
        delay = deadline() - clock()
        if delay <= 0:
            return
        await asyncio.sleep(delay)


def chat_key(chat_id: object) -> ChatKey | None:
    """Normalize a ``chat_id`` from request data: ints (also given as text) or ``@names``."""
    if chat_id is None or isinstance(chat_id, bool):
        return None
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id
    return None


def is_group_chat(chat: ChatKey) -> bool:
    """Groups, supergroups and channels have negative ids (or ``@names``); users positive."""
    return isinstance(chat, str) or chat < 0


class SendGate:
    """A global pacing gate for outgoing messages, with two priorities.

    Slots are scheduled on absolute time: ``next_slot = max(now, next_slot) + interval``
    with ``interval = 1 / (rate × 0.98)`` (:data:`RATE_MARGIN`, 2 % below the limit).
    Spacing alone does not keep a server that counts sends in a strict sliding
    one-second window below ``rate``, because requests reach it with some jitter
    (event-loop stalls, GIL hand-offs, the network). So a sliding-window guard also lets
    at most ``floor(rate × window_margin)`` callers through in any one second
    (:data:`WINDOW_MARGIN` 0.98: 29 at 30/s, 980 at 1000/s), leaving one slot at 30/s
    (34 ms) and 20 at 1000/s (20 ms) for jitter. The window counts a send from the
    moment its caller actually resumes, not from when its slot was granted: when a busy
    event loop delays a released caller, its place in the window moves with it.
    Measured with 10,000 sends at 30/s against botsim on a loaded 2-core machine: 19
    429s when counting at grant time, 5 when counting at resume time (send-to-arrival
    delay: median 1.6 ms, p99.9 18 ms); ``window_margin=0.95`` did not lower that
    further (7): the rest come from stalls of 100 ms or more on the server's side. A
    429 pauses only its chat and the message is still delivered once; lower
    ``window_margin`` if a deployment sees them often.

    :func:`free_gate` is the gate for Telegram's free 30/s: every slot of the window is
    used (``window_margin=1``) but each window is ``FREE_GUARD`` longer than a second,
    which keeps it at about 29.6/s with 15 ms for the jitter between this process and
    the server's clock (``rate_margin`` 0.99 spaces the slots 1 % below the rate).

    The burst is 1: an idle gate lets the next caller through at once, and the one
    after that waits a full interval. When the event loop was busy and slots were
    missed, at most one missed slot is made up (catch-up is capped at one), or the
    slots of one ``tick`` above 100/s: the gate never releases a burst after a stall.
    Above 100/s the pump sleeps at least a ``tick`` (:data:`TICK`), so at 1,000/s it
    wakes every 10 ms and lets the ten slots that fell due through in one turn of the
    event loop (the sliding-window cap still holds).

    Callers waiting with ``high=True`` (interactive replies) are always served before
    callers waiting with ``high=False`` (broadcast sends), whatever their arrival
    order. ``rate`` may be changed at any time. The gate belongs to one event loop at
    a time; ``clock`` (monotonic seconds) is injectable for tests.
    """

    def __init__(
        self,
        rate: float = 30.0,
        *,
        window_margin: float = WINDOW_MARGIN,
        rate_margin: float = RATE_MARGIN,
        guard: float = _EPSILON,
        tick: float = TICK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < window_margin <= 1 or not 0 < rate_margin <= 1 or guard < 0 or tick < 0:
            raise ValueError("margins must be in (0, 1], guard and tick >= 0")
        self._clock = clock
        self._max_tick = tick
        self._tick = 0.0
        self._interval = 0.0
        self._window_cap = 1
        self._window_margin = window_margin
        self._rate_margin = rate_margin
        self._guard = guard
        self.rate = rate
        self._next_slot = -math.inf
        # One [time] cell per recent send: granted at, then moved to when the caller resumed.
        self._released: deque[list[float]] = deque()
        self._high: deque[asyncio.Future[list[float]]] = deque()
        self._low: deque[asyncio.Future[list[float]]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self.granted_high = 0
        """How many high-priority callers went through (for tests and benchmarks)."""
        self.granted_low = 0
        """How many low-priority callers went through."""

    @property
    def rate(self) -> float:
        """Messages per second the gate is sized for (it stays 2-5 % below it)."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if not value > 0:
            raise ValueError("rate must be positive")
        self._rate = float(value)
        self._interval = 1.0 / (self._rate * self._rate_margin)
        self._tick = self._max_tick if self._interval < self._max_tick else 0.0
        self._window_cap = max(1, math.floor(self._rate * self._window_margin))

    @property
    def window_cap(self) -> int:
        """The most callers let through in any sliding second."""
        return self._window_cap

    @property
    def interval(self) -> float:
        """Seconds between two consecutive slots."""
        return self._interval

    @property
    def waiting(self) -> int:
        """How many callers are queued (both priorities)."""
        return sum(1 for queue in (self._high, self._low) for f in queue if not f.done())

    def _has_waiters(self) -> bool:
        for queue in (self._high, self._low):
            while queue and queue[0].done():
                queue.popleft()
        return bool(self._high or self._low)

    def _free_at(self) -> float:
        """The earliest instant the next caller may pass."""
        at = self._next_slot
        if len(self._released) >= self._window_cap:
            at = max(at, self._released[-self._window_cap][0] + _WINDOW + self._guard)
        return at

    def _grant(self, now: float, *, catch_up: bool) -> list[float] | None:
        """Let one caller through at ``now`` if a slot is free; update the schedule.

        Returns the caller's cell in the sliding window (None when no slot is free).
        """
        if self._free_at() > now:
            return None
        # An idle gate starts a fresh schedule at `now` (burst of 1); a late pump may make
        # up a single missed slot, or one tick's slots, never more.
        floor = now - max(self._interval, self._tick) if catch_up else now
        self._next_slot = max(self._next_slot, floor) + self._interval
        cell = [now]
        self._released.append(cell)
        while len(self._released) > self._window_cap:
            self._released.popleft()
        return cell

    def try_acquire(self, *, high: bool = False) -> bool:
        """Pass at once if nobody is waiting and a slot is free; never waits."""
        if self._has_waiters():
            return False
        if self._grant(self._clock(), catch_up=False) is None:
            return False
        self._count(high)
        return True

    def _count(self, high: bool) -> None:
        if high:
            self.granted_high += 1
        else:
            self.granted_low += 1

    async def acquire(self, *, high: bool) -> None:
        """Wait for a slot; ``high=True`` for interactive replies, False for broadcasts."""
        if self.try_acquire(high=high):
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[float]] = loop.create_future()
        queue = self._high if high else self._low
        queue.append(future)
        self._ensure_pump(loop)
        try:
            cell = await future
        except asyncio.CancelledError:
            if not future.done() or future.cancelled():
                with contextlib.suppress(ValueError):
                    queue.remove(future)
            raise
        # Count this send from now, when it really goes, if the loop made it late.
        cell[0] = max(cell[0], self._clock())
        self._count(high)

    def _ensure_pump(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pump is not None and not self._pump.done() and self._pump.get_loop() is loop:
            return
        self._pump = loop.create_task(self._run_pump(), name="send-gate")

    def _next_waiter(self) -> asyncio.Future[list[float]] | None:
        loop = asyncio.get_running_loop()
        for queue in (self._high, self._low):
            while queue:
                future = queue[0]
                if future.done() or future.get_loop() is not loop:
                    queue.popleft()
                    continue
                return future
        return None

    async def _run_pump(self) -> None:
        """Hand out slots to queued callers, high priority first, until none wait."""
        while True:
            waiter = self._next_waiter()
            if waiter is None:
                return
            now = self._clock()
            free_at = self._free_at()
            if free_at > now:
                # Pick again after the sleep: a high-priority caller may have arrived.
                await asyncio.sleep(max(free_at - now, self._tick))
                continue
            cell = self._grant(now, catch_up=True)
            if cell is not None:
                (self._high if self._high and self._high[0] is waiter else self._low).popleft()
                waiter.set_result(cell)


FREE_GUARD = 0.015
"""Seconds added to each sliding second of the free gate, for jitter."""


def free_gate(rate: float = 30.0) -> SendGate:
    """The gate of the sends without ``allow_paid_broadcast`` (replies, unpaid alerts)."""
    return SendGate(rate, window_margin=1.0, rate_margin=0.99, guard=FREE_GUARD)


class ChatPacer:
    """When each chat may receive its next message.

    Private chats get at most one message a second, groups, supergroups and channels
    one every three seconds (20 a minute); a chat paused by a 429 waits its
    ``retry_after`` and only that chat waits. Times are ``clock()`` seconds
    (monotonic by default, injectable for tests). Entries that no longer constrain
    anything are pruned, so memory stays proportional to recently active chats.
    """

    def __init__(
        self,
        *,
        private_interval: float = PRIVATE_INTERVAL,
        group_interval: float = GROUP_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._clock = clock
        self._ready: dict[ChatKey, float] = {}
        self._paused: dict[ChatKey, float] = {}
        self._prune_above = 1024

    def now(self) -> float:
        """The pacer's current time."""
        return self._clock()

    def ready_at(self, chat_id: ChatKey) -> float:
        """When ``chat_id`` may receive its next message (``-inf`` when it may now)."""
        return max(self._ready.get(chat_id, -math.inf), self._paused.get(chat_id, -math.inf))

    def paused_until(self, chat_id: ChatKey) -> float:
        """When a 429 pause of ``chat_id`` ends (``-inf`` when it is not paused)."""
        return self._paused.get(chat_id, -math.inf)

    def is_ready(self, chat_id: ChatKey) -> bool:
        """Whether a message may go to ``chat_id`` now."""
        return self.ready_at(chat_id) <= self._clock()

    def interval_for(self, is_group: bool) -> float:
        """The spacing of messages to a chat of this kind."""
        return self.group_interval if is_group else self.private_interval

    def note_sent(self, chat_id: ChatKey, is_group: bool) -> None:
        """Record that a message to ``chat_id`` just completed: the next waits an interval."""
        at = self._clock() + self.interval_for(is_group)
        if at > self._ready.get(chat_id, -math.inf):
            self._ready[chat_id] = at
        self._maybe_prune()

    def reserve(self, chat_id: ChatKey, is_group: bool) -> float:
        """Book the next slot of ``chat_id`` for a caller; returns when it may send.

        Concurrent callers get successive slots, one interval apart (after any pause).
        """
        at = max(self._clock(), self.ready_at(chat_id))
        self._ready[chat_id] = at + self.interval_for(is_group)
        self._maybe_prune()
        return at

    def pause(self, chat_id: ChatKey, seconds: float) -> None:
        """Pause ``chat_id`` (only it) for ``seconds``, as a 429's ``retry_after`` asks."""
        until = self._clock() + max(seconds, 0.0)
        if until > self._paused.get(chat_id, -math.inf):
            self._paused[chat_id] = until
        self._maybe_prune()

    def paused_chats(self) -> set[ChatKey]:
        """The chats that are paused by a 429 right now."""
        now = self._clock()
        expired = [chat for chat, until in self._paused.items() if until <= now]
        for chat in expired:
            del self._paused[chat]
        return set(self._paused)

    async def wait(self, chat_id: ChatKey) -> None:
        """Sleep until ``chat_id`` may receive its next message."""
        await sleep_until(lambda: self.ready_at(chat_id), self._clock)

    async def wait_unpaused(self, chat_id: ChatKey) -> None:
        """Sleep until a 429 pause of ``chat_id`` (if any) is over."""
        await sleep_until(lambda: self.paused_until(chat_id), self._clock)

    def __len__(self) -> int:
        return len(self._ready) + len(self._paused)

    def _maybe_prune(self) -> None:
        if len(self._ready) + len(self._paused) <= self._prune_above:
            return
        now = self._clock()
        for table in (self._ready, self._paused):
            for chat in [chat for chat, at in table.items() if at <= now]:
                del table[chat]
        self._prune_above = max(1024, 2 * (len(self._ready) + len(self._paused)))
