"""The organizers' commands: rights first (handlers.rights), strict parsing
(handlers.syntax), and alerting changes handed to a preview (handlers.drafts).

Buttons: :class:`handlers.callbacks.AuditPage`; previews and the guided /update have
their own modules (handlers.drafts, handlers.guided).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers import drafts
from handlers.cases import command_argument, lookup
from handlers.common import Context, answer, edit_in_place, run_db, services
from handlers.drafts import case_name
from handlers.rights import is_admin, organizers_only
from handlers.syntax import (
    EventArgs,
    HearingArgs,
    NameArgs,
    SentenceArgs,
    StatusArgs,
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
from messages.card import case_title, list_label
from messages.i18n import resolve_language
from messages.organizer import (
    admins_only,
    audit_text,
    case_created,
    event_added,
    name_added,
    no_case,
    organizer_changed,
    several_cases,
    stats_text,
    translation_saved,
    usage_text,
)
from storage.cases import list_case_items
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

COMMANDS = frozenset({
    "newcase", "sethearing", "cancelhearing", "setstatus", "addevent", "setsentence",
    "addname", "organizer", "stats", "audit", "translate",
})  # fmt: skip
AUDIT_PAGE = 10


def _now(context: Context) -> datetime:
    return services(context).clock()


async def resolve_case(update: Update, context: Context, t: Translator, query: str) -> int | None:
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


async def send_usage(update: Update, t: Translator, command: str, error: UsageError | None) -> None:
    await answer(
        update,
        usage_text(t, command, error.problem if error else None, error.value if error else ""),
    )


async def _command_for_case(
    update: Update,
    context: Context,
    t: Translator,
    command: str,
    parse: Callable[[str], Any],
) -> tuple[Any, int] | None:
    """Strict parsing (usage on error), then the one case the arguments name."""
    try:
        args = parse(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, command, error)
        return None
    case_id = await resolve_case(update, context, t, args.case)
    return None if case_id is None else (args, case_id)


@organizers_only
async def newcase(update: Update, context: Context, t: Translator) -> None:
    """`/newcase <name>`."""
    name = " ".join(command_argument(update).split())
    if not name or len(name) > 200:
        await send_usage(update, t, "newcase", UsageError("too_long", "200") if name else None)
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


@organizers_only
async def sethearing(update: Update, context: Context, t: Translator) -> None:
    """`/sethearing <case> <YYYY-MM-DD> <HH:MM> [court, city]` (time in CASEBOT_TIMEZONE)."""
    found = await _command_for_case(update, context, t, "sethearing", parse_sethearing)
    if found is not None:
        await propose_hearing(update, context, t, *found)


async def propose_hearing(
    update: Update, context: Context, t: Translator, args: HearingArgs, case_id: int
) -> None:
    """Preview a hearing set or moved (the time typed in CASEBOT_TIMEZONE)."""
    court, city = args.court, args.city
    settings = services(context).settings
    local = datetime.combine(args.day, args.at, tzinfo=ZoneInfo(settings.timezone))
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
    await drafts.propose(update, context, t, case_id, "hearing", params)


@organizers_only
async def cancelhearing(update: Update, context: Context, t: Translator) -> None:
    """`/cancelhearing <case>`."""
    found = await _command_for_case(update, context, t, "cancelhearing", parse_case_only)
    if found is not None:
        _args, case_id = found
        await drafts.propose(update, context, t, case_id, "cancel_hearing", {})


@organizers_only
async def setstatus(update: Update, context: Context, t: Translator) -> None:
    """`/setstatus <case> <key> [note]`."""
    found = await _command_for_case(update, context, t, "setstatus", parse_setstatus)
    if found is not None:
        await propose_status(update, context, t, *found)


async def propose_status(
    update: Update, context: Context, t: Translator, args: StatusArgs, case_id: int
) -> None:
    """Preview a status change, with its note in the language it is written in."""
    note_lang = detect_language(args.note, t.lang) if args.note else None
    params = {
        "dimension": args.dimension,
        "key": args.key,
        "note": {note_lang: args.note} if args.note and note_lang else {},
        "note_lang": note_lang,
    }
    await drafts.propose(update, context, t, case_id, "status", params)


@organizers_only
async def setsentence(update: Update, context: Context, t: Translator) -> None:
    """`/setsentence <case> term=… [ratio=…] [detained=…] [verdict=…] [release=…]`."""
    found = await _command_for_case(update, context, t, "setsentence", parse_setsentence)
    if found is not None:
        await propose_sentence(update, context, t, *found)


async def propose_sentence(
    update: Update, context: Context, t: Translator, args: SentenceArgs, case_id: int
) -> None:
    """Preview a sentence (saved at once when it does not move the expected release)."""
    values = {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in args.values.items()
    }
    await drafts.propose(update, context, t, case_id, "sentence", {"values": values})


@organizers_only
async def addevent(update: Update, context: Context, t: Translator) -> None:
    """`/addevent <case> <date> <text> [link]`: stored at once (timeline events alert no one)."""
    found = await _command_for_case(update, context, t, "addevent", parse_addevent)
    if found is not None:
        await store_event(update, context, t, *found)


async def store_event(
    update: Update, context: Context, t: Translator, args: EventArgs, case_id: int
) -> None:
    """Add a timeline event, stored in the language it is written in."""
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
    await answer(update, event_added(t, number, await case_name(context, t, case_id), lang))


@organizers_only
async def addname(update: Update, context: Context, t: Translator) -> None:
    """`/addname <case> <kk|ru|en|alias> <name>`; the search index learns it at once."""
    found = await _command_for_case(update, context, t, "addname", parse_addname)
    if found is not None:
        await store_name(update, context, t, *found)


async def store_name(
    update: Update, context: Context, t: Translator, args: NameArgs, case_id: int
) -> None:
    """Add a name or spelling; the search index learns it at once."""
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
    await answer(update, name_added(t, await case_name(context, t, case_id), args.name, added))


@organizers_only
async def translate(update: Update, context: Context, t: Translator) -> None:
    """`/translate <event> <kk|ru|en> <text>`."""
    try:
        event_id, lang, text = parse_translate(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, "translate", error)
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


@organizers_only
async def organizer(update: Update, context: Context, t: Translator) -> None:
    """`/organizer add|remove <user id>`: admins only."""
    user = update.effective_user
    assert user is not None
    if not is_admin(update, context):
        await answer(update, admins_only(t))
        return
    try:
        add, user_id = parse_organizer(command_argument(update))
    except UsageError as error:
        await send_usage(update, t, "organizer", error)
        return
    changed = await run_db(
        context, set_organizer, user_id=user_id, add=add, actor_id=user.id, now=_now(context)
    )
    await answer(update, organizer_changed(t, user_id, add, changed))


@organizers_only
async def stats(update: Update, context: Context, t: Translator) -> None:
    """`/stats`: subscribers per case and language, deliveries by status."""

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
    text = audit_text(t, await case_name(context, t, case_id), entries, page=page, pages=pages)
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


async def answer_markup(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send HTML with an optional keyboard to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


@organizers_only
async def audit(update: Update, context: Context, t: Translator) -> None:
    """`/audit <case>`: who changed what, when; newest first, paginated."""
    found = await _command_for_case(update, context, t, "audit", parse_case_only)
    if found is not None:
        _args, case_id = found
        await _send_audit(update, context, t, case_id, 0, edit=False)


@organizers_only
async def audit_button(update: Update, context: Context, t: Translator) -> None:
    """The audit log's page buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    button = cb.pressed(query.data, cb.AuditPage)
    if button is not None and button.page < 100_000:
        await _send_audit(update, context, t, button.case_id, button.page, edit=True)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the organizer handlers (and the preview buttons); return the commands they
    answer."""
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
    ):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(audit_button, pattern=cb.of(cb.AuditPage)))
    drafts.register(app)
    return COMMANDS
