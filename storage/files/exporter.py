"""Writing the database's cases out as a case file (YAML or CSV).

`collect_case_file` reads every court and case into the same specs the parsers
return; `dump_case_file` writes them as YAML (format `casebot-cases/1`) and
`storage.files.csvfile.write_csv` as CSV. The output is deterministic (courts by
slug, cases by id, names and people by id, hearings by time, events by date
then id, localized texts in kk, ru, en order), so exporting, importing into an
empty database and exporting again gives the same bytes, and importing an
export into the database it came from changes nothing.

Timeline sources become a top-level `sources:` list, one entry per distinct
(title, outlet, url), with ids `src-1`, `src-2`, … in order of first use. The letter
guide, when there is one, is the top-level `letter_guide:`; a case's letter details,
when it has any, its `letters:`.
"""

from __future__ import annotations

import errno
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlmodel import Session, col, select

from storage.database.models import (
    Case,
    CaseName,
    Court,
    Hearing,
    LetterGuide,
    Person,
    TimelineEvent,
)
from storage.files.casefile import (
    FORMAT,
    LANGS,
    CaseFile,
    CaseSpec,
    CourtSpec,
    EventSpec,
    HearingSpec,
    PersonSpec,
    SentenceSpec,
    file_kind,
    format_partial_date,
    format_term,
)
from storage.files.csvwrite import write_csv
from storage.files.filesafety import write_file
from storage.files.letterfields import LettersSpec


@dataclass
class ExportReport:
    """What an export wrote: the file, its format and how many rows of each kind."""

    path: Path
    kind: str
    courts: int
    cases: int
    names: int
    hearings: int
    people: int
    events: int

    def summary(self) -> str:
        """A one-line account for the command line."""
        return (
            f"Exported {self.cases} cases ({self.names} names, {self.hearings} hearings, "
            f"{self.people} people, {self.events} events) and {self.courts} courts "
            f"to {self.path} ({self.kind.upper()})."
        )


# ------------------------------------------------------------------ database → specs


def _ordered(texts: dict[str, str], original: str | None = None) -> dict[str, str]:
    """Texts in kk, ru, en order; `original` first when there is no English.

    The importer takes a summary's or note's original language to be English
    when present, else the first text: this order makes it find the stored one.
    """
    order = list(LANGS)
    if original in texts and "en" not in texts:
        order.remove(original)
        order.insert(0, original)
    ordered = {lang: texts[lang] for lang in order if texts.get(lang)}
    ordered.update({lang: text for lang, text in texts.items() if lang not in ordered and text})
    return ordered


def _sentence(case: Case) -> SentenceSpec | None:
    fields = (
        case.sentence_months,
        case.sentence_days,
        case.credit_ratio,
        case.detained_on,
        case.verdict_on,
        case.release_on,
    )
    if all(value is None for value in fields) and case.suspended is False:
        return None
    return SentenceSpec(
        months=case.sentence_months,
        days=case.sentence_days,
        ratio=case.credit_ratio,
        detained=case.detained_on,
        verdict=case.verdict_on,
        release=case.release_on,
        suspended=case.suspended,
    )


def _letters(case: Case) -> LettersSpec | None:
    letters = LettersSpec(case.letter_address or None, case.letters_reach, list(case.letter_langs))
    return None if letters.empty else letters


def _letter_guide(session: Session) -> dict[str, str]:
    guides = {row.lang: row.text for row in session.exec(select(LetterGuide)).all()}
    return _ordered(guides)


def _hearing(row: Hearing, court: Court | None) -> HearingSpec:
    local = row.starts_at.astimezone(ZoneInfo(row.tz))
    return HearingSpec(
        day=local.date(),
        time=local.time().replace(second=0, microsecond=0) if row.time_known else None,
        court=court.slug if court else None,
        status=row.status,
        judge=_ordered(row.judge),
        note=_ordered(row.note, row.note_lang),
        # The zone is stated only when it is not the court's (always for no court).
        tz=row.tz if court is None or court.tz != row.tz else None,
    )


def _event(row: TimelineEvent) -> EventSpec:
    return EventSpec(
        day=row.occurred_on,
        precision=row.precision,
        lang=row.lang,
        text=_ordered(row.text),
        source_title=row.source_title,
        source_outlet=row.source_outlet,
        source_url=row.source_url,
        order=row.position,
    )


def collect_case_file(session: Session) -> CaseFile:
    """Every court and case in the database as specs, in the export order."""
    court_rows = session.exec(select(Court).order_by(col(Court.slug))).all()
    courts_by_id = {court.id: court for court in court_rows}
    names: dict[int, list[CaseName]] = defaultdict(list)
    for name in session.exec(select(CaseName).order_by(col(CaseName.id))).all():
        names[name.case_id].append(name)
    hearings: dict[int, list[Hearing]] = defaultdict(list)
    query = select(Hearing).order_by(col(Hearing.starts_at), col(Hearing.id))
    for hearing in session.exec(query).all():
        hearings[hearing.case_id].append(hearing)
    people: dict[int, list[Person]] = defaultdict(list)
    for person in session.exec(select(Person).order_by(col(Person.id))).all():
        people[person.case_id].append(person)
    events: dict[int, list[TimelineEvent]] = defaultdict(list)
    query_events = select(TimelineEvent).order_by(
        col(TimelineEvent.occurred_on), col(TimelineEvent.id)
    )
    for event in session.exec(query_events).all():
        events[event.case_id].append(event)
    cases: list[CaseSpec] = []
    for case in session.exec(select(Case).order_by(col(Case.id))).all():
        assert case.id is not None
        cases.append(
            CaseSpec(
                slug=case.slug,
                line=0,
                names=[(name.lang, name.text, name.is_primary) for name in names[case.id]],
                summary=_ordered(case.summary, case.summary_lang),
                status={
                    "custody": case.custody,
                    "proceedings": case.proceedings,
                    "protection": case.protection,
                    "risk": case.risk,
                },
                sentence=_sentence(case),
                hearings=[
                    _hearing(row, courts_by_id.get(row.court_id)) for row in hearings[case.id]
                ],
                people=[
                    PersonSpec(row.role, _ordered(row.name), _ordered(row.note))
                    for row in people[case.id]
                ],
                timeline=[_event(row) for row in events[case.id]],
                letters=_letters(case),
            )
        )
    courts = [_court(row) for row in court_rows]
    return CaseFile(courts=courts, cases=cases, letter_guide=_letter_guide(session))


def _court(row: Court) -> CourtSpec:
    return CourtSpec(
        slug=row.slug,
        tz=row.tz,
        name=_ordered(row.name),
        city=_ordered(row.city),
        address=_ordered(row.address),
        note=_ordered(row.note),
        lat=row.lat,
        lon=row.lon,
    )


# ------------------------------------------------------------------ specs → YAML


class _Quoted(str):
    """A string written in double quotes, so YAML reads it back as text (10:00, 2019-10)."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    """The safe dumper, plus `_Quoted`; a subclass, so the global SafeDumper is untouched."""


def _represent_quoted(dumper: _Dumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(_Quoted, _represent_quoted)


def _ratio(ratio: float | None) -> float | int | None:
    if ratio is None:
        return None
    return int(ratio) if ratio.is_integer() else ratio


def _sentence_data(sentence: SentenceSpec) -> dict[str, Any]:
    known_term = sentence.months is not None or sentence.days is not None
    return {
        "term": format_term(sentence.months or 0, sentence.days or 0) if known_term else None,
        "ratio": _ratio(sentence.ratio),
        "detained": sentence.detained,
        "verdict": sentence.verdict,
        "release": sentence.release,
        "suspended": "unknown" if sentence.suspended is None else sentence.suspended,
    }


def _hearing_data(hearing: HearingSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"date": hearing.day}
    if hearing.time is not None:
        data["time"] = _Quoted(hearing.time.strftime("%H:%M"))
    if hearing.tz is not None:
        data["tz"] = hearing.tz
    if hearing.court is not None:
        data["court"] = hearing.court
    if hearing.judge:
        data["judge"] = hearing.judge
    data["status"] = hearing.status
    if hearing.note:
        data["note"] = hearing.note
    return data


def _event_date(event: EventSpec) -> date | _Quoted:
    if event.precision == "day":
        return event.day
    return _Quoted(format_partial_date(event.day, event.precision))


def _letters_data(letters: LettersSpec) -> dict[str, Any]:
    return (
        ({"address": letters.address} if letters.address is not None else {})
        | ({"reach": letters.reach} if letters.reach is not None else {})
        | ({"langs": list(letters.langs)} if letters.langs else {})
    )


def _source_key(event: EventSpec) -> tuple[str | None, str | None, str | None]:
    return event.source_title, event.source_outlet, event.source_url


_SourceIds = dict[tuple[str | None, str | None, str | None], str]


def _case_data(case: CaseSpec, sources: _SourceIds) -> dict[str, Any]:
    item: dict[str, Any] = {
        "slug": case.slug,
        "names": [
            {"lang": lang, "text": text} | ({"primary": True} if primary else {})
            for lang, text, primary in case.names
        ],
    }
    if case.summary:
        item["summary"] = case.summary
    item["status"] = dict(case.status)
    if case.sentence is not None:
        item["sentence"] = _sentence_data(case.sentence)
    if case.letters is not None:
        item["letters"] = _letters_data(case.letters)
    item["hearings"] = [_hearing_data(hearing) for hearing in case.hearings]
    item["people"] = [
        {"role": person.role, "name": person.name} | ({"note": person.note} if person.note else {})
        for person in case.people
    ]
    item["timeline"] = [
        {"date": _event_date(event), "lang": event.lang, "text": event.text}
        | ({"source": sources[_source_key(event)]} if event.source_title is not None else {})
        | ({"order": event.order} if event.order else {})
        for event in case.timeline
    ]
    return item


def case_file_document(data: CaseFile) -> dict[str, Any]:
    """A case file as the plain data of `casebot-cases/1` (what the YAML and JSON hold)."""
    sources: _SourceIds = {}
    for case in data.cases:
        for event in case.timeline:
            if event.source_title is not None:
                sources.setdefault(_source_key(event), f"src-{len(sources) + 1}")
    document: dict[str, Any] = {
        "format": FORMAT,
        "courts": [
            {"slug": court.slug, "tz": court.tz, "name": court.name}
            | ({"city": court.city} if court.city else {})
            | ({"address": court.address} if court.address else {})
            | ({"lat": court.lat, "lon": court.lon} if court.lat is not None else {})
            | ({"note": court.note} if court.note else {})
            for court in data.courts
        ],
        "sources": [
            {"id": source_id, "title": title}
            | ({"outlet": outlet} if outlet is not None else {})
            | ({"url": url} if url is not None else {})
            for (title, outlet, url), source_id in sources.items()
        ],
    }
    if data.letter_guide:
        document["letter_guide"] = dict(data.letter_guide)
    document["cases"] = [_case_data(case, sources) for case in data.cases]
    return document


def dump_case_file(data: CaseFile) -> str:
    """The YAML text of a case file (`casebot-cases/1`), as `parse_case_file` reads it."""
    text: str = yaml.dump(
        case_file_document(data),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )
    return text


def dump_case_json(data: CaseFile, *, about: dict[str, str] | None = None) -> str:
    """The same document as JSON (dates as ISO text); `about` adds `license`/`published`."""
    document = case_file_document(data)
    if about:
        document = {"format": document.pop("format"), **about, **document}
    return json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n"


def export_cases(session: Session) -> str:
    """Every case in the database, with the courts, as a YAML case file."""
    return dump_case_file(collect_case_file(session))


def export_file(session: Session, path: Path, *, overwrite: bool = False) -> ExportReport:
    """Write every case to `path`, as YAML (`.yaml`, `.yml`), JSON (`.json`) or CSV (`.csv`).

    Any other extension raises ValueError, and an existing `path` raises
    FileExistsError unless `overwrite`, both before anything is written. The
    file is written whole to a temporary file created exclusively beside it
    (never through a link planted there), then moved into place
    (`storage.files.filesafety.write_file`). CSV files start with a UTF-8 byte order
    mark, so spreadsheets read the Cyrillic, and their formula-like cells are
    neutralised (see storage/files/csvwrite.py).
    """
    kind = file_kind(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "the file exists", str(path))
    data = collect_case_file(session)
    if kind == "csv":
        payload = write_csv(data).encode("utf-8-sig")
    elif path.suffix.lower() == ".json":
        payload = dump_case_json(data).encode("utf-8")
    else:
        payload = dump_case_file(data).encode("utf-8")
    write_file(path, payload)
    return ExportReport(
        path=path,
        kind="json" if path.suffix.lower() == ".json" else kind,
        courts=len(data.courts),
        cases=len(data.cases),
        names=sum(len(case.names) for case in data.cases),
        hearings=sum(len(case.hearings) for case in data.cases),
        people=sum(len(case.people) for case in data.cases),
        events=sum(len(case.timeline) for case in data.cases),
    )
