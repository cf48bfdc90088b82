"""Chinese characters to pinyin, for names written in Chinese (木拉格尔·阿里木).

Documents from Xinjiang, and the leaked Xinjiang Police Files, give a Kazakh's
name only in Chinese characters: usually the given name and the father's name
(without -ұлы) joined by a middle dot. The characters transcribe sounds, so a
name is searched by its pinyin ("mulageer alimu"), which also lets simplified
and traditional characters (尔 and 爾) meet and a supporter type the pinyin in
Latin, with or without tones.

Reading characters is the one part not written by hand: pypinyin (from PyPI;
its data ships in the wheel, nothing is downloaded) knows the readings of
every character. Each character gets its most common reading, as a
transcribed name has no words to give context, so pypinyin's phrase
dictionary is not loaded (about 50 MiB and two seconds saved): the
environment variable PYPINYIN_NO_PHRASES is set before pypinyin is first
imported, unless it is already set. pypinyin is imported on the first
Chinese text, never at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache

__all__ = ["has_han", "to_pinyin", "without_han"]

_HAN = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]+"
)


def has_han(text: str) -> bool:
    """True when `text` contains a Chinese character."""
    return _HAN.search(text) is not None


def without_han(text: str) -> str:
    """`text` with its Chinese characters taken out."""
    return _HAN.sub("", text)


@cache
def _reader() -> Callable[[str], list[str]]:
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    from pypinyin import Style, lazy_pinyin  # here: only when a Chinese text comes

    def read(run: str) -> list[str]:
        return lazy_pinyin(run, style=Style.NORMAL, v_to_u=True, errors="ignore")

    return read


def to_pinyin(text: str) -> str:
    """Replace every run of Chinese characters by its pinyin, one word per run.

    "木拉格尔·阿里木" becomes " mulageer · alimu ": the characters of a run make
    one word (a name part), padded with spaces; whatever separates runs (a
    middle dot ·, •, ・, a full stop, a space) is kept for the caller, who
    treats it as a space.
    """
    if not has_han(text):
        return text
    read = _reader()
    return _HAN.sub(lambda match: " " + "".join(read(match.group())) + " ", text)
