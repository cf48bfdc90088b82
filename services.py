"""The running services handlers and jobs share: settings, the database, the clock,
the live name index and the outbox signal.

They are built once, before the Application, and passed to it (``bot.py`` puts them
in ``bot_data["services"]``); nothing patches them after start. The dispatcher,
which exists only once the bot does, listens on the outbox signal instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from settings import Settings
from storage.reads.lookup import LiveIndex


class OutboxSignal:
    """In-process news that alert rows were queued. The dispatcher of this process
    listens; with nobody listening a ring does nothing (the dispatcher's own poll, and
    other processes' dispatchers, find the rows anyway)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, callback: Callable[[], None]) -> None:
        """Call `callback` (which must be safe from any thread) on every ring."""
        self._listeners.append(callback)

    def ring(self) -> None:
        """New rows are queued: tell every listener."""
        for callback in tuple(self._listeners):
            callback()


def utc_now() -> datetime:
    """The real clock (tests pass their own)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """What handlers and jobs reach through ``context.bot_data["services"]``."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = utc_now
    lookup: LiveIndex = field(default_factory=LiveIndex)
    outbox_signal: OutboxSignal = field(default_factory=OutboxSignal)

    def wake_dispatcher(self) -> None:
        """Tell this process's dispatcher that new alert rows were written."""
        self.outbox_signal.ring()
