"""The audit log and the list of organizers as organizers read them: who by name (with the
id), when in the organizer's zone, and each change described in their language ("hearing
set: 20 December 2026, 10:00 (UTC+5), Zaysan court"; "custody: in pre-trial detention →
released"; "translation of event 48 into Russian")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from html import escape
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from messages.common import (
    DIMENSION_LABELS,
    LANGUAGE_MARKS,
    STATUS_LABELS,
    partial_date,
    pick_text,
    ratio_text,
    status_label,
    term_text,
    utc_offset,
)
from messages.i18n import N_, Translator
from storage.payloads import hearing_from_audit
from storage.vocabulary import BASIS_LABELS

ACTIONS: dict[str, str] = {
    "import": N_("import"),
    "new_case": N_("case created"),
    "status": N_("status"),
    "hearing_set": N_("hearing set"),
    "hearing_moved": N_("hearing moved"),
    "hearing_cancelled": N_("hearing cancelled"),
    "sentence": N_("sentence"),
    "release_changed": N_("sentence"),
    "add_name": N_("name added"),
    "add_event": N_("event added"),
    "translate": N_("translation"),
    "edit_name": N_("name corrected"),
    "remove_name": N_("name removed"),
    "edit_event": N_("event corrected"),
    "remove_event": N_("event removed"),
    "undo": N_("undone"),
    "confirm": N_("checked, nothing changed"),
    "set_court": N_("court address and note"),
    "letters": N_("letters"),
    "letter_guide": N_("letter guide"),
    "approval_asked": N_("asked another organizer to approve"),
    "approval_approved": N_("approved and sent"),
    "approval_rejected": N_("rejected"),
    "approval_expired": N_("not approved within 30 minutes"),
    "approval_self_refused": N_("tried to approve their own change (refused)"),
}

TRANSLATION_INTO: dict[str, str] = {
    "kk": N_("translation of event %(number)s into Kazakh"),
    "ru": N_("translation of event %(number)s into Russian"),
    "en": N_("translation of event %(number)s into English"),
}

NAME_MARKS: dict[str, str] = {
    "zh": N_("in Chinese characters"),
    "alias": N_("another spelling"),
}
"""The marks of names that are not in an interface language."""

SENTENCE_LABELS: dict[str, str] = {
    "term": N_("term"),
    "credit_ratio": N_("credit for pre-trial detention"),
    "detained_on": N_("detained on"),
    "verdict_on": N_("verdict on"),
    "release_on": N_("release on"),
    "suspended": N_("suspended"),
}


class Named(Protocol):
    """A remembered Telegram name (storage.usecases.subscribers.KnownName)."""

    @property
    def username(self) -> str | None:
        """Without the @."""

    @property
    def first_name(self) -> str | None:
        """As Telegram gives it."""


def person(t: Translator, user_id: int, name: Named | None) -> str:
    """ "Aigerim @aigerim_k (1001)", or "user 1001" when the bot never saw their name."""
    if name is not None:
        parts = [name.first_name or "", f"@{name.username}" if name.username else ""]
        label = " ".join(part for part in parts if part)
        if label:
            return f"{label} ({user_id})"
    return t.gettext("user %(id)d") % {"id": user_id}


def _shorten(text: str, limit: int) -> str:
    """Cut at `limit` characters (dates keep their no-break spaces, unlike ``clip``)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_stamp(instant: datetime, zone: str) -> str:
    """An instant as the organizer's clock shows it: "20.12.2026 10:00"."""
    return f"{instant.astimezone(ZoneInfo(zone)):%d.%m.%Y %H:%M}"


def _text(t: Translator, texts: Any) -> str:
    return pick_text(t, texts, None)[0] if isinstance(texts, Mapping) else ""


def hearing_words(t: Translator, entry: Mapping[str, Any], zone: str, prefix: str = "") -> str:
    """A hearing's local date and time in its zone, with the offset, then court and city
    (as an audit entry records it: ``storage.payloads.hearing_from_audit``)."""
    at = hearing_from_audit(entry, prefix=prefix, zone=zone)
    if at is None:
        return "—"
    day, clock = t.format_local(at.starts_at, at.tz)
    when = f"{day}, {clock} ({utc_offset(at.starts_at, at.tz)})" if at.time_known else day
    place = [_text(t, at.court), _text(t, at.city)]
    return ", ".join([when, *(part for part in place if part)])


def _status(t: Translator, before: dict[str, Any], after: dict[str, Any]) -> str:
    dimension = next((key for key in after if key in STATUS_LABELS), None)
    if dimension is None:
        return ""
    label = t.gettext(DIMENSION_LABELS[dimension]).lower()
    text = (
        f"{label}: {status_label(t, dimension, before.get(dimension))} → "
        f"{status_label(t, dimension, after.get(dimension))}"
    )
    note = _text(t, after.get("note"))
    return f"{text} (“{note}”)" if note else text


def _sentence_value(t: Translator, name: str, state: dict[str, Any]) -> str:
    if name == "term":
        months, days = state.get("sentence_months"), state.get("sentence_days")
        return "—" if months is None and days is None else term_text(t, months or 0, days or 0)
    value = state.get(name)
    if value is None:
        return "—"
    if name == "credit_ratio":
        return ratio_text(t, float(value))
    if name == "suspended":
        return t.gettext("yes") if value else t.gettext("no")
    return t.format_date(date.fromisoformat(str(value)))


def _sentence(t: Translator, before: dict[str, Any], after: dict[str, Any]) -> str:
    changes = []
    for name, label in SENTENCE_LABELS.items():
        old, new = _sentence_value(t, name, before), _sentence_value(t, name, after)
        if old != new:
            changes.append(f"{t.gettext(label)}: {old} → {new}")
    return "; ".join(changes)


def _event(t: Translator, after: dict[str, Any]) -> str:
    try:
        day = partial_date(t, date.fromisoformat(after["date"]), after.get("precision", "day"))
    except (KeyError, TypeError, ValueError):
        day = "?"
    lang = after.get("lang")
    head = t.gettext("event %(number)s added (%(date)s, %(language)s)") % {
        "number": after.get("event", "?"),
        "date": day,
        "language": t.gettext(LANGUAGE_MARKS[lang]) if lang in LANGUAGE_MARKS else lang,
    }
    return f"{head}: {after.get('text', '')}"


def _name(t: Translator, after: dict[str, Any]) -> str:
    lang = after.get("lang")
    if lang in LANGUAGE_MARKS:
        head = t.gettext("name added %(language)s") % {"language": t.gettext(LANGUAGE_MARKS[lang])}
    else:
        head = t.gettext("another spelling added")
    return f"{head}: {after.get('text', '')}"


def _spelling(t: Translator, entry: Mapping[str, Any]) -> str:
    """A name with its language: "Әлімұлы (in Kazakh)"."""
    lang = str(entry.get("lang"))
    mark = LANGUAGE_MARKS.get(lang) or NAME_MARKS.get(lang)
    text = str(entry.get("text", "?"))
    return f"{text} ({t.gettext(mark)})" if mark else text


def _name_fix(t: Translator, action: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    label = t.gettext(ACTIONS[action])
    if action == "remove_name":
        return f"{label}: {_spelling(t, before)}"
    return f"{label}: {_spelling(t, before)} → {_spelling(t, after)}"


def _event_words(t: Translator, entry: Mapping[str, Any]) -> str:
    """An event as an audit entry keeps it: its date at its precision, its text."""
    day = partial_date(t, date.fromisoformat(entry["date"]), entry.get("precision", "day"))
    text = _text(t, entry.get("text"))
    return f"{day}, {text}" if text else day


def _event_fix(t: Translator, action: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    number = before.get("event", "?")
    if action == "remove_event":
        head = t.gettext("event %(number)s removed") % {"number": number}
        return f"{head}: {_event_words(t, before)}"
    head = t.gettext("event %(number)s corrected") % {"number": number}
    old, new = _event_words(t, before), _event_words(t, after)
    changes = [] if old == new else [f"{old} → {new}"]
    if before.get("source_url") != after.get("source_url"):
        changes.append(t.gettext("source: %(link)s") % {"link": after.get("source_url") or "—"})
    if before.get("basis") != after.get("basis"):
        basis = after.get("basis")
        words = t.gettext(BASIS_LABELS[basis]) if basis in BASIS_LABELS else "—"
        changes.append(t.gettext("basis: %(basis)s") % {"basis": words})
    return f"{head}: {'; '.join(changes)}" if changes else head


def _translation(t: Translator, after: dict[str, Any]) -> str:
    lang = next((key for key in after if key in TRANSLATION_INTO), None)
    if lang is None:
        return t.gettext(ACTIONS["translate"])
    head = t.gettext(TRANSLATION_INTO[lang]) % {"number": after.get("event", "?")}
    return f"{head}: {after[lang]}"


def _undo(t: Translator, after: dict[str, Any]) -> str:
    undid = after.get("undid")
    what = t.gettext(ACTIONS[undid]) if undid in ACTIONS else str(undid or "?")
    count = int(after.get("corrections") or 0)
    corrections = t.ngettext("%(count)d correction sent", "%(count)d corrections sent", count) % {
        "count": count
    }
    return t.gettext("undone: %(what)s") % {"what": what} + f" ({corrections})"


def _generic(t: Translator, action: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    def value(item: Any) -> str:
        if isinstance(item, dict):
            return ", ".join(f"{k}={value(v)}" for k, v in item.items() if v not in ({}, None))
        if isinstance(item, list | tuple):
            return ", ".join(str(part) for part in item)
        return "—" if item in (None, "") else str(item)

    label = t.gettext(ACTIONS[action]) if action in ACTIONS else action
    change = f"{value(before)} → {value(after)}" if before else value(after)
    return f"{label}: {change}"


def describe(
    t: Translator, action: str, before: dict[str, Any], after: dict[str, Any], zone: str
) -> str:
    """One change in the organizer's words (plain text)."""
    label = t.gettext(ACTIONS[action]) if action in ACTIONS else action
    describers: dict[str, Callable[[], str]] = {
        "new_case": lambda: (
            t.gettext("case created: %(name)s (short name: %(slug)s)")
            % {"name": after.get("name", "?"), "slug": after.get("slug", "?")}
        ),
        "import": lambda: (
            t.ngettext(
                "imported from a case file: %(count)d change",
                "imported from a case file: %(count)d changes",
                len(after.get("changes") or []),
            )
            % {"count": len(after.get("changes") or [])}
        ),
        "status": lambda: _status(t, before, after),
        "hearing_set": lambda: f"{label}: {hearing_words(t, after, zone)}",
        "hearing_moved": lambda: (
            f"{label}: {hearing_words(t, after, zone, 'old_')} → {hearing_words(t, after, zone)}"
        ),
        "hearing_cancelled": lambda: f"{label}: {hearing_words(t, before, zone)}",
        "sentence": lambda: f"{label}: {_sentence(t, before, after)}",
        "add_name": lambda: _name(t, after),
        "add_event": lambda: _event(t, after),
        "translate": lambda: _translation(t, after),
        "edit_name": lambda: _name_fix(t, action, before, after),
        "remove_name": lambda: _name_fix(t, action, before, after),
        "edit_event": lambda: _event_fix(t, action, before, after),
        "remove_event": lambda: _event_fix(t, action, before, after),
        "undo": lambda: _undo(t, after),
    }
    try:
        text = describers[action]() if action in describers else ""
    except (KeyError, TypeError, ValueError):  # an entry of an unexpected shape
        text = ""
    return text or _generic(t, action, before, after)


def audit_text(
    t: Translator,
    name: str,
    entries: list[Any],
    *,
    names: Mapping[int, Named],
    zone: str,
    now: datetime,
    page: int,
    pages: int,
) -> str:
    """A page of a case's audit log, newest first (HTML)."""
    head = t.gettext("Changes to %(name)s, newest first") % {"name": name}
    if pages > 1:
        head += " " + t.gettext("(page %(page)d of %(pages)d)") % {"page": page + 1, "pages": pages}
    times = t.gettext("Times in %(zone)s (%(offset)s).") % {
        "zone": zone,
        "offset": utc_offset(now, zone),
    }
    lines = [f"<b>{escape(head)}</b>", f"<i>{escape(times)}</i>"]
    for entry in entries:
        who = (
            person(t, entry.actor_id, names.get(entry.actor_id))
            if entry.actor_id is not None
            else t.gettext("import")
        )
        change = describe(t, entry.action, entry.before or {}, entry.after or {}, zone)
        stamp = local_stamp(entry.at, zone)
        lines.append(escape(f"{stamp} · {who} · {_shorten(change, 300)}"))
    if not entries:
        lines.append(escape(t.gettext("No changes recorded yet.")))
    return "\n".join(lines)


def organizers_text(t: Translator, rows: list[Any], *, zone: str) -> str:
    """/organizer list: the admins, then the organizers they added (HTML)."""
    names = {row.user_id: row.name for row in rows}
    admins = [row for row in rows if row.admin]
    added = [row for row in rows if not row.admin]
    lines = ["<b>" + escape(t.gettext("Admins (CASEBOT_ADMINS)")) + "</b>"]
    lines += [escape("• " + person(t, row.user_id, row.name)) for row in admins]
    if not admins:
        lines.append(escape(t.gettext("none")))
    lines += ["", "<b>" + escape(t.gettext("Organizers added by admins")) + "</b>"]
    for row in added:
        line = person(t, row.user_id, row.name)
        if row.added_by is not None and row.added_at is not None:
            line += " — " + t.gettext("added by %(who)s on %(date)s") % {
                "who": person(t, row.added_by, names.get(row.added_by)),
                "date": local_stamp(row.added_at, zone),
            }
        lines.append(escape("• " + line))
    if not added:
        lines.append(escape(t.gettext("none yet: admins add them with /organizer add <user id>")))
    return "\n".join(lines)
