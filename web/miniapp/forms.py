"""The Mini App's forms read into what the chat's commands produce: a draft's typed
params for an alerting change (storage.payloads, as handlers.organizers builds them),
names and timeline events. Pure functions; a bad field raises :class:`FormError` with
the field's name and a message id for the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from messages import N_
from storage.payloads import HearingDraft, StatusDraft
from storage.usecases.editing import detect_language, detect_name_language
from storage.vocabulary import LANGUAGES, NAME_LANGUAGES, STATUS_KEYS, Basis

RATIOS = (1.0, 1.5, 2.0)
"""The credit ratios the chat's /setsentence accepts."""
SUSPENSION: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
PRECISIONS = ("day", "month", "year")
MAX_TEXT = 1000
MAX_NAME = 200
MAX_MONTHS = 12 * 100


class FormError(ValueError):
    """A field the app sent is missing or wrong; ``message`` is a gettext message id."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def text_field(body: dict[str, Any], name: str, *, limit: int = MAX_TEXT) -> str:
    """A text field with its spaces collapsed ("" when absent); too long is an error."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormError(name, N_("This field is not valid."))
    value = " ".join(value.replace("\x00", "").split())
    if len(value) > limit:
        raise FormError(name, N_("This text is too long."))
    return value


def day_field(body: dict[str, Any], name: str) -> date | None:
    """A YYYY-MM-DD date (None when empty)."""
    value = text_field(body, name, limit=10)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(name, N_("This is not a date.")) from None


def _number(body: dict[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise FormError(name, N_("This is not a whole number.")) from None
    if not low <= number <= high:
        raise FormError(name, N_("This number is out of range."))
    return number


def status_change(body: dict[str, Any], *, reader_lang: str) -> StatusDraft:
    """A status draft's params: one dimension's key and its note in up to three languages
    (the note's original is the reader's language when written in it)."""
    dimension, key = body.get("dimension"), body.get("key")
    if dimension not in STATUS_KEYS or key not in STATUS_KEYS[str(dimension)]:
        raise FormError("key", N_("Choose a status."))
    raw_note = body.get("note")
    notes = raw_note if isinstance(raw_note, dict) else {}
    note = {lang: text for lang in LANGUAGES if (text := text_field(notes, lang))}
    order = [reader_lang, *LANGUAGES]
    note_lang = next((lang for lang in order if lang in note), None)
    return StatusDraft(dimension=str(dimension), key=str(key), note=note, note_lang=note_lang)


def zone_field(body: dict[str, Any], default: str) -> str:
    """An IANA zone name (the default when empty)."""
    zone = text_field(body, "tz", limit=60) or default
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError("tz", N_("This is not a known time zone.")) from None
    return zone


@dataclass(frozen=True)
class KnownCourt:
    """A court the organizer chose from the list: its id and zone."""

    id: int
    tz: str


def hearing_change(
    body: dict[str, Any], *, court: KnownCourt | None, default_tz: str, now: datetime
) -> HearingDraft:
    """A hearing draft's params: the day and time typed in the court's zone, and the court
    chosen from the known ones (``court``) or a new one with its city."""
    day = day_field(body, "date")
    if day is None:
        raise FormError("date", N_("This is not a date."))
    try:
        at = time.fromisoformat(text_field(body, "time", limit=5) or "x")
    except ValueError:
        raise FormError("time", N_("This is not a time.")) from None
    name, city = text_field(body, "court", limit=MAX_NAME), text_field(body, "city", limit=100)
    zone = court.tz if court is not None else zone_field(body, default_tz)
    starts = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if starts <= now:
        raise FormError("date", N_("That moment has already passed."))
    if court is not None:
        return HearingDraft(starts_at=starts, tz=zone, court_id=court.id)
    lang = detect_language(name, "en") if name else None
    return HearingDraft(
        starts_at=starts, tz=zone, court=name or None, city=city or None, court_lang=lang
    )


def sentence_values(body: dict[str, Any]) -> dict[str, Any]:
    """The sentence fields of the form, as a draft stores them (dates as ISO text): the
    form holds them all, so an empty field clears it."""
    months = _number(body, "months", low=0, high=MAX_MONTHS)
    days = _number(body, "days", low=0, high=3660)
    ratio_text = str(body.get("ratio") or "").replace(",", ".")
    ratio = None
    if ratio_text:
        try:
            ratio = float(ratio_text)
        except ValueError:
            ratio = -1.0
        if ratio not in RATIOS:
            raise FormError("ratio", N_("Choose a credit ratio."))
    suspended = str(body.get("suspended") or "unknown")
    if suspended not in SUSPENSION:
        raise FormError("suspended", N_("This field is not valid."))
    values: dict[str, Any] = {
        "sentence_months": months,
        "sentence_days": days,
        "credit_ratio": ratio,
        "suspended": SUSPENSION[suspended],
    }
    for field, name in (("detained_on", "detained"), ("verdict_on", "verdict")):
        found = day_field(body, name)
        values[field] = found.isoformat() if found else None
    release = day_field(body, "release")
    values["release_on"] = release.isoformat() if release else None
    return values


def names_field(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The names to add: (language or "alias", text) pairs, at least one."""
    raw = body.get("names")
    if not isinstance(raw, list) or not raw or len(raw) > 20:
        raise FormError("names", N_("Type a name."))
    names: list[tuple[str, str]] = []
    for item in raw:
        lang = item.get("lang") if isinstance(item, dict) else None
        text = text_field(item, "text", limit=MAX_NAME) if isinstance(item, dict) else ""
        if lang not in NAME_LANGUAGES:
            raise FormError("names", N_("This field is not valid."))
        if text:
            names.append((str(lang), text))
    if not names:
        raise FormError("names", N_("Type a name."))
    return names


def name_field(body: dict[str, Any]) -> tuple[str, str]:
    """A corrected name: (language or "alias", text), as a new name is checked; with no
    language given, it is found from the name's script (zh, kk, ru, en, else alias)."""
    text = text_field(body, "text", limit=MAX_NAME)
    if not text:
        raise FormError("text", N_("Type a name."))
    lang = body.get("lang") or detect_name_language(text, "alias")
    if lang not in NAME_LANGUAGES:
        raise FormError("lang", N_("This field is not valid."))
    return str(lang), text


@dataclass(frozen=True)
class EventForm:
    """A timeline event: its first day at its precision, texts by language, source, and
    how it is known (a ``Basis`` key, None: not stated)."""

    day: date
    precision: str
    texts: dict[str, str]
    source_url: str | None
    basis: str | None = None


def event_field(body: dict[str, Any]) -> EventForm:
    """A timeline event with text in one to three languages, an optional http(s) link and
    an optional basis."""
    day = day_field(body, "date")
    if day is None:
        raise FormError("date", N_("This is not a date."))
    precision = str(body.get("precision") or "day")
    if precision not in PRECISIONS:
        raise FormError("precision", N_("This field is not valid."))
    day = day.replace(day=1) if precision == "month" else day
    day = day.replace(month=1, day=1) if precision == "year" else day
    raw = body.get("text")
    texts_in = raw if isinstance(raw, dict) else {}
    texts = {lang: text for lang in LANGUAGES if (text := text_field(texts_in, lang))}
    if not texts:
        raise FormError("text", N_("Write what happened in at least one language."))
    source = text_field(body, "source_url", limit=500) or None
    if source is not None and not source.lower().startswith(("http://", "https://")):
        raise FormError("source_url", N_("A link starts with http:// or https://."))
    basis = body.get("basis") or None
    if basis is not None and basis not in set(Basis):
        raise FormError("basis", N_("This field is not valid."))
    return EventForm(day, precision, texts, source, None if basis is None else str(basis))
