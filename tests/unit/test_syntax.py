"""The organizers' command syntax, without Telegram: strict, with multi-word cases."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.syntax import (
    OrganizerArgs,
    UsageError,
    after_today,
    future_sentence_date,
    parse_addevent,
    parse_addname,
    parse_day,
    parse_organizer,
    parse_partial_day,
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
        ("Alimuly 04/03/2025 10:00", "bad_date"),
        ("Alimuly 31.02.2025 10:00", "bad_date"),
        ("Alimuly 4.3.25 10:00", "bad_date"),
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
        ("1 2020-13 x", "bad_partial_date"),
        ("1 2020-02-30 x", "bad_partial_date"),
        ("1 13.2020 x", "bad_partial_date"),
        ("1 30.02.2020 x", "bad_partial_date"),
        ("1 0000 x", "bad_partial_date"),
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
    assert parse_organizer("add 123") == OrganizerArgs("add", 123)
    assert parse_organizer("REMOVE 5") == OrganizerArgs("remove", 5)
    assert parse_organizer("list") == OrganizerArgs("list")
    assert parse_translate("#12 en Released") == (12, "en", "Released")
    for parse, text in (
        (parse_addname, "2 de Name"),
        (parse_addname, "2 kk"),
        (parse_organizer, "add"),
        (parse_organizer, "add x"),
        (parse_organizer, "list 5"),
        (parse_translate, "x en t"),
        (parse_translate, "1 de t"),
        (parse_translate, "1 en"),
    ):
        with pytest.raises(UsageError):
            parse(text)


@pytest.mark.parametrize(
    ("token", "day"),
    [
        ("20.12.2026", date(2026, 12, 20)),
        ("2.3.2021", date(2021, 3, 2)),
        ("2026-12-20", date(2026, 12, 20)),
        ("2026-1-5", date(2026, 1, 5)),
    ],
)
def test_full_dates_day_first_or_iso(token: str, day: date) -> None:
    assert parse_day(token) == day
    assert parse_sethearing(f"Alimuly {token} 10:00").day == day
    assert parse_setsentence(f"1 verdict={token}").values == {"verdict_on": day}


@pytest.mark.parametrize(
    ("token", "day", "precision"),
    [
        ("20.12.2026", date(2026, 12, 20), "day"),
        ("05.2020", date(2020, 5, 1), "month"),
        ("5.2020", date(2020, 5, 1), "month"),
        ("2020-05", date(2020, 5, 1), "month"),
        ("2018", date(2018, 1, 1), "year"),
    ],
)
def test_event_dates_at_their_precision(token: str, day: date, precision: str) -> None:
    assert parse_partial_day(token) == (day, precision)
    args = parse_addevent(f"Qaisha Aqan {token} Detained")
    assert (args.case, args.day, args.precision) == ("Qaisha Aqan", day, precision)


@pytest.mark.parametrize("token", ["31.02.2026", "20/12/2026", "2026.12.20", "12.26", "1.1.1.2026"])
def test_impossible_or_unknown_dates(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_day(token)
    assert caught.value.problem == "bad_date"


def test_what_lies_after_today() -> None:
    today = date(2026, 6, 19)
    assert after_today(date(2026, 6, 20), "day", today)
    assert not after_today(today, "day", today)
    assert not after_today(date(2026, 6, 1), "month", today)  # this month
    assert after_today(date(2026, 7, 1), "month", today)
    assert not after_today(date(2026, 1, 1), "year", today)
    assert after_today(date(2027, 1, 1), "year", today)
    values = {"verdict_on": date(2027, 1, 1), "release_on": date(2028, 1, 1)}
    assert future_sentence_date(values, today) == ("verdict_on", date(2027, 1, 1))
    assert future_sentence_date({"release_on": date(2028, 1, 1)}, today) is None
    assert future_sentence_date({"detained_on": date(2026, 6, 20)}, today) == (
        "detained_on",
        date(2026, 6, 20),
    )
