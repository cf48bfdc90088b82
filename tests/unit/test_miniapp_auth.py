"""The Mini App's initData check (web.miniapp.auth), against initData the tests sign
as Telegram does."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from web.miniapp.auth import InitDataError, sign, signed_init_data, validate_init_data

TOKEN = "123456:TEST-token-for-botsim-only_0123456789"
OTHER = "654321:ANOTHER-bots-token-000000000000000"
NOW = datetime(2026, 6, 19, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def fields(user_id: int = 900, age: timedelta = timedelta(minutes=1)) -> dict[str, str]:
    user = {"id": user_id, "first_name": "Ainur", "language_code": "kk", "username": "ainur"}
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int((NOW - age).timestamp())),
    }


def check(init_data: str, token: str = TOKEN) -> object:
    return validate_init_data(init_data, bot_token=token, now=NOW, max_age=HOUR)


def test_signature_follows_telegrams_recipe() -> None:
    """Computed independently of the module: key = HMAC("WebAppData", token)."""
    data = fields()
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    text = "\n".join(f"{key}={data[key]}" for key in sorted(data))
    assert sign(data, TOKEN) == hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def test_correctly_signed_data_gives_the_user() -> None:
    user = check(signed_init_data(fields(), TOKEN))
    assert user.id == 900  # type: ignore[attr-defined]
    assert user.language_code == "kk"  # type: ignore[attr-defined]


def test_field_order_does_not_matter() -> None:
    pairs = parse_qsl(signed_init_data(fields(), TOKEN))
    assert check(urlencode(list(reversed(pairs))))


@pytest.mark.parametrize(
    ("init_data", "reason"),
    [
        ("", "missing"),
        ("hash=", "bad_hash"),
        ("not a query string", "malformed"),
        ("a=1&a=2&hash=00", "malformed"),
        ("x" * 5000, "malformed"),
    ],
)
def test_malformed_data_is_refused(init_data: str, reason: str) -> None:
    with pytest.raises(InitDataError) as error:
        check(init_data)
    assert error.value.reason == reason


def test_forged_hash_is_refused() -> None:
    data = fields()
    forged = urlencode({**data, "hash": "0" * 64})
    with pytest.raises(InitDataError, match="bad_hash"):
        check(forged)


def test_changed_user_breaks_the_signature() -> None:
    pairs = dict(parse_qsl(signed_init_data(fields(), TOKEN)))
    pairs["user"] = pairs["user"].replace("900", "901")
    with pytest.raises(InitDataError, match="bad_hash"):
        check(urlencode(pairs))


def test_another_bots_signature_is_refused() -> None:
    with pytest.raises(InitDataError, match="bad_hash"):
        check(signed_init_data(fields(), OTHER))


def test_old_auth_date_is_refused() -> None:
    assert check(signed_init_data(fields(age=HOUR), TOKEN))
    with pytest.raises(InitDataError, match="expired"):
        check(signed_init_data(fields(age=HOUR + timedelta(seconds=1)), TOKEN))


def test_auth_date_far_in_the_future_is_refused() -> None:
    with pytest.raises(InitDataError, match="expired"):
        check(signed_init_data(fields(age=-timedelta(hours=2)), TOKEN))


def test_signed_data_without_a_user_is_refused() -> None:
    data = fields()
    del data["user"]
    with pytest.raises(InitDataError, match="no_user"):
        check(signed_init_data(data, TOKEN))


def test_missing_auth_date_is_refused() -> None:
    data = fields()
    del data["auth_date"]
    with pytest.raises(InitDataError, match="malformed"):
        check(signed_init_data(data, TOKEN))
