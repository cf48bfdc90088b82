"""The organizers' command syntax, without Telegram: strict, with multi-word cases."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.syntax import (
    UsageError,
    parse_addevent,
    parse_addname,
    parse_organizer,
    parse_sethearing,
    parse_setsentence,
    parse_setstatus,
    parse_translate,
)


def test_sethearing_multiword_case_court_and_city() -> None:
    args = parse_sethearing("Qaster Musakhanuly 2025-03-04 10:00 Zaysan district court, Zaysan")
    assert args.case == "Qaster Musakhanuly"
    assert (args.day, args.at) == (date(2025, 3, 4), time(10, 0))
    assert (args.court, args.city) == ("Zaysan district court", "Zaysan")
    bare = parse_sethearing("2 2025-3-4 9:05")
    assert (bare.case, bare.day, bare.at, bare.court, bare.city) == (
        "2",
        date(2025, 3, 4),
        time(9, 5),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "missing_case"),
        ("Alimuly", "missing_date"),
        ("2025-03-04 10:00", "missing_case"),
        ("Alimuly 2025-02-30 10:00", "bad_date"),
        ("Alimuly 2025-03-04 25:99", "bad_time"),
        ("Alimuly 2025-03-04", "missing_time"),
        ("Alimuly 2025-03-04 noon", "bad_time"),
        ("Alimuly 04.03.2025 10:00", "bad_date"),
    ],
)
def test_sethearing_errors(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_sethearing(text)
    assert caught.value.problem == problem


def test_setstatus() -> None:
    args = parse_setstatus("Murager Alimuly deportation_ordered Court ruled today")
    assert (args.case, args.dimension, args.key, args.note) == (
        "Murager Alimuly",
        "risk",
        "deportation_ordered",
        "Court ruled today",
    )
    assert parse_setstatus("3 RELEASED").key == "released"
    for text, problem in (
        ("", "missing_case"),
        ("Alimuly", "missing_key"),
        ("Alimuly flying", "bad_key"),
        ("released", "missing_case"),
    ):
        with pytest.raises(UsageError) as caught:
            parse_setstatus(text)
        assert caught.value.problem == problem
    with pytest.raises(UsageError):
        parse_setstatus("Alimuly free " + "x" * 1001)


def test_addevent_precision_and_source() -> None:
    args = parse_addevent("Sayragul Sauytbay 2019-06 Left for Sweden https://example.org/x")
    assert (args.case, args.day, args.precision) == ("Sayragul Sauytbay", date(2019, 6, 1), "month")
    assert (args.text, args.source_url) == ("Left for Sweden", "https://example.org/x")
    assert parse_addevent("1 2018 Crossed the border").precision == "year"
    assert parse_addevent("1 2020-01-21 Verdict").precision == "day"
    for text, problem in (
        ("1 2020-13 x", "bad_date"),
        ("1 2020-02-30 x", "bad_date"),
        ("1 2020-05", "missing_text"),
        ("Alimuly text only", "missing_date"),
    ):
        with pytest.raises(UsageError) as caught:
            parse_addevent(text)
        assert caught.value.problem == problem


def test_setsentence() -> None:
    args = parse_setsentence("Alimuly term=1y ratio=2 detained=2019-10-18 verdict=2020-01-21")
    assert args.values == {
        "sentence_months": 12,
        "sentence_days": 0,
        "credit_ratio": 2.0,
        "detained_on": date(2019, 10, 18),
        "verdict_on": date(2020, 1, 21),
    }
    assert parse_setsentence("1 release=none suspended=yes").values == {
        "release_on": None,
        "suspended": True,
    }
    assert parse_setsentence("1 ratio=1,5").values == {"credit_ratio": 1.5}
    for text, problem in (
        ("Alimuly", "nothing_to_set"),
        ("1 term=x", "bad_term"),
        ("1 ratio=3", "bad_ratio"),
        ("1 colour=red", "bad_field"),
        ("1 verdict=2020-02-30", "bad_date"),
        ("term=1y", "missing_case"),
    ):
        with pytest.raises(UsageError) as caught:
            parse_setsentence(text)
        assert caught.value.problem == problem


def test_addname_organizer_translate() -> None:
    assert parse_addname("Qaster Musakhanuly alias Kaster Musakhan") == (
        parse_addname("Qaster Musakhanuly ALIAS Kaster Musakhan")
    )
    args = parse_addname("2 kk Қастер Мұсаханұлы")
    assert (args.case, args.lang, args.name) == ("2", "kk", "Қастер Мұсаханұлы")
    assert parse_organizer("add 123") == (True, 123)
    assert parse_organizer("REMOVE 5") == (False, 5)
    assert parse_translate("#12 en Released") == (12, "en", "Released")
    for parse, text in (
        (parse_addname, "2 de Name"),
        (parse_addname, "2 kk"),
        (parse_organizer, "add"),
        (parse_organizer, "add x"),
        (parse_translate, "x en t"),
        (parse_translate, "1 de t"),
        (parse_translate, "1 en"),
    ):
        with pytest.raises(UsageError):
            parse(text)
