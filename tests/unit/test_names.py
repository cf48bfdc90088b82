"""Name keys: the same person meets under every script and common spelling."""

from __future__ import annotations

import pytest

from storage.names import name_key, to_latin


@pytest.mark.parametrize(
    "variants",
    [
        ["Қастер Мұсаханұлы", "Кастер Мусаханулы", "Qaster Musakhanuly", "Kaster Musakhanuly"],
        ["Сайрагүл Сауытбай", "Сайрагуль Сауытбай", "Sayragul Sauytbay", "Sairagul Sauytbay"],
        ["Мұрагер Әлімұлы", "Мурагер Алимулы", "Murager Alimuly"],
        ["Қайша Ақан", "Кайша Акан", "Qaisha Aqan", "Kaisha Akan"],
        ["Зайсан", "Zaysan", "Zaisan"],
        ["Жаркент", "Zharkent", "Jarkent"],
    ],
)
def test_spellings_share_a_key(variants: list[str]) -> None:
    keys = {name_key(variant) for variant in variants}
    assert len(keys) == 1, keys


def test_key_ignores_case_punctuation_and_spacing() -> None:
    assert name_key("  SAUYTBAY,  Sayragul!! ") == name_key("sauytbay sayragul")
    assert name_key("Nagyz Atajurt-Eriktileri") == "nagiz atajurt eriktileri"


def test_every_kazakh_letter_is_transliterated() -> None:
    kazakh = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
    latin = to_latin(kazakh + kazakh.upper())
    assert all(char.isascii() for char in latin)


def test_key_of_symbols_only_is_empty() -> None:
    assert name_key("<<< !!! >>>") == ""
    assert name_key("🙂") == ""
