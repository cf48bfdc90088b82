"""Defences for case files that come from outside and files that go to spreadsheets.

A case file may be large, broken or built to hurt. Everything here keeps such a
file to one clear report and no change:

- `read_case_bytes` refuses a file over the size cap (`CASEBOT_IMPORT_MAX_BYTES`,
  default `MAX_FILE_BYTES`) before parsing it, and `decode_text` reports a byte
  that is not UTF-8, or a NUL, with its line and column;
- `Problems` collects "line N: reason" while a file is checked and keeps only the
  first `MAX_PROBLEMS` of them by line (counting the rest), so a file of a
  million bad rows costs no more memory than one of a hundred;
- `CaseFileError` carries that report;
- `guard_cell` and `unguard_cell` neutralise spreadsheet formulas in CSV cells
  ("CSV injection", as OWASP describes it) and undo it exactly on import;
- `write_file` writes an export through a temporary file created exclusively
  beside the target, never through a link someone planted there.
"""

from __future__ import annotations

import heapq
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024
"""The default cap on the size of a file `casebot import` reads (20 MiB)."""

MAX_PROBLEMS = 100
"""How many problems a refused file reports; the rest are counted in one line."""


def format_size(size: int) -> str:
    """A byte count as people read it: `512 bytes`, `64 KiB`, `20 MiB`, `1.5 GiB`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{size} bytes"


class CaseFileError(ValueError):
    """The file is not a valid case file; `problems` holds "line N: reason" strings.

    At most `MAX_PROBLEMS` problems are kept, followed by "… and N more problems"
    when there were more; `count` is how many there were in all.
    """

    def __init__(self, problems: Sequence[str], *, count: int | None = None) -> None:
        shown = list(problems[:MAX_PROBLEMS])
        total = max(len(problems) if count is None else count, len(shown))
        if total > len(shown):
            more = total - len(shown)
            shown.append(f"… and {more} more problem{'s' if more != 1 else ''}")
        super().__init__("\n".join(shown))
        self.problems = shown
        self.count = total


class Problems:
    """The problems of one file, as (line, reason), reported in line order.

    Only the first `limit` by line (then by when they were found) are kept, in a
    heap, so checking a file with millions of bad rows stays small and fast.
    """

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.count = 0
        self._kept: list[tuple[int, int, str]] = []  # (-line, -order, reason): the worst on top

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, line: int, reason: str) -> None:
        """Record one problem found on `line`."""
        self.count += 1
        item = (-line, -self.count, reason)
        if len(self._kept) < self.limit:
            heapq.heappush(self._kept, item)
        elif item > self._kept[0]:
            heapq.heapreplace(self._kept, item)

    def lines(self) -> list[str]:
        """The kept problems as "line N: reason", in line order."""
        return [f"line {-line}: {reason}" for line, _, reason in sorted(self._kept, reverse=True)]

    def error(self) -> CaseFileError:
        """The report of every problem: the kept ones, then how many more there were."""
        return CaseFileError(self.lines(), count=self.count)


def read_case_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path`; raise CaseFileError when it cannot be read or exceeds `max_bytes`.

    The size is checked before reading, and at most `max_bytes + 1` bytes are
    ever read, so a file that grows while it is read is refused too.
    """

    def too_big(size: str) -> CaseFileError:
        return CaseFileError(
            [
                f"{path.name} is {size}, more than the {format_size(max_bytes)} "
                f"a case file may be (CASEBOT_IMPORT_MAX_BYTES={max_bytes}); nothing was read"
            ]
        )

    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise too_big(format_size(size))
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CaseFileError([f"{path.name} cannot be read: {exc.strerror or exc}"]) from exc
    if len(data) > max_bytes:
        raise too_big("larger")
    return data


def _position(data: bytes, index: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of byte `index`."""
    start = data.rfind(b"\n", 0, index) + 1
    column = len(data[start:index].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, index) + 1, column


def decode_text(data: bytes) -> str:
    """UTF-8 text, a leading byte order mark dropped; CaseFileError for bad bytes or a NUL."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise CaseFileError(
            [
                f"line {line}, column {column}: byte {data[exc.start]:#04x} is not UTF-8 "
                "(save the file as UTF-8)"
            ]
        ) from exc
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise CaseFileError(
            [f"line {line}, column {column}: a NUL character (0x00): this is not a text file"]
        )
    return text


_FORMULA_STARTS = frozenset("=+-@\t\r")
_GUARDED = _FORMULA_STARTS | {"'"}


def guard_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text and never runs as a formula.

    A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
    leading `'` (OWASP's advice against CSV injection). So that `unguard_cell`
    undoes exactly this, a text that already starts with `'` followed by one of
    those characters or by another `'` gets one more `'` too.
    """
    if text[:1] in _FORMULA_STARTS or (text[:1] == "'" and text[1:2] in _GUARDED):
        return "'" + text
    return text


def unguard_cell(text: str) -> str:
    """The inverse of `guard_cell`: drop a `'` written before `=`, `+`, `-`, `@`, tab, CR or `'`.

    A `'` before anything else is part of the text and stays.
    """
    return text[1:] if text[:1] == "'" and text[1:2] in _GUARDED else text


def _create_exclusive(path: Path, attempts: int = 100) -> tuple[int, Path]:
    """A new file beside `path`, created by this call (never an existing file or link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(attempts):
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise OSError(f"{path.parent}: found no free name for a temporary file in {attempts} tries")


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole, or not at all.

    The bytes go to a temporary file created exclusively (O_EXCL, O_NOFOLLOW)
    under a random name in the target's folder, so a file or a link planted
    there is never opened, let alone written through; it is synced, then moved
    onto `path` with `os.replace` (which replaces a link at `path` itself, never
    what it points to). The file gets the usual permissions (0666 less the umask).
    """
    descriptor, temporary = _create_exclusive(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
