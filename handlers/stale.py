"""Cases that need a look: ``/stale`` on demand (the weekly digest, jobs/stale.py, sends the
same list), with one row of buttons per case: "Nothing changed" (``/confirm``) and
"Update" (the guided ``/update``)."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers.common import Context, answer, answer_press, run_db, services
from handlers.review import confirm_and_say
from handlers.rights import organizers_only
from messages import Translator
from messages.card import case_title
from messages.stale import MAX_LISTED, nothing_changed_label, render_stale, update_label
from storage.reads.cases import list_case_items
from storage.reads.stale import StaleCase, list_stale

COMMANDS = frozenset({"stale"})


def stale_rows(t: Translator, items: list[tuple[int, str]]) -> list[list[tuple[str, str]]]:
    """One row per listed case: (label, callback data) of "Nothing changed" and "Update"."""
    return [
        [
            (nothing_changed_label(t, case_id, name), cb.StaleConfirm(case_id).data),
            (update_label(t), cb.GuidedStart(case_id).data),
        ]
        for case_id, name in items[:MAX_LISTED]
    ]


def named_stale(
    session: Session, t: Translator, stale: list[StaleCase]
) -> list[tuple[str, StaleCase]]:
    """Each stale case with its title in the reader's language."""
    items = {
        item.id: item for item in list_case_items(session, case_ids=[s.case_id for s in stale])
    }
    return [(case_title(t, items[s.case_id].names), s) for s in stale if s.case_id in items]


@organizers_only
async def stale(update: Update, context: Context, t: Translator) -> None:
    """`/stale`: the cases that need a look, each with its two buttons."""
    settings = services(context).settings
    now = services(context).clock()

    def read(session: Session) -> list[tuple[str, StaleCase]]:
        found = list_stale(
            session, now=now, zone=settings.timezone, stale_after=settings.stale_after
        )
        return named_stale(session, t, found)

    items = await run_db(context, read)
    rows = stale_rows(t, [(item.case_id, name) for name, item in items])
    await answer(update, render_stale(t, items), buttons=rows or None)


@organizers_only
async def nothing_changed(update: Update, context: Context, t: Translator) -> None:
    """ "Nothing changed" on a listed case: the same as ``/confirm <case>``."""
    button = await answer_press(update, cb.StaleConfirm)
    if button is not None:
        await confirm_and_say(update, context, t, button.case_id)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add /stale and its "Nothing changed" button; return the commands."""
    app.add_handler(CommandHandler("stale", stale))
    app.add_handler(CallbackQueryHandler(nothing_changed, pattern=cb.of(cb.StaleConfirm)))
    return COMMANDS
