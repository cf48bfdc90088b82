"""Alert and reminder texts, rendered when sent in the recipient's language of that moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from messages.card import hearing_lines
from messages.common import (
    DIMENSION_LABELS,
    basis_words,
    days_from_now,
    local_text,
    status_label,
    utc_offset,
)
from messages.i18n import Translator
from storage.alertkinds import registers, spec
from storage.domain.sentence import estimate_for
from storage.payloads import (
    AlertPayload,
    CorrectionAlert,
    HearingAlert,
    HearingMoved,
    HearingReminder,
    HearingTime,
    ReleaseChanged,
    ReleaseReminder,
    StatusAlert,
)
from storage.reads.cases import CaseView
from storage.vocabulary import BASIS_LABELS, HEARING_ALERTS, UNCONFIRMED_BASES, AlertKind

URGENT_MARK = "⚠️"


@dataclass(frozen=True)
class AlertContext:
    """What a renderer reads beside the payload: the reader's translator, the case's
    name in their script, today and now; at send time the case as it is now (``view``)
    and what the kind's ``present`` hook found (a reminder's hearing as it is now)."""

    t: Translator
    name: str
    today: date
    now: datetime | None = None
    view: CaseView | None = None
    present: Any = None


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


def when_and_where(t: Translator, at: HearingTime) -> str:
    """A hearing's local date and time (with its UTC offset), court and city, escaped."""
    day, clock = t.format_local(at.starts_at, at.tz)
    text = day
    if at.time_known:
        text = f"{day}, {clock} ({utc_offset(at.starts_at, at.tz)})"
    place = [local_text(t, at.court, "en"), local_text(t, at.city, "en")]
    where = ", ".join(part for part in place if part)
    return escape(text) + (f" — {where}" if where else "")


def _local_day(at: HearingTime) -> date:
    return at.starts_at.astimezone(ZoneInfo(at.tz)).date()


def render_status_alert(t: Translator, name: str, payload: StatusAlert) -> str:
    """A status change: which dimension, from what to what, and the organizer's note."""
    dimension = payload.dimension
    head = t.gettext("%(name)s: %(what)s changed") % {
        "name": name,
        "what": t.gettext(DIMENSION_LABELS[dimension]).lower(),
    }
    change = t.gettext("from “%(old)s” to “%(new)s”") % {
        "old": status_label(t, dimension, payload.old),
        "new": status_label(t, dimension, payload.new),
    }
    lines = [
        ("" if not payload.urgent else URGENT_MARK + " ") + "<b>" + escape(head) + "</b>",
        escape(change),
    ]
    note = local_text(t, payload.note, payload.note_lang)
    if note:
        lines.append(note)
    how = basis_words(t, payload.basis, payload.source)
    if how:
        lines.append(escape(t.gettext("How it is known:")) + " " + how)
    if payload.urgent and payload.basis in UNCONFIRMED_BASES:
        top = t.gettext("NOT YET CONFIRMED: %(basis)s") % {
            "basis": t.gettext(BASIS_LABELS[payload.basis])
        }
        lines.insert(0, URGENT_MARK + " <b>" + escape(top) + "</b>")
    return "\n".join(lines)


def render_hearing_alert(
    t: Translator, name: str, kind: str, payload: HearingAlert | HearingMoved, *, today: date
) -> str:
    """A hearing set, moved or cancelled."""
    if isinstance(payload, HearingMoved):
        head = t.gettext("%(name)s: the hearing is moved") % {"name": name}
        body = [  # in words, not only struck through: previews and screen readers lose that
            escape(t.gettext("Was:")) + " " + when_and_where(t, payload.was),
            escape(t.gettext("Now:")) + " " + when_and_where(t, payload.at),
        ]
    elif kind == AlertKind.HEARING_SET:
        head = t.gettext("%(name)s: a hearing is set") % {"name": name}
        body = [when_and_where(t, payload.at)]
    else:
        head = t.gettext("%(name)s: the hearing is cancelled") % {"name": name}
        return "\n".join(
            [
                "<b>" + escape(head) + "</b>",
                escape(t.gettext("It was set for:")) + " " + when_and_where(t, payload.at),
            ]
        )
    body.append(escape(days_from_now(t, _local_day(payload.at), today)))
    return "\n".join(["<b>" + escape(head) + "</b>", *body])


def render_hearing_reminder(t: Translator, name: str, at: HearingTime, *, now: datetime) -> str:
    """A reminder before a hearing, naming its current time only."""
    head = t.gettext("Reminder: %(name)s has a hearing %(when)s") % {
        "name": name,
        "when": time_left(t, at.starts_at, now),
    }
    return "\n".join(["<b>" + escape(head) + "</b>", when_and_where(t, at)])


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


def render_release_change(t: Translator, name: str, payload: ReleaseChanged) -> str:
    """The expected release date moved (a new sentence, a stated date)."""
    head = t.gettext("%(name)s: the expected release date changed") % {"name": name}
    lines = ["<b>" + escape(head) + "</b>"]
    if payload.release is not None:
        how = (
            t.gettext("stated by the court")
            if payload.stated
            else t.gettext("estimate, computed from the sentence")
        )
        new = t.format_date(payload.release)
        lines.append(escape(t.gettext("New date:") + f" {new} ({how})"))
    else:
        lines.append(escape(t.gettext("The release date is not known any more.")))
    if payload.old_release is not None:
        was = t.format_date(payload.old_release)
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


# ---- the hooks of each alert kind (storage.alertkinds) ----


@registers("render", AlertKind.STATUS)
def _status(ctx: AlertContext, payload: StatusAlert) -> str:
    return render_status_alert(ctx.t, ctx.name, payload)


@registers("render", AlertKind.HEARING_SET)
def _hearing_set(ctx: AlertContext, payload: HearingAlert) -> str:
    return render_hearing_alert(ctx.t, ctx.name, AlertKind.HEARING_SET, payload, today=ctx.today)


@registers("render", AlertKind.HEARING_MOVED)
def _hearing_moved(ctx: AlertContext, payload: HearingMoved) -> str:
    return render_hearing_alert(ctx.t, ctx.name, AlertKind.HEARING_MOVED, payload, today=ctx.today)


@registers("render", AlertKind.HEARING_CANCELLED)
def _hearing_cancelled(ctx: AlertContext, payload: HearingAlert) -> str:
    kind = AlertKind.HEARING_CANCELLED
    return render_hearing_alert(ctx.t, ctx.name, kind, payload, today=ctx.today)


@registers("render", AlertKind.RELEASE_CHANGED)
def _release_change(ctx: AlertContext, payload: ReleaseChanged) -> str:
    return render_release_change(ctx.t, ctx.name, payload)


@registers("render", AlertKind.HEARING_REMINDER)
def _hearing_reminder(ctx: AlertContext, payload: HearingReminder) -> str:
    assert isinstance(ctx.present, HearingTime) and ctx.now is not None
    return render_hearing_reminder(ctx.t, ctx.name, ctx.present, now=ctx.now)


@registers("render", AlertKind.RELEASE_REMINDER)
def _release_reminder(ctx: AlertContext, payload: ReleaseReminder) -> str:
    return render_release_reminder(
        ctx.t, ctx.name, payload.release_on, stated=payload.stated, today=ctx.today
    )


@registers("render", AlertKind.CORRECTION)
def _correction(ctx: AlertContext, payload: CorrectionAlert) -> str:
    of = spec(payload.of) if payload.of != "sentence" else spec(AlertKind.RELEASE_CHANGED)
    current = of.correction(ctx, payload) if of.correction else ""
    return render_correction(ctx.t, ctx.name, current)


@registers("correction", AlertKind.STATUS)
def _status_now(ctx: AlertContext, payload: CorrectionAlert) -> str:
    dimension = payload.dimension
    status = getattr(ctx.view, dimension) if ctx.view and dimension in DIMENSION_LABELS else None
    return current_state(
        ctx.t, AlertKind.STATUS, dimension=dimension, status=status, hearing=None, release=None
    )


@registers("correction", *HEARING_ALERTS, AlertKind.HEARING_REMINDER)
def _hearing_now(ctx: AlertContext, payload: CorrectionAlert) -> str:
    hearing = None
    if ctx.view is not None and ctx.view.next_hearing is not None:
        hearing = hearing_lines(ctx.t, ctx.view.next_hearing, ctx.today)[0]
    return current_state(
        ctx.t, AlertKind.HEARING_SET, dimension=None, status=None, hearing=hearing, release=None
    )


@registers("correction", AlertKind.RELEASE_CHANGED, AlertKind.RELEASE_REMINDER)
def _release_now(ctx: AlertContext, payload: CorrectionAlert) -> str:
    estimate = estimate_for(ctx.view) if ctx.view is not None else None
    return current_state(
        ctx.t,
        AlertKind.RELEASE_CHANGED,
        dimension=None,
        status=None,
        hearing=None,
        release=estimate.release_on if estimate else None,
    )


@registers("correction", AlertKind.CORRECTION)
def _nothing_more(ctx: AlertContext, payload: CorrectionAlert) -> str:
    return ""  # a correction is never withdrawn: there is nothing more to say


def render_alert(ctx: AlertContext, kind: str, payload: AlertPayload) -> str:
    """The text of an alert of ``kind``, by the renderer its spec names."""
    render = spec(kind).render
    if render is None:
        raise LookupError(f"alert kind {kind} has no renderer")
    text: str = render(ctx, payload)
    return text


def render_change_alert(
    t: Translator, kind: str, name: str, payload: AlertPayload, *, today: date
) -> str:
    """The alert a change sends (status, hearing, release), as subscribers read it: used
    by the organizer's preview (the dispatcher renders through :func:`render_alert`)."""
    return render_alert(AlertContext(t, name, today), kind, payload)
