"""The "I'll attend" / "Can't come" row, shared by the card (handlers.cases), the
attendance replies (handlers.attendance) and the dispatcher's hearing reminders (wired in
bot.py: jobs know nothing of buttons' data)."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from handlers import callbacks as cb
from messages import Translator
from messages.attendance import answer_label
from storage.vocabulary import AttendAnswer


def answer_buttons(
    t: Translator, hearing_id: int, *, chosen: AttendAnswer | None = None
) -> list[InlineKeyboardButton]:
    """The row of "I'll attend" and "Can't come" for a hearing (the chosen one ticked)."""
    return [
        cb.Attend(hearing_id, answer).button(answer_label(t, answer, chosen=chosen))
        for answer in (AttendAnswer.YES, AttendAnswer.NO)
    ]


def reminder_buttons(t: Translator, hearing_id: int) -> list[tuple[str, str]]:
    """The same row as (label, callback data), for the dispatcher's hearing reminders."""
    return [
        (str(button.text), str(button.callback_data)) for button in answer_buttons(t, hearing_id)
    ]
