"""Letters: the card's "Write a letter" (the address in a copy button, whether letters
reach, the languages allowed, the organizers' guide in the reader's language), the
organizers' ``/setletters`` and ``/letterguide``, and ``/whohelps`` for everyone (the cases
with the fewest followers first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from sqlmodel import Session
from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers.cases import command_argument
from handlers.common import (
    Context,
    answer,
    answer_press,
    case_name,
    run_db,
    services,
    user_translator,
)
from handlers.organizing import resolve_case
from handlers.rights import organizers_only
from messages import Translator
from messages.card import case_title, list_label
from messages.letters import (
    LETTERGUIDE_USAGE,
    SETLETTERS_USAGE,
    copy_label,
    language_name,
    render_guide_saved,
    render_letter,
    render_letters_saved,
    render_no_letters,
    render_whohelps,
)
from storage.reads.cases import list_case_items
from storage.usecases.letters import (
    LANG_CODE,
    MAX_ADDRESS,
    MAX_GUIDE,
    LetterView,
    get_letter_view,
    list_fewest_followers,
    set_letter_guide,
    set_letters,
)
from storage.vocabulary import LANGUAGES

COMMANDS = frozenset({"setletters", "letterguide", "whohelps"})
WHOHELPS_COUNT = 8
MAX_COPY_TEXT = 256
"""Telegram's limit on a CopyTextButton's text."""

_KEYS = re.compile(r"(?<!\S)(address|reach|langs)=")
_REACH = {"yes": True, "no": False, "unknown": None}


@dataclass(frozen=True)
class LettersArgs:
    """What ``/setletters`` was given."""

    case: str
    address: str | None = None
    reach: bool | None = None
    langs: list[str] | None = None
    clear: bool = False


def parse_setletters(text: str) -> LettersArgs | None:
    """``<case> address=<text> [reach=yes|no|unknown] [langs=ru,kk]`` or ``<case> clear``;
    None when malformed. Each value runs to the next ``key=``."""
    text = " ".join(text.split())
    if text.endswith(" clear") and len(text) > 6:
        return LettersArgs(case=text[:-6].strip(), clear=True)
    marks = list(_KEYS.finditer(text))
    if not marks or not text[: marks[0].start()].strip():
        return None
    values: dict[str, str] = {}
    for index, mark in enumerate(marks):
        stop = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        values[mark.group(1)] = text[mark.end() : stop].strip()
    address = values.get("address")
    reach_word = values.get("reach", "unknown").lower()
    langs = [code.strip() for code in values["langs"].split(",")] if "langs" in values else None
    if (
        reach_word not in _REACH
        or (address is not None and not 0 < len(address) <= MAX_ADDRESS)
        or (langs is not None and not all(LANG_CODE.fullmatch(code) for code in langs))
    ):
        return None
    return LettersArgs(text[: marks[0].start()].strip(), address, _REACH[reach_word], langs)


def letter_markup(t: Translator, view: LetterView) -> InlineKeyboardMarkup:
    """The copy button (the address, as Telegram allows up to 256 characters) and the card."""
    copy = InlineKeyboardButton(
        copy_label(t), copy_text=CopyTextButton(view.address[:MAX_COPY_TEXT])
    )
    return InlineKeyboardMarkup([[copy], [cb.Card(view.case_id).button(t.gettext("Case card"))]])


async def letter_button(update: Update, context: Context) -> None:
    """ "Write a letter" on a card."""
    button = await answer_press(update, cb.Letter)
    if button is None:
        return
    t = await user_translator(update, context)
    view: LetterView | None = await run_db(context, get_letter_view, case_id=button.case_id)
    if view is None:
        await answer(update, render_no_letters(t))
        return
    name = await case_name(context, t, button.case_id)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(render_letter(t, name, view), reply_markup=letter_markup(t, view))


@organizers_only
async def setletters(update: Update, context: Context, t: Translator) -> None:
    """`/setletters <case> address=… [reach=…] [langs=…]` (or `clear`)."""
    args = parse_setletters(command_argument(update))
    if args is None:
        await answer(update, escape(t.gettext(SETLETTERS_USAGE)))
        return
    case_id = await resolve_case(update, context, t, args.case)
    if case_id is None:
        return
    user = update.effective_user
    now = services(context).clock()

    def write(session: Session) -> tuple[bool, str]:
        changed = set_letters(
            session,
            case_id=case_id,
            address=args.address,
            reach=args.reach,
            langs=args.langs,
            clear=args.clear,
            actor_id=user.id if user else None,
            now=now,
        )
        [item] = list_case_items(session, case_ids=[case_id])
        return changed, case_title(t, item.names)

    changed, name = await run_db(context, write)
    await answer(update, render_letters_saved(t, name, changed))


@organizers_only
async def letterguide(update: Update, context: Context, t: Translator) -> None:
    """`/letterguide <kk|ru|en> <text>`: the guide readers of that language see."""
    lang, _, text = command_argument(update).partition(" ")
    text = text.strip()
    if lang not in LANGUAGES or not 0 < len(text) <= MAX_GUIDE:
        await answer(update, escape(t.gettext(LETTERGUIDE_USAGE)))
        return
    user = update.effective_user
    changed = await run_db(
        context,
        set_letter_guide,
        lang=lang,
        text=text,
        actor_id=user.id if user else None,
        now=services(context).clock(),
    )
    await answer(update, render_guide_saved(t, language_name(t, lang), changed))


async def whohelps(update: Update, context: Context) -> None:
    """`/whohelps`: the cases with the fewest followers first, as buttons to their cards."""
    t = await user_translator(update, context)

    def read(session: Session) -> list[tuple[int, str, str, int]]:
        counts = list_fewest_followers(session, limit=WHOHELPS_COUNT)
        items = {
            item.id: item for item in list_case_items(session, case_ids=[c for c, _ in counts])
        }
        return [
            (case_id, case_title(t, items[case_id].names), list_label(t, items[case_id]), n)
            for case_id, n in counts
            if case_id in items
        ]

    rows = await run_db(context, read)
    markup = InlineKeyboardMarkup(
        [[cb.Card(case_id).button(label)] for case_id, _, label, _ in rows]
    )
    await answer_with(update, render_whohelps(t, [(name, n) for _, name, _, n in rows]), markup)


async def answer_with(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    """Reply with an inline keyboard (none when it has no rows)."""
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, reply_markup=markup if markup.inline_keyboard else None)


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add the letter commands and the "Write a letter" button; return the commands."""
    app.add_handler(CommandHandler("setletters", setletters))
    app.add_handler(CommandHandler("letterguide", letterguide))
    app.add_handler(CommandHandler("whohelps", whohelps))
    app.add_handler(CallbackQueryHandler(letter_button, pattern=cb.of(cb.Letter)))
    return COMMANDS
