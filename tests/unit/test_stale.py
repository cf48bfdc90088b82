"""Stale cases without Telegram: the digest's week, and CASEBOT_STALE_AFTER."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import jobs.stale as stale_module
from jobs.stale import digest_week, plan_digest
from settings import SettingsError
from storage.database.engine import session_scope
from storage.reads.stale import list_stale
from tests.conftest import make_settings
from tests.factories import add_case


@pytest.mark.parametrize(
    ("instant", "week"),
    [
        (datetime(2030, 6, 3, 3, 59, tzinfo=UTC), None),  # Monday 08:59 in Almaty
        (datetime(2030, 6, 3, 4, 0, tzinfo=UTC), "2030-W23"),  # Monday 09:00
        (datetime(2030, 6, 9, 18, 59, tzinfo=UTC), "2030-W23"),  # Sunday 23:59
        (datetime(2030, 6, 9, 19, 0, tzinfo=UTC), None),  # Monday 00:00: not yet W24
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), "2026-W53"),
    ],
)
def test_digest_week(instant: datetime, week: str | None) -> None:
    assert digest_week(instant, "Asia/Almaty") == week


def test_stale_after_setting(tmp_path: Path) -> None:
    assert make_settings(tmp_path).stale_after == timedelta(days=90)
    assert make_settings(tmp_path, CASEBOT_STALE_AFTER="30d").stale_after == timedelta(days=30)
    assert make_settings(tmp_path, CASEBOT_STALE_AFTER="2w").stale_after == timedelta(days=14)
    for bad in ("soon", "30d,60d", "0d"):
        with pytest.raises(SettingsError, match="CASEBOT_STALE_AFTER"):
            make_settings(tmp_path, CASEBOT_STALE_AFTER=bad)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The instants at which the digest planner read every case for stale ones."""
    seen: list[datetime] = []

    def counted(session: Session, **kwargs: Any) -> Any:
        seen.append(kwargs["now"])
        return list_stale(session, **kwargs)

    monkeypatch.setattr(stale_module, "list_stale", counted)
    return seen


def plan(engine: Engine, now: datetime) -> int:
    with session_scope(engine) as session:
        return plan_digest(
            session, now=now, zone="Asia/Almaty", admins=[900], stale_after=timedelta(days=90)
        )


MONDAY = datetime(2030, 6, 3, 4, 0, tzinfo=UTC)  # 09:00 in Almaty


def test_the_digest_reads_the_cases_once_a_week_not_every_minute(
    engine: Engine, lookups: list[datetime]
) -> None:
    assert plan(engine, MONDAY - timedelta(days=14)) == 0  # the first run: no digest yet
    with session_scope(engine) as session:
        add_case(session, confirmed_on=date(2029, 1, 1))  # unconfirmed for over 90 days
    assert plan(engine, MONDAY) == 1  # the admin's digest
    lookups.clear()
    for minute in range(1, 120):
        assert plan(engine, MONDAY + timedelta(minutes=minute)) == 0
    assert lookups == []  # this week's digest is written: no case is read again
    assert plan(engine, MONDAY + timedelta(days=7)) == 1  # next week's


def test_a_week_with_nothing_stale_is_looked_at_again_hourly(
    engine: Engine, lookups: list[datetime]
) -> None:
    plan(engine, MONDAY - timedelta(days=14))
    lookups.clear()
    for minute in range(0, 121):
        assert plan(engine, MONDAY + timedelta(minutes=minute)) == 0
    assert lookups == [MONDAY, MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2)]
