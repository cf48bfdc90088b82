"""Everything casebot says: gettext catalogs (kk, ru, en) and the renderers of its texts.

Messages know nothing of the database or of Telegram's objects: renderers take
plain values and return text (HTML for Telegram's HTML parse mode).
"""

from messages.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    N_,
    SUPPORTED_LANGUAGES,
    Translator,
    language_from_telegram,
    resolve_language,
    translator,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_NAMES",
    "N_",
    "SUPPORTED_LANGUAGES",
    "Translator",
    "language_from_telegram",
    "resolve_language",
    "translator",
]
