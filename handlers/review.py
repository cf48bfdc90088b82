"""Keeping cases current: ``/confirm <case>`` says "checked today, nothing changed".

A case's card shows "facts as of" its latest dated fact, organizer change or
confirmation. An organizer who checks a case (with the lawyer, the family, the court's
site) and finds nothing new confirms it, and the card's date moves to today without
alerting anyone.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.cases import command_argument, send_list
from handlers.common import Context, answer, case_name, run_db, services
from handlers.organizing import resolve_case, send_usage
from handlers.rights import organizers_only
from handlers.syntax import UsageError, parse_case_only
from messages import Translator
from messages.card import render_case_gone
from storage.usecases.changes import confirm_case


@organizers_only
async def confirm(update: Update, context: Context, t: Translator) -> None:
    """`/confirm <case>`: the case was checked today and nothing changed."""
    try:
        args = parse_case_only(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, "confirm", error)
        return
    case_id = await resolve_case(update, context, t, args.case)
    if case_id is None:
        return
    await confirm_and_say(update, context, t, case_id)


async def confirm_and_say(update: Update, context: Context, t: Translator, case_id: int) -> None:
    """Confirm a case as checked today (an organizer's act) and say so."""
    user = update.effective_user
    assert user is not None
    now = services(context).clock()
    today = now.astimezone(services(context).settings.zone).date()
    try:
        changed = await run_db(
            context, confirm_case, case_id=case_id, actor_id=user.id, today=today, now=now
        )
    except LookupError:  # deleted since it was listed (a "Nothing changed" button)
        await send_list(update, context, t, page=0, target="card", intro=render_case_gone(t))
        return
    name = await case_name(context, t, case_id)
    text = (
        t.gettext(
            "Noted: %(name)s was checked today and nothing changed. "
            "Its facts are now as of %(date)s."
        )
        if changed
        else t.gettext("%(name)s was already confirmed today.")
    ) % {"name": name, "date": t.format_date(today)}
    await answer(update, escape(text))


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add /confirm; return the commands answered."""
    app.add_handler(CommandHandler("confirm", confirm))
    return frozenset({"confirm"})
