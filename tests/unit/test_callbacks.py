"""Callback data: every kind of button round-trips, the formats already in users' chats
keep their meaning, and anything malformed or forged parses to nothing."""

from __future__ import annotations

import pytest

from handlers import callbacks as cb

EXAMPLES: list[cb.Button] = [
    cb.Help(),
    cb.Language("kk"),
    cb.Language("menu"),
    cb.Card(3),
    cb.Timeline(3, 0),
    cb.TimelinePage(3, 2),
    cb.Calendar(5),
    cb.Picture(5),
    cb.Shared("tl", 3, "kk", 2),
    cb.Shared("card", 3, "ru"),
    cb.CaseList("sub", 1),
    cb.Subscribe(4),
    cb.Unsubscribe(4),
    cb.Reminders("day"),
    cb.Forget("yes"),
    cb.DraftAction("send", 12),
    cb.DraftAction("undoyes", 12),
    cb.BroadcastAction("pause", 7),
    cb.BroadcastAction("resume", 999_999_999),
    cb.AuditPage(1, 3),
    cb.Guided("key", 2, "released"),
    cb.Guided("hearing", 2),
    cb.GuidedStart(7),
    cb.Question("yes", 12),
    cb.Question("no", 999_999_999),
    cb.Attend(41, "yes"),
    cb.Attend(999_999_999, "no"),
    cb.AttendListed("yes"),
    cb.AttendListed("no"),
    cb.Letter(3),
    cb.StaleConfirm(7),
    cb.TimelineFollow("on"),
    cb.TimelineFollow("off"),
    cb.Approval("approve", 12),
    cb.Approval("reject", 999_999_999),
]


def test_every_kind_has_an_example() -> None:
    assert {type(button) for button in EXAMPLES} == set(cb.KINDS)


@pytest.mark.parametrize("button", EXAMPLES, ids=lambda button: button.data)
def test_round_trip(button: cb.Button) -> None:
    assert cb.parse(button.data) == button
    assert len(button.data.encode()) <= cb.MAX_DATA_BYTES


@pytest.mark.parametrize(
    ("data", "button"),
    [
        ("help", cb.Help()),
        ("lang:ru", cb.Language("ru")),
        ("card:3", cb.Card(3)),
        ("tl:3:0", cb.Timeline(3, 0)),
        ("tlp:1:2", cb.TimelinePage(1, 2)),
        ("cal:1", cb.Calendar(1)),
        ("list:card:1", cb.CaseList("card", 1)),
        ("sub:2", cb.Subscribe(2)),
        ("unsub:2", cb.Unsubscribe(2)),
        ("rem:none", cb.Reminders("none")),
        ("forget:no", cb.Forget("no")),
        ("draft:cancel:9", cb.DraftAction("cancel", 9)),
        ("audit:1:0", cb.AuditPage(1, 0)),
        ("upd:4", cb.GuidedStart(4)),
    ],
)
def test_the_formats_in_users_chats_keep_their_meaning(data: str, button: cb.Button) -> None:
    assert cb.parse(data) == button


@pytest.mark.parametrize(
    "data",
    [
        "", ":", "card", "card:", "card:x", "card:²", "card:-1", "card:1:2", "card:1234567890",
        "tl:1", "tl:1:2:3", "lang:de", "list:nowhere:0", "forget:maybe", "draft:explode:1",
        "gu:fly:1", "nonsense:1", "help:1", "card:١", "x" * 65, None, 42,
    ],
)  # fmt: skip
def test_malformed_or_forged_data_is_nothing(data: object) -> None:
    assert cb.parse(data) is None


def test_patterns_take_exactly_their_kinds() -> None:
    cards = cb.of(cb.Card, cb.Calendar)
    assert cards("card:1") and cards("cal:2")
    assert not cards("tl:1:0") and not cards("card:x")


def test_a_button_over_64_bytes_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        _ = cb.Reminders("r" * 70).data
