"""Every script and form of the five sample people's names finds their case.

The table below (also used by benchmarks/search_bench.py) holds spellings a
supporter may have met: Kazakh and Russian Cyrillic, the press's Latin, the
2017, 2018 and 2021 Kazakh Latin alphabets, informal Latin, the Kazakh Arabic
script of Xinjiang, Chinese characters (whole name, either part, any
separator), pinyin with and without tones, Russified surnames and
patronymics, attached or apart. Each must find its person first: as the one
confident answer, or at the head of an honestly tied list; never another case.
"""

from __future__ import annotations

import pytest

from storage.domain.search import IndexedCase, SearchIndex, SearchResult
from tests.unit.searchdata import ID, SAMPLES, lookalike_cases

MURAGER, QASTER, TILEK, QAISHA, SAYRAGUL = (
    "murager-alimuly",
    "qaster-musakhanuly",
    "tilek-tabarikuly",
    "qaisha-aqan",
    "sayragul-sauytbay",
)

SPELLINGS: list[tuple[str, str, str]] = [
    # (query, person, what it is)
    ("Murager A'limuly", MURAGER, "2017"),
    ("Murager Álimuly", MURAGER, "2018"),
    ("Mūrager Älımūly", MURAGER, "2021"),
    ("MŪRAGER ÄLIMŪLY", MURAGER, "2021, capitals"),
    ("Muragher Alimuli", MURAGER, "informal"),
    ("مۇراگەر ٵلٸمۇلى", MURAGER, "Arabic script"),
    ("ٵلٸمۇلى", MURAGER, "Arabic script, surname"),
    ("木拉格尔·阿里木", MURAGER, "Chinese"),
    ("木拉格尔阿里木", MURAGER, "Chinese, no dot"),
    ("木拉格尔 阿里木", MURAGER, "Chinese, space"),
    ("木拉格尔•阿里木", MURAGER, "Chinese, bullet"),
    ("木拉格尔・阿里木", MURAGER, "Chinese, katakana dot"),
    ("木拉格尔.阿里木", MURAGER, "Chinese, full stop"),
    ("木拉格爾·阿里木", MURAGER, "Chinese, traditional 爾"),
    ("木拉格尔", MURAGER, "Chinese, given name"),
    ("阿里木", MURAGER, "Chinese, father's name"),
    ("Mulageer Alimu", MURAGER, "pinyin"),
    ("Mùlāgéěr Ālǐmù", MURAGER, "pinyin, tone marks"),
    ("mu4la1ge2er3 a1li3mu4", MURAGER, "pinyin, tone numbers"),
    ("Alimu", MURAGER, "pinyin, father's name"),
    ("Мурагер Алимов", MURAGER, "Russified"),
    ("Алимов", MURAGER, "Russified surname"),
    ("Alimov", MURAGER, "Russified surname, Latin"),
    ("Murager Alim uly", MURAGER, "patronymic apart"),
    ("Әлім ұлы", MURAGER, "patronymic apart, Cyrillic"),
    ("Alim", MURAGER, "father's name"),
    ("Qaster Musahanuly", QASTER, "2017/2018"),
    ("Qaster Mūsahanūly", QASTER, "2021"),
    ("قاستەر مۇساحانۇلى", QASTER, "Arabic script"),
    ("哈斯铁尔·木沙汗", QASTER, "Chinese"),
    ("哈斯铁尔木沙汗", QASTER, "Chinese, no dot"),
    ("哈斯铁尔", QASTER, "Chinese, given name"),
    ("木沙汗", QASTER, "Chinese, father's name"),
    ("Hasitieer Mushahan", QASTER, "pinyin"),
    ("Hāsītiěěr Mùshāhàn", QASTER, "pinyin, tone marks"),
    ("Кастер Мусаханов", QASTER, "Russified"),
    ("Мусаханов", QASTER, "Russified surname"),
    ("Kaster Musakhanov", QASTER, "Russified, Latin"),
    ("Musakhan", QASTER, "father's name"),
    ("Мұсахан ұлы", QASTER, "patronymic apart"),
    ("Tilek Tabari'kuly", TILEK, "2017"),
    ("Tilek Tabarıkuly", TILEK, "2018"),
    ("Tılek Tabarikūly", TILEK, "2021"),
    ("Tabarıkūlı", TILEK, "informal ı"),
    ("تٸلەك تاباريكۇلى", TILEK, "Arabic script"),
    ("ٴتىلەك", TILEK, "Arabic script, hamza word"),
    ("特列克·塔巴拉克", TILEK, "Chinese"),
    ("特列克塔巴拉克", TILEK, "Chinese, no dot"),
    ("塔巴拉克", TILEK, "Chinese, father's name"),
    ("Tielieke Tabalake", TILEK, "pinyin"),
    ("Тилек Табариков", TILEK, "Russified"),
    ("Tabarik uly", TILEK, "patronymic apart"),
    ("Tabarik", TILEK, "father's name"),
    ("Qai's'a Aqan", QAISHA, "2017"),
    ("Qaısha Aqan", QAISHA, "2018"),
    ("Qaısha", QAISHA, "2018, first name"),
    ("Qaişa Aqan", QAISHA, "2021"),
    ("قايشا اقان", QAISHA, "Arabic script"),
    ("Kaisha Akankyzy", QAISHA, "patronymic"),
    ("Qaisha Aqanqyzy", QAISHA, "patronymic, q"),
    ("Ақанқызы", QAISHA, "patronymic, Cyrillic"),
    ("Akankyzy", QAISHA, "patronymic, Latin"),
    ("Aqan qyzy", QAISHA, "patronymic apart"),
    ("Кайша Аканова", QAISHA, "Russified"),
    ("Аканова", QAISHA, "Russified surname"),
    ("Sai'ragu'l Say'ytbai'", SAYRAGUL, "2017"),
    ("Saıragúl Saýytbaı", SAYRAGUL, "2018"),
    ("Saýytbaı", SAYRAGUL, "2018, surname"),
    ("Saıragúl", SAYRAGUL, "2018, first name"),
    ("Sairagül Sauytbai", SAYRAGUL, "2021"),
    ("Sauıtbai", SAYRAGUL, "informal ı"),
    ("Sawytbay", SAYRAGUL, "informal w"),
    ("سايراگٷل ساۋىتباي", SAYRAGUL, "Arabic script"),
    ("萨拉古·萨吾提拜", SAYRAGUL, "Chinese"),
    ("萨吾提拜", SAYRAGUL, "Chinese, surname"),
    ("Sawutibai", SAYRAGUL, "pinyin, surname"),
    ("Сайрагуль Сауытбаева", SAYRAGUL, "Russified"),
    ("Sauytbayeva", SAYRAGUL, "Russified, Latin"),
]

UNRELATED = ["qwerty", "uly", "Ali", "ұлы", "kyzy", "ov", "Иванов", "Smith", "木", "Lee"]


def _finds_first(result: SearchResult, case_id: int) -> bool:
    """The case is the one confident answer, or heads a list of honest ties."""
    if result.best is not None:
        return result.best.case_id == case_id
    return bool(result.matches) and result.matches[0].case_id == case_id


@pytest.fixture(scope="module")
def samples() -> SearchIndex:
    return SearchIndex(SAMPLES)


@pytest.fixture(scope="module")
def crowd() -> SearchIndex:
    """The samples among 300 look-alikes, less those literally named Aqan-kyzy, -ova, -ov.

    A look-alike called "Aigul Aqanova" is the right answer to "Аканова"; the
    others (Aqanbay, Alimzhan, Musa...) stay, close as they are.
    """
    others = [case for case in lookalike_cases(300) if "Aqan" not in case.names[0].split()[1]]
    return SearchIndex([*SAMPLES, *others])


def test_the_table_is_large_and_covers_everyone() -> None:
    assert len(SPELLINGS) >= 60
    assert {person for _, person, _ in SPELLINGS} == set(ID)
    assert len({query for query, _, _ in SPELLINGS}) == len(SPELLINGS)


@pytest.mark.parametrize(("query", "person", "form"), SPELLINGS)
def test_spelling_finds_the_person(
    samples: SearchIndex, crowd: SearchIndex, query: str, person: str, form: str
) -> None:
    for index in (samples, crowd):
        result = index.search(query)
        assert _finds_first(result, ID[person]), (form, query, result)
        if result.best is None:
            assert result.ambiguous or result.tentative, (form, query, result)
    assert samples.search(query).best is not None, (form, query)  # alone, it is sure


@pytest.mark.parametrize("query", UNRELATED)
def test_unrelated_queries_never_give_a_confident_card(
    samples: SearchIndex, crowd: SearchIndex, query: str
) -> None:
    for index in (samples, crowd):
        result = index.search(query)
        assert result.best is None, (query, result)
        assert result.empty or result.ambiguous or result.tentative


def test_a_lone_three_letter_name_is_listed_not_opened(samples: SearchIndex) -> None:
    result = samples.search("Ali")
    assert result.tentative and result.best is None
    assert [match.case_id for match in result.matches] == [ID[MURAGER]]


def test_exact_patronymic_of_someone_else_wins_over_a_root() -> None:
    index = SearchIndex(
        [
            *SAMPLES,
            IndexedCase(30, "bolat-serik", ("Bolat Serik",)),
            IndexedCase(31, "aidos-bolatuly", ("Aidos Bolatuly",)),
        ]
    )
    best = index.search("Bolatuly").best
    assert best is not None and best.case_id == 31
    best = index.search("Bolat").best
    assert best is not None and best.case_id == 30
    result = index.search("Bolatov")  # both are Bolat's: one by name, one by father
    assert result.ambiguous and {match.case_id for match in result.matches} == {30, 31}
