"""Name search: every script and common spelling of five people (tests/people.py, the
people of the shipped samples), among look-alikes; ties between namesakes, queries that
find nothing, case numbers and slugs, and hostile queries. Changes to the index and
loading it from the database are in test_search_changes.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from storage.domain.search import CLOSE, TIE_MARGIN, IndexedCase, Match, SearchIndex, SearchResult
from tests.unit.searchdata import (
    ID,
    SAMPLES,
    VARIANTS,
    lookalike_cases,
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    """The five sample people among 300 look-alikes."""
    return SearchIndex([*SAMPLES, *lookalike_cases(300)])


@pytest.fixture(scope="module")
def big_index() -> SearchIndex:
    """The five sample people among 10,000 look-alikes."""
    return SearchIndex([*SAMPLES, *lookalike_cases(10_000, seed=7)])


# ------------------------------------------------------------ spelling variants


def test_there_are_at_least_thirty_variants() -> None:
    assert len(VARIANTS) >= 30
    assert {slug for _, slug in VARIANTS} == set(ID)


@pytest.mark.parametrize(("query", "slug"), VARIANTS)
def test_variant_finds_the_person(index: SearchIndex, query: str, slug: str) -> None:
    result = index.search(query)
    assert result.best is not None, (query, result)
    assert result.best.case_id == ID[slug], (query, result)
    assert not result.ambiguous
    assert CLOSE <= result.best.score <= 100


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Sautbay", "sayragul-sauytbay"),
        ("Кастер Мусаханулы", "qaster-musakhanuly"),
        ("Alimuly Murager", "murager-alimuly"),
        ("Tabarikul", "tilek-tabarikuly"),
        ("Akan", "qaisha-aqan"),
        ("Сауытбай", "sayragul-sauytbay"),
        ("Musakhauly", "qaster-musakhanuly"),
    ],
)
def test_ten_thousand_lookalikes_still_find_the_people(
    big_index: SearchIndex, query: str, slug: str
) -> None:
    assert len(big_index) == 10_005
    result = big_index.search(query)
    assert result.best is not None, (query, result)
    assert result.best.case_id == ID[slug]


def test_matched_name_is_in_the_query_script(index: SearchIndex) -> None:
    latin = index.search("Sauytbay").best
    cyrillic = index.search("Сауытбай").best
    assert latin is not None and cyrillic is not None
    assert latin.matched == "Sayragul Sauytbay"
    assert cyrillic.matched == "Сайрагүл Сауытбай"
    alias = index.search("Sautbay").best
    assert alias is not None and alias.matched == "Sayragul Sautbay"


def test_exact_name_scores_100(index: SearchIndex) -> None:
    best = index.search("Qaster Musakhanuly").best
    assert best == Match(ID["qaster-musakhanuly"], 100.0, "Qaster Musakhanuly")


def test_one_result_per_case(index: SearchIndex) -> None:
    # the query matches three names (kk, ru, en) and an alias of the same case
    result = index.search("Sayragul")
    assert [match.case_id for match in result.matches].count(ID["sayragul-sauytbay"]) == 1
    ids = [match.case_id for match in result.matches]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Sayragul S", "sayragul-sauytbay"),  # an initial
        ("S. Sauytbay", "sayragul-sauytbay"),
        ("Aqan Aqan Aqan Aqan Aqan Aqan", "qaisha-aqan"),  # no word weighs enough to gate
        ("Free Sayragul Sauytbay", "sayragul-sauytbay"),
    ],
)
def test_queries_with_extra_words(index: SearchIndex, query: str, slug: str) -> None:
    best = index.search(query).best
    assert best is not None, query
    assert best.case_id == ID[slug]


def test_an_unrelated_long_word_keeps_the_query_from_guessing(index: SearchIndex) -> None:
    # every query word counts: a name that explains only half the query is not close
    assert index.search("Murat Zhukeevich Tulegenov").empty


def test_matches_are_best_first_and_within_limit(index: SearchIndex) -> None:
    result = index.search("Aidos", limit=3)
    assert len(result.matches) <= 3
    scores = [match.score for match in result.matches]
    assert scores == sorted(scores, reverse=True)


# ------------------------------------------------------------------------ ties


@pytest.fixture
def namesakes() -> SearchIndex:
    """The samples plus two men sharing a surname."""
    return SearchIndex(
        [
            *SAMPLES,
            IndexedCase(21, "aidos-serikuly", ("Aidos Serikuly", "Айдос Серікұлы")),
            IndexedCase(22, "aidar-serikuly", ("Aidar Serikuly", "Айдар Серікұлы")),
        ]
    )


@pytest.mark.parametrize("query", ["Serikuly", "Серікұлы", "Серикулы", "Serikuli", "Serykuly"])
def test_shared_surname_is_ambiguous_and_lists_both(namesakes: SearchIndex, query: str) -> None:
    result = namesakes.search(query)
    assert result.ambiguous
    assert result.best is None
    assert {match.case_id for match in result.matches} == {21, 22}
    assert result.matches[0].score - result.matches[1].score <= TIE_MARGIN


@pytest.mark.parametrize(
    ("query", "case_id"),
    [("Aidos Serikuly", 21), ("Айдар Серікұлы", 22), ("Serikuly Aidos", 21), ("Aidos", 21)],
)
def test_full_name_of_a_namesake_is_confident(
    namesakes: SearchIndex, query: str, case_id: int
) -> None:
    result = namesakes.search(query)
    assert not result.ambiguous
    assert result.best is not None and result.best.case_id == case_id


def test_same_name_twice_is_ambiguous() -> None:
    index = SearchIndex(
        [IndexedCase(1, "a", ("Nurlan Bolatov",)), IndexedCase(2, "b", ("Нұрлан Болатов",))]
    )
    result = index.search("Nurlan Bolatov")
    assert result.ambiguous and result.best is None
    assert [match.case_id for match in result.matches] == [1, 2]


def test_shared_surname_among_lookalikes_is_ambiguous(index: SearchIndex) -> None:
    surnames = Counter(case.names[0].split()[1] for case in lookalike_cases(300))
    surname, count = surnames.most_common(1)[0]
    assert count >= 3
    result = index.search(surname)
    assert result.ambiguous, surname
    assert len(result.matches) == min(count, 8)
    assert all(match.score == 100.0 for match in result.matches)


def test_people_sharing_no_name_are_not_confused(index: SearchIndex) -> None:
    murager = index.search("Murager Alimuly")
    qaster = index.search("Qaster Musakhanuly")
    assert murager.best is not None and qaster.best is not None
    assert murager.best.case_id != qaster.best.case_id
    assert all(match.case_id != ID["qaster-musakhanuly"] for match in murager.matches)


# --------------------------------------------------------------- nothing close


@pytest.mark.parametrize(
    "query", ["Zhukeev", "Жүкеев", "Smith", "John Smith", "qwzxv", "Xinjiang", "Wladimir Putin"]
)
def test_nothing_close_is_empty(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert result.empty, result
    assert result.best is None
    assert not result.ambiguous


def test_random_letters_find_nothing(index: SearchIndex) -> None:
    rng = random.Random(11)
    for _ in range(200):
        query = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 12)))
        assert index.search(query).empty, query


def test_one_letter_finds_nothing(index: SearchIndex) -> None:
    for query in ["s", "A", "Қ", "x"]:
        assert index.search(query).empty, query


def test_two_letters_list_only_prefix_matches(index: SearchIndex) -> None:
    result = index.search("Ta", limit=8)
    assert len(result.matches) <= 8
    for match in result.matches:
        assert any(word.lower().startswith("ta") for word in match.matched.split()), match
    assert index.search("Qz").empty


# ------------------------------------------------------------- number and slug


@pytest.mark.parametrize("query", ["3", "#3", "No 3", "№3", "№ 3", " #3 ", "no. 3", "N3"])
def test_case_number(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert result.matches == (Match(3, 100.0, "Тілек Табарикұлы"),)
    assert result.best == result.matches[0]


@pytest.mark.parametrize("slug", sorted(ID))
def test_slug(index: SearchIndex, slug: str) -> None:
    result = index.search(slug)
    assert len(result.matches) == 1
    assert result.best is not None
    assert result.best.case_id == ID[slug]
    assert result.best.score == 100.0


@pytest.mark.parametrize("query", ["999", "#0", "№ 123456789012345", "No 77"])
def test_unknown_case_number_is_empty(index: SearchIndex, query: str) -> None:
    assert index.search(query).empty


def test_misspelt_slug_is_searched_as_a_name(index: SearchIndex) -> None:
    best = index.search("murager-alimuli").best
    assert best is not None and best.case_id == ID["murager-alimuly"]


# ----------------------------------------------------------- hostile queries


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\n\t",
        "🙂",
        "🙂🙂🙂 🇰🇿",
        "!!!",
        "...?",
        "<b></b>",
        "<script>alert(1)</script>",
        "&amp;&lt;&gt;",
        "مرحبا",
        "שלום עולם",
        "\u202e\u202d",
        "\x00\x01",
        "漢字",
        "-",
        "#",
        "№",
    ],
)
def test_queries_with_nothing_searchable_are_empty(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert result.empty, (query, result)


@pytest.mark.parametrize(
    "query",
    [
        "<b>Sauytbay</b>",
        "<a href='x'>Сауытбай</a>",
        "مرحبا Sauytbay",
        "🙂 Sauytbay 🙂",
        "\u202eSauytbay",
        "Sauytbay&nbsp;",
    ],
)
def test_name_inside_noise_is_found(index: SearchIndex, query: str) -> None:
    best = index.search(query).best
    assert best is not None, query
    assert best.case_id == ID["sayragul-sauytbay"]


def test_long_queries_never_raise(index: SearchIndex) -> None:
    rng = random.Random(5)
    alphabet = "abcxyzқұәабв <>&;#№🙂مرحبا\u202e\u0301-'"
    queries = [
        "x" * 5000,
        "Sauytbay " * 600,
        "<" * 5000,
        "🙂" * 5000,
        "مرحبا" * 1000,
        "".join(rng.choice(alphabet) for _ in range(5000)),
        "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(5000)),
    ]
    for query in queries:
        result = index.search(query)
        assert isinstance(result, SearchResult)
        assert len(result.matches) <= 8
    best = index.search("Sauytbay " * 600).best
    assert best is not None and best.case_id == ID["sayragul-sauytbay"]


def test_empty_result_properties() -> None:
    result = SearchResult()
    assert result.empty and result.best is None and not result.ambiguous


def test_empty_index() -> None:
    index = SearchIndex()
    assert len(index) == 0
    assert index.search("Sauytbay").empty
    assert index.search("1").empty
    assert index.search("Sa").empty
