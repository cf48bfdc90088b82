"""A case's letter details in case files, checked as strictly as the chat checks them.

A case's ``letters:`` mapping (YAML) or its ``letters_address``, ``letters_reach`` and
``letters_langs`` cells (CSV) give what ``/setletters`` sets: the address letters go to
(at most `MAX_ADDRESS` characters, as the database column), whether they reach the
person (true, false, or not known), and the languages they may be written in (codes such
as ``ru``, ``kk``, ``ug``: `LANG_CODE`, each once). The organizers' guide to writing a
letter (``/letterguide``) is one per interface language, not per case, so it is the
file's: see `storage.files.casefile` (``letter_guide:``) and storage/files/csvfile.py
(a ``letter_guide`` row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.files.yamlload import Checker, LineDict, LineList, kind_of, quoted
from storage.usecases.letters import LANG_CODE, MAX_ADDRESS
from storage.usecases.letters import MAX_GUIDE as MAX_GUIDE

REACH_WORDS = "true, false or unknown"
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_UNKNOWN = ("unknown", "")


@dataclass
class LettersSpec:
    """A case's letter details as a file gives them (all of them: what is left out is unset)."""

    address: str | None = None
    reach: bool | None = None
    """Whether letters reach the person; None: not known."""
    langs: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when it sets nothing (what a case with no letter details has)."""
        return self.address is None and self.reach is None and not self.langs


def reach_of(value: Any) -> tuple[bool | None, bool]:
    """Whether letters reach, from a file's value (true/false, yes/no, 1/0 as text, unknown,
    empty or null), and whether the value was one of those."""
    if value is None or isinstance(value, bool):
        return value, True
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE or word in _UNKNOWN:
            return (None if word in _UNKNOWN else word in _TRUE), True
    return None, False


def lang_problem(code: Any, seen: set[str]) -> str | None:
    """What is wrong with one language letters may be written in, given those before it."""
    if isinstance(code, bool):  # YAML 1.1 reads an unquoted no (Norwegian) as false
        return f"letter language {str(code).lower()} is not a code: put it in quotes ('no')"
    if not isinstance(code, str):
        return f"letter language must be text, not {kind_of(code)}"
    if not LANG_CODE.fullmatch(code):
        return (
            f"letter language {code[:20]!r} is not a language code "
            "(two or three lower-case letters, such as ru, kk, ug)"
        )
    if code in seen:
        return f"letter language {code!r} appears twice"
    seen.add(code)
    return None


def _yaml_langs(check: Checker, data: LineDict) -> list[str]:
    value = data.get("langs")
    if value is None:
        return []
    if not isinstance(value, LineList):
        check.fail(data.line_of("langs"), f"letters langs must be a list, not {kind_of(value)}")
        return []
    langs: list[str] = []
    seen: set[str] = set()
    for line, code in zip(value.lines, value, strict=True):
        problem = lang_problem(code, seen)
        if problem is not None:
            check.fail(line, problem)
        else:
            langs.append(code)
    return langs


def yaml_letters(check: Checker, case: LineDict) -> LettersSpec | None:
    """A case's ``letters:`` mapping, checked; None when the case has none (or ``null``)."""
    if case.get("letters") is None:
        return None
    data = check.mapping(case["letters"], case.line_of("letters"), "letters")
    if data is None:
        return None
    check.keys(data, {"address", "reach", "langs"}, set(), "letters")
    address = check.text(
        data.get("address"), data.line_of("address"), "letters address", limit=MAX_ADDRESS
    )
    reach, known = reach_of(data.get("reach"))
    if not known:
        check.fail(
            data.line_of("reach"),
            f"letters reach {quoted(data.get('reach'), 20)} is not {REACH_WORDS}",
        )
    return LettersSpec(address=address, reach=reach, langs=_yaml_langs(check, data))


def csv_letters(address: str, reach: str, langs: str) -> tuple[LettersSpec | None, list[str]]:
    """A case row's ``letters_address``, ``letters_reach`` and ``letters_langs`` cells (langs
    separated by commas), and what is wrong with them; no spec when all three are empty."""
    if not (address or reach or langs):
        return None, []
    problems: list[str] = []
    if len(address) > MAX_ADDRESS:
        problems.append(f"letters_address is longer than {MAX_ADDRESS} characters")
    known_reach, known = reach_of(reach)
    if not known:
        problems.append(f"letters_reach {reach[:20]!r} is not {REACH_WORDS}")
    codes: list[str] = []
    seen: set[str] = set()
    for code in (piece.strip() for piece in langs.split(",")) if langs else ():
        problem = "letters_langs has an empty item between commas" if not code else None
        problem = problem or lang_problem(code, seen)
        if problem is not None:
            problems.append(problem)
        else:
            codes.append(code)
    spec = LettersSpec(address[:MAX_ADDRESS] or None, known_reach, codes)
    return spec, problems


def format_reach(reach: bool | None) -> str:
    """``letters_reach`` as the CSV writes it: true, false, or empty when not known."""
    return {True: "true", False: "false", None: ""}[reach]
