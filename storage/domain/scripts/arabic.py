"""Kazakh Arabic script (töte jazuw, used by Kazakhs in Xinjiang) and Cyrillic.

Why hand-written: Arabic-script tools read Arabic, Persian or Uyghur, which
share letters with Kazakh but not their values (ۆ is ö in Uyghur, в in
Kazakh; ع is a consonant of its own in Arabic, ғ in Kazakh), and none knows
the Kazakh hamza. The table below follows the alphabet in use in Xinjiang:

====  =====  ================================================
Arab  Cyr.   note
====  =====  ================================================
ا     а, ә   ә in a word marked front (see the hamza below)
ٵ     ә      alef with high hamza
ب     б
ۆ     в
گ     г
ع     ғ      (غ, the Arabic ghain, is read the same)
د     д
ە     е      (ه, the Arabic heh, is typed for it and read the same)
ج     ж
ز     з
ي     и, й   й after a vowel, otherwise и
ك     к      (ک, the Persian keheh, too)
ق     қ
ل     л
م     м
ن     н
ڭ     ң
و     о, ө   ө in a front word
ٶ     ө      waw with high hamza
پ     п
ر     р
س     с
ت     т
ۋ     у
ۇ     ұ, ү   ү in a front word
ٷ     ү      u with high hamza
ف     ф
ح     х      (х and һ are one sound in Kazakh names)
ھ     һ
چ     ч
ش     ш
ى     ы, і   і in a front word
ٸ     і      yeh with high hamza
====  =====  ================================================

The high hamza ٴ (or ء) written at the start of a word marks the whole word
as front-vowel: its ا و ۇ ى are ә ө ү і ("ٴالى" is Әлі). Words with ە, ك
or گ are front by spelling and need no hamza, but names mix front and back
syllables (Мұрагер is written with گ and ە), so only the hamza is read; the
search keys of `storage.domain.names` do not tell the pairs apart anyway (а and ә
both become a). Short vowel signs, tatweel and joiners are dropped.
"""

from __future__ import annotations

import re

__all__ = ["ARABIC_TO_CYRILLIC", "CYRILLIC_TO_ARABIC", "from_cyrillic", "has_arabic", "to_cyrillic"]

ARABIC_TO_CYRILLIC: dict[str, str] = {
    "ا": "а", "ٵ": "ә", "ب": "б", "ۆ": "в", "گ": "г", "ع": "ғ", "د": "д", "ە": "е",
    "ج": "ж", "ز": "з", "ي": "и", "ك": "к", "ق": "қ", "ل": "л", "م": "м",
    "ن": "н", "ڭ": "ң", "و": "о", "ٶ": "ө", "پ": "п", "ر": "р", "س": "с", "ت": "т",
    "ۋ": "у", "ۇ": "ұ", "ٷ": "ү", "ف": "ф", "ح": "х", "ھ": "һ", "چ": "ч",
    "ش": "ш", "ى": "ы", "ٸ": "і",
    # Letters of Arabic, Persian and Uyghur keyboards, read as the Kazakh letter they stand for.
    "غ": "ғ", "ه": "е", "ک": "к", "ی": "и", "ې": "е", "ۈ": "ү", "ئ": "", "أ": "а", "إ": "и",
    "آ": "а", "ة": "а", "ث": "с", "ذ": "з", "ص": "с", "ض": "з", "ط": "т", "ظ": "з",
    "ڵ": "л",
}  # fmt: skip

FRONT: dict[str, str] = {"ا": "ә", "و": "ө", "ۇ": "ү", "ى": "і"}
"""The vowels that a word-initial hamza makes front."""
HAMZAS = frozenset("ٴء")
VOWELS = frozenset("аәеиоөұүыіуэюяё")
_SILENT = re.compile("[\u064b-\u065f\u0670\u0640\u200c\u200d\u06e1]")
_WORD = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")

CYRILLIC_TO_ARABIC: dict[str, str] = {
    "а": "ا", "ә": "ٵ", "б": "ب", "в": "ۆ", "г": "گ", "ғ": "ع", "д": "د", "е": "ە",
    "ё": "يو", "ж": "ج", "з": "ز", "и": "ي", "й": "ي", "к": "ك", "қ": "ق", "л": "ل",
    "м": "م", "н": "ن", "ң": "ڭ", "о": "و", "ө": "ٶ", "п": "پ", "р": "ر", "с": "س",
    "т": "ت", "у": "ۋ", "ұ": "ۇ", "ү": "ٷ", "ф": "ف", "х": "ح", "һ": "ھ", "ц": "تس",
    "ч": "چ", "ш": "ش", "щ": "ش", "ъ": "", "ы": "ى", "і": "ٸ", "ь": "", "э": "ە",
    "ю": "يۋ", "я": "يا",
}  # fmt: skip
"""Kazakh Cyrillic to Arabic script, letter by letter (the hamza letters for ә ө ү і)."""
_PLAIN = {"ә": "ا", "ө": "و", "ү": "ۇ", "і": "ى"}
_BACK_VOWELS = frozenset("аоұы")
_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")


def has_arabic(text: str) -> bool:
    """True when `text` contains a letter of the Arabic script."""
    return _WORD.search(text) is not None


def _word_to_cyrillic(word: str) -> str:
    word = _SILENT.sub("", word)
    front = not HAMZAS.isdisjoint(word)
    out: list[str] = []
    for char in word:
        if char in HAMZAS:
            continue
        if front and char in FRONT:
            out.append(FRONT[char])
        elif char in ("ي", "ی"):
            out.append("й" if out and out[-1] in VOWELS else "и")
        else:
            out.append(ARABIC_TO_CYRILLIC.get(char, char))
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """Read the Kazakh Arabic script in `text` as lower-case Kazakh Cyrillic; keep the rest."""
    return _WORD.sub(lambda match: _word_to_cyrillic(match.group()), text)


def _word_from_cyrillic(word: str) -> str:
    small = word.lower()
    front = not _BACK_VOWELS.intersection(small) and any(char in _PLAIN for char in small)
    letters = "".join(
        _PLAIN[char] if front and char in _PLAIN else CYRILLIC_TO_ARABIC.get(char, char)
        for char in small
    )
    return "ٴ" + letters if front else letters


def from_cyrillic(text: str) -> str:
    """Write Kazakh Cyrillic text in the Arabic script.

    A word whose vowels are all front gets one initial hamza and plain vowel
    letters (the orthography leaves the hamza out next to ە, ك or گ; this
    writer always puts it, so that `to_cyrillic` reads the word back); a word
    mixing back and front vowels (Әлімұлы) uses the hamza letters ٵ ٶ ٷ ٸ.
    """
    return _CYRILLIC_WORD.sub(lambda match: _word_from_cyrillic(match.group()), text)
