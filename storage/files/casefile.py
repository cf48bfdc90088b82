"""Reading and validating case files (YAML, format `casebot-cases/1`).

The whole file is parsed and checked before anything touches the database:
`parse_case_file` returns plain specs or raises `CaseFileError` listing the
problems with their line numbers (the first `MAX_PROBLEMS`, then how many more).
Every field's type is checked before it is used, so text where a list belongs
is one problem, not one per character. The format is described in
docs/data-format.md. The CSV form of the same data (storage/files/csvfile.py) yields
the same specs; storage/files/yamlload.py reads the YAML itself, within limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.files.courtplace import degrees
from storage.files.filesafety import MAX_PROBLEMS as MAX_PROBLEMS
from storage.files.filesafety import CaseFileError as CaseFileError
from storage.files.letterfields import MAX_GUIDE, LettersSpec, yaml_letters
from storage.files.terms import TERM_RE as TERM_RE
from storage.files.terms import format_partial_date as format_partial_date
from storage.files.terms import format_term as format_term
from storage.files.terms import parse_clock as parse_clock
from storage.files.terms import parse_partial_date as parse_partial_date
from storage.files.terms import parse_term as parse_term
from storage.files.yamlload import Checker, LineDict, load_yaml, quoted
from storage.vocabulary import LANGUAGES, NAME_LANGUAGES, STATUS_KEYS

FORMAT = "casebot-cases/1"
LANGS = LANGUAGES
NAME_LANGS = NAME_LANGUAGES
HEARING_STATUSES = ("scheduled", "held", "cancelled", "postponed")
PERSON_ROLES = ("lawyer", "judge", "prosecutor", "organisation", "official", "family", "other")
PRECISIONS = ("day", "month", "year")
RATIOS = (1.0, 1.5, 2.0)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_TEXT = 1000


FILE_KINDS: dict[str, Literal["yaml", "csv"]] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "yaml",  # JSON is read as the YAML it also is (the website's /data/cases.json)
    ".csv": "csv",
}


def file_kind(path: Path | str) -> Literal["yaml", "csv"]:
    """`yaml` for a `.yaml`/`.yml`/`.json` file, `csv` for `.csv`; ValueError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FILE_KINDS:
        raise ValueError(
            f"{Path(path).name}: the file name must end in .yaml, .yml, .json or .csv "
            f"(it says which format to use), not {suffix or 'nothing'!r}"
        )
    return FILE_KINDS[suffix]


@dataclass
class CourtSpec:
    """A court as the file gives it."""

    slug: str
    tz: str
    name: dict[str, str]
    city: dict[str, str]
    address: dict[str, str] = field(default_factory=dict)
    note: dict[str, str] = field(default_factory=dict)
    """The practical note for people attending (entrance, what to bring)."""
    lat: float | None = None
    lon: float | None = None


@dataclass
class HearingSpec:
    """A hearing; `time` is None when the hour is not known.

    `tz` is the zone the hearing is held in when the file states one; otherwise
    it is its court's zone, or the importer's default zone for a hearing with no court.
    """

    day: date
    time: time | None
    court: str | None
    status: str
    judge: dict[str, str] = field(default_factory=dict)
    note: dict[str, str] = field(default_factory=dict)
    tz: str | None = None


@dataclass
class PersonSpec:
    """Someone around the case."""

    role: str
    name: dict[str, str]
    note: dict[str, str] = field(default_factory=dict)


@dataclass
class EventSpec:
    """A timeline event with its source resolved."""

    day: date
    precision: str
    lang: str
    text: dict[str, str]
    source_title: str | None = None
    source_outlet: str | None = None
    source_url: str | None = None
    order: int = 0
    """The order among events of the same date (``order:`` in a file; 0 when not given)."""


@dataclass
class SentenceSpec:
    """A sentence: term, pre-trial credit ratio and the dates that fix the release.

    `months` and `days` are None when the term is not known (only dates are).
    """

    months: int | None
    days: int | None
    ratio: float | None = None
    detained: date | None = None
    verdict: date | None = None
    release: date | None = None
    suspended: bool | None = False
    """None: the sources do not say (``suspended: unknown`` or ``null`` in a file)."""


@dataclass
class CaseSpec:
    """One case as the file gives it."""

    slug: str
    line: int
    names: list[tuple[str, str, bool]]
    summary: dict[str, str]
    status: dict[str, str | None]
    sentence: SentenceSpec | None
    hearings: list[HearingSpec]
    people: list[PersonSpec]
    timeline: list[EventSpec]
    letters: LettersSpec | None = None
    """The letter details; None when the file leaves them out (the stored ones are kept)."""


@dataclass
class CaseFile:
    """A whole validated file."""

    courts: list[CourtSpec]
    cases: list[CaseSpec]
    letter_guide: dict[str, str] = field(default_factory=dict)
    """The organizers' guide to writing a letter, by interface language (``/letterguide``)."""


def is_zone(name: str) -> bool:
    """True when `name` is a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _local_text(
    check: Checker, value: Any, line: int, what: str, *, limit: int = MAX_TEXT
) -> dict[str, str]:
    """A localized field: a mapping of kk, ru, en to text (empty when absent or bad)."""
    if value is None:
        return {}
    data = check.mapping(value, line, what)
    if data is None:
        return {}
    result: dict[str, str] = {}
    for lang, text in data.items():
        if lang not in LANGS:
            check.fail(
                data.line_of(lang), f"{what}: language {lang[:20]!r} is not one of kk, ru, en"
            )
            continue
        checked = check.text(text, data.line_of(lang), f"{what}.{lang}", limit=limit)
        if checked:
            result[lang] = checked
    return result


def _parse_courts(check: Checker, root: LineDict) -> list[CourtSpec]:
    courts: list[CourtSpec] = []
    for data in check.records(root, "courts", "a court"):
        allowed = {"slug", "tz", "name", "city", "address", "note", "lat", "lon"}
        check.keys(data, allowed, {"slug", "tz", "name"}, "a court")
        slug = check.word(data, "slug", "court slug")
        if slug is not None and not SLUG_RE.match(slug):
            check.fail(data.line, f"court slug {slug[:40]!r} must be lower-case letters, digits, -")
        tz = check.word(data, "tz", "court time zone")
        if tz is not None and not is_zone(tz):
            check.fail(data.line_of("tz"), f"time zone {tz[:40]!r} is not a known IANA zone")
        courts.append(
            CourtSpec(
                slug=slug or "",
                tz=tz or "",
                name=_local_text(check, data.get("name"), data.line_of("name"), "court name"),
                city=_local_text(check, data.get("city"), data.line_of("city"), "court city"),
                address=_local_text(
                    check, data.get("address"), data.line_of("address"), "court address"
                ),
                note=_local_text(check, data.get("note"), data.line_of("note"), "court note"),
                lat=degrees(check, data, "lat", 90),
                lon=degrees(check, data, "lon", 180),
            )
        )
    return courts


_Source = tuple[str | None, str | None, str | None]
"""A source as an event takes it: (title, outlet, url)."""


def _parse_sources(check: Checker, root: LineDict) -> dict[str, _Source]:
    sources: dict[str, _Source] = {}
    for data in check.records(root, "sources", "a source"):
        check.keys(data, {"id", "title", "outlet", "url", "published"}, {"id", "title"}, "a source")
        title, outlet, url = (
            check.text(data.get(key), data.line_of(key), f"source {key}", limit=limit)
            for key, limit in (("title", 300), ("outlet", 120), ("url", 500))
        )
        if url is not None and not re.match(r"^https?://\S+$", url):
            check.fail(data.line_of("url"), f"source url {url[:60]!r} is not an http(s) address")
        source_id = check.word(data, "id", "source id")
        if source_id is not None:
            sources[source_id] = (title, outlet, url)
    return sources


def _ratio(value: Any) -> float | None:
    """A pre-trial credit ratio as a float, or None when it is not 2, 1.5 or 1."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        ratio = float(value)
    except (OverflowError, ValueError):
        return None
    return ratio if ratio in RATIOS else None


def _parse_sentence(check: Checker, data: LineDict) -> SentenceSpec | None:
    allowed = {"term", "ratio", "detained", "verdict", "release", "suspended"}
    check.keys(data, allowed, set(), "a sentence")
    months: int | None = None
    days: int | None = None
    term = check.word(data, "term", "term")
    if term is not None:
        try:
            months, days = parse_term(term)
        except ValueError as exc:
            check.fail(data.line_of("term"), str(exc))
            return None
    ratio = data.get("ratio")
    if ratio is not None and _ratio(ratio) is None:
        check.fail(data.line_of("ratio"), f"ratio {quoted(ratio, 20)} is not one of 2, 1.5, 1")
    return SentenceSpec(
        months=months,
        days=days,
        ratio=_ratio(ratio),
        detained=check.day(data, "detained", "detained"),
        verdict=check.day(data, "verdict", "verdict"),
        release=check.day(data, "release", "release"),
        suspended=suspension(data.get("suspended", False)),
    )


def _parse_hearing(check: Checker, data: LineDict, courts: set[str]) -> HearingSpec | None:
    allowed = {"date", "time", "tz", "court", "judge", "status", "note"}
    check.keys(data, allowed, {"date"}, "a hearing")
    day = check.day(data, "date", "hearing date")
    at: time | None = None
    raw_time = data.get("time")
    clock = check.word(data, "time", "hearing time")
    if isinstance(raw_time, int) and not isinstance(raw_time, bool):
        # YAML 1.1 reads 10:00 unquoted as sexagesimal 600
        clock = f"{raw_time // 60:02d}:{raw_time % 60:02d}"
    if clock is not None:
        try:
            at = parse_clock(clock)
        except ValueError:
            check.fail(
                data.line_of("time"), f"hearing time {clock[:20]!r} is not a time like 10:00"
            )
    tz = check.word(data, "tz", "hearing time zone")
    if tz is not None and not is_zone(tz):
        check.fail(data.line_of("tz"), f"hearing time zone {tz[:40]!r} is not a known IANA zone")
    court = check.word(data, "court", "hearing court")
    if court is not None and court not in courts:
        check.fail(
            data.line_of("court"),
            f"hearing court {court[:40]!r} is not among the file's courts",
        )
    status = check.choice(
        data.get("status", "scheduled"), data.line_of("status"), "status", HEARING_STATUSES
    )
    if day is None:
        return None
    return HearingSpec(
        day=day,
        time=at,
        court=court,
        status=status or "scheduled",
        judge=_local_text(check, data.get("judge"), data.line_of("judge"), "judge"),
        note=_local_text(check, data.get("note"), data.line_of("note"), "note"),
        tz=tz,
    )


def _parse_event(check: Checker, data: LineDict, sources: dict[str, _Source]) -> EventSpec | None:
    check.keys(
        data, {"date", "lang", "text", "source", "order"}, {"date", "lang", "text"}, "an event"
    )
    raw_date = check.word(data, "date", "event date")
    if raw_date is None:
        return None
    try:
        day, precision = parse_partial_date(raw_date)
    except ValueError as exc:
        check.fail(data.line_of("date"), str(exc))
        return None
    lang = check.choice(data.get("lang"), data.line_of("lang"), "event language", LANGS)
    text = _local_text(check, data.get("text"), data.line_of("text"), "event text")
    if lang and lang not in text:
        check.fail(data.line, f"event text has no {lang!r} original")
        return None
    source_id = check.word(data, "source", "event source")
    source = sources.get(source_id) if source_id is not None else None
    if source_id is not None and source is None:
        check.fail(
            data.line_of("source"),
            f"source {source_id[:40]!r} is not among the file's sources",
        )
    title, outlet, url = source or (None, None, None)
    return EventSpec(
        day=day,
        precision=precision,
        lang=lang or "en",
        text=text,
        source_title=title,
        source_outlet=outlet if title else None,
        source_url=url if title else None,
        order=check.position(data, "order", "event order"),
    )


def _parse_names(check: Checker, data: LineDict) -> list[tuple[str, str, bool]]:
    names: list[tuple[str, str, bool]] = []
    for name in check.records(data, "names", "a name"):
        check.keys(name, {"lang", "text", "primary"}, {"lang", "text"}, "a name")
        lang = check.choice(name.get("lang"), name.line_of("lang"), "name language", NAME_LANGS)
        text = check.text(name.get("text"), name.line_of("text"), "name", limit=200)
        if lang and text:
            names.append((lang, text, bool(name.get("primary", False))))
    return names


def _parse_people(check: Checker, data: LineDict) -> list[PersonSpec]:
    people: list[PersonSpec] = []
    for person in check.records(data, "people", "a person"):
        check.keys(person, {"role", "name", "note"}, {"role", "name"}, "a person")
        role = check.choice(person.get("role"), person.line_of("role"), "role", PERSON_ROLES)
        name = _local_text(check, person.get("name"), person.line_of("name"), "person name")
        note = _local_text(check, person.get("note"), person.line_of("note"), "note")
        if role and name:
            people.append(PersonSpec(role, name, note))
    return people


def _parse_case(
    check: Checker, data: LineDict, courts: set[str], sources: dict[str, _Source]
) -> CaseSpec:
    allowed = {"slug", "names", "summary", "status", "sentence", "letters", "hearings"}
    allowed |= {"people", "timeline"}
    check.keys(data, allowed, {"slug", "names"}, "a case")
    slug = check.word(data, "slug", "case slug")
    if slug is not None and not SLUG_RE.match(slug):
        check.fail(data.line, f"case slug {slug[:40]!r} must be lower-case letters, digits, -")
    slug = slug or ""
    names = _parse_names(check, data)
    if not names:
        check.fail(data.line, f"case {slug[:40]!r} has no names")
    status: dict[str, str | None] = dict.fromkeys(STATUS_KEYS)
    if data.get("status") is not None:
        raw_status = check.mapping(data["status"], data.line_of("status"), "status")
        if raw_status is not None:
            check.keys(raw_status, set(STATUS_KEYS), set(), "status")
            for dimension, keys in STATUS_KEYS.items():
                status[dimension] = check.choice(
                    raw_status.get(dimension), raw_status.line_of(dimension), dimension, keys
                )
    sentence = None
    if data.get("sentence") is not None:
        checked = check.mapping(data["sentence"], data.line_of("sentence"), "sentence")
        sentence = _parse_sentence(check, checked) if checked is not None else None
    hearings = [
        spec
        for item in check.records(data, "hearings", "a hearing")
        if (spec := _parse_hearing(check, item, courts)) is not None
    ]
    timeline = [
        event
        for item in check.records(data, "timeline", "an event")
        if (event := _parse_event(check, item, sources)) is not None
    ]
    return CaseSpec(
        slug=slug,
        line=data.line,
        names=names,
        summary=_local_text(check, data.get("summary"), data.line_of("summary"), "summary"),
        status=status,
        sentence=sentence,
        hearings=hearings,
        people=_parse_people(check, data),
        timeline=timeline,
        letters=yaml_letters(check, data),
    )


def _check_file(check: Checker, raw: Any) -> CaseFile:
    root = check.mapping(raw, 1, "the file")
    if root is None:
        return CaseFile(courts=[], cases=[])
    # `license` and `published`: what a published dataset says about itself (read, not kept).
    known = {"format", "license", "published", "courts", "sources", "letter_guide", "cases"}
    check.keys(root, known, {"format"}, "the file")
    if root.get("format") != FORMAT:
        check.fail(root.line_of("format"), f"format must be {FORMAT!r}")
    courts = _parse_courts(check, root)
    guide = root.get("letter_guide")
    letter_guide = _local_text(
        check, guide, root.line_of("letter_guide"), "letter guide", limit=MAX_GUIDE
    )
    court_slugs = {court.slug for court in courts}
    sources = _parse_sources(check, root)
    cases: list[CaseSpec] = []
    seen: set[str] = set()
    for data in check.records(root, "cases", "a case"):
        case = _parse_case(check, data, court_slugs, sources)
        if case.slug in seen:
            check.fail(data.line, f"case slug {case.slug[:40]!r} appears twice")
        seen.add(case.slug)
        cases.append(case)
    return CaseFile(courts=courts, cases=cases, letter_guide=letter_guide)


def parse_case_file(text: str) -> CaseFile:
    """Parse and validate a whole case file; raise CaseFileError with the problems found.

    Every problem of the file is found; the error holds the first `MAX_PROBLEMS`
    by line and says how many more there were. Invalid YAML is reported with its
    line, column and PyYAML's reason.
    """
    raw = load_yaml(text)
    check = Checker()
    try:
        data = _check_file(check, raw)
    except RecursionError as exc:  # a backstop: yamlload bounds the nesting
        raise CaseFileError(["line 1: lists and mappings are nested too deeply to check"]) from exc
    if check.problems:
        raise check.problems.error()
    return data


def suspension(value: object) -> bool | None:
    """A file's ``suspended``: true/yes, false/no (or absent), unknown/null (not known)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)
