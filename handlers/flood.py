"""Flood control: a per-user token bucket in front of every other handler.

Each user has a bucket of :data:`BURST` tokens (10) that refills at
:data:`REFILL_PER_SECOND` (2 a second, one token every half second). Every update
from that user that some handler would act on takes one token; when the bucket is
empty the update is dropped before any handler (or the database) sees it. A fast
human, even tapping through a timeline page by page, stays well inside 10 at once
and 2 a second on average; a script sending 50 commands a second gets 10 answers,
then about 2 a second.

The first dropped update of a throttling episode gets one short "slow down" reply in
the user's language; the episode ends when the bucket is full again (the user has
been quiet for about BURST / REFILL_PER_SECOND = 5 seconds), so a user who keeps
flooding is told once, not once per message. The limit applies to everyone,
administrators included: it is generous enough for any person.

Updates no handler would act on (messages in a group that are not commands for this
bot, stickers, edits) neither take a token nor get a reply, so a busy group does not
get the bot's "slow down" for chatting among themselves. Updates without a user
(channel posts) pass untouched.

Memory stays bounded: a bucket that has refilled to full is the same as no bucket,
so full buckets are pruned whenever the table doubles past :data:`PRUNE_ABOVE`; the
table holds only users active in the last few seconds.

Callback data: none. The bucket logic (:class:`TokenBuckets`) knows nothing of
Telegram and takes an injectable clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from html import escape

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.common import Context, answer, user_translator
from messages import N_

BURST = 10
"""Updates a user may send at once (the size of the bucket)."""

REFILL_PER_SECOND = 2.0
"""Tokens a bucket gains per second: the sustained rate a user may keep up."""

PRUNE_ABOVE = 1024
"""Buckets kept before full ones are pruned (the threshold doubles with real load)."""

FLOOD_GROUP = -1
"""The handler group of the guard: before every other handler (they are in group 0)."""

BOT_DATA_KEY = "flood"
"""Where :func:`register` puts the :class:`TokenBuckets` in ``bot_data`` (for tests)."""

SLOW_DOWN = N_("You are sending messages too fast. Please wait a few seconds.")
"""The slow-down reply (its msgid: translated in the catalogs)."""


class Verdict(Enum):
    """What to do with one update."""

    ALLOW = "allow"
    """A token was taken: handle the update."""

    NOTIFY = "notify"
    """Drop the update and tell the user to slow down (once per episode)."""

    DROP = "drop"
    """Drop the update silently (the user was already told)."""


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    notified: bool = False


class TokenBuckets:
    """Per-key token buckets: ``burst`` tokens, refilled at ``rate`` per second.

    ``clock`` returns seconds (monotonic by default). ``burst``, ``rate`` and
    ``clock`` may be changed at any time; the next :meth:`check` uses them.
    """

    def __init__(
        self,
        *,
        burst: int = BURST,
        rate: float = REFILL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        prune_above: int = PRUNE_ABOVE,
    ) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if not rate > 0:
            raise ValueError("rate must be positive")
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self._min_prune = max(1, prune_above)
        self._prune_above = self._min_prune
        self._buckets: dict[Hashable, _Bucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def _refill(self, bucket: _Bucket, now: float) -> None:
        elapsed = max(0.0, now - bucket.stamp)  # a clock going backwards refills nothing
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.stamp = max(bucket.stamp, now)

    def tokens(self, key: Hashable) -> float:
        """The tokens ``key`` has now (``burst`` for a key never seen or pruned)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(self.burst)
        self._refill(bucket, self.clock())
        return bucket.tokens

    def check(self, key: Hashable) -> Verdict:
        """Take a token for one update of ``key``, or say how to drop it."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._maybe_prune(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            self._refill(bucket, now)
        if bucket.tokens >= self.burst:
            bucket.notified = False  # quiet long enough: a new episode may begin
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.ALLOW
        if bucket.notified:
            return Verdict.DROP
        bucket.notified = True
        return Verdict.NOTIFY

    def prune(self) -> int:
        """Forget every bucket that has refilled to full; return how many were forgotten."""
        now = self.clock()
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + max(0.0, now - bucket.stamp) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
        return len(full)

    def _maybe_prune(self, now: float) -> None:
        if len(self._buckets) < self._prune_above:
            return
        self.prune()
        self._prune_above = max(self._min_prune, 2 * len(self._buckets))


def _handled_later(update: Update, context: Context) -> bool:
    """Whether a handler after the guard would act on this update."""
    application = context.application
    for group, group_handlers in application.handlers.items():
        if group <= FLOOD_GROUP:
            continue
        for handler in group_handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True
    return False


class FloodGuard:
    """The ``TypeHandler`` callback: drop an update when its user's bucket is empty."""

    def __init__(self, buckets: TokenBuckets) -> None:
        self.buckets = buckets

    async def __call__(self, update: Update, context: Context) -> None:
        """Let the update through, or stop it (raising ``ApplicationHandlerStop``)."""
        user = update.effective_user
        if user is None or not _handled_later(update, context):
            return
        verdict = self.buckets.check(user.id)
        if verdict is Verdict.ALLOW:
            return
        if verdict is Verdict.NOTIFY:
            t = await user_translator(update, context)
            await answer(update, escape(t.gettext(SLOW_DOWN)))
        raise ApplicationHandlerStop


def register(app: Application) -> TokenBuckets:  # type: ignore[type-arg]
    """Put the guard in group -1, before every other handler; return its buckets."""
    buckets = TokenBuckets()
    app.bot_data[BOT_DATA_KEY] = buckets
    app.add_handler(TypeHandler(Update, FloodGuard(buckets), block=True), group=FLOOD_GROUP)
    return buckets
