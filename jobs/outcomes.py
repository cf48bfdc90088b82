"""What each answer to a ``sendMessage`` means for its outbox row.

success → sent (with Telegram's message id); ``RetryAfter`` → pending again at
``now + retry_after`` and that chat paused; ``Forbidden`` → blocked; ``ChatMigrated``
or a ``BadRequest`` saying the chat is gone → gone; any other ``BadRequest`` → failed
(it would fail again); network errors, time-outs and 5xx → pending with exponential
backoff and one more attempt, failed after ``max_attempts`` — except while the send
brake holds (Telegram unreachable or slow), when attempts are not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram.error import BadRequest, TelegramError, TimedOut

from jobs.dispatch_types import DispatcherStats
from jobs.ratelimit import ChatPacer
from jobs.sendpolicy import SendBrake, Ticket, maybe_delivered
from storage.outbox import BLOCKED, FAILED, GONE, PENDING, SENT, DeliveryResult, DeliveryWork

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


class OutcomeRules:
    """Turns the answer to one send into a :class:`~storage.outbox.DeliveryResult`."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        stats: DispatcherStats,
        brake: SendBrake,
        pacer: ChatPacer,
        backoff: Callable[[int], float],
        max_attempts: int,
    ) -> None:
        self.clock = clock
        self.stats = stats
        self.brake = brake
        self.pacer = pacer
        self.backoff = backoff
        self.max_attempts = max_attempts

    def sent(self, work: DeliveryWork, message_id: int, ticket: Ticket) -> DeliveryResult:
        """Telegram accepted the message."""
        self.stats.sent += 1
        if self.brake.note_success(ticket):
            log.info("Telegram answers normally again; sending at full speed")
        return DeliveryResult(
            id=work.id,
            status=SENT,
            at=self.clock(),
            message_id=message_id,
            attempts=work.attempts + 1,
        )

    def retry_after(self, work: DeliveryWork, seconds: float) -> DeliveryResult:
        """A 429: pause that chat only and try again after ``seconds``."""
        self.pacer.pause(work.chat_id, seconds)
        self.stats.rate_limited += 1
        return DeliveryResult(
            id=work.id,
            status=PENDING,
            at=self.clock(),
            retry_at=self.clock() + timedelta(seconds=seconds),
            error=f"429 retry after {seconds:g}",
        )

    def blocked(self, work: DeliveryWork, error: TelegramError) -> DeliveryResult:
        """A 403: the user blocked the bot (or the bot was removed from the group)."""
        self.stats.blocked += 1
        return DeliveryResult(id=work.id, status=BLOCKED, at=self.clock(), error=str(error))

    def migrated(self, work: DeliveryWork, new_chat_id: int) -> DeliveryResult:
        """The group became a supergroup with another id: this chat is gone."""
        self.stats.gone += 1
        return DeliveryResult(
            id=work.id,
            status=GONE,
            at=self.clock(),
            error=f"migrated to supergroup {new_chat_id}",
        )

    def bad_request(self, work: DeliveryWork, error: BadRequest) -> DeliveryResult:
        """A 400: the chat is gone, or the message would fail again."""
        text = str(error)
        if any(marker in text.lower() for marker in GONE_MARKERS):
            self.stats.gone += 1
            return DeliveryResult(id=work.id, status=GONE, at=self.clock(), error=text)
        self.stats.failed += 1
        log.warning("a delivery failed permanently (BadRequest)")
        return DeliveryResult(
            id=work.id, status=FAILED, at=self.clock(), error=text, attempts=work.attempts + 1
        )

    def network_failure(
        self, work: DeliveryWork, error: TelegramError, ticket: Ticket
    ) -> DeliveryResult:
        """A send failed on the way (no answer, 5xx, a time-out): tell the brake, retry later."""
        timed_out = isinstance(error, TimedOut)
        if timed_out:
            self.stats.timed_out += 1
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
        return self.transient(work, f"{type(error).__name__}: {error}", network=True, at_least=wait)

    def transient(
        self, work: DeliveryWork, error: str, *, network: bool, at_least: float = 0.0
    ) -> DeliveryResult:
        """A failure that may pass: retry later with backoff, or give up after max_attempts."""
        now = self.clock()
        if network and self.brake.slowed:
            # Telegram (or our network) is down or slow: don't spend this delivery's
            # attempts; it is claimed again when the brake lets sends through.
            self.stats.retried += 1
            delay = max(at_least, self.brake.hold_remaining())
            return _retry(work, now, delay, error, attempts=work.attempts)
        attempts = work.attempts + 1
        if attempts >= self.max_attempts:
            self.stats.failed += 1
            log.warning(
                "a delivery failed after %d attempts (%s)", attempts, error.split(":", 1)[0]
            )
            return DeliveryResult(id=work.id, status=FAILED, at=now, error=error, attempts=attempts)
        self.stats.retried += 1
        return _retry(work, now, max(at_least, self.backoff(attempts)), error, attempts=attempts)


def _retry(
    work: DeliveryWork, now: datetime, delay: float, error: str, *, attempts: int
) -> DeliveryResult:
    """Back to pending, to be tried again ``delay`` seconds from ``now``."""
    return DeliveryResult(
        id=work.id,
        status=PENDING,
        at=now,
        retry_at=now + timedelta(seconds=delay),
        error=error,
        attempts=attempts,
    )
