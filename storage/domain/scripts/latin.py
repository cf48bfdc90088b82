"""The Kazakh Latin alphabets, each a table from Kazakh Cyrillic, read both ways.

Why hand-written: Kazakhstan published three official Latin alphabets in four
years, and they give the same letter different meanings. No transliteration
library implements them (general ones treat Kazakh as Russian and lose
ә ғ қ ң ө ұ ү һ і), so each is written here from its decree, letter by letter:

======  ==========  ==========  ==========  ===========
letter  2017        2018        2021        informal
======  ==========  ==========  ==========  ===========
ә       a'          á           ä           a
ғ       g'          ǵ           ğ           gh, g
и       i'          ı           i (İ)       i
й       i'          ı           i (İ)       y, i
і       i           i           ı (I)       i
ң       n'          ń           ñ           ng, n
ө       o'          ó           ö           o
у       y'          ý           u           u, w
ұ       u           u           ū           u
ү       u'          ú           ü           u
ч       c'          ch          ch          ch
ш       s'          sh          ş           sh
ы       y           y           y           y, i, ı
======  ==========  ==========  ==========  ===========

(2017: Presidential Decree No. 569 of 26 October 2017, apostrophes;
2018: Decree No. 637 of 19 February 2018, acute accents and the dotless ı;
2021: the revision presented in January 2021, Turkic-style letters.) The other
letters are the same everywhere (б b, д d, ж j, қ q, х and һ h, ...; informal
Latin writes ж zh or j, қ q or k, х kh, h or x). Letters that an alphabet
leaves out (ё, ц, щ, ъ, ь, э, ю, я in loanwords) are written the way its rules
spell them.

A letter that means different Cyrillic letters in different schemes (ı is и/й
in 2018 but і in 2021; y' is у in 2017, y is ы or й informally; an apostrophe
is a 2017 letter mark or a mere separator) is never guessed:
`storage.domain.names.name_keys` reads a text in every scheme whose marks it
contains and keeps every reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "APOSTROPHES",
    "INFORMAL",
    "INFORMAL_ALTERNATIVES",
    "KAZ_2017",
    "KAZ_2018",
    "KAZ_2021",
    "OFFICIAL",
    "Scheme",
]

APOSTROPHES = "'’‘ʼʻ`´′"
"""Characters typed for the apostrophe of the 2017 alphabet (and as separators)."""


@dataclass(frozen=True)
class Scheme:
    """One Latin alphabet: how each Kazakh Cyrillic letter is written in it.

    `letters` maps every lower-case Kazakh Cyrillic letter to its Latin
    spelling; where two Cyrillic letters share one spelling (х and һ are both
    h), reading Latin back gives the first one listed. `upper` gives capitals
    that plain `str.upper` gets wrong (2021: и is İ, і is I). `extra` adds
    spellings that are read but never written. `marks` are the characters
    whose presence means a text may be written in this scheme.
    """

    name: str
    letters: Mapping[str, str]
    marks: frozenset[str] = frozenset()
    upper: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)
    _reverse: dict[str, str] = field(init=False, repr=False, compare=False)
    _longest: int = field(init=False, repr=False, compare=False)
    _lower: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reverse: dict[str, str] = {}
        for cyrillic, latin in [*self.letters.items(), *self.extra.items()]:
            if latin:
                reverse.setdefault(latin, cyrillic)
        object.__setattr__(self, "_reverse", reverse)
        object.__setattr__(self, "_longest", max(map(len, reverse)))
        object.__setattr__(self, "_lower", {big: small for small, big in self.upper.items()})

    def to_latin(self, text: str) -> str:
        """Write Kazakh Cyrillic text in this alphabet; other characters are kept."""
        out: list[str] = []
        for char in text:
            small = char.lower()
            latin = self.letters.get(small)
            if latin is None:
                out.append(char)
            elif char != small and latin:
                out.append(self.upper.get(latin[0], latin[0].upper()) + latin[1:])
            else:
                out.append(latin)
        return "".join(out)

    def to_cyrillic(self, text: str) -> str:
        """Read Latin text written in this alphabet as lower-case Kazakh Cyrillic.

        The longest spelling wins at each position (2018 "sh" is ш, not с + h);
        characters that are no letter of the alphabet are kept as they are.
        """
        reverse, longest = self._reverse, self._longest
        small = "".join(self._lower.get(char, char.lower()) for char in text)
        for apostrophe in APOSTROPHES[1:]:
            small = small.replace(apostrophe, "'")
        out: list[str] = []
        position = 0
        while position < len(small):
            for size in range(min(longest, len(small) - position), 0, -1):
                cyrillic = reverse.get(small[position : position + size])
                if cyrillic is not None:
                    out.append(cyrillic)
                    position += size
                    break
            else:
                out.append(small[position])
                position += 1
        return "".join(out)

    def applies_to(self, text: str) -> bool:
        """True when `text` contains a character that marks this alphabet."""
        return not self.marks.isdisjoint(text)


def _letters(**changes: str) -> dict[str, str]:
    """The letters every alphabet shares, with this alphabet's own `changes`."""
    base = {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "j", "з": "z",
        "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ъ": "", "ы": "y",
        "ь": "", "э": "e",
    }  # fmt: skip
    base.update(changes)
    order = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
    return {letter: base[letter] for letter in order}


KAZ_2017 = Scheme(
    "2017",
    _letters(
        ә="a'", ғ="g'", ё="i'o", и="i'", й="i'", ң="n'", ө="o'", у="y'",
        ұ="u", ү="u'", ч="c'", ш="s'", щ="s's'", і="i", ю="i'y'", я="i'a",
    ),
    marks=frozenset(APOSTROPHES),
)  # fmt: skip
"""The 2017 alphabet: apostrophes after a, g, i, n, o, u, y, c, s."""

KAZ_2018 = Scheme(
    "2018",
    _letters(
        ә="á", ғ="ǵ", ё="ıo", и="ı", й="ı", ң="ń", ө="ó", у="ý",
        ұ="u", ү="ú", ч="ch", ш="sh", щ="shch", і="i", ю="ıý", я="ıa",
    ),
    marks=frozenset("áǵńóúýıÁǴŃÓÚÝ"),
)  # fmt: skip
"""The 2018 alphabet: acute accents, the dotless ı for и and й, sh and ch."""

KAZ_2021 = Scheme(
    "2021",
    _letters(
        ә="ä", ғ="ğ", ё="io", и="i", й="i", ң="ñ", ө="ö", у="u",
        ұ="ū", ү="ü", ч="ch", ш="ş", щ="şş", і="ı", ю="iu", я="ia",
    ),
    marks=frozenset("äğñŋöūüşçıİÄĞÑŊÖŪÜŞÇ"),
    upper={"i": "İ", "ı": "I"},
    extra={"ч": "ç", "ң": "ŋ"},
)  # fmt: skip
"""The 2021 alphabet: ä ğ ñ ö ū ü ş; ı (capital I) is і, i (capital İ) is и and й.

Also read: ŋ for ң (in drafts and some reproductions of the table) and the
Turkish ç for ч.
"""

INFORMAL = Scheme(
    "informal",
    _letters(
        ә="a", ғ="gh", ё="yo", ж="zh", и="i", й="y", ң="ng", ө="o", у="u",
        ұ="u", ү="u", х="kh", ч="ch", ш="sh", щ="shch", і="i", ю="yu", я="ya",
    ),
)  # fmt: skip
"""The press's Latin ("Sayragul Sauytbay", "Qaster Musakhanuly"), as written.

Reading informal Latin is what `storage.domain.names.name_key` does for any Latin
text: its folds let every spelling of `INFORMAL_ALTERNATIVES` meet.
"""

INFORMAL_ALTERNATIVES: Mapping[str, tuple[str, ...]] = {
    "ә": ("ä", "á"),
    "в": ("w",),
    "ғ": ("g", "ğ"),
    "ж": ("j",),
    "и": ("y", "ı"),
    "й": ("i", "ı"),
    "қ": ("k",),
    "ң": ("n",),
    "ө": ("ö",),
    "у": ("w",),
    "ү": ("ü",),
    "х": ("h", "x"),
    "ы": ("i", "ı"),
    "і": ("ı",),
    "ю": ("iu",),
    "я": ("ia",),
    "ё": ("io",),
}
"""Other informal spellings of a letter, each read to the same key as the letter."""

OFFICIAL: tuple[Scheme, ...] = (KAZ_2017, KAZ_2018, KAZ_2021)
"""The official alphabets, tried whenever a text carries one of their marks."""
