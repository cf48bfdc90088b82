"""What every handler shares: services, database calls off the event loop, language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from handlers.callbacks import Button, pressed
from messages import Translator, resolve_language, translator
from messages.card import case_title
from services import Services
from storage.database.engine import in_transaction
from storage.reads.cases import list_case_items
from storage.usecases.subscribers import get_chosen_language

P = ParamSpec("P")
T = TypeVar("T")
B = TypeVar("B", bound=Button)

Context = ContextTypes.DEFAULT_TYPE


def services(context: Context) -> Services:
    """The process's services, put in bot_data by bot.py."""
    found = context.bot_data["services"]
    assert isinstance(found, Services)
    return found


def registered_commands(context: Context) -> frozenset[str]:
    """The commands this bot answers (what `handlers.register_all` registered)."""
    found = context.bot_data["commands"]
    assert isinstance(found, frozenset)
    return found


async def run_db(context: Context, work: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `work(session, **kwargs)` in a worker thread, in one committed transaction."""
    return await asyncio.to_thread(in_transaction, services(context).engine, work, **kwargs)


def _telegram_code(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


async def user_translator(update: Update, context: Context) -> Translator:
    """The translator for this chat: its chosen language, else Telegram's language_code."""
    chat = update.effective_chat
    chosen: str | None = None
    if chat is not None:
        chosen = await run_db(context, get_chosen_language, chat_id=chat.id)
    return translator(resolve_language(chosen, _telegram_code(update)))


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def answer(
    update: Update, text: str, *, buttons: Sequence[Sequence[tuple[str, str]]] | None = None
) -> None:
    """Reply in the chat the update came from (HTML; buttons optional)."""
    chat = update.effective_chat
    if chat is None:
        return
    markup = keyboard(buttons) if buttons else None
    await chat.send_message(text, reply_markup=markup)


async def edit_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button is on; pressing it again (same text) changes nothing."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def answer_press(update: Update, kind: type[B]) -> B | None:
    """Answer the button press (its spinner stops) and return the button if it is a
    ``kind``; None for anything else (forged, stale, malformed data)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    return pressed(query.data, kind)


async def edit_pressed(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message whose button was pressed (see :func:`edit_in_place`)."""
    query = update.callback_query
    assert query is not None
    await edit_in_place(query, text, markup)


async def case_name_or_none(context: Context, t: Translator, case_id: int) -> str | None:
    """A case's name in the reader's script, or None when the case is gone."""
    items = await run_db(context, list_case_items, case_ids=[case_id])
    return case_title(t, items[0].names) if items else None


async def case_name(context: Context, t: Translator, case_id: int) -> str:
    """A case's name in the reader's script (``#id`` when it is gone)."""
    return await case_name_or_none(context, t, case_id) or f"#{case_id}"
