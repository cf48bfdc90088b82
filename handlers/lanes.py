"""Updates handled concurrently, each chat's in order, with nobody waiting on anyone else.

python-telegram-bot handles updates one at a time unless told otherwise; then one
user's slow reply (a chat paused by a 429, a flood being slowed down) holds up every
other user. :class:`FairUpdateProcessor` gives every chat a *lane*: the updates of
one chat run one after the other, in the order they came, while different chats run
side by side, at most ``workers`` handlers at once. An update waiting for its turn in
its lane, or waiting out its user's flood pacing, holds no handler slot, so a user
sending thousands of commands delays only themselves.

An :class:`Admission` policy (flood control, :mod:`handlers.flood`) looks at each
update when it arrives and says whether to handle it now, later (and when), or not
at all. Updates no handler would act on skip the lanes.

:class:`CasebotApplication` tells the processor when the bot is stopping: updates
still waiting in a lane are then skipped (and counted in the log) instead of keeping
SIGTERM waiting for a slowed-down user's backlog.

Written here because PTB ships only :class:`~telegram.ext.SimpleUpdateProcessor`,
which has no per-chat order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

log = logging.getLogger(__name__)

WORKERS = 16
"""Handlers running at once (each mostly waits on the database or on Telegram)."""

_UNBOUNDED = 1 << 30
"""PTB's own cap on updates in flight: not ours to enforce (the lanes are)."""


@dataclass(frozen=True)
class Ticket:
    """What the admission policy decided for one update."""

    handle: bool
    """False: skip the update (the user was told, or is being told)."""
    not_before: float = 0.0
    """The monotonic time before which the update must not be handled."""


class Admission(Protocol):
    """Decides, as an update arrives, whether and when it is handled."""

    async def admit(self, update: Update, now: float) -> Ticket:
        """The ticket of one update a handler would act on."""
        ...


def lane_of(update: object) -> Hashable | None:
    """The lane of an update: its chat, else its user; None for updates of neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    members: int = 0


class FairUpdateProcessor(BaseUpdateProcessor):
    """Concurrent update processing with one ordered lane per chat (see the module)."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_concurrent_updates=_UNBOUNDED)
        self._workers = asyncio.Semaphore(workers)
        self._clock = clock
        self._lanes: dict[Hashable, _Lane] = {}
        self._stopping = asyncio.Event()
        self.admission: Admission | None = None
        self.handles: Callable[[Update], bool] = lambda _update: True
        """Whether some handler would act on an update (set by the application)."""
        self.skipped_at_stop = 0

    @property
    def waiting(self) -> int:
        """Updates in lanes (running or waiting their turn)."""
        return sum(lane.members for lane in self._lanes.values())

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run one update in its chat's lane, after its admission and its turn."""
        key = lane_of(update)
        if key is None or not isinstance(update, Update) or not self.handles(update):
            await coroutine  # nothing would act on it, or it belongs to no chat
            return
        ticket = Ticket(handle=True)
        if self.admission is not None:
            ticket = await self.admission.admit(update, self._clock())
        if not ticket.handle or self._stopping.is_set():
            _discard(coroutine)
            return
        lane = self._lanes.setdefault(key, _Lane())
        lane.members += 1
        try:
            async with lane.lock:
                if await self._wait_until(ticket.not_before):
                    async with self._workers:
                        await coroutine
                        return
                self.skipped_at_stop += 1
                _discard(coroutine)
        finally:
            lane.members -= 1
            if lane.members == 0 and self._lanes.get(key) is lane:
                del self._lanes[key]

    async def _wait_until(self, not_before: float) -> bool:
        """Sleep until ``not_before``; False when the bot began stopping meanwhile."""
        delay = not_before - self._clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        return not self._stopping.is_set()

    def stop_waiting(self) -> None:
        """The bot is stopping: updates not yet started are skipped from now on."""
        self._stopping.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Log how many waiting updates the stop skipped."""
        if self.skipped_at_stop:
            log.warning(
                "stopping: %d updates from slowed-down users were not answered",
                self.skipped_at_stop,
            )


def _discard(coroutine: Awaitable[Any]) -> None:
    """Drop an update's processing coroutine without running it (and without a warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


class CasebotApplication(Application):  # type: ignore[type-arg]
    """The Application, telling its update processor first when it stops."""

    async def stop(self) -> None:
        """Skip updates still waiting in lanes, then stop as PTB does."""
        processor = self.update_processor
        if isinstance(processor, FairUpdateProcessor):
            processor.stop_waiting()
        await super().stop()


def handled_by_some_handler(app: Application) -> Callable[[Update], bool]:  # type: ignore[type-arg]
    """A predicate: would any handler of ``app`` (in any group) act on the update?"""

    def handles(update: Update) -> bool:
        for group_handlers in app.handlers.values():
            for handler in group_handlers:
                check = handler.check_update(update)
                if check is not None and check is not False:
                    return True
        return False

    return handles
