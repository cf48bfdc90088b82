"""/case, /timeline, /calendar and their buttons: finding a case and reading about it.

Buttons (handlers.callbacks): Card, Timeline and TimelinePage, Calendar, and CaseList,
a page of the list of cases whose buttons lead to a target (card, tl, cal; sub / unsub
of handlers.subscriptions; upd, the organizers' guided /update).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers.attendance_buttons import answer_buttons
from handlers.common import (
    Context,
    edit_in_place,
    registered_commands,
    run_db,
    services,
    user_translator,
)
from handlers.miniapp import with_edit_button
from messages import N_, Translator
from messages.attendance import attendance_line
from messages.calendar import render_calendar
from messages.card import (
    case_title,
    list_label,
    render_card,
    render_case_gone,
    render_case_list,
    render_choices,
    render_not_found,
)
from messages.common import clip
from messages.letters import letter_label
from messages.timeline import timeline_pages
from storage.domain.sentence import estimate_for
from storage.reads.cases import (
    CaseListItem,
    CaseView,
    get_case_id_by_slug,
    list_cases,
)
from storage.reads.screens import Lookup as Lookup
from storage.reads.screens import calendar_of, look_up, timeline_of
from storage.usecases.attendance import CardReader, card_for_reader
from web.picture import picture_of

Shown = TypeVar("Shown")

COMMANDS = frozenset({"case", "timeline", "calendar"})
TIMELINE_USAGE = N_("Usage: /timeline followed by a name or number. Or choose:")
CALENDAR_USAGE = N_("Usage: /calendar followed by a name or number. Or choose:")
SEARCH_HINT = N_(
    "Type a person's name in any spelling or script to find their case; /help lists the commands."
)
PAGE_SIZE = 8


def command_argument(update: Update) -> str:
    """The text after the command (all of it, spaces kept), stripped."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    # NUL cannot be stored in PostgreSQL text and never means anything here.
    parts = message.text.replace("\x00", "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def lookup(context: Context, query: str) -> Lookup:
    """Resolve a query (number, slug, any spelling of a name) through the live index."""
    return await run_db(context, look_up, query=query, index=services(context).lookup)


def _now(context: Context) -> datetime:
    return services(context).clock()


def _local_now(context: Context) -> datetime:
    return _now(context).astimezone(services(context).settings.zone)


def share_link(context: Context, slug: str) -> str | None:
    """The deep link that opens a case's card: t.me/<bot>?start=case_<slug>."""
    username = context.bot.username if context.bot else None
    return f"https://t.me/{username}?start=case_{slug}" if username else None


def _card_markup(
    t: Translator, context: Context, view: CaseView, reader: CardReader
) -> InlineKeyboardMarkup:
    subscribed = reader.subscribed
    rows = []
    if view.next_hearing is not None and view.next_hearing.starts_at > _now(context):
        rows.append(answer_buttons(t, view.next_hearing.id, chosen=reader.answer))
    row = [cb.Timeline(view.id, 0).button(t.gettext("Timeline"))]
    if "subscribe" in registered_commands(context):
        if subscribed:
            row.append(cb.Unsubscribe(view.id).button(t.gettext("Unsubscribe")))
        else:
            row.append(cb.Subscribe(view.id).button(t.gettext("Subscribe")))
    row.append(cb.Calendar(view.id).button(t.gettext("Calendar")))
    if view.letter_address:
        rows.append([cb.Letter(view.id).button(letter_label(t))])
    share = [cb.Picture(view.id).button(t.gettext("Picture"))]
    settings = services(context).settings
    if settings.links_to_website:
        page = f"{settings.public_url}/{t.lang}/cases/{view.slug}"
        share.append(InlineKeyboardButton(t.gettext("Web page"), url=page))
    return InlineKeyboardMarkup([row, *rows, share])


async def send_card(update: Update, context: Context, case_id: int) -> None:
    """Send the card of a case, or say it is gone and show the list."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    now = _now(context)
    user = update.effective_user
    view, reader = await run_db(
        context,
        card_for_reader,
        case_id=case_id,
        chat_id=chat.id,
        user_id=user.id if user else None,
        now=now,
        admins=services(context).settings.admins,
    )
    if view is None:
        await send_list(update, context, t, page=0, target="card", intro=render_case_gone(t))
        return
    estimate = estimate_for(view)
    text = render_card(t, view, estimate=estimate, today=_local_now(context).date())
    if reader.attendance is not None and chat.type == "private":
        text += "\n" + attendance_line(t, reader.attendance)
    link = share_link(context, view.slug)
    if link:
        text += "\n" + escape(t.gettext("Share: %(link)s") % {"link": link})
    markup = await with_edit_button(
        update, context, t, _card_markup(t, context, view, reader), view.id
    )
    await chat.send_message(text, reply_markup=markup)


def _list_markup(
    t: Translator, items: list[CaseListItem], *, target: str, page: int, pages: int
) -> InlineKeyboardMarkup | None:
    rows = [[target_button(target, item.id).button(list_label(t, item))] for item in items]
    nav = []
    if page > 0:
        nav.append(cb.CaseList(target, page - 1).button("◀"))
    if page + 1 < pages:
        nav.append(cb.CaseList(target, page + 1).button("▶"))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows) if rows else None


def target_button(target: str, case_id: int) -> cb.Button:
    """The button that does ``target`` (a list target) to one case."""
    buttons: dict[str, Callable[[int], cb.Button]] = {
        "card": cb.Card,
        "tl": lambda case_id: cb.Timeline(case_id, 0),
        "cal": cb.Calendar,
        "sub": cb.Subscribe,
        "unsub": cb.Unsubscribe,
        "upd": cb.GuidedStart,
    }
    return buttons[target](case_id)


async def _list_page(context: Context, page: int) -> tuple[list[CaseListItem], int, int]:
    items, total = await run_db(context, list_cases, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    return items, total, max(1, math.ceil(total / PAGE_SIZE))


async def send_list(
    update: Update,
    context: Context,
    t: Translator,
    *,
    page: int,
    target: str,
    intro: str | None = None,
    edit: bool = False,
) -> None:
    """Send (or, for page buttons, edit in place) a page of the list of cases."""
    items, total, pages = await _list_page(context, page)
    if page >= pages:  # a stale page button: show the last page instead
        page = pages - 1
        items, total, pages = await _list_page(context, page)
    text = render_case_list(t, page=page, pages=pages, total=total)
    if intro:
        text = f"{intro}\n\n{text}"
    markup = _list_markup(t, items, target=target, page=page, pages=pages)
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        await edit_in_place(query, text, markup)
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


async def send_choices(
    update: Update, context: Context, t: Translator, query: str, found: Lookup, target: str
) -> None:
    """Several cases match: list them as buttons instead of guessing."""
    chat = update.effective_chat
    assert chat is not None
    rows = [[target_button(target, item.id).button(list_label(t, item))] for item in found.choices]
    await chat.send_message(render_choices(t, query), reply_markup=InlineKeyboardMarkup(rows))


async def _resolve_and(update: Update, context: Context, target: str, usage: str) -> None:
    t = await user_translator(update, context)
    query = command_argument(update)
    if not query:
        if target == "card":
            await send_list(update, context, t, page=0, target=target)
        else:
            await send_list(
                update, context, t, page=0, target=target, intro=escape(t.gettext(usage))
            )
        return
    found = await lookup(context, query)
    if found.case_id is not None:
        await _show(update, context, target, found.case_id)
    elif found.choices:
        await send_choices(update, context, t, query, found, target)
    else:
        await send_list(update, context, t, page=0, target=target, intro=render_not_found(t, query))


async def _show(update: Update, context: Context, target: str, case_id: int) -> None:
    if target == "tl":
        await send_timeline(update, context, case_id, page=0, edit=False)
    elif target == "cal":
        await send_calendar(update, context, case_id)
    else:
        await send_card(update, context, case_id)


async def case_command(update: Update, context: Context) -> None:
    """`/case <case>`: the card; without an argument, the list of cases."""
    await _resolve_and(update, context, "card", "")


async def search_text(update: Update, context: Context) -> None:
    """Plain text in a private chat is a name search, as ``/case <text>`` would do: one
    match opens the card, ties are buttons, no match gives the list and a hint."""
    message = update.effective_message
    query = " ".join((message.text or "").replace("\x00", "").split()) if message else ""
    if not query:
        return
    t = await user_translator(update, context)
    found = await lookup(context, query)
    if found.case_id is not None:
        await send_card(update, context, found.case_id)
    elif found.choices:
        await send_choices(update, context, t, query, found, "card")
    else:
        intro = render_not_found(t, query) + "\n" + escape(t.gettext(SEARCH_HINT))
        await send_list(update, context, t, page=0, target="card", intro=intro)


async def timeline_command(update: Update, context: Context) -> None:
    """`/timeline <case>`: the dated events of a case."""
    await _resolve_and(update, context, "tl", TIMELINE_USAGE)


async def calendar_command(update: Update, context: Context) -> None:
    """`/calendar <case>`: the upcoming hearings as an .ics file."""
    await _resolve_and(update, context, "cal", CALENDAR_USAGE)


def _timeline_markup(
    t: Translator, case_id: int, page: int, pages: int
) -> InlineKeyboardMarkup | None:
    nav = []
    if page > 0:
        nav.append(cb.TimelinePage(case_id, page - 1).button("◀"))
    if page + 1 < pages:
        nav.append(cb.TimelinePage(case_id, page + 1).button("▶"))
    rows = [nav] if nav else []
    rows.append([cb.Card(case_id).button(t.gettext("Case card"))])
    return InlineKeyboardMarkup(rows)


async def _case_screen(
    update: Update,
    context: Context,
    t: Translator,
    read: Callable[..., tuple[CaseView | None, list[Shown]]],
    *,
    case_id: int,
    target: str,
) -> tuple[CaseView, list[Shown]] | None:
    """A case and what a screen of it shows (``read``); None, with the list of cases and
    a word that this one is gone, when it was deleted since its button was sent."""
    view, shown = await run_db(context, read, case_id=case_id, now=_now(context))
    if view is None:
        await send_list(update, context, t, page=0, target=target, intro=render_case_gone(t))
        return None
    return view, shown


async def send_timeline(
    update: Update, context: Context, case_id: int, *, page: int, edit: bool
) -> None:
    """Send a timeline page, or turn the page of the message the button is on."""
    t = await user_translator(update, context)
    screen = await _case_screen(update, context, t, timeline_of, case_id=case_id, target="tl")
    if screen is None:
        return
    view, events = screen
    pages = timeline_pages(t, case_title(t, view.names), events)
    page = max(0, min(page, len(pages) - 1))
    markup = _timeline_markup(t, case_id, page, len(pages))
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        await edit_in_place(query, pages[page], markup)
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(pages[page], reply_markup=markup)


async def send_calendar(update: Update, context: Context, case_id: int) -> None:
    """Send the .ics file of a case's upcoming hearings (or say there are none)."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    screen = await _case_screen(update, context, t, calendar_of, case_id=case_id, target="cal")
    if screen is None:
        return
    view, hearings = screen
    title = case_title(t, view.names)
    if not hearings:
        text = t.gettext("No upcoming hearings are known for %(name)s.") % {"name": title}
        await chat.send_message(escape(text))
        return
    username = context.bot.username or "casebot"
    data = render_calendar(
        t,
        title=title,
        hearings=hearings,
        case_url=share_link(context, view.slug),
        domain=f"{username}.t.me",
        stamp=_now(context),
    )
    caption = t.ngettext(
        "%(count)d upcoming hearing of %(name)s. Open the file to add it to your calendar.",
        "%(count)d upcoming hearings of %(name)s. Open the file to add them to your calendar.",
        len(hearings),
    ) % {"count": len(hearings), "name": title}
    await chat.send_document(
        InputFile(data, filename=f"{view.slug}-hearings.ics", attach=True),
        caption=escape(caption),
    )


async def send_picture(update: Update, context: Context, case_id: int) -> None:
    """Send the case's share picture, the same image as the website's card.png."""
    chat = update.effective_chat
    assert chat is not None
    t = await user_translator(update, context)
    settings = services(context).settings
    picture, title = await run_db(
        context,
        picture_of,
        case_id=case_id,
        lang=t.lang,
        now=_now(context),
        zone=settings.zone,
        public_url=settings.public_url,
    )
    if picture is None:
        await send_list(update, context, t, page=0, target="card", intro=render_case_gone(t))
        return
    await chat.send_photo(InputFile(picture, filename="card.png"), caption=escape(title))


async def case_button(update: Update, context: Context) -> None:
    """Card, Timeline (and its pages), Calendar and case-list page buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    button = cb.parse(query.data)
    if isinstance(button, cb.Card):
        await send_card(update, context, button.case_id)
    elif isinstance(button, cb.Timeline | cb.TimelinePage):
        edit = isinstance(button, cb.TimelinePage)
        await send_timeline(update, context, button.case_id, page=button.page, edit=edit)
    elif isinstance(button, cb.Calendar):
        await send_calendar(update, context, button.case_id)
    elif isinstance(button, cb.Picture):
        await send_picture(update, context, button.case_id)
    elif isinstance(button, cb.CaseList) and button.page < 100_000:
        t = await user_translator(update, context)
        await send_list(update, context, t, page=button.page, target=button.target, edit=True)


async def open_case_by_slug(update: Update, context: Context, slug: str) -> None:
    """The deep link /start case_<slug>: the card, or the list if the slug is unknown."""
    case_id = await run_db(context, get_case_id_by_slug, slug=slug[:80])
    if case_id is None:
        t = await user_translator(update, context)
        intro = render_not_found(t, clip(slug))
        await send_list(update, context, t, page=0, target="card", intro=intro)
        return
    await send_card(update, context, case_id)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the lookup handlers; return the commands they answer."""
    app.add_handler(CommandHandler("case", case_command))
    app.add_handler(CommandHandler("timeline", timeline_command))
    app.add_handler(CommandHandler("calendar", calendar_command))
    app.add_handler(
        CallbackQueryHandler(
            case_button,
            pattern=cb.of(
                cb.Card, cb.Timeline, cb.TimelinePage, cb.Calendar, cb.Picture, cb.CaseList
            ),
        )
    )
    return COMMANDS
