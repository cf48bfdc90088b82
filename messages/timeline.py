"""The timeline of a case, split into pages that each fit one Telegram message."""

from __future__ import annotations

from html import escape

from messages.common import local_text, partial_date
from messages.i18n import Translator
from storage.reads.cases import EventView
from storage.vocabulary import BASIS_LABELS

PAGE_BUDGET = 3600  # characters of entries per page; the heading and markup stay under 4096
MAX_EVENTS_PER_PAGE = 10
MAX_ENTRY = 1500


def _source(t: Translator, event: EventView) -> str:
    label = event.source_outlet or event.source_title
    if event.source_url:
        name = escape(label or t.gettext("source"))
        return f'<a href="{escape(event.source_url, quote=True)}">{name}</a>'
    if label:
        return escape(t.gettext("Source: %(source)s") % {"source": label})
    return ""


def render_event(t: Translator, event: EventView) -> str:
    """One event: its date at its known precision, its text, its source."""
    text = local_text(t, event.text, event.lang)
    if len(text) > MAX_ENTRY:
        text = text[:MAX_ENTRY].rsplit(" ", 1)[0] + " …"
    when = escape(partial_date(t, event.occurred_on, event.precision))
    source = _source(t, event)
    if event.basis in BASIS_LABELS:
        how = escape(t.gettext(BASIS_LABELS[event.basis]))
        source = f"{how}; {source}" if source else how
    return f"<b>{when}</b> — {text}" + (f" ({source})" if source else "")


def render_timeline_alert(t: Translator, name: str, event: EventView) -> str:
    """A new timeline event, for followers who chose to get them."""
    head = escape(t.gettext("%(name)s: new in the timeline") % {"name": name})
    return f"<b>{head}</b>\n{render_event(t, event)}"


def timeline_pages(t: Translator, title: str, events: list[EventView]) -> list[str]:
    """Every page of a case's timeline (HTML), oldest event first; never empty."""
    heading = escape(t.gettext("Timeline: %(name)s") % {"name": title})
    if not events:
        return [f"<b>{heading}</b>\n\n" + escape(t.gettext("No events recorded yet."))]
    chunks: list[list[str]] = [[]]
    used = 0
    for event in events:
        entry = render_event(t, event)
        full = len(chunks[-1]) >= MAX_EVENTS_PER_PAGE or used + len(entry) > PAGE_BUDGET
        if chunks[-1] and full:
            chunks.append([])
            used = 0
        chunks[-1].append(entry)
        used += len(entry) + 2
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        head = f"<b>{heading}</b>"
        if len(chunks) > 1:
            head += " " + escape(
                t.gettext("(page %(page)d of %(pages)d)") % {"page": number, "pages": len(chunks)}
            )
        pages.append(head + "\n\n" + "\n\n".join(chunk))
    return pages
