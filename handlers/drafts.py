"""The preview of an alerting change, and its Send, Cancel and Undo.

:func:`propose` makes the change in a transaction that is rolled back
(``storage.usecases.drafts.dry_run``), so the preview shows exactly what each language's
subscribers will read and how many of them there are; nothing is kept until Send.

Send turns the preview into "sent" with no button on it. Undo comes in a new message
below, never where Send was, so a second tap on Send cannot undo; and Undo asks once
more ("Undo the alert to 2 subscribers?" Yes / No) before the case goes back.

Buttons: :class:`handlers.callbacks.DraftAction` (send, cancel, undo, undoyes, undono).
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from handlers import approval
from handlers import callbacks as cb
from handlers.broadcasts import show_progress
from handlers.common import Context, answer, case_name, edit_in_place, run_db, services
from handlers.rights import organizers_only
from messages import SUPPORTED_LANGUAGES, Translator, translator
from messages.alerts import render_change_alert
from messages.i18n import resolve_language
from messages.organizer import (
    LanguagePreview,
    draft_state_text,
    preview_by_language,
    sentence_saved,
    undo_offer,
    undo_question,
    undone_text,
)
from storage.payloads import DraftPayload, SentenceDraft, StatusDraft, draft_kind
from storage.usecases.drafts import (
    UNDO_WINDOW,
    DraftOutcome,
    cancel_draft,
    create_draft,
    dry_run,
    send_at_once,
    send_draft,
    undo_draft,
)


async def propose(
    update: Update,
    context: Context,
    t: Translator,
    case_id: int,
    params: DraftPayload,
) -> None:
    """Preview an alerting change as each language's subscribers will read it, with Send
    and Cancel; a sentence that does not move the release alerts no one and is saved."""
    user = update.effective_user
    assert user is not None
    engine, now = services(context).engine, services(context).clock()
    preview = await asyncio.to_thread(
        dry_run,
        engine,
        actor_id=user.id,
        case_id=case_id,
        params=params,
        now=now,
        language_of=resolve_language,
    )
    if preview is None:
        await answer(update, draft_state_text(t, "unchanged"))
        return
    today = now.astimezone(services(context).settings.zone).date()
    if preview.payload is None:  # a sentence that does not move the release: no alert
        assert isinstance(params, SentenceDraft)
        await _store_sentence(update, context, t, case_id, params)
        return
    parts = []
    for lang in SUPPORTED_LANGUAGES:
        count = preview.per_language.get(lang, 0)
        if count or lang == t.lang:
            reader = translator(lang)
            name = await case_name(context, reader, case_id)
            alert = render_change_alert(reader, preview.kind, name, preview.payload, today=today)
            parts.append(LanguagePreview(lang, count, alert))
    draft_id = await run_db(
        context,
        create_draft,
        actor_id=user.id,
        case_id=case_id,
        kind=draft_kind(params),
        params=params,
        now=now,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                cb.DraftAction("send", draft_id).button(t.gettext("Send")),
                cb.DraftAction("cancel", draft_id).button(t.gettext("Cancel")),
            ]
        ]
    )
    note = params.note if isinstance(params, StatusDraft) else {}
    text = preview_by_language(t, parts, total=preview.alerts, note_languages=set(note))
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


async def _store_sentence(
    update: Update, context: Context, t: Translator, case_id: int, params: SentenceDraft
) -> None:
    user = update.effective_user
    assert user is not None
    now = services(context).clock()
    await run_db(context, send_at_once, actor_id=user.id, case_id=case_id, params=params, now=now)
    await answer(update, sentence_saved(t, await case_name(context, t, case_id)))


def _undo_markup(t: Translator, draft_id: int, alerts: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[cb.DraftAction("undo", draft_id, alerts).button(t.gettext("Undo"))]]
    )


@organizers_only
async def draft_button(update: Update, context: Context, t: Translator) -> None:
    """Send, Cancel and Undo (with its Yes / No); a repeated or late press changes nothing."""
    query = update.callback_query
    assert query is not None
    button = cb.pressed(query.data, cb.DraftAction)
    if button is None:
        await query.answer()
        return
    if button.action in ("undo", "undono"):
        await query.answer()
        await _ask_or_offer_undo(query, t, button)
        return
    if button.action == "send" and await approval.intercept_send(
        update, context, t, button.draft_id
    ):
        return  # it waits for another organizer
    user = update.effective_user
    assert user is not None
    functions = {"send": send_draft, "cancel": cancel_draft, "undoyes": undo_draft}
    outcome: DraftOutcome = await run_db(
        context,
        functions[button.action],
        draft_id=button.draft_id,
        actor_id=user.id,
        now=services(context).clock(),
    )
    if outcome.state == "done":  # pressed again: the message already says what happened
        await query.answer(draft_state_text(t, "done"))
        return
    await query.answer()
    if outcome.state in ("sent", "undone"):
        services(context).wake_dispatcher()
    if outcome.state == "sent":
        count = outcome.result.alerts if outcome.result else 0
        await show_progress(query, context, t, outcome)
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        chat = update.effective_chat
        assert chat is not None
        await chat.send_message(
            undo_offer(t, minutes), reply_markup=_undo_markup(t, outcome.draft_id, count)
        )
    elif outcome.state == "undone":
        await edit_in_place(query, undone_text(t, outcome.corrections))
    else:
        await edit_in_place(query, draft_state_text(t, outcome.state))


async def _ask_or_offer_undo(query: Any, t: Translator, button: cb.DraftAction) -> None:
    """Undo → "Undo the alert to N subscribers?" Yes / No; No → the Undo offer again."""
    if button.action == "undo":
        markup = InlineKeyboardMarkup(
            [
                [
                    cb.DraftAction("undoyes", button.draft_id).button(t.gettext("Yes, undo")),
                    cb.DraftAction("undono", button.draft_id, button.alerts).button(
                        t.gettext("No")
                    ),
                ]
            ]
        )
        await edit_in_place(query, undo_question(t, button.alerts), markup)
        return
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    await edit_in_place(
        query, undo_offer(t, minutes), _undo_markup(t, button.draft_id, button.alerts)
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the preview buttons' handler."""
    app.add_handler(CallbackQueryHandler(draft_button, pattern=cb.of(cb.DraftAction)))
    approval.register(app)
