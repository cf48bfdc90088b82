"""Logging a database operation that fails and is retried: one line when it starts
failing, one when it works again, and a reminder every minute in between.

A locked SQLite file or a dropped PostgreSQL connection is expected now and then;
the dispatcher keeps its outcomes in memory and retries. Such failures are one
warning line each (the error's type only), never a traceback; a lost connection is
named as such. The engine's ``pool_pre_ping`` and SQLAlchemy's invalidation of a
connection that failed with a disconnect make the next attempt use a fresh one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, PendingRollbackError

REMIND_EVERY = 60.0
"""Seconds between two "still failing" lines of one operation."""


def is_lost_connection(error: BaseException) -> bool:
    """Whether ``error`` means the database connection was dropped (it is then discarded)."""
    if isinstance(error, PendingRollbackError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def describe(error: BaseException) -> str:
    """The error's type, and whether the connection was lost: never its message."""
    kind = type(error).__name__
    return f"connection lost: {kind}" if is_lost_connection(error) else kind


class RetryLog:
    """Failures and the recovery of one retried operation, logged once each.

    ``failing`` is a %-format taking the error description (``"could not record
    outcomes (%s); will retry"``); ``recovered`` takes the number of failed attempts
    (``"claims work again after %d failed attempts"``) unless :meth:`succeeded` gets
    its own message.
    """

    def __init__(
        self,
        log: logging.Logger,
        failing: str,
        recovered: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.failing = failing
        self.recovered = recovered
        self.clock = clock
        self.failures = 0
        """Failed attempts since the last success."""
        self._last_line = 0.0

    def failed(self, error: BaseException, *args: object) -> None:
        """One more failed attempt; logs the first, then one line a minute."""
        self.failures += 1
        now = self.clock()
        if self.failures == 1:
            self.log.warning(self.failing, *args, describe(error))
            self._last_line = now
        elif now - self._last_line >= REMIND_EVERY:
            self.log.warning(
                self.failing + " (still failing after %d attempts)",
                *args,
                describe(error),
                self.failures,
            )
            self._last_line = now

    def succeeded(self, message: str | None = None, *args: object) -> None:
        """The operation worked: log the recovery once, if it had failed."""
        if self.failures:
            if message is None:
                self.log.info(self.recovered, self.failures)
            else:
                self.log.info(message, *args, self.failures)
        self.failures = 0
