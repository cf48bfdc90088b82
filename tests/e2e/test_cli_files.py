"""`casebot import` and `casebot export` as an operator runs them, on awkward files."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.files.importer import SAMPLE_FILE
from tests.e2e.test_cli import clean_env, run_casebot

pytestmark = pytest.mark.slow


def test_import_of_invalid_yaml_names_line_column_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: casebot-cases/1\ncases\n  - slug: x\n", encoding="utf-8")
    result = run_casebot("import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "was not imported (1 problem); nothing changed" in result.stderr
    assert "  line 3, column 9: could not find expected ':'" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_refuses_a_file_over_the_cap_and_checks_the_setting(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CASEBOT_IMPORT_MAX_BYTES="16K")
    refused = run_casebot("import", str(SAMPLE_FILE), cwd=tmp_path, env=env)
    assert refused.returncode == 1, refused.stderr
    assert "more than the 16 KiB a case file may be" in refused.stderr
    assert "CASEBOT_IMPORT_MAX_BYTES=16384" in refused.stderr
    bad = run_casebot(
        "import",
        str(SAMPLE_FILE),
        cwd=tmp_path,
        env=clean_env(tmp_path, CASEBOT_IMPORT_MAX_BYTES="lots"),
    )
    assert (
        bad.returncode == 2 and "CASEBOT_IMPORT_MAX_BYTES" in bad.stderr and "'lots'" in bad.stderr
    )


def test_export_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    run_casebot("import", str(SAMPLE_FILE), cwd=tmp_path, env=env, check=True)
    target = tmp_path / "cases.csv"
    target.write_text("an earlier export, still needed\n", encoding="utf-8")
    refused = run_casebot("export", str(target), cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert f"casebot export: {target} exists; add --force to overwrite it" in refused.stderr
    assert target.read_text(encoding="utf-8") == "an earlier export, still needed\n"
    forced = run_casebot("export", str(target), "--force", cwd=tmp_path, env=env)
    assert forced.returncode == 0, forced.stderr
    assert "Exported 5 cases" in forced.stdout
    assert target.read_text(encoding="utf-8-sig").startswith("record,case,")


LETTERS_FILE = """\
format: casebot-cases/1
letter_guide: {ru: "Пишите коротко, о семье.", en: "Write briefly, about family."}
cases:
  - slug: x
    names: [{lang: en, text: X Person}]
    letters: {address: "Box 12, Almaty", reach: false, langs: [kk, ru]}
"""


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_letters_survive_export_and_import_into_another_database(
    tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / "letters.yaml"
    source.write_text(LETTERS_FILE, encoding="utf-8")
    first, second = clean_env(tmp_path / "one"), clean_env(tmp_path / "two")
    loaded = run_casebot("import", str(source), cwd=tmp_path, env=first, check=True)
    assert "letter guide: ru, en" in loaded.stdout
    export = tmp_path / f"export{suffix}"
    run_casebot("export", str(export), cwd=tmp_path, env=first, check=True)
    text = export.read_text(encoding="utf-8-sig")
    assert "Box 12, Almaty" in text and "Write briefly, about family." in text
    run_casebot("import", str(export), cwd=tmp_path, env=second, check=True)
    again = tmp_path / f"again{suffix}"
    run_casebot("export", str(again), cwd=tmp_path, env=second, check=True)
    assert again.read_bytes() == export.read_bytes()
    same = run_casebot("import", str(source), cwd=tmp_path, env=second, check=True)
    assert "No change: all 1 cases are already up to date." in same.stdout
