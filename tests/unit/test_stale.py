"""Stale cases without Telegram: the digest's week, and CASEBOT_STALE_AFTER."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.stale import digest_week
from settings import SettingsError
from tests.conftest import make_settings


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
