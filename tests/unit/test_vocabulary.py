"""The one vocabulary is complete: every status and dimension has a label in all three
catalogs, every language a catalog, plural rules and a name order, and every alert kind
a renderer. Adding a status, an alert kind or a language without the rest fails here."""

from __future__ import annotations

import pytest

from jobs.render import SEND_TIME_KINDS
from messages import SUPPORTED_LANGUAGES, translator
from messages.alerts import CHANGE_ALERTS
from messages.catalogs import PLURAL_COUNTS, read_catalog
from messages.common import LANGUAGE_MARKS, NAME_ORDER, TEXT_ORDER
from storage import vocabulary as v


@pytest.mark.parametrize("lang", v.LANGUAGES)
def test_every_status_and_dimension_label_is_translated(lang: str) -> None:
    catalog = read_catalog(lang)
    labels = [d.label for d in v.DIMENSIONS] + [s.label for d in v.DIMENSIONS for s in d.statuses]
    for label in labels:
        message = catalog.get(label)
        assert message is not None and message.string, f"{lang}: {label!r} has no translation"
        if lang != "en":
            assert message.string != label, f"{lang}: {label!r} is left in English"


def test_keys_are_unique_across_dimensions() -> None:
    keys = [status.key for d in v.DIMENSIONS for status in d.statuses]
    assert len(keys) == len(set(keys)) == len(v.KEY_TO_DIMENSION)


@pytest.mark.parametrize("lang", v.LANGUAGES)
def test_every_language_has_a_catalog_plurals_and_orders(lang: str) -> None:
    assert lang in SUPPORTED_LANGUAGES
    assert translator(lang).lang == lang
    assert read_catalog(lang).num_plurals == PLURAL_COUNTS[lang]
    assert set(NAME_ORDER[lang]) >= set(v.NAME_LANGUAGES)
    assert set(TEXT_ORDER[lang]) == set(v.LANGUAGES)
    assert lang in LANGUAGE_MARKS


def test_every_alert_kind_has_a_renderer() -> None:
    assert set(v.AlertKind) == set(CHANGE_ALERTS) | set(SEND_TIME_KINDS)
    assert not set(CHANGE_ALERTS) & set(SEND_TIME_KINDS)


def test_urgency_and_custody_come_from_the_statuses() -> None:
    assert {"deportation_threat", "deportation_ordered"} == v.URGENT_RISKS
    assert {"detained", "house_arrest", "imprisoned"} == v.HELD
