"""A sent change's progress message and its Pause and Resume buttons.

After Send, the preview's message shows how the alerts go out (``jobs.progress`` edits
it every few seconds); Pause holds the broadcast's deliveries not yet claimed — in the
database, so across restarts too — and Resume lets them go again, none lost.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import Application, CallbackQueryHandler

from handlers import callbacks as cb
from handlers.common import Context, answer_press, edit_in_place, run_db, services
from handlers.rights import organizers_only
from jobs.progress import read_views, render, reporter_of
from messages import Translator
from messages.organizer import sent_text
from messages.progress import recent_line
from storage.broadcasts import open_broadcast, recent, set_message, set_paused
from storage.usecases.drafts import DraftOutcome


async def show_progress(
    query: CallbackQuery, context: Context, t: Translator, outcome: DraftOutcome
) -> None:
    """Turn the preview's message into the broadcast's progress message (with Pause)."""
    result = outcome.result
    count = result.alerts if result else 0
    message = query.message
    if result is None or not result.prefix or not count or message is None:
        await edit_in_place(query, sent_text(t, count))
        return

    def create(session: Any) -> int:
        broadcast = open_broadcast(
            session,
            draft_id=outcome.draft_id,
            case_id=result.case_id,
            prefix=result.prefix,
            chat_id=message.chat.id,
            lang=t.lang,
            now=services(context).clock(),
        )
        set_message(session, broadcast_id=broadcast.id or 0, message_id=message.message_id)
        return broadcast.id or 0

    broadcast_id = await run_db(context, create)
    await _refresh(query, context, broadcast_id, fallback=sent_text(t, count))


async def _refresh(
    query: CallbackQuery, context: Context, broadcast_id: int, fallback: str
) -> None:
    views = await asyncio.to_thread(read_views, services(context).engine, [broadcast_id])
    if not views:
        await edit_in_place(query, fallback)
        return
    text, markup, _ = render(views[0], services(context).clock())
    await edit_in_place(query, text, markup)


@organizers_only
async def broadcast_button(update: Update, context: Context, t: Translator) -> None:
    """Pause or Resume: hold the broadcast's deliveries, or let them go on."""
    button = await answer_press(update, cb.BroadcastAction)
    if button is None:
        return
    paused = button.action == "pause"

    def change(session: Any) -> bool:
        found = set_paused(
            session, broadcast_id=button.broadcast_id, paused=paused, now=services(context).clock()
        )
        return found is not None

    if not await run_db(context, change):  # finished meanwhile: the next look shows the end
        reporter = reporter_of(context.bot_data)
        if reporter is not None:
            await reporter.tick([button.broadcast_id])
        return
    if not paused:
        services(context).wake_dispatcher()
    query = update.callback_query
    assert query is not None
    await _refresh(query, context, button.broadcast_id, fallback=sent_text(t, 0))


def recent_lines(session: Any, *, t: Translator, zone: str, limit: int = 5) -> list[str]:
    """The /stats section on the latest broadcasts (empty when there was none)."""
    rows = recent(session, limit=limit)
    if not rows:
        return []
    lines = ["<b>" + escape(t.gettext("Recent broadcasts")) + "</b>"]
    for row in rows:
        took = None
        if row.finished_at is not None:
            took = (row.finished_at - row.started_at).total_seconds() - row.paused_seconds
        lines.append(
            recent_line(
                t,
                started_at=row.started_at,
                zone=zone,
                total=row.total,
                took=took,
                paused=row.paused,
            )
        )
    return lines


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the Pause and Resume buttons' handler."""
    app.add_handler(CallbackQueryHandler(broadcast_button, pattern=cb.of(cb.BroadcastAction)))
