"""Name keys: the same person meets under every script and common spelling."""

from __future__ import annotations

import pytest

from storage.domain.names import name_key, name_words, to_latin, word_root


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


@pytest.mark.parametrize(
    "variants",
    [
        ["Sauıtbai", "Sauytbai", "Сауытбай"],  # the dotless ı is a letter, not a space
        ["Saıragúl", "Сайрагүл"],
        ["Qaısha", "Қайша"],
        ["Tabarıkūlı", "Табарикұлы"],
        ["Мұрагер Әлімұлы", "مۇراگەر ٵلٸمۇلى"],
        ["Murager A’limuly", "Murager A'limuly", "Murager Aʼlimuly"],  # apostrophes of all kinds
    ],
)
def test_new_spellings_share_a_key(variants: list[str]) -> None:
    keys = {name_key(variant) for variant in variants}
    assert len(keys) == 1, keys


def test_pinyin_tone_numbers_are_dropped() -> None:
    assert name_key("Mu4la1ge2er3") == name_key("Mulageer") == "mulager"
    assert name_key("Case 2") == "kase 2"  # a number on its own stays


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("alim uli", ["alimuli"]),
        ("murager alim uli", ["murager", "alimuli"]),
        ("akan kizi", ["akankizi"]),
        ("uli", ["uli"]),
        ("uli alim", ["uli", "alim"]),
        ("sairagul sauitbai", ["sairagul", "sauitbai"]),
    ],
)
def test_a_patronymic_apart_joins_its_word(key: str, words: list[str]) -> None:
    assert name_words(key) == words


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("alimuli", "alim"),
        ("akankizi", "akan"),
        ("musahanov", "musahan"),
        ("akanova", "akan"),
        ("sauitbaieva", "sauitbai"),
        ("alimovikh", "alim"),
        ("aliev", "ali"),
        ("aidos", None),
        ("lev", None),
        ("uli", None),
        ("kizi", None),
    ],
)
def test_word_root(word: str, root: str | None) -> None:
    assert word_root(word) == root


@pytest.mark.parametrize(
    ("name", "root"),
    [("Әлімұлы", "alim"), ("Ақанқызы", "akan"), ("Алимович", "alim"), ("Сауытбаева", "sauitba")],
)
def test_roots_of_cyrillic_names(name: str, root: str) -> None:
    assert word_root(name_key(name)) == root
