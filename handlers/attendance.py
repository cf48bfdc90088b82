"""Attendance: the "I'll attend" / "Can't come" buttons (on hearing reminders and on the
card while a hearing is ahead), the once-asked question whether a name may be listed, and
the organizers' ``/setcourt`` (a court's address, map position and practical note).

Answers are the user's own (their user id, also where the evening-before note goes),
wherever they pressed the button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update, User
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers.attendance_buttons import answer_buttons
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
from handlers.rights import organizers_only
from messages import Translator
from messages.attendance import (
    SETCOURT_USAGE,
    listing_labels,
    render_answer,
    render_court_not_found,
    render_hearing_gone,
    render_listing_answer,
    render_setcourt_done,
)
from messages.common import plain_local_text
from storage.usecases.attendance import (
    AttendOutcome,
    find_court,
    set_attendance,
    set_court_place,
    set_listed,
)
from storage.vocabulary import LANGUAGES, AttendAnswer

COMMANDS = frozenset({"setcourt"})

_POSITION = re.compile(r"(?<!\S)(-?\d{1,2}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)(?!\S)")
_LANG = re.compile(r"(?<!\S)lang=(\w+)(?!\S)")
_MAX_TEXT = 1000


@dataclass(frozen=True)
class CourtPlace:
    """What ``/setcourt`` was given."""

    court: str
    address: str | None
    position: tuple[float, float] | None
    note: str | None
    lang: str | None


def parse_setcourt(text: str) -> CourtPlace | None:
    """``<court> [address=<text>] [<lat>,<lon>] [note=]<note>``; None when malformed.

    Each part runs to the next one; what follows the map position is the note. Without an
    address, a position or ``note=``, the court is the first word and the note the rest.
    """
    lang_match = _LANG.search(text)
    lang = lang_match.group(1) if lang_match else None
    if lang is not None and lang not in LANGUAGES:
        return None
    text = " ".join(_LANG.sub(" ", text).split())
    marks: list[tuple[int, int, str]] = []  # (start, end, what)
    for word in ("address", "note"):
        found = text.find(f"{word}=")
        if found >= 0:
            marks.append((found, found + len(word) + 1, word))
    position_match = _POSITION.search(text)
    if position_match:
        marks.append((position_match.start(), position_match.end(), "note"))
    if not marks:
        court, _, rest = text.partition(" ")
        return _place(court, None, None, rest, lang)
    marks.sort()
    parts: dict[str, str] = {"address": "", "note": ""}
    for index, (_, end, what) in enumerate(marks):
        stop = marks[index + 1][0] if index + 1 < len(marks) else len(text)
        parts[what] = f"{parts[what]} {text[end:stop]}"
    position = None
    if position_match:
        lat, lon = float(position_match.group(1)), float(position_match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        position = (lat, lon)
    return _place(text[: marks[0][0]], parts["address"], position, parts["note"], lang)


def _place(
    court: str,
    address: str | None,
    position: tuple[float, float] | None,
    note: str | None,
    lang: str | None,
) -> CourtPlace | None:
    address = (address or "").strip() or None
    note = (note or "").strip() or None
    court = court.strip()
    if not court or not (address or note or position):
        return None
    if len(address or "") > _MAX_TEXT or len(note or "") > _MAX_TEXT:
        return None
    return CourtPlace(court, address, position, note, lang)


def listed_name(user: User) -> str:
    """How an attendee who agreed to be listed is named to organizers."""
    name = user.full_name.strip()
    if user.username:
        name = f"{name} (@{user.username})" if name else f"@{user.username}"
    return name or str(user.id)


async def attend_button(update: Update, context: Context) -> None:
    """ "I'll attend" / "Can't come": record (or change) the answer and say so; the first
    time, ask whether the name may be listed."""
    button, user = await answer_press(update, cb.Attend), update.effective_user
    if button is None or user is None:
        return
    t = await user_translator(update, context)
    now = services(context).clock()

    outcome: AttendOutcome | None = await run_db(
        context,
        set_attendance,
        chat_id=user.id,
        hearing_id=button.hearing_id,
        answer=AttendAnswer(button.answer),
        name=listed_name(user),
        telegram_lang=user.language_code,
        now=now,
    )
    if outcome is None:
        await answer(update, render_hearing_gone(t))
        return
    name = await case_name(context, t, outcome.case_id)
    text = render_answer(
        t, name, outcome.answer, outcome.starts_at, outcome.tz, ask=outcome.ask_listing
    )
    rows = [answer_buttons(t, button.hearing_id, chosen=outcome.answer)]
    if outcome.ask_listing:
        yes, no = listing_labels(t)
        rows.append([cb.AttendListed("yes").button(yes), cb.AttendListed("no").button(no)])
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, reply_markup=InlineKeyboardMarkup(rows))


async def listed_button(update: Update, context: Context) -> None:
    """The answer to the listing question."""
    button, user = await answer_press(update, cb.AttendListed), update.effective_user
    if button is None or user is None:
        return
    t = await user_translator(update, context)
    listed = button.answer == "yes"
    await run_db(context, set_listed, chat_id=user.id, listed=listed, name=listed_name(user))
    await answer(update, render_listing_answer(t, listed))


@organizers_only
async def setcourt(update: Update, context: Context, t: Translator) -> None:
    """`/setcourt <court> address=… [lat,lon] [note]`: where a court is, and what people
    attending should know."""
    place = parse_setcourt(command_argument(update))
    if place is None:
        await answer(update, escape(t.gettext(SETCOURT_USAGE)))
        return
    user = update.effective_user
    now = services(context).clock()

    def write(session: Session) -> tuple[str | None, bool]:
        court = find_court(session, place.court)
        if court is None:
            return None, False
        changed = set_court_place(
            session,
            court=court,
            lang=place.lang or t.lang,
            address=place.address,
            position=place.position,
            note=place.note,
            actor_id=user.id if user else None,
            now=now,
        )
        return plain_local_text(t, court.name, None) or court.slug, changed

    court_name, changed = await run_db(context, write)
    if court_name is None:
        await answer(update, render_court_not_found(t, place.court))
        return
    await answer(update, render_setcourt_done(t, court_name, changed))


def register(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Add /setcourt and the attendance buttons; return the commands."""
    app.add_handler(CommandHandler("setcourt", setcourt))
    app.add_handler(CallbackQueryHandler(attend_button, pattern=cb.of(cb.Attend)))
    app.add_handler(CallbackQueryHandler(listed_button, pattern=cb.of(cb.AttendListed)))
    return COMMANDS
