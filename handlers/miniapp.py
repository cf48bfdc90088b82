"""The bot's side of the organizers' Mini App (web.miniapp): the menu button that opens
it in each organizer's private chat, and the "Edit" button on the cards shown to them.

Telegram opens Mini Apps over https only, so both exist only when CASEBOT_PUBLIC_URL is
an https address (``Settings.app_url``); otherwise nothing here calls Telegram. The menu
button is set for every organizer at start and when an admin adds one, and put back to
Telegram's default when an admin removes one; an organizer whose chat Telegram does not
know yet (they never pressed Start) gets it with their first organizer command.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from handlers.common import Context, run_db, services
from messages import DEFAULT_LANGUAGE, N_, Translator, translator
from services import Services
from settings import Settings
from storage.database.engine import session_scope
from storage.usecases.editing import list_organizers
from storage.usecases.subscribers import get_chosen_language, is_organizer

log = logging.getLogger(__name__)
_DONE = "miniapp_menu_set"
EDIT_LABEL = N_("Edit")
MENU_LABEL = N_("Edit cases")


async def set_menu_button(
    bot: Bot, settings: Settings, *, user_id: int, organizer: bool, t: Translator
) -> bool:
    """Give (or take back) one organizer's "Edit cases" menu button; False when Telegram
    refused (a chat it does not know: the bot tries again later)."""
    url = settings.app_url
    if url is None:
        return True
    button = (
        MenuButtonWebApp(t.gettext(MENU_LABEL), WebAppInfo(url))
        if organizer
        else MenuButtonDefault()
    )
    try:
        await bot.set_chat_menu_button(chat_id=user_id, menu_button=button)
    except TelegramError as error:
        log.info("menu button of an organizer's chat not set: %s", type(error).__name__)
        return False
    return True


async def sync_menu_buttons(app: Application) -> None:  # type: ignore[type-arg]
    """At start: the menu button for every organizer (nothing without an https URL)."""
    found: Services = app.bot_data["services"]
    settings = found.settings
    if settings.app_url is None:
        return

    def read() -> list[tuple[int, str | None]]:
        with session_scope(found.engine) as session:
            rows = list_organizers(session, admins=settings.admins)
            return [
                (row.user_id, get_chosen_language(session, chat_id=row.user_id)) for row in rows
            ]

    done: set[int] = app.bot_data.setdefault(_DONE, set())
    for user_id, lang in await asyncio.to_thread(read):
        t = translator(lang or DEFAULT_LANGUAGE)
        if await set_menu_button(app.bot, settings, user_id=user_id, organizer=True, t=t):
            done.add(user_id)


async def ensure_menu_button(update: Update, context: Context, t: Translator) -> None:
    """Once per process, an organizer using the bot gets the menu button (their chat may
    not have been known to Telegram at start)."""
    user = update.effective_user
    settings = services(context).settings
    if user is None or settings.app_url is None:
        return
    done = context.bot_data.setdefault(_DONE, set())
    if user.id in done:
        return
    if await set_menu_button(context.bot, settings, user_id=user.id, organizer=True, t=t):
        done.add(user.id)


async def organizer_changed(context: Context, *, user_id: int, added: bool) -> None:
    """After /organizer add or remove: the menu button follows their rights."""
    settings = services(context).settings
    if settings.app_url is None:
        return
    lang = await run_db(context, get_chosen_language, chat_id=user_id)
    await set_menu_button(
        context.bot,
        settings,
        user_id=user_id,
        organizer=added,
        t=translator(lang or DEFAULT_LANGUAGE),
    )
    done = context.bot_data.setdefault(_DONE, set())
    (done.add if added else done.discard)(user_id)


async def with_edit_button(
    update: Update, context: Context, t: Translator, markup: InlineKeyboardMarkup, case_id: int
) -> InlineKeyboardMarkup:
    """The card's keyboard, with an "Edit" row opening the case in the Mini App for an
    organizer in their private chat (web_app buttons work only there)."""
    url = services(context).settings.app_url
    user, chat = update.effective_user, update.effective_chat
    if url is None or user is None or chat is None or chat.type != ChatType.PRIVATE:
        return markup
    admins = services(context).settings.admins
    if not await run_db(context, is_organizer, user_id=user.id, admins=admins):
        return markup
    edit = InlineKeyboardButton(t.gettext(EDIT_LABEL), web_app=WebAppInfo(f"{url}?case={case_id}"))
    return InlineKeyboardMarkup([*markup.inline_keyboard, [edit]])
