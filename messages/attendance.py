"""Texts of attendance: the answer buttons, what an answer says back, the question whether
a name may be listed, the organizers' counts, /setcourt, and the evening-before note."""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import urlencode

from messages.alerts import when_and_where
from messages.common import local_text
from messages.i18n import N_, Translator
from storage.payloads import HearingTime
from storage.usecases.attendance import AttendCount, CourtNote, HearingAttendance
from storage.vocabulary import AttendAnswer

SETCOURT_USAGE = N_(
    "Usage: /setcourt <court> address=<street, building> [<lat>,<lon>] [note for people "
    "attending: entrance, what to bring]. The court is its number, slug or name; the texts "
    "are stored in your language (or lang=kk|ru|en)."
)


def answer_label(t: Translator, answer: AttendAnswer, *, chosen: AttendAnswer | None) -> str:
    """ "I'll attend" / "Can't come", ticked when it is the chat's present answer."""
    label = t.gettext("I'll attend") if answer == AttendAnswer.YES else t.gettext("Can't come")
    return f"✓ {label}" if answer == chosen else label


def listing_labels(t: Translator) -> tuple[str, str]:
    """The two answers to the listing question: list my name / count me only."""
    return t.gettext("Yes, show my name"), t.gettext("No, count me only")


def render_answer(
    t: Translator, name: str, answer: AttendAnswer, starts_at: datetime, tz: str, *, ask: bool
) -> str:
    """What the bot says back to an answer (and, the first time, the listing question)."""
    day = t.format_local(starts_at, tz)[0]
    if answer == AttendAnswer.YES:
        text = t.gettext(
            "Thank you! You are coming to the hearing of %(name)s on %(date)s. The evening "
            "before, you will get the organizers' practical note about the court."
        )
    else:
        text = t.gettext(
            "Noted: you cannot come to the hearing of %(name)s on %(date)s. If that changes, "
            "press “I'll attend”."
        )
    lines = [escape(text % {"name": name, "date": day})]
    if ask:
        lines.append("")
        lines.append(
            escape(
                t.gettext(
                    "May the organizers see your name among those attending? If not, you are "
                    "only counted."
                )
            )
        )
    return "\n".join(lines)


def render_hearing_gone(t: Translator) -> str:
    """An answer pressed for a hearing that began, was moved away or cancelled."""
    return escape(t.gettext("This hearing is not ahead any more; answers are closed."))


def render_listing_answer(t: Translator, listed: bool) -> str:
    """The reply to the listing question."""
    if listed:
        return escape(t.gettext("Organizers will see your name among those attending."))
    return escape(t.gettext("You are counted; organizers will not see your name."))


def attendance_line(t: Translator, count: AttendCount) -> str:
    """The organizers' line: how many attend, how many cannot, and the listed names."""
    line = t.ngettext("%(count)d person will attend", "%(count)d people will attend", count.yes) % {
        "count": count.yes
    }
    line += " · " + t.ngettext("%(count)d cannot come", "%(count)d cannot come", count.no) % {
        "count": count.no
    }
    text = escape(line)
    if count.names:
        text += "\n" + escape(t.gettext("Listed: %(names)s") % {"names": ", ".join(count.names)})
    return text


def attendance_stats(
    t: Translator, rows: list[HearingAttendance], case_names: dict[int, str]
) -> str:
    """The /stats section: attendance per upcoming hearing."""
    lines = ["<b>" + escape(t.gettext("Attendance")) + "</b>"]
    if not rows:
        lines.append(escape(t.gettext("Nobody has answered for an upcoming hearing yet.")))
    for row in rows:
        day, clock = t.format_local(row.starts_at, row.tz)
        head = f"{row.case_id}. {case_names.get(row.case_id, '?')}, {day} {clock}"
        lines.append(escape(head) + ": " + attendance_line(t, row.count))
    return "\n".join(lines)


def map_link(lat: float, lon: float) -> str:
    """An OpenStreetMap link to a point (opens in any browser, no account)."""
    query = urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
    return f"https://www.openstreetmap.org/?{query}#map=17/{lat:.6f}/{lon:.6f}"


def render_attend_note(t: Translator, name: str, at: HearingTime, court: CourtNote) -> str:
    """The evening-before note: the hearing, the court's address, the organizers' note (each
    in the reader's language, else another one, marked) and a map link."""
    head = t.gettext("The hearing of %(name)s: what to know before you come") % {"name": name}
    lines = ["<b>" + escape(head) + "</b>", when_and_where(t, at)]
    address = local_text(t, court.address, None)
    if address:
        lines.append(escape(t.gettext("Address:")) + " " + address)
    note = local_text(t, court.note, None)
    if note:
        lines.append(note)
    if court.lat is not None and court.lon is not None:
        link = map_link(court.lat, court.lon)
        label = escape(t.gettext("Map"))
        lines.append(f'<a href="{escape(link)}">{label}</a>')
    return "\n".join(lines)


def render_setcourt_done(t: Translator, court: str, changed: bool) -> str:
    """The reply to /setcourt."""
    if not changed:
        return escape(t.gettext("Nothing changed for %(court)s.") % {"court": court})
    return escape(
        t.gettext("Saved for %(court)s. People attending its hearings get it the evening before.")
        % {"court": court}
    )


def render_court_not_found(t: Translator, query: str) -> str:
    """/setcourt named no known court."""
    return escape(t.gettext("No court matches “%(query)s”.") % {"query": query[:80]})
