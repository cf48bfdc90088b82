"""Inline mode: typing ``@<bot> <name>`` in any chat lists the matching cases (the bot's
own name search); choosing one posts its card in the language of the inline query
(``language_code``) with "Follow" (the ``sub_<slug>`` deep link) and "Timeline".

A message sent via the bot belongs to the chat it was posted in, where the bot may not
be: its buttons edit it in place (``inline_message_id``), turning the card into its
timeline pages and back, always in the language it was shared in.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, InlineQueryHandler

from handlers import callbacks as cb
from handlers.common import Context, answer_press, edit_pressed, run_db, services
from messages import Translator, translator
from messages.card import case_title, render_card
from messages.common import status_label
from messages.i18n import language_from_telegram
from messages.timeline import timeline_pages
from storage.domain.sentence import estimate_for
from storage.reads.cases import CaseView, EventView, get_case_view, list_cases, list_events

MAX_RESULTS = 10
CACHE_SECONDS = 30


def _follow_link(context: Context, slug: str) -> str | None:
    username = context.bot.username if context.bot else None
    return f"https://t.me/{username}?start=sub_{slug}" if username else None


def shared_markup(
    t: Translator,
    context: Context,
    view: CaseView,
    *,
    show: str = "tl",
    page: int = 0,
    pages: int = 1,
) -> InlineKeyboardMarkup:
    """Follow (the deep link) and Timeline on a card; page arrows and Card on a timeline."""
    rows: list[list[InlineKeyboardButton]] = []
    if show == "card":
        nav = []
        if page > 0:
            nav.append(cb.Shared("tl", view.id, t.lang, page - 1).button("◀"))
        if page + 1 < pages:
            nav.append(cb.Shared("tl", view.id, t.lang, page + 1).button("▶"))
        if nav:
            rows.append(nav)
        rows.append([cb.Shared("card", view.id, t.lang).button(t.gettext("Case card"))])
    else:
        rows.append([cb.Shared("tl", view.id, t.lang).button(t.gettext("Timeline"))])
    link = _follow_link(context, view.slug)
    if link:
        rows.append([InlineKeyboardButton(t.gettext("Follow"), url=link)])
    return InlineKeyboardMarkup(rows)


def _card_text(t: Translator, context: Context, view: CaseView) -> str:
    today = services(context).clock().astimezone(services(context).settings.zone).date()
    return render_card(t, view, estimate=estimate_for(view), today=today)


async def inline_query(update: Update, context: Context) -> None:
    """Answer ``@bot <name>`` with the matching cases (the first cases when empty)."""
    query = update.inline_query
    assert query is not None
    t = translator(language_from_telegram(query.from_user.language_code))
    text = " ".join(query.query.replace("\x00", "").split())[:300]
    lookup = services(context).lookup
    now: datetime = services(context).clock()

    def read(session: Session) -> list[CaseView]:
        if text:
            ids = [match.case_id for match in lookup.search(session, text).matches]
        else:
            ids = [item.id for item in list_cases(session, offset=0, limit=MAX_RESULTS)[0]]
        views = [get_case_view(session, case_id=case_id, now=now) for case_id in ids]
        return [view for view in views[:MAX_RESULTS] if view is not None]

    views = await run_db(context, read)
    results = [
        InlineQueryResultArticle(
            id=f"case-{view.id}",
            title=case_title(t, view.names),
            description=status_label(t, "custody", view.custody),
            input_message_content=InputTextMessageContent(
                _card_text(t, context, view),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            reply_markup=shared_markup(t, context, view),
        )
        for view in views
    ]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)


async def shared_button(update: Update, context: Context) -> None:
    """Timeline, its pages and Card on a message shared inline: edit it in place."""
    button = await answer_press(update, cb.Shared)
    if button is None:
        return
    t = translator(button.lang)
    now = services(context).clock()

    def read(session: Session) -> tuple[CaseView | None, list[EventView]]:
        view = get_case_view(session, case_id=button.case_id, now=now)
        return view, list_events(session, case_id=button.case_id) if view else []

    view, events = await run_db(context, read)
    if view is None:
        return  # the case was deleted: leave the shared message as it is
    if button.view == "card":
        await edit_pressed(update, _card_text(t, context, view), shared_markup(t, context, view))
        return
    pages = timeline_pages(t, case_title(t, view.names), events)
    page = max(0, min(button.page, len(pages) - 1))
    markup = shared_markup(t, context, view, show="card", page=page, pages=len(pages))
    await edit_pressed(update, pages[page], markup)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the inline query and shared-button handlers (no commands)."""
    app.add_handler(InlineQueryHandler(inline_query))
    app.add_handler(CallbackQueryHandler(shared_button, pattern=cb.of(cb.Shared)))
    return frozenset()
