"""Normalized search keys for names in any script a supporter meets them in.

A key is a name reduced so that the spellings that vary between sources meet.
Kazakh Arabic script is first read as Cyrillic (`storage.domain.scripts.arabic`) and
Chinese characters as pinyin (`storage.domain.scripts.chinese`); Cyrillic is then
transliterated to Latin by a table of the Kazakh and Russian letters, and the
Latin folded: q/k, kh/h, gh/g, ng/n, y/i/ı, j/zh, w/v, diacritics, apostrophes,
pinyin tone numbers, doubled letters, punctuation. "Қастер Мұсаханұлы",
"Кастер Мусаханулы", "Qaster Musakhanuly" and "قاستەر مۇساحانۇلى" share the
key "kaster musahanuli"; "木拉格尔·阿里木" has the key "mulager alimu".

The folding reads Latin as the press writes it (`storage.domain.scripts.latin.INFORMAL`).
The official Kazakh alphabets give some letters other values (2018 ý is у, 2017
s' is ш, 2021 ş is ш), so `name_keys` also reads a text in each official
alphabet whose marks it contains, and with w as у: a name or query has one key
per distinct reading, and the search tries them all instead of guessing.

Why a table of our own: transliteration libraries treat Kazakh as Russian and
know none of the Kazakh Latin alphabets (see `storage.domain.scripts`).

Patronymics and Russified surnames (`name_words`, `word_root`): "Alim uly"
and "Әлім ұлы" are one word, as in "Alimuly"; a surname's root without
-ұлы/-қызы/-ов/-ева... ("alim" for "alimuli", "akan" for "akankizi") lets the
father's name alone, or another form of the surname, find the name.
"""

from __future__ import annotations

import re
import unicodedata

from storage.domain.scripts import arabic, chinese
from storage.domain.scripts.latin import APOSTROPHES, OFFICIAL

CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d",
    "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k",
    "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u",
    "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

LATIN_LETTERS: dict[str, str] = {"ı": "i", "ŋ": "ng", "ß": "ss", "ø": "o", "æ": "ae", "đ": "d"}
"""Latin letters that have no decomposition to strip (the dotless ı of 2018 and 2021)."""

# Applied in order to the lower-cased Latin form.
FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("kh", "h"),
    ("gh", "g"),
    ("ng", "n"),
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
_TONE = re.compile(r"(?<=[a-z])[1-5]")
_DROPPED = str.maketrans("", "", APOSTROPHES)

PATRONYMIC_WORDS = frozenset({"uli", "kizi"})
"""Keys of ұлы and қызы (uly, uli, ulı, kyzy, qyzy, ...) written as a word of their own."""
SUFFIXES = ("ovikh", "evikh", "ovna", "evna", "kizi", "uli", "ova", "eva", "ov", "ev")
"""Keys of patronymic (-ұлы, -қызы, -ович, -овна) and Russified (-ов, -ова, -ев) endings."""
MIN_ROOT = 3
"""A root shorter than this is not split off ("Lev" stays "lev")."""


_TO_LATIN = str.maketrans(CYRILLIC_TO_LATIN)


def to_latin(text: str) -> str:
    """Transliterate Kazakh and Russian Cyrillic letters to Latin (lower case); keep the rest."""
    return text.lower().translate(_TO_LATIN)


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


MAX_KEY = 200
"""The longest search key stored (the column's length): transliteration can make a key
longer than its name (щ → shch), so keys are cut here, before the database sees them."""


def name_key(text: str) -> str:
    """The normalized search key of a name, at most :data:`MAX_KEY` characters (empty when
    nothing searchable is left). Latin is read as informal Latin; see `name_keys`."""
    text = unicodedata.normalize("NFC", text)
    if arabic.has_arabic(text):
        text = arabic.to_cyrillic(text)
    if chinese.has_han(text):
        text = chinese.to_pinyin(text)
    latin = to_latin(text).lower()
    if not latin.isascii():
        latin = "".join(LATIN_LETTERS.get(char, char) for char in latin)
        latin = _strip_diacritics(latin)
    latin = latin.translate(_DROPPED).replace("-", " ")
    latin = _TONE.sub("", latin)
    for old, new in FOLDS:
        latin = latin.replace(old, new)
    latin = _NOT_LETTER.sub(" ", latin)
    latin = _DOUBLED.sub(r"\1", latin)
    return _SPACES.sub(" ", latin).strip()[:MAX_KEY].rstrip()


def name_keys(text: str) -> tuple[str, ...]:
    """Every key `text` may mean, the informal reading (`name_key`) first.

    A text carrying marks of an official Kazakh Latin alphabet (an apostrophe
    for 2017, á ǵ ń ó ú ý ı for 2018, ä ğ ñ ö ū ü ş ı for 2021) is also read in
    that alphabet, and a text with a w also with w as у (informally w is both
    у and в). Readings that end in the same key are kept once; empty keys are
    dropped.
    """
    keys = [name_key(text)]
    for scheme in OFFICIAL:
        if scheme.applies_to(text):
            keys.append(name_key(scheme.to_cyrillic(text)))
    if "w" in text or "W" in text:
        keys.append(name_key(text.replace("w", "u").replace("W", "U")))
    return tuple(key for key in dict.fromkeys(keys) if key)


def name_words(key: str) -> list[str]:
    """The words of a key, a patronymic written apart joined to the word before it.

    "alim uli" and "alimuli" both give ["alimuli"]; "uli" alone stays a word.
    """
    words: list[str] = []
    for word in key.split():
        if word in PATRONYMIC_WORDS and words:
            words[-1] += word
        else:
            words.append(word)
    return words


def word_root(word: str) -> str | None:
    """The word without its patronymic or Russified ending, or None when it has none.

    "alimuli" → "alim", "akankizi" → "akan", "musahanov" → "musahan",
    "sauitbaieva" → "sauitbai"; "aidos" → None.
    """
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT:
            return word[: -len(suffix)]
    return None
