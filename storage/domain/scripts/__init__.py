"""Hand-written transliteration tables for the scripts Kazakh names are written in.

Supporters meet a detainee's name in Kazakh Cyrillic, in Russian spelling, in
one of three official Kazakh Latin alphabets (2017, 2018, 2021) or an informal
Latin one, in the Arabic-based script Kazakhs use in Xinjiang, and in Chinese
characters. No library covers this well: general transliterators know Russian
but not the Kazakh letters (ә ғ қ ң ө ұ ү һ і), none knows the three official
Kazakh Latin alphabets or the Xinjiang Kazakh Arabic script (with its hamza
that marks a front-vowel word), and Chinese is a matter of reading characters
in pinyin (done by pypinyin, the one library used here). So each scheme is a
small table of its own, written from the published alphabet and tested letter
by letter:

- `storage.domain.scripts.latin`: the 2017, 2018 and 2021 official Latin alphabets
  and the informal Latin of the press, both directions;
- `storage.domain.scripts.arabic`: Kazakh Arabic script, both directions;
- `storage.domain.scripts.chinese`: Chinese characters to pinyin.

`storage.domain.names` turns every reading into the search key.
"""

from __future__ import annotations

import re

from storage.domain.scripts.arabic import has_arabic
from storage.domain.scripts.chinese import has_han

__all__ = ["script_of", "split_by_script"]

_CYRILLIC = re.compile("[\u0400-\u04ff]")


def script_of(text: str) -> str:
    """The script a text is written in: "arabic", "han", "cyrillic" or "latin" (the rest).

    Arabic or Chinese letters anywhere decide; otherwise any Cyrillic letter.
    """
    if has_arabic(text):
        return "arabic"
    if has_han(text):
        return "han"
    return "cyrillic" if _CYRILLIC.search(text) else "latin"


def split_by_script(text: str) -> list[str]:
    """The words of `text` grouped by script (Arabic, Chinese, the rest), when it mixes them.

    "مرحبا Sauytbay" gives ["مرحبا", "Sauytbay"]; a text in one script gives [].
    """
    groups: dict[str, list[str]] = {}
    for token in text.split():
        script = script_of(token)
        groups.setdefault("other" if script in ("latin", "cyrillic") else script, []).append(token)
    return [" ".join(tokens) for tokens in groups.values()] if len(groups) > 1 else []
