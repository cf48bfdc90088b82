"""The guided /update: the same changes as the organizer commands, step by step, with
buttons.

A ``ConversationHandler`` (python-telegram-bot's idiom for multi-step flows) keeps
the step each organizer is at. It sits in its own handler group, before all others,
so that:

- any command ends the flow and is still answered as usual (the flow never swallows
  ``/case Aqan``), and ``/cancel`` ends it with a word;
- text typed while the flow waits for it belongs to the flow (and is not searched as a
  name); after an error the flow repeats its own question, not a command's usage;
- ten minutes without an answer end the flow, and the organizer is told.

Steps: choose a case (or give it: ``/update Alimuly``), then what changes: a status
(then its key, then a note or none), the next hearing (typed), cancelling it, the
sentence (typed), a timeline event (typed) or a name (typed). The flow lives in memory:
after a restart, a button of an old flow still works on its own (buttons carry the
case), and text that was meant for it is read as a search.

Buttons: :class:`handlers.callbacks.Guided` and :class:`~handlers.callbacks.GuidedStart`.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks as cb
from handlers import organizers
from handlers.cases import command_argument, send_list
from handlers.common import Context, answer, case_name
from handlers.drafts import propose
from handlers.rights import organizer_translator
from handlers.syntax import (
    KEY_TO_DIMENSION,
    MAX_NOTE,
    StatusArgs,
    UsageError,
    parse_addevent,
    parse_addname,
    parse_sethearing,
    parse_setsentence,
)
from messages import Translator
from messages.common import DIMENSION_LABELS, STATUS_LABELS
from messages.organizer import flow_problem, guided_prompt
from storage.payloads import CancelHearingDraft

B = TypeVar("B", bound=cb.Button)

CHOOSING, TYPING = range(2)
TIMEOUT = timedelta(minutes=10)
GROUP = -1
"""The flow's handler group: before every other handler (they are in group 0)."""

STEP_KEY = "guided_step"
"""``user_data`` key: (step, case id, chosen key) of the text the flow waits for."""

WHAT_STEPS = ("hearing", "cancel", "sentence", "event", "name")

Step = Callable[[Update, Context, Translator, int, str], Awaitable[None]]


async def _refuse_or_translate(update: Update, context: Context) -> Translator | None:
    t = await organizer_translator(update, context)
    if t is None and update.callback_query is not None:
        await update.callback_query.answer()
    return t


async def start(update: Update, context: Context) -> int:
    """`/update [case]`: the list of cases, or straight to what changes."""
    t = await _refuse_or_translate(update, context)
    if t is None:
        raise ApplicationHandlerStop(ConversationHandler.END)
    query = command_argument(update)
    if not query:
        await send_list(update, context, t, page=0, target="upd", intro=guided_prompt(t, "case"))
        raise ApplicationHandlerStop(CHOOSING)
    case_id = await organizers.resolve_case(update, context, t, query)
    if case_id is None:
        raise ApplicationHandlerStop(ConversationHandler.END)
    await _choose_what(update, context, t, case_id)
    raise ApplicationHandlerStop(CHOOSING)


async def _pressed(update: Update, context: Context, kind: type[B]) -> tuple[Translator, B] | None:
    """The organizer's translator and the pressed button of ``kind`` (answered), or None."""
    t = await _refuse_or_translate(update, context)
    query = update.callback_query
    assert query is not None
    pressed = cb.pressed(query.data, kind)
    if t is None:
        return None  # refused, and the press answered
    await query.answer()
    return None if pressed is None else (t, pressed)


async def start_from_list(update: Update, context: Context) -> int:
    """A case chosen in the list of /update."""
    found = await _pressed(update, context, cb.GuidedStart)
    if found is None:
        return ConversationHandler.END
    t, button = found
    await _choose_what(update, context, t, button.case_id)
    return CHOOSING


async def _choose_what(update: Update, context: Context, t: Translator, case_id: int) -> None:
    labels = {
        "hearing": t.gettext("Next hearing"),
        "cancel": t.gettext("Cancel the next hearing"),
        "sentence": t.gettext("Sentence"),
        "event": t.gettext("Timeline event"),
        "name": t.gettext("Another name or spelling"),
    }
    rows = [
        [cb.Guided("dimension", case_id, dim).button(t.gettext(label))]
        for dim, label in DIMENSION_LABELS.items()
    ]
    rows += [[cb.Guided(step, case_id).button(labels[step])] for step in WHAT_STEPS]
    name = await case_name(context, t, case_id)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(guided_prompt(t, "what", name), reply_markup=InlineKeyboardMarkup(rows))


async def button(update: Update, context: Context) -> int:
    """A step's button: a dimension's keys, a key (then its note), or a typed step."""
    found = await _pressed(update, context, cb.Guided)
    if found is None:
        return ConversationHandler.END
    t, pressed = found
    case_id, step = pressed.case_id, pressed.step
    chat = update.effective_chat
    assert chat is not None
    if step == "dimension" and pressed.value in STATUS_LABELS:
        rows = [
            [cb.Guided("key", case_id, key).button(f"{t.gettext(label)} ({key})")]
            for key, label in STATUS_LABELS[pressed.value].items()
        ]
        await chat.send_message(guided_prompt(t, "key"), reply_markup=InlineKeyboardMarkup(rows))
        return CHOOSING
    if step == "key" and pressed.value in KEY_TO_DIMENSION:
        no_note = cb.Guided("note", case_id, pressed.value).button(t.gettext("No note"))
        _wait_for(context, "note", case_id, pressed.value)
        await chat.send_message(
            guided_prompt(t, "note"), reply_markup=InlineKeyboardMarkup([[no_note]])
        )
        return TYPING
    if step == "note" and pressed.value in KEY_TO_DIMENSION:  # "No note"
        await _propose_status(update, context, t, case_id, pressed.value, None)
        return ConversationHandler.END
    if step == "cancel":
        await propose(update, context, t, case_id, CancelHearingDraft())
        return ConversationHandler.END
    if step in ("hearing", "sentence", "event", "name"):
        _wait_for(context, step, case_id, "")
        await answer(update, guided_prompt(t, step))
        return TYPING
    return CHOOSING


def _wait_for(context: Context, step: str, case_id: int, key: str) -> None:
    if context.user_data is not None:
        context.user_data[STEP_KEY] = (step, case_id, key)


async def _propose_status(
    update: Update, context: Context, t: Translator, case_id: int, key: str, note: str | None
) -> None:
    args = StatusArgs(case=f"#{case_id}", dimension=KEY_TO_DIMENSION[key], key=key, note=note)
    await organizers.propose_status(update, context, t, args, case_id)


async def typed(update: Update, context: Context) -> int:
    """The text a step waits for; an error repeats the step's own question."""
    t = await _refuse_or_translate(update, context)
    waiting = (context.user_data or {}).get(STEP_KEY)
    if t is None or waiting is None:
        raise ApplicationHandlerStop(ConversationHandler.END)
    step, case_id, key = waiting
    message = update.effective_message
    text = " ".join(((message.text or "") if message else "").replace("\x00", "").split())
    try:
        await _apply_typed(update, context, t, step, case_id, key, text)
    except UsageError as error:
        await answer(update, flow_problem(t, error.problem, error.value, step))
        raise ApplicationHandlerStop(TYPING) from None
    if context.user_data is not None:
        context.user_data.pop(STEP_KEY, None)
    raise ApplicationHandlerStop(ConversationHandler.END)


async def _apply_typed(
    update: Update,
    context: Context,
    t: Translator,
    step: str,
    case_id: int,
    key: str,
    text: str,
) -> None:
    """Parse the typed text as the step's command would (raising UsageError) and apply it."""
    if step == "note":
        if len(text) > MAX_NOTE:
            raise UsageError("too_long", str(MAX_NOTE))
        await _propose_status(update, context, t, case_id, key, text or None)
        return
    prefix = f"#{case_id} "
    if step == "hearing":
        await organizers.propose_hearing(
            update, context, t, parse_sethearing(prefix + text), case_id
        )
    elif step == "sentence":
        args = parse_setsentence(prefix + text)
        await organizers.propose_sentence(update, context, t, args, case_id)
    elif step == "event":
        await organizers.store_event(update, context, t, parse_addevent(prefix + text), case_id)
    elif step == "name":
        await organizers.store_name(update, context, t, parse_addname(prefix + text), case_id)


async def cancel(update: Update, context: Context) -> int:
    """`/cancel` inside the flow: it ends, saying so."""
    t = await organizer_translator(update, context)
    if t is not None:
        await answer(update, guided_prompt(t, "cancelled"))
    _forget(context)
    raise ApplicationHandlerStop(ConversationHandler.END)


async def other_command(update: Update, context: Context) -> int:
    """Any other command ends the flow; the command itself is answered as usual."""
    _forget(context)
    return ConversationHandler.END


async def timed_out(update: object, context: Context) -> None:
    """Ten minutes without an answer: the flow ends and the organizer is told."""
    _forget(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        t = await organizer_translator(update, context)
        if t is not None:
            await update.effective_chat.send_message(guided_prompt(t, "expired"))


def _forget(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(STEP_KEY, None)


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """`/cancel` outside any flow."""
    t = await organizer_translator(update, context)
    if t is not None:
        await answer(update, guided_prompt(t, "nothing_to_cancel"))


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the flow (in its own group) and /cancel; return the commands they answer."""
    text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: that is the intent.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        flow: ConversationHandler[Any] = ConversationHandler(
            entry_points=[
                CommandHandler("update", start),
                CallbackQueryHandler(start_from_list, pattern=cb.of(cb.GuidedStart)),
                # A step's button also (re)enters the flow: after a restart it still works.
                CallbackQueryHandler(button, pattern=cb.of(cb.Guided)),
            ],
            states={
                CHOOSING: [CallbackQueryHandler(button, pattern=cb.of(cb.Guided))],
                TYPING: [
                    MessageHandler(text, typed),
                    CallbackQueryHandler(button, pattern=cb.of(cb.Guided)),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                CommandHandler("cancel", cancel),
                MessageHandler(filters.COMMAND, other_command),
                CallbackQueryHandler(start_from_list, pattern=cb.of(cb.GuidedStart)),
            ],
            conversation_timeout=TIMEOUT,
            name="update",
        )
    app.add_handler(flow, group=GROUP)
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
    return frozenset({"update", "cancel"})
