"""Paid broadcasts: which alerts carry ``allow_paid_broadcast``, and the daily Stars cap.

Telegram lets a bot send about 30 messages a second for free; a send with
``allow_paid_broadcast=true`` (Bot API 7.11) may go beyond that, up to 1,000 a second,
for 0.1 Star each, paid from the bot's Stars balance. :class:`PaidBroadcasts` decides,
send by send:

- an alert that may not be paid for (``CASEBOT_PAID_BROADCAST=off``, with ``urgent`` an
  alert that is not (:func:`is_urgent_alert`), or the day's budget spent) waits for a
  slot of the free gate, the one every interactive reply passes too;
- an alert that may be paid for takes a free slot when one is free right now (no flag,
  no cost), and otherwise a slot of the paid gate (the rest of ``CASEBOT_RATE``) and
  the flag. So only the sends beyond the free 30/s cost anything.

The budget (``CASEBOT_PAID_BUDGET`` Stars a UTC day, and never more than the balance
read at start) is counted in tenths of a Star, reserved before the paid slot is
awaited and given back when the send fails. When it is reached, sending falls back to
the free rate and ``on_exhausted`` is called once that day (the admins are told).
What was spent is kept in ``job_state`` (:meth:`PaidBroadcasts.save`), so a restart
does not reset the day's spending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Bot
from telegram.error import TelegramError

from jobs.deferred import ReplyDeferred
from jobs.ratelimit import SendGate
from messages.i18n import resolve_language, translator
from messages.paid import budget_spent_text
from storage.database.engine import session_scope
from storage.database.models import JobState, Subscriber
from storage.outbox import DeliveryWork
from storage.vocabulary import CUSTODY, URGENT_CUSTODY, AlertKind

log = logging.getLogger(__name__)

OFF, URGENT, ALL = "off", "urgent", "all"
TENTHS_PER_STAR = 10
"""A paid message costs 0.1 Star: the budget is counted in tenths of a Star."""
STATE_NAME = "paid_broadcast"
"""The ``job_state`` row that keeps the day's spending."""


def is_urgent_alert(work: DeliveryWork) -> bool:
    """Urgent for ``CASEBOT_PAID_BROADCAST=urgent``: the outbox's urgent rows (a deportation
    threatened or ordered) and status alerts of a detention or a release."""
    if work.urgent:
        return True
    payload = work.payload
    return (
        work.kind == AlertKind.STATUS
        and payload.get("dimension") == CUSTODY
        and payload.get("new") in URGENT_CUSTODY
    )


def star_tenths(amount: int, nanostar_amount: int = 0) -> int:
    """A Stars amount (``StarAmount``) in whole tenths of a Star, rounded down."""
    return amount * TENTHS_PER_STAR + nanostar_amount // 100_000_000


class PaidBroadcasts:
    """The paid-broadcast policy of one dispatcher (see the module docstring).

    ``free_gate`` is the process's shared gate (30/s or less); ``rate`` the most
    messages a second altogether (``CASEBOT_RATE``). ``clock`` gives the current UTC
    time (the budget's day). ``on_exhausted`` runs (without waiting) when the day's
    budget is reached.
    """

    def __init__(
        self,
        *,
        mode: str,
        budget_stars: int,
        free_gate: SendGate,
        rate: float,
        clock: Callable[[], datetime],
        on_exhausted: Callable[[], Any] | None = None,
    ) -> None:
        if mode not in (OFF, URGENT, ALL):
            raise ValueError(f"mode must be off, urgent or all, not {mode!r}")
        self.mode = mode
        self.budget_tenths = max(0, budget_stars) * TENTHS_PER_STAR
        self.free_gate = free_gate
        extra = rate - free_gate.rate
        self.paid_gate = SendGate(extra) if mode != OFF and extra > 0 else None
        self.clock = clock
        self.on_exhausted = on_exhausted
        self.balance_tenths: int | None = None
        """The Stars balance read at start (tenths), or None when unknown."""
        self.day: date = clock().date()
        self.spent_tenths = 0
        """Tenths of a Star reserved or spent today."""
        self.told = False
        """Whether the admins were told today that the budget is spent."""
        self.paid_sends = 0
        """Paid sends since start (admitted, less those that failed)."""
        self._spent_since_start = 0
        self._dirty = False

    @property
    def enabled(self) -> bool:
        """Whether any send may be paid for."""
        return self.paid_gate is not None

    @property
    def cap_tenths(self) -> int:
        """Today's most spending: the budget, and never more than the balance allows."""
        balance = self.balance_now_tenths
        if balance is None:
            return self.budget_tenths
        return min(self.budget_tenths, self.spent_tenths + balance)

    @property
    def balance_now_tenths(self) -> int | None:
        """The balance read at start less what paid sends spent since (tenths of a Star)."""
        if self.balance_tenths is None:
            return None
        return max(0, self.balance_tenths - self._spent_since_start)

    @property
    def exhausted(self) -> bool:
        """Whether today's budget is spent (sending is back at the free rate)."""
        self._roll_day()
        return self.spent_tenths >= self.cap_tenths

    @property
    def rate(self) -> float:
        """Messages a second the dispatcher may send now (free, plus paid while allowed)."""
        if self.paid_gate is None or self.exhausted:
            return self.free_gate.rate
        return self.free_gate.rate + self.paid_gate.rate

    def covers(self, work: DeliveryWork) -> bool:
        """Whether this delivery is opted into paid broadcasts (``urgent``: see
        :func:`is_urgent_alert`; ``all``: every delivery)."""
        return self.paid_gate is not None and (self.mode == ALL or is_urgent_alert(work))

    async def admit(self, work: DeliveryWork) -> bool:
        """Wait for a slot; return whether this send must carry ``allow_paid_broadcast``."""
        if not self.covers(work) or not self._reserve():
            await self.free_gate.acquire(high=False)
            return False
        if self.free_gate.try_acquire(high=False):
            self._release()  # a free slot: no flag, no cost
            return False
        assert self.paid_gate is not None
        try:
            await self.paid_gate.acquire(high=False)
        except BaseException:
            self._release()
            raise
        self.paid_sends += 1
        return True

    def refund(self) -> None:
        """A paid send failed: its tenth of a Star was not spent."""
        self.paid_sends -= 1
        self._release()

    def _reserve(self) -> bool:
        self._roll_day()
        if self.spent_tenths >= self.cap_tenths:
            self._note_exhausted()
            return False
        self.spent_tenths += 1
        self._spent_since_start += 1
        self._dirty = True
        if self.spent_tenths >= self.cap_tenths:
            self._note_exhausted()
        return True

    def _release(self) -> None:
        self.spent_tenths = max(0, self.spent_tenths - 1)
        self._spent_since_start = max(0, self._spent_since_start - 1)
        self._dirty = True

    def _roll_day(self) -> None:
        today = self.clock().date()
        if today != self.day:
            self.day, self.spent_tenths, self.told, self._dirty = today, 0, False, True

    def _note_exhausted(self) -> None:
        if self.told:
            return
        self.told = True
        self._dirty = True
        log.warning(
            "paid broadcasts: today's budget of %d Stars is spent; back to the free rate",
            self.cap_tenths // TENTHS_PER_STAR,
        )
        if self.on_exhausted is not None:
            self.on_exhausted()

    # -- persistence ---------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Read today's spending kept by a previous run (nothing when it was another day)."""
        row = session.get(JobState, STATE_NAME)
        if row is None:
            return
        detail = row.detail
        if detail.get("day") == self.clock().date().isoformat():
            self.spent_tenths = int(detail.get("spent_tenths", 0))
            self.told = bool(detail.get("told", False))

    def save(self, session: Session) -> bool:
        """Keep today's spending in ``job_state`` when it changed; returns whether it wrote."""
        if not self._dirty:
            return False
        self._dirty = False
        detail = {
            "day": self.day.isoformat(),
            "spent_tenths": self.spent_tenths,
            "told": self.told,
        }
        row = session.get(JobState, STATE_NAME)
        if row is None:
            session.add(JobState(name=STATE_NAME, last_run_at=self.clock(), detail=detail))
        else:
            row.detail = detail
            row.last_run_at = self.clock()
            session.add(row)
        return True

    def summary(self) -> dict[str, Any]:
        """What /stats and /healthz show: mode, balance, today's spending and cap (Stars)."""
        now = self.balance_now_tenths
        balance = None if now is None else now / TENTHS_PER_STAR
        return {
            "mode": self.mode,
            "balance_stars": balance,
            "spent_today_stars": self.spent_tenths / TENTHS_PER_STAR,
            "budget_stars": self.budget_tenths // TENTHS_PER_STAR,
            "exhausted": self.enabled and self.exhausted,
        }


def _languages(engine: Engine, admins: Iterable[int]) -> dict[int, str]:
    with session_scope(engine) as session:
        found: dict[int, str] = {}
        for admin in admins:
            row = session.get(Subscriber, admin)
            found[admin] = resolve_language(
                row.lang if row else None, row.telegram_lang if row else None
            )
        return found


async def tell_admins_budget_spent(
    bot: Bot, engine: Engine, admins: Iterable[int], budget_stars: float
) -> int:
    """Tell every admin, in their language, that today's paid budget is spent; returns how
    many were told (an admin who never wrote to the bot cannot be messaged)."""
    languages = await asyncio.to_thread(_languages, engine, list(admins))
    told = 0
    for admin, lang in languages.items():
        try:
            await bot.send_message(admin, budget_spent_text(translator(lang), budget_stars))
            told += 1
        except ReplyDeferred:  # Telegram asked to wait: it goes out later, in order
            told += 1
        except TelegramError as error:
            log.warning("could not tell an admin the budget is spent (%s)", type(error).__name__)
    return told
