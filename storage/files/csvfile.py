"""The CSV form of a case file: one record per row, for spreadsheets.

Every row has a `record` column saying what it holds (`court`, `letter_guide`, `case`,
`name`, `hearing`, `person`, `event`) and, except for courts and the letter guide, a
`case` column with the slug of the case it belongs to; the other columns are the fields
that record needs, a localized field spread over `_kk`, `_ru` and `_en` columns (a case's
letter languages are one cell, `ru,kk`). Columns a record does not use must be empty.
docs/data-format.md lists them all.

`parse_csv` returns the same `CaseFile` as `storage.files.casefile.parse_case_file`,
so the importer applies both forms the same way; it checks every row and raises
`CaseFileError` listing the problems as "line N: reason" (the first hundred by
line, then how many more), each row's cells read by `storage.files.csvrow.CsvRow`.
`storage.files.csvwrite.write_csv` is its inverse: parsing what it writes gives back the
same specs.

A cell starting with `'` before `=`, `+`, `-`, `@`, a tab, a carriage return or
another `'` is read without that `'`: `write_csv` adds it so that spreadsheets
do not run such a cell as a formula (`storage.files.filesafety.guard_cell`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from storage.files.casefile import (
    HEARING_STATUSES,
    LANGS,
    NAME_LANGS,
    PERSON_ROLES,
    RATIOS,
    SLUG_RE,
    CaseFile,
    CaseSpec,
    CourtSpec,
    EventSpec,
    HearingSpec,
    PersonSpec,
    SentenceSpec,
    is_zone,
    parse_clock,
    parse_partial_date,
    parse_term,
)
from storage.files.courtplace import position
from storage.files.csvrow import CsvRow
from storage.files.filesafety import Problems
from storage.files.letterfields import MAX_GUIDE, csv_letters
from storage.vocabulary import STATUS_KEYS


def _local_columns(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{lang}" for lang in LANGS)


SENTENCE_COLUMNS = ("term", "ratio", "detained", "verdict", "release", "suspended")
SOURCE_COLUMNS = ("source_title", "source_outlet", "source_url")
LETTER_COLUMNS = ("letters_address", "letters_reach", "letters_langs")

COLUMNS: tuple[str, ...] = (
    "record",
    "case",
    "court",
    "tz",
    "lang",
    "text",
    "primary",
    "date",
    "time",
    "status",
    "role",
    *_local_columns("name"),
    *_local_columns("city"),
    *_local_columns("summary"),
    "summary_lang",
    *STATUS_KEYS,
    *SENTENCE_COLUMNS,
    *_local_columns("judge"),
    *_local_columns("text"),
    *_local_columns("note"),
    "note_lang",
    *SOURCE_COLUMNS,
    "order",
    *_local_columns("address"),
    "lat",
    "lon",
    *LETTER_COLUMNS,
)
"""Every column, in the order `storage.files.csvwrite.write_csv` writes them."""

RECORDS: dict[str, frozenset[str]] = {
    "court": frozenset(
        {
            "court",
            "tz",
            *_local_columns("name"),
            *_local_columns("city"),
            *_local_columns("address"),
            *_local_columns("note"),
            "lat",
            "lon",
        }
    ),
    "case": frozenset(
        {
            "case",
            *_local_columns("summary"),
            "summary_lang",
            *STATUS_KEYS,
            *SENTENCE_COLUMNS,
            *LETTER_COLUMNS,
        }
    ),
    "letter_guide": frozenset(_local_columns("text")),
    "name": frozenset({"case", "lang", "text", "primary"}),
    "hearing": frozenset(
        {
            "case",
            "date",
            "time",
            "tz",
            "court",
            "status",
            *_local_columns("judge"),
            *_local_columns("note"),
            "note_lang",
        }
    ),
    "person": frozenset({"case", "role", *_local_columns("name"), *_local_columns("note")}),
    "event": frozenset({"case", "date", "lang", *_local_columns("text"), *SOURCE_COLUMNS, "order"}),
}
"""The columns each record type may fill (besides `record`)."""

_Child = tuple[str, str, bool] | HearingSpec | PersonSpec | EventSpec
"""What a name, hearing, person or event row gives its case."""

_URL_RE = re.compile(r"^https?://\S+$")
_SOURCE_LIMITS = {"source_title": 300, "source_outlet": 120, "source_url": 500}


# ----------------------------------------------------------------------------- reading


def _parse_court(row: CsvRow) -> CourtSpec | None:
    slug = row.raw("court")
    tz = row.raw("tz")
    ok = True
    if not SLUG_RE.match(slug):
        row.fail(f"court slug {slug[:40]!r} must be lower-case letters, digits, -")
        ok = False
    if not is_zone(tz):
        row.fail(f"time zone {tz[:40]!r} is not a known IANA zone")
        ok = False
    name, city = row.local("name"), row.local("city")
    lat, lon, wrong = position(row.raw("lat"), row.raw("lon"))
    for problem in wrong:
        row.fail(problem)
    if not ok or wrong:
        return None
    return CourtSpec(
        slug=slug,
        tz=tz,
        name=name,
        city=city,
        address=row.local("address"),
        note=row.local("note"),
        lat=lat,
        lon=lon,
    )


@dataclass
class _FileRecords:
    """What the rows that belong to no case give: courts and the letter guide."""

    courts: list[CourtSpec] = field(default_factory=list)
    court_lines: dict[str, int] = field(default_factory=dict)
    guide: dict[str, str] = field(default_factory=dict)
    guide_line: int = 0

    def add(self, row: CsvRow, record: str) -> None:
        """Check a `court` or `letter_guide` row and keep what it gives."""
        if record == "letter_guide":
            guide = row.local("text", limit=MAX_GUIDE)
            if self.guide_line:
                row.fail(f"a second letter_guide row (the first is on line {self.guide_line})")
                return
            if not any(row.raw(f"text_{lang}") for lang in LANGS):
                row.fail("a letter_guide row needs a text_kk, text_ru or text_en")
            self.guide, self.guide_line = guide, row.line
            return
        court = _parse_court(row)
        if court is not None and court.slug in self.court_lines:
            row.fail(f"court slug {court.slug!r} appears twice")
        elif court is not None:
            self.court_lines[court.slug] = row.line
            self.courts.append(court)


def _parse_sentence(row: CsvRow) -> SentenceSpec | None:
    if not any(row.raw(column) for column in SENTENCE_COLUMNS):
        return None
    months: int | None = None
    days: int | None = None
    term = row.raw("term")
    if term:
        try:
            months, days = parse_term(term)
        except ValueError as exc:
            row.fail(f"term: {exc}")
    ratio: float | None = None
    raw_ratio = row.raw("ratio")
    if raw_ratio:
        try:
            ratio = float(raw_ratio.replace(",", "."))
        except ValueError:
            ratio = None
        if ratio not in RATIOS:
            row.fail(f"ratio {raw_ratio[:20]!r} is not one of 2, 1.5, 1")
            ratio = None
    return SentenceSpec(
        months=months,
        days=days,
        ratio=ratio,
        detained=row.day("detained"),
        verdict=row.day("verdict"),
        release=row.day("release"),
        suspended=None
        if row.raw("suspended").strip().lower() == "unknown"
        else row.flag("suspended"),
    )


def _parse_case(row: CsvRow, slug: str) -> CaseSpec:
    if not SLUG_RE.match(slug):
        row.fail(f"case slug {slug[:40]!r} must be lower-case letters, digits, -")
    letters, wrong = csv_letters(*(row.raw(column) for column in LETTER_COLUMNS))
    for problem in wrong:
        row.fail(problem)
    return CaseSpec(
        slug=slug,
        line=row.line,
        names=[],
        summary=row.local("summary", "summary_lang"),
        status={dimension: row.choice(dimension, keys) for dimension, keys in STATUS_KEYS.items()},
        sentence=_parse_sentence(row),
        hearings=[],
        people=[],
        timeline=[],
        letters=letters,
    )


def _parse_name(row: CsvRow) -> tuple[str, str, bool] | None:
    lang = row.choice("lang", NAME_LANGS)
    text = row.text("text", limit=200)
    primary = row.flag("primary")
    if not row.raw("lang"):
        row.fail("a name row needs a lang (kk, ru, en or alias)")
    if text is None:
        row.fail("a name row needs a text")
    return (lang, text, primary) if lang and text else None


def _parse_hearing(row: CsvRow) -> HearingSpec | None:
    day = row.day("date")
    if not row.raw("date"):
        row.fail("a hearing row needs a date")
    at = None
    raw_time = row.raw("time")
    if raw_time:
        try:
            at = parse_clock(raw_time)
        except ValueError:
            row.fail(f"hearing time {raw_time[:20]!r} is not a time like 10:00")
    tz = row.raw("tz") or None
    if tz is not None and not is_zone(tz):
        row.fail(f"hearing time zone {tz[:40]!r} is not a known IANA zone")
    status = row.choice("status", HEARING_STATUSES)
    judge, note = row.local("judge"), row.local("note", "note_lang")
    if day is None:
        return None
    return HearingSpec(
        day=day,
        time=at,
        court=row.raw("court") or None,
        status=status or "scheduled",
        judge=judge,
        note=note,
        tz=tz,
    )


def _parse_person(row: CsvRow) -> PersonSpec | None:
    role = row.choice("role", PERSON_ROLES)
    if not row.raw("role"):
        row.fail(f"a person row needs a role ({', '.join(PERSON_ROLES)})")
    name, note = row.local("name"), row.local("note")
    if not name:
        row.fail("a person row needs a name (name_kk, name_ru or name_en)")
    return PersonSpec(role, name, note) if role and name else None


def _parse_event(row: CsvRow) -> EventSpec | None:
    raw_date = row.raw("date")
    day = precision = None
    try:
        day, precision = parse_partial_date(raw_date)
    except ValueError as exc:
        row.fail(str(exc) if raw_date else "an event row needs a date")
    lang = row.choice("lang", LANGS)
    if not row.raw("lang"):
        row.fail("an event row needs a lang (kk, ru or en): the language it was written in")
    text = row.local("text")
    if lang and lang not in text:
        row.fail(f"event text has no {lang!r} original (text_{lang} is empty)")
        lang = None
    source = {column: row.text(column, limit=limit) for column, limit in _SOURCE_LIMITS.items()}
    if source["source_title"] is None and (source["source_outlet"] or source["source_url"]):
        row.fail("an event's source needs a source_title")
    url = source["source_url"]
    if url is not None and not _URL_RE.match(url):
        row.fail(f"source_url {url[:60]!r} is not an http(s) address")
    if day is None or precision is None or lang is None:
        return None
    return EventSpec(
        day=day,
        precision=precision,
        lang=lang,
        text=text,
        source_title=source["source_title"],
        source_outlet=source["source_outlet"],
        source_url=url,
        order=_order(row),
    )


def _order(row: CsvRow) -> int:
    raw = row.raw("order").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdecimal()) or int(raw) > 999:
        row.fail(f"order {raw[:20]!r} is not a whole number from 0 to 999")
        return 0
    return int(raw)


def _header_ok(header: list[str], line: int, problems: Problems) -> bool:
    """Check the header row's columns; False when it has a problem."""
    found = problems.count
    for column in sorted(set(header) - set(COLUMNS)):
        problems.add(line, f"unknown column {column[:40]!r}")
    for column in sorted(column for column, count in Counter(header).items() if count > 1):
        problems.add(line, f"column {column[:40]!r} appears twice")
    if "record" not in header:
        problems.add(line, "the header has no 'record' column")
    return problems.count == found


def _read_rows(text: str, problems: Problems) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows as (line, column → cell), one at a time, once the header checks out.

    A bad header yields no row; invalid CSV ends the rows with a problem on its line.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    header: list[str] | None = None
    consumed = 0
    try:
        for cells in reader:
            line, consumed = consumed + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                if not _header_ok(header, line, problems):
                    return
                continue
            if len(cells) > len(header):
                problems.add(line, f"{len(cells)} cells but the header has {len(header)}")
                continue
            yield line, dict(zip(header, cells, strict=False))
    except csv.Error as exc:
        problems.add(consumed + 1, f"not valid CSV ({str(exc)[:200]})")
        return
    if header is None:
        problems.add(1, "the file is empty: it needs a header row naming its columns")


def parse_csv(text: str) -> CaseFile:
    """Parse and validate a CSV case file; raise CaseFileError with the problems and their lines.

    Rows are checked as they are read, so a huge file of bad rows costs little
    memory; the error holds the first problems by line and counts the rest.
    """
    problems = Problems()
    files = _FileRecords()
    cases: dict[str, CaseSpec] = {}
    children: list[tuple[int, str, _Child | None]] = []
    hearing_courts: list[tuple[int, str]] = []
    for line, values in _read_rows(text, problems):
        row = CsvRow(values, line, problems)
        record = row.raw("record")
        if record not in RECORDS:
            row.fail(f"unknown record type {record[:20]!r} (one of: {', '.join(RECORDS)})")
            continue
        for column in COLUMNS:
            if column != "record" and column not in RECORDS[record] and row.raw(column):
                row.fail(f"column {column!r} does not apply to a {record} row")
        if record in ("court", "letter_guide"):
            files.add(row, record)
            continue
        slug = row.raw("case")
        if not slug:
            row.fail(f"a {record} row needs the slug of its case in the 'case' column")
        if record == "case":
            if slug and slug in cases:
                row.fail(f"case slug {slug[:40]!r} appears twice")
            elif slug:
                cases[slug] = _parse_case(row, slug)
            continue
        parsers = {"name": _parse_name, "hearing": _parse_hearing, "person": _parse_person}
        spec: _Child | None = parsers.get(record, _parse_event)(row)
        if isinstance(spec, HearingSpec) and spec.court is not None:
            hearing_courts.append((line, spec.court))
        if slug:
            children.append((line, slug, spec))
    _attach(cases, children, problems)
    for line, court_slug in hearing_courts:
        if court_slug not in files.court_lines:
            problems.add(line, f"hearing court {court_slug[:40]!r} is not among the file's courts")
    if problems:
        raise problems.error()
    return CaseFile(courts=files.courts, cases=list(cases.values()), letter_guide=files.guide)


def _attach(
    cases: dict[str, CaseSpec], children: list[tuple[int, str, _Child | None]], problems: Problems
) -> None:
    """Give each case its names, hearings, people and events (and say what is missing)."""
    for line, slug, spec in children:
        case = cases.get(slug)
        if case is None:
            problems.add(line, f"case {slug[:40]!r} has no case row")
        elif isinstance(spec, HearingSpec):
            case.hearings.append(spec)
        elif isinstance(spec, PersonSpec):
            case.people.append(spec)
        elif isinstance(spec, EventSpec):
            case.timeline.append(spec)
        elif spec is not None:
            case.names.append(spec)
    for case in cases.values():
        if not case.names:
            problems.add(case.line, f"case {case.slug[:40]!r} has no names (no name rows)")
