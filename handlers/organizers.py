"""The organizers' commands: each checks rights first, parses strictly, and hands alerting
changes to a preview with Send and Cancel (and Undo for a while after Send).

Callback data: draft:send|cancel|undo:<draft id>, audit:<case>:<page>, and the
guided /update flow: upd:<case>, updd:<case>:<dimension>, upds:<case>:<key>,
updh:<case>, updx:<case>.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.cases import command_argument, lookup, send_list
from handlers.common import Context, answer, edit_in_place, run_db, services, user_translator
from handlers.syntax import (
    KEY_TO_DIMENSION,
    UsageError,
    parse_addevent,
    parse_addname,
    parse_case_only,
    parse_organizer,
    parse_sethearing,
    parse_setsentence,
    parse_setstatus,
    parse_translate,
)
from messages import Translator
from messages.alerts import render_change_alert
from messages.card import case_title, list_label
from messages.common import DIMENSION_LABELS, STATUS_LABELS
from messages.i18n import resolve_language
from messages.organizer import (
    admins_only,
    audit_text,
    case_created,
    draft_state_text,
    event_added,
    guided_prompt,
    name_added,
    no_case,
    organizer_changed,
    preview_text,
    private_only,
    refusal,
    sent_text,
    sentence_saved,
    several_cases,
    stats_text,
    translation_saved,
    undone_text,
    usage_text,
)
from storage.cases import list_case_items
from storage.drafts import (
    UNDO_WINDOW,
    DraftOutcome,
    cancel_draft,
    create_draft,
    preview_change,
    send_draft,
    undo_draft,
)
from storage.editing import (
    add_event,
    add_name,
    create_case,
    detect_language,
    get_stats,
    indexed,
    list_audit,
    set_organizer,
    translate_event,
)
from storage.subscribers import is_organizer

COMMANDS = frozenset({
    "newcase", "sethearing", "cancelhearing", "setstatus", "addevent", "setsentence",
    "addname", "organizer", "stats", "audit", "translate", "update",
})  # fmt: skip
AUDIT_PAGE = 10
AWAITING_HEARING = "awaiting_hearing_for"


def _now(context: Context) -> datetime:
    return services(context).clock()


async def _guard(update: Update, context: Context) -> Translator | None:
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
    return t


async def _case_id(update: Update, context: Context, t: Translator, query: str) -> int | None:
    """One case for an organizer: several matches or none are answered, not guessed."""
    found = await lookup(context, query)
    if found.case_id is not None:
        return found.case_id
    if found.choices:
        labels = [list_label(t, item) for item in found.choices]
        await answer(update, several_cases(t, query, labels))
    else:
        await answer(update, no_case(t, query))
    return None


async def _case_name(context: Context, t: Translator, case_id: int) -> str:
    items = await run_db(context, list_case_items, case_ids=[case_id])
    return case_title(t, items[0].names) if items else f"#{case_id}"


async def _usage(update: Update, t: Translator, command: str, error: UsageError | None) -> None:
    await answer(
        update,
        usage_text(t, command, error.problem if error else None, error.value if error else ""),
    )


def _draft_markup(t: Translator, draft_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Send"), callback_data=f"draft:send:{draft_id}"),
                InlineKeyboardButton(t.gettext("Cancel"), callback_data=f"draft:cancel:{draft_id}"),
            ]
        ]
    )


async def propose(
    update: Update,
    context: Context,
    t: Translator,
    case_id: int,
    kind: str,
    params: dict[str, Any],
) -> None:
    """Preview an alerting change exactly as subscribers will read it, with Send / Cancel.

    The change is made in a transaction that is rolled back, so the preview shows
    what the real change will send and to how many; nothing is kept until Send.
    """
    user = update.effective_user
    assert user is not None
    engine, now = services(context).engine, _now(context)

    def dry_run() -> tuple[str, dict[str, Any], int] | None:
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = preview_change(
                    session, actor_id=user.id, case_id=case_id, kind=kind, params=params, now=now
                )
            finally:
                session.rollback()
        return None if result is None else (result.kind, result.payload, result.alerts)

    outcome = await asyncio.to_thread(dry_run)
    name = await _case_name(context, t, case_id)
    if outcome is None:
        await answer(update, draft_state_text(t, "unchanged"))
        return
    alert_kind, payload, count = outcome
    today = now.astimezone(services(context).settings.zone).date()
    alert = render_change_alert(t, alert_kind, name, payload, today=today)
    if alert is None:  # a sentence change that does not move the release: no alert, no preview
        await _store_sentence(update, context, t, case_id, params, name)
        return
    draft_id = await run_db(
        context, create_draft, actor_id=user.id, case_id=case_id, kind=kind, params=params, now=now
    )
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(preview_text(t, alert, count), reply_markup=_draft_markup(t, draft_id))


async def _store_sentence(
    update: Update,
    context: Context,
    t: Translator,
    case_id: int,
    params: dict[str, Any],
    name: str,
) -> None:
    user = update.effective_user
    assert user is not None
    now = _now(context)

    def store(session: Session) -> None:
        draft_id = create_draft(
            session, actor_id=user.id, case_id=case_id, kind="sentence", params=params, now=now
        )
        send_draft(session, draft_id=draft_id, actor_id=user.id, now=now)

    await run_db(context, store)
    await answer(update, sentence_saved(t, name))


async def draft_button(update: Update, context: Context) -> None:
    """Send, Cancel and Undo on a preview; a repeated or late press changes nothing."""
    query = update.callback_query
    assert query is not None
    t = await _guard(update, context)
    if t is None:
        await query.answer()
        return
    _, action, raw_id = ((query.data or "") + "::").split(":")[:3]
    if not raw_id.isdecimal() or len(raw_id) > 12 or action not in ("send", "cancel", "undo"):
        await query.answer()
        return
    user = update.effective_user
    assert user is not None
    functions = {"send": send_draft, "cancel": cancel_draft, "undo": undo_draft}
    outcome: DraftOutcome = await run_db(
        context, functions[action], draft_id=int(raw_id), actor_id=user.id, now=_now(context)
    )
    if outcome.state == "done":  # pressed again: the message already says what happened
        await query.answer(draft_state_text(t, "done"))
        return
    await query.answer()
    if outcome.state in ("sent", "undone"):
        services(context).wake_dispatcher()
    markup = None
    if outcome.state == "sent":
        count = outcome.result.alerts if outcome.result else 0
        text = sent_text(t, count, int(UNDO_WINDOW.total_seconds() // 60))
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.gettext("Undo"), callback_data=f"draft:undo:{outcome.draft_id}"
                    )
                ]
            ]
        )
    elif outcome.state == "undone":
        text = undone_text(t, outcome.corrections)
    else:
        text = draft_state_text(t, outcome.state)
    await edit_in_place(query, text, markup)


async def _command_for_case(
    update: Update, context: Context, command: str, parse: Callable[[str], Any]
) -> tuple[Translator, Any, int] | None:
    """Rights, then strict parsing (usage on error), then the one case the arguments name."""
    t = await _guard(update, context)
    if t is None:
        return None
    try:
        args = parse(command_argument(update))
    except UsageError as error:
        await _usage(update, t, command, error)
        return None
    case_id = await _case_id(update, context, t, args.case)
    return None if case_id is None else (t, args, case_id)


async def newcase(update: Update, context: Context) -> None:
    """`/newcase <name>`."""
    t = await _guard(update, context)
    if t is None:
        return
    name = " ".join(command_argument(update).split())
    if not name or len(name) > 200:
        await _usage(update, t, "newcase", UsageError("too_long", "200") if name else None)
        return
    user = update.effective_user
    assert user is not None
    now, lookup_index = _now(context), services(context).lookup

    def create(session: Session) -> tuple[int, str]:
        case = create_case(
            session, name=name, lang=detect_language(name, t.lang), actor_id=user.id, now=now
        )
        assert case.id is not None
        lookup_index.upsert(session, indexed(session, case.id))
        return case.id, case.slug

    number, slug = await run_db(context, create)
    await answer(update, case_created(t, number, name, slug))


async def sethearing(update: Update, context: Context) -> None:
    """`/sethearing <case> <YYYY-MM-DD> <HH:MM> [court, city]` (time in CASEBOT_TIMEZONE)."""
    found = await _command_for_case(update, context, "sethearing", parse_sethearing)
    if found is None:
        return
    t, args, case_id = found
    await _propose_hearing(update, context, t, case_id, args.day, args.at, args.court, args.city)


async def _propose_hearing(
    update: Update,
    context: Context,
    t: Translator,
    case_id: int,
    day: Any,
    at: Any,
    court: str | None,
    city: str | None,
) -> None:
    settings = services(context).settings
    local = datetime.combine(day, at, tzinfo=ZoneInfo(settings.timezone))
    if local.astimezone(UTC) <= _now(context):
        await answer(update, escape(t.gettext("That moment has already passed.")))
        return
    # The court is found or created when the change is made (never by the preview).
    params = {
        "starts_at": local.astimezone(UTC).isoformat(),
        "tz": settings.timezone,
        "time_known": True,
        "court": court,
        "city": city,
        "court_lang": detect_language(court, t.lang) if court else None,
    }
    await propose(update, context, t, case_id, "hearing", params)


async def cancelhearing(update: Update, context: Context) -> None:
    """`/cancelhearing <case>`."""
    found = await _command_for_case(update, context, "cancelhearing", parse_case_only)
    if found is not None:
        t, _args, case_id = found
        await propose(update, context, t, case_id, "cancel_hearing", {})


async def setstatus(update: Update, context: Context) -> None:
    """`/setstatus <case> <key> [note]`."""
    found = await _command_for_case(update, context, "setstatus", parse_setstatus)
    if found is None:
        return
    t, args, case_id = found
    note_lang = detect_language(args.note, t.lang) if args.note else None
    params = {
        "dimension": args.dimension,
        "key": args.key,
        "note": {note_lang: args.note} if args.note and note_lang else {},
        "note_lang": note_lang,
    }
    await propose(update, context, t, case_id, "status", params)


async def setsentence(update: Update, context: Context) -> None:
    """`/setsentence <case> term=… [ratio=…] [detained=…] [verdict=…] [release=…]`."""
    found = await _command_for_case(update, context, "setsentence", parse_setsentence)
    if found is None:
        return
    t, args, case_id = found
    values = {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in args.values.items()
    }
    await propose(update, context, t, case_id, "sentence", {"values": values})


async def addevent(update: Update, context: Context) -> None:
    """`/addevent <case> <date> <text> [link]`: stored at once (timeline events alert no one)."""
    found = await _command_for_case(update, context, "addevent", parse_addevent)
    if found is None:
        return
    t, args, case_id = found
    user = update.effective_user
    assert user is not None
    lang, now = detect_language(args.text, t.lang), _now(context)

    def store(session: Session) -> int:
        event = add_event(
            session,
            case_id=case_id,
            day=args.day,
            precision=args.precision,
            text=args.text,
            lang=lang,
            source_url=args.source_url,
            actor_id=user.id,
            now=now,
        )
        assert event.id is not None
        return event.id

    number = await run_db(context, store)
    await answer(update, event_added(t, number, await _case_name(context, t, case_id), lang))


async def addname(update: Update, context: Context) -> None:
    """`/addname <case> <kk|ru|en|alias> <name>`; the search index learns it at once."""
    found = await _command_for_case(update, context, "addname", parse_addname)
    if found is None:
        return
    t, args, case_id = found
    user = update.effective_user
    assert user is not None
    now, lookup_index = _now(context), services(context).lookup

    def store(session: Session) -> bool:
        added = add_name(
            session, case_id=case_id, lang=args.lang, text=args.name, actor_id=user.id, now=now
        )
        if added:
            lookup_index.upsert(session, indexed(session, case_id))
        return added

    added = await run_db(context, store)
    await answer(update, name_added(t, await _case_name(context, t, case_id), args.name, added))


async def translate(update: Update, context: Context) -> None:
    """`/translate <event> <kk|ru|en> <text>`."""
    t = await _guard(update, context)
    if t is None:
        return
    try:
        event_id, lang, text = parse_translate(command_argument(update))
    except UsageError as error:
        await _usage(update, t, "translate", error)
        return
    user = update.effective_user
    assert user is not None
    event = await run_db(
        context,
        translate_event,
        event_id=event_id,
        lang=lang,
        text=text,
        actor_id=user.id,
        now=_now(context),
    )
    await answer(update, translation_saved(t, event_id, lang, event is not None))


async def organizer(update: Update, context: Context) -> None:
    """`/organizer add|remove <user id>`: admins only."""
    t = await _guard(update, context)
    if t is None:
        return
    user = update.effective_user
    assert user is not None
    if user.id not in services(context).settings.admins:
        await answer(update, admins_only(t))
        return
    try:
        add, user_id = parse_organizer(command_argument(update))
    except UsageError as error:
        await _usage(update, t, "organizer", error)
        return
    changed = await run_db(
        context, set_organizer, user_id=user_id, add=add, actor_id=user.id, now=_now(context)
    )
    await answer(update, organizer_changed(t, user_id, add, changed))


async def stats(update: Update, context: Context) -> None:
    """`/stats`: subscribers per case and language, deliveries by status."""
    t = await _guard(update, context)
    if t is None:
        return

    def read(session: Session) -> tuple[Any, dict[int, str]]:
        figures = get_stats(session, language_of=resolve_language)
        items = list_case_items(session, case_ids=[case_id for case_id, _ in figures.per_case])
        return figures, {item.id: case_title(t, item.names) for item in items}

    figures, names = await run_db(context, read)
    await answer(update, stats_text(t, figures, names))


async def _send_audit(
    update: Update, context: Context, t: Translator, case_id: int, page: int, *, edit: bool
) -> None:
    entries, total = await run_db(
        context, list_audit, case_id=case_id, offset=page * AUDIT_PAGE, limit=AUDIT_PAGE
    )
    pages = max(1, math.ceil(total / AUDIT_PAGE))
    text = audit_text(t, await _case_name(context, t, case_id), entries, page=page, pages=pages)
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"audit:{case_id}:{page - 1}"))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton("▶", callback_data=f"audit:{case_id}:{page + 1}"))
    markup = InlineKeyboardMarkup([nav]) if nav else None
    query = update.callback_query
    if edit and query is not None:
        await edit_in_place(query, text, markup)
    else:
        await answer_markup(update, text, markup)


async def answer_markup(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send HTML with an optional keyboard to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


async def audit(update: Update, context: Context) -> None:
    """`/audit <case>`: who changed what, when; newest first, paginated."""
    found = await _command_for_case(update, context, "audit", parse_case_only)
    if found is not None:
        t, _args, case_id = found
        await _send_audit(update, context, t, case_id, 0, edit=False)


async def audit_button(update: Update, context: Context) -> None:
    """The audit log's page buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    t = await _guard(update, context)
    if t is None:
        return
    parts = (query.data or "").split(":")
    if len(parts) == 3 and all(p.isdecimal() and len(p) < 10 for p in parts[1:]):
        await _send_audit(update, context, t, int(parts[1]), int(parts[2]), edit=True)


async def update_command(update: Update, context: Context) -> None:
    """`/update [case]`: the guided flow with buttons."""
    t = await _guard(update, context)
    if t is None:
        return
    query = command_argument(update)
    if not query:
        await send_list(update, context, t, page=0, target="upd", intro=guided_prompt(t, "case"))
        return
    case_id = await _case_id(update, context, t, query)
    if case_id is not None:
        await _choose_what(update, context, t, case_id)


async def _choose_what(update: Update, context: Context, t: Translator, case_id: int) -> None:
    rows = [
        [InlineKeyboardButton(t.gettext(label), callback_data=f"updd:{case_id}:{dim}")]
        for dim, label in DIMENSION_LABELS.items()
    ]
    rows.append([InlineKeyboardButton(t.gettext("Next hearing"), callback_data=f"updh:{case_id}")])
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("Cancel the next hearing"), callback_data=f"updx:{case_id}"
            )
        ]
    )
    name = await _case_name(context, t, case_id)
    await answer_markup(update, guided_prompt(t, "what", name), InlineKeyboardMarkup(rows))


async def guided_button(update: Update, context: Context) -> None:
    """The steps of /update."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    t = await _guard(update, context)
    if t is None:
        return
    kind, *rest = (query.data or "").split(":")
    if not rest or not rest[0].isdecimal() or len(rest[0]) > 9:
        return
    case_id = int(rest[0])
    if kind == "upd":
        await _choose_what(update, context, t, case_id)
    elif kind == "updd" and len(rest) == 2 and rest[1] in STATUS_LABELS:
        rows = [
            [
                InlineKeyboardButton(
                    f"{t.gettext(label)} ({key})", callback_data=f"upds:{case_id}:{key}"
                )
            ]
            for key, label in STATUS_LABELS[rest[1]].items()
        ]
        await answer_markup(update, guided_prompt(t, "key"), InlineKeyboardMarkup(rows))
    elif kind == "upds" and len(rest) == 2 and rest[1] in KEY_TO_DIMENSION:
        params: dict[str, Any] = {
            "dimension": KEY_TO_DIMENSION[rest[1]],
            "key": rest[1],
            "note": {},
            "note_lang": None,
        }
        await propose(update, context, t, case_id, "status", params)
    elif kind == "updh":
        if context.user_data is not None:
            context.user_data[AWAITING_HEARING] = case_id
        await answer(update, guided_prompt(t, "hearing"))
    elif kind == "updx":
        await propose(update, context, t, case_id, "cancel_hearing", {})


async def typed_hearing(update: Update, context: Context) -> None:
    """The date an organizer types after choosing Next hearing in /update."""
    if context.user_data is None or AWAITING_HEARING not in context.user_data:
        return
    t = await _guard(update, context)
    if t is None:
        return
    case_id = int(context.user_data[AWAITING_HEARING])
    message = update.effective_message
    try:
        typed = (message.text or "").replace("\x00", "") if message else ""
        args = parse_sethearing(f"#{case_id} {typed}")
    except UsageError as error:
        await _usage(update, t, "sethearing", error)
        return
    context.user_data.pop(AWAITING_HEARING, None)
    await _propose_hearing(update, context, t, case_id, args.day, args.at, args.court, args.city)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the organizer handlers; return the commands they answer."""
    for name, callback in (
        ("newcase", newcase),
        ("sethearing", sethearing),
        ("cancelhearing", cancelhearing),
        ("setstatus", setstatus),
        ("addevent", addevent),
        ("setsentence", setsentence),
        ("addname", addname),
        ("organizer", organizer),
        ("stats", stats),
        ("audit", audit),
        ("translate", translate),
        ("update", update_command),
    ):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(draft_button, pattern=r"^draft:"))
    app.add_handler(CallbackQueryHandler(audit_button, pattern=r"^audit:"))
    app.add_handler(CallbackQueryHandler(guided_button, pattern=r"^upd[dshx]?:"))
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, typed_hearing)
    )
    return COMMANDS
