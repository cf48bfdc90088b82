"""How the dispatcher calls ``sendMessage``: a lean path for alerts, PTB for everything else.

An alert needs one HTTP call and, from the answer, only the message id. Going through
``Bot.send_message`` costs several times the HTTP call itself in CPU: building
``InlineKeyboardMarkup`` and ``RequestParameter`` objects, the rate limiter's
wrapper, and parsing the answer into a full ``Message``. So:

- :class:`AiohttpRequest` is a python-telegram-bot request class
  (``telegram.request.BaseRequest``, made to be replaced) on one aiohttp session:
  PTB's own ``_request_wrapper`` still turns every HTTP status into the same
  exceptions (``RetryAfter``, ``Forbidden``, ``BadRequest``, ``ChatMigrated``,
  ``NetworkError``, ``TimedOut``), so the dispatcher's handling of outcomes is that
  of PTB, unchanged.
- :class:`FastSender` encodes the JSON once (:class:`JsonBody`), posts it through
  that request, and reads ``message_id`` from the decoded answer: no ``Message``.
- :class:`PtbSender` sends through a ``Bot`` (used when a test or an embedding gives
  the dispatcher a bot of its own and no sender).

The rest of the bot (handlers, replies, edits, files) keeps using PTB as before.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol, cast

import aiohttp
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram._utils.defaultvalue import DefaultValue
from telegram.constants import ParseMode
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from jobs.sendpolicy import SendTimeouts

if TYPE_CHECKING:
    from jobs.dispatch_types import Rendered


class Sender(Protocol):
    """Sends one rendered alert; returns Telegram's message id or raises a ``TelegramError``."""

    async def start(self) -> None:
        """Open connections (called by the dispatcher's start)."""

    async def close(self) -> None:
        """Close connections (called by the dispatcher's stop)."""

    async def send(self, chat_id: int, rendered: Rendered, *, paid: bool) -> int:
        """``sendMessage`` with the rendered text; ``paid`` sets ``allow_paid_broadcast``."""
        ...


class JsonBody:
    """Request data whose JSON body is already encoded (no ``RequestParameter`` objects).

    It stands in for ``RequestData`` (a final class) on the way through PTB's
    ``BaseRequest.post`` to :meth:`AiohttpRequest.do_request`, which reads only
    :attr:`json_payload` and :attr:`contains_files`.
    """

    __slots__ = ("json_payload",)
    contains_files = False

    def __init__(self, body: bytes) -> None:
        self.json_payload = body

    def as_request_data(self) -> RequestData:
        """This object, typed as what ``BaseRequest.post`` expects."""
        return cast("RequestData", self)


def _seconds(value: Any) -> float | None:
    if isinstance(value, DefaultValue):
        value = value.value
    return None if value is None else float(value)


class AiohttpRequest(BaseRequest):
    """A PTB request class on aiohttp, for JSON requests (no file uploads).

    ``connections`` caps the open connections (the dispatcher's ``max_in_flight``).
    Time-outs: a connect time-out is raised as ``TimedOut`` caused by
    ``aiohttp.ConnectionTimeoutError`` (nothing was sent); the answer must then come
    within the read time-out (one timer for the whole call, ``total`` = connect +
    read: a per-read timer is re-armed on every chunk received and costs CPU at
    1,000/s), else ``TimedOut`` caused by ``TimeoutError`` (the request may have
    arrived). The ``ClientTimeout`` of the usual time-outs is built once.
    """

    def __init__(self, *, connections: int = 64, timeouts: SendTimeouts | None = None) -> None:
        self._connections = connections
        self._timeouts = timeouts if timeouts is not None else SendTimeouts()
        self._session: aiohttp.ClientSession | None = None
        self._usual = self._client_timeout(self._timeouts.read, self._timeouts.connect)

    @staticmethod
    def _client_timeout(read: float | None, connect: float | None) -> aiohttp.ClientTimeout:
        total = None if read is None or connect is None else read + connect
        return aiohttp.ClientTimeout(total=total, sock_connect=connect)

    def _timeout(self, read: float | None, connect: float | None) -> aiohttp.ClientTimeout:
        read = read if read is not None else self._timeouts.read
        connect = connect if connect is not None else self._timeouts.connect
        if read == self._timeouts.read and connect == self._timeouts.connect:
            return self._usual
        return self._client_timeout(read, connect)

    @property
    def read_timeout(self) -> float | None:
        """The default read time-out."""
        return self._timeouts.read

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                json_serialize=json.dumps,
                skip_auto_headers=("User-Agent",),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP request; returns the status and the body."""
        if self._session is None:
            await self.initialize()
        assert self._session is not None
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest sends JSON only; use PTB's request for files")
        timeout = self._timeout(_seconds(read_timeout), _seconds(connect_timeout))
        body = request_data.json_payload if request_data is not None else None
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers={"Content-Type": "application/json"} if body else None,
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except aiohttp.ServerTimeoutError as error:
            raise TimedOut(type(error).__name__) from error
        except TimeoutError as error:
            raise TimedOut("timed out") from error
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as error:
            raise NetworkError(f"{type(error).__name__}: {error}") from error


def message_body(chat_id: int, rendered: Rendered, *, paid: bool) -> bytes:
    """The ``sendMessage`` JSON of one alert (HTML, no link preview)."""
    payload: dict[str, Any] = {
        "chat_id": chat_id,
        "text": rendered.text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if rendered.buttons:
        payload["reply_markup"] = {
            "inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in row]
                for row in rendered.buttons
            ]
        }
    if rendered.disable_notification:
        payload["disable_notification"] = True
    if paid:
        payload["allow_paid_broadcast"] = True
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class FastSender:
    """Sends alerts through :class:`AiohttpRequest`; reads only the message id.

    ``base_url`` is the bot's (``{TELEGRAM_API_URL}/bot{token}``, as ``Bot.base_url``).
    """

    def __init__(
        self, base_url: str, *, connections: int = 64, timeouts: SendTimeouts | None = None
    ) -> None:
        self.url = f"{base_url}/sendMessage"
        self.timeouts = timeouts if timeouts is not None else SendTimeouts()
        self.request = AiohttpRequest(connections=connections, timeouts=self.timeouts)

    async def start(self) -> None:
        """Open the session."""
        await self.request.initialize()

    async def close(self) -> None:
        """Close the session."""
        await self.request.shutdown()

    async def send(self, chat_id: int, rendered: Rendered, *, paid: bool) -> int:
        """``sendMessage``; returns the message id."""
        result = await self.request.post(
            self.url,
            request_data=JsonBody(message_body(chat_id, rendered, paid=paid)).as_request_data(),
            read_timeout=self.timeouts.read,
            write_timeout=self.timeouts.write,
            connect_timeout=self.timeouts.connect,
        )
        assert isinstance(result, dict)
        return int(result["message_id"])


class PtbSender:
    """Sends alerts with ``Bot.send_message`` (through the bot's rate limiter, if any)."""

    def __init__(
        self,
        bot: Bot,
        *,
        rate_limit_args: dict[str, Any] | None = None,
        timeouts: SendTimeouts | None = None,
    ) -> None:
        self.bot = bot
        self.rate_limit_args = rate_limit_args
        self.timeouts = timeouts if timeouts is not None else SendTimeouts()

    async def start(self) -> None:
        """Nothing to open: the bot is initialized by its owner."""

    async def close(self) -> None:
        """Nothing to close."""

    async def send(self, chat_id: int, rendered: Rendered, *, paid: bool) -> int:
        """``Bot.send_message``; returns the message id."""
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in rendered.buttons
                ]
            )
            if rendered.buttons
            else None
        )
        kwargs: dict[str, Any] = {
            "chat_id": chat_id,
            "text": rendered.text,
            "parse_mode": ParseMode.HTML,
            "reply_markup": markup,
            "disable_notification": rendered.disable_notification,
            "link_preview_options": LinkPreviewOptions(is_disabled=True),
            **self.timeouts.as_kwargs(),
        }
        if paid:
            kwargs["allow_paid_broadcast"] = True
        if isinstance(self.bot, ExtBot) and self.rate_limit_args is not None:
            message = await self.bot.send_message(**kwargs, rate_limit_args=self.rate_limit_args)
        else:
            message = await self.bot.send_message(**kwargs)
        return message.message_id
