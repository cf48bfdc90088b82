"""What the organizer reads while a broadcast goes out: the progress line edited in place
("12,400 of 19,051 delivered · 3 blocked · about 3 min left"), the final line with the
time it took, and the recent broadcasts of /stats."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from babel.numbers import format_decimal

from messages.i18n import Translator


def _number(t: Translator, value: int) -> str:
    return format_decimal(value, format="#,##0", locale=t.lang)


def duration(t: Translator, seconds: float) -> str:
    """ "3 min 5 s" (short CLDR units; seconds dropped above an hour)."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(timedelta(hours=hours), hours), (timedelta(minutes=minutes), minutes)]
    if not hours:
        parts.append((timedelta(seconds=secs), secs))
    shown = [_unit(t, span) for span, value in parts if value]
    return " ".join(shown) if shown else _unit(t, timedelta(0))


def _unit(t: Translator, span: timedelta) -> str:
    return format_timedelta(span, granularity="second", format="short", locale=t.lang)


def _counts(t: Translator, delivered: int, total: int, blocked: int) -> list[str]:
    parts = [
        t.gettext("%(delivered)s of %(total)s delivered")
        % {"delivered": _number(t, delivered), "total": _number(t, total)}
    ]
    if blocked:
        parts.append(t.gettext("%(count)s blocked") % {"count": _number(t, blocked)})
    return parts


def progress_line(
    t: Translator,
    *,
    delivered: int,
    total: int,
    blocked: int,
    left_seconds: float | None,
    paused: bool,
) -> str:
    """While it runs: counts, then about how long is left (or that it is paused)."""
    parts = _counts(t, delivered, total, blocked)
    if paused:
        parts.append(t.gettext("paused"))
    elif left_seconds is not None:
        parts.append(t.gettext("about %(time)s left") % {"time": duration(t, left_seconds)})
    return escape(" · ".join(parts))


def finished_line(t: Translator, *, delivered: int, total: int, blocked: int, took: float) -> str:
    """At the end: the counts and the time it took to reach everyone."""
    parts = _counts(t, delivered, total, blocked)
    parts.append(t.gettext("everyone reached in %(time)s") % {"time": duration(t, took)})
    return escape(" · ".join(parts))


def recent_line(
    t: Translator,
    *,
    started_at: datetime,
    zone: str,
    total: int,
    took: float | None,
    paused: bool,
) -> str:
    """One broadcast in /stats: when, to how many, and how long it took (or its state)."""
    local = started_at.astimezone(ZoneInfo(zone))
    when = f"{t.format_date(local.date())}, {t.format_time(local)}"
    if took is not None:
        state = t.gettext("took %(time)s") % {"time": duration(t, took)}
    elif paused:
        state = t.gettext("paused")
    else:
        state = t.gettext("under way")
    return escape(
        t.gettext("%(when)s: %(total)s subscribers, %(state)s")
        % {"when": when, "total": _number(t, total), "state": state}
    )
