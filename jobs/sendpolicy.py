"""How the dispatcher waits for a slow Telegram: per-call time-outs and the send brake.

A ``sendMessage`` that times out while reading the answer was usually accepted by
Telegram: retrying it delivers the alert twice (the Bot API has no idempotency key).
So the read time-out is long (35 s: Telegram answering in 15 s is slow, not lost),
while the connect time-out stays short (5 s: a connection that cannot be opened sent
nothing, and is safe to retry at once).

When time-outs come in a cluster, or several chats in a row fail with network errors,
the trouble is Telegram's (or the network's), not a chat's: :class:`SendBrake` holds
every new send for a backoff (sends under way finish), then lets one through, and
one more for each success (slow start, as TCP does), up to the normal concurrency.
A failure while ramping up holds again, twice as long. Resending each timed-out alert
at once would only multiply the duplicates.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import httpx
from telegram.error import TelegramError, TimedOut

MAX_BACKOFF = 300.0
"""The longest wait between two attempts of one delivery, or of a brake (5 minutes)."""


def default_backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts``: 2, 4, 8 … capped at 5 min, ±25 % jitter."""
    base = min(MAX_BACKOFF, 2.0 ** max(attempts, 1))
    return min(MAX_BACKOFF, base * random.uniform(0.75, 1.25))


@dataclass(frozen=True)
class SendTimeouts:
    """Per-call time-outs of a ``sendMessage``, in seconds (passed to python-telegram-bot)."""

    connect: float = 5.0
    read: float = 35.0
    write: float = 10.0

    def as_kwargs(self) -> dict[str, float]:
        """The keyword arguments of ``Bot.send_message`` for these time-outs."""
        return {
            "connect_timeout": self.connect,
            "read_timeout": self.read,
            "write_timeout": self.write,
        }


def maybe_delivered(error: TelegramError) -> bool:
    """Whether a failed send may still have reached Telegram (a read or write time-out).

    A connect or pool time-out, or a refused connection, sent nothing.
    """
    if not isinstance(error, TimedOut):
        return False
    cause = error.__cause__
    return not isinstance(
        cause, httpx.ConnectTimeout | httpx.PoolTimeout | aiohttp.ConnectionTimeoutError
    )


@dataclass(frozen=True)
class Ticket:
    """A send let through by :meth:`SendBrake.turn`; ``generation`` tells which hold it followed."""

    generation: int


class SendBrake:
    """Stops new sends while Telegram is slow or unreachable, then resumes them gradually.

    ``limit`` is the concurrency when all is well. A failed send is reported with
    :meth:`note_failure`; the brake engages when ``cluster`` time-outs come within
    ``window`` seconds, when ``outage`` different chats fail in a row with no success
    between, or on any failure while ramping up. :meth:`engage` holds for
    ``backoff(level)`` seconds, each new hold one level higher; after it one send may
    be under way, and each success allows one more, until ``limit`` (and the level is
    back to 0). Failures of sends started before the latest hold are not counted
    again. ``clock`` is monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        limit: int,
        backoff: Callable[[int], float] = default_backoff,
        cluster: int = 3,
        window: float = 30.0,
        outage: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or cluster < 1 or outage < 1:
            raise ValueError("limit, cluster and outage must be >= 1")
        self.limit = limit
        self.backoff = backoff
        self.cluster = cluster
        self.window = window
        self.outage = outage
        self.clock = clock
        self.engaged = 0
        """How many times the brake was engaged since start."""
        self._allowed = limit
        self._in_flight = 0
        self._hold_until = 0.0
        self._level = 0
        self._generation = 0
        self._timeouts: deque[float] = deque()
        self._failing_chats: set[int] = set()
        self._changed = asyncio.Event()

    @property
    def level(self) -> int:
        """0 when sending normally; the number of holds in a row otherwise."""
        return self._level

    @property
    def allowed(self) -> int:
        """How many sends may be under way at once now."""
        return self._allowed

    @property
    def failing_chats(self) -> int:
        """How many different chats failed in a row since the last success."""
        return len(self._failing_chats)

    def hold_remaining(self) -> float:
        """Seconds left before sends may start again (0 when not held)."""
        return max(0.0, self._hold_until - self.clock())

    @property
    def held(self) -> bool:
        """Whether new sends wait for the end of a hold."""
        return self.hold_remaining() > 0

    @property
    def slowed(self) -> bool:
        """Whether the brake is held or still ramping up after a hold."""
        return self._level > 0

    def engage(self) -> float:
        """Hold every new send for the next backoff (unless already held); return its seconds."""
        if not self.held:
            self._level += 1
            self._generation += 1
            self.engaged += 1
            self._hold_until = self.clock() + self.backoff(self._level)
            self._allowed = 1
            self._timeouts.clear()
            self._failing_chats.clear()
            self._notify()
        return self.hold_remaining()

    def note_failure(self, ticket: Ticket, chat_id: int, *, timed_out: bool) -> bool:
        """Record a send that failed with a network error. True when this engaged the brake."""
        if ticket.generation != self._generation or self.held:
            return False  # started before the latest hold: already accounted for
        self._failing_chats.add(chat_id)
        if timed_out:
            now = self.clock()
            self._timeouts.append(now)
            while self._timeouts and self._timeouts[0] <= now - self.window:
                self._timeouts.popleft()
        if (
            self._level > 0
            or len(self._timeouts) >= self.cluster
            or len(self._failing_chats) >= self.outage
        ):
            self.engage()
            return True
        return False

    def note_success(self, ticket: Ticket) -> bool:
        """Record a send that got its answer. True when this ended a slow-down."""
        self._failing_chats.clear()
        if self._level == 0 or ticket.generation != self._generation:
            return False
        self._allowed = min(self.limit, self._allowed + 1)
        self._notify()
        if self._allowed >= self.limit:
            self._level = 0
            return True
        return False

    def admits(self, ticket: Ticket) -> bool:
        """Whether a send let through with ``ticket`` may still start (no hold came since)."""
        return ticket.generation == self._generation and not self.held

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Ticket]:
        """Wait until a send may start (no hold, fewer than ``allowed`` under way)."""
        while self.held or self._in_flight >= self._allowed:
            self._changed.clear()
            wait = self.hold_remaining() or None
            try:
                async with asyncio.timeout(wait):
                    await self._changed.wait()
            except TimeoutError:
                pass
        self._in_flight += 1
        try:
            yield Ticket(self._generation)
        finally:
            self._in_flight -= 1
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
