"""Two-person approval: the author's Send, when the change needs it, asks the other
organizers (the alert as each would read it, with Approve and Reject) instead of sending;
the first approval sends (storage.usecases.approval). The requests go through the outbox
(their text: ``messages.followup``; their buttons: ``handlers.alert_buttons``). The
author cannot approve their own change; strangers are refused by ``organizers_only``.

Buttons: :class:`handlers.callbacks.Approval` (approve, reject).
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session
from telegram import Update
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
from messages import Translator
from messages.approval import (
    approved_text,
    approver_outcome,
    waiting_text,
)
from messages.i18n import resolve_language
from storage.database.models import Draft
from storage.payloads import load_draft
from storage.usecases.approval import (
    ApprovalOutcome,
    approve,
    ask_approval,
    effective_mode,
    get_draft,
    is_urgent,
    needs_approval,
    reject,
)
from storage.usecases.drafts import Preview, dry_run
from storage.vocabulary import DraftState

log = logging.getLogger("casebot.approval")


async def _preview_if_needed(context: Context, draft_id: int, user_id: int) -> Preview | None:
    """The draft's preview when its Send needs another organizer, else None."""
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
    return preview if wanted else None


async def intercept_send(update: Update, context: Context, t: Translator, draft_id: int) -> bool:
    """The author pressed Send: when approval is needed, ask the other organizers instead
    and say so where Send was (True); otherwise leave the Send to go ahead (False)."""
    user, query = update.effective_user, update.callback_query
    assert user is not None and query is not None
    preview = await _preview_if_needed(context, draft_id, user.id)
    if preview is None or preview.payload is None:
        return False
    asked: int | None = await run_db(
        context,
        ask_approval,
        draft_id=draft_id,
        actor_id=user.id,
        now=services(context).clock(),
        admins=services(context).settings.admins,
        alert_kind=preview.kind,
        alert=preview.payload,
        audience=preview.alerts,
    )
    if asked is None:
        return False  # pressed twice or expired: the Send says so
    services(context).wake_dispatcher()  # the requests are in the outbox
    await query.answer()
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
