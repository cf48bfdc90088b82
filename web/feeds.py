"""Atom feeds (RFC 4287) of the public changes: a new case, a hearing set or moved, an event.

Built with ElementTree, so every organizer-typed text is escaped as XML text; the
entries carry no person behind the change (the audit log never reaches a feed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from messages.common import partial_date, plain_local_text
from messages.i18n import Translator
from storage.reads.public import PublicChange

ATOM = "http://www.w3.org/2005/Atom"


def _stamp(value: datetime) -> str:
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(t: Translator, change: PublicChange) -> str:
    if change.kind == "case":
        return t.gettext("New case")
    if change.kind == "hearing" and change.hearing is not None:
        day, clock = t.format_local(change.hearing.starts_at, change.hearing.tz)
        when = f"{day}, {clock}" if change.hearing.time_known else day
        if change.hearing.status == "cancelled":
            return t.gettext("Hearing cancelled: %(when)s") % {"when": when}
        return t.gettext("Hearing: %(when)s") % {"when": when}
    assert change.event_on is not None
    when = partial_date(t, change.event_on, change.event_precision)
    return f"{when} — {plain_local_text(t, change.event_text or {}, change.event_lang)}"


def render_feed(
    t: Translator,
    *,
    title: str,
    self_url: str,
    page_url: str,
    changes: list[PublicChange],
    titles: dict[int, str],
    case_url: Callable[[str], str],
    updated: datetime,
) -> bytes:
    """The feed document; `titles` maps case ids to the reader's name for them."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": t.lang})
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": page_url})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "casebot"
    for change in changes:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        name = titles.get(change.case_id, change.slug)
        text = _text(t, change)
        link = case_url(change.slug)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{name}: {text}"[:300]
        ET.SubElement(
            entry, f"{{{ATOM}}}id"
        ).text = f"{link}#{change.kind}-{change.item_id}-{_stamp(change.at)}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(change.at)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": link})
        if change.source_url:
            ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "related", "href": change.source_url})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = text
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
