"""What organizers read: usage lines with examples, previews, confirmations, questions asked
before an edit, stats (the audit log and the list of organizers: messages.audit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from messages.common import (
    DIMENSION_LABELS,
    LANGUAGE_MARKS,
    STATUS_LABELS,
    clip,
    partial_date,
)
from messages.i18n import LANGUAGE_NAMES, N_, Translator

USAGES: dict[str, str] = {
    "newcase": N_("Usage: /newcase <name>. Example: /newcase Qaster Musakhanuly"),
    "sethearing": N_(
        "Usage: /sethearing <case> <DD.MM.YYYY> <HH:MM> [court, city] (or the date as "
        "YYYY-MM-DD). Example: /sethearing Alimuly 04.03.2025 10:00 Zaysan court, Zaysan"
    ),
    "cancelhearing": N_("Usage: /cancelhearing <case>. Example: /cancelhearing Alimuly"),
    "setstatus": N_(
        "Usage: /setstatus <case> <key> [note]. "
        "Example: /setstatus Alimuly released Released this morning"
    ),
    "addevent": N_(
        "Usage: /addevent <case> <DD.MM.YYYY|MM.YYYY|YYYY> <text> [link] (or the date as "
        "YYYY-MM-DD or YYYY-MM). Example: /addevent Alimuly 05.2020 Released from prison"
    ),
    "setsentence": N_(
        "Usage: /setsentence <case> term=<1y6m> [ratio=2|1.5|1] [detained=<date>] "
        "[verdict=<date>] [release=<date>]. "
        "Dates as DD.MM.YYYY or YYYY-MM-DD. "
        "Example: /setsentence Alimuly term=1y ratio=2 detained=18.10.2019 verdict=21.01.2020"
    ),
    "addname": N_(
        "Usage: /addname <case> <kk|ru|en|zh|alias> <name>. "
        "Example: /addname Alimuly ru Мурагер Алимулы"
    ),
    "organizer": N_(
        "Usage: /organizer list, or /organizer add|remove <user id> (admins). "
        "Example: /organizer add 123456789"
    ),
    "audit": N_("Usage: /audit <case>. Example: /audit Alimuly"),
    "confirm": N_("Usage: /confirm <case>. Example: /confirm Alimuly"),
    "translate": N_(
        "Usage: /translate <event number> <kk|ru|en> <text>. "
        "Example: /translate 12 en Released from prison"
    ),
}

PROBLEMS: dict[str, str] = {
    "missing_case": N_("Name the case first."),
    "missing_date": N_("The date is missing."),
    "bad_date": N_(
        "“%(value)s” is not a date that exists. Write it as DD.MM.YYYY or YYYY-MM-DD "
        "(20.12.2026 or 2026-12-20)."
    ),
    "bad_partial_date": N_(
        "“%(value)s” is not a date that exists. Write it as DD.MM.YYYY, or MM.YYYY or YYYY "
        "when only the month or the year is known (also YYYY-MM-DD or YYYY-MM)."
    ),
    "missing_time": N_("The time is missing (HH:MM)."),
    "bad_time": N_("“%(value)s” is not a time (HH:MM, from 00:00 to 23:59)."),
    "bad_key": N_("“%(value)s” is not a status key."),
    "missing_key": N_("The status key is missing."),
    "missing_text": N_("The text is missing."),
    "too_long": N_("The text is too long: at most %(value)s characters."),
    "bad_lang": N_("The language must be kk, ru or en (or zh or alias, for names)."),
    "bad_term": N_("“%(value)s” is not a term like 1y, 6m, 1y6m or 3m15d."),
    "bad_ratio": N_("“%(value)s” is not a ratio: use 2, 1.5 or 1."),
    "bad_field": N_(
        "“%(value)s” is not one of term=, ratio=, detained=, verdict=, release=, "
        "suspended=yes|no|unknown."
    ),
    "nothing_to_set": N_("Nothing to set: give term=, ratio=, detained=, verdict= or release=."),
    "bad_action": N_("Say list, add or remove."),
    "bad_user_id": N_("“%(value)s” is not a Telegram user id (digits only)."),
    "bad_event": N_("“%(value)s” is not an event number."),
    "bad_basis": N_("“%(value)s” is not a basis: use court, lawyer, family, media or unconfirmed."),
}


def status_keys_text(t: Translator) -> str:
    """Every valid status key, by dimension, with its meaning."""
    lines = []
    for dimension, labels in STATUS_LABELS.items():
        keys = ", ".join(f"{key} ({t.gettext(label)})" for key, label in labels.items())
        lines.append(f"{t.gettext(DIMENSION_LABELS[dimension])}: {keys}")
    return "\n".join(lines)


def usage_text(t: Translator, command: str, problem: str | None = None, value: str = "") -> str:
    """What was wrong (if known), then the exact usage with an example (HTML)."""
    parts = []
    if problem in PROBLEMS:
        parts.append(t.gettext(PROBLEMS[problem]) % {"value": clip(value, 40)})
    parts.append(t.gettext(USAGES[command]))
    if command in ("setstatus", "addevent"):
        parts.append(
            t.gettext(
                "Say how it is known with basis=court, lawyer, family, media or unconfirmed, "
                "and end with the source link if there is one."
            )
        )
    if command == "setstatus" and problem in ("bad_key", "missing_key", None):
        parts.append(t.gettext("Valid keys:") + "\n" + status_keys_text(t))
    return escape("\n".join(parts))


def refusal(t: Translator) -> str:
    """A stranger tried an organizer command."""
    return escape(t.gettext("This command is for the campaign's organizers. Nothing was changed."))


def private_only(t: Translator) -> str:
    """An organizer command sent in a group."""
    return escape(t.gettext("Organizer commands work in a private chat: write to me directly."))


def several_cases(t: Translator, query: str, labels: list[str]) -> str:
    """A case name that matches several cases: organizers must use the number."""
    return escape(
        t.gettext("Several cases match “%(query)s”: %(cases)s. Use the case number.")
        % {"query": clip(query), "cases": "; ".join(labels)}
    )


def no_case(t: Translator, query: str) -> str:
    """No case matches."""
    return escape(
        t.gettext("No case matches “%(query)s”. /case lists them all.") % {"query": clip(query)}
    )


@dataclass(frozen=True)
class LanguagePreview:
    """What the subscribers reading one language will get, and how many they are."""

    lang: str
    count: int
    alert: str
    """The alert as they will read it (HTML)."""


def preview_by_language(
    t: Translator, parts: list[LanguagePreview], *, total: int, note_languages: set[str]
) -> str:
    """The preview: how many will read it, then each language's text with its count, and a
    word when the note exists in one language only (readers of others see it marked)."""
    head = t.ngettext(
        "Preview: %(count)d subscriber will get this message.",
        "Preview: %(count)d subscribers will get this message.",
        total,
    ) % {"count": total}
    lines = [
        f"<b>{escape(head)}</b>",
        escape(t.gettext("Nothing is stored or sent until you press Send.")),
    ]
    budget = (3600 - len("\n".join(lines))) // max(1, len(parts))
    for part in parts:
        readers = t.ngettext(
            "%(language)s: %(count)d reader",
            "%(language)s: %(count)d readers",
            part.count,
        ) % {"language": LANGUAGE_NAMES[part.lang], "count": part.count}
        lines += ["", f"<b>{escape(readers)}</b>", clip_html(part.alert, budget)]
        if note_languages and part.lang not in note_languages:
            written = sorted(note_languages)[0]
            lines.append(
                "<i>"
                + escape(
                    t.gettext("They will see the note %(language)s, marked so.")
                    % {"language": t.gettext(LANGUAGE_MARKS[written])}
                )
                + "</i>"
            )
    return "\n".join(lines)


def clip_html(text: str, limit: int) -> str:
    """Shorten rendered HTML to about ``limit`` characters at a line break (tags whole)."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "…"])


def sent_text(t: Translator, count: int) -> str:
    """After Send (the preview's message, now without buttons)."""
    return escape(
        t.ngettext(
            "Sent: %(count)d subscriber will get it.",
            "Sent: %(count)d subscribers will get it.",
            count,
        )
        % {"count": count}
    )


def undo_offer(t: Translator, minutes: int) -> str:
    """The message below a sent change, with its Undo button."""
    return escape(t.gettext("You can undo it for %(minutes)d minutes.") % {"minutes": minutes})


def undo_question(t: Translator, count: int) -> str:
    """Undo, asked once more."""
    return escape(
        t.ngettext(
            "Undo the alert to %(count)d subscriber?",
            "Undo the alert to %(count)d subscribers?",
            count,
        )
        % {"count": count}
    )


def undone_text(t: Translator, corrections: int) -> str:
    """After Undo."""
    return escape(
        t.ngettext(
            "Undone. %(count)d subscriber who already got the alert will get a correction.",
            "Undone. %(count)d subscribers who already got the alert will get a correction.",
            corrections,
        )
        % {"count": corrections}
    )


def draft_state_text(t: Translator, state: str) -> str:
    """Why a button on a preview did nothing."""
    texts = {
        "cancelled": N_("Cancelled: nothing was stored or sent."),
        "expired": N_("This preview has expired; nothing was sent. Run the command again."),
        "done": N_("This was already done."),
        "too_late": N_("It is too late to undo this change."),
        "missing": N_("This preview is not yours or no longer exists."),
        "unchanged": N_("Nothing to send: the case already says this."),
    }
    return escape(t.gettext(texts.get(state, texts["missing"])))


def case_created(t: Translator, number: int, name: str, slug: str) -> str:
    """After /newcase."""
    return escape(
        t.gettext(
            "Case No %(number)d created: %(name)s (short name: %(slug)s). Add names with /addname "
            "and the next hearing with /sethearing."
        )
        % {"number": number, "name": name, "slug": slug}
    )


def language_name(t: Translator, lang: str) -> str:
    """A language named in the reader's language ("in Kazakh" form)."""
    return t.gettext(LANGUAGE_MARKS[lang]) if lang in LANGUAGE_MARKS else lang


def event_added(t: Translator, number: int, name: str, lang: str) -> str:
    """After /addevent."""
    return escape(
        t.gettext(
            "Event %(number)d added to %(name)s, written %(language)s. Readers of other languages "
            "see it marked with its language; add translations with /translate %(number)d."
        )
        % {"number": number, "name": name, "language": language_name(t, lang)}
    )


def name_added(t: Translator, name: str, text: str, added: bool) -> str:
    """After /addname."""
    if not added:
        return escape(t.gettext("%(name)s already has this name.") % {"name": name})
    return escape(t.gettext("Name added to %(name)s: %(text)s.") % {"name": name, "text": text})


def sentence_saved(t: Translator, name: str) -> str:
    """A sentence change that does not move the release date: stored without alerts."""
    return escape(
        t.gettext(
            "Sentence saved for %(name)s. The expected release did not change, so no one is "
            "alerted."
        )
        % {"name": name}
    )


def translation_saved(t: Translator, number: int, lang: str, found: bool) -> str:
    """After /translate."""
    if not found:
        return escape(t.gettext("There is no event %(number)d.") % {"number": number})
    return escape(
        t.gettext("Translation %(language)s saved for event %(number)d.")
        % {"language": language_name(t, lang), "number": number}
    )


def organizer_changed(t: Translator, user_id: int, add: bool, changed: bool) -> str:
    """After /organizer."""
    if not changed:
        return escape(t.gettext("Nothing changed."))
    text = (
        t.gettext("User %(id)d is now an organizer.")
        if add
        else t.gettext("User %(id)d is no longer an organizer.")
    )
    return escape(text % {"id": user_id})


def similar_case_warning(t: Translator, name: str, labels: list[str]) -> str:
    """/newcase with a name that an existing case already has, or one close to it."""
    text = t.ngettext(
        "A case with this name or a close one already exists: %(cases)s. A second case with "
        "the same name makes every command with it ask which one you mean. Open the existing "
        "case, or create “%(name)s” anyway?",
        "Cases with this name or close ones already exist: %(cases)s. A second case with "
        "the same name makes every command with it ask which one you mean. Open an existing "
        "case, or create “%(name)s” anyway?",
        len(labels),
    ) % {"cases": "; ".join(labels), "name": clip(name)}
    return escape(text)


def future_date_question(t: Translator, what: str, day: date, precision: str, today: date) -> str:
    """A timeline event or a sentence date after today: asked before it is stored."""
    texts = {
        "event": N_(
            "This event is dated %(date)s, after today (%(today)s), but the timeline tells "
            "what has happened. Add it anyway?"
        ),
        "detained_on": N_("The detention date %(date)s is after today (%(today)s). Use it anyway?"),
        "verdict_on": N_("The verdict date %(date)s is after today (%(today)s). Use it anyway?"),
    }
    return escape(
        t.gettext(texts[what])
        % {"date": partial_date(t, day, precision), "today": t.format_date(today)}
    )


def question_state_text(t: Translator, state: str) -> str:
    """Why a question's button did nothing more (or what No did)."""
    if state == "expired":
        return escape(
            t.gettext("This question has expired; nothing was stored. Run the command again.")
        )
    if state == "going_ahead":
        return escape(t.gettext("The date is kept as you typed it."))
    return draft_state_text(t, {"no": "cancelled"}.get(state, state))


def admins_only(t: Translator) -> str:
    """/organizer by an organizer who is not an admin."""
    return escape(t.gettext("Only admins can add or remove organizers."))


def stats_text(t: Translator, stats: Any, case_names: dict[int, str]) -> str:
    """Subscribers per case and per language, deliveries by status, blocked recipients."""
    lines = ["<b>" + escape(t.gettext("Subscribers")) + "</b>"]
    lines.append(
        escape(
            t.gettext("Chats: %(count)d, of them blocked or gone: %(blocked)d")
            % {"count": stats.subscribers, "blocked": stats.blocked}
        )
    )
    by_language = " · ".join(
        f"{LANGUAGE_NAMES[lang]}: {stats.per_language.get(lang, 0)}" for lang in LANGUAGE_NAMES
    )
    lines.append(escape(by_language))
    for case_id, count in stats.per_case:
        lines.append(escape(f"{case_id}. {case_names.get(case_id, '?')}: {count}"))
    lines.append("")
    lines.append("<b>" + escape(t.gettext("Deliveries")) + "</b>")
    labels = {
        "sent": N_("sent"), "pending": N_("waiting"), "sending": N_("being sent"),
        "failed": N_("failed"), "blocked": N_("blocked"), "gone": N_("chat gone"),
        "skipped": N_("withdrawn"), "dropped": N_("too late"), "paused": N_("paused"),
    }  # fmt: skip
    for status, label in labels.items():
        lines.append(escape(f"{t.gettext(label)}: {stats.deliveries.get(status, 0)}"))
    return "\n".join(lines)


GUIDED_PROMPTS: dict[str, str] = {
    "case": N_("Which case do you want to update?"),
    "what": N_("What changes for %(name)s?"),
    "key": N_("Choose the new status:"),
    "note": N_("Type a note for the subscribers (what happened, in a sentence), or press No note."),
    "hearing": N_(
        "Type the date and time of the next hearing: DD.MM.YYYY HH:MM (or YYYY-MM-DD HH:MM), "
        "optionally followed by “court, city”."
    ),
    "sentence": N_(
        "Type the sentence: term=1y6m, and if known ratio=2, detained=DD.MM.YYYY, "
        "verdict=DD.MM.YYYY, release=DD.MM.YYYY (or dates as YYYY-MM-DD)."
    ),
    "event": N_(
        "Type the event: its date (DD.MM.YYYY, MM.YYYY or YYYY; or YYYY-MM-DD, YYYY-MM), "
        "what happened, and a source link at the end if there is one."
    ),
    "name": N_(
        "Type the language (kk, ru, en, zh or alias) and the name, e.g. “ru Мурагер Алимулы”."
    ),
    "cancelled": N_("Stopped /update: nothing more was changed."),
    "expired": N_("/update waited ten minutes and has stopped. Send /update to start again."),
    "nothing_to_cancel": N_("There is nothing to cancel."),
}


def guided_prompt(t: Translator, step: str, name: str = "") -> str:
    """The questions (and endings) of /update."""
    return escape(t.gettext(GUIDED_PROMPTS[step]) % {"name": name})


def flow_problem(t: Translator, problem: str, value: str, step: str) -> str:
    """What was wrong with a typed answer, then the step's own question again."""
    parts = []
    if problem in PROBLEMS:
        parts.append(t.gettext(PROBLEMS[problem]) % {"value": clip(value, 40)})
    parts.append(t.gettext(GUIDED_PROMPTS[step]) % {"name": ""})
    return escape("\n".join(parts))
