"""Case files built to hurt: each is one clear CaseFileError, quickly, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from settings import SettingsError, load_settings
from storage.database.engine import session_scope
from storage.files.casefile import MAX_PROBLEMS, CaseFileError, parse_case_file
from storage.files.csvfile import parse_csv
from storage.files.filesafety import MAX_FILE_BYTES, Problems
from storage.files.importer import import_file
from storage.files.yamlload import MAX_DEPTH
from tests.unit.test_import import snapshot

TZ = "Asia/Almaty"
HEAD = "format: casebot-cases/1\n"
LONG = "a" * 100_000


def problems_of(text: str) -> list[str]:
    """The problems parsing `text` is refused with (it must be refused)."""
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(text)
    return caught.value.problems


def import_text(
    engine: Engine, path: Path, content: str | bytes, *, max_bytes: int = MAX_FILE_BYTES
) -> CaseFileError:
    """Import `content` from `path`; it must be refused and leave the database as it was."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    before = snapshot(engine)
    with pytest.raises(CaseFileError) as caught, session_scope(engine) as session:
        import_file(session, path, default_tz=TZ, max_bytes=max_bytes)
    assert snapshot(engine) == before
    return caught.value


# --------------------------------------------------------------------------- types


CASE = "cases:\n  - slug: x\n    names: [{lang: en, text: X}]\n"


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        (f"{HEAD}courts: {LONG}\n", "courts", 2),
        (f"{HEAD}sources: {LONG}\n", "sources", 2),
        (f"{HEAD}cases: {LONG}\n", "cases", 2),
        (f"{HEAD}cases:\n  - slug: x\n    names: {LONG}\n", "names", 4),
        (f"{HEAD}{CASE}    hearings: {LONG}\n", "hearings", 5),
        (f"{HEAD}{CASE}    people:\n      {LONG}\n", "people", 5),
        (f"{HEAD}{CASE}    timeline: {LONG}\n", "timeline", 5),
    ],
)
def test_text_where_a_list_belongs_is_one_problem(text: str, field: str, line: int) -> None:
    problems = problems_of(text)
    expected = f"line {line}: {field!r} must be a list, not text"
    assert [p for p in problems if repr(field) in p] == [expected]
    assert len(problems) <= 2, problems  # `names` also leaves the case without names


def test_a_mapping_where_a_list_belongs_is_one_problem() -> None:
    keys = ", ".join(f"k{n}: {n}" for n in range(1000))
    problems = problems_of(f"{HEAD}{CASE}    hearings: {{{keys}}}\n")
    assert problems == ["line 5: 'hearings' must be a list, not a mapping"]


def test_items_that_are_not_mappings_are_named_on_their_own_lines() -> None:
    problems = problems_of(f"{HEAD}{CASE}    people:\n      - lawyer\n      - [1, 2]\n")
    assert problems == [
        "line 6: a person in 'people' must be a mapping, not text",
        "line 7: a person in 'people' must be a mapping, not a list",
    ]


def test_a_list_or_mapping_where_text_belongs_is_one_problem() -> None:
    problems = problems_of(
        f"{HEAD}cases:\n  - slug: [1, 2]\n    names: [{{lang: en, text: {{a: 1}}}}]\n"
    )
    assert problems == [
        "line 3: case slug must be text, not a list",
        "line 3: case '' has no names",
        "line 4: name must be text, not a mapping",
    ]


def test_a_megabyte_of_text_for_names_is_refused_with_one_problem(
    engine: Engine, tmp_path: Path
) -> None:
    text = f"{HEAD}cases:\n  - slug: x\n    names: {'n' * 1_000_000}\n"
    error = import_text(engine, tmp_path / "names.yaml", text)
    assert "line 4: 'names' must be a list, not text" in error.problems
    assert error.count == 2


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_refused_with_its_line(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    [problem] = problems_of(f"{HEAD}cases: {opening * 5000}1{closing * 5000}\n")
    assert problem.startswith("line 2, column ")
    assert problem.endswith(f"lists and mappings nested more than {MAX_DEPTH} deep")


def test_nesting_as_deep_as_allowed_is_read() -> None:
    depth = MAX_DEPTH - 1  # the file's own mapping is one level
    problems = problems_of(f"{HEAD}cases: {'[' * depth}{']' * depth}\n")
    assert all("nested" not in problem for problem in problems)


def test_aliases_that_repeat_without_end_are_refused() -> None:
    text = f"{HEAD}sources:\n  - &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 20):
        text += f"  - &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]\n"
    [problem] = problems_of(text)
    assert "repeat more items than the file holds" in problem and problem.startswith("line ")


def test_an_alias_inside_what_it_stands_for_is_refused() -> None:
    [problem] = problems_of(f"{HEAD}cases:\n  - slug: x\n    names: &a [*a]\n")
    assert problem == "line 4, column 16: alias *a stands for a list or mapping that holds it"


def test_a_few_aliases_still_work() -> None:
    data = parse_case_file(
        f"{HEAD}cases:\n  - slug: x\n    names: [&n {{lang: en, text: X}}]\n"
        "  - slug: y\n    names: [*n]\n"
    )
    assert [case.names for case in data.cases] == [[("en", "X", False)]] * 2


def test_huge_numbers_are_bad_values_not_crashes() -> None:
    case = f"{HEAD}cases:\n  - slug: x\n    names: [{{lang: en, text: X}}]\n    sentence: "
    [long_int] = problems_of(case + "{ratio: 1" + "0" * 5000 + "}\n")
    assert long_int.startswith("line 5: ratio '100") and "is not one of 2, 1.5, 1" in long_int
    [overflow] = problems_of(case + "{ratio: 1" + "0" * 400 + "}\n")
    assert overflow.startswith("line 5: ratio ")


# --------------------------------------------------------------------------- counting


def test_problems_are_capped_and_counted() -> None:
    names = "".join(f"      - {n}\n" for n in range(1000))
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(f"{HEAD}cases:\n  - slug: x\n    names:\n{names}")
    error = caught.value
    assert error.count == 1001  # each item, and the case left with no names
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[0] == "line 3: case 'x' has no names"
    assert error.problems[1] == "line 5: a name in 'names' must be a mapping, not a number"
    assert error.problems[-1] == "… and 901 more problems"


def test_csv_problems_are_capped_and_the_first_lines_kept() -> None:
    text = "record,case\n" + "meeting,x\n" * 500
    with pytest.raises(CaseFileError) as caught:
        parse_csv(text)
    error = caught.value
    assert error.count == 500 and error.problems[-1] == "… and 400 more problems"
    assert [p.split(":")[0] for p in error.problems[:-1]] == [f"line {n}" for n in range(2, 102)]


def test_problems_keep_the_first_by_line_whatever_order_they_come_in() -> None:
    problems = Problems(limit=3)
    for line in (9, 4, 7, 1, 8, 4):
        problems.add(line, f"at {line}")
    assert problems.count == 6
    assert problems.lines() == ["line 1: at 1", "line 4: at 4", "line 4: at 4"]
    assert problems.error().problems[-1] == "… and 3 more problems"
    assert CaseFileError(["line 1: x", "line 2: y"], count=3).problems[-1] == "… and 1 more problem"


# --------------------------------------------------------------------------- size and bytes


def five_long_cases() -> str:
    """A valid case file of five cases whose summaries make it over 4 KiB."""
    summary = "A summary long enough to make the file big. " * 20
    cases = "".join(
        f"  - slug: person-{n}\n"
        f"    names: [{{lang: en, text: Person {n}, primary: true}}]\n"
        f'    summary: {{en: "{summary}"}}\n'
        for n in range(1, 6)
    )
    return f"{HEAD}cases:\n{cases}"


def test_a_file_over_the_size_cap_is_refused_unread(engine: Engine, tmp_path: Path) -> None:
    text = five_long_cases()
    assert len(text.encode()) > 4096
    error = import_text(engine, tmp_path / "big.yaml", text, max_bytes=4096)
    [problem] = error.problems
    assert problem.startswith("big.yaml is ") and "KiB, more than the 4 KiB" in problem
    assert "more than the 4 KiB a case file may be" in problem
    assert "CASEBOT_IMPORT_MAX_BYTES=4096" in problem
    with session_scope(engine) as session:
        assert len(import_file(session, tmp_path / "big.yaml", default_tz=TZ).added) == 5


def test_the_size_cap_setting(tmp_path: Path) -> None:
    assert load_settings({}, env_file=None).import_max_bytes == MAX_FILE_BYTES == 20 << 20
    for raw, size in (("512K", 512 << 10), ("20M", 20 << 20), ("1gib", 1 << 30), ("4096", 4096)):
        settings = load_settings({"CASEBOT_IMPORT_MAX_BYTES": raw}, env_file=None)
        assert settings.import_max_bytes == size, raw
    for bad in ("big", "0", "100", "2G", "1.5M", "-1M"):
        with pytest.raises(SettingsError) as caught:
            load_settings({"CASEBOT_IMPORT_MAX_BYTES": bad}, env_file=None)
        [problem] = caught.value.problems
        assert problem.startswith("CASEBOT_IMPORT_MAX_BYTES must be a size") and bad in problem


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_bytes_that_are_not_utf8_are_refused_with_their_line(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    content = "format: casebot-cases/1\n" if suffix == ".yaml" else "record,case\n"
    raw = content.encode() + "case,Әли".encode() + b"\xff\xfe\n"
    error = import_text(engine, tmp_path / f"latin{suffix}", raw)
    assert error.problems == ["line 2, column 9: byte 0xff is not UTF-8 (save the file as UTF-8)"]


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_a_nul_byte_is_refused_with_its_line(engine: Engine, tmp_path: Path, suffix: str) -> None:
    content = "format: casebot-cases/1\n" if suffix == ".yaml" else "record,case\n"
    error = import_text(engine, tmp_path / f"nul{suffix}", content.encode() + b"case,x\x00\n")
    assert error.problems == ["line 2, column 7: a NUL character (0x00): this is not a text file"]


def test_a_control_character_in_yaml_is_refused_with_its_line() -> None:
    assert problems_of(f"{HEAD}cases: [\x07]\n") == [
        "line 2, column 9: U+0007 is not allowed in YAML (special characters are not allowed)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('record,case\ncase,"x\n', "line 2: not valid CSV (unexpected end of data)"),
        ("record,case\ncase," + "x" * 200_000 + "\n", "line 2: not valid CSV (field larger"),
    ],
)
def test_invalid_csv_is_one_problem_with_its_line(text: str, expected: str) -> None:
    with pytest.raises(CaseFileError) as caught:
        parse_csv(text)
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value


def test_a_csv_header_of_many_columns_is_checked_quickly() -> None:
    header = ",".join(f"c{n}" for n in range(100_000)) + ",c1\n"
    with pytest.raises(CaseFileError) as caught:
        parse_csv(header)
    assert caught.value.count == 100_002  # each unknown column, c1 twice, and no 'record'


# --------------------------------------------------------------------------- YAML syntax


def test_invalid_yaml_is_reported_with_line_column_and_reason() -> None:
    assert problems_of(f"{HEAD}cases\n  - slug: x\n") == [
        "line 3, column 9: could not find expected ':' "
        "(while scanning a simple key at line 2, column 1)"
    ]
    assert problems_of(f"{HEAD}cases:\n\t- slug: x\n") == [
        "line 3, column 1: found character '\\t' that cannot start any token "
        "(while scanning for the next token)"
    ]
    assert problems_of("{unclosed") == [
        "line 1, column 10: expected ',' or '}', but got '<stream end>' "
        "(while parsing a flow mapping at line 1, column 1)"
    ]
