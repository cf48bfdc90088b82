"""Sentence arithmetic: the Zaysan case and the edges of the calendar."""

from __future__ import annotations

from datetime import date

import pytest

from storage.domain.sentence import ReleaseEstimate, add_months, expected_release


def test_zaysan_case_gives_the_known_date() -> None:
    estimate = expected_release(
        months=12, ratio=2, detained_on=date(2019, 10, 18), verdict_on=date(2020, 1, 21)
    )
    assert estimate == ReleaseEstimate(
        release_on=date(2020, 7, 15),
        stated=False,
        credited_days=190,
        detention_days=95,
        remaining_days=176,
    )


def test_zaysan_detention_is_three_months_three_days_counted_double() -> None:
    # "3 months 3 days of detention counted as 6 months 6 days": 95 days, 190 credited.
    assert add_months(date(2019, 10, 18), 3) + (date(2020, 1, 21) - date(2020, 1, 18)) == date(
        2020, 1, 21
    )
    estimate = expected_release(
        months=12, ratio=2.0, detained_on=date(2019, 10, 18), verdict_on=date(2020, 1, 21)
    )
    assert estimate is not None
    # one year less 190 days after the detention start: about five (5 m 24 d) months left
    verdict = date(2020, 1, 21)
    assert add_months(verdict, 5) < estimate.release_on < add_months(verdict, 6)


def test_ratio_one_releases_on_the_term_end() -> None:
    estimate = expected_release(
        months=12, ratio=1, detained_on=date(2020, 3, 1), verdict_on=date(2020, 5, 1)
    )
    assert estimate is not None
    assert estimate.release_on == date(2021, 3, 1)
    assert estimate.detention_days == estimate.credited_days == 61
    assert estimate.remaining_days == (date(2021, 3, 1) - date(2020, 5, 1)).days


def test_ratio_one_and_a_half_with_an_even_number_of_days() -> None:
    estimate = expected_release(
        months=6, ratio=1.5, detained_on=date(2021, 1, 1), verdict_on=date(2021, 1, 31)
    )
    assert estimate is not None
    assert estimate.detention_days == 30
    assert estimate.credited_days == 45
    # 2021-07-01 less the 15 extra days
    assert estimate.release_on == date(2021, 6, 16)


def test_ratio_one_and_a_half_rounds_a_half_day_up() -> None:
    estimate = expected_release(
        months=6, ratio=1.5, detained_on=date(2021, 1, 1), verdict_on=date(2021, 2, 1)
    )
    assert estimate is not None
    assert estimate.detention_days == 31
    assert estimate.credited_days == 47  # 46.5, rounded in the prisoner's favour
    assert estimate.release_on == date(2021, 7, 1) - (date(2021, 1, 17) - date(2021, 1, 1))
    assert estimate.release_on == date(2021, 6, 15)


def test_ratio_read_back_inexactly_is_still_one_and_a_half() -> None:
    exact = expected_release(
        months=6, ratio=1.5, detained_on=date(2021, 1, 1), verdict_on=date(2021, 1, 31)
    )
    fuzzy = expected_release(
        months=6, ratio=1.4999999999, detained_on=date(2021, 1, 1), verdict_on=date(2021, 1, 31)
    )
    assert exact == fuzzy


def test_detention_starting_on_29_february() -> None:
    estimate = expected_release(
        months=12, ratio=1, detained_on=date(2020, 2, 29), verdict_on=date(2020, 4, 1)
    )
    assert estimate is not None
    assert estimate.release_on == date(2021, 2, 28)


def test_detention_starting_on_29_february_with_a_credit() -> None:
    estimate = expected_release(
        months=12, ratio=2, detained_on=date(2020, 2, 29), verdict_on=date(2020, 3, 10)
    )
    assert estimate is not None
    assert estimate.detention_days == 10
    assert estimate.release_on == date(2021, 2, 18)


def test_term_ending_on_29_february() -> None:
    estimate = expected_release(
        months=6, ratio=1, detained_on=date(2023, 8, 29), verdict_on=date(2023, 10, 2)
    )
    assert estimate is not None
    assert estimate.release_on == date(2024, 2, 29)


def test_31st_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2022, 8, 31), 6) == date(2023, 2, 28)
    assert add_months(date(2023, 1, 31), 3) == date(2023, 4, 30)
    assert add_months(date(2023, 12, 15), 1) == date(2024, 1, 15)
    assert add_months(date(2023, 12, 15), 25) == date(2026, 1, 15)


def test_term_fully_covered_by_detention_releases_on_the_verdict_day() -> None:
    estimate = expected_release(
        months=6, ratio=2, detained_on=date(2019, 10, 18), verdict_on=date(2020, 3, 1)
    )
    assert estimate is not None
    assert estimate.release_on == date(2020, 3, 1)
    assert estimate.remaining_days is None
    assert estimate.detention_days == 135
    assert estimate.credited_days == 270
    assert not estimate.stated


def test_term_ending_exactly_on_the_verdict_day_is_over() -> None:
    # 3 months from 1 January is 1 April; 45 days counted as 90 bring it back to 15 February
    estimate = expected_release(
        months=3, ratio=2, detained_on=date(2021, 1, 1), verdict_on=date(2021, 2, 15)
    )
    assert estimate is not None
    assert estimate.release_on == date(2021, 2, 15)
    assert estimate.remaining_days is None


def test_stated_date_wins() -> None:
    estimate = expected_release(
        months=12,
        ratio=2,
        detained_on=date(2019, 10, 18),
        verdict_on=date(2020, 1, 21),
        stated_release=date(2020, 7, 20),
    )
    assert estimate is not None
    assert estimate.stated
    assert estimate.release_on == date(2020, 7, 20)
    assert estimate.detention_days == 95
    assert estimate.credited_days == 190
    assert estimate.remaining_days == (date(2020, 7, 20) - date(2020, 1, 21)).days


def test_stated_date_alone_is_enough() -> None:
    estimate = expected_release(
        months=6, ratio=None, detained_on=None, verdict_on=None, stated_release=date(2020, 7, 16)
    )
    assert estimate == ReleaseEstimate(
        release_on=date(2020, 7, 16),
        stated=True,
        credited_days=0,
        detention_days=0,
        remaining_days=None,
    )


@pytest.mark.parametrize(
    ("ratio", "detained_on", "verdict_on"),
    [
        (None, date(2019, 10, 18), date(2020, 1, 21)),  # the ratio is never assumed
        (2.0, None, date(2020, 1, 21)),
        (2.0, date(2019, 10, 18), None),
        (None, None, None),
        (2.0, date(2020, 1, 21), date(2019, 10, 18)),  # verdict before detention
        (0.0, date(2019, 10, 18), date(2020, 1, 21)),
    ],
)
def test_missing_or_inconsistent_inputs_give_none(
    ratio: float | None, detained_on: date | None, verdict_on: date | None
) -> None:
    assert (
        expected_release(months=12, ratio=ratio, detained_on=detained_on, verdict_on=verdict_on)
        is None
    )


def test_negative_term_gives_none() -> None:
    assert (
        expected_release(
            months=-1, ratio=1, detained_on=date(2020, 1, 1), verdict_on=date(2020, 2, 1)
        )
        is None
    )


def test_one_year_six_months() -> None:
    estimate = expected_release(
        months=18, ratio=1, detained_on=date(2019, 10, 18), verdict_on=date(2020, 1, 21)
    )
    assert estimate is not None
    assert estimate.release_on == date(2021, 4, 18)


def test_one_year_six_months_counted_double() -> None:
    estimate = expected_release(
        months=18, ratio=2, detained_on=date(2019, 10, 18), verdict_on=date(2020, 1, 21)
    )
    assert estimate is not None
    assert estimate.release_on == date(2021, 4, 18) - (date(2020, 1, 21) - date(2019, 10, 18))
    assert estimate.release_on == date(2021, 1, 13)


def test_six_months_fifteen_days() -> None:
    estimate = expected_release(
        months=6, days=15, ratio=1, detained_on=date(2021, 8, 31), verdict_on=date(2021, 9, 30)
    )
    assert estimate is not None
    # 31 August + 6 months = 28 February 2022, + 15 days = 15 March
    assert estimate.release_on == date(2022, 3, 15)


def test_days_only_term_with_credit() -> None:
    estimate = expected_release(
        months=0, days=90, ratio=1.5, detained_on=date(2022, 1, 1), verdict_on=date(2022, 1, 21)
    )
    assert estimate is not None
    assert estimate.detention_days == 20
    assert estimate.credited_days == 30
    assert estimate.release_on == date(2022, 4, 1) - (date(2022, 1, 11) - date(2022, 1, 1))
    assert estimate.remaining_days == (estimate.release_on - date(2022, 1, 21)).days


def test_detained_on_the_verdict_day_serves_the_whole_term() -> None:
    estimate = expected_release(
        months=12, ratio=2, detained_on=date(2020, 1, 21), verdict_on=date(2020, 1, 21)
    )
    assert estimate is not None
    assert estimate.detention_days == 0
    assert estimate.release_on == date(2021, 1, 21)
    assert estimate.remaining_days == 366
