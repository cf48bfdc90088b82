"""Normalized search keys for names written in Kazakh or Russian Cyrillic or Latin.

A key is the name transliterated to Latin by a table of the Kazakh and Russian
letters, then folded so that the spellings that vary between sources meet:
q/k, kh/h, gh/g, y/i, j/zh, w/v, diacritics, doubled letters, punctuation.
"Қастер Мұсаханұлы", "Кастер Мусаханулы" and "Qaster Musakhanuly" share the
key "kaster musahanuli".
"""

from __future__ import annotations

import re
import unicodedata

CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d",
    "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k",
    "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u",
    "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

# Applied in order to the lower-cased Latin form.
FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("kh", "h"),
    ("gh", "g"),
    ("zh", "j"),
    ("q", "k"),
    ("w", "v"),
    ("x", "h"),
    ("y", "i"),
    ("c", "k"),
)

_NOT_LETTER = re.compile(r"[^a-z0-9 ]+")
_DOUBLED = re.compile(r"([a-z])\1+")
_SPACES = re.compile(r"\s+")


def to_latin(text: str) -> str:
    """Transliterate Kazakh and Russian Cyrillic letters to Latin; keep the rest."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        out.append(CYRILLIC_TO_LATIN.get(lower, lower))
    return "".join(out)


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


MAX_KEY = 200
"""The longest search key stored (the column's length): transliteration can make a key
longer than its name (щ → shch), so keys are cut here, before the database sees them."""


def name_key(text: str) -> str:
    """The normalized search key of a name, at most :data:`MAX_KEY` characters (empty when
    nothing searchable is left)."""
    latin = _strip_diacritics(to_latin(unicodedata.normalize("NFC", text)).lower())
    latin = latin.replace("-", " ").replace("'", "").replace("’", "")
    for old, new in FOLDS:
        latin = latin.replace(old, new)
    latin = _NOT_LETTER.sub(" ", latin)
    latin = _DOUBLED.sub(r"\1", latin)
    return _SPACES.sub(" ", latin).strip()[:MAX_KEY].rstrip()
