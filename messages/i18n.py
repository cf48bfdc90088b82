"""Languages, gettext catalogs and CLDR formatting for kk, ru and en.

Catalogs are the `.po` files under `messages/locale/`; they are compiled in
memory the first time a language is used, so nothing binary is committed and
an installed package needs no build step. English text is the message id.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from storage.vocabulary import LANGUAGE_NAMES as LANGUAGE_NAMES
from storage.vocabulary import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "casebot"
SUPPORTED_LANGUAGES: tuple[str, ...] = LANGUAGES
DEFAULT_LANGUAGE = "en"
_RUSSIAN_READERS = frozenset({"ru", "uk", "be"})


def N_(message: str) -> str:  # noqa: N802  (the conventional gettext marker name)
    """Mark a string for extraction without translating it yet."""
    return message


def language_from_telegram(code: str | None) -> str:
    """Map Telegram's `language_code` to kk, ru or en (uk and be read Russian)."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.lower().replace("_", "-").split("-")[0]
    if base == "kk":
        return "kk"
    if base in _RUSSIAN_READERS:
        return "ru"
    return DEFAULT_LANGUAGE


def resolve_language(chosen: str | None, telegram_code: str | None) -> str:
    """The user's own choice when they made one, else what Telegram says."""
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return language_from_telegram(telegram_code)


def catalog_path(lang: str) -> Path:
    """The `.po` file of one language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _compiled(lang: str) -> gettext.GNUTranslations:
    with catalog_path(lang).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Translations and CLDR formatting for one language."""

    def __init__(self, lang: str) -> None:
        if lang not in SUPPORTED_LANGUAGES:
            lang = DEFAULT_LANGUAGE
        self.lang = lang
        self._catalog = _compiled(lang)

    def gettext(self, message: str) -> str:
        """Translate one message."""
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message that depends on a count, with the language's plural rules."""
        return self._catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """Translate a message within a disambiguating context."""
        return self._catalog.pgettext(context, message)

    def format_date(self, value: date) -> str:
        """A date in the language's long CLDR form ("21 января 2020 г.")."""
        return babel_format_date(value, format="long", locale=self.lang)

    def format_month(self, value: date) -> str:
        """A month and year ("October 2019", "октябрь 2019 г.")."""
        return babel_format_date(value, format="LLLL y", locale=self.lang)

    def format_time(self, value: datetime) -> str:
        """A 24-hour clock time ("10:00")."""
        return babel_format_time(value, format="HH:mm", locale=self.lang)

    def format_local(self, instant: datetime, zone: str) -> tuple[str, str]:
        """The date and time of a UTC instant in `zone`, formatted for this language."""
        local = instant.astimezone(ZoneInfo(zone))
        return self.format_date(local.date()), self.format_time(local)


@cache
def translator(lang: str) -> Translator:
    """The (cached) translator for a language; unknown languages get English."""
    return Translator(lang)
