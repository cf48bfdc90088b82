"""Letter details in case files: a case's `letters:` (CSV: `letters_*` cells), the file's
`letter_guide:` (CSV: a `letter_guide` row), checked, imported idempotently, round-tripped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from storage.database.engine import session_scope
from storage.database.models import AuditEntry, Case, LetterGuide
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.csvfile import parse_csv
from storage.files.csvwrite import write_csv
from storage.files.exporter import dump_case_file, dump_case_json
from storage.files.importer import ImportReport, import_file
from storage.files.letterfields import LettersSpec
from storage.usecases.letters import MAX_ADDRESS, MAX_GUIDE
from tests.unit.test_hostile_files import import_text

TZ = "Asia/Almaty"
HEAD = "format: casebot-cases/1\n"
CASE = "cases:\n  - slug: x\n    names: [{lang: en, text: X}]\n"
NOT_A_CODE = "is not a language code (two or three lower-case letters, such as ru, kk, ug)"

FILE = f"""{HEAD}letter_guide:
  ru: Пишите коротко.
  en: Write briefly.
cases:
  - slug: x
    names: [{{lang: en, text: X}}]
    letters:
      address: "Box 12, Almaty"
      reach: true
      langs: [kk, ru]
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(text)
    return caught.value.problems


def csv_problems_of(text: str) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        parse_csv(text)
    return caught.value.problems


def imported(engine: Engine, path: Path, text: str) -> ImportReport:
    path.write_text(text, encoding="utf-8")
    with session_scope(engine) as session:
        return import_file(session, path, default_tz=TZ)


def stored(engine: Engine) -> tuple[tuple[str | None, bool | None, list[str]], dict[str, str]]:
    """The case's letter details and the letter guide, as the database holds them."""
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.slug == "x")).one()
        guides = {row.lang: row.text for row in session.exec(select(LetterGuide)).all()}
        return (case.letter_address, case.letters_reach, list(case.letter_langs)), guides


# --------------------------------------------------------------------------- reading


def test_yaml_letters_and_guide_are_read() -> None:
    data = parse_case_file(FILE)
    assert data.cases[0].letters == LettersSpec("Box 12, Almaty", True, ["kk", "ru"])
    assert data.letter_guide == {"ru": "Пишите коротко.", "en": "Write briefly."}
    assert parse_case_file(HEAD + CASE).cases[0].letters is None  # left out: kept on import
    assert parse_case_file(HEAD + CASE + "    letters: {}\n").cases[0].letters == LettersSpec()


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        ("    letters: somewhere\n", ["line 5: letters must be a mapping, not text"]),
        ("    letters:\n      post: here\n", ["line 6: unknown key 'post' in letters"]),
        (
            "    letters:\n      address: [a, b]\n",
            ["line 6: letters address must be text, not a list"],
        ),
        (
            f"    letters:\n      address: {'a' * (MAX_ADDRESS + 1)}\n",
            ["line 6: letters address is longer than 500 characters"],
        ),
        (
            "    letters:\n      reach: maybe\n",
            ["line 6: letters reach 'maybe' is not true, false or unknown"],
        ),
        (
            "    letters:\n      reach: 1\n",
            ["line 6: letters reach '1' is not true, false or unknown"],
        ),
        (
            "    letters:\n      langs: ru, kk\n",
            ["line 6: letters langs must be a list, not text"],
        ),
        (
            "    letters:\n      langs:\n        - ru\n        - RU\n        - 7\n"
            "        - no\n        - [kk]\n        - ru\n",
            [
                f"line 8: letter language 'RU' {NOT_A_CODE}",
                "line 9: letter language must be text, not a number",
                "line 10: letter language false is not a code: put it in quotes ('no')",
                "line 11: letter language must be text, not a list",
                "line 12: letter language 'ru' appears twice",
            ],
        ),
        (
            "    letters:\n      langs: [russian]\n",
            [f"line 6: letter language 'russian' {NOT_A_CODE}"],
        ),
    ],
)
def test_bad_yaml_letters_are_named_with_their_lines(letters: str, expected: list[str]) -> None:
    assert problems_of(HEAD + CASE + letters) == expected


@pytest.mark.parametrize(
    ("guide", "expected"),
    [
        (
            "letter_guide: {de: Hallo}\n",
            "line 2: letter guide: language 'de' is not one of kk, ru, en",
        ),
        ("letter_guide: [a]\n", "line 2: letter guide must be a mapping, not a list"),
        ("letter_guide:\n  kk: [a]\n", "line 3: letter guide.kk must be text, not a list"),
        (
            f"letter_guide:\n  ru: {'я' * (MAX_GUIDE + 1)}\n",
            "line 3: letter guide.ru is longer than 2000 characters",
        ),
    ],
)
def test_a_bad_yaml_guide_is_named_with_its_line(guide: str, expected: str) -> None:
    assert problems_of(HEAD + guide + CASE) == [expected]


def test_a_guide_as_long_as_allowed_is_read() -> None:
    data = parse_case_file(f"{HEAD}letter_guide:\n  kk: {'ә' * MAX_GUIDE}\n{CASE}")
    assert data.letter_guide == {"kk": "ә" * MAX_GUIDE}


CSV_HEAD = "record,case,lang,text,letters_address,letters_reach,letters_langs,text_ru\n"


def test_csv_letters_and_guide_are_read() -> None:
    data = parse_csv(
        CSV_HEAD + "letter_guide,,,,,,,Пишите коротко.\n"
        'case,x,,,"Box 12, Almaty",yes," kk, ru ",\n'
        "name,x,en,X,,,,\n"
        "case,y,,,,,,\nname,y,en,Y,,,,\n"
    )
    assert data.letter_guide == {"ru": "Пишите коротко."}
    assert [case.letters for case in data.cases] == [
        LettersSpec("Box 12, Almaty", True, ["kk", "ru"]),
        None,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "record,case,letters_reach\ncase,x,maybe\n",
            "line 2: letters_reach 'maybe' is not true, false or unknown",
        ),
        (
            'record,case,letters_langs\ncase,x,"ru,,kk"\n',
            "line 2: letters_langs has an empty item between commas",
        ),
        (
            'record,case,letters_langs\ncase,x,"ru,RU"\n',
            f"line 2: letter language 'RU' {NOT_A_CODE}",
        ),
        (
            'record,case,letters_langs\ncase,x,"ru, ru"\n',
            "line 2: letter language 'ru' appears twice",
        ),
        (
            f"record,case,letters_address\ncase,x,{'a' * (MAX_ADDRESS + 1)}\n",
            "line 2: letters_address is longer than 500 characters",
        ),
        (
            "record,case,letters_langs\nname,x,ru\n",
            "line 2: column 'letters_langs' does not apply to a name row",
        ),
        (
            "record,case,text_ru\nletter_guide,x,Пишите\n",
            "line 2: column 'case' does not apply to a letter_guide row",
        ),
        (
            "record,text_ru\nletter_guide,Пишите\nletter_guide,Ещё\n",
            "line 3: a second letter_guide row (the first is on line 2)",
        ),
        ("record,text_ru\nletter_guide,\n", "line 2: a letter_guide row needs a text_kk"),
        (
            f"record,text_kk\nletter_guide,{'ә' * (MAX_GUIDE + 1)}\n",
            "line 2: text_kk is longer than 2000 characters",
        ),
    ],
)
def test_bad_csv_letters_are_named_with_their_lines(text: str, expected: str) -> None:
    problems = csv_problems_of(text)
    assert any(problem.startswith(expected) for problem in problems), problems


# --------------------------------------------------------------------------- importing


def test_import_writes_letters_and_guide_and_a_second_import_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    first = imported(engine, tmp_path / "a.yaml", FILE)
    assert first.added == ["x"] and first.guides_changed == ["ru", "en"]
    assert "  letter guide: ru, en" in first.summary()
    assert stored(engine) == (
        ("Box 12, Almaty", True, ["kk", "ru"]),
        {"ru": "Пишите коротко.", "en": "Write briefly."},
    )
    with session_scope(engine) as session:
        audits = len(session.exec(select(AuditEntry)).all())
    again = imported(engine, tmp_path / "a.yaml", FILE)
    assert again.nothing_changed and again.unchanged == ["x"], again.summary()
    with session_scope(engine) as session:
        assert len(session.exec(select(AuditEntry)).all()) == audits
    edited = FILE.replace("[kk, ru]", "[kk]").replace("Пишите коротко.", "Пишите.")
    report = imported(engine, tmp_path / "b.yaml", edited)
    assert report.changed == {"x": ["letter_langs"]} and report.guides_changed == ["ru"]
    assert stored(engine)[0] == ("Box 12, Almaty", True, ["kk"])
    with session_scope(engine) as session:
        actions = [row.action for row in session.exec(select(AuditEntry)).all()][audits:]
    assert actions == ["letter_guide", "import"]


def test_a_file_without_letters_keeps_them_and_an_empty_mapping_clears_them(
    engine: Engine, tmp_path: Path
) -> None:
    imported(engine, tmp_path / "a.yaml", FILE)
    guide = {"ru": "Пишите коротко.", "en": "Write briefly."}
    without = imported(engine, tmp_path / "b.yaml", HEAD + CASE)
    assert without.nothing_changed, without.summary()
    assert stored(engine) == (("Box 12, Almaty", True, ["kk", "ru"]), guide)
    cleared = imported(engine, tmp_path / "c.yaml", HEAD + CASE + "    letters: {}\n")
    assert cleared.changed == {"x": ["letter_address", "letters_reach", "letter_langs"]}
    assert stored(engine) == ((None, None, []), guide)


def test_a_hand_written_csv_imports_letters_and_guide(engine: Engine, tmp_path: Path) -> None:
    text = CSV_HEAD + "case,x,,,Box 12,no,ug,\nname,x,en,X,,,,\nletter_guide,,,,,,,Пишите.\n"
    report = imported(engine, tmp_path / "a.csv", text)
    assert report.added == ["x"] and report.guides_changed == ["ru"]
    assert stored(engine) == (("Box 12", False, ["ug"]), {"ru": "Пишите."})
    assert imported(engine, tmp_path / "a.csv", text).nothing_changed


@pytest.mark.parametrize(
    ("suffix", "bad"),
    [
        (".yaml", FILE.replace("[kk, ru]", "[kk, Russian]")),
        (".yaml", FILE.replace("reach: true", "reach: perhaps")),
        (".yaml", FILE.replace("en: Write briefly.", f"de: {'x' * 10}")),
        (
            ".csv",
            CSV_HEAD + 'letter_guide,,,,,,,Пишите.\ncase,x,,,Box,no,"ru,RU",\nname,x,en,X,,,,\n',
        ),
    ],
)
def test_a_file_with_one_bad_letter_field_changes_nothing(
    engine: Engine, tmp_path: Path, suffix: str, bad: str
) -> None:
    imported(engine, tmp_path / "good.yaml", FILE.replace("Write briefly.", "Before."))
    error = import_text(engine, tmp_path / f"bad{suffix}", bad)
    assert error.count == 1, error.problems
    assert stored(engine)[1]["en"] == "Before."


def test_a_list_of_a_hundred_thousand_languages_is_one_capped_report() -> None:
    problems = problems_of(HEAD + CASE + "    letters:\n      langs: [" + "ru, " * 100_000 + "]\n")
    assert problems[0] == "line 6: letter language 'ru' appears twice"
    assert problems[-1] == "… and 99899 more problems"


# --------------------------------------------------------------------------- round trip

VARIANTS = f"""{HEAD}letter_guide: {{kk: "'=Жазыңыз", en: "Line one,\\nline two"}}
cases:
  - slug: a
    names: [{{lang: en, text: A}}]
    letters: {{address: "=12 Abay street\\nAlmaty"}}
  - slug: b
    names: [{{lang: en, text: B}}]
    letters: {{reach: false}}
  - slug: c
    names: [{{lang: en, text: C}}]
    letters: {{langs: [zh, "no", ug], reach: unknown}}
  - slug: d
    names: [{{lang: en, text: D}}]
"""


def test_every_shape_of_letter_details_survives_yaml_json_and_csv() -> None:
    data = parse_case_file(VARIANTS)
    expected = [
        LettersSpec("=12 Abay street\nAlmaty", None, []),
        LettersSpec(None, False, []),
        LettersSpec(None, None, ["zh", "no", "ug"]),
        None,
    ]
    assert [case.letters for case in data.cases] == expected
    assert data.letter_guide == {"kk": "'=Жазыңыз", "en": "Line one,\nline two"}
    for again in (
        parse_case_file(dump_case_file(data)),
        parse_case_file(dump_case_json(data)),
        parse_csv(write_csv(data)),
    ):
        assert [case.letters for case in again.cases] == expected
        assert again.letter_guide == data.letter_guide
