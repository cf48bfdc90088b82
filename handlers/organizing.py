"""What the organizers' command modules (handlers.organizers, handlers.audit) share: the
command decorator that also remembers the organizer's Telegram name, the clock and the
organizer's "today", usage answers, and resolving the one case a command names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from handlers.cases import command_argument, lookup
from handlers.common import Context, answer, services
from handlers.syntax import UsageError
from messages import Translator
from messages.card import list_label
from messages.organizer import no_case, several_cases, usage_text


def now(context: Context) -> datetime:
    """The injectable clock's instant (services.clock)."""
    return services(context).clock()


def today(context: Context) -> date:
    """The organizers' date today, in CASEBOT_TIMEZONE."""
    return now(context).astimezone(services(context).settings.zone).date()


async def send_usage(update: Update, t: Translator, command: str, error: UsageError | None) -> None:
    """What was wrong, then the command's usage with an example."""
    await answer(
        update,
        usage_text(t, command, error.problem if error else None, error.value if error else ""),
    )


async def resolve_case(update: Update, context: Context, t: Translator, query: str) -> int | None:
    """One case for an organizer: several matches or none are answered, not guessed."""
    found = await lookup(context, query)
    if found.case_id is not None:
        return found.case_id
    if found.choices:
        labels = [list_label(t, item) for item in found.choices]
        await answer(update, several_cases(t, query, labels))
    else:
        await answer(update, no_case(t, query))
    return None


async def command_for_case(
    update: Update,
    context: Context,
    t: Translator,
    command: str,
    parse: Callable[[str], Any],
) -> tuple[Any, int] | None:
    """Strict parsing (usage on error), then the one case the arguments name."""
    try:
        args = parse(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, command, error)
        return None
    case_id = await resolve_case(update, context, t, args.case)
    return None if case_id is None else (args, case_id)


async def answer_markup(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send HTML with an optional keyboard to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)
