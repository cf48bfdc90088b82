"""Languages: complete catalogs, plural rules, CLDR dates, and who reads which language."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from messages import SUPPORTED_LANGUAGES, language_from_telegram, resolve_language, translator
from messages.catalogs import extract_catalog, problems, read_catalog
from messages.texts import command_menu, help_text, start_text


def test_every_message_is_translated_in_every_language() -> None:
    found = list(problems())
    assert found == [], "\n".join(found)


def test_the_code_has_messages_to_translate() -> None:
    # Guards the check above: an extraction that found nothing would pass vacuously.
    assert len([message for message in extract_catalog() if message.id]) >= 30


def test_catalog_translations_differ_from_english() -> None:
    for lang in ("kk", "ru"):
        catalog = read_catalog(lang)
        same = [m.id for m in catalog if m.id and m.string == m.id]
        assert same == [], f"{lang} has English left in: {same}"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "делом"), (2, "делами"), (5, "делами"), (21, "делом"), (11, "делами")],
)
def test_russian_plural_forms(count: int, expected: str) -> None:
    text = start_text(translator("ru"), case_count=count, can_search=False)
    assert f"{count} {expected}" in text


def test_russian_catalog_has_three_plural_forms_and_kazakh_two() -> None:
    assert read_catalog("ru").num_plurals == 3
    assert read_catalog("kk").num_plurals == 2


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("kk", "2020\u202fж. 21 қаңтар"),
        ("ru", "21 января 2020\u202fг."),
        ("en", "January 21, 2020"),
    ],
)
def test_dates_come_from_cldr(lang: str, expected: str) -> None:
    assert translator(lang).format_date(date(2020, 1, 21)) == expected


def test_hearing_time_is_shown_in_the_courts_zone_with_the_offset_of_its_day() -> None:
    t = translator("en")
    # 10:00 in Zaysan: UTC+6 in January 2020, UTC+5 after March 2024.
    assert t.format_local(datetime(2020, 1, 21, 4, 0, tzinfo=UTC), "Asia/Almaty")[1] == "10:00"
    assert t.format_local(datetime(2025, 1, 21, 5, 0, tzinfo=UTC), "Asia/Almaty")[1] == "10:00"


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("kk", "kk"),
        ("kk-KZ", "kk"),
        ("ru", "ru"),
        ("uk", "ru"),
        ("be", "ru"),
        ("en", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
        ("zh-hans", "en"),
    ],
)
def test_language_from_telegram(code: str | None, lang: str) -> None:
    assert language_from_telegram(code) == lang


def test_a_choice_wins_over_telegram() -> None:
    assert resolve_language("kk", "ru") == "kk"
    assert resolve_language(None, "ru") == "ru"
    assert resolve_language("xx", "ru") == "ru"


def test_menus_and_help_differ_per_language() -> None:
    available = frozenset({"help", "language"})
    menus = {lang: tuple(command_menu(translator(lang), available)) for lang in SUPPORTED_LANGUAGES}
    assert len(set(menus.values())) == 3
    assert all(len(menu) == 2 for menu in menus.values())
    helps = {
        help_text(translator(lang), organizer=False, available=available)
        for lang in SUPPORTED_LANGUAGES
    }
    assert len(helps) == 3


def _literal_messages(path: Path) -> set[str]:
    """Every string literal passed to gettext/ngettext/N_ in a file, f-strings included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        first = node.args[0]
        if (
            name in ("gettext", "ngettext", "N_")
            and isinstance(first, ast.Constant)
            and (isinstance(first.value, str))
        ):
            found.add(first.value)
    return found


def test_no_message_hides_where_the_extractor_cannot_see_it() -> None:
    # Babel does not look inside f-strings: a gettext call there would go untranslated.
    root = Path(__file__).resolve().parents[2]
    files = [
        root / "bot.py",
        *[p for d in ("handlers", "jobs", "messages") for p in (root / d).rglob("*.py")],
    ]
    literals = set().union(*(_literal_messages(path) for path in files))
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract_catalog() if m.id}
    assert literals - extracted == set()
