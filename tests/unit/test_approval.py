"""Two-person approval without Telegram: which alerts need it, and its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import SettingsError
from storage.payloads import StatusAlert
from storage.usecases.approval import is_urgent, needs_approval
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("mode", "urgent", "audience", "needed"),
    [
        ("urgent", True, 1, True), ("urgent", False, 1000, False), ("urgent", False, 1001, True),
        ("all", False, 0, True), ("off", True, 5000, False), ("single", True, 5000, False),
    ],
)  # fmt: skip
def test_which_alerts_need_approval(mode: str, urgent: bool, audience: int, needed: bool) -> None:
    assert needs_approval(mode, urgent=urgent, audience=audience, over=1000) is needed


def test_urgent_is_a_rising_deportation_risk() -> None:
    ordered = StatusAlert("risk", "deportation_threat", "deportation_ordered")
    assert is_urgent("status", ordered)
    assert not is_urgent("status", StatusAlert("risk", None, "deportation_blocked"))
    assert not is_urgent("hearing_set", ordered)
    assert not is_urgent("status", {"dimension": "risk", "new": "deportation_ordered"})


def test_approval_settings(tmp_path: Path) -> None:
    default = make_settings(tmp_path)
    assert (default.approval, default.approval_over) == ("urgent", 1000)
    chosen = make_settings(tmp_path, CASEBOT_APPROVAL="ALL", CASEBOT_APPROVAL_OVER="50")
    assert (chosen.approval, chosen.approval_over) == ("all", 50)
    with pytest.raises(SettingsError, match="CASEBOT_APPROVAL must be"):
        make_settings(tmp_path, CASEBOT_APPROVAL="sometimes")
    with pytest.raises(SettingsError, match="CASEBOT_APPROVAL_OVER"):
        make_settings(tmp_path, CASEBOT_APPROVAL_OVER="many")
