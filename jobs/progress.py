"""The organizer's progress message: edited in place every few seconds while alerts go out.

After Send, the preview's message becomes the broadcast's progress message
(:mod:`handlers.broadcasts`). :class:`ProgressReporter` counts each unfinished
broadcast's rows (:func:`storage.broadcasts.progress`, one indexed range read) every
``interval`` seconds and edits the message when its text changed: "12,400 of 19,051
delivered · 3 blocked · about 3 min left" with a Pause (or Resume) button; when none is
left to send, the last edit gives the time it took to reach everyone (paused time not
counted) and removes the button. Times come from the injectable clock; tests call
:meth:`ProgressReporter.tick` themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from handlers import callbacks as cb
from jobs.deferred import ReplyDeferred
from messages.i18n import Translator, translator
from messages.organizer import sent_text
from messages.progress import finished_line, progress_line
from storage import broadcasts
from storage.broadcasts import Progress
from storage.database.engine import session_scope

log = logging.getLogger(__name__)

INTERVAL = 3.0
"""Seconds between two looks at the broadcasts under way."""


@dataclass(frozen=True)
class View:
    """A broadcast as the reporter shows it."""

    id: int
    chat_id: int
    message_id: int | None
    lang: str
    paused: bool
    started_at: datetime
    paused_seconds: float
    progress: Progress


def _elapsed(view: View, now: datetime) -> float:
    return max(0.0, (now - view.started_at).total_seconds() - view.paused_seconds)


def finished_at(view: View, now: datetime) -> datetime:
    """When the broadcast reached everyone: its last delivery (else now)."""
    last = view.progress.last_at
    return last if last is not None and last <= now else now


def render(view: View, now: datetime) -> tuple[str, InlineKeyboardMarkup | None, bool]:
    """The message's text and buttons, and whether the broadcast is finished."""
    t = translator(view.lang)
    p = view.progress
    head = sent_text(t, p.total)
    if p.left == 0:
        took = _elapsed(view, finished_at(view, now))
        line = finished_line(t, delivered=p.delivered, total=p.total, blocked=p.blocked, took=took)
        return f"{head}\n\n{line}", None, True
    done = p.total - p.left
    elapsed = _elapsed(view, now)
    left_seconds = p.left * elapsed / done if done and elapsed > 0 else None
    line = progress_line(
        t,
        delivered=p.delivered,
        total=p.total,
        blocked=p.blocked,
        left_seconds=left_seconds,
        paused=view.paused,
    )
    return f"{head}\n\n{line}", controls(t, view.id, paused=view.paused), False


def controls(t: Translator, broadcast_id: int, *, paused: bool) -> InlineKeyboardMarkup:
    """Pause while it runs, Resume while it is paused."""
    if paused:
        button = cb.BroadcastAction("resume", broadcast_id).button(t.gettext("Resume"))
    else:
        button = cb.BroadcastAction("pause", broadcast_id).button(t.gettext("Pause"))
    return InlineKeyboardMarkup([[button]])


def read_views(engine: Engine, ids: list[int] | None = None) -> list[View]:
    """The unfinished broadcasts (or those of ``ids``) with their progress."""
    with session_scope(engine) as session:
        rows = broadcasts.unfinished(session)
        if ids is not None:
            rows = [row for row in rows if row.id in ids]
        return [
            View(
                id=row.id or 0,
                chat_id=row.chat_id,
                message_id=row.message_id,
                lang=row.lang,
                paused=row.paused,
                started_at=row.started_at,
                paused_seconds=row.paused_seconds,
                progress=broadcasts.progress(session, row),
            )
            for row in rows
        ]


class ProgressReporter:
    """Edits every unfinished broadcast's progress message every ``interval`` seconds."""

    def __init__(
        self,
        *,
        engine: Engine,
        bot: Bot,
        clock: Callable[[], datetime],
        interval: float = INTERVAL,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.clock = clock
        self.interval = interval
        self._shown: dict[int, str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start looking every ``interval`` seconds."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="progress")

    async def stop(self) -> None:
        """Stop looking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except Exception as error:  # keep reporting whatever happens
                log.warning("progress update failed (%s)", type(error).__name__)

    async def tick(self, ids: list[int] | None = None) -> int:
        """Look now: edit each message whose text changed; returns how many were edited."""
        views = await asyncio.to_thread(read_views, self.engine, ids)
        now = self.clock()
        edited = 0
        for view in views:
            text, markup, finished = render(view, now)
            if finished:
                await asyncio.to_thread(self._finish, view.id, finished_at(view, now))
            if view.message_id is None or self._shown.get(view.id) == text:
                continue
            if await self._edit(view, text, markup):
                edited += 1
                self._shown[view.id] = text
            if finished:
                self._shown.pop(view.id, None)
        return edited

    def _finish(self, broadcast_id: int, now: datetime) -> None:
        with session_scope(self.engine) as session:
            broadcasts.finish(session, broadcast_id=broadcast_id, now=now)

    async def _edit(self, view: View, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        try:
            await self.bot.edit_message_text(
                text, chat_id=view.chat_id, message_id=view.message_id, reply_markup=markup
            )
        except ReplyDeferred:
            return True  # Telegram asked to wait: it goes out later
        except BadRequest as error:
            return "not modified" in str(error).lower()
        except TelegramError as error:
            log.info("could not edit a progress message (%s)", type(error).__name__)
            return False
        return True


def reporter_of(bot_data: dict[str, Any]) -> ProgressReporter | None:
    """The process's reporter (put in ``bot_data["progress"]`` at start)."""
    found = bot_data.get("progress")
    return found if isinstance(found, ProgressReporter) else None
