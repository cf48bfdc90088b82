"""The transliteration tables, letter by letter and both ways: Kazakh Latin, Arabic, Chinese.

The expected tables are written out here again from the alphabets as published,
not derived from storage.domain.scripts, so that a slip in either shows.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from storage.domain.names import name_key, name_keys
from storage.domain.scripts import arabic, chinese
from storage.domain.scripts.latin import (
    INFORMAL,
    INFORMAL_ALTERNATIVES,
    KAZ_2017,
    KAZ_2018,
    KAZ_2021,
    Scheme,
)

KAZAKH = "аәбвгғдежзийкқлмнңоөпрстуұүфхһчшыі"
"""The letters of Kazakh Cyrillic that the Latin alphabets write (loanword letters aside)."""


def _table(spellings: str) -> dict[str, str]:
    """KAZAKH's letters with their spellings, given in the same order, space-separated."""
    return dict(zip(KAZAKH, spellings.split(), strict=True))


TABLE_2017 = _table("a a' b v g g' d e j z i' i' k q l m n n' o o' p r s t y' u u' f h h c' s' y i")
TABLE_2018 = _table("a á b v g ǵ d e j z ı ı k q l m n ń o ó p r s t ý u ú f h h ch sh y i")
TABLE_2021 = _table("a ä b v g ğ d e j z i i k q l m n ñ o ö p r s t u ū ü f h h ch ş y ı")
TABLE_INFORMAL = _table("a a b v g gh d e zh z i y k q l m n ng o o p r s t u u u f kh h ch sh y i")
SCHEMES: list[tuple[Scheme, dict[str, str]]] = [
    (KAZ_2017, TABLE_2017),
    (KAZ_2018, TABLE_2018),
    (KAZ_2021, TABLE_2021),
    (INFORMAL, TABLE_INFORMAL),
]
SHARED = {"й": "и", "һ": "х"}
"""Letters an alphabet writes like another one (read back as that one)."""


@pytest.mark.parametrize(("scheme", "table"), SCHEMES, ids=lambda value: getattr(value, "name", ""))
def test_cyrillic_to_latin_letter_by_letter(scheme: Scheme, table: dict[str, str]) -> None:
    for cyrillic, latin in table.items():
        assert scheme.to_latin(cyrillic) == latin, (scheme.name, cyrillic)


@pytest.mark.parametrize(
    ("scheme", "table"), SCHEMES[:3], ids=lambda value: getattr(value, "name", "")
)
def test_latin_to_cyrillic_letter_by_letter(scheme: Scheme, table: dict[str, str]) -> None:
    for cyrillic, latin in table.items():
        read = scheme.to_cyrillic(latin)
        assert read == SHARED.get(cyrillic, cyrillic), (scheme.name, latin, read)
        assert name_key(read) == name_key(cyrillic)
        assert name_key(cyrillic) in name_keys(latin), (scheme.name, latin)


def test_informal_latin_reads_to_the_same_key() -> None:
    for cyrillic, latin in TABLE_INFORMAL.items():
        assert name_key("а" + cyrillic + "а") == name_key("a" + latin + "a"), cyrillic
    for cyrillic, spellings in INFORMAL_ALTERNATIVES.items():
        for latin in spellings:
            assert name_key("а" + cyrillic + "а") in name_keys("a" + latin + "a"), latin


@pytest.mark.parametrize(
    ("scheme", "kazakh", "latin"),
    [
        (KAZ_2017, "Сайрагүл Сауытбай", "Sai'ragu'l Say'ytbai'"),
        (KAZ_2017, "Қайша Ақан", "Qai's'a Aqan"),
        (KAZ_2017, "Шыңжаң", "S'yn'jan'"),
        (KAZ_2018, "Сайрагүл Сауытбай", "Saıragúl Saýytbaı"),
        (KAZ_2018, "Тілек Табарикұлы", "Tilek Tabarıkuly"),
        (KAZ_2018, "Шыңжаң", "Shyńjań"),
        (KAZ_2021, "Сайрагүл Сауытбай", "Sairagül Sauytbai"),
        (KAZ_2021, "Мұрагер Әлімұлы", "Mūrager Älımūly"),
        (KAZ_2021, "Ілияс Иманов", "Iliias İmanov"),
        (KAZ_2021, "Шыңжаң", "Şyñjañ"),
        (INFORMAL, "Қастер Мұсаханұлы", "Qaster Musakhanuly"),
    ],
)
def test_names_both_ways(scheme: Scheme, kazakh: str, latin: str) -> None:
    assert scheme.to_latin(kazakh) == latin
    if scheme is not INFORMAL:
        back = scheme.to_cyrillic(latin)
        assert name_key(back) == name_key(kazakh)
        assert name_key(kazakh) in name_keys(latin)


def test_2021_capitals_keep_i_and_dotless_i_apart() -> None:
    assert KAZ_2021.to_latin("И") == "İ" and KAZ_2021.to_latin("І") == "I"
    assert KAZ_2021.to_cyrillic("İ") == "и" and KAZ_2021.to_cyrillic("I") == "і"
    assert KAZ_2021.to_cyrillic("Çoqan") == "чоқан"  # the Turkish ç is read too


def test_loanword_letters_are_written_by_each_alphabets_rules() -> None:
    assert KAZ_2018.to_latin("щ") == "shch" and KAZ_2018.to_cyrillic("shch") == "щ"
    assert KAZ_2017.to_latin("я") == "i'a" and KAZ_2017.to_cyrillic("i'a") == "я"
    assert KAZ_2021.to_latin("ю") == "iu"
    for scheme, _ in SCHEMES:
        assert scheme.to_latin("ъь") == ""


@pytest.mark.parametrize(
    ("text", "means"),
    [
        ("Saýytbaı", "Сауытбай"),  # 2018: ý is у (informally ý would be ы)
        ("Qai's'a", "Қайша"),  # 2017: s' is ш (the apostrophe is no separator)
        ("Qaişa", "Қайша"),  # 2021: ş is ш
        ("Tabarıkūlı", "Табарикұлы"),  # ı is і in 2021, и in 2018, ы informally: one key
        ("Sawytbay", "Сауытбай"),  # informal w for у
        ("Wladimir", "Владимир"),  # and w for в
    ],
)
def test_a_letter_with_several_meanings_is_read_every_way(text: str, means: str) -> None:
    assert name_key(means) in name_keys(text)


def test_readings_are_only_tried_for_texts_with_their_marks() -> None:
    assert name_keys("Sayragul Sauytbay") == ("sairagul sauitbai",)
    assert name_keys("Сайрагүл Сауытбай") == ("sairagul sauitbai",)
    assert len(name_keys("Saýytbaı")) == 2
    assert name_keys("") == () and name_keys("🙂") == ()


# ---------------------------------------------------------------------- Arabic

ARABIC_LETTERS = {
    "ا": "а", "ٵ": "ә", "ب": "б", "ۆ": "в", "گ": "г", "ع": "ғ", "د": "д", "ە": "е",
    "ج": "ж", "ز": "з", "ك": "к", "ق": "қ", "ل": "л", "م": "м", "ن": "н", "ڭ": "ң",
    "و": "о", "ٶ": "ө", "پ": "п", "ر": "р", "س": "с", "ت": "т", "ۋ": "у", "ۇ": "ұ",
    "ٷ": "ү", "ف": "ф", "ح": "х", "ھ": "һ", "چ": "ч", "ش": "ш", "ى": "ы", "ٸ": "і",
}  # fmt: skip
"""The Kazakh Arabic alphabet of Xinjiang, each letter as it reads in a back-vowel word."""


@pytest.mark.parametrize(("letter", "cyrillic"), sorted(ARABIC_LETTERS.items()))
def test_arabic_letter(letter: str, cyrillic: str) -> None:
    assert arabic.to_cyrillic(letter) == cyrillic
    assert arabic.to_cyrillic("ب" + letter + "ت") == "б" + cyrillic + "т"


@pytest.mark.parametrize(
    ("word", "cyrillic"),
    [
        ("ٴا", "ә"),
        ("ٴو", "ө"),
        ("ٴۇ", "ү"),
        ("ٴى", "і"),
        ("ٴالى", "әлі"),  # the hamza makes every vowel of the word front
        ("ٴومىر", "өмір"),
        ("ءومىر", "өмір"),  # the Arabic hamza ء, typed for ٴ
        ("الى", "алы"),  # without it: back
        ("ٴتىلەك", "тілек"),
        ("اي", "ай"),  # ي after a vowel is й
        ("بي", "би"),  # otherwise и
        ("يا", "иа"),
        ("مُرَاگَر", "мрагр"),  # short vowel signs are dropped
        ("قـاسـتەر", "қастер"),  # and the tatweel
    ],
)
def test_arabic_words(word: str, cyrillic: str) -> None:
    assert arabic.to_cyrillic(word) == cyrillic


def test_arabic_keyboard_letters_read_as_their_kazakh_letter() -> None:
    assert arabic.to_cyrillic("غ") == "ғ"  # Arabic ghain for ع
    assert arabic.to_cyrillic("ه") == "е"  # Arabic heh for ە
    assert arabic.to_cyrillic("ک") == "к"  # Persian keheh for ك
    assert arabic.to_cyrillic("ی") == "и"  # Persian yeh for ي


@pytest.mark.parametrize(
    "kazakh",
    [
        "мұрагер әлімұлы",
        "қастер мұсаханұлы",
        "тілек табарикұлы",
        "қайша ақан",
        "сайрагүл сауытбай",
        "өмір",
        "әлі",
        "шыңжаң",
    ],
)
def test_cyrillic_to_arabic_and_back(kazakh: str) -> None:
    written = arabic.from_cyrillic(kazakh)
    assert arabic.has_arabic(written) and not any("а" <= char <= "я" for char in written)
    assert arabic.to_cyrillic(written) == kazakh
    assert name_key(written) == name_key(kazakh)


def test_cyrillic_letters_to_arabic() -> None:
    for letter, cyrillic in ARABIC_LETTERS.items():
        expected = letter
        assert arabic.from_cyrillic("т" + cyrillic + "т").replace("ٴ", "") in (
            "ت" + expected + "ت",
            "ت" + {"ٵ": "ا", "ٶ": "و", "ٷ": "ۇ", "ٸ": "ى"}.get(expected, expected) + "ت",
        ), cyrillic
    assert arabic.from_cyrillic("әлі") == "ٴالى"  # all front: one hamza, plain letters
    assert arabic.from_cyrillic("әлімұлы") == "ٵلٸمۇلى"  # mixed: the hamza letters


def test_arabic_in_a_mixed_text_is_read_in_place() -> None:
    assert arabic.to_cyrillic("Murager مۇراگەر 2019") == "Murager мұрагер 2019"
    assert not arabic.has_arabic("Мұрагер Murager")


# --------------------------------------------------------------------- Chinese


@pytest.mark.parametrize(
    "spelling",
    [
        "木拉格尔·阿里木",
        "木拉格尔•阿里木",
        "木拉格尔・阿里木",
        "木拉格尔.阿里木",
        "木拉格尔 阿里木",
        "木拉格爾‧阿里木",
    ],
)
def test_chinese_name_separators_and_traditional_characters(spelling: str) -> None:
    assert name_key(spelling) == "mulager alimu"


def test_chinese_keys() -> None:
    assert chinese.has_han("木拉格尔") and not chinese.has_han("Murager")
    assert name_key("木拉格尔阿里木") == "mulageralimu"
    assert name_key("哈斯铁尔·木沙汗") == "hasitier mushahan"
    assert name_key("特列克·塔巴拉克") == "telieke tabalake"
    assert name_key("Mùlāgéěr Ālǐmù") == name_key("mu4la1ge2er3 a1li3mu4") == "mulager alimu"
    assert chinese.without_han("木拉格尔 Alimuly") == " Alimuly"


def test_pypinyin_is_loaded_only_for_chinese_text() -> None:
    code = (
        "import sys, storage.domain.search, storage.domain.names as n; n.name_key('Murager');"
        "assert 'pypinyin' not in sys.modules; n.name_key('木'); assert 'pypinyin' in sys.modules;"
        "from pypinyin import constants; assert not constants.PHRASES_DICT"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
