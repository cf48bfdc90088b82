"""Alert texts that must survive notification previews and screen readers: a moved or
cancelled hearing said in words (no strikethrough), and a correction that says what is
true now, in the three languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from messages import translator
from messages.alerts import current_state, render_correction, render_hearing_alert
from storage.payloads import HearingAlert, HearingMoved, HearingTime

OLD_AT = HearingTime(datetime(2030, 5, 10, 5, tzinfo=UTC), "Asia/Almaty")
NEW_AT = HearingTime(datetime(2030, 5, 12, 10, tzinfo=UTC), "Asia/Almaty")
OLD = HearingAlert(hearing_id=1, version=1, at=OLD_AT)
MOVED = HearingMoved(hearing_id=1, version=2, at=NEW_AT, was=OLD_AT)
TODAY = date(2030, 5, 1)
WORDS = {"en": ("Was:", "Now:"), "ru": ("Было:", "Теперь:"), "kk": ("Бұрын:", "Енді:")}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_moved_hearing_says_was_and_now_in_words(lang: str) -> None:
    text = render_hearing_alert(translator(lang), "X", "hearing_moved", MOVED, today=TODAY)
    was, now = WORDS[lang]
    assert "<s>" not in text
    assert text.index(was) < text.index(now)
    assert "10:00" in text.split(was)[1].split(now)[0]  # the old time after "was"
    assert "15:00" in text.split(now)[1]  # 10:00 UTC is 15:00 in Almaty


def test_a_cancelled_hearing_names_its_time_in_words() -> None:
    text = render_hearing_alert(translator("en"), "X", "hearing_cancelled", OLD, today=TODAY)
    assert "<s>" not in text and "It was set for: May 10, 2030, 10:00 (UTC+5)" in text


@pytest.mark.parametrize(
    ("of", "kwargs", "expected"),
    [
        ("status", {"dimension": "custody", "status": "imprisoned"}, "Custody is still: in prison"),
        ("hearing_set", {}, "No hearing is scheduled."),
        ("hearing_moved", {"hearing": "May 10, 2030"}, "The next hearing is still: May 10, 2030"),
        ("release_changed", {"release": date(2020, 7, 15)}, "still: July 15, 2020"),
        ("release_changed", {}, "No release date is known."),
    ],
)
def test_a_correction_says_what_is_true_now(
    of: str, kwargs: dict[str, object], expected: str
) -> None:
    t = translator("en")
    values: dict[str, object] = {
        "dimension": None,
        "status": None,
        "hearing": None,
        "release": None,
    }
    values.update(kwargs)
    current = current_state(t, of, **values)  # type: ignore[arg-type]
    text = render_correction(t, "Murager Alimuly", current)
    assert "sent by mistake" in text and expected in text
