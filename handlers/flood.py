"""Flood control: a per-user token bucket, applied as updates arrive, before any handler.

Each user has a bucket of :data:`BURST` tokens (10) that refills at
:data:`REFILL_PER_SECOND` (2 a second, one token every half second). Every update
from that user that some handler would act on takes one token. When the bucket is
empty the update is not dropped: it is *slowed*, handled when its token would have
refilled (the bucket goes into debt), so a user sending 15 quick commands gets 10
answers at once and the other 5 over the next 2.5 seconds. Only beyond a debt of
:data:`BACKLOG` updates (20 seconds of waiting) are further updates skipped. A fast
human, even tapping through a timeline page by page, stays well inside 10 at once
and 2 a second on average.

The user is told once per episode, in their language: the first slowed update brings
"answers will come a little slower", the first skipped one "some were skipped, send
again". The episode ends when the bucket is full again (about BURST /
REFILL_PER_SECOND = 5 seconds of quiet). The limit applies to everyone,
administrators included: it is generous enough for any person.

The waiting happens in the user's own lane (:mod:`handlers.lanes`), holding no
handler slot: one user's flood never delays another user. Updates no handler would
act on (messages in a group that are not commands for this bot, stickers, edits)
neither take a token nor get a reply. Updates without a user pass untouched.

Memory stays bounded: a bucket that has refilled to full is the same as no bucket,
so full buckets are pruned whenever the table doubles past :data:`PRUNE_ABOVE`; the
table holds only users active in the last few seconds.

Callback data: none. The bucket logic (:class:`TokenBuckets`) knows nothing of
Telegram and takes an injectable clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from html import escape

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from handlers.common import Context, answer, user_translator
from handlers.lanes import FairUpdateProcessor, Ticket, handled_by_some_handler
from jobs.deferred import ReplyDeferred
from messages import N_

log = logging.getLogger(__name__)

BURST = 10
"""Updates a user may send at once (the size of the bucket)."""

REFILL_PER_SECOND = 2.0
"""Tokens a bucket gains per second: the sustained rate a user may keep up."""

BACKLOG = 40
"""Updates a user may have waiting beyond the burst; more are skipped (with a word)."""

PRUNE_ABOVE = 1024
"""Buckets kept before full ones are pruned (the threshold doubles with real load)."""

BOT_DATA_KEY = "flood"
"""Where :func:`register` puts the :class:`TokenBuckets` in ``bot_data`` (for tests)."""

SLOW_DOWN = N_(
    "You are sending messages very fast: I will answer each of them, a little more slowly."
)
"""The notice of the first slowed update of an episode (its msgid)."""

SKIPPED = N_(
    "Too many messages at once: I skipped some of them. "
    "Please send again what still needs an answer."
)
"""The notice of the first skipped update of an episode (its msgid)."""


class Verdict(Enum):
    """What to do with one update."""

    ALLOW = "allow"
    """A token was taken: handle the update now."""

    DELAY = "delay"
    """Handle the update after :attr:`Decision.delay` seconds."""

    SKIP = "skip"
    """The backlog is full: do not handle the update."""


@dataclass(frozen=True)
class Decision:
    """The bucket's answer for one update."""

    verdict: Verdict
    delay: float = 0.0
    """Seconds to wait before handling (DELAY only)."""
    notify: bool = False
    """True for the first DELAY and the first SKIP of an episode: tell the user."""


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    told_slow: bool = False
    told_skipped: bool = False


class TokenBuckets:
    """Per-key token buckets: ``burst`` tokens, refilled at ``rate`` per second, that may
    go ``backlog`` tokens into debt (updates handled later).

    ``clock`` returns seconds (monotonic by default). ``burst``, ``rate``, ``backlog``
    and ``clock`` may be changed at any time; the next :meth:`check` uses them.
    """

    def __init__(
        self,
        *,
        burst: int = BURST,
        rate: float = REFILL_PER_SECOND,
        backlog: int = BACKLOG,
        clock: Callable[[], float] = time.monotonic,
        prune_above: int = PRUNE_ABOVE,
    ) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if not rate > 0:
            raise ValueError("rate must be positive")
        if backlog < 0:
            raise ValueError("backlog must be >= 0")
        self.burst = burst
        self.rate = rate
        self.backlog = backlog
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
        """The tokens ``key`` has now (``burst`` for a key never seen or pruned; negative
        while updates wait)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(self.burst)
        self._refill(bucket, self.clock())
        return bucket.tokens

    def check(self, key: Hashable) -> Decision:
        """Take a token for one update of ``key`` (perhaps in debt), or say to skip it."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._maybe_prune(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            self._refill(bucket, now)
        if bucket.tokens >= self.burst:
            bucket.told_slow = bucket.told_skipped = False  # quiet long enough: a new episode
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision(Verdict.ALLOW)
        if bucket.tokens - 1.0 < -self.backlog:
            notify = not bucket.told_skipped
            bucket.told_skipped = True
            return Decision(Verdict.SKIP, notify=notify)
        bucket.tokens -= 1.0
        notify = not bucket.told_slow
        bucket.told_slow = True
        return Decision(Verdict.DELAY, delay=-bucket.tokens / self.rate, notify=notify)

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


class FloodAdmission:
    """The lanes' admission policy: a token per update, slowed or skipped with one word."""

    def __init__(self, app: Application, buckets: TokenBuckets) -> None:  # type: ignore[type-arg]
        self.app = app
        self.buckets = buckets
        self._notices: set[asyncio.Task[None]] = set()

    async def admit(self, update: Update, now: float) -> Ticket:
        """Handle at once, later, or not at all (telling the user once per episode)."""
        user = update.effective_user
        if user is None:
            return Ticket(handle=True)
        decision = self.buckets.check(user.id)
        if decision.notify:  # in a task: admission never waits, so the lane keeps its order
            notice = SLOW_DOWN if decision.verdict is Verdict.DELAY else SKIPPED
            task = asyncio.get_running_loop().create_task(self._tell(update, notice))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)
        if decision.verdict is Verdict.SKIP:
            return Ticket(handle=False)
        return Ticket(handle=True, not_before=now + decision.delay)

    async def _tell(self, update: Update, msgid: str) -> None:
        context: Context = CallbackContext.from_update(update, self.app)
        try:
            t = await user_translator(update, context)
            await answer(update, escape(t.gettext(msgid)))
        except (TelegramError, ReplyDeferred) as error:
            log.info("flood notice not sent at once: %s", type(error).__name__)


def register(app: Application) -> TokenBuckets:  # type: ignore[type-arg]
    """Apply flood control in the lanes of ``app``'s update processor; return its buckets."""
    buckets = TokenBuckets()
    app.bot_data[BOT_DATA_KEY] = buckets
    processor = app.update_processor
    if isinstance(processor, FairUpdateProcessor):
        processor.admission = FloodAdmission(app, buckets)
        processor.handles = handled_by_some_handler(app)
    return buckets
