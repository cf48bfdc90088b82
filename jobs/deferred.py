"""Replies that could not go at once: sent later, in order, by one task per chat.

A user's reply must never hold up anyone else. When a chat is paused by a 429 for
longer than a handler may wait (:data:`INTERACTIVE_WAIT`), or Telegram cannot be
reached, :class:`~jobs.limiter.PriorityRateLimiter` hands the request to
:class:`DeferredReplies` and raises :class:`ReplyDeferred` in the handler, which
ends at once (the error handler knows this is not a failure). One task per chat then
sends that chat's deferred requests in the order they came: after the pause, and
after network errors with a growing backoff, until :data:`GIVE_UP_AFTER` has
passed. A reply that could not be sent by then, or that was still waiting when the
bot stopped, is logged (a count and the error type, never a chat id or text):
nothing is dropped silently.

Written here rather than taken from a library: PTB's ``AIORateLimiter`` retries
inside the caller (the stall this module removes) and knows nothing of per-chat
order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)

INTERACTIVE_WAIT = 2.0
"""The longest a handler waits for its chat to be free; beyond it, the reply is deferred."""

GIVE_UP_AFTER = 15 * 60.0
"""Seconds a deferred reply is retried before it is logged as lost."""

MAX_BACKOFF = 60.0
"""The longest pause between two attempts after network errors."""

ChatKey = int | str
Send = Callable[[], Awaitable[object]]


class ReplyDeferred(Exception):  # noqa: N818 (it is an outcome, not an error)
    """Raised in a handler whose reply will be sent later, by :class:`DeferredReplies`."""


def is_transient(error: TelegramError) -> bool:
    """Whether a failed send may succeed later: a network error or a 5xx, not a 400."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


@dataclass
class _Reply:
    send: Send
    since: float


@dataclass
class _ChatQueue:
    replies: deque[_Reply] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class DeferredReplies:
    """The deferred requests of every chat, each chat's sent in order by its own task.

    ``ready_at(chat)`` says when the chat may receive (its 429 pause); ``gate`` is
    awaited before each attempt (the shared send gate, high priority); ``clock`` is
    monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        *,
        ready_at: Callable[[ChatKey], float],
        pause: Callable[[ChatKey, float], None],
        retry_after: Callable[[RetryAfter], float],
        gate: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        give_up_after: float = GIVE_UP_AFTER,
    ) -> None:
        self._ready_at = ready_at
        self._pause = pause
        self._retry_after = retry_after
        self._gate = gate
        self._clock = clock
        self.give_up_after = give_up_after
        self._chats: dict[ChatKey, _ChatQueue] = {}
        self.sent = 0
        """Deferred replies delivered (for tests and health)."""
        self.lost = 0
        """Deferred replies given up on or left unsent at stop."""

    def has_backlog(self, chat: ChatKey) -> bool:
        """Whether ``chat`` has replies waiting (a new one must queue behind them)."""
        queue = self._chats.get(chat)
        return queue is not None and bool(queue.replies)

    @property
    def waiting(self) -> int:
        """How many replies wait, over all chats."""
        return sum(len(queue.replies) for queue in self._chats.values())

    def defer(self, chat: ChatKey, send: Send) -> None:
        """Queue one request for ``chat``; its task sends it after those before it."""
        queue = self._chats.setdefault(chat, _ChatQueue())
        queue.replies.append(_Reply(send, self._clock()))
        if queue.task is None or queue.task.done():
            queue.task = asyncio.get_running_loop().create_task(
                self._drain(chat, queue), name="deferred-replies"
            )

    async def _drain(self, chat: ChatKey, queue: _ChatQueue) -> None:
        backoff = 1.0
        while queue.replies:
            reply = queue.replies[0]
            delay = self._ready_at(chat) - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            if self._clock() - reply.since > self.give_up_after:
                queue.replies.popleft()
                self.lost += 1
                log.warning("a deferred reply was given up after %.0f s", self.give_up_after)
                continue
            await self._gate()
            try:
                await reply.send()
            except RetryAfter as error:
                self._pause(chat, self._retry_after(error))
                continue
            except TelegramError as error:
                if is_transient(error):
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                queue.replies.popleft()
                self.lost += 1
                log.warning("a deferred reply was refused: %s", type(error).__name__)
                continue
            except Exception as error:  # a bug must not strand the chat's other replies
                queue.replies.popleft()
                self.lost += 1
                log.error("a deferred reply failed: %s", type(error).__name__)
                continue
            queue.replies.popleft()
            self.sent += 1
            backoff = 1.0
        if self._chats.get(chat) is queue:
            del self._chats[chat]

    async def close(self) -> None:
        """Stop every chat's task; log how many replies were left unsent."""
        left = self.waiting
        tasks = [queue.task for queue in self._chats.values() if queue.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._chats.clear()
        if left:
            self.lost += left
            log.warning("stopping: %d deferred replies were not sent", left)
