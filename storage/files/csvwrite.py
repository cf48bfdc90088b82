"""Writing a case file in its CSV form (see storage/files/csvfile.py for the layout).

`write_csv` writes a header of every column, then the courts, the letter guide (when
there is one), then each case's rows: its `case` row, names, hearings, people and
events. `parse_csv` reads it back into the same specs.

Every cell that a spreadsheet would run as a formula, because it starts with
`=`, `+`, `-`, `@`, a tab or a carriage return (an organizer's name typed as
`=HYPERLINK(...)`), is written with a leading `'`, as OWASP advises against
"CSV injection"; `parse_csv` drops that `'` again, so export and import still
round-trip exactly (`storage.files.filesafety.guard_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from storage.files.casefile import (
    LANGS,
    CaseFile,
    CaseSpec,
    CourtSpec,
    EventSpec,
    HearingSpec,
    PersonSpec,
    format_partial_date,
    format_term,
)
from storage.files.csvfile import COLUMNS
from storage.files.filesafety import guard_cell
from storage.files.letterfields import format_reach
from storage.vocabulary import STATUS_KEYS


def _put_local(row: dict[str, str], prefix: str, texts: dict[str, str]) -> None:
    for lang in LANGS:
        row[f"{prefix}_{lang}"] = texts.get(lang, "")


def _original(texts: dict[str, str]) -> str:
    """The language to state beside a text whose original the importer takes from its order."""
    return next(iter(texts), "") if texts and "en" not in texts else ""


def _format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return str(int(ratio)) if ratio.is_integer() else str(ratio)


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _court_row(court: CourtSpec) -> dict[str, str]:
    row = {"record": "court", "court": court.slug, "tz": court.tz}
    _put_local(row, "name", court.name)
    _put_local(row, "city", court.city)
    _put_local(row, "address", court.address)
    _put_local(row, "note", court.note)
    if court.lat is not None and court.lon is not None:
        row["lat"], row["lon"] = repr(court.lat), repr(court.lon)
    return row


def _case_row(case: CaseSpec) -> dict[str, str]:
    row = {"record": "case", "case": case.slug, "summary_lang": _original(case.summary)}
    _put_local(row, "summary", case.summary)
    for dimension in STATUS_KEYS:
        row[dimension] = case.status.get(dimension) or ""
    sentence = case.sentence
    if sentence is not None:
        known_term = sentence.months is not None or sentence.days is not None
        row["term"] = format_term(sentence.months or 0, sentence.days or 0) if known_term else ""
        row["ratio"] = _format_ratio(sentence.ratio)
        row["detained"] = _day(sentence.detained)
        row["verdict"] = _day(sentence.verdict)
        row["release"] = _day(sentence.release)
        row["suspended"] = {True: "true", False: "false", None: "unknown"}[sentence.suspended]
    letters = case.letters
    if letters is not None:
        row["letters_address"] = letters.address or ""
        row["letters_reach"] = format_reach(letters.reach)
        row["letters_langs"] = ",".join(letters.langs)
    return row


def _hearing_row(slug: str, hearing: HearingSpec) -> dict[str, str]:
    row = {
        "record": "hearing",
        "case": slug,
        "date": hearing.day.isoformat(),
        "time": hearing.time.strftime("%H:%M") if hearing.time else "",
        "tz": hearing.tz or "",
        "court": hearing.court or "",
        "status": hearing.status,
        "note_lang": _original(hearing.note),
    }
    _put_local(row, "judge", hearing.judge)
    _put_local(row, "note", hearing.note)
    return row


def _person_row(slug: str, person: PersonSpec) -> dict[str, str]:
    row = {"record": "person", "case": slug, "role": person.role}
    _put_local(row, "name", person.name)
    _put_local(row, "note", person.note)
    return row


def _event_row(slug: str, event: EventSpec) -> dict[str, str]:
    row = {
        "record": "event",
        "case": slug,
        "date": format_partial_date(event.day, event.precision),
        "lang": event.lang,
        "source_title": event.source_title or "",
        "source_outlet": event.source_outlet or "",
        "source_url": event.source_url or "",
        "order": str(event.order) if event.order else "",
    }
    _put_local(row, "text", event.text)
    return row


def _rows(data: CaseFile) -> Iterable[dict[str, str]]:
    for court in data.courts:
        yield _court_row(court)
    if data.letter_guide:
        guide = {"record": "letter_guide"}
        _put_local(guide, "text", data.letter_guide)
        yield guide
    for case in data.cases:
        yield _case_row(case)
        for lang, text, primary in case.names:
            yield {
                "record": "name",
                "case": case.slug,
                "lang": lang,
                "text": text,
                "primary": "true" if primary else "false",
            }
        for hearing in case.hearings:
            yield _hearing_row(case.slug, hearing)
        for person in case.people:
            yield _person_row(case.slug, person)
        for event in case.timeline:
            yield _event_row(case.slug, event)


def write_csv(data: CaseFile) -> str:
    """The CSV form of a case file: a header of `COLUMNS`, then courts, the letter guide, then
    each case's rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: guard_cell(cell) for key, cell in row.items()} for row in _rows(data))
    return out.getvalue()
