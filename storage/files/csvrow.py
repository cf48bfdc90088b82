"""One data row of a CSV case file being checked (storage/files/csvfile.py reads the file).

`CsvRow` reads its cells by column (trimmed, without the `'` that guards a formula-like
text) as text, localized texts, choices, dates and flags, and records each problem with
the row's line in the file's shared `Problems`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from storage.files.casefile import LANGS, MAX_TEXT
from storage.files.filesafety import Problems, unguard_cell

TRUE = ("true", "yes", "1")
FALSE = ("false", "no", "0", "")


class CsvRow:
    """One data row being checked; problems go to the shared list with the row's line."""

    def __init__(self, values: dict[str, str], line: int, problems: Problems):
        self.values = values
        self.line = line
        self.problems = problems

    def fail(self, message: str) -> None:
        """Record a problem on this row's line."""
        self.problems.add(self.line, message)

    def raw(self, column: str) -> str:
        """The cell, trimmed, without the `'` that guards a formula-like text."""
        return unguard_cell(self.values.get(column, "").strip())

    def text(self, column: str, *, limit: int = MAX_TEXT) -> str | None:
        """The cell as text of at most `limit` characters; None when empty or too long."""
        text = self.raw(column)
        if len(text) > limit:
            self.fail(f"{column} is longer than {limit} characters")
            return None
        return text or None

    def local(
        self, prefix: str, original_column: str | None = None, *, limit: int = MAX_TEXT
    ) -> dict[str, str]:
        """A localized field from its `prefix_kk`, `_ru`, `_en` cells, the original first when
        `original_column` names it."""
        texts = {
            lang: text
            for lang in LANGS
            if (text := self.text(f"{prefix}_{lang}", limit=limit)) is not None
        }
        if original_column is None:
            return texts
        first = self.raw(original_column)
        if not first:
            return texts
        if first not in LANGS:
            self.fail(f"{original_column} {first[:20]!r} is not one of kk, ru, en")
        elif "en" in texts:
            self.fail(f"{original_column} is only for a text with no English (English comes first)")
        elif first not in texts:
            self.fail(f"{original_column} is {first!r} but {prefix}_{first} is empty")
        else:
            return {first: texts[first], **texts}
        return texts

    def choice(self, column: str, allowed: Iterable[str]) -> str | None:
        """The cell when it is one of `allowed`; None when empty or not."""
        value = self.raw(column)
        if not value:
            return None
        options = tuple(allowed)
        if value not in options:
            self.fail(f"{column} {value[:40]!r} is not one of: {', '.join(options)}")
            return None
        return value

    def day(self, column: str) -> date | None:
        """A `YYYY-MM-DD` cell as a date; None when empty or not a date."""
        value = self.raw(column)
        if not value:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.fail(f"{column} {value[:40]!r} is not a date like 2020-01-21")
        return None

    def flag(self, column: str) -> bool:
        """A true/false cell (`yes`/`no`, `1`/`0` too; empty is false)."""
        value = self.raw(column).lower()
        if value in TRUE:
            return True
        if value not in FALSE:
            self.fail(f"{column} {value[:20]!r} is not true or false")
        return False
