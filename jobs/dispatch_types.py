"""What the dispatcher works with: rendered messages, closed rows, the renderer, counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from storage.outbox import DeliveryWork


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
    paid: int = 0
    """Sends that carried ``allow_paid_broadcast`` (0.1 Star each)."""
