"""Helpers of the botsim tests (test_botsim, test_botsim_sending, test_botsim_failures):
a real python-telegram-bot ``Bot`` run against the local server, and inline keyboards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import HTTPXRequest

from botsim import BotApiServer

T = TypeVar("T")


def run_bot(
    server: BotApiServer,
    action: Callable[[Bot], Awaitable[T]],
    *,
    token: str | None = None,
    read_timeout: float = 5.0,
) -> T:
    """Run ``action`` with a real PTB Bot pointed at ``server``."""

    async def main() -> T:
        bot = Bot(
            token or server.token,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            request=HTTPXRequest(read_timeout=read_timeout),
        )
        async with bot:
            return await action(bot)

    return asyncio.run(main())


def keyboard(*data: str) -> InlineKeyboardMarkup:
    """One button per row for each callback data, labelled with its first 10 characters."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(d[:10] or "x", callback_data=d)] for d in data]
    )
