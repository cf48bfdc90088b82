"""What organizers read about the campaign itself: /audit (who changed a case, when, and
what, in their words), /stats, and /organizer (list for every organizer; add and remove
for admins).

Buttons: :class:`handlers.callbacks.AuditPage`.
"""

from __future__ import annotations

import math

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers import miniapp
from handlers.broadcasts import recent_lines
from handlers.cases import command_argument
from handlers.common import (
    Context,
    answer,
    answer_press,
    case_name,
    edit_in_place,
    run_db,
    services,
)
from handlers.organizing import (
    answer_markup,
    command_for_case,
    now,
    send_usage,
)
from handlers.rights import is_admin, organizers_only
from handlers.syntax import UsageError, parse_case_only, parse_organizer
from messages import Translator
from messages.approval import mode_line
from messages.attendance import attendance_stats
from messages.audit import audit_text, organizers_text
from messages.card import case_title
from messages.i18n import resolve_language
from messages.organizer import admins_only, organizer_changed, stats_text
from messages.paid import paid_summary_text
from storage.usecases.editing import (
    list_organizers,
    set_organizer,
)
from storage.usecases.organizing import audit_page, stats_screen

COMMANDS = frozenset({"organizer", "stats", "audit"})
AUDIT_PAGE = 10


@organizers_only
async def organizer(update: Update, context: Context, t: Translator) -> None:
    """`/organizer list` (any organizer); `/organizer add|remove <user id>` (admins)."""
    user = update.effective_user
    assert user is not None
    try:
        args = parse_organizer(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, "organizer", error)
        return
    settings = services(context).settings
    if args.action == "list":
        rows = await run_db(context, list_organizers, admins=settings.admins)
        await answer(update, organizers_text(t, rows, zone=settings.timezone))
        return
    if not is_admin(update, context):
        await answer(update, admins_only(t))
        return
    assert args.user_id is not None
    changed = await run_db(
        context,
        set_organizer,
        user_id=args.user_id,
        add=args.action == "add",
        actor_id=user.id,
        now=now(context),
    )
    if changed:  # the menu button follows their rights before the admin reads the answer
        await miniapp.organizer_changed(context, user_id=args.user_id, added=args.action == "add")
    await answer(update, organizer_changed(t, args.user_id, args.action == "add", changed))


@organizers_only
async def stats(update: Update, context: Context, t: Translator) -> None:
    """`/stats`: subscribers per case and language, deliveries by status."""

    settings = services(context).settings
    screen = await run_db(
        context,
        stats_screen,
        language_of=resolve_language,
        now=services(context).clock(),
        approval=settings.approval,
        admins=settings.admins,
    )
    names = {item.id: case_title(t, item.names) for item in screen.items}
    text = stats_text(t, screen.figures, names)
    text += "\n\n" + attendance_stats(t, screen.attending, names)
    text += "\n\n" + mode_line(t, screen.mode, settings.approval_over)
    lines = await run_db(context, recent_lines, t=t, zone=services(context).settings.timezone)
    if lines:
        text += "\n\n" + "\n".join(lines)
    paid = getattr(context.bot_data.get("dispatcher"), "paid", None)
    if paid is not None:
        text += "\n\n" + paid_summary_text(t, paid.summary())
    await answer(update, text)


async def _send_audit(
    update: Update, context: Context, t: Translator, case_id: int, page: int, *, edit: bool
) -> None:
    entries, total, names = await run_db(
        context, audit_page, case_id=case_id, offset=page * AUDIT_PAGE, limit=AUDIT_PAGE
    )
    pages = max(1, math.ceil(total / AUDIT_PAGE))
    text = audit_text(
        t,
        await case_name(context, t, case_id),
        entries,
        names=names,
        zone=services(context).settings.timezone,
        now=now(context),
        page=page,
        pages=pages,
    )
    nav = []
    if page > 0:
        nav.append(cb.AuditPage(case_id, page - 1).button("◀"))
    if page + 1 < pages:
        nav.append(cb.AuditPage(case_id, page + 1).button("▶"))
    markup = InlineKeyboardMarkup([nav]) if nav else None
    query = update.callback_query
    if edit and query is not None:
        await edit_in_place(query, text, markup)
    else:
        await answer_markup(update, text, markup)


@organizers_only
async def audit(update: Update, context: Context, t: Translator) -> None:
    """`/audit <case>`: who changed what, when; newest first, paginated."""
    found = await command_for_case(update, context, t, "audit", parse_case_only)
    if found is not None:
        _args, case_id = found
        await _send_audit(update, context, t, case_id, 0, edit=False)


@organizers_only
async def audit_button(update: Update, context: Context, t: Translator) -> None:
    """The audit log's page buttons."""
    button = await answer_press(update, cb.AuditPage)
    if button is not None and button.page < 100_000:
        await _send_audit(update, context, t, button.case_id, button.page, edit=True)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add /organizer, /stats, /audit and the audit's page buttons; return the commands."""
    for name, callback in (("organizer", organizer), ("stats", stats), ("audit", audit)):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(audit_button, pattern=cb.of(cb.AuditPage)))
    return COMMANDS
