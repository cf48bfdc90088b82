"""The compact texts of case files for terms (`1y6m`), partial dates (`2019-10`) and
local times (`10:00`): parsed and formatted back (re-exported by
``storage.files.casefile``)."""

from __future__ import annotations

import re
from datetime import date, time

TERM_RE = re.compile(r"^(?:(\d{1,2})y)?(?:(\d{1,3})m)?(?:(\d{1,4})d)?$")


def parse_term(text: str) -> tuple[int, int]:
    """Parse a term like `1y6m` or `3m3d` into (months, days); raise ValueError if bad."""
    match = TERM_RE.match(text.strip().lower())
    if not match or not any(match.groups()):
        raise ValueError(f"{text[:40]!r} is not a term like 1y, 6m, 1y6m or 3m3d")
    years, months, days = (int(group) if group else 0 for group in match.groups())
    if years == months == days == 0:
        raise ValueError("a term of zero")
    return years * 12 + months, days


def format_term(months: int, days: int) -> str:
    """The compact form of a term: (18, 0) → `1y6m`."""
    years, months = divmod(months, 12)
    parts = [
        f"{years}y" if years else "",
        f"{months}m" if months else "",
        f"{days}d" if days else "",
    ]
    return "".join(parts) or "0d"


def parse_partial_date(text: str) -> tuple[date, str]:
    """Parse `YYYY-MM-DD`, `YYYY-MM` or `YYYY` into (first day, precision)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), "year"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = text.split("-")
            return date(int(year), int(month), 1), "month"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text), "day"
    except ValueError:
        pass
    raise ValueError(f"{text[:40]!r} is not a date like 2020-01-21, 2019-10 or 2018")


def parse_clock(text: str) -> time:
    """Parse a local time like `10:00` or `9:30`; raise ValueError if bad."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"{text[:20]!r} is not a time like 10:00")


def format_partial_date(day: date, precision: str) -> str:
    """The inverse of `parse_partial_date`."""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()
