"""The case card, the list of cases and the search answers."""

from __future__ import annotations

from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from messages.common import (
    DIMENSION_LABELS,
    URGENT_RISKS,
    basis_words,
    best_name,
    clip,
    days_from_now,
    local_text,
    other_names,
    partial_date,
    ratio_text,
    status_label,
    term_text,
    utc_offset,
)
from messages.i18n import Translator
from storage.domain.sentence import ReleaseEstimate
from storage.reads.cases import CaseListItem, CaseView, HearingView, NameView
from storage.vocabulary import HELD


def _names(names: tuple[NameView, ...]) -> list[tuple[str, str, bool]]:
    return [(name.lang, name.text, name.primary) for name in names]


def case_title(t: Translator, names: tuple[NameView, ...]) -> str:
    """The person's name in the reader's script (plain text, not escaped)."""
    return best_name(t, _names(names))


def hearing_lines(t: Translator, hearing: HearingView, today: date) -> list[str]:
    """When and where a hearing is, in the court's own zone."""
    day, clock = t.format_local(hearing.starts_at, hearing.tz)
    local_day = hearing.starts_at.astimezone(ZoneInfo(hearing.tz)).date()
    when = day
    if hearing.time_known:
        when = f"{day}, {clock} ({utc_offset(hearing.starts_at, hearing.tz)})"
    lines = [f"{escape(when)} — {escape(days_from_now(t, local_day, today))}"]
    place = [local_text(t, hearing.court_name, "en"), local_text(t, hearing.court_city, "en")]
    place = [part for part in place if part]
    if place:
        lines.append(", ".join(place))
    return lines


def sentence_lines(
    t: Translator, view: CaseView, estimate: ReleaseEstimate | None, today: date
) -> list[str]:
    """The sentence, the credit for pre-trial detention and the expected release."""
    if view.sentence_months is None and view.sentence_days is None:
        return []
    term = term_text(t, view.sentence_months or 0, view.sentence_days or 0)
    if view.suspended:
        term = t.gettext("%(term)s, suspended") % {"term": term}
    elif view.suspended is None:
        term = t.gettext("%(term)s (whether it is suspended is not known)") % {"term": term}
    parts = [term]
    if view.credit_ratio is not None and view.credit_ratio != 1:
        parts.append(
            t.gettext("each day in pre-trial detention counts as %(ratio)s days")
            % {"ratio": ratio_text(t, view.credit_ratio)}
        )
    lines = ["<b>" + escape(t.gettext("Sentence:")) + "</b> " + escape("; ".join(parts))]
    if estimate is not None and not view.suspended:
        lines.append(_release_line(t, view, estimate, today))
    return lines


def _release_line(t: Translator, view: CaseView, estimate: ReleaseEstimate, today: date) -> str:
    if estimate.release_on < today and view.custody in HELD:
        # A past release while the card still says held: say so, do not count the days.
        text = t.gettext("Expected release was %(date)s — not yet confirmed") % {
            "date": t.format_date(estimate.release_on)
        }
        return "<b>" + escape(text) + "</b>"
    how = (
        t.gettext("stated by the court")
        if estimate.stated
        else t.gettext("estimate, computed from the sentence")
    )
    release = (
        f"{t.format_date(estimate.release_on)} ({how}) — "
        f"{days_from_now(t, estimate.release_on, today)}"
    )
    return "<b>" + escape(t.gettext("Expected release:")) + "</b> " + escape(release)


def render_card(
    t: Translator, view: CaseView, *, estimate: ReleaseEstimate | None, today: date
) -> str:
    """The card of a case in the reader's language (HTML)."""
    title = case_title(t, view.names)
    lines = ["<b>" + escape(title) + "</b>"]
    others = other_names(t, _names(view.names), title)
    if others:
        lines.append(escape(" · ".join(others)))
    summary = local_text(t, view.summary, view.summary_lang)
    if summary:
        lines += ["", summary]
    lines.append("")
    for dimension in ("custody", "proceedings", "protection", "risk"):
        key = getattr(view, dimension)
        mark = "⚠️ " if dimension == "risk" and key in URGENT_RISKS else ""
        label = t.gettext(DIMENSION_LABELS[dimension])
        known = view.basis.get(dimension) or {}
        how = basis_words(t, known.get("basis"), known.get("source")) if key else ""
        how = f" — <i>{how}</i>" if how else ""
        lines.append(
            f"<b>{escape(label)}:</b> {mark}{escape(status_label(t, dimension, key))}{how}"
        )
    lines.append("")
    heading = "<b>" + escape(t.gettext("Next hearing:")) + "</b>"
    if view.next_hearing is None:
        none = t.gettext("none scheduled")
        lines.append(f"{heading} {escape(none)}")
    else:
        first, *rest = hearing_lines(t, view.next_hearing, today)
        lines.append(f"{heading} {first}")
        lines += rest
    sentence = sentence_lines(t, view, estimate, today)
    if sentence:
        lines += ["", *sentence]
    lines.append("")
    if view.facts_as_of is not None:
        footer = t.gettext("Case No %(number)d · facts as of %(date)s") % {
            "number": view.id,
            "date": partial_date(t, view.facts_as_of, view.facts_precision),
        }
    else:
        footer = t.gettext("Case No %(number)d") % {"number": view.id}
    lines.append("<i>" + escape(footer) + "</i>")
    return "\n".join(lines)


def list_label(t: Translator, item: CaseListItem) -> str:
    """A case's button label in lists: its number and name (plain text)."""
    return f"{item.id}. {case_title(t, item.names)}"[:60]


def render_case_list(t: Translator, *, page: int, pages: int, total: int) -> str:
    """The heading of the paginated list of cases."""
    if total == 0:
        return escape(t.gettext("There are no cases yet."))
    text = t.ngettext("%(count)d case. Choose one:", "%(count)d cases. Choose one:", total) % {
        "count": total
    }
    if pages > 1:
        text += " " + t.gettext("(page %(page)d of %(pages)d)") % {"page": page + 1, "pages": pages}
    return escape(text)


def render_choices(t: Translator, query: str) -> str:
    """Several cases match a query about equally."""
    return escape(
        t.gettext("Several cases match “%(query)s”. Choose one:") % {"query": clip(query)}
    )


def render_not_found(t: Translator, query: str) -> str:
    """No case is close to a query."""
    return escape(
        t.gettext("No case matches “%(query)s”. Here are all the cases:") % {"query": clip(query)}
    )


def render_case_gone(t: Translator) -> str:
    """A button pressed for a case that no longer exists."""
    return escape(t.gettext("This case no longer exists. Here are all the cases:"))
