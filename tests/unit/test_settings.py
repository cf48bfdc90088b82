"""Settings: defaults, .env, and one clear message per bad value (never the token)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from settings import SettingsError, format_offset, load_settings, parse_offsets

GOOD_TOKEN = "987654321:AAH-good_token_with_enough_characters_x1"


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None)
    assert settings.token is None
    assert settings.api_url == "https://api.telegram.org"
    assert settings.database_url == "sqlite:///data/casebot.db"
    assert settings.timezone == "Asia/Almaty"
    assert settings.reminders == (timedelta(days=1), timedelta(hours=2))
    assert settings.release_reminders == (timedelta(days=7), timedelta(days=1))
    assert settings.rate == 30
    assert settings.admins == frozenset()


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nCASEBOT_RATE=12\nCASEBOT_ADMINS=1, 2\nUNRELATED=1\n"
    )
    settings = load_settings({"CASEBOT_RATE": "25"}, env_file=env_file)
    assert settings.token == GOOD_TOKEN
    assert settings.rate == 25
    assert settings.admins == frozenset({1, 2})


def test_trailing_slash_is_dropped_from_api_url() -> None:
    settings = load_settings({"TELEGRAM_API_URL": "http://127.0.0.1:8081/"}, env_file=None)
    assert settings.api_url == "http://127.0.0.1:8081"


def test_every_bad_value_is_reported_without_the_token() -> None:
    bad_token = "not-a-token-but-secret-1234567890"
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "TELEGRAM_BOT_TOKEN": bad_token,
                "TELEGRAM_API_URL": "ftp://example",
                "CASEBOT_TIMEZONE": "Mars/Olympus",
                "CASEBOT_REMINDERS": "banana",
                "CASEBOT_RELEASE_REMINDERS": "0d",
                "CASEBOT_RATE": "fast",
                "CASEBOT_ADMINS": "12,bob",
            },
            env_file=None,
        )
    problems = caught.value.problems
    assert len(problems) == 7
    joined = "\n".join(problems)
    assert bad_token not in joined
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "CASEBOT_TIMEZONE",
        "CASEBOT_REMINDERS",
        "CASEBOT_RELEASE_REMINDERS",
        "CASEBOT_RATE",
        "CASEBOT_ADMINS",
    ):
        assert name in joined
    assert "banana" in joined and "Mars/Olympus" in joined


def test_missing_token_explains_botfather_and_chat() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}, env_file=None, require_token=True)
    message = str(caught.value)
    assert "@BotFather" in message and "casebot chat" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d,2h", (timedelta(days=1), timedelta(hours=2))),
        ("30m, 7d ,2h", (timedelta(days=7), timedelta(hours=2), timedelta(minutes=30))),
        ("1W", (timedelta(weeks=1),)),
        ("2h,2h", (timedelta(hours=2),)),
    ],
)
def test_parse_offsets(text: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize("text", ["", "banana", "1", "h", "-1d", "1.5h", "0m", "1d;2h"])
def test_parse_offsets_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_offsets(text)


def test_format_offset_round_trips() -> None:
    for text in ("30m", "2h", "1d", "1w", "90m"):
        assert format_offset(parse_offsets(text)[0]) == text
