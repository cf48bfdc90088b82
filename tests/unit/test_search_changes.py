"""Name search as the index changes: upserts of new names, slugs and cases, removals,
churn and compaction, searches while another thread changes the index, duplicate ids
and names without letters in the constructor, and the index loaded from the database.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from storage.database.engine import session_scope
from storage.domain.search import IndexedCase, Match, SearchIndex, load_index
from tests.people import add_people
from tests.unit.searchdata import ID, SAMPLES, VARIANTS, lookalike_cases

# --------------------------------------------------------------------- changes


def test_upsert_of_a_new_alias_makes_it_findable() -> None:
    index = SearchIndex([*SAMPLES, *lookalike_cases(300)])
    assert index.search("Zhomartbek Tlepbergen").empty
    old = next(case for case in SAMPLES if case.slug == "tilek-tabarikuly")
    index.upsert(IndexedCase(old.case_id, old.slug, (*old.names, "Zhomartbek Tlepbergen")))
    best = index.search("Tlepbergen").best
    assert best is not None and best.case_id == old.case_id
    assert best.matched == "Zhomartbek Tlepbergen"
    best = index.search("Tilek").best  # the old names are kept
    assert best is not None and best.case_id == old.case_id
    assert len(index) == 305


def test_upsert_replaces_names_and_slug() -> None:
    index = SearchIndex(SAMPLES)
    index.upsert(IndexedCase(3, "tilek-t", ("Tilek Tabarikuly",)))
    assert index.search("Тілек Табарикұлы").best is not None  # same key as the Latin name
    index.upsert(IndexedCase(3, "tilek-t2", ("Nurzhan Kenzhebek",)))
    assert index.search("Tabarikuly").empty
    assert index.search("tilek-tabarikuly").empty  # neither the old slug nor the old names
    assert index.search("tilek-t").empty
    best = index.search("tilek-t2").best
    assert best is not None and best.case_id == 3 and best.score == 100.0
    best = index.search("Kenzhebek").best
    assert best is not None and best.case_id == 3


def test_upsert_of_a_new_case() -> None:
    index = SearchIndex(SAMPLES)
    index.upsert(IndexedCase(40, "asqar-ospan", ("Асқар Оспан",)))
    assert len(index) == 6
    best = index.search("Askar Ospan").best
    assert best is not None and best.case_id == 40
    assert index.search("#40").best == Match(40, 100.0, "Асқар Оспан")


def test_remove_makes_a_case_unfindable() -> None:
    index = SearchIndex([*SAMPLES, *lookalike_cases(300)])
    sayragul = ID["sayragul-sauytbay"]
    index.remove(sayragul)
    assert len(index) == 304
    assert index.search("Sauytbay").empty
    assert index.search("Sayragul Sautbay").empty
    assert index.search(f"#{sayragul}").empty
    assert index.search("sayragul-sauytbay").empty
    index.remove(sayragul)  # twice: nothing happens
    index.remove(123_456)
    best = index.search("Qaster").best
    assert best is not None and best.case_id == ID["qaster-musakhanuly"]


def test_churn_compacts_and_stays_correct() -> None:
    index = SearchIndex(SAMPLES)
    extra = lookalike_cases(1500, seed=3)
    for _round in range(3):
        for case in extra:
            index.upsert(case)
        for case in extra:
            index.remove(case.case_id)
    assert len(index) == 5
    for query, slug in VARIANTS[::5]:
        best = index.search(query).best
        assert best is not None and best.case_id == ID[slug], query
    assert index.search("Serikuly").empty
    index.upsert(IndexedCase(70, "aidos-serikuly", ("Aidos Serikuly",)))
    best = index.search("Serikuly").best
    assert best is not None and best.case_id == 70


def test_searches_while_another_thread_changes_the_index() -> None:
    index = SearchIndex([*SAMPLES, *lookalike_cases(300)])
    extra = lookalike_cases(400, seed=9, start_id=50_000)
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _round in range(3):
                for case in extra:
                    index.upsert(case)
                for case in extra:
                    index.remove(case.case_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=churn)
    thread.start()
    while thread.is_alive():
        best = index.search("Sauytbay").best
        assert best is not None and best.case_id == ID["sayragul-sauytbay"]
        index.search("Aidos Serikuly")
    thread.join()
    assert not errors
    assert len(index) == 305


def test_constructor_keeps_the_last_of_duplicate_ids() -> None:
    index = SearchIndex(
        [IndexedCase(1, "a", ("Nurlan Bolatov",)), IndexedCase(1, "b", ("Asqar Ospan",))]
    )
    assert len(index) == 1
    assert index.search("Bolatov").empty
    best = index.search("Ospan").best
    assert best is not None and best.case_id == 1


def test_names_without_letters_are_ignored() -> None:
    index = SearchIndex([IndexedCase(1, "a", ("🙂", "", "Nurlan Bolatov"))])
    best = index.search("Nurlan").best
    assert best is not None and best.case_id == 1
    assert index.search("🙂").empty


# -------------------------------------------------------------------- database


def test_load_index_from_the_database(engine: Engine) -> None:
    with session_scope(engine) as session:
        ids = add_people(session)
    with session_scope(engine) as session:
        index = load_index(session)
    assert len(index) == 5
    for query, slug in VARIANTS:
        best = index.search(query).best
        assert best is not None, query
        assert best.case_id == ids[slug], query
    for slug, case_id in ids.items():
        best = index.search(f"#{case_id}").best
        assert best is not None and best.case_id == case_id
        best = index.search(slug).best
        assert best is not None and best.case_id == case_id
