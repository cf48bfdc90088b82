"""The Mini App's forms read into the chat's draft params (web.miniapp.forms)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.payloads import HearingDraft, StatusDraft
from web.miniapp import forms

NOW = datetime(2026, 6, 19, 6, 0, tzinfo=UTC)


def test_status_note_in_three_languages_keeps_the_readers_as_original() -> None:
    params = forms.status_change(
        {
            "dimension": "custody",
            "key": "released",
            "note": {"kk": " Босады ", "ru": "", "en": "Freed"},
        },
        reader_lang="en",
    )
    assert params == StatusDraft(
        dimension="custody", key="released", note={"kk": "Босады", "en": "Freed"}, note_lang="en"
    )


def test_a_status_of_another_dimension_is_refused() -> None:
    with pytest.raises(forms.FormError) as error:
        forms.status_change({"dimension": "risk", "key": "released"}, reader_lang="en")
    assert error.value.field == "key"


def test_hearing_time_is_read_in_the_courts_zone() -> None:
    court = forms.KnownCourt(3, "Asia/Almaty")
    params = forms.hearing_change(
        {"date": "2026-07-01", "time": "10:30"}, court=court, default_tz="UTC", now=NOW
    )
    assert params == HearingDraft(
        starts_at=datetime(2026, 7, 1, 5, 30, tzinfo=UTC), tz="Asia/Almaty", court_id=3
    )


def test_a_new_court_keeps_its_name_city_and_language() -> None:
    params = forms.hearing_change(
        {"date": "2026-07-01", "time": "10:30", "court": "Зайсан аудандық соты", "city": "Зайсан",
         "tz": "Asia/Almaty"},
        court=None, default_tz="UTC", now=NOW,
    )  # fmt: skip
    assert (params.court, params.city, params.court_lang) == (
        "Зайсан аудандық соты",
        "Зайсан",
        "kk",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-02-30", "time": "10:00"}, "date"),
        ({"date": "2026-07-01", "time": "25:00"}, "time"),
        ({"date": "2026-06-19", "time": "10:00", "tz": "Asia/Almaty"}, "date"),  # passed
        ({"date": "2026-07-01", "time": "10:00", "tz": "Mars/Olympus"}, "tz"),
    ],
)
def test_bad_hearing_fields_are_named(body: dict[str, str], field: str) -> None:
    with pytest.raises(forms.FormError) as error:
        forms.hearing_change(body, court=None, default_tz="Asia/Almaty", now=NOW)
    assert error.value.field == field


def test_sentence_form_replaces_every_field() -> None:
    values = forms.sentence_values(
        {"months": "12", "ratio": "1.5", "detained": "2019-10-18", "suspended": "no"}
    )
    assert values == {
        "sentence_months": 12,
        "sentence_days": None,
        "credit_ratio": 1.5,
        "suspended": False,
        "detained_on": "2019-10-18",
        "verdict_on": None,
        "release_on": None,
    }


def test_event_dates_fold_to_their_precision_and_links_must_be_web_links() -> None:
    event = forms.event_field({"date": "2019-10-18", "precision": "year", "text": {"ru": "Арест"}})
    assert (event.day.isoformat(), event.texts) == ("2019-01-01", {"ru": "Арест"})
    with pytest.raises(forms.FormError):
        forms.event_field({"date": "2019-10-18", "text": {"ru": "x"}, "source_url": "javascript:x"})
    with pytest.raises(forms.FormError):
        forms.event_field({"date": "2019-10-18", "text": {"zh": "x"}})


def test_an_events_basis_is_one_of_the_known_ones_or_none() -> None:
    body = {"date": "2019-10-18", "text": {"ru": "Арест"}}
    assert forms.event_field(body).basis is None
    assert forms.event_field({**body, "basis": ""}).basis is None
    assert forms.event_field({**body, "basis": "court"}).basis == "court"
    with pytest.raises(forms.FormError) as error:
        forms.event_field({**body, "basis": "rumour"})
    assert error.value.field == "basis"


def test_a_corrected_name_is_checked_as_a_new_one_and_its_script_found() -> None:
    assert forms.name_field({"lang": "alias", "text": "  Aqan   Serik "}) == ("alias", "Aqan Serik")
    assert forms.name_field({"text": "Ақан Серікұлы"}) == ("kk", "Ақан Серікұлы")
    assert forms.name_field({"text": "Акан Серикулы"}) == ("ru", "Акан Серикулы")
    assert forms.name_field({"text": "阿坎"}) == ("zh", "阿坎")
    for bad, field in (({"text": ""}, "text"), ({"text": "x" * 201}, "text"),
                       ({"lang": "de", "text": "Aqan"}, "lang")):  # fmt: skip
        with pytest.raises(forms.FormError) as error:
            forms.name_field(bad)
        assert error.value.field == field
