"""Loading a validated case file into the database, idempotently.

Each case is matched by slug, each court by slug, names by (language, text),
hearings by (court, local date), people by (role, name) and timeline events by
(date, precision, original text). Matching rows are updated only where a field
differs, missing ones are added, and nothing the file does not mention is
deleted. A case's letter details are set from its `letters:` (all of them) when the
file gives them and kept when it does not; the letter guide is written in the languages
the file gives. Importing the same file twice therefore changes nothing the second
time, and the report says so.

`import_file` reads YAML (`.yaml`, `.yml`) or CSV (`.csv`) by the file's
extension. Either way the whole file is parsed and validated first: a file with
any bad row raises `CaseFileError` listing its problems (the first hundred, then
how many more) and changes nothing. So does a file larger than the cap
(`CASEBOT_IMPORT_MAX_BYTES`), one that is not UTF-8, and one the parsers cannot
read at all: every such failure is a `CaseFileError`, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from storage.database.models import (
    AuditEntry,
    Case,
    CaseName,
    Court,
    Hearing,
    Person,
    TimelineEvent,
    utcnow,
)
from storage.domain.names import name_key
from storage.files.casefile import (
    CaseFile,
    CaseFileError,
    CaseSpec,
    HearingSpec,
    file_kind,
    parse_case_file,
)
from storage.files.csvfile import parse_csv
from storage.files.filesafety import MAX_FILE_BYTES, decode_text, read_case_bytes
from storage.usecases.letters import set_letter_guide
from storage.vocabulary import TEXT_ORDER

SAMPLE_FILE = Path(__file__).parent / "samples" / "cases.yaml"

Progress = Callable[[int, int], None]
"""Called as `progress(done, total)` after each case is applied."""


@dataclass
class ImportReport:
    """What an import did: slugs added and changed, and how many were already current.

    `rejected` holds "line N: reason" for the rows of a refused file (at most a
    hundred, then "… and N more problems"; `problem_count` is the total). A file
    with any bad row is refused whole (`import_file` raises `CaseFileError`
    before any change), so a report of an applied file has none;
    `ImportReport.refused` turns the error into a report for callers that want
    one either way.
    """

    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    courts_added: int = 0
    courts_changed: int = 0
    guides_changed: list[str] = field(default_factory=list)
    """The languages whose letter guide was written or replaced."""
    rejected: list[str] = field(default_factory=list)
    problem_count: int = 0

    @classmethod
    def refused(cls, error: CaseFileError) -> ImportReport:
        """The report of a file refused whole: its problems, and no change."""
        return cls(rejected=list(error.problems), problem_count=error.count)

    @property
    def nothing_changed(self) -> bool:
        """True when the database already held everything the file says."""
        courts = self.courts_added or self.courts_changed
        return not (self.added or self.changed or courts or self.guides_changed)

    def summary(self) -> str:
        """A short human-readable account for the command line."""
        if self.rejected:
            count = max(self.problem_count, len(self.rejected))
            lines = [f"Not imported, nothing changed: {count} problems."]
            return "\n".join(lines + [f"  {problem}" for problem in self.rejected])
        if self.nothing_changed:
            return f"No change: all {len(self.unchanged)} cases are already up to date."
        lines = [
            f"Added {len(self.added)} cases, changed {len(self.changed)}, "
            f"unchanged {len(self.unchanged)}; courts added {self.courts_added}, "
            f"changed {self.courts_changed}."
        ]
        if self.guides_changed:
            lines.append(f"  letter guide: {', '.join(self.guides_changed)}")
        lines += [f"  added: {slug}" for slug in self.added]
        lines += [f"  changed: {slug} ({', '.join(what)})" for slug, what in self.changed.items()]
        return "\n".join(lines)


def _set(row: Any, values: dict[str, Any]) -> list[str]:
    """Assign the values that differ; return the names of the fields changed."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _upsert_courts(session: Session, data: CaseFile, report: ImportReport) -> dict[str, Court]:
    courts = {court.slug: court for court in session.exec(select(Court)).all()}
    for spec in data.courts:
        values: dict[str, Any] = {"tz": spec.tz, "name": spec.name, "city": spec.city}
        # A file without a court's place leaves what /setcourt stored.
        values |= {"address": spec.address} if spec.address else {}
        values |= {"note": spec.note} if spec.note else {}
        values |= {"lat": spec.lat, "lon": spec.lon} if spec.lat is not None else {}
        court = courts.get(spec.slug)
        if court is None:
            court = Court(slug=spec.slug, **values)
            session.add(court)
            courts[spec.slug] = court
            report.courts_added += 1
        elif _set(court, values):
            report.courts_changed += 1
    session.flush()
    return courts


def _hearing_instant(spec: HearingSpec, zone: str) -> datetime:
    local = datetime.combine(spec.day, spec.time or time(0, 0), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def _case_values(spec: CaseSpec) -> dict[str, Any]:
    sentence = spec.sentence
    letters = spec.letters
    # A file without a case's letter details leaves what /setletters stored.
    values: dict[str, Any] = (
        {}
        if letters is None
        else {
            "letter_address": letters.address,
            "letters_reach": letters.reach,
            "letter_langs": list(letters.langs),
        }
    )
    return values | {
        **spec.status,
        "summary": spec.summary,
        "summary_lang": "en" if "en" in spec.summary else next(iter(spec.summary), None),
        "sentence_months": sentence.months if sentence else None,
        "sentence_days": sentence.days if sentence else None,
        "credit_ratio": sentence.ratio if sentence else None,
        "detained_on": sentence.detained if sentence else None,
        "verdict_on": sentence.verdict if sentence else None,
        "release_on": sentence.release if sentence else None,
        "suspended": sentence.suspended if sentence else False,
    }


def _sync_names(session: Session, case: Case, spec: CaseSpec) -> list[str]:
    assert case.id is not None
    existing = {
        (row.lang, row.text): row
        for row in session.exec(select(CaseName).where(CaseName.case_id == case.id)).all()
    }
    changes: list[str] = []
    for lang, text, primary in spec.names:
        row = existing.get((lang, text))
        if row is None:
            session.add(
                CaseName(
                    case_id=case.id, lang=lang, text=text, is_primary=primary, key=name_key(text)
                )
            )
            changes.append(f"name {text}")
        elif _set(row, {"is_primary": primary, "key": name_key(text)}):
            changes.append(f"name {text}")
    return changes


def _sync_hearings(
    session: Session, case: Case, spec: CaseSpec, courts: dict[str, Court], default_tz: str
) -> list[str]:
    assert case.id is not None
    rows = session.exec(select(Hearing).where(Hearing.case_id == case.id)).all()
    existing = {
        (row.court_id, row.starts_at.astimezone(ZoneInfo(row.tz)).date()): row for row in rows
    }
    changes: list[str] = []
    for hearing in spec.hearings:
        court = courts.get(hearing.court) if hearing.court else None
        zone = hearing.tz or (court.tz if court else default_tz)
        values: dict[str, Any] = {
            "starts_at": _hearing_instant(hearing, zone),
            "tz": zone,
            "time_known": hearing.time is not None,
            "status": hearing.status,
            "judge": hearing.judge,
            "note": hearing.note,
            "note_lang": "en" if "en" in hearing.note else next(iter(hearing.note), None),
        }
        row = existing.get((court.id if court else None, hearing.day))
        if row is None:
            session.add(Hearing(case_id=case.id, court_id=court.id if court else None, **values))
            changes.append(f"hearing {hearing.day}")
        elif _set(row, values):
            row.updated_at = utcnow()
            changes.append(f"hearing {hearing.day}")
    return changes


def _person_key(role: str, name: dict[str, str]) -> tuple[str, str]:
    # English, else Russian, else Kazakh: the same key whatever order the texts come in.
    known = (name[lang] for lang in TEXT_ORDER["en"] if name.get(lang))
    return role, next(known, next(iter(name.values()), ""))


def _sync_people(session: Session, case: Case, spec: CaseSpec) -> list[str]:
    assert case.id is not None
    existing = {
        _person_key(row.role, row.name): row
        for row in session.exec(select(Person).where(Person.case_id == case.id)).all()
    }
    changes: list[str] = []
    for person in spec.people:
        row = existing.get(_person_key(person.role, person.name))
        values: dict[str, Any] = {"name": person.name, "note": person.note}
        if row is None:
            session.add(Person(case_id=case.id, role=person.role, **values))
            changes.append(f"person {person.role}")
        elif _set(row, values):
            changes.append(f"person {person.role}")
    return changes


def _sync_timeline(session: Session, case: Case, spec: CaseSpec) -> list[str]:
    assert case.id is not None
    existing = {
        (row.occurred_on, row.precision, row.lang, row.text.get(row.lang, "")): row
        for row in session.exec(select(TimelineEvent).where(TimelineEvent.case_id == case.id)).all()
    }
    changes: list[str] = []
    for event in spec.timeline:
        key = (event.day, event.precision, event.lang, event.text.get(event.lang, ""))
        values: dict[str, Any] = {
            "text": event.text,
            "source_title": event.source_title,
            "source_outlet": event.source_outlet,
            "source_url": event.source_url,
            "position": event.order,
        }
        row = existing.get(key)
        if row is None:
            session.add(
                TimelineEvent(
                    case_id=case.id,
                    occurred_on=event.day,
                    precision=event.precision,
                    lang=event.lang,
                    **values,
                )
            )
            changes.append(f"event {event.day}")
        elif _set(row, values):
            changes.append(f"event {event.day}")
    return changes


def _write_guides(
    session: Session, data: CaseFile, actor_id: int | None, report: ImportReport
) -> None:
    """The file's letter guide, language by language (audited, as /letterguide is); the
    languages it leaves out keep theirs."""
    for lang, text in data.letter_guide.items():
        if set_letter_guide(session, lang=lang, text=text, actor_id=actor_id, now=utcnow()):
            report.guides_changed.append(lang)


def apply_case_file(
    session: Session,
    data: CaseFile,
    *,
    default_tz: str,
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Bring the database in line with a validated file, in the caller's transaction.

    `progress(done, total)` is called after each case (once with (0, 0) for a file
    with no cases), so a long file can show how far it has got.
    """
    report = ImportReport()
    courts = _upsert_courts(session, data, report)
    _write_guides(session, data, actor_id, report)
    cases = {case.slug: case for case in session.exec(select(Case)).all()}
    total = len(data.cases)
    if progress is not None and total == 0:
        progress(0, 0)
    for done, spec in enumerate(data.cases, start=1):
        values = _case_values(spec)
        case = cases.get(spec.slug)
        if case is None:
            case = Case(slug=spec.slug, **values)
            session.add(case)
            session.flush()
            changes = ["created"]
        else:
            changes = _set(case, values)
        changes += _sync_names(session, case, spec)
        changes += _sync_hearings(session, case, spec, courts, default_tz)
        changes += _sync_people(session, case, spec)
        changes += _sync_timeline(session, case, spec)
        if changes and changes[0] == "created":
            report.added.append(spec.slug)
        elif changes:
            case.updated_at = utcnow()
            report.changed[spec.slug] = changes
        else:
            report.unchanged.append(spec.slug)
        if changes:
            session.add(
                AuditEntry(
                    actor_id=actor_id,
                    case_id=case.id,
                    action="import",
                    before={},
                    after={"changes": changes[:50]},
                )
            )
        if progress is not None:
            progress(done, total)
    session.flush()
    return report


def read_case_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> CaseFile:
    """Parse and validate a `.yaml`/`.yml` or `.csv` case file; raise CaseFileError if bad.

    A file larger than `max_bytes` is refused before it is parsed; one that is
    not UTF-8 is refused with the line of its first bad byte.
    """
    try:
        kind = file_kind(path)
    except ValueError as exc:
        raise CaseFileError([str(exc)]) from exc
    text = decode_text(read_case_bytes(path, max_bytes))
    if kind == "csv":
        return parse_csv(text)
    return parse_case_file(text)


def import_file(
    session: Session,
    path: Path,
    *,
    default_tz: str,
    progress: Progress | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> ImportReport:
    """Parse, validate and apply a YAML or CSV case file; a bad file raises before any change.

    The format follows the extension (`.yaml`, `.yml` or `.csv`; any other raises
    `CaseFileError`), and a file over `max_bytes` is refused unread.
    `progress(done, total)` is called as cases are applied.
    """
    data = read_case_file(path, max_bytes=max_bytes)
    return apply_case_file(session, data, default_tz=default_tz, progress=progress)


def count_cases(session: Session) -> int:
    """How many cases the database holds."""
    return int(session.exec(select(func.count()).select_from(Case)).one())
