"""Reading and validating case files (YAML, format `casebot-cases/1`).

The whole file is parsed and checked before anything touches the database:
`parse_case_file` returns plain specs or raises `CaseFileError` listing every
problem with its line number. The format is described in docs/data-format.md.
The CSV form of the same data (storage/csvfile.py) yields the same specs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

FORMAT = "casebot-cases/1"
LANGS = ("kk", "ru", "en")
NAME_LANGS = (*LANGS, "alias")
STATUS_KEYS: dict[str, tuple[str, ...]] = {
    "custody": (
        "free", "detained", "house_arrest", "imprisoned", "released", "deported", "abroad",
    ),
    "proceedings": ("investigation", "trial", "sentenced", "appeal", "acquitted", "closed"),
    "protection": ("no_protection", "asylum_seeker", "refugee", "asylum_denied"),
    "risk": ("no_risk", "deportation_threat", "deportation_ordered", "deportation_blocked"),
}  # fmt: skip
HEARING_STATUSES = ("scheduled", "held", "cancelled", "postponed")
PERSON_ROLES = ("lawyer", "judge", "prosecutor", "organisation", "official", "family", "other")
PRECISIONS = ("day", "month", "year")
RATIOS = (1.0, 1.5, 2.0)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
TERM_RE = re.compile(r"^(?:(\d{1,2})y)?(?:(\d{1,3})m)?(?:(\d{1,4})d)?$")
MAX_TEXT = 1000


FILE_KINDS: dict[str, Literal["yaml", "csv"]] = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}


def file_kind(path: Path | str) -> Literal["yaml", "csv"]:
    """`yaml` for a `.yaml`/`.yml` file, `csv` for `.csv`; raise ValueError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FILE_KINDS:
        raise ValueError(
            f"{Path(path).name}: the file name must end in .yaml, .yml or .csv "
            f"(it says which format to use), not {suffix or 'nothing'!r}"
        )
    return FILE_KINDS[suffix]


class CaseFileError(ValueError):
    """The file is not a valid case file; `problems` holds "line N: reason" strings."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _LineDict(dict[str, Any]):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line they start on."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(
        {str(key): value for key, value in loader.construct_mapping(node, deep=True).items()}
    )
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_timestamp_as_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates are checked by this module, with a line number, not by PyYAML (which raises).
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


@dataclass
class CourtSpec:
    """A court as the file gives it."""

    slug: str
    tz: str
    name: dict[str, str]
    city: dict[str, str]


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


@dataclass
class CaseFile:
    """A whole validated file."""

    courts: list[CourtSpec]
    cases: list[CaseSpec]


def parse_term(text: str) -> tuple[int, int]:
    """Parse a term like `1y6m` or `3m3d` into (months, days); raise ValueError if bad."""
    match = TERM_RE.match(text.strip().lower())
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a term like 1y, 6m, 1y6m or 3m3d")
    years, months, days = (int(group) if group else 0 for group in match.groups())
    if years == months == days == 0:
        raise ValueError("a term of zero")
    return years * 12 + months, days


def format_term(months: int, days: int) -> str:
    """The compact form of a term: (18, 0) → `1y6m`."""
    years, months = divmod(months, 12)
    parts = [
        f"{years}y" if years else "",
        f"{months}m" if months else "",
        f"{days}d" if days else "",
    ]
    return "".join(parts) or "0d"


def parse_partial_date(text: str) -> tuple[date, str]:
    """Parse `YYYY-MM-DD`, `YYYY-MM` or `YYYY` into (first day, precision)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), "year"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = text.split("-")
            return date(int(year), int(month), 1), "month"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text), "day"
    except ValueError:
        pass
    raise ValueError(f"{text[:40]!r} is not a date like 2020-01-21, 2019-10 or 2018")


def parse_clock(text: str) -> time:
    """Parse a local time like `10:00` or `9:30`; raise ValueError if bad."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"{text[:20]!r} is not a time like 10:00")


def is_zone(name: str) -> bool:
    """True when `name` is a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def format_partial_date(day: date, precision: str) -> str:
    """The inverse of `parse_partial_date`."""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


class _Checker:
    """Collects problems while reading one file."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(f"line {line}: {message}")

    def mapping(self, value: Any, line: int, what: str) -> _LineDict | None:
        if isinstance(value, _LineDict):
            return value
        self.fail(line, f"{what} must be a mapping")
        return None

    def keys(self, data: _LineDict, allowed: set[str], required: set[str], what: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(data.line, f"unknown key {key!r} in {what}")
        for key in sorted(required - set(data)):
            self.fail(data.line, f"{what} lacks {key!r}")

    def text(self, value: Any, line: int, what: str, *, limit: int = MAX_TEXT) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(line, f"{what} must be text")
            return None
        text = str(value).strip()
        if len(text) > limit:
            self.fail(line, f"{what} is longer than {limit} characters")
            return None
        return text or None

    def local_text(self, value: Any, line: int, what: str) -> dict[str, str]:
        if value is None:
            return {}
        data = self.mapping(value, line, what)
        if data is None:
            return {}
        result: dict[str, str] = {}
        for lang, text in data.items():
            if lang not in LANGS:
                self.fail(data.line, f"{what}: language {lang!r} is not one of kk, ru, en")
                continue
            checked = self.text(text, data.line, f"{what}.{lang}")
            if checked:
                result[lang] = checked
        return result

    def day(self, value: Any, line: int, what: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(line, f"{what} {str(value)[:40]!r} is not a date like 2020-01-21")
            return None

    def choice(self, value: Any, line: int, what: str, allowed: tuple[str, ...]) -> str | None:
        if value is None:
            return None
        if value not in allowed:
            self.fail(line, f"{what} {str(value)[:40]!r} is not one of: {', '.join(allowed)}")
            return None
        return str(value)


def _parse_courts(check: _Checker, raw: Any) -> list[CourtSpec]:
    courts: list[CourtSpec] = []
    for item in raw or []:
        data = check.mapping(item, 1, "a court")
        if data is None:
            continue
        check.keys(data, {"slug", "tz", "name", "city"}, {"slug", "tz", "name"}, "a court")
        slug = str(data.get("slug", ""))
        if not SLUG_RE.match(slug):
            check.fail(data.line, f"court slug {slug[:40]!r} must be lower-case letters, digits, -")
        tz = str(data.get("tz", ""))
        if not is_zone(tz):
            check.fail(data.line, f"time zone {tz[:40]!r} is not a known IANA zone")
        courts.append(
            CourtSpec(
                slug=slug,
                tz=tz,
                name=check.local_text(data.get("name"), data.line, "court name"),
                city=check.local_text(data.get("city"), data.line, "court city"),
            )
        )
    return courts


def _parse_sources(check: _Checker, raw: Any) -> dict[str, _LineDict]:
    sources: dict[str, _LineDict] = {}
    for item in raw or []:
        data = check.mapping(item, 1, "a source")
        if data is None:
            continue
        check.keys(data, {"id", "title", "outlet", "url", "published"}, {"id", "title"}, "a source")
        url = data.get("url")
        if url is not None and not re.match(r"^https?://\S+$", str(url)):
            check.fail(data.line, f"source url {str(url)[:60]!r} is not an http(s) address")
        sources[str(data.get("id"))] = data
    return sources


def _ratio(value: Any) -> float | None:
    """A pre-trial credit ratio as a float, or None when it is not 2, 1.5 or 1."""
    if isinstance(value, bool):
        return None
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        return None
    return ratio if ratio in RATIOS else None


def _parse_sentence(check: _Checker, data: _LineDict) -> SentenceSpec | None:
    allowed = {"term", "ratio", "detained", "verdict", "release", "suspended"}
    check.keys(data, allowed, set(), "a sentence")
    months: int | None = None
    days: int | None = None
    if data.get("term") is not None:
        try:
            months, days = parse_term(str(data["term"]))
        except ValueError as exc:
            check.fail(data.line, str(exc))
            return None
    ratio = data.get("ratio")
    if ratio is not None and _ratio(ratio) is None:
        check.fail(data.line, f"ratio {str(ratio)[:20]!r} is not one of 2, 1.5, 1")
        ratio = None
    return SentenceSpec(
        months=months,
        days=days,
        ratio=float(ratio) if ratio is not None else None,
        detained=check.day(data.get("detained"), data.line, "detained"),
        verdict=check.day(data.get("verdict"), data.line, "verdict"),
        release=check.day(data.get("release"), data.line, "release"),
        suspended=suspension(data.get("suspended", False)),
    )


def _parse_hearing(check: _Checker, data: _LineDict, courts: set[str]) -> HearingSpec | None:
    allowed = {"date", "time", "tz", "court", "judge", "status", "note"}
    check.keys(data, allowed, {"date"}, "a hearing")
    day = check.day(data.get("date"), data.line, "hearing date")
    at: time | None = None
    raw_time = data.get("time")
    if raw_time is not None:
        if isinstance(raw_time, int):  # YAML 1.1 reads 10:00 unquoted as sexagesimal 600
            raw_time = f"{raw_time // 60:02d}:{raw_time % 60:02d}"
        try:
            at = parse_clock(str(raw_time))
        except ValueError:
            check.fail(data.line, f"hearing time {str(raw_time)[:20]!r} is not a time like 10:00")
    tz = data.get("tz")
    if tz is not None and not is_zone(str(tz)):
        check.fail(data.line, f"hearing time zone {str(tz)[:40]!r} is not a known IANA zone")
    court = data.get("court")
    if court is not None and court not in courts:
        check.fail(data.line, f"hearing court {str(court)[:40]!r} is not among the file's courts")
    status = check.choice(data.get("status", "scheduled"), data.line, "status", HEARING_STATUSES)
    if day is None:
        return None
    return HearingSpec(
        day=day,
        time=at,
        court=str(court) if court is not None else None,
        status=status or "scheduled",
        judge=check.local_text(data.get("judge"), data.line, "judge"),
        note=check.local_text(data.get("note"), data.line, "note"),
        tz=str(tz) if tz is not None else None,
    )


def _parse_event(
    check: _Checker, data: _LineDict, sources: dict[str, _LineDict]
) -> EventSpec | None:
    check.keys(data, {"date", "lang", "text", "source"}, {"date", "lang", "text"}, "an event")
    try:
        day, precision = parse_partial_date(str(data.get("date", "")))
    except ValueError as exc:
        check.fail(data.line, str(exc))
        return None
    lang = check.choice(data.get("lang"), data.line, "event language", LANGS)
    text = check.local_text(data.get("text"), data.line, "event text")
    if lang and lang not in text:
        check.fail(data.line, f"event text has no {lang!r} original")
        return None
    source_id = data.get("source")
    source = sources.get(str(source_id)) if source_id is not None else None
    if source_id is not None and source is None:
        check.fail(data.line, f"source {str(source_id)[:40]!r} is not among the file's sources")
    return EventSpec(
        day=day,
        precision=precision,
        lang=lang or "en",
        text=text,
        source_title=str(source["title"]) if source else None,
        source_outlet=str(source["outlet"]) if source and source.get("outlet") else None,
        source_url=str(source["url"]) if source and source.get("url") else None,
    )


def _parse_case(
    check: _Checker, data: _LineDict, courts: set[str], sources: dict[str, _LineDict]
) -> CaseSpec:
    allowed = {"slug", "names", "summary", "status", "sentence", "hearings", "people", "timeline"}
    check.keys(data, allowed, {"slug", "names"}, "a case")
    slug = str(data.get("slug", ""))
    if not SLUG_RE.match(slug):
        check.fail(data.line, f"case slug {slug[:40]!r} must be lower-case letters, digits, -")
    names: list[tuple[str, str, bool]] = []
    for item in data.get("names") or []:
        name = check.mapping(item, data.line, "a name")
        if name is None:
            continue
        check.keys(name, {"lang", "text", "primary"}, {"lang", "text"}, "a name")
        lang = check.choice(name.get("lang"), name.line, "name language", NAME_LANGS)
        text = check.text(name.get("text"), name.line, "name", limit=200)
        if lang and text:
            names.append((lang, text, bool(name.get("primary", False))))
    if not names:
        check.fail(data.line, f"case {slug!r} has no names")
    status: dict[str, str | None] = dict.fromkeys(STATUS_KEYS)
    raw_status = check.mapping(data.get("status") or _LineDict(), data.line, "status")
    if raw_status is not None:
        check.keys(raw_status, set(STATUS_KEYS), set(), "status")
        for dimension, keys in STATUS_KEYS.items():
            status[dimension] = check.choice(
                raw_status.get(dimension), raw_status.line or data.line, dimension, keys
            )
    sentence_data = data.get("sentence")
    sentence = None
    if sentence_data is not None:
        checked = check.mapping(sentence_data, data.line, "sentence")
        sentence = _parse_sentence(check, checked) if checked is not None else None
    hearings = [
        spec
        for item in data.get("hearings") or []
        if (hd := check.mapping(item, data.line, "a hearing")) is not None
        and (spec := _parse_hearing(check, hd, courts)) is not None
    ]
    people: list[PersonSpec] = []
    for item in data.get("people") or []:
        person = check.mapping(item, data.line, "a person")
        if person is None:
            continue
        check.keys(person, {"role", "name", "note"}, {"role", "name"}, "a person")
        role = check.choice(person.get("role"), person.line, "role", PERSON_ROLES)
        person_name = check.local_text(person.get("name"), person.line, "person name")
        if role and person_name:
            people.append(
                PersonSpec(
                    role, person_name, check.local_text(person.get("note"), person.line, "note")
                )
            )
    timeline = [
        event
        for item in data.get("timeline") or []
        if (ev := check.mapping(item, data.line, "an event")) is not None
        and (event := _parse_event(check, ev, sources)) is not None
    ]
    return CaseSpec(
        slug=slug,
        line=data.line,
        names=names,
        summary=check.local_text(data.get("summary"), data.line, "summary"),
        status=status,
        sentence=sentence,
        hearings=hearings,
        people=people,
        timeline=timeline,
    )


def parse_case_file(text: str) -> CaseFile:
    """Parse and validate a whole case file; raise CaseFileError with every problem found."""
    check = _Checker()
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise CaseFileError([f"line {line}: not valid YAML"]) from exc
    root = check.mapping(raw, 1, "the file")
    if root is None:
        raise CaseFileError(check.problems)
    check.keys(root, {"format", "courts", "sources", "cases"}, {"format"}, "the file")
    if root.get("format") != FORMAT:
        check.fail(root.line, f"format must be {FORMAT!r}")
    courts = _parse_courts(check, root.get("courts"))
    court_slugs = {court.slug for court in courts}
    sources = _parse_sources(check, root.get("sources"))
    cases: list[CaseSpec] = []
    seen: set[str] = set()
    for item in root.get("cases") or []:
        data = check.mapping(item, root.line, "a case")
        if data is None:
            continue
        case = _parse_case(check, data, court_slugs, sources)
        if case.slug in seen:
            check.fail(data.line, f"case slug {case.slug!r} appears twice")
        seen.add(case.slug)
        cases.append(case)
    if check.problems:
        raise CaseFileError(check.problems)
    return CaseFile(courts=courts, cases=cases)


def suspension(value: object) -> bool | None:
    """A file's ``suspended``: true/yes, false/no (or absent), unknown/null (not known)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)
