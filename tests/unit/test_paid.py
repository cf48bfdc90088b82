"""The paid-broadcast policy without Telegram: which sends are paid, the daily cap, the day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from jobs.paid import PaidBroadcasts, is_urgent_alert
from jobs.ratelimit import SendGate
from settings import SettingsError, load_settings
from storage.outbox import DeliveryWork

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def work(urgent: bool = False, kind: str = "status", **payload: str) -> DeliveryWork:
    return DeliveryWork(
        id=1, chat_id=5, chat_type="private", lang="en", telegram_lang="en", case_id=1,
        kind=kind, payload=dict(payload), urgent=urgent, attempts=0, due_at=NOW,
    )  # fmt: skip


class Frozen:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def policy(mode: str, budget: int, told: list[int] | None = None) -> PaidBroadcasts:
    clock = Frozen()
    return PaidBroadcasts(
        mode=mode,
        budget_stars=budget,
        free_gate=SendGate(30, clock=clock),
        rate=1000,
        clock=lambda: NOW,
        on_exhausted=(lambda: told.append(1)) if told is not None else None,
    )


def test_a_free_slot_goes_unflagged_and_the_rest_is_paid() -> None:
    paid = policy("urgent", 10)
    urgent = work(urgent=True)
    flags = asyncio.run(_admit_all(paid, [urgent] * 4))
    assert flags == [False, True, True, True]  # the free gate's one slot, then paid ones
    assert paid.spent_tenths == 3


async def _admit_all(paid: PaidBroadcasts, works: list[DeliveryWork]) -> list[bool]:
    return [await paid.admit(item) for item in works]


def test_only_urgent_alerts_are_covered_in_urgent_mode() -> None:
    paid = policy("urgent", 10)
    assert paid.covers(work(urgent=True))
    assert paid.covers(work(dimension="custody", new="detained"))
    assert paid.covers(work(dimension="custody", new="released"))
    assert not paid.covers(work(dimension="proceedings", new="trial"))
    assert not paid.covers(work(kind="hearing_reminder"))
    assert policy("all", 10).covers(work(kind="hearing_reminder"))
    assert not policy("off", 10).covers(work(urgent=True))
    assert is_urgent_alert(work(urgent=True))


def test_the_cap_is_told_once_and_resets_the_next_day() -> None:
    told: list[int] = []
    paid = policy("all", 1, told)
    for _ in range(10):
        assert paid._reserve()
    assert told == [1] and paid.exhausted and paid.rate == 30
    assert not paid._reserve()
    assert told == [1]
    paid.clock = lambda: NOW + timedelta(days=1)
    assert not paid.exhausted and paid.rate == 1000
    assert paid._reserve() and paid.spent_tenths == 1


def test_the_balance_caps_the_budget() -> None:
    paid = policy("all", 100)
    paid.balance_tenths = 3
    assert [paid._reserve() for _ in range(4)] == [True, True, True, False]
    assert paid.summary()["exhausted"] is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CASEBOT_RATE": "31"}, "CASEBOT_RATE=31 is above Telegram's free limit of 30"),
        (
            {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "urgent"},
            "CASEBOT_PAID_BUDGET is 0 Stars a day",
        ),
        ({"CASEBOT_PAID_BROADCAST": "sometimes"}, "must be off, urgent or all"),
        ({"CASEBOT_PAID_BUDGET": "-1"}, "CASEBOT_PAID_BUDGET must be a whole number"),
    ],
)
def test_bad_paid_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, env_file=None)
    assert any(message in problem for problem in caught.value.problems)


def test_paid_settings_are_read() -> None:
    settings = load_settings(
        {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "Urgent", "CASEBOT_PAID_BUDGET": "500"},
        env_file=None,
    )
    assert (settings.rate, settings.free_rate) == (1000, 30)
    assert (settings.paid_broadcast, settings.paid_budget) == ("urgent", 500)
