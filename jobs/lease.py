"""The lease on a dispatcher's claimed deliveries, and its heartbeat.

A claimed row (``sending``) carries ``lease_until``. While the dispatcher holds rows
whose outcome it does not know yet, :class:`ClaimLease` renews their lease every
``interval`` seconds in one UPDATE (``storage.outbox.renew_leases``), and in the same
transaction puts back to pending every row whose lease has run out
(``storage.outbox.take_over_expired``): those belong to a worker that died and did
not come back. With the default 45 s lease and 10 s heartbeat, a dead worker's rows
are pending again within 55 s, and claimed by whichever worker looks first.

The dispatcher asks :meth:`ClaimLease.holds` before each send: a row whose renewal
failed for longer than its lease (the database was unreachable), or that someone
else took over or closed meanwhile, is not sent from here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from jobs.retrylog import RetryLog
from storage.database.engine import session_scope
from storage.outbox import CLAIM_LEASE, renew_leases, take_over_expired

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 10.0
"""Seconds between two renewals of a dispatcher's leases."""


@dataclass
class _Held:
    until: datetime


@dataclass(frozen=True)
class Beat:
    """What one heartbeat did."""

    renewed: int
    lost: int
    """Rows held here that were no longer ``sending`` for this worker (taken over, closed)."""
    taken_over: int
    """Rows of other workers, with a lapsed lease, put back to pending."""


class ClaimLease:
    """The leases of one worker's claimed rows; see the module docstring.

    ``clock`` is the dispatcher's (aware UTC datetimes, injectable: tests move it past
    a lease instead of waiting). ``margin`` is how long before its end a lease is
    taken as lapsed, for the sends that have not started.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        worker_id: str,
        clock: Callable[[], datetime],
        lease: timedelta = CLAIM_LEASE,
        interval: float = HEARTBEAT_INTERVAL,
        margin: timedelta | None = None,
    ) -> None:
        if lease <= timedelta(0) or interval <= 0:
            raise ValueError("lease and interval must be positive")
        self.engine = engine
        self.worker_id = worker_id
        self.clock = clock
        self.lease = lease
        self.interval = interval
        self.margin = margin if margin is not None else min(timedelta(seconds=5), lease / 4)
        self.taken_over = 0
        """Rows of other workers taken over since start."""
        self._held: dict[int, _Held] = {}
        self._log = RetryLog(
            log,
            "could not renew the claims' lease (%s); will retry",
            "renewed the claims' lease after %d failed attempts",
        )
        self._task: asyncio.Task[None] | None = None

    def claimed(self, ids: Iterable[int], until: datetime) -> None:
        """Rows just claimed, leased until ``until``."""
        for row_id in ids:
            self._held[row_id] = _Held(until)

    def released(self, row_id: int) -> None:
        """The row's outcome is known (or it goes back unsent): no more renewals."""
        self._held.pop(row_id, None)

    def holds(self, row_id: int) -> bool:
        """Whether this worker still holds the row, with time left on its lease."""
        held = self._held.get(row_id)
        return held is not None and self.clock() < held.until - self.margin

    @property
    def count(self) -> int:
        """How many rows are held (claimed, outcome not known yet)."""
        return len(self._held)

    async def beat(self) -> Beat | None:
        """Renew the held rows' lease; take over lapsed rows of others. None if it failed.

        Failures are logged (once, then once a minute) and recovered from at the next beat.
        """
        snapshot = dict(self._held)
        now = self.clock()
        until = now + self.lease
        try:
            renewed, taken = await asyncio.to_thread(self._beat_sync, list(snapshot), now, until)
        except Exception as error:
            self._log.failed(error)
            return None
        self._log.succeeded()
        lost = 0
        for row_id, held in snapshot.items():
            if self._held.get(row_id) is not held:
                continue  # released (or claimed again) meanwhile
            if row_id in renewed:
                held.until = max(held.until, until)
            else:
                del self._held[row_id]
                lost += 1
        if lost:
            log.warning(
                "%d claimed deliveries were taken over or closed elsewhere; not sending them",
                lost,
            )
        if taken:
            self.taken_over += taken
            log.warning(
                "%d deliveries whose worker stopped renewing its lease are pending again", taken
            )
        return Beat(renewed=len(renewed), lost=lost, taken_over=taken)

    def _beat_sync(self, ids: list[int], now: datetime, until: datetime) -> tuple[set[int], int]:
        with session_scope(self.engine) as session:
            renewed = renew_leases(session, ids=ids, worker=self.worker_id, until=until)
            taken = take_over_expired(session, now=now)
        return renewed, taken

    def start(self, on_take_over: Callable[[], None]) -> None:
        """Beat every ``interval`` seconds in a task; call ``on_take_over`` after a take-over."""

        async def run() -> None:
            while True:
                await asyncio.sleep(self.interval)
                beat = await self.beat()
                if beat is not None and beat.taken_over:
                    on_take_over()

        if self._task is None or self._task.done():
            self._task = asyncio.create_task(run(), name=f"lease-{self.worker_id}")

    async def stop(self) -> None:
        """Stop beating."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
