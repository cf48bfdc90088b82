"""/start, /help and /language: the welcome, the command list, the reader's language."""

from __future__ import annotations

import re
from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import callbacks as cb
from handlers import cases, subscriptions
from handlers.cases import command_argument
from handlers.common import (
    Context,
    answer,
    answer_press,
    registered_commands,
    run_db,
    services,
    user_translator,
)
from messages import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translator, translator
from messages.texts import help_text, start_text
from messages.texts import unknown_command as unknown_command_text
from storage.files.importer import count_cases
from storage.usecases.subscribers import is_organizer, set_language

COMMANDS = frozenset({"start", "help", "language"})


def start_buttons(t: Translator) -> list[tuple[str, str]]:
    """(label, callback data) of the welcome message's buttons."""
    return [(t.gettext("Language"), cb.Language("menu").data), (t.gettext("Help"), cb.Help().data)]


def language_buttons() -> list[tuple[str, str]]:
    """One button per language, each labelled in its own language."""
    return [(name, cb.Language(code).data) for code, name in LANGUAGE_NAMES.items()]


DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What Telegram lets a ``start`` parameter hold; anything else is no link of ours."""


def deep_link_payload(update: Update) -> str:
    """The ``/start`` parameter, NULs removed; ``case_`` alone when it cannot be a slug (so
    the user hears that no case matches instead of the database seeing odd bytes)."""
    words = command_argument(update).split(maxsplit=1)
    argument = words[0] if words else ""
    if DEEP_LINK.fullmatch(argument):
        return argument
    for prefix in ("case_", "sub_"):
        if argument.startswith(prefix):
            return prefix
    return ""


async def start(update: Update, context: Context) -> None:
    """Welcome the user in their language, with buttons.

    Deep links: `case_<slug>` opens a card, `sub_<slug>` subscribes.
    """
    argument = deep_link_payload(update)
    if argument.startswith("case_"):
        await cases.open_case_by_slug(update, context, argument.removeprefix("case_"))
        return
    if argument.startswith("sub_"):
        await subscriptions.subscribe_by_slug(update, context, argument.removeprefix("sub_"))
        return
    t = await user_translator(update, context)
    count = await run_db(context, count_cases)
    text = start_text(t, case_count=count, can_search="case" in registered_commands(context))
    buttons = start_buttons(t)
    if "case" in registered_commands(context):
        buttons.insert(0, (t.gettext("All cases"), cb.CaseList("card", 0).data))
    await answer(update, text, buttons=[buttons])


async def _help_text(update: Update, context: Context) -> str:
    t = await user_translator(update, context)
    user = update.effective_user
    admins = services(context).settings.admins
    organizer = user is not None and await run_db(
        context, is_organizer, user_id=user.id, admins=admins
    )
    return help_text(t, organizer=organizer, available=registered_commands(context))


async def help_command(update: Update, context: Context) -> None:
    """The commands this build answers; organizers see theirs too."""
    await answer(update, await _help_text(update, context))


async def help_button(update: Update, context: Context) -> None:
    """The Help button of the welcome message."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await answer(update, await _help_text(update, context))


def _language_prompt() -> str:
    return " / ".join(
        escape(translator(code).gettext("Choose a language:")) for code in SUPPORTED_LANGUAGES
    )


async def _store_language(update: Update, context: Context, lang: str) -> None:
    chat = update.effective_chat
    assert chat is not None

    await run_db(context, set_language, chat_id=chat.id, lang=lang, chat_type=chat.type)


async def language(update: Update, context: Context) -> None:
    """`/language kk|ru|en` switches; without an argument, three buttons."""
    args = [arg.lower() for arg in context.args or []]
    if len(args) == 1 and args[0] in SUPPORTED_LANGUAGES:
        await _store_language(update, context, args[0])
        t = translator(args[0])
        await answer(update, escape(t.gettext("Language set: English.")))
        return
    if args:
        t = await user_translator(update, context)
        usage = t.gettext("Usage: /language kk, /language ru or /language en.")
        await answer(update, escape(usage), buttons=[language_buttons()])
        return
    await answer(update, _language_prompt(), buttons=[language_buttons()])


async def language_button(update: Update, context: Context) -> None:
    """A language button: lang:menu shows the choice, lang:<code> switches."""
    button = await answer_press(update, cb.Language)
    code = button.code if button else "menu"
    if code in LANGUAGE_NAMES:
        await _store_language(update, context, code)
        await answer(update, escape(translator(code).gettext("Language set: English.")))
    else:
        await answer(update, _language_prompt(), buttons=[language_buttons()])


async def unknown_command(update: Update, context: Context) -> None:
    """Any command no handler took: point to /help."""
    t = await user_translator(update, context)
    await answer(update, unknown_command_text(t))


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Answer unknown commands in private chats, and search plain text there (groups talk
    among themselves: plain text stays ignored); registered after every other handler."""
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    plain = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(plain, cases.search_text))


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add this module's handlers; return the commands it answers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CallbackQueryHandler(help_button, pattern=cb.of(cb.Help)))
    app.add_handler(CallbackQueryHandler(language_button, pattern=cb.of(cb.Language)))
    return COMMANDS
