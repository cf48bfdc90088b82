"""Alert and reminder texts, rendered when sent in the recipient's language of that moment."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from messages.common import (
    DIMENSION_LABELS,
    basis_words,
    days_from_now,
    local_text,
    status_label,
    utc_offset,
)
from messages.i18n import Translator
from storage.vocabulary import (
    BASIS_LABELS,
    HEARING_ALERTS,
    UNCONFIRMED_BASES,
    URGENT_RISKS,
    AlertKind,
)

URGENT_MARK = "⚠️"


def time_left(t: Translator, starts_at: datetime, now: datetime) -> str:
    """How long until an instant: days when two or more, else hours, else minutes."""
    seconds = max(0, int((starts_at - now).total_seconds()))
    if seconds >= 2 * 86400:
        days = seconds // 86400
        return t.ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    if seconds >= 3600:
        hours = round(seconds / 3600)
        return t.ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}
    minutes = max(1, round(seconds / 60))
    return t.ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


def when_and_where(t: Translator, payload: dict[str, Any], *, prefix: str = "") -> str:
    """A hearing's local date and time (with its UTC offset), court and city, escaped."""
    starts_at = datetime.fromisoformat(payload[f"{prefix}starts_at"])
    zone = payload.get(f"{prefix}tz") or "Asia/Almaty"
    day, clock = t.format_local(starts_at, zone)
    text = day
    if payload.get(f"{prefix}time_known", True):
        text = f"{day}, {clock} ({utc_offset(starts_at, zone)})"
    court = payload.get(f"{prefix}court", payload.get("court")) or {}
    city = payload.get(f"{prefix}city", payload.get("city")) or {}
    place = [local_text(t, court, "en"), local_text(t, city, "en")]
    where = ", ".join(part for part in place if part)
    return escape(text) + (f" — {where}" if where else "")


def _local_day(payload: dict[str, Any]) -> date:
    starts_at = datetime.fromisoformat(payload["starts_at"])
    return starts_at.astimezone(ZoneInfo(payload.get("tz") or "Asia/Almaty")).date()


def render_status_alert(t: Translator, name: str, payload: dict[str, Any], *, urgent: bool) -> str:
    """A status change: which dimension, from what to what, and the organizer's note."""
    dimension = payload["dimension"]
    head = t.gettext("%(name)s: %(what)s changed") % {
        "name": name,
        "what": t.gettext(DIMENSION_LABELS[dimension]).lower(),
    }
    change = t.gettext("from “%(old)s” to “%(new)s”") % {
        "old": status_label(t, dimension, payload.get("old")),
        "new": status_label(t, dimension, payload.get("new")),
    }
    lines = [
        ("" if not urgent else URGENT_MARK + " ") + "<b>" + escape(head) + "</b>",
        escape(change),
    ]
    note = local_text(t, payload.get("note") or {}, payload.get("note_lang"))
    if note:
        lines.append(note)
    how = basis_words(t, payload.get("basis"), payload.get("source"))
    if how:
        lines.append(escape(t.gettext("How it is known:")) + " " + how)
    if urgent and payload.get("basis") in UNCONFIRMED_BASES:
        top = t.gettext("NOT YET CONFIRMED: %(basis)s") % {
            "basis": t.gettext(BASIS_LABELS[payload["basis"]])
        }
        lines.insert(0, URGENT_MARK + " <b>" + escape(top) + "</b>")
    return "\n".join(lines)


def render_hearing_alert(
    t: Translator, name: str, kind: str, payload: dict[str, Any], *, today: date
) -> str:
    """A hearing set, moved or cancelled."""
    if kind == "hearing_set":
        head = t.gettext("%(name)s: a hearing is set") % {"name": name}
        body = [when_and_where(t, payload)]
    elif kind == "hearing_moved":
        head = t.gettext("%(name)s: the hearing is moved") % {"name": name}
        body = [  # in words, not only struck through: previews and screen readers lose that
            escape(t.gettext("Was:")) + " " + when_and_where(t, payload, prefix="old_"),
            escape(t.gettext("Now:")) + " " + when_and_where(t, payload),
        ]
    else:
        head = t.gettext("%(name)s: the hearing is cancelled") % {"name": name}
        return "\n".join(
            [
                "<b>" + escape(head) + "</b>",
                escape(t.gettext("It was set for:")) + " " + when_and_where(t, payload),
            ]
        )
    body.append(escape(days_from_now(t, _local_day(payload), today)))
    return "\n".join(["<b>" + escape(head) + "</b>", *body])


def render_hearing_reminder(
    t: Translator, name: str, payload: dict[str, Any], *, now: datetime
) -> str:
    """A reminder before a hearing, naming its current time only."""
    starts_at = datetime.fromisoformat(payload["starts_at"])
    head = t.gettext("Reminder: %(name)s has a hearing %(when)s") % {
        "name": name,
        "when": time_left(t, starts_at, now),
    }
    return "\n".join(["<b>" + escape(head) + "</b>", when_and_where(t, payload)])


def render_release_reminder(
    t: Translator, name: str, release_on: date, *, stated: bool, today: date
) -> str:
    """A reminder before an expected release."""
    how = (
        t.gettext("stated by the court")
        if stated
        else t.gettext("estimate, computed from the sentence")
    )
    head = t.gettext("%(name)s may be released on %(date)s") % {
        "name": name,
        "date": t.format_date(release_on),
    }
    left = days_from_now(t, release_on, today)
    return "\n".join(["<b>" + escape(head) + "</b>", escape(f"{how} — {left}")])


def render_release_change(t: Translator, name: str, payload: dict[str, Any]) -> str:
    """The expected release date moved (a new sentence, a stated date)."""
    head = t.gettext("%(name)s: the expected release date changed") % {"name": name}
    lines = ["<b>" + escape(head) + "</b>"]
    if payload.get("release"):
        how = (
            t.gettext("stated by the court")
            if payload.get("stated")
            else t.gettext("estimate, computed from the sentence")
        )
        new = t.format_date(date.fromisoformat(payload["release"]))
        lines.append(escape(t.gettext("New date:") + f" {new} ({how})"))
    else:
        lines.append(escape(t.gettext("The release date is not known any more.")))
    if payload.get("old_release"):
        was = t.format_date(date.fromisoformat(payload["old_release"]))
        lines.append(escape(t.gettext("Was:") + f" {was}"))
    return "\n".join(lines)


def render_correction(t: Translator, name: str, current: str) -> str:
    """The last alert about a case was sent by mistake and is withdrawn; ``current`` says
    what is true now (escaped HTML, from :func:`current_state`)."""
    head = escape(
        t.gettext("Correction about %(name)s: the previous alert was sent by mistake.")
        % {"name": name}
    )
    return f"<b>{head}</b>\n{current}" if current else f"<b>{head}</b>"


def current_state(
    t: Translator,
    of: str,
    *,
    dimension: str | None,
    status: str | None,
    hearing: str | None,
    release: date | None,
) -> str:
    """What is true now about the part of a case a withdrawn alert was about (escaped).

    ``status`` is the current key of ``dimension``; ``hearing`` the next hearing as
    already rendered (escaped HTML) or None; ``release`` the expected release or None.
    """
    if of == "status" and dimension in DIMENSION_LABELS:
        return escape(
            t.gettext("%(what)s is still: %(value)s")
            % {
                "what": t.gettext(DIMENSION_LABELS[dimension]),
                "value": status_label(t, dimension, status),
            }
        )
    if of in HEARING_ALERTS:
        if hearing is None:
            return escape(t.gettext("No hearing is scheduled."))
        return escape(t.gettext("The next hearing is still:")) + " " + hearing
    if of in ("release_changed", "sentence"):
        if release is None:
            return escape(t.gettext("No release date is known."))
        return escape(
            t.gettext("The expected release is still: %(date)s") % {"date": t.format_date(release)}
        )
    return ""


CHANGE_ALERTS: frozenset[str] = frozenset(
    {AlertKind.STATUS, *HEARING_ALERTS, AlertKind.RELEASE_CHANGED}
)
"""The alert kinds :func:`render_change_alert` renders (the rest need the present state)."""


def render_change_alert(
    t: Translator, kind: str, name: str, payload: dict[str, Any], *, today: date
) -> str | None:
    """The alert a change sends (status, hearing, release), as subscribers read it: used
    both by the dispatcher and by the organizer's preview. None for other kinds
    (corrections need the present state: :func:`render_correction`)."""
    if kind == "status":
        urgent = payload.get("dimension") == "risk" and payload.get("new") in URGENT_RISKS
        return render_status_alert(t, name, payload, urgent=urgent)
    if kind in HEARING_ALERTS:
        return render_hearing_alert(t, name, kind, payload, today=today)
    if kind == "release_changed":
        return render_release_change(t, name, payload)
    return None
