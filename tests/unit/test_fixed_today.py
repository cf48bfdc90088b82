"""Day counts on cards and in alerts, seen from three fixed "today"s.

The counts end in 1, 2 and 5, the three Russian plural forms (день, дня, дней), so a
renderer or a catalog that picks the wrong form fails here whatever the real date is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from messages import translator
from messages.alerts import render_release_reminder
from messages.card import render_card
from storage.database.engine import session_scope
from storage.domain.sentence import estimate_for
from storage.reads.cases import get_case_view
from tests.factories import add_case, sentenced

RELEASE = date(2026, 7, 6)  # a release ahead of the three "today"s of the alert test

PAST = [  # (today, days since 2020-07-15)
    (date(2026, 6, 15), 2161),
    (date(2026, 6, 16), 2162),
    (date(2026, 6, 19), 2165),
]
AGO = {
    "ru": {2161: "2161 день назад", 2162: "2162 дня назад", 2165: "2165 дней назад"},
    "kk": {2161: "2161 күн бұрын", 2162: "2162 күн бұрын", 2165: "2165 күн бұрын"},
    "en": {2161: "2161 days ago", 2162: "2162 days ago", 2165: "2165 days ago"},
}
AHEAD = {
    "ru": {21: "через 21 день", 22: "через 22 дня", 25: "через 25 дней"},
    "kk": {21: "21 күннен кейін", 22: "22 күннен кейін", 25: "25 күннен кейін"},
    "en": {21: "in 21 days", 22: "in 22 days", 25: "in 25 days"},
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize(("today", "days"), PAST)
def test_card_counts_days_since_the_expected_release(
    engine: Engine, lang: str, today: date, days: int
) -> None:
    with session_scope(engine) as session:
        # One year, each day held before the verdict counted as two: out on 2020-07-15.
        terms = sentenced(date(2019, 10, 18), date(2020, 1, 21), 12, ratio=2)
        case = add_case(session, slug="murager-alimuly", custody="imprisoned", **terms)
        assert case.id is not None
        now = datetime(today.year, today.month, today.day, 6, 0, tzinfo=UTC)
        view = get_case_view(session, case_id=case.id, now=now)
    assert view is not None
    estimate = estimate_for(view)
    assert estimate is not None and estimate.release_on == date(2020, 7, 15)
    view = replace(view, custody="released")  # held, a past release is not counted in days
    card = render_card(translator(lang), view, estimate=estimate, today=today)
    assert AGO[lang][days] in card


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("days", [21, 22, 25])
def test_release_reminder_counts_days_ahead(lang: str, days: int) -> None:
    today = date.fromordinal(RELEASE.toordinal() - days)
    text = render_release_reminder(
        translator(lang), "Murager Alimuly", RELEASE, stated=False, today=today
    )
    assert AHEAD[lang][days] in text
