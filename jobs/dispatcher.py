"""The delivery dispatcher: sends the outbox's due deliveries to Telegram, fast and safely.

One loop task claims due rows in batches (``storage.outbox.claim_due``, one short
transaction in a worker thread), has the renderer prepare every text in that same
session, and starts one sender per chat. Senders run concurrently (at most
``max_in_flight`` HTTP calls at once); each waits for its chat's pace
(:class:`~jobs.ratelimit.ChatPacer`: 1 a second per private chat, 1 every 3 s per
group, and nothing while a 429 pauses the chat), then for a low-priority slot of the
shared :class:`~jobs.ratelimit.SendGate`, then calls ``sendMessage``. A chat never has
two messages in flight: rows of one chat in a batch are sent one after the other, and
chats with a claimed or paused row are left out of the next claims.

Outcomes are buffered and written with ``storage.outbox.record_results`` in one
transaction every ``flush_interval`` seconds (and at stop): no database round trip per
message, and every database call runs in a thread so the event loop stays free for
interactive replies.

Crash safety and the duplicate bound
------------------------------------
A row is ``sending`` from the moment it is claimed until its outcome is committed,
under a lease the dispatcher renews every 10 s (:mod:`jobs.lease`). After a crash,
``start()`` puts this worker's ``sending`` rows back to pending
(``storage.outbox.resume_in_flight``); a worker that does not come back leaves its
rows for at most the lease (45 s) and one heartbeat, then any other dispatcher takes
them over. So no alert is ever lost. The only rows that
can be sent twice are those Telegram accepted whose outcome was not yet committed:
the messages sent during the last ``flush_interval`` before the crash plus those of
a flush in progress — about ``rate × (flush_interval + flush time)`` (≈ 6 at 30/s,
≈ 200 at 1000/s with the default 0.2 s), and never more than the rows claimed at
that moment (the dispatcher keeps about two seconds of sending claimed, at most
``2 × batch_size`` rows). Telegram has no idempotency key, so a send
that timed out after Telegram accepted it is retried and may also arrive twice;
that is inherent to the Bot API, and why sends wait 35 s for an answer
(:mod:`jobs.sendpolicy`). A clean ``stop()`` duplicates nothing.

Outcomes (:mod:`jobs.outcomes`)
-------------------------------
sent, pending again after a 429 (that chat paused, the others continue), blocked, gone,
failed, or pending with backoff after a network error; when Telegram itself is
unreachable or slow, the :class:`~jobs.sendpolicy.SendBrake` holds every new send and
attempts are not counted, so an outage never turns alerts into failures. A database
that cannot be reached only delays claims and the recording of outcomes, which stay
in memory and are retried (:mod:`jobs.dispatch_db`, :mod:`jobs.retrylog`). Logs carry
counts and error types only, never texts or chat ids.

Sending (:mod:`jobs.sender`) and paid broadcasts (:mod:`jobs.paid`)
-------------------------------------------------------------------
Alerts go out through :class:`~jobs.sender.FastSender` (aiohttp, the answer read
only for its message id) when one is given, else through the bot's ``send_message``.
With a :class:`~jobs.paid.PaidBroadcasts` policy, an alert opted into paid broadcasts
takes a free slot when one is free and otherwise a paid one, with
``allow_paid_broadcast``; the others wait for the free gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from telegram import Bot
from telegram.ext import ExtBot

from jobs import dispatch_db
from jobs.dispatch_send import Item, SendingMixin
from jobs.dispatch_types import Closed, DispatcherStats, Rendered, Renderer
from jobs.lease import HEARTBEAT_INTERVAL, ClaimLease
from jobs.limiter import BROADCAST, BROADCAST_GATED, PriorityRateLimiter
from jobs.outcomes import GONE_MARKERS, OutcomeRules
from jobs.paid import PaidBroadcasts
from jobs.ratelimit import ChatPacer, SendGate
from jobs.retrylog import RetryLog
from jobs.sender import PtbSender, Sender
from jobs.sendpolicy import SendBrake, SendTimeouts, default_backoff
from storage.outbox import (
    CLAIM_LEASE,
    PENDING,
    DeliveryResult,
    DeliveryWork,
)

__all__ = ["GONE_MARKERS", "Closed", "Dispatcher", "DispatcherStats", "Rendered", "Renderer"]

log = logging.getLogger(__name__)


def _pacing(
    bot: Bot, gate: SendGate, pacer: ChatPacer | None
) -> tuple[ChatPacer, dict[str, Any] | None]:
    """The pacer to use (the bot's limiter's unless given) and the sends' ``rate_limit_args``."""
    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    if not isinstance(limiter, PriorityRateLimiter):
        return (pacer if pacer is not None else ChatPacer()), None
    args = BROADCAST_GATED if limiter.gate is gate else BROADCAST
    return (pacer if pacer is not None else limiter.pacer), args


class Dispatcher(SendingMixin):
    """Sends due deliveries from the outbox; see the module docstring for the guarantees.

    ``bot`` may be a plain ``telegram.Bot`` or the Application's ``ExtBot``. With a
    :class:`~jobs.limiter.PriorityRateLimiter` on the bot, sends carry
    ``rate_limit_args={"broadcast": True}`` (and the gate is not passed twice when the
    limiter shares ``gate``); its pacer is shared unless ``pacer`` is given. Any other
    rate limiter must not retry 429s by itself. ``backoff(attempts)`` gives the seconds
    before the next attempt after a transient failure; ``outage_threshold`` is how many
    different chats must fail in a row, with no success between, before the failures
    are taken as Telegram being unreachable (default: a quarter of ``max_in_flight``,
    at least 5 — a real outage fails every send under way, a burst of resets does not);
    ``timeout_cluster`` time-outs within 30 s are taken as Telegram being slow. Both
    engage the send brake. ``timeouts`` are the per-call time-outs of every send.
    ``lease`` and ``heartbeat_interval`` set the claims' lease (:mod:`jobs.lease`);
    the lease follows ``clock``, so tests move the clock instead of waiting.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        bot: Bot,
        renderer: Renderer,
        gate: SendGate,
        clock: Callable[[], datetime],
        worker_id: str = "main",
        batch_size: int = 500,
        max_in_flight: int = 64,
        max_attempts: int = 6,
        flush_interval: float = 0.2,
        idle_poll: float = 5.0,
        pacer: ChatPacer | None = None,
        backoff: Callable[[int], float] = default_backoff,
        outage_threshold: int | None = None,
        timeouts: SendTimeouts | None = None,
        timeout_cluster: int = 3,
        lease: timedelta = CLAIM_LEASE,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        sender: Sender | None = None,
        paid: PaidBroadcasts | None = None,
    ) -> None:
        if batch_size < 1 or max_in_flight < 1 or max_attempts < 1:
            raise ValueError("batch_size, max_in_flight and max_attempts must be >= 1")
        self.engine = engine
        self.bot = bot
        self.renderer = renderer
        self.gate = gate
        self.clock = clock
        self.worker_id = worker_id
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.flush_interval = flush_interval
        self.idle_poll = idle_poll
        self.backoff = backoff
        self.timeouts = timeouts if timeouts is not None else SendTimeouts()
        self._init_policies(outage_threshold, timeout_cluster, lease, heartbeat_interval)
        self.pacer, self._rate_limit_args = _pacing(bot, gate, pacer)
        self.sender: Sender = (
            sender
            if sender is not None
            else PtbSender(bot, rate_limit_args=self._rate_limit_args, timeouts=self.timeouts)
        )
        self.paid = paid
        """The paid-broadcast policy (None: every send waits for ``gate``, never paid)."""
        self.last_run_at: datetime | None = None  # the loop's last claim, for the health check
        self._init_state()

    def _init_policies(
        self,
        outage_threshold: int | None,
        timeout_cluster: int,
        lease: timedelta,
        heartbeat_interval: float,
    ) -> None:
        default_outage = max(5, self.max_in_flight // 4)
        self.outage_threshold = max(
            1, default_outage if outage_threshold is None else outage_threshold
        )
        self.brake = SendBrake(
            limit=self.max_in_flight,
            backoff=self.backoff,
            cluster=timeout_cluster,
            outage=self.outage_threshold,
        )
        self.lease = ClaimLease(
            engine=self.engine,
            worker_id=self.worker_id,
            clock=self.clock,
            lease=lease,
            interval=heartbeat_interval,
        )

    def _init_state(self) -> None:
        self._stats = DispatcherStats()
        self.outcomes = OutcomeRules(
            clock=self.clock,
            stats=self._stats,
            brake=self.brake,
            pacer=self.pacer,
            backoff=self.backoff,
            max_attempts=self.max_attempts,
        )
        self._results: list[DeliveryResult] = []
        self._open_chats: set[int] = set()
        self._open_rows = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._claim_now = True
        self._next_claim = 0.0
        self._last_flush = time.monotonic()
        self._flush_after = 0.0
        self._record_log = RetryLog(
            log,
            "could not record %d outcomes (%s); will retry",
            "recorded outcomes after %d failed attempts",
        )
        self._claim_log = RetryLog(
            log,
            "could not claim deliveries (%s); will retry",
            "claiming again after %d failed attempts",
        )

    # -- public API --------------------------------------------------------------------

    @property
    def stats(self) -> DispatcherStats:
        """A snapshot of the counters."""
        return replace(self._stats, holds=self.brake.engaged, taken_over=self.lease.taken_over)

    @property
    def running(self) -> bool:
        """Whether the loop is running."""
        return self._loop_task is not None and not self._loop_task.done()

    async def start(self) -> None:
        """Put this worker's rows left ``sending`` back to pending, take over rows whose
        lease ran out, then start the loop and the lease's heartbeat."""
        if self.running:
            raise RuntimeError("the dispatcher is already running")
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        resumed = await asyncio.to_thread(
            dispatch_db.resume, self.engine, self.worker_id, self.paid
        )
        await self.sender.start()
        self._stats.resumed += resumed
        if resumed:
            log.info("resumed %d deliveries left in flight by a previous run", resumed)
        await self.lease.beat()
        self._claim_now = True
        self._loop_task = asyncio.create_task(self._run(), name=f"dispatcher-{self.worker_id}")
        self.lease.start(on_take_over=self.wake)

    async def heartbeat(self) -> None:
        """Renew this worker's leases and take over lapsed ones now (it runs every
        ``heartbeat_interval`` seconds by itself; tests call it after moving the clock)."""
        beat = await self.lease.beat()
        if beat is not None and beat.taken_over:
            self.wake()

    def wake(self) -> None:
        """New rows were written: look now. Safe to call from any thread."""
        loop = self._loop
        if loop is None:
            self._claim_now = True
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake()
        else:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wake
                loop.call_soon_threadsafe(self._wake)

    async def stop(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (the API asks for it)
        """Stop claiming; let sends under way finish (≤ ``timeout``); flush every outcome.

        Rows claimed but not sent go back to pending; nothing stays ``sending``.
        """
        if self._loop_task is None:
            return
        self._stopping = True
        self._event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._loop_task
        self._loop_task = None
        for task in list(self._tasks):
            if task not in self._http:
                task.cancel()  # waiting for a pace or a slot: not sent, back to pending
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()  # outcome unknown: back to pending (may arrive twice)
            if pending:
                log.warning("%d sends did not finish within %.1f s of stop", len(pending), timeout)
                await asyncio.gather(*pending, return_exceptions=True)
        for _ in range(3):
            if not self._results:
                break
            await self._flush()
        await self.lease.stop()
        await self.sender.close()
        log.info(
            "dispatcher stopped: %d sent, %d retried, %d failed",
            self._stats.sent,
            self._stats.retried,
            self._stats.failed,
        )

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 (the API asks for it)
        """Wait until nothing is left to send within ``timeout`` seconds. For tests and benchmarks.

        Returns when this worker has no row in flight (claimed, or with an outcome not yet
        recorded), no pending row is due, and no retry (a row that already failed once,
        after a 429 or a 5xx) falls due before the deadline. Rows never tried count only
        once due, so a test clock standing before tomorrow's reminders does not hold it.
        Raises ``TimeoutError`` when that does not happen in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            idle = not self._results and self._open_rows == 0
            if idle:
                now = self.clock()
                horizon = now + timedelta(seconds=max(0.0, deadline - time.monotonic()))
                count = await asyncio.to_thread(
                    dispatch_db.count_unfinished,
                    self.engine,
                    now=now,
                    horizon=horizon,
                    worker=self.worker_id,
                )
                if count == 0:
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"deliveries still due after {timeout} s")
            await asyncio.sleep(0.05)

    # -- the loop ----------------------------------------------------------------------

    def _wake(self) -> None:
        self._claim_now = True
        self._event.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._event.clear()
            try:
                await self._step()
            except Exception as error:  # keep the loop alive whatever happens
                log.error("dispatcher loop error (%s); retrying shortly", type(error).__name__)
                self._next_claim = time.monotonic() + min(self.idle_poll, 1.0)
                self._claim_now = False
                await asyncio.sleep(min(self.idle_poll, 1.0))
                continue
            if self._stopping:
                break
            timeout = self._sleep_time()
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._event.wait()

    async def _step(self) -> None:
        if self._results and time.monotonic() >= self._flush_at():
            await self._flush()
        if self._should_claim():
            await self._claim()

    def _flush_at(self) -> float:
        return max(self._last_flush + self.flush_interval, self._flush_after)

    def _ahead(self) -> int:
        """Rows to keep claimed: two seconds of sending, at most a batch (500 by default)."""
        rate = self.paid.rate if self.paid is not None else self.gate.rate
        return min(self.batch_size, max(16, int(rate * 2)))

    def _should_claim(self) -> bool:
        if self._stopping or self._open_rows >= self._ahead():
            return False
        if self.brake.held:
            return False
        return self._claim_now or time.monotonic() >= self._next_claim

    def _sleep_time(self) -> float:
        now = time.monotonic()
        hold = self.brake.hold_remaining()
        times = [self.idle_poll]
        if self._results:
            times.append(self._flush_at() - now)
        if self._open_rows < self._ahead():
            if self._claim_now and hold <= 0:
                return 0.0
            times.append(max(self._next_claim - now, hold))
        return max(0.0, min(times))

    async def _claim(self) -> None:
        limit = self._ahead()
        skip = set(self._open_chats)
        skip.update(chat for chat in self.pacer.paused_chats() if isinstance(chat, int))
        now = self.clock()
        self._claim_now = False  # before the query: a wake() during it must not be lost
        try:
            works, prepared, next_due = await asyncio.to_thread(self._claim_sync, now, limit, skip)
        except Exception as error:
            if not dispatch_db.is_database_error(error):
                raise
            self._claim_log.failed(error)  # nothing was claimed: the transaction rolled back
            self._next_claim = time.monotonic() + min(self.idle_poll, 1.0)
            return
        self._claim_log.succeeded()
        self.last_run_at = now
        if len(works) >= limit:
            self._claim_now = True  # there may be more
        else:
            delay = self.idle_poll
            if next_due is not None:
                delay = min(delay, max(self.flush_interval, (next_due - now).total_seconds()))
            self._next_claim = time.monotonic() + delay
        if not works:
            return
        self._stats.claimed += len(works)
        self.lease.claimed((work.id for work in works), now + self.lease.lease)
        by_chat: dict[int, list[Item]] = {}
        for work in works:
            by_chat.setdefault(work.chat_id, []).append((work, prepared.get(work.id)))
        if self._stopping:  # stop() came while claiming: hand them straight back
            for work in works:
                self._add_result(self._unclaimed(work))
            return
        for chat_id, items in by_chat.items():
            self._open_chats.add(chat_id)
            self._open_rows += len(items)
            task = asyncio.create_task(self._deliver_chat(chat_id, items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- results -----------------------------------------------------------------------

    def _add_result(self, result: DeliveryResult) -> None:
        self.lease.released(result.id)
        if not self._results:
            self._event.set()  # arms the flush timer
        self._results.append(result)

    async def _flush(self) -> None:
        batch, self._results = self._results, []
        self._last_flush = time.monotonic()
        if not batch:
            return
        try:
            await asyncio.to_thread(self._record_sync, batch)
        except Exception as error:
            self._record_log.failed(error, len(batch))
            self._results[:0] = batch
            # Retry with a growing pause (a locked file, a database restarting).
            pause = min(5.0, self.flush_interval * 2.0**self._record_log.failures)
            self._flush_after = time.monotonic() + pause
            return
        self._record_log.succeeded("recorded %d outcomes after %d failed attempts", len(batch))
        self._flush_after = 0.0
        self._stats.flushes += 1
        retries = [r.retry_at for r in batch if r.status == PENDING]
        if retries:
            now = self.clock()
            soonest = min(
                0.0 if at is None else max(0.0, (at - now).total_seconds()) for at in retries
            )
            self._next_claim = min(self._next_claim, time.monotonic() + soonest)

    def _claim_sync(
        self, now: datetime, limit: int, skip: set[int]
    ) -> tuple[list[DeliveryWork], dispatch_db.Prepared, datetime | None]:
        return dispatch_db.claim_batch(
            self.engine,
            self.renderer,
            now=now,
            limit=limit,
            worker=self.worker_id,
            skip=skip,
            lease=self.lease.lease,
        )

    def _record_sync(self, batch: list[DeliveryResult]) -> None:
        dispatch_db.record(self.engine, batch, worker=self.worker_id, paid=self.paid)

    def _unclaimed(self, work: DeliveryWork) -> DeliveryResult:
        """Back to pending, unchanged: the row was claimed but never sent."""
        return DeliveryResult(id=work.id, status=PENDING, at=self.clock())
