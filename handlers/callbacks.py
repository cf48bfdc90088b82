"""Every button's callback data, built and parsed here and nowhere else.

A button is a small frozen dataclass; its data is its prefix and its fields joined by
colons (``card:3``, ``tl:3:0``, ``draft:send:12``). The formats are the ones buttons
already sitting in users' chats carry, so they never change meaning. :func:`parse`
turns pressed data back into the button (None for anything malformed, forged or over
Telegram's 64 bytes), and :func:`of` makes the ``pattern`` of a
``CallbackQueryHandler`` that takes exactly some kinds of button.

Fields are ints (``handlers.syntax.row_id``: ASCII, at most 9 digits; no "²") or
words from a closed set (``CHOICES``); a button whose data would exceed 64 bytes cannot
be built (a ``ValueError`` at once, not a 400 from Telegram later).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from telegram import InlineKeyboardButton

from handlers.syntax import row_id
from storage.vocabulary import LANGUAGES

MAX_DATA_BYTES = 64
"""Telegram's limit on callback data."""


Choices = dict[str, frozenset[str]]
"""For word fields: the words each may be."""


class Button:
    """The base of every button: ``PREFIX``, fields, and the closed sets of word fields."""

    PREFIX: ClassVar[str]
    CHOICES: ClassVar[Choices] = {}

    @property
    def data(self) -> str:
        """The callback data of this button."""
        fields = list(dataclasses.fields(self))  # type: ignore[arg-type]
        while fields and getattr(self, fields[-1].name) == fields[-1].default:
            fields.pop()  # trailing defaults are left out (older buttons had none)
        data = ":".join([self.PREFIX, *(str(getattr(self, f.name)) for f in fields)])
        if len(data.encode()) > MAX_DATA_BYTES:
            raise ValueError(f"callback data over {MAX_DATA_BYTES} bytes: {data[:20]}…")
        return data

    def button(self, label: str) -> InlineKeyboardButton:
        """An inline keyboard button with this data."""
        return InlineKeyboardButton(label, callback_data=self.data)


@dataclass(frozen=True)
class CaseButton(Button):
    """A button about one case (not a kind of its own: no ``PREFIX``); its kinds only
    name their prefix."""

    case_id: int


@dataclass(frozen=True)
class CasePageButton(CaseButton):
    """A button about a page of something of one case."""

    page: int


@dataclass(frozen=True)
class Help(Button):
    """The welcome message's Help."""

    PREFIX = "help"


@dataclass(frozen=True)
class Language(Button):
    """A language (or ``menu``: show the choice)."""

    PREFIX = "lang"
    CHOICES: ClassVar[Choices] = {"code": frozenset({*LANGUAGES, "menu"})}
    code: str


class Card(CaseButton):
    """Open a case's card."""

    PREFIX = "card"


class Timeline(CasePageButton):
    """Open a case's timeline at a page (a new message)."""

    PREFIX = "tl"


class TimelinePage(CasePageButton):
    """Turn the page of the timeline message the button is on."""

    PREFIX = "tlp"


class Calendar(CaseButton):
    """Send a case's .ics file."""

    PREFIX = "cal"


class Picture(CaseButton):
    """Send a case's share picture (the website's card.png)."""

    PREFIX = "pic"


@dataclass(frozen=True)
class Shared(Button):
    """A button on a card shared in inline mode: show its card or a timeline page there
    (the message is edited in place: it belongs to no chat the bot can send to), in the
    language it was shared in."""

    PREFIX = "sh"
    CHOICES: ClassVar[Choices] = {
        "view": frozenset({"card", "tl"}),
        "lang": frozenset(LANGUAGES),
    }
    view: str
    case_id: int
    lang: str
    page: int = 0


LIST_TARGETS = frozenset({"card", "tl", "cal", "sub", "unsub", "upd"})
"""What choosing a case in a list does: open its card, timeline, calendar, subscribe,
unsubscribe, or start the guided /update on it."""


@dataclass(frozen=True)
class CaseList(Button):
    """A page of the list of cases, whose buttons lead to ``target``."""

    PREFIX = "list"
    CHOICES: ClassVar[Choices] = {"target": LIST_TARGETS}
    target: str
    page: int


class Subscribe(CaseButton):
    """Follow a case."""

    PREFIX = "sub"


class Unsubscribe(CaseButton):
    """Stop following a case."""

    PREFIX = "unsub"


@dataclass(frozen=True)
class Reminders(Button):
    """A hearing-reminder preset of /settings."""

    PREFIX = "rem"
    preset: str  # checked against the presets by the handler (they live in storage)


@dataclass(frozen=True)
class Forget(Button):
    """The confirmation of /forget."""

    PREFIX = "forget"
    CHOICES: ClassVar[Choices] = {"answer": frozenset({"yes", "no"})}
    answer: str


DRAFT_ACTIONS = frozenset({"send", "cancel", "undo", "undoyes", "undono"})


@dataclass(frozen=True)
class DraftAction(Button):
    """Send, Cancel, Undo (and its confirmation) of a preview."""

    PREFIX = "draft"
    CHOICES: ClassVar[Choices] = {"action": DRAFT_ACTIONS}
    action: str
    draft_id: int
    alerts: int = 0
    """How many the change alerted (shown when Undo asks once more)."""


@dataclass(frozen=True)
class BroadcastAction(Button):
    """Pause or Resume on a broadcast's progress message."""

    PREFIX = "bc"
    CHOICES: ClassVar[Choices] = {"action": frozenset({"pause", "resume"})}
    action: str
    broadcast_id: int


@dataclass(frozen=True)
class AuditPage(CasePageButton):
    """A page of a case's audit log."""

    PREFIX = "audit"


GUIDED_STEPS = frozenset({"what", "dimension", "key", "hearing", "cancel", "note", "sentence",
                          "event", "name"})  # fmt: skip


@dataclass(frozen=True)
class Guided(Button):
    """A step of the guided /update on a case; ``value`` is the dimension or key chosen."""

    PREFIX = "gu"
    CHOICES: ClassVar[Choices] = {"step": GUIDED_STEPS}
    step: str
    case_id: int
    value: str = "-"


class GuidedStart(CaseButton):
    """Start the guided /update on a case (also the target of the case list)."""

    PREFIX = "upd"


@dataclass(frozen=True)
class Question(Button):
    """The answer to a question asked before an organizer's edit (storage.usecases.questions):
    ``yes`` makes it ("Create anyway", "Add anyway"), ``no`` drops it."""

    PREFIX = "ask"
    CHOICES: ClassVar[Choices] = {"answer": frozenset({"yes", "no"})}
    answer: str
    question_id: int


@dataclass(frozen=True)
class Attend(Button):
    """ "I'll attend" (``yes``) or "Can't come" (``no``) for a hearing."""

    PREFIX = "att"
    CHOICES: ClassVar[Choices] = {"answer": frozenset({"yes", "no"})}
    hearing_id: int
    answer: str


@dataclass(frozen=True)
class AttendListed(Button):
    """The answer to "may organizers see your name among those attending?"."""

    PREFIX = "attl"
    CHOICES: ClassVar[Choices] = {"answer": frozenset({"yes", "no"})}
    answer: str


class Letter(CaseButton):
    """ "Write a letter" on a case's card."""

    PREFIX = "let"


class StaleConfirm(CaseButton):
    """ "Nothing changed" on a case listed by /stale or the weekly digest."""

    PREFIX = "stc"


@dataclass(frozen=True)
class TimelineFollow(Button):
    """/settings: get new timeline events too (``on``) or not (``off``)."""

    PREFIX = "tlf"
    CHOICES: ClassVar[Choices] = {"answer": frozenset({"on", "off"})}
    answer: str


@dataclass(frozen=True)
class Approval(Button):
    """Approve or Reject a change waiting for a second organizer."""

    PREFIX = "apr"
    CHOICES: ClassVar[Choices] = {"action": frozenset({"approve", "reject"})}
    action: str
    draft_id: int


KINDS: tuple[type[Button], ...] = (
    Help, Language, Card, Timeline, TimelinePage, Calendar, Picture, Shared, CaseList, Subscribe,
    Unsubscribe, Reminders, Forget, DraftAction, AuditPage, Guided, GuidedStart, Question,
    Attend, AttendListed, Letter, StaleConfirm, TimelineFollow, Approval, BroadcastAction,
)  # fmt: skip
_BY_PREFIX = {kind.PREFIX: kind for kind in KINDS}

B = TypeVar("B", bound=Button)


def _field_value(kind: type[Button], name: str, annotation: object, raw: str) -> object | None:
    if annotation == "int":
        return row_id(raw)
    choices = kind.CHOICES.get(name)
    if choices is not None and raw not in choices:
        return None
    return raw if raw and len(raw) <= 32 else None


def parse(data: str | object) -> Button | None:
    """The button behind callback data, or None when it is not one of ours."""
    if not isinstance(data, str) or len(data.encode()) > MAX_DATA_BYTES:
        return None
    prefix, *raw_values = data.split(":")
    kind = _BY_PREFIX.get(prefix)
    if kind is None:
        return None
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    required = [f for f in fields if f.default is dataclasses.MISSING]
    if not len(required) <= len(raw_values) <= len(fields):
        return None
    values = {}
    for field, raw in zip(fields, raw_values, strict=False):
        value = _field_value(kind, field.name, field.type, raw)
        if value is None:
            return None
        values[field.name] = value
    return kind(**values)


def of(*kinds: type[Button]) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern accepting exactly these kinds of button."""

    def matches(data: object) -> bool:
        return isinstance(parse(data), kinds)

    return matches


def pressed(data: str | None, kind: type[B]) -> B | None:
    """The pressed button if it is a ``kind``, else None."""
    button = parse(data or "")
    return button if isinstance(button, kind) else None
