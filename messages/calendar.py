"""Upcoming hearings as an iCalendar (.ics) file.

Each event carries the court's own zone (TZID, with its VTIMEZONE) so phones
show the right local time, and a UID that stays the same when the hearing is
moved, so re-importing the file updates the event instead of duplicating it
(SEQUENCE grows with every move).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from messages.common import plain_local_text
from messages.i18n import Translator
from storage.reads.cases import HearingView

HEARING_LENGTH = timedelta(hours=2)


def hearing_uid(hearing_id: int, domain: str) -> str:
    """The stable UID of a hearing's calendar event."""
    return f"hearing-{hearing_id}@{domain}"


def render_calendar(
    t: Translator,
    *,
    title: str,
    hearings: list[HearingView],
    case_url: str | None,
    domain: str,
    stamp: datetime,
) -> bytes:
    """An .ics file with one event per upcoming hearing."""
    calendar = Calendar()
    calendar.add("prodid", "-//casebot//hearings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", t.gettext("Hearings: %(name)s") % {"name": title})
    for hearing in hearings:
        event = Event()
        event.add("uid", hearing_uid(hearing.id, domain))
        event.add("sequence", hearing.version)
        event.add("dtstamp", stamp)
        event.add("summary", t.gettext("Hearing: %(name)s") % {"name": title})
        local = hearing.starts_at.astimezone(ZoneInfo(hearing.tz))
        if hearing.time_known:
            event.add("dtstart", local)
            event.add("dtend", local + HEARING_LENGTH)
        else:
            event.add("dtstart", local.date())
            event.add("dtend", local.date() + timedelta(days=1))
        place = [
            plain_local_text(t, hearing.court_name, "en"),
            plain_local_text(t, hearing.court_city, "en"),
        ]
        location = ", ".join(part for part in place if part)
        if location:
            event.add("location", location)
        if case_url:
            event.add("url", case_url)
            event.add("description", case_url)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
