"""Two-person approval: the author's Send, when the change needs it, asks the other
organizers (the alert as each would read it, with Approve and Reject) instead of sending;
the first approval sends (storage.usecases.approval). The author cannot approve their own
change; strangers are refused by ``organizers_only``.

Buttons: :class:`handlers.callbacks.Approval` (approve, reject).
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from handlers import callbacks as cb
from handlers.common import (
    Context,
    answer,
    answer_press,
    edit_in_place,
    edit_pressed,
    run_db,
    services,
)
from handlers.rights import organizers_only
from messages import Translator, translator
from messages.alerts import render_change_alert
from messages.approval import (
    approved_text,
    approver_outcome,
    labels,
    request_text,
    waiting_text,
)
from messages.audit import person
from messages.card import case_title
from messages.i18n import resolve_language
from storage.database.models import Draft
from storage.payloads import load_draft
from storage.reads.cases import CaseListItem, list_case_items
from storage.usecases.approval import (
    ApprovalOutcome,
    approve,
    ask_approval,
    effective_mode,
    get_draft,
    is_urgent,
    needs_approval,
    organizer_ids,
    reject,
)
from storage.usecases.drafts import Preview, dry_run
from storage.usecases.subscribers import KnownName, get_chosen_language, known_names
from storage.vocabulary import DraftState

log = logging.getLogger("casebot.approval")


async def _preview_if_needed(
    context: Context, draft_id: int, user_id: int
) -> tuple[Preview, int] | None:
    """The draft's preview and case when its Send needs another organizer, else None."""
    settings, now = services(context).settings, services(context).clock()

    def read(session: Session) -> tuple[str, Draft | None]:
        mode = effective_mode(session, mode=settings.approval, admins=settings.admins)
        return mode, get_draft(session, draft_id=draft_id)

    mode, draft = await run_db(context, read)
    if mode in ("off", "single") or draft is None or draft.case_id is None:
        return None
    if draft.actor_id != user_id or draft.state != DraftState.OPEN:
        return None
    preview = await asyncio.to_thread(
        dry_run,
        services(context).engine,
        actor_id=user_id,
        case_id=draft.case_id,
        params=load_draft(draft.kind, draft.params),
        now=now,
        language_of=resolve_language,
    )
    if preview is None or preview.payload is None:
        return None
    urgent = is_urgent(preview.kind, preview.payload)
    over = settings.approval_over
    wanted = needs_approval(mode, urgent=urgent, audience=preview.alerts, over=over)
    return (preview, draft.case_id) if wanted else None


async def _ask_others(
    context: Context, preview: Preview, case_id: int, draft_id: int, author_id: int
) -> int:
    """Send the request to every other organizer, each in their language; how many got it."""
    settings, now = services(context).settings, services(context).clock()
    today = now.astimezone(settings.zone).date()

    def read(
        session: Session,
    ) -> tuple[list[tuple[int, str]], KnownName | None, list[CaseListItem]]:
        others = sorted(organizer_ids(session, admins=settings.admins) - {author_id})
        langs = [
            (other, resolve_language(get_chosen_language(session, chat_id=other), None))
            for other in others
        ]
        author = known_names(session, [author_id]).get(author_id)
        return langs, author, list_case_items(session, case_ids=[case_id])

    langs, author_name, items = await run_db(context, read)
    asked = 0
    for chat_id, lang in langs:
        reader = translator(lang)
        name = case_title(reader, items[0].names) if items else f"#{case_id}"
        alert = ""
        if preview.payload is not None:
            alert = render_change_alert(reader, preview.kind, name, preview.payload, today=today)
        approve_label, reject_label = labels(reader)
        markup = InlineKeyboardMarkup(
            [
                [
                    cb.Approval("approve", draft_id).button(approve_label),
                    cb.Approval("reject", draft_id).button(reject_label),
                ]
            ]
        )
        who = person(reader, author_id, author_name)
        text = request_text(reader, who, preview.alerts, alert or "")
        try:
            await context.bot.send_message(chat_id, text, reply_markup=markup)
            asked += 1
        except TelegramError as error:  # never started the bot, blocked it: the others decide
            log.warning("approval request to an organizer failed: %s", type(error).__name__)
    return asked


async def intercept_send(update: Update, context: Context, t: Translator, draft_id: int) -> bool:
    """The author pressed Send: when approval is needed, ask the other organizers instead
    and say so where Send was (True); otherwise leave the Send to go ahead (False)."""
    user, query = update.effective_user, update.callback_query
    assert user is not None and query is not None
    found = await _preview_if_needed(context, draft_id, user.id)
    if found is None:
        return False
    preview, case_id = found
    now = services(context).clock()
    if not await run_db(context, ask_approval, draft_id=draft_id, actor_id=user.id, now=now):
        return False  # pressed twice or expired: the Send says so
    await query.answer()
    asked = await _ask_others(context, preview, case_id, draft_id, user.id)
    await edit_in_place(query, waiting_text(t, asked))
    return True


@organizers_only
async def approval_button(update: Update, context: Context, t: Translator) -> None:
    """Approve or Reject a change waiting for a second organizer."""
    button, user = await answer_press(update, cb.Approval), update.effective_user
    if button is None or user is None:
        return
    decide = approve if button.action == "approve" else reject
    outcome: ApprovalOutcome = await run_db(
        context,
        decide,
        draft_id=button.draft_id,
        approver_id=user.id,
        now=services(context).clock(),
    )
    if outcome.state == "self":
        await answer(update, approver_outcome(t, "self"))
        return
    if outcome.state == "sent" and outcome.sent is not None:
        services(context).wake_dispatcher()
        result = outcome.sent.result
        await edit_pressed(update, approved_text(t, result.alerts if result else 0))
        return
    services(context).wake_dispatcher()  # the author's notice
    await edit_pressed(update, approver_outcome(t, outcome.state))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the Approve / Reject buttons' handler."""
    app.add_handler(CallbackQueryHandler(approval_button, pattern=cb.of(cb.Approval)))
