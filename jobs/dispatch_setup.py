"""The dispatcher of `run`, `chat` and `worker`, built from the settings.

It shares the process's free gate (``CASEBOT_RATE`` up to 30/s, the one interactive
replies pass) and pacer, sends through :class:`~jobs.sender.FastSender`, and follows
``CASEBOT_PAID_BROADCAST`` / ``CASEBOT_PAID_BUDGET`` (:mod:`jobs.paid`): the Stars
balance is read before it starts, and the admins are told when the budget is spent.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from telegram.error import TelegramError
from telegram.ext import ExtBot

from jobs.dispatcher import Dispatcher
from jobs.limiter import PriorityRateLimiter
from jobs.paid import TENTHS_PER_STAR, PaidBroadcasts, star_tenths, tell_admins_budget_spent
from jobs.progress import ProgressReporter
from jobs.render import AlertRenderer
from jobs.sender import FastSender
from services import Services
from settings import Settings

log = logging.getLogger(__name__)

_background: set[asyncio.Task[Any]] = set()


def build_dispatcher(
    *,
    bot: ExtBot[Any],
    limiter: PriorityRateLimiter,
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    worker_id: str = "main",
    renderer: AlertRenderer | None = None,
) -> Dispatcher:
    """The alert dispatcher, with the paid-broadcast policy of the settings (``renderer``:
    the texts and buttons, by default in the settings' zone with no handler buttons)."""
    paid = PaidBroadcasts(
        mode=settings.paid_broadcast,
        budget_stars=settings.paid_budget,
        free_gate=limiter.gate,
        rate=settings.rate,
        clock=clock,
    )

    def exhausted() -> None:
        budget = paid.cap_tenths / TENTHS_PER_STAR
        task = asyncio.get_running_loop().create_task(
            tell_admins_budget_spent(bot, engine, settings.admins, budget)
        )
        _background.add(task)
        task.add_done_callback(_background.discard)

    paid.on_exhausted = exhausted
    in_flight = in_flight_for(paid.rate)
    return Dispatcher(
        engine=engine,
        bot=bot,
        renderer=renderer or AlertRenderer(zone=settings.timezone),
        gate=limiter.gate,
        pacer=limiter.pacer,
        clock=clock,
        worker_id=worker_id,
        max_in_flight=in_flight,
        idle_poll=IDLE_POLL,
        sender=FastSender(bot.base_url, connections=in_flight),
        paid=paid,
    )


IDLE_POLL = 0.25
"""Seconds between two looks at the outbox when nothing woke the dispatcher (a `casebot
worker` is not woken by the Send of another process)."""


def in_flight_for(rate: float) -> int:
    """Sends under way at once: enough for ``rate`` with answers 200 ms away (64 to 256)."""
    return max(64, min(256, int(rate / 5)))


async def read_star_balance(bot: ExtBot[Any], paid: PaidBroadcasts | None) -> float | None:
    """Read the bot's Stars balance (``getMyStarBalance``) into ``paid``; None when unknown."""
    if paid is None:
        return None
    try:
        balance = await bot.get_my_star_balance()
    except TelegramError as error:
        log.warning("could not read the Stars balance (%s)", type(error).__name__)
        return None
    paid.balance_tenths = star_tenths(balance.amount, balance.nanostar_amount or 0)
    stars = paid.balance_tenths / TENTHS_PER_STAR
    log.info("Stars balance: %s; paid broadcasts: %s", f"{stars:g}", paid.mode)
    if paid.enabled and paid.cap_tenths < paid.budget_tenths:
        log.warning(
            "the Stars balance (%s) is below CASEBOT_PAID_BUDGET (%d): paid broadcasts stop there",
            f"{stars:g}",
            settings_budget(paid),
        )
    return stars


def settings_budget(paid: PaidBroadcasts) -> int:
    """The daily budget in whole Stars."""
    return paid.budget_tenths // TENTHS_PER_STAR


def start_progress(bot: ExtBot[Any], services: Services) -> ProgressReporter:
    """The organizers' progress messages, edited every few seconds from now on."""
    reporter = ProgressReporter(
        engine=services.engine,
        bot=bot,
        clock=lambda: services.clock(),  # looked up each time: tests move the clock
    )
    reporter.start()
    return reporter


def settle_memory() -> None:
    """Move everything alive after start-up out of the cyclic collector's way.

    ``gc.freeze()`` puts the objects of the imports and the start (modules, classes,
    SQLAlchemy's and PTB's tables) in a permanent generation that full collections no
    longer scan. Measured at 1,000/s: without it a full collection every ~5 s paused
    the worker for ~55 ms (about 50 slots of the gate each time); with it the largest
    pause between two deliveries was 16 ms. Called by `casebot worker`, a process of
    its own; not in `run`'s start, which tests repeat many times in one process (what
    each freezes would stay in memory).
    """
    gc.collect()
    gc.freeze()
