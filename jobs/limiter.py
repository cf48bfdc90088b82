"""The Application's rate limiter: every send passes the shared gate and its chat's pace.

:class:`PriorityRateLimiter` puts :class:`~jobs.ratelimit.SendGate` and
:class:`~jobs.ratelimit.ChatPacer` in front of every Bot API call python-telegram-bot
makes. Interactive replies go first and never wait out someone else's pause: a long
429 pause of their own chat, or Telegram being unreachable, hands the reply to
:mod:`jobs.deferred`. Broadcast sends (the dispatcher's) re-raise a 429 at once so the
dispatcher reschedules that one chat.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NoReturn

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from jobs.deferred import INTERACTIVE_WAIT, DeferredReplies, ReplyDeferred, is_transient
from jobs.ratelimit import (
    ChatKey,
    ChatPacer,
    JSONResult,
    SendGate,
    chat_key,
    is_group_chat,
    is_send_endpoint,
    retry_after_seconds,
    sleep_until,
)

log = logging.getLogger(__name__)


@dataclass
class LimiterStats:
    """What :class:`PriorityRateLimiter` did (counters for tests, benchmarks, health)."""

    interactive: int = 0
    broadcast: int = 0
    passed_through: int = 0
    group_waits: int = 0
    rate_limited: int = 0
    retried: int = 0
    deferred: int = 0


BROADCAST: dict[str, Any] = {"broadcast": True}
"""``rate_limit_args`` for a broadcast send (low priority, a 429 is re-raised at once)."""

BROADCAST_GATED: dict[str, Any] = {"broadcast": True, "gate_acquired": True}
"""``rate_limit_args`` for a broadcast send whose caller already passed the same gate."""


class PriorityRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """The Application's rate limiter: a shared :class:`SendGate` plus per-chat pacing.

    Use with ``ApplicationBuilder().rate_limiter(PriorityRateLimiter(gate))``. Every
    send-type call (sendMessage, sendDocument, editMessageText, copyMessage, …; not
    getUpdates, answerCallbackQuery, getMe, setMyCommands, sendChatAction) passes the
    gate: at high priority, unless ``rate_limit_args={"broadcast": True}`` is given.

    Interactive calls also wait for a short 429 pause of their chat and for a group's
    20-a-minute pacing; on ``RetryAfter`` they pause that chat only and retry up to
    ``max_retries`` times. A pause longer than
    :data:`~jobs.deferred.INTERACTIVE_WAIT`, a chat with replies already deferred, or
    Telegram unreachable (network error, 5xx) hands the request to
    :attr:`deferred` and raises :class:`~jobs.deferred.ReplyDeferred` in the handler:
    the handler never waits out someone's long pause. Broadcast calls re-raise
    ``RetryAfter`` at once (after pausing the chat): the dispatcher reschedules that
    chat and keeps sending to the others. With ``{"broadcast": True,
    "gate_acquired": True}`` the caller has already passed this same gate and the call
    is not gated twice. Sharing ``pacer`` with the dispatcher makes broadcasts respect
    the pace of interactive replies and vice versa.
    """

    def __init__(
        self,
        gate: SendGate | None = None,
        *,
        pacer: ChatPacer | None = None,
        max_retries: int = 2,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.gate = gate if gate is not None else SendGate()
        self.pacer = pacer if pacer is not None else ChatPacer()
        self.max_retries = max_retries
        self.stats = LimiterStats()
        self.deferred = DeferredReplies(
            ready_at=self.pacer.paused_until,
            pause=self.pacer.pause,
            retry_after=retry_after_seconds,
            gate=functools.partial(self.gate.acquire, high=True),
            clock=self.pacer.now,
        )

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Stop sending deferred replies; those left unsent are counted in the log."""
        await self.deferred.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> JSONResult:
        """Gate, pace and (for interactive calls) retry one Bot API request."""
        if not is_send_endpoint(endpoint):
            self.stats.passed_through += 1
            return await callback(*args, **kwargs)
        options = rate_limit_args or {}
        chat = chat_key(data.get("chat_id"))
        if options.get("broadcast"):
            return await self._broadcast(callback, args, kwargs, chat, options)
        return await self._interactive(callback, args, kwargs, chat)

    async def _broadcast(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        chat: ChatKey | None,
        options: dict[str, Any],
    ) -> JSONResult:
        self.stats.broadcast += 1
        if not options.get("gate_acquired"):
            await self.gate.acquire(high=False)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            self.stats.rate_limited += 1
            if chat is not None:
                self.pacer.pause(chat, retry_after_seconds(error))
            raise

    async def _interactive(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        chat: ChatKey | None,
    ) -> JSONResult:
        self.stats.interactive += 1
        if chat is None:
            await self.gate.acquire(high=True)
            return await callback(*args, **kwargs)
        group = is_group_chat(chat)
        send = functools.partial(callback, *args, **kwargs)
        attempt = 0
        while True:
            if self._must_defer(chat):
                self._defer(chat, send)
            await self.pacer.wait_unpaused(chat)
            if group:
                at = self.pacer.reserve(chat, True)
                if at > self.pacer.now():
                    self.stats.group_waits += 1
                    await sleep_until(functools.partial(float, at), self.pacer.now)
            await self.gate.acquire(high=True)
            try:
                return await send()
            except RetryAfter as error:
                self.stats.rate_limited += 1
                seconds = retry_after_seconds(error)
                self.pacer.pause(chat, seconds)
                if seconds > INTERACTIVE_WAIT or attempt >= self.max_retries:
                    self._defer(chat, send)
                attempt += 1
                self.stats.retried += 1
                log.info("interactive send rate limited; retrying in %.1f s", seconds)
            except TelegramError as error:
                if not is_transient(error):
                    raise
                self._defer(chat, send)  # Telegram is unreachable: try again later, in order
            finally:
                self.pacer.note_sent(chat, group)

    def _must_defer(self, chat: ChatKey) -> bool:
        """A reply waits in the handler only briefly, and never overtakes deferred ones."""
        waits = self.pacer.paused_until(chat) - self.pacer.now()
        return waits > INTERACTIVE_WAIT or self.deferred.has_backlog(chat)

    def _defer(
        self, chat: ChatKey, send: Callable[[], Coroutine[Any, Any, JSONResult]]
    ) -> NoReturn:
        self.stats.deferred += 1
        self.deferred.defer(chat, send)
        raise ReplyDeferred
