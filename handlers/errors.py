"""The one error handler: log without personal data, apologize in the user's language."""

from __future__ import annotations

import logging
from traceback import format_tb

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from handlers.common import Context, user_translator
from jobs.deferred import ReplyDeferred
from messages import language_from_telegram, translator
from messages.texts import apology

log = logging.getLogger("casebot.errors")


def describe_update(update: object) -> str:
    """What kind of update failed, without ids, names or texts."""
    if not isinstance(update, Update):
        return "no update"
    if update.callback_query is not None:
        return "button press"
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        command = message.text.split()[0].split("@")[0][:32]
        return f"command {command}"
    return "message" if message is not None else "update"


async def on_error(update: object, context: Context) -> None:
    """Log the failure's type and place (never texts, names or ids) and apologize."""
    error = context.error
    kind = type(error).__name__ if error else "unknown"
    where = describe_update(update)
    if isinstance(error, ReplyDeferred):
        log.info("reply to %s deferred: its chat is rate limited or Telegram is unreachable", where)
        return
    if isinstance(error, NetworkError | Forbidden):
        log.warning("telegram call failed while handling %s: %s", where, kind)
        return
    # The traceback's code lines only: an exception's message can carry user text or
    # SQL parameters, so it is never logged.
    frames = "".join(format_tb(error.__traceback__)) if error is not None else ""
    log.error("error while handling %s: %s\n%s", where, kind, frames.rstrip())
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        t = await user_translator(update, context)
    except Exception:  # the database itself may be what failed
        user = update.effective_user
        t = translator(language_from_telegram(user.language_code if user else None))
    try:
        await update.effective_chat.send_message(apology(t))
    except TelegramError:
        log.warning("could not send the apology for %s", where)
