"""Checking a Telegram Mini App's ``initData``, exactly as Telegram specifies.

Telegram signs the data it hands a Mini App: the secret key is
HMAC-SHA256(key=b"WebAppData", message=bot token); the ``hash`` field is the hex
HMAC-SHA256(key=secret, message=data-check-string), where the data-check-string is
every other received field as ``key=value``, sorted by key and joined by newlines.
This module is pure (no I/O, no clock of its own): the caller passes the token and
"now", so it is tested with initData signed by the tests themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA = 4096
"""Longer initData is refused unread (Telegram's is a few hundred bytes)."""
CLOCK_SKEW = timedelta(minutes=5)
"""An auth_date this far ahead of our clock is still accepted (clocks drift)."""


class InitDataError(ValueError):
    """The initData is missing, malformed, not signed with this bot's token, or too old;
    ``reason`` says which (missing, malformed, bad_hash, expired, no_user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """Who opened the Mini App, as Telegram signed it."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    """HMAC-SHA256 with the key "WebAppData" over the bot token."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but ``hash``, as ``key=value``, sorted by key, joined by newlines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hex signature Telegram would put in ``hash`` for these fields."""
    message = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def signed_init_data(fields: dict[str, str], bot_token: str) -> str:
    """URL-encoded initData with its ``hash``, as Telegram builds it (for tests and demos)."""
    return urlencode({**fields, "hash": sign(fields, bot_token)})


def _fields(init_data: str) -> dict[str, str]:
    if not init_data:
        raise InitDataError("missing")
    if len(init_data) > MAX_INIT_DATA:
        raise InitDataError("malformed")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one was signed?
        raise InitDataError("malformed")
    return fields


def validate_init_data(
    init_data: str, *, bot_token: str, now: datetime, max_age: timedelta
) -> WebAppUser:
    """The signed user of ``init_data``; raises :class:`InitDataError` unless the hash
    matches (compared in constant time) and ``auth_date`` is at most ``max_age`` old."""
    fields = _fields(init_data)
    received = fields.get("hash", "")
    if not hmac.compare_digest(received.encode(), sign(fields, bot_token).encode()):
        raise InitDataError("bad_hash")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        raise InitDataError("malformed") from None
    if now - auth_date > max_age or auth_date - now > CLOCK_SKEW:
        raise InitDataError("expired")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no_user") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("no_user")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name") or ""),
        username=user.get("username") if isinstance(user.get("username"), str) else None,
        language_code=user.get("language_code")
        if isinstance(user.get("language_code"), str)
        else None,
        auth_date=auth_date,
    )
