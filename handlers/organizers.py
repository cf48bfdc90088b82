"""The organizers' commands that change cases: rights first (handlers.rights, through
handlers.rights.organizers_only), strict parsing (handlers.syntax), and alerting
changes handed to a preview (handlers.drafts).

Some edits ask first (storage.usecases.questions): a new case whose name an existing case already
has, or one close to it ("Open the existing case" / "Create anyway"), and a timeline
event, a detention or a verdict dated after today ("Add anyway" / "Cancel").

Buttons: :class:`handlers.callbacks.Question` (and :class:`~handlers.callbacks.Card` to
open an existing case). /audit, /stats and /organizer live in handlers.audit; previews
and the guided /update have their own modules (handlers.drafts, handlers.guided).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import audit, broadcasts, drafts
from handlers import callbacks as cb
from handlers.cases import command_argument
from handlers.common import Context, answer, case_name, edit_in_place, run_db, services
from handlers.organizing import (
    answer_markup,
    command_for_case,
    now,
    resolve_case,
    send_usage,
    today,
)
from handlers.rights import organizers_only
from handlers.syntax import (
    EventArgs,
    HearingArgs,
    NameArgs,
    SentenceArgs,
    StatusArgs,
    UsageError,
    after_today,
    future_sentence_date,
    parse_addevent,
    parse_addname,
    parse_case_only,
    parse_sethearing,
    parse_setsentence,
    parse_setstatus,
    parse_translate,
)
from messages import Translator
from messages.card import list_label
from messages.organizer import (
    case_created,
    event_added,
    future_date_question,
    name_added,
    question_state_text,
    similar_case_warning,
    translation_saved,
)
from storage.payloads import (
    CancelHearingDraft,
    DraftPayload,
    EventQuestion,
    HearingDraft,
    NewCaseQuestion,
    SentenceDraft,
    StatusDraft,
)
from storage.usecases.editing import detect_language, detect_name_language, translate_event
from storage.usecases.organizing import (
    add_indexed_name,
    answer_and_make,
    create_indexed_case,
    similar_case_items,
)
from storage.usecases.organizing import store_event as store_event_use
from storage.usecases.questions import ask

COMMANDS = frozenset({
    "newcase", "sethearing", "cancelhearing", "setstatus", "addevent", "setsentence",
    "addname", "translate",
})  # fmt: skip

__all__ = [
    "propose_hearing",
    "propose_sentence",
    "propose_status",
    "register",
    "resolve_case",
    "store_event",
    "store_name",
]


async def _ask(
    update: Update,
    context: Context,
    t: Translator,
    kind: str,
    params: DraftPayload,
    *,
    text: str,
    yes: str,
    case_id: int | None = None,
    before: list[InlineKeyboardButton] | None = None,
) -> None:
    """Hold an edit back with a question: `yes` makes it, Cancel drops it."""
    user = update.effective_user
    assert user is not None
    question_id = await run_db(
        context, ask, actor_id=user.id, kind=kind, params=params, case_id=case_id, now=now(context)
    )
    rows = [[button] for button in before or []]
    rows.append(
        [
            cb.Question("yes", question_id).button(yes),
            cb.Question("no", question_id).button(t.gettext("Cancel")),
        ]
    )
    await answer_markup(update, text, InlineKeyboardMarkup(rows))


async def _ask_first(
    update: Update,
    context: Context,
    t: Translator,
    kind: str,
    params: DraftPayload,
    question: str,
    case_id: int,
) -> None:
    """A date after today: "Add anyway" makes the edit, Cancel drops it."""
    await _ask(
        update,
        context,
        t,
        kind,
        params,
        text=question,
        yes=t.gettext("Add anyway"),
        case_id=case_id,
    )


@organizers_only
async def newcase(update: Update, context: Context, t: Translator) -> None:
    """`/newcase <name>`; a name an existing case has (or one close to it) asks first."""
    name = " ".join(command_argument(update).split())
    if not name or len(name) > 200:
        await send_usage(update, t, "newcase", UsageError("too_long", "200") if name else None)
        return
    lang, lookup_index = detect_name_language(name, t.lang), services(context).lookup
    similar = await run_db(context, similar_case_items, name=name, index=lookup_index)
    if not similar:
        user = update.effective_user
        assert user is not None
        number, slug = await run_db(
            context,
            create_indexed_case,
            name=name,
            lang=lang,
            actor_id=user.id,
            now=now(context),
            index=lookup_index,
        )
        await answer(update, case_created(t, number, name, slug))
        return
    labels = [list_label(t, item) for item in similar]
    opens = [
        cb.Card(item.id).button(
            t.gettext("Open the existing case")
            if len(similar) == 1
            else t.gettext("Open %(case)s") % {"case": label}
        )
        for item, label in zip(similar, labels, strict=True)
    ]
    await _ask(
        update,
        context,
        t,
        "new_case",
        NewCaseQuestion(name=name, lang=lang),
        text=similar_case_warning(t, name, labels),
        yes=t.gettext("Create anyway"),
        before=opens,
    )


async def propose_hearing(
    update: Update, context: Context, t: Translator, args: HearingArgs, case_id: int
) -> None:
    """Preview a hearing set or moved (the time typed in CASEBOT_TIMEZONE)."""
    court, city = args.court, args.city
    settings = services(context).settings
    local = datetime.combine(args.day, args.at, tzinfo=ZoneInfo(settings.timezone))
    if local.astimezone(UTC) <= now(context):
        await answer(update, escape(t.gettext("That moment has already passed.")))
        return
    # The court is found (in any language or spelling) or created when the change is made,
    # never by the preview.
    params = HearingDraft(
        starts_at=local.astimezone(UTC),
        tz=settings.timezone,
        time_known=True,
        court=court,
        city=city,
        court_lang=detect_language(court, t.lang) if court else None,
    )
    await drafts.propose(update, context, t, case_id, params)


@organizers_only
async def cancelhearing(update: Update, context: Context, t: Translator) -> None:
    """`/cancelhearing <case>`."""
    found = await command_for_case(update, context, t, "cancelhearing", parse_case_only)
    if found is not None:
        _args, case_id = found
        await drafts.propose(update, context, t, case_id, CancelHearingDraft())


async def propose_status(
    update: Update, context: Context, t: Translator, args: StatusArgs, case_id: int
) -> None:
    """Preview a status change, with its note in the language it is written in."""
    note_lang = detect_language(args.note, t.lang) if args.note else None
    params = StatusDraft(
        dimension=args.dimension,
        key=args.key,
        note={note_lang: args.note} if args.note and note_lang else {},
        note_lang=note_lang,
        basis=args.basis,
        source=args.source_url,
    )
    await drafts.propose(update, context, t, case_id, params)


async def propose_sentence(
    update: Update, context: Context, t: Translator, args: SentenceArgs, case_id: int
) -> None:
    """Preview a sentence (saved at once when it does not move the expected release); a
    detention or verdict after today asks first."""
    params = SentenceDraft(
        {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in args.values.items()
        }
    )
    day = today(context)
    future = future_sentence_date(args.values, day)
    if future is not None:
        name, when = future
        question = future_date_question(t, name, when, "day", day)
        await _ask_first(update, context, t, "sentence", params, question, case_id)
        return
    await drafts.propose(update, context, t, case_id, params)


async def store_event(
    update: Update, context: Context, t: Translator, args: EventArgs, case_id: int
) -> None:
    """Add a timeline event, stored in the language it is written in; one dated after
    today asks first."""
    params = EventQuestion(
        day=args.day,
        precision=args.precision,
        text=args.text,
        lang=detect_language(args.text, t.lang),
        source_url=args.source_url,
        basis=args.basis,
    )
    day = today(context)
    if after_today(args.day, args.precision, day):
        question = future_date_question(t, "event", args.day, args.precision, day)
        await _ask_first(update, context, t, "event", params, question, case_id)
        return
    user = update.effective_user
    assert user is not None
    number = await run_db(
        context, store_event_use, case_id=case_id, params=params, actor_id=user.id, now=now(context)
    )
    name = await case_name(context, t, case_id)
    await answer(update, event_added(t, number, name, params.lang))


async def store_name(
    update: Update, context: Context, t: Translator, args: NameArgs, case_id: int
) -> None:
    """Add a name or spelling; the search index learns it at once."""
    user = update.effective_user
    assert user is not None
    added = await run_db(
        context,
        add_indexed_name,
        case_id=case_id,
        lang=args.lang,
        text=args.name,
        actor_id=user.id,
        now=now(context),
        index=services(context).lookup,
    )
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
        now=now(context),
    )
    await answer(update, translation_saved(t, event_id, lang, event is not None))


@organizers_only
async def question_button(update: Update, context: Context, t: Translator) -> None:
    """Create anyway / Add anyway / Cancel: the held edit is made (or dropped) once."""
    query = update.callback_query
    assert query is not None
    button = cb.pressed(query.data, cb.Question)
    user = update.effective_user
    if button is None or user is None:
        await query.answer()
        return
    found = await run_db(
        context,
        answer_and_make,
        question_id=button.question_id,
        actor_id=user.id,
        yes=button.answer == "yes",
        now=now(context),
        index=services(context).lookup,
    )
    answered, params = found.answer, found.answer.params
    if answered.state == "done":
        await query.answer(question_state_text(t, "done"))
        return
    await query.answer()
    if answered.state != "yes":
        await edit_in_place(query, question_state_text(t, answered.state))
    elif found.case is not None and isinstance(params, NewCaseQuestion):
        number, slug = found.case
        await edit_in_place(query, case_created(t, number, params.name, slug))
    elif found.event is not None and answered.case_id is not None:
        assert isinstance(params, EventQuestion)
        name = await case_name(context, t, answered.case_id)
        await edit_in_place(query, event_added(t, found.event, name, params.lang))
    elif isinstance(params, SentenceDraft) and answered.case_id is not None:
        await edit_in_place(query, question_state_text(t, "going_ahead"))
        await drafts.propose(update, context, t, answered.case_id, params)


CaseStep = Callable[[Update, Context, Translator, Any, int], Awaitable[None]]


def _case_command(
    name: str, parse: Callable[[str], Any], then: CaseStep, doc: str
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """An organizer command about one case: parse strictly, then hand on."""

    @organizers_only
    async def command(update: Update, context: Context, t: Translator) -> None:
        found = await command_for_case(update, context, t, name, parse)
        if found is not None:
            await then(update, context, t, *found)

    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return command


sethearing = _case_command(
    "sethearing",
    parse_sethearing,
    propose_hearing,
    "`/sethearing <case> <DD.MM.YYYY> <HH:MM> [court, city]` (time in CASEBOT_TIMEZONE).",
)
setstatus = _case_command(
    "setstatus", parse_setstatus, propose_status, "`/setstatus <case> <key> [note]`."
)
setsentence = _case_command(
    "setsentence",
    parse_setsentence,
    propose_sentence,
    "`/setsentence <case> term=… [ratio=…] [detained=…] [verdict=…] [release=…]`.",
)
addevent = _case_command(
    "addevent",
    parse_addevent,
    store_event,
    "`/addevent <case> <date> <text> [link]`: stored at once (timeline events alert no one).",
)
addname = _case_command(
    "addname",
    parse_addname,
    store_name,
    "`/addname <case> <kk|ru|en|alias> <name>`; the search index learns it at once.",
)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the organizer handlers (and the preview and question buttons); return the
    commands they answer."""
    for name, callback in (
        ("newcase", newcase),
        ("sethearing", sethearing),
        ("cancelhearing", cancelhearing),
        ("setstatus", setstatus),
        ("addevent", addevent),
        ("setsentence", setsentence),
        ("addname", addname),
        ("translate", translate),
    ):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(question_button, pattern=cb.of(cb.Question)))
    drafts.register(app)
    broadcasts.register(app)
    return COMMANDS | audit.register(app)
