"""/subscribe, /unsubscribe, /mysubs, /settings, /forget and their buttons.

Callback data: sub:<id>, unsub:<id>, rem:<preset>, forget:yes, forget:no.
In a group only its administrators may subscribe or unsubscribe it; in a channel
the bot administers, /subscribe posted by the channel (only its admins can post)
subscribes the channel. Alerts then go to the group or channel.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks as cb
from handlers.cases import command_argument, lookup, send_choices, send_list
from handlers.common import Context, case_name, case_name_or_none, run_db, services, user_translator
from messages import N_, Translator
from messages.card import list_label, render_case_gone, render_not_found
from storage.reads.cases import get_case_id_by_slug
from storage.reads.screens import followed_items
from storage.usecases.subscribers import get_subscriber
from storage.usecases.subscriptions import (
    REMINDER_PRESETS,
    forget_chat,
    migrate_chat,
    set_reminder_preset,
    set_timeline_follow,
    subscribe,
    unsubscribe,
)

COMMANDS = frozenset({"subscribe", "unsubscribe", "mysubs", "settings", "forget"})
ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot
PRESET_LABELS: dict[str, str] = {
    "default": N_("The bot's default"),
    "day": N_("The day before"),
    "day_hour": N_("The day before and an hour before"),
    "week_day_hour": N_("A week, a day and an hour before"),
    "none": N_("No hearing reminders"),
}
SUBSCRIBE_USAGE = N_("Usage: /subscribe followed by a name or number. Or choose:")


async def _may_change(update: Update, context: Context, t: Translator) -> bool:
    """In groups only administrators may change what the group follows."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True  # only a channel's admins can post in it
    message = update.effective_message
    if (
        user is not None
        and user.id == ANONYMOUS_ADMIN
        and message is not None
        and (message.sender_chat is not None and message.sender_chat.id == chat.id)
    ):
        return True
    if user is not None:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError:
            member = None
        if member is not None and member.status in (
            ChatMemberStatus.ADMINISTRATOR,
            ChatMemberStatus.OWNER,
        ):
            return True
    await chat.send_message(
        escape(t.gettext("Only the group's administrators can change what it follows."))
    )
    return False


async def do_subscribe(update: Update, context: Context, case_id: int) -> None:
    """Subscribe this chat to a case and say how to stop."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    t = await user_translator(update, context)
    if not await _may_change(update, context, t):
        return
    name = await case_name_or_none(context, t, case_id)
    if name is None:
        await send_list(update, context, t, page=0, target="card", intro=render_case_gone(t))
        return

    now = services(context).clock()

    outcome = await run_db(
        context,
        subscribe,
        chat_id=chat.id,
        case_id=case_id,
        chat_type=chat.type,
        telegram_lang=user.language_code if user else None,
        now=now,
    )
    created = outcome.created
    if not created:
        text = t.gettext("You already follow %(name)s.") % {"name": name}
    else:
        text = t.gettext(
            "You now follow %(name)s: you will get an alert when a hearing is set or moved or "
            "a status changes, and reminders before hearings. To stop, press Unsubscribe "
            "or send /unsubscribe %(number)d."
        ) % {"name": name, "number": case_id}
    markup = InlineKeyboardMarkup([[cb.Unsubscribe(case_id).button(t.gettext("Unsubscribe"))]])
    await chat.send_message(escape(text), reply_markup=markup)


async def do_unsubscribe(update: Update, context: Context, case_id: int) -> None:
    """Stop following a case."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    if not await _may_change(update, context, t):
        return
    removed = await run_db(context, unsubscribe, chat_id=chat.id, case_id=case_id)
    name = await case_name(context, t, case_id)
    if removed:
        text = t.gettext("You no longer follow %(name)s.") % {"name": name}
    else:
        text = t.gettext("You were not following %(name)s.") % {"name": name}
    await chat.send_message(escape(text))


async def _resolve_then(update: Update, context: Context, target: str) -> None:
    t = await user_translator(update, context)
    query = command_argument(update)
    if not query:
        if target == "sub":
            await send_list(
                update, context, t, page=0, target="sub", intro=escape(t.gettext(SUBSCRIBE_USAGE))
            )
        else:
            await mysubs(update, context)
        return
    found = await lookup(context, query)
    if found.case_id is not None:
        await (do_subscribe if target == "sub" else do_unsubscribe)(update, context, found.case_id)
    elif found.choices:
        await send_choices(update, context, t, query, found, target)
    else:
        await send_list(update, context, t, page=0, target=target, intro=render_not_found(t, query))


async def subscribe_command(update: Update, context: Context) -> None:
    """`/subscribe <case>`."""
    await _resolve_then(update, context, "sub")


async def unsubscribe_command(update: Update, context: Context) -> None:
    """`/unsubscribe <case>`; without an argument, the followed cases."""
    await _resolve_then(update, context, "unsub")


async def mysubs(update: Update, context: Context) -> None:
    """The cases this chat follows, each with Open and Unsubscribe buttons."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)

    items = await run_db(context, followed_items, chat_id=chat.id)
    followed = [(item.id, list_label(t, item)) for item in items]
    if not followed:
        await chat.send_message(
            escape(t.gettext("You follow no case yet. Find one with /case and press Subscribe."))
        )
        return
    rows = [
        [
            cb.Card(case_id).button(label),
            cb.Unsubscribe(case_id).button(t.gettext("Unsubscribe")),
        ]
        for case_id, label in followed
    ]
    text = t.ngettext(
        "You follow %(count)d case:", "You follow %(count)d cases:", len(followed)
    ) % {"count": len(followed)}
    await chat.send_message(escape(text), reply_markup=InlineKeyboardMarkup(rows))


async def settings_command(update: Update, context: Context) -> None:
    """`/settings`: when to be reminded of hearings."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    subscriber = await run_db(context, get_subscriber, chat_id=chat.id)
    current = subscriber.reminders if subscriber is not None else None
    rows = []
    for preset, label in PRESET_LABELS.items():
        chosen = (REMINDER_PRESETS[preset] or None) == current
        rows.append([cb.Reminders(preset).button(("✓ " if chosen else "") + t.gettext(label))])
    on = subscriber is not None and subscriber.timeline
    rows.append(
        [
            cb.TimelineFollow("on").button(("✓ " if on else "") + t.gettext("Timeline events too")),
            cb.TimelineFollow("off").button(("" if on else "✓ ") + t.gettext("No timeline events")),
        ]
    )
    text = (
        t.gettext("When should I remind you of hearings?")
        + "\n\n"
        + t.gettext(
            "Besides status changes and hearings, do you want new timeline events of the cases "
            "you follow?"
        )
    )
    await chat.send_message(escape(text), reply_markup=InlineKeyboardMarkup(rows))


async def forget_command(update: Update, context: Context) -> None:
    """`/forget`: asks for confirmation first."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    markup = InlineKeyboardMarkup(
        [
            [
                cb.Forget("yes").button(t.gettext("Delete everything")),
                cb.Forget("no").button(t.gettext("Cancel")),
            ]
        ]
    )
    await chat.send_message(
        escape(
            t.gettext(
                "This deletes everything the bot keeps about this chat: the cases it follows and "
                "its language. Alerts stop. Are you sure?"
            )
        ),
        reply_markup=markup,
    )


async def subscription_button(update: Update, context: Context) -> None:
    """sub:, unsub:, rem: and forget: buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    button = cb.parse(query.data)
    chat = update.effective_chat
    assert chat is not None
    if isinstance(button, cb.Subscribe):
        await do_subscribe(update, context, button.case_id)
    elif isinstance(button, cb.Unsubscribe):
        await do_unsubscribe(update, context, button.case_id)
    elif isinstance(button, cb.Reminders) and button.preset in REMINDER_PRESETS:
        t = await user_translator(update, context)
        if await _may_change(update, context, t):
            await run_db(context, set_reminder_preset, chat_id=chat.id, preset=button.preset)
            label = t.gettext(PRESET_LABELS[button.preset])
            await chat.send_message(
                escape(t.gettext("Hearing reminders: %(choice)s.") % {"choice": label})
            )
    elif isinstance(button, cb.TimelineFollow):
        t = await user_translator(update, context)
        if await _may_change(update, context, t):
            on = button.answer == "on"
            await run_db(context, set_timeline_follow, chat_id=chat.id, on=on)
            text = (
                t.gettext("You will also get new timeline events of the cases you follow.")
                if on
                else t.gettext("You will get status changes and hearings, not timeline events.")
            )
            await chat.send_message(escape(text))
    elif isinstance(button, cb.Forget):
        t = await user_translator(update, context)
        if button.answer != "yes":
            await chat.send_message(escape(t.gettext("Nothing was deleted.")))
            return
        if not await _may_change(update, context, t):
            return
        await run_db(context, forget_chat, chat_id=chat.id)
        await chat.send_message(
            escape(
                t.gettext(
                    "Done: the bot keeps nothing about this chat any more. /start begins anew."
                )
            )
        )


async def subscribe_by_slug(update: Update, context: Context, slug: str) -> None:
    """The deep link /start sub_<slug>."""
    case_id = await run_db(context, get_case_id_by_slug, slug=slug[:80])
    if case_id is None:
        t = await user_translator(update, context)
        await send_list(update, context, t, page=0, target="sub", intro=render_not_found(t, slug))
        return
    await do_subscribe(update, context, case_id)


async def chat_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscriptions follow it to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await run_db(
        context, migrate_chat, old_chat_id=message.chat_id, new_chat_id=message.migrate_to_chat_id
    )


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the subscription handlers; return the commands they answer."""
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    app.add_handler(CommandHandler("subscribe", subscribe_command))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe_command))
    # A channel follows a case when one of its admins posts /subscribe in it.
    channel = filters.UpdateType.CHANNEL_POST
    app.add_handler(CommandHandler("subscribe", subscribe_command, filters=channel))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe_command, filters=channel))
    app.add_handler(CommandHandler("mysubs", mysubs))
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CommandHandler("forget", forget_command))
    buttons = cb.of(cb.Subscribe, cb.Unsubscribe, cb.Reminders, cb.Forget, cb.TimelineFollow)
    app.add_handler(CallbackQueryHandler(subscription_button, pattern=buttons))
    return COMMANDS
