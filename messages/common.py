"""Small renderers every text shares: names in the reader's script, texts in the reader's
language (or marked with the language they are in), counts of days, terms, statuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from messages.i18n import Translator
from storage.vocabulary import BASIS_LABELS
from storage.vocabulary import DIMENSION_LABELS as DIMENSION_LABELS
from storage.vocabulary import LANGUAGE_MARKS as LANGUAGE_MARKS
from storage.vocabulary import NAME_ORDER as NAME_ORDER
from storage.vocabulary import STATUS_LABELS as STATUS_LABELS
from storage.vocabulary import TEXT_ORDER as TEXT_ORDER
from storage.vocabulary import URGENT_RISKS as URGENT_RISKS


def best_name(t: Translator, names: Iterable[tuple[str, str, bool]]) -> str:
    """The name to show this reader: primary names in their script first."""
    ranked = sorted(
        names,
        key=lambda name: (
            NAME_ORDER[t.lang].index(name[0]) if name[0] in NAME_ORDER[t.lang] else 9,
            not name[2],
        ),
    )
    return ranked[0][1] if ranked else "?"


def other_names(t: Translator, names: Iterable[tuple[str, str, bool]], shown: str) -> list[str]:
    """Primary names in the other scripts, without repeating the one shown."""
    seen = {shown}
    others = []
    for _lang, text, primary in names:
        if primary and text not in seen:
            seen.add(text)
            others.append(text)
    return others


def pick_text(t: Translator, texts: Mapping[str, str], original: str | None) -> tuple[str, str]:
    """(text, its language): the reader's language if there, else the original, else any."""
    if t.lang in texts:
        return texts[t.lang], t.lang
    order = ([original] if original in texts else []) + list(TEXT_ORDER[t.lang])
    for lang in order:
        if lang and lang in texts:
            return texts[lang], lang
    return "", t.lang


def plain_local_text(t: Translator, texts: Mapping[str, str], original: str | None) -> str:
    """Plain text in the reader's language, or another one followed by its language."""
    text, lang = pick_text(t, texts, original)
    if not text or lang == t.lang:
        return text
    return f"{text} ({t.gettext(LANGUAGE_MARKS[lang])})"


def local_text(t: Translator, texts: Mapping[str, str], original: str | None) -> str:
    """Escaped text in the reader's language, or in another one marked with its language."""
    text, lang = pick_text(t, texts, original)
    if not text or lang == t.lang:
        return escape(text)
    return f"{escape(text)} <i>({escape(t.gettext(LANGUAGE_MARKS[lang]))})</i>"


def status_label(t: Translator, dimension: str, key: str | None) -> str:
    """A status key as words in the reader's language; `not known` when unset."""
    if key is None or key not in STATUS_LABELS[dimension]:
        return t.gettext("not known")
    return t.gettext(STATUS_LABELS[dimension][key])


def basis_words(t: Translator, basis: str | None, source: str | None) -> str:
    """How a fact is known, in words, with its source as a link (escaped HTML; "" when
    neither is stated)."""
    words = escape(t.gettext(BASIS_LABELS[basis])) if basis in BASIS_LABELS else ""
    if source:
        link = f'<a href="{escape(source, quote=True)}">{escape(t.gettext("source"))}</a>'
        words = f"{words} ({link})" if words else link
    return words


def days_from_now(t: Translator, target: date, today: date) -> str:
    """ "in 3 days", "today", "5 days ago", with the language's plural rules."""
    delta = (target - today).days
    if delta == 0:
        return t.gettext("today")
    if delta == 1:
        return t.gettext("tomorrow")
    if delta > 0:
        return t.ngettext("in %(count)d day", "in %(count)d days", delta) % {"count": delta}
    return t.ngettext("%(count)d day ago", "%(count)d days ago", -delta) % {"count": -delta}


def count_days(t: Translator, days: int) -> str:
    """ "1 day", "5 days"."""
    return t.ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def term_text(t: Translator, months: int, days: int) -> str:
    """A term like "1 year 6 months" in the reader's language."""
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(t.ngettext("%(count)d year", "%(count)d years", years) % {"count": years})
    if months:
        parts.append(t.ngettext("%(count)d month", "%(count)d months", months) % {"count": months})
    if days or not parts:
        parts.append(count_days(t, days))
    return " ".join(parts)


def ratio_text(t: Translator, ratio: float) -> str:
    """A credit ratio as a localized number: 2, 1,5 (ru), 1.5 (en)."""
    return format_decimal(ratio, format="#,##0.#", locale=t.lang)


def partial_date(t: Translator, day: date, precision: str) -> str:
    """A date at its known precision: "21 January 2020", "October 2019", "2019"."""
    if precision == "year":
        # CLDR's year-only pattern is a bare "y"; kk and ru mark a year as their
        # month patterns do ("2019 ж. қазан", "октябрь 2019 г.").
        return str(day.year) + {"kk": "\u202fж.", "ru": "\u202fг."}.get(t.lang, "")
    if precision == "month":
        return format_skeleton("yMMMM", day, locale=t.lang)
    return t.format_date(day)


def utc_offset(instant: datetime, zone: str) -> str:
    """The zone's offset at that instant, as "UTC+5"."""
    offset = instant.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def clip(text: str, limit: int = 60) -> str:
    """Shorten user input for quoting it back (escaped separately)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
