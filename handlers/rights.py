"""Organizer rights, checked in one place: the :func:`organizers_only` decorator.

Every organizer command and button is wrapped by it. It refuses strangers (and
organizers outside their private chat with the bot) in their language, answers a
pressed button so its spinner stops (for organizers the callback answers it, perhaps
with a notice), and hands the organizer's translator to the
callback, which never runs for anyone else. It also remembers the organizer's
Telegram name (username and first name), for the audit log and /organizer list,
whatever command or button they use.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType

from handlers.common import Context, answer, run_db, services, user_translator
from handlers.miniapp import ensure_menu_button
from messages import Translator
from messages.organizer import private_only, refusal
from storage.usecases.subscribers import is_organizer, remember_name

R = TypeVar("R")
OrganizerCallback = Callable[[Update, Context, Translator], Awaitable[R]]


async def organizer_translator(update: Update, context: Context) -> Translator | None:
    """The organizer's translator, or None after refusing (stranger, or not in private)."""
    t = await user_translator(update, context)
    user, chat = update.effective_user, update.effective_chat
    admins = services(context).settings.admins
    allowed = user is not None and await run_db(
        context, is_organizer, user_id=user.id, admins=admins
    )
    if not allowed:
        await answer(update, refusal(t))
        return None
    if chat is None or chat.type != ChatType.PRIVATE:
        await answer(update, private_only(t))
        return None
    assert user is not None
    await run_db(  # who did it, by name, for the audit log and /organizer list
        context,
        remember_name,
        user_id=user.id,
        username=user.username,
        first_name=user.first_name,
        now=services(context).clock(),
    )
    await ensure_menu_button(update, context, t)
    return t


def organizers_only(
    callback: OrganizerCallback[R],
) -> Callable[[Update, Context], Coroutine[Any, Any, R | None]]:
    """Run ``callback(update, context, t)`` for organizers only; refuse anyone else."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: Context) -> R | None:
        t = await organizer_translator(update, context)
        if t is None:
            if update.callback_query is not None:
                await update.callback_query.answer()
            return None
        return await callback(update, context, t)

    return guarded


def is_admin(update: Update, context: Context) -> bool:
    """Whether the update's user is an admin (CASEBOT_ADMINS), not only an organizer."""
    user = update.effective_user
    return user is not None and user.id in services(context).settings.admins


__all__ = ["OrganizerCallback", "is_admin", "organizer_translator", "organizers_only"]
