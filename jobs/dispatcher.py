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

Outcomes
--------
success → sent (with Telegram's message id); ``RetryAfter`` → pending again at
``now + retry_after``, that chat paused, the others continue; ``Forbidden`` →
blocked (``record_results`` marks the subscriber and closes its other rows); a
``BadRequest`` saying the chat is gone → gone; any other ``BadRequest`` → failed (it
would fail again); network errors, time-outs and 5xx → pending with exponential
backoff and one more attempt, failed after ``max_attempts``. When several chats in a
row fail that way with no success between them, or time-outs cluster, Telegram itself
is unreachable or slow: the :class:`~jobs.sendpolicy.SendBrake` holds every new send
(those under way finish) with a growing backoff, then resumes one send at a time and
speeds up with each success; meanwhile attempts are not counted, so an outage never
turns alerts into failures. A database that cannot be reached (a locked SQLite file,
a dropped PostgreSQL connection) only delays claims and the recording of outcomes,
which stay in memory and are retried; each trouble is logged once when it starts and
once when it ends (:mod:`jobs.retrylog`). Logs carry counts and error types only,
never texts or chat ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlmodel import Session, col, func, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from jobs.lease import HEARTBEAT_INTERVAL, ClaimLease
from jobs.limiter import BROADCAST, BROADCAST_GATED, PriorityRateLimiter
from jobs.ratelimit import ChatPacer, SendGate, retry_after_seconds
from jobs.retrylog import RetryLog
from jobs.sendpolicy import (
    SendBrake,
    SendTimeouts,
    Ticket,
    default_backoff,
    maybe_delivered,
)
from storage.database.engine import session_scope
from storage.database.models import Delivery
from storage.outbox import (
    BLOCKED,
    CLAIM_LEASE,
    DROPPED,
    FAILED,
    GONE,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    DeliveryResult,
    DeliveryWork,
    claim_due,
    next_due_at,
    record_results,
    resume_in_flight,
)

log = logging.getLogger(__name__)


# BadRequest descriptions that mean the chat no longer exists for this bot.
GONE_MARKERS = (
    "chat not found",
    "user not found",
    "user is deactivated",
    "chat was deleted",
    "peer_id_invalid",
    "channel_private",
    "bot was kicked",
    "not a member of",
)


@dataclass(frozen=True)
class Rendered:
    """A delivery ready to send: HTML text (≤ 4096 chars), optional inline buttons."""

    text: str
    buttons: list[list[tuple[str, str]]] | None = None
    """Rows of (label, callback_data)."""
    disable_notification: bool = False


@dataclass(frozen=True)
class Closed:
    """Don't send this delivery: close its row with ``status`` (SKIPPED or DROPPED)."""

    status: str
    reason: str


class Renderer(Protocol):
    """Turns claimed deliveries into messages."""

    def prepare(
        self, session: Session, batch: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        """Runs in a worker thread with the claiming session; renders every delivery of a batch
        (each in its recipient's current language), caching per case and language."""
        ...


@dataclass
class DispatcherStats:
    """Counters since start (``in_flight`` is the number of sends under way now)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    gone: int = 0
    skipped: int = 0
    rate_limited: int = 0
    in_flight: int = 0
    claimed: int = 0
    resumed: int = 0
    flushes: int = 0
    timed_out: int = 0
    """Sends that timed out (those reading the answer may have reached Telegram)."""
    holds: int = 0
    """How often the send brake held every new send (Telegram slow or unreachable)."""
    taken_over: int = 0
    """Rows of other workers taken over after their lease ran out."""


class _StoppedError(Exception):
    """A claimed delivery was not sent: the dispatcher is stopping, or lost its lease."""


def _is_database_error(error: Exception) -> bool:
    return isinstance(error, DBAPIError | PendingRollbackError)


_Item = tuple[DeliveryWork, Rendered | Closed | None]


class Dispatcher:
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
        batch_size: int = 200,
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
        self.outage_threshold = max(
            1, outage_threshold if outage_threshold is not None else max(5, max_in_flight // 4)
        )
        self.timeouts = timeouts if timeouts is not None else SendTimeouts()
        self.brake = SendBrake(
            limit=max_in_flight,
            backoff=backoff,
            cluster=timeout_cluster,
            outage=self.outage_threshold,
        )
        self.lease = ClaimLease(
            engine=engine,
            worker_id=worker_id,
            clock=clock,
            lease=lease,
            interval=heartbeat_interval,
        )

        limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
        self._rate_limit_args: dict[str, Any] | None = None
        if isinstance(limiter, PriorityRateLimiter):
            self._rate_limit_args = BROADCAST_GATED if limiter.gate is gate else BROADCAST
            if pacer is None:
                pacer = limiter.pacer
        self.pacer = pacer if pacer is not None else ChatPacer()

        self.last_run_at: datetime | None = None
        """When the loop last claimed or checked for due rows (for the health check)."""

        self._stats = DispatcherStats()
        self._results: list[DeliveryResult] = []
        self._open_chats: set[int] = set()
        self._open_rows = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(max_in_flight)
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
        resumed = await asyncio.to_thread(self._resume_sync)
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
                if await asyncio.to_thread(self._count_unfinished, now, horizon) == 0:
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
        """How many rows to keep claimed: about two seconds of sending, at most a batch."""
        return min(self.batch_size, max(16, int(self.gate.rate * 2)))

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
            if not _is_database_error(error):
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
        by_chat: dict[int, list[_Item]] = {}
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

    def _claim_sync(
        self, now: datetime, limit: int, skip: set[int]
    ) -> tuple[list[DeliveryWork], dict[int, Rendered | Closed], datetime | None]:
        with session_scope(self.engine) as session:
            works = claim_due(
                session,
                now=now,
                limit=limit,
                worker=self.worker_id,
                skip_chats=skip,
                lease=self.lease.lease,
            )
            prepared = self._prepare(session, works, now) if works else {}
            next_due = next_due_at(session) if len(works) < limit else None
        return works, prepared, next_due

    def _prepare(
        self, session: Session, works: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        try:
            return dict(self.renderer.prepare(session, works, now))
        except Exception as error:
            if _is_database_error(error):
                raise  # the database, not the renderer: the claim is rolled back and retried
            log.error(
                "renderer failed on a batch of %d (%s); rendering one by one",
                len(works),
                type(error).__name__,
            )
        prepared: dict[int, Rendered | Closed] = {}
        failures = 0
        for work in works:
            try:
                prepared.update(self.renderer.prepare(session, [work], now))
            except Exception as error:
                if _is_database_error(error):
                    raise
                failures += 1
        if failures:
            log.error("renderer failed on %d deliveries; they will be retried", failures)
        return prepared

    def _resume_sync(self) -> int:
        with session_scope(self.engine) as session:
            return resume_in_flight(session, worker=self.worker_id)

    def _count_unfinished(self, now: datetime, horizon: datetime) -> int:
        with session_scope(self.engine) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        or_(
                            and_(col(Delivery.status) == PENDING, col(Delivery.due_at) <= now),
                            and_(
                                col(Delivery.status) == PENDING,
                                col(Delivery.last_error).is_not(None),
                                col(Delivery.due_at) <= horizon,
                            ),
                            and_(
                                col(Delivery.status) == SENDING,
                                col(Delivery.claimed_by) == self.worker_id,
                            ),
                        )
                    )
                ).one()
            )

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

    def _record_sync(self, batch: Sequence[DeliveryResult]) -> None:
        with session_scope(self.engine) as session:
            record_results(session, batch, worker=self.worker_id)

    def _unclaimed(self, work: DeliveryWork) -> DeliveryResult:
        """Back to pending, unchanged: the row was claimed but never sent."""
        return DeliveryResult(id=work.id, status=PENDING, at=self.clock())

    # -- sending -----------------------------------------------------------------------

    def _held(self, chat_id: int) -> bool:
        return self.pacer.paused_until(chat_id) > self.pacer.now() or self.brake.held

    async def _deliver_chat(self, chat_id: int, items: list[_Item]) -> None:
        """Send one chat's claimed rows, one after the other."""
        done = 0
        try:
            while done < len(items) and not self._stopping:
                work, prepared = items[done]
                try:
                    result = await self._deliver_one(work, prepared)
                except _StoppedError:
                    break
                self._add_result(result)
                done += 1
                if result.status in (BLOCKED, GONE):
                    # Nothing more can reach this chat: close its other claimed rows unsent.
                    for other, _ in items[done:]:
                        self._add_result(replace(result, id=other.id, message_id=None))
                        done += 1
                elif result.status == PENDING and self._held(chat_id):
                    break  # paused by a 429 or an outage: the rest waits with it
        finally:
            for work, _ in items[done:]:
                self._add_result(self._unclaimed(work))
            self._open_chats.discard(chat_id)
            self._open_rows -= len(items)
            if self._open_rows < self._ahead():
                self._event.set()

    async def _deliver_one(
        self, work: DeliveryWork, prepared: Rendered | Closed | None
    ) -> DeliveryResult:
        if isinstance(prepared, Closed):
            self._stats.skipped += 1
            status = prepared.status if prepared.status in (SKIPPED, DROPPED) else SKIPPED
            return DeliveryResult(id=work.id, status=status, at=self.clock(), error=prepared.reason)
        if prepared is None:
            return self._transient(work, "render failed", network=False)
        await self.pacer.wait(work.chat_id)
        async with self._slots:
            await self.pacer.wait(work.chat_id)
            while True:
                async with self.brake.turn() as ticket:
                    await self.gate.acquire(high=False)
                    if self.brake.admits(ticket):
                        return await self._call(work, prepared, ticket)
                # The brake engaged while this send waited for the gate: wait for it too.

    async def _call(self, work: DeliveryWork, rendered: Rendered, ticket: Ticket) -> DeliveryResult:
        """One ``sendMessage`` and what its outcome means for the row."""
        if self._stopping or not self.lease.holds(work.id):
            raise _StoppedError
        task = asyncio.current_task()
        if task is not None:
            self._http.add(task)
        self._stats.in_flight += 1
        try:
            message = await self._send(work.chat_id, rendered)
        except RetryAfter as error:
            seconds = retry_after_seconds(error)
            self.pacer.pause(work.chat_id, seconds)
            self._stats.rate_limited += 1
            return DeliveryResult(
                id=work.id,
                status=PENDING,
                at=self.clock(),
                retry_at=self.clock() + timedelta(seconds=seconds),
                error=f"429 retry after {seconds:g}",
            )
        except Forbidden as error:
            self._stats.blocked += 1
            return DeliveryResult(id=work.id, status=BLOCKED, at=self.clock(), error=str(error))
        except ChatMigrated as error:
            self._stats.gone += 1
            return DeliveryResult(
                id=work.id,
                status=GONE,
                at=self.clock(),
                error=f"migrated to supergroup {error.new_chat_id}",
            )
        except BadRequest as error:
            return self._bad_request(work, error)
        except TelegramError as error:  # NetworkError, TimedOut, 5xx, Conflict, …
            return self._network_failure(work, error, ticket)
        except Exception as error:  # a bug, not Telegram: retry, but count the attempts
            log.error("unexpected error while sending (%s)", type(error).__name__)
            return self._transient(work, f"{type(error).__name__}: {error}", network=False)
        finally:
            self._stats.in_flight -= 1
            if task is not None:
                self._http.discard(task)
            self.pacer.note_sent(work.chat_id, work.chat_type != "private")
        self._stats.sent += 1
        if self.brake.note_success(ticket):
            log.info("Telegram answers normally again; sending at full speed")
        return DeliveryResult(
            id=work.id,
            status=SENT,
            at=self.clock(),
            message_id=message.message_id,
            attempts=work.attempts + 1,
        )

    def _bad_request(self, work: DeliveryWork, error: BadRequest) -> DeliveryResult:
        text = str(error)
        if any(marker in text.lower() for marker in GONE_MARKERS):
            self._stats.gone += 1
            return DeliveryResult(id=work.id, status=GONE, at=self.clock(), error=text)
        self._stats.failed += 1
        log.warning("a delivery failed permanently (BadRequest)")
        return DeliveryResult(
            id=work.id, status=FAILED, at=self.clock(), error=text, attempts=work.attempts + 1
        )

    def _network_failure(
        self, work: DeliveryWork, error: TelegramError, ticket: Ticket
    ) -> DeliveryResult:
        """A send failed on the way (no answer, 5xx, a time-out): tell the brake, retry later."""
        timed_out = isinstance(error, TimedOut)
        if timed_out:
            self._stats.timed_out += 1
        failing = self.brake.failing_chats + 1
        if self.brake.note_failure(ticket, work.chat_id, timed_out=timed_out):
            log.warning(
                "Telegram is %s (%s, %d chats failing in a row); holding new sends for %.1f s",
                "slow" if timed_out else "unreachable",
                type(error).__name__,
                failing,
                self.brake.hold_remaining(),
            )
        # A send that may have reached Telegram waits at least a backoff before it is
        # tried again, even when the brake did not engage.
        wait = self.backoff(max(1, self.brake.level)) if maybe_delivered(error) else 0.0
        return self._transient(
            work, f"{type(error).__name__}: {error}", network=True, at_least=wait
        )

    async def _send(self, chat_id: int, rendered: Rendered) -> Message:
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in rendered.buttons
                ]
            )
            if rendered.buttons
            else None
        )
        kwargs: dict[str, Any] = {
            "chat_id": chat_id,
            "text": rendered.text,
            "parse_mode": ParseMode.HTML,
            "reply_markup": markup,
            "disable_notification": rendered.disable_notification,
            "link_preview_options": LinkPreviewOptions(is_disabled=True),
        }
        kwargs.update(self.timeouts.as_kwargs())
        if isinstance(self.bot, ExtBot) and self._rate_limit_args is not None:
            return await self.bot.send_message(**kwargs, rate_limit_args=self._rate_limit_args)
        return await self.bot.send_message(**kwargs)

    def _transient(
        self, work: DeliveryWork, error: str, *, network: bool, at_least: float = 0.0
    ) -> DeliveryResult:
        """A failure that may pass: retry later with backoff, or give up after max_attempts."""
        now = self.clock()
        if network and self.brake.slowed:
            # Telegram (or our network) is down or slow: don't spend this delivery's
            # attempts; it is claimed again when the brake lets sends through.
            self._stats.retried += 1
            delay = max(at_least, self.brake.hold_remaining())
            return DeliveryResult(
                id=work.id,
                status=PENDING,
                at=now,
                retry_at=now + timedelta(seconds=delay),
                error=error,
                attempts=work.attempts,
            )
        attempts = work.attempts + 1
        if attempts >= self.max_attempts:
            self._stats.failed += 1
            log.warning(
                "a delivery failed after %d attempts (%s)", attempts, error.split(":", 1)[0]
            )
            return DeliveryResult(id=work.id, status=FAILED, at=now, error=error, attempts=attempts)
        self._stats.retried += 1
        delay = max(at_least, self.backoff(attempts))
        return DeliveryResult(
            id=work.id,
            status=PENDING,
            at=now,
            retry_at=now + timedelta(seconds=delay),
            error=error,
            attempts=attempts,
        )
