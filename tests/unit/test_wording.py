"""Corrected wording stays corrected: catalog terms, status values and the sample texts."""

from __future__ import annotations

import re
from datetime import date

import pytest

from messages import translator
from messages.catalogs import read_catalog
from messages.common import DIMENSION_LABELS, STATUS_LABELS, partial_date
from storage.files.casefile import CaseSpec, parse_case_file
from storage.files.importer import SAMPLE_FILE

DERIVED = {"en": "derived", "ru": "вычислен", "kk": "есептеп шығарылған"}


def sample(slug: str) -> CaseSpec:
    cases = parse_case_file(SAMPLE_FILE.read_text(encoding="utf-8")).cases
    return next(case for case in cases if case.slug == slug)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_status_values_do_not_repeat_their_labels(lang: str) -> None:
    t = translator(lang)
    for dimension, labels in STATUS_LABELS.items():
        label = t.gettext(DIMENSION_LABELS[dimension]).lower()
        for key, message in labels.items():
            assert label not in t.gettext(message).lower(), (dimension, key)


@pytest.mark.parametrize(
    ("lang", "message", "expected"),
    [
        ("kk", "asylum-seeker", "пана іздеуші"),
        ("ru", "asylum-seeker", "лицо, ищущее убежища"),
        ("kk", "refugee", "босқын"),
        ("ru", "refugee", "беженец"),
        ("kk", "no protection status", "жоқ"),
        ("ru", "no protection status", "нет"),
        ("ru", "no known risk of deportation", "сведений об угрозе депортации нет"),
        ("kk", "Sentence:", "Жаза:"),
        ("kk", "Create a case", "Жаңа іс қосу"),
        ("kk", "failed", "жеткізілмеді"),
        ("ru", "failed", "не доставлено"),
        (
            "kk",
            "%(name)s may be released on %(date)s",
            "%(name)s: болжамды босатылу күні — %(date)s",
        ),
        ("kk", "User %(id)d is now an organizer.", "%(id)d нөмірлі пайдаланушы"),
    ],
)
def test_corrected_translations(lang: str, message: str, expected: str) -> None:
    assert translator(lang).gettext(message).startswith(expected)


def test_kazakh_uses_one_term_for_asylum_seeker_and_for_a_cancelled_hearing() -> None:
    texts = [m.string for m in read_catalog("kk") if m.id and isinstance(m.string, str)]
    assert not [text for text in texts if "баспана іздеуші" in text]
    t = translator("kk")
    for message in (
        "%(name)s: the hearing is cancelled",
        "hearing cancelled",
        "Cancel the next hearing",
        "Remove the next hearing",
    ):
        assert "өтпейді" in t.gettext(message), message


@pytest.mark.parametrize(
    ("lang", "expected"), [("kk", "2019\u202fж."), ("ru", "2019\u202fг."), ("en", "2019")]
)
def test_a_year_only_date_is_marked_like_the_month_dates(lang: str, expected: str) -> None:
    assert partial_date(translator(lang), date(2019, 1, 1), "year") == expected


@pytest.mark.parametrize("slug", ["murager-alimuly", "qaster-musakhanuly"])
def test_derived_dates_say_so_in_every_language(slug: str) -> None:
    case = sample(slug)
    derived_days = {date(2019, 10, 8), date(2019, 10, 18), date(2020, 1, 21)}
    events = [event for event in case.timeline if event.day in derived_days]
    assert {event.day for event in events} == derived_days
    hearing = next(h for h in case.hearings if h.day == date(2020, 1, 21))
    for lang, marker in DERIVED.items():
        for event in events:
            assert marker in event.text[lang], (lang, event.day)
        assert marker in case.summary[lang], lang
        assert marker in hearing.note[lang], lang
    assert case.sentence is not None
    assert (case.sentence.detained, case.sentence.verdict) == (
        date(2019, 10, 18),
        date(2020, 1, 21),
    )


@pytest.mark.parametrize("slug", ["murager-alimuly", "qaster-musakhanuly"])
def test_sample_texts_keep_to_what_the_articles_say(slug: str) -> None:
    case = sample(slug)
    for text in case.summary.values():  # ages as of a year, not baked in
        assert not re.search(r"\d+-year-old|\d+-летн|\d+ жастағы", text)
    texts = [event.text["en"] for event in case.timeline]
    assert not [text for text in texts if "until the verdict" in text]
    assert not [text for text in texts if "about five months" in text]
    assert not [text for text in texts if text.startswith("By their account")]
    fines = next(event for event in case.timeline if "disobeying the police" in event.text["en"])
    assert fines.precision == "month"  # the articles do not date the fines
    for wanted in ("passports", "anthem", "admitted their guilt", "aggravating", "Zaisan"):
        assert [text for text in texts if wanted in text], wanted
    assert [text for text in texts if "registered their asylum application" in text]
    assert [text for text in texts if "refugee status will be taken up" in text]


def test_aqan_summary_says_what_the_sources_imply_about_deportation() -> None:
    summary = sample("qaisha-aqan").summary
    assert "implies she was not deported" in summary["en"]
    assert "не выдворили" in summary["ru"]
    assert "депортацияланбағанын" in summary["kk"]
