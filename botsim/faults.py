"""Fault injection for :mod:`botsim`: failing calls, blocked chats, late answers, flood control.

:class:`Faults` is the part of a :class:`~botsim.server.BotApiServer` with which tests
make Telegram misbehave (:meth:`Faults.fail_next`, :meth:`Faults.block`,
:meth:`Faults.delay_next`) and which the Bot API methods consult before they act,
along with Telegram's flood control: at most ``messages_per_second`` sends overall
(``paid_per_second`` for those with ``allow_paid_broadcast``, which cost Stars)
and ``per_chat_per_second`` per chat within any sliding one-second window. It keeps
its own records under the lock of the shared
:class:`~botsim.state.TelegramState` and counts in its stats.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botsim.objects import ApiError
from botsim.state import TelegramState
from botsim.wire import Request

PAID_PER_SECOND = 1000.0
"""Telegram's limit for sends with ``allow_paid_broadcast`` (Bot API 7.11)."""

PAID_MESSAGE_NANOSTARS = 100_000_000
"""What one paid broadcast message costs: 0.1 Star."""

__all__ = ["Faults"]

JSONDict = dict[str, Any]

# Methods subject to fail_next/delay_next; block() also covers sendChatAction.
_FAILABLE = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)
_BLOCKABLE = _FAILABLE | {"sendChatAction"}


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Delay:
    seconds: float
    remaining: int


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 400:
        return "Bad Request: chat not found"
    if status == 401:
        return "Unauthorized"
    if status == 404:
        return "Not Found"
    if status >= 500:
        return "Internal Server Error"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


class Faults:
    """Injected failures, delays and blocks, and the flood-control limits.

    ``messages_per_second`` (sends without ``allow_paid_broadcast``),
    ``paid_per_second`` (sends with it) and ``per_chat_per_second`` (None disables) may
    be changed at any time; they apply from the next send.
    """

    def __init__(
        self,
        state: TelegramState,
        *,
        messages_per_second: float | None,
        per_chat_per_second: float | None,
    ) -> None:
        self._state = state
        self.messages_per_second = messages_per_second
        self.per_chat_per_second = per_chat_per_second
        self._failures: dict[int, deque[_Failure]] = {}
        self._delays: dict[int, deque[_Delay]] = {}
        self._blocked: set[int] = set()
        self._sent_times: deque[float] = deque()
        self._paid_times: deque[float] = deque()
        self.paid_per_second: float | None = PAID_PER_SECOND
        self._chat_sent_times: dict[int, deque[float]] = {}

    def fail_next(
        self,
        chat_id: int,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` sends/edits to ``chat_id`` fail with ``status``.

        Applies to sendMessage, sendDocument and editMessage*. 429 carries
        ``parameters.retry_after`` (default 1); the default descriptions are Telegram's
        (403 blocked by the user, 400 chat not found, 5xx Internal Server Error).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status, not {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or _default_description(status, retry_after)
        with self._state.lock:
            self._failures.setdefault(chat_id, deque()).append(
                _Failure(status, text, retry_after, times)
            )

    def set_star_balance(self, stars: float) -> None:
        """Set the bot's Stars balance (what ``getMyStarBalance`` answers; paid sends spend it)."""
        if stars < 0:
            raise ValueError("stars must be >= 0")
        with self._state.lock:
            self._state.star_balance_nano = round(stars * 1_000_000_000)

    def star_balance(self) -> float:
        """The bot's Stars balance now."""
        with self._state.lock:
            return self._state.star_balance_nano / 1_000_000_000

    def block(self, chat_id: int) -> None:
        """Act as if the user blocked the bot: sends to ``chat_id`` get 403 until unblocked."""
        with self._state.lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo :meth:`block`."""
        with self._state.lock:
            self._blocked.discard(chat_id)

    def delay_next(self, chat_id: int, seconds: float, *, times: int = 1) -> None:
        """Hold the response to the next ``times`` sends/edits to ``chat_id``.

        The request is processed (a message is recorded) and the answer is sent
        ``seconds`` later, the way a client time-out usually looks with Telegram.
        """
        if seconds < 0 or times < 1:
            raise ValueError("seconds must be >= 0 and times >= 1")
        with self._state.lock:
            self._delays.setdefault(chat_id, deque()).append(_Delay(seconds, times))

    # -- what the Bot API methods call, holding the lock ----------------------------

    def _apply_faults(self, request: Request, chat: JSONDict) -> None:
        """Apply delay_next, block and fail_next to a request about ``chat``."""
        chat_id = chat["id"]
        if request.method in _FAILABLE:
            delays = self._delays.get(chat_id)
            if delays:
                request.delay = delays[0].seconds
                delays[0].remaining -= 1
                if delays[0].remaining <= 0:
                    delays.popleft()
        if request.method in _BLOCKABLE and chat_id in self._blocked:
            self._state.stats.blocked += 1
            if chat["type"] == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        if request.method in _FAILABLE:
            failures = self._failures.get(chat_id)
            if failures:
                failure = failures[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    failures.popleft()
                self._state.stats.failed_injected += 1
                raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)

    def _check_rate(self, chat_id: int, paid: bool = False) -> None:
        """Count a send to ``chat_id``, or refuse it with 429 if a window is full.

        Sends without ``allow_paid_broadcast`` share ``messages_per_second`` (30 by
        default, Telegram's free limit); paid ones share ``paid_per_second`` (1000) and
        cost 0.1 Star each from the balance (400 when it is too low).
        """
        now = time.monotonic()
        per_chat = self._chat_sent_times.setdefault(chat_id, deque())
        overall = self._paid_times if paid else self._sent_times
        limit = self.paid_per_second if paid else self.messages_per_second
        for window, cap in ((overall, limit), (per_chat, self.per_chat_per_second)):
            while window and window[0] <= now - 1.0:
                window.popleft()
            if cap is not None and len(window) >= cap:
                self._state.stats.rate_limited += 1
                self._state.stats.rate_limited_paid += int(paid)
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if paid:
            if self._state.star_balance_nano < PAID_MESSAGE_NANOSTARS:
                raise ApiError(400, "Bad Request: not enough Stars to pay for the broadcast")
            self._state.star_balance_nano -= PAID_MESSAGE_NANOSTARS
            self._state.stats.paid += 1
        overall.append(now)
        per_chat.append(now)
