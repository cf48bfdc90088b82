"""The sending half of the dispatcher: one chat's claimed rows, one after the other.

Each send waits for its chat's pace, a slot among ``max_in_flight``, the send brake's
turn and a slot of the gate (free, or paid when :mod:`jobs.paid` allows), then calls
the sender; :mod:`jobs.outcomes` says what the answer means for the row.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Any

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from jobs.dispatch_types import Closed, DispatcherStats, Rendered
from jobs.lease import ClaimLease
from jobs.outcomes import OutcomeRules
from jobs.paid import PaidBroadcasts
from jobs.ratelimit import ChatPacer, SendGate, retry_after_seconds
from jobs.sender import Sender
from jobs.sendpolicy import SendBrake, Ticket
from storage.outbox import BLOCKED, DROPPED, GONE, PENDING, SKIPPED, DeliveryResult, DeliveryWork

log = logging.getLogger(__name__)

Item = tuple[DeliveryWork, Rendered | Closed | None]


class StoppedError(Exception):
    """A claimed delivery was not sent: the dispatcher is stopping, or lost its lease."""


class SendingMixin(ABC):
    """Delivery of claimed rows; :class:`jobs.dispatcher.Dispatcher` provides the state
    and the three bookkeeping methods below."""

    pacer: ChatPacer
    brake: SendBrake
    gate: SendGate
    paid: PaidBroadcasts | None
    sender: Sender
    lease: ClaimLease
    outcomes: OutcomeRules
    _stats: DispatcherStats
    _stopping: bool
    _slots: asyncio.Semaphore
    _http: set[asyncio.Task[Any]]
    _open_chats: set[int]
    _open_rows: int
    _event: asyncio.Event

    @abstractmethod
    def _add_result(self, result: DeliveryResult) -> None:
        """Keep a delivery's result for the next batched write (its lease released)."""

    @abstractmethod
    def _unclaimed(self, work: DeliveryWork) -> DeliveryResult:
        """The result that puts a claimed, unsent row back to pending."""

    @abstractmethod
    def _ahead(self) -> int:
        """How many rows to keep claimed ahead of sending."""

    def _held(self, chat_id: int) -> bool:
        return self.pacer.paused_until(chat_id) > self.pacer.now() or self.brake.held

    async def _deliver_chat(self, chat_id: int, items: list[Item]) -> None:
        """Send one chat's claimed rows, one after the other."""
        done = 0
        try:
            while done < len(items) and not self._stopping:
                work, prepared = items[done]
                try:
                    result = await self._deliver_one(work, prepared)
                except StoppedError:
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
            return DeliveryResult(
                id=work.id, status=status, at=self.outcomes.clock(), error=prepared.reason
            )
        if prepared is None:
            return self.outcomes.transient(work, "render failed", network=False)
        await self.pacer.wait(work.chat_id)
        async with self._slots:
            await self.pacer.wait(work.chat_id)
            while True:
                async with self.brake.turn() as ticket:
                    paid = await self._admit(work)
                    if self.brake.admits(ticket):
                        return await self._call(work, prepared, ticket, paid)
                    if paid and self.paid is not None:
                        self.paid.refund()
                # The brake engaged while this send waited for the gate: wait for it too.

    async def _admit(self, work: DeliveryWork) -> bool:
        """Wait for a free slot, or a paid one when allowed; return whether it is paid."""
        if self.paid is None:
            await self.gate.acquire(high=False)
            return False
        return await self.paid.admit(work)

    async def _call(
        self, work: DeliveryWork, rendered: Rendered, ticket: Ticket, paid: bool = False
    ) -> DeliveryResult:
        """One ``sendMessage`` and what its outcome means for the row."""
        if self._stopping or not self.lease.holds(work.id):
            if paid and self.paid is not None:
                self.paid.refund()
            raise StoppedError
        task = asyncio.current_task()
        if task is not None:
            self._http.add(task)
        self._stats.in_flight += 1
        try:
            message_id = await self.sender.send(work.chat_id, rendered, paid=paid)
        except Exception as error:
            if paid and self.paid is not None:
                self.paid.refund()
            return self._failed(work, error, ticket)
        finally:
            self._stats.in_flight -= 1
            if task is not None:
                self._http.discard(task)
            self.pacer.note_sent(work.chat_id, work.chat_type != "private")
        if paid:
            self._stats.paid += 1
        return self.outcomes.sent(work, message_id, ticket)

    def _failed(self, work: DeliveryWork, error: Exception, ticket: Ticket) -> DeliveryResult:
        rules = self.outcomes
        if isinstance(error, RetryAfter):
            return rules.retry_after(work, retry_after_seconds(error))
        if isinstance(error, Forbidden):
            return rules.blocked(work, error)
        if isinstance(error, ChatMigrated):
            return rules.migrated(work, error.new_chat_id)
        if isinstance(error, BadRequest):
            return rules.bad_request(work, error)
        if isinstance(error, TelegramError):  # NetworkError, TimedOut, 5xx, Conflict, …
            return rules.network_failure(work, error, ticket)
        # A bug, not Telegram: retry, but count the attempts.
        log.error("unexpected error while sending (%s)", type(error).__name__)
        return rules.transient(work, f"{type(error).__name__}: {error}", network=False)
