"""Exporting case files (YAML and CSV), importing CSV, and the round trip between them
(the files themselves, progress and formulas: test_export_files)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import select

import storage.database.engine
from storage.database.models import Case, TimelineEvent
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.csvfile import COLUMNS, parse_csv
from storage.files.csvwrite import write_csv
from storage.files.exporter import collect_case_file, export_cases, export_file
from storage.files.importer import ImportReport, import_file
from tests.unit.exportdata import (
    GUIDE_EN,
    GUIDE_KK,
    LETTER_ADDRESS,
    QUOTED_ALIAS,
    TZ,
    MakeDb,
    add_plain_cases,
    load_sample,
    rows,
)

# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_round_trip_gives_the_same_rows_and_the_same_bytes(
    full_db: Engine, make_db: MakeDb, tmp_path: Path, suffix: str
) -> None:
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
    with storage.database.engine.session_scope(full_db) as session:
        written = export_file(session, first)
    assert (written.cases, written.courts, written.hearings) == (5, 4, 8)
    copy = make_db("b.db")
    with storage.database.engine.session_scope(copy) as session:
        report = import_file(session, first, default_tz=TZ)
    assert len(report.added) == 5 and report.courts_added == 4
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
    assert data.letter_guide == {"kk": GUIDE_KK, "en": GUIDE_EN}
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
    assert len(titles) == len(set(titles)) == 6  # three from the plain cases, three here
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
    with storage.database.engine.session_scope(engine) as session:
        add_plain_cases(session)
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
