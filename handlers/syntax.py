"""Strict parsing of the organizers' commands: plain functions, no Telegram.

Each parser takes the text after the command and returns typed arguments or
raises `UsageError` naming what is wrong, so the handler can answer with the
exact usage and an example in the organizer's language. Where the syntax
allows, the case is everything before the first token of the next argument,
so multi-word names work ("/setstatus Qaster Musakhanuly released").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from storage.files.casefile import parse_term
from storage.vocabulary import KEY_TO_DIMENSION as KEY_TO_DIMENSION
from storage.vocabulary import LANGUAGES, NAME_LANGUAGES, Basis

DATE_SHAPE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})$")
"""A full date as people write it: 20.12.2026 (day first), or 2026-12-20."""
PARTIAL_DATE_SHAPE = re.compile(r"^(\d{4}(-\d{1,2}){0,2}|(\d{1,2}\.){1,2}\d{4})$")
"""A date at day, month or year precision: 20.12.2026, 12.2026, 2026, 2026-12, 2026-12-20."""
TIME_SHAPE = re.compile(r"^\d{1,2}:\d{2}$")
NAME_LANGS = NAME_LANGUAGES
TEXT_LANGS = LANGUAGES
SUSPENSION: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
"""suspended= takes yes, no or unknown (the sources do not say)."""
SENTENCE_KEYS = ("term", "ratio", "detained", "verdict", "release", "suspended")
RATIOS = {"1": 1.0, "1.5": 1.5, "2": 2.0}
MAX_NOTE = 1000
MAX_NAME = 200
MAX_ID_DIGITS = 9
"""A row number in a button or a path: ASCII digits, at most nine (no ``int()`` surprise
such as "²" or "٣", and never beyond what a database integer holds)."""


def row_id(raw: str) -> int | None:
    """A row number as buttons and Mini App paths carry it, or None when it is not one."""
    if not raw.isascii() or not raw.isdecimal() or len(raw) > MAX_ID_DIGITS:
        return None
    return int(raw)


class UsageError(ValueError):
    """The arguments do not fit the command; `problem` names what, `value` quotes it."""

    def __init__(self, problem: str, value: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.value = value[:60]


def _split(text: str) -> list[str]:
    return text.split()


def _before(tokens: list[str], index: int) -> str:
    case = " ".join(tokens[:index]).strip()
    if not case:
        raise UsageError("missing_case")
    return case


def _date_parts(token: str) -> list[int] | None:
    """Year first: [2026, 12, 20] from 20.12.2026, 2026-12-20, 12.2026 or 2026."""
    if not PARTIAL_DATE_SHAPE.match(token):
        return None
    if "." in token:
        return [int(part) for part in reversed(token.split("."))]
    return [int(part) for part in token.split("-")]


def parse_day(token: str) -> date:
    """A full date that exists, written 20.12.2026 or 2026-12-20 (2020-02-30 does not)."""
    parts = _date_parts(token) if DATE_SHAPE.match(token) else None
    try:
        if parts is None:
            raise ValueError(token)
        return date(*parts)
    except ValueError:
        raise UsageError("bad_date", token) from None


def parse_partial_day(token: str) -> tuple[date, str]:
    """A date at its known precision → (first day, "day" | "month" | "year"): 20.12.2026,
    12.2026, 2026, 2026-12-20, 2026-12."""
    parts = _date_parts(token)
    try:
        if parts is None or parts[0] < 1:
            raise ValueError(token)
        day = date(*parts, *[1] * (3 - len(parts)))
    except ValueError:
        raise UsageError("bad_partial_date", token) from None
    return day, ("year", "month", "day")[len(parts) - 1]


def parse_clock(token: str) -> time:
    """A 24-hour time that exists (25:99 does not)."""
    hours, _, minutes = token.partition(":")
    if TIME_SHAPE.match(token) and int(hours) < 24 and int(minutes) < 60:
        return time(int(hours), int(minutes))
    raise UsageError("bad_time", token)


@dataclass(frozen=True)
class CaseArgs:
    """A command whose only argument is the case (`/cancelhearing`, `/audit`)."""

    case: str


def parse_case_only(text: str) -> CaseArgs:
    """The whole argument is the case; it must not be empty."""
    case = " ".join(text.split())
    if not case:
        raise UsageError("missing_case")
    return CaseArgs(case)


@dataclass(frozen=True)
class HearingArgs:
    """`/sethearing <case> <DD.MM.YYYY|YYYY-MM-DD> <HH:MM> [court, city]`."""

    case: str
    day: date
    at: time
    court: str | None
    city: str | None


def parse_sethearing(text: str) -> HearingArgs:
    """Parse /sethearing's arguments."""
    tokens = _split(text)
    index = next((i for i, token in enumerate(tokens) if DATE_SHAPE.match(token)), None)
    if index is None:
        bad = next((t for t in tokens if re.match(r"^\d{1,4}[-./]\d", t)), "")
        raise UsageError(
            "bad_date" if bad else ("missing_case" if not tokens else "missing_date"), bad
        )
    case = _before(tokens, index)
    day = parse_day(tokens[index])
    if index + 1 >= len(tokens):
        raise UsageError("missing_time")
    at = parse_clock(tokens[index + 1])
    place = " ".join(tokens[index + 2 :]).strip(" ,")
    court, _, city = place.rpartition(",") if "," in place else (place, "", "")
    court, city = court.strip()[:MAX_NAME], city.strip()[:MAX_NAME]
    return HearingArgs(case, day, at, court or None, city or None)


@dataclass(frozen=True)
class StatusArgs:
    """`/setstatus <case> <key> [note]`."""

    case: str
    dimension: str
    key: str
    note: str | None
    basis: str | None = None
    source_url: str | None = None


def parse_setstatus(text: str) -> StatusArgs:
    """Parse /setstatus's arguments; the key is the first token that is a status key."""
    tokens = _split(text)
    index = next((i for i, token in enumerate(tokens) if token.lower() in KEY_TO_DIMENSION), None)
    if index is None:
        if len(tokens) < 2:
            raise UsageError("missing_case" if not tokens else "missing_key")
        raise UsageError("bad_key", tokens[-1])
    case = _before(tokens, index)
    key = tokens[index].lower()
    words, basis = take_basis(tokens[index + 1 :])
    source = words.pop() if words and _is_link(words[-1]) else None
    note = " ".join(words).strip()
    if len(note) > MAX_NOTE:
        raise UsageError("too_long", str(MAX_NOTE))
    return StatusArgs(case, KEY_TO_DIMENSION[key], key, note or None, basis, source)


def _is_link(token: str) -> bool:
    return bool(re.match(r"^https?://\S+$", token)) and len(token) <= 500


def take_basis(words: list[str]) -> tuple[list[str], str | None]:
    """The words without a ``basis=<key>`` token, and that key (None when absent)."""
    found = [word for word in words if word.lower().startswith("basis=")]
    if not found:
        return list(words), None
    if len(found) > 1 or found[0][6:].lower() not in set(Basis):
        raise UsageError("bad_basis", found[-1][6:])
    return [word for word in words if word is not found[0]], found[0][6:].lower()


@dataclass(frozen=True)
class EventArgs:
    """`/addevent <case> <DD.MM.YYYY|MM.YYYY|YYYY|YYYY-MM-DD|YYYY-MM> <text> [link]`."""

    case: str
    day: date
    precision: str
    text: str
    source_url: str | None
    basis: str | None = None


def parse_addevent(text: str) -> EventArgs:
    """Parse /addevent's arguments; a trailing http(s) link becomes the source."""
    tokens = _split(text)
    index = next(
        (i for i, token in enumerate(tokens) if i > 0 and PARTIAL_DATE_SHAPE.match(token)), None
    )
    if index is None:
        raise UsageError("missing_case" if not tokens else "missing_date")
    case = _before(tokens, index)
    day, precision = parse_partial_day(tokens[index])
    words, basis = take_basis(tokens[index + 1 :])
    source = words.pop() if words and _is_link(words[-1]) else None
    body = " ".join(words).strip()
    if not body:
        raise UsageError("missing_text")
    if len(body) > MAX_NOTE:
        raise UsageError("too_long", str(MAX_NOTE))
    return EventArgs(case, day, precision, body, source, basis)


@dataclass(frozen=True)
class SentenceArgs:
    """`/setsentence <case> term=… [ratio=…] [detained=…] [verdict=…] [release=…]`."""

    case: str
    values: dict[str, Any] = field(default_factory=dict)


def parse_setsentence(text: str) -> SentenceArgs:
    """Parse /setsentence's key=value arguments into sentence fields."""
    tokens = _split(text)
    index = next((i for i, token in enumerate(tokens) if "=" in token), None)
    if index is None:
        raise UsageError("missing_case" if not tokens else "nothing_to_set")
    case = _before(tokens, index)
    values: dict[str, Any] = {}
    for token in tokens[index:]:
        key, _, value = token.partition("=")
        key, value = key.lower(), value.strip()
        if key not in SENTENCE_KEYS or not value:
            raise UsageError("bad_field", token)
        if key == "term":
            try:
                values["sentence_months"], values["sentence_days"] = parse_term(value)
            except ValueError:
                raise UsageError("bad_term", value) from None
        elif key == "ratio":
            if value.replace(",", ".") not in RATIOS:
                raise UsageError("bad_ratio", value)
            values["credit_ratio"] = RATIOS[value.replace(",", ".")]
        elif key == "suspended":
            if value.lower() not in SUSPENSION:
                raise UsageError("bad_field", token)
            values["suspended"] = SUSPENSION[value.lower()]
        else:
            name = {"detained": "detained_on", "verdict": "verdict_on", "release": "release_on"}
            values[name[key]] = None if value.lower() == "none" else parse_day(value)
    return SentenceArgs(case, values)


@dataclass(frozen=True)
class NameArgs:
    """`/addname <case> <kk|ru|en|alias> <name>`."""

    case: str
    lang: str
    name: str


def parse_addname(text: str) -> NameArgs:
    """Parse /addname's arguments; the language is the first kk/ru/en/alias token."""
    tokens = _split(text)
    index = next(
        (i for i, token in enumerate(tokens) if i > 0 and token.lower() in NAME_LANGS), None
    )
    if index is None:
        raise UsageError("missing_case" if not tokens else "bad_lang")
    case = _before(tokens, index)
    name = " ".join(tokens[index + 1 :]).strip()
    if not name:
        raise UsageError("missing_text")
    if len(name) > MAX_NAME:
        raise UsageError("too_long", str(MAX_NAME))
    return NameArgs(case, tokens[index].lower(), name)


@dataclass(frozen=True)
class OrganizerArgs:
    """`/organizer list` or `/organizer add|remove <user id>`."""

    action: str
    user_id: int | None = None


def parse_organizer(text: str) -> OrganizerArgs:
    """Parse /organizer's arguments: list, or add / remove and a Telegram user id."""
    tokens = _split(text)
    action = tokens[0].lower() if tokens else ""
    if action == "list" and len(tokens) == 1:
        return OrganizerArgs("list")
    if len(tokens) != 2 or action not in ("add", "remove"):
        raise UsageError("bad_action", tokens[0] if tokens else "")
    if not re.fullmatch(r"\d{1,15}", tokens[1]):
        raise UsageError("bad_user_id", tokens[1])
    return OrganizerArgs(action, int(tokens[1]))


def after_today(day: date, precision: str, today: date) -> bool:
    """Whether a date known to `precision` lies wholly after `today` (an event dated this
    month, at month precision, does not)."""
    if precision == "year":
        return day.year > today.year
    if precision == "month":
        return (day.year, day.month) > (today.year, today.month)
    return day > today


PAST_SENTENCE_DATES = ("detained_on", "verdict_on")
"""Sentence dates that tell what has happened, so cannot lie after today."""


def future_sentence_date(values: dict[str, Any], today: date) -> tuple[str, date] | None:
    """The first detention or verdict date among `values` that lies after `today`."""
    for name in PAST_SENTENCE_DATES:
        value = values.get(name)
        if isinstance(value, date) and value > today:
            return name, value
    return None


def parse_translate(text: str) -> tuple[int, str, str]:
    """`/translate <event> <kk|ru|en> <text>` → (event id, language, text)."""
    tokens = _split(text)
    if not tokens or not re.fullmatch(r"#?\d{1,9}", tokens[0]):
        raise UsageError("bad_event", tokens[0] if tokens else "")
    if len(tokens) < 2 or tokens[1].lower() not in TEXT_LANGS:
        raise UsageError("bad_lang", tokens[1] if len(tokens) > 1 else "")
    body = " ".join(tokens[2:]).strip()
    if not body:
        raise UsageError("missing_text")
    if len(body) > MAX_NOTE:
        raise UsageError("too_long", str(MAX_NOTE))
    return int(tokens[0].lstrip("#")), tokens[1].lower(), body
