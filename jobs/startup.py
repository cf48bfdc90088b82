"""Reaching the Telegram Bot API at start, stopping on a signal, and no tracebacks for
expected network trouble.

casebot may start before the network is up (after a reboot, or in a container
whose network comes later): :func:`connect` calls ``getMe`` until it answers. Each
failed attempt is one log line naming the server's address (never the token)
and the wait before the next attempt: 1, 2, 4 … up to 60 seconds. A stop signal
ends an attempt or a wait at once. A rejected token (Telegram answers 401, or 404
for a malformed one) cannot be waited out: it raises :class:`TokenRejectedError`,
which the command line turns into :data:`TOKEN_REJECTED` on stderr and exit code 2.

Once running, the Updater's failed polls go to :class:`PollingErrors`: one line
(no traceback) the first time, then at most one a minute with a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from jobs.ratelimit import retry_after_seconds

log = logging.getLogger("casebot")

TOKEN_REJECTED = "Telegram rejected the token: check TELEGRAM_BOT_TOKEN (from @BotFather)"  # noqa: S105
"""What `casebot run` and `casebot worker` print (alone, on stderr) for a rejected token."""
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
POLLING_LOG_INTERVAL = 60.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")


class TokenRejectedError(Exception):
    """Telegram refused the bot token; retrying cannot help. Carries no token."""

    def __init__(self) -> None:
        super().__init__(TOKEN_REJECTED)


class StoppedError(Exception):
    """A stop signal came before the awaited work finished."""


def backoff(first: float = FIRST_DELAY, maximum: float = MAX_DELAY) -> Iterator[float]:
    """Waits between attempts: `first`, then doubling, then `maximum` for ever."""
    delay = first
    while True:
        yield min(delay, maximum)
        delay = min(delay * 2, maximum)


def public_url(url: str) -> str:
    """`url` fit for a log line: scheme, host, port and path, without user, password or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def stop_on_signals(signals: Iterable[int] = STOP_SIGNALS) -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, for the running event loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    return stop


async def unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """The result of `work`; :class:`StoppedError` (`work` cancelled) if `stop` comes first."""
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    if stop.is_set():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise StoppedError
    waiter: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    both: set[asyncio.Future[Any]] = {task, waiter}
    try:
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    raise StoppedError


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text[:200] if text else type(error).__name__


async def connect(
    initialize: Callable[[], Awaitable[None]],
    *,
    api_url: str,
    stop: asyncio.Event,
    delays: Iterable[float] | None = None,
) -> bool:
    """Call `initialize` (``Bot.initialize`` or ``Application.initialize``: ``getMe``) until
    it succeeds; True then, False when `stop` is set first.

    A network error, a time-out or a 5xx logs one line and waits the next of `delays`
    (default :func:`backoff`); a 429 waits what Telegram asks. A rejected token raises
    :class:`TokenRejectedError` (never the library's error, whose text holds the token).
    Other Telegram errors propagate.
    """
    waits = iter(delays if delays is not None else backoff())
    address = public_url(api_url)
    attempts = 0
    while True:
        attempts += 1
        try:
            await unless_stopped(initialize(), stop)
        except StoppedError:
            return False
        except InvalidToken:
            raise TokenRejectedError from None
        except RetryAfter as error:
            delay = retry_after_seconds(error)
            log.warning("the Telegram Bot API asks to wait %g s before the next try", delay)
        except NetworkError as error:  # TimedOut too; 5xx answers come as NetworkError
            delay = next(waits)
            log.warning(
                "cannot reach the Telegram Bot API at %s (%s); trying again in %g s",
                address,
                _reason(error),
                delay,
            )
        else:
            if attempts > 1:
                log.info("reached the Telegram Bot API at %s", address)
            return True
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            continue
        return False


async def stop_application(application: AnyApplication) -> None:
    """Stop what is running of `application` (updater, application, ``post_stop``), then shut
    it down (``shutdown``, ``post_shutdown``); safe whatever was started."""
    try:
        updater = application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        await application.bot.shutdown()  # also when initialize never finished
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


class PollingErrors:
    """The Updater's ``error_callback``: failed polls as one line each, no traceback.

    The first failure of a kind is logged at once, later ones at most once every
    `interval` seconds with how many there were. The Updater keeps polling with its
    own backoff.
    """

    def __init__(self, api_url: str, *, interval: float = POLLING_LOG_INTERVAL) -> None:
        self.address = public_url(api_url)
        self.interval = interval
        self._unlogged: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def __call__(self, error: TelegramError) -> None:
        """Note one failed ``getUpdates``."""
        kind = type(error).__name__
        self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
        now = time.monotonic()
        if now - self._last.get(kind, float("-inf")) < self.interval:
            return
        count, self._unlogged[kind], self._last[kind] = self._unlogged[kind], 0, now
        if isinstance(error, NetworkError):
            log.warning(
                "cannot reach the Telegram Bot API at %s (%s); polling goes on (%d failed)",
                self.address,
                _reason(error),
                count,
            )
        else:
            log.warning(
                "polling for updates failed (%s: %s; %d failed)", kind, _reason(error), count
            )
