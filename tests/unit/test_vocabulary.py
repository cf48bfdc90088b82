"""The one vocabulary is complete: every status and dimension has a label in all three
catalogs, every language a catalog, plural rules and a name order, and every alert kind
a renderer. Adding a status, an alert kind or a language without the rest fails here."""

from __future__ import annotations

import pytest

import jobs.planner  # each of these registers its hooks
import jobs.render  # noqa: F401
import storage.usecases.drafts  # noqa: F401
from messages import SUPPORTED_LANGUAGES, translator
from messages.catalogs import PLURAL_COUNTS, read_catalog
from messages.common import LANGUAGE_MARKS, NAME_ORDER, TEXT_ORDER
from storage import alertkinds
from storage import vocabulary as v
from storage.payloads import ALERT_PAYLOADS, DRAFT_PAYLOADS


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


def test_every_alert_kind_has_a_payload_renderer_revert_and_correction() -> None:
    assert alertkinds.missing() == []
    for kind in v.AlertKind:
        spec = alertkinds.spec(kind)
        assert spec.payload is ALERT_PAYLOADS[kind]
        assert spec.render and spec.revert and spec.correction, kind
        assert spec.payload.VERSION >= 1
    planned = {spec.kind for spec in alertkinds.specs() if spec.plan is not None}
    assert planned == {
        v.AlertKind.HEARING_REMINDER,
        v.AlertKind.RELEASE_REMINDER,
        v.AlertKind.ATTEND_NOTE,
    }
    assert planned == {kind for kind, origin in v.ALERT_ORIGINS.items() if origin == "planner"}


def test_a_kind_without_its_hooks_is_missing() -> None:
    class VisitDay:
        VERSION = 1

    alertkinds.define("visit_day_test", VisitDay, "planner")
    try:
        assert set(alertkinds.missing()) == {
            f"visit_day_test: {hook}" for hook in ("render", "correction", "plan")
        }
    finally:
        alertkinds._SPECS.pop("visit_day_test")
        ALERT_PAYLOADS.pop("visit_day_test")


def test_every_draft_kind_has_a_payload_type() -> None:
    for kind in v.DraftKind:
        assert DRAFT_PAYLOADS[kind].VERSION >= 1


def test_urgency_and_custody_come_from_the_statuses() -> None:
    assert {"deportation_threat", "deportation_ordered"} == v.URGENT_RISKS
    assert {"detained", "house_arrest", "imprisoned"} == v.HELD
