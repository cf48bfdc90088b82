"""Settings from the environment and a `.env` file, validated once at start.

Every variable of the settings table in the README is read here and nowhere else. A bad
value produces a clear, specific message; the bot token never appears in any
message this module produces.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from storage.files.filesafety import MAX_FILE_BYTES

TOKEN_RE = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{30,64}$")
OFFSET_RE = re.compile(r"^([0-9]{1,4})([mhdw])$")
OFFSET_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_RATE = 1000
FREE_RATE = 30
"""Telegram's free broadcast limit: messages a second to different chats without paying."""
PAID_MODES = ("off", "urgent", "all")
MAX_BUDGET = 1_000_000
SIZE_RE = re.compile(r"^([0-9]{1,13})\s*(?:([kmg])(?:i?b)?|b)?$", re.IGNORECASE)
SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
IMPORT_SIZES = (1 << 10, 1 << 30)  # the smallest and largest import cap allowed

VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "CASEBOT_DATA_DIR",
    "CASEBOT_ADMINS",
    "CASEBOT_TIMEZONE",
    "CASEBOT_REMINDERS",
    "CASEBOT_RELEASE_REMINDERS",
    "CASEBOT_RATE",
    "CASEBOT_PAID_BROADCAST",
    "CASEBOT_PAID_BUDGET",
    "CASEBOT_STALL_AFTER",
    "CASEBOT_IMPORT_MAX_BYTES",
    "CASEBOT_STALE_AFTER",
    "CASEBOT_APPROVAL",
    "CASEBOT_APPROVAL_OVER",
    "CASEBOT_PUBLIC_URL",
    "CASEBOT_BOT_USERNAME",
    "CASEBOT_APP_MAX_AGE",
)
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


APPROVAL_MODES = ("off", "urgent", "all")
"""CASEBOT_APPROVAL's values."""


class SettingsError(ValueError):
    """One or more settings are invalid; `problems` lists one message per bad value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """The validated settings of one casebot process."""

    token: str | None = field(repr=False)
    api_url: str
    database_url: str
    data_dir: Path
    admins: frozenset[int]
    timezone: str
    reminders: tuple[timedelta, ...]
    release_reminders: tuple[timedelta, ...]
    rate: int
    stall_after: timedelta = timedelta(minutes=10)
    import_max_bytes: int = MAX_FILE_BYTES
    stale_after: timedelta = timedelta(days=90)
    """CASEBOT_STALE_AFTER: a case unconfirmed this long needs a look (/stale, the digest)."""
    approval: str = "urgent"
    """CASEBOT_APPROVAL: off, urgent or all: which alerts a second organizer approves."""
    approval_over: int = 1000
    """CASEBOT_APPROVAL_OVER: with ``urgent``, an alert to more readers needs approval too."""
    paid_broadcast: str = "off"
    """Which alerts may use paid broadcasts: off, urgent or all."""
    paid_budget: int = 0
    """Most Stars a day paid broadcasts may spend."""
    public_url: str = DEFAULT_PUBLIC_URL
    """The base of the website's absolute links (CASEBOT_PUBLIC_URL)."""
    public_url_set: bool = False
    """Whether CASEBOT_PUBLIC_URL was given: only then does the bot link to the website."""
    bot_username: str | None = None
    """The bot's @username for `casebot web` alone (the bot itself asks Telegram)."""
    app_max_age: timedelta = timedelta(hours=1)
    """How old a Mini App's signed initData may be (its auth_date) and still be accepted."""

    @property
    def free_rate(self) -> int:
        """The rate of sends without ``allow_paid_broadcast`` (replies and unpaid alerts)."""
        return min(self.rate, FREE_RATE)

    @property
    def links_to_website(self) -> bool:
        """Whether the bot's cards link to the website: CASEBOT_PUBLIC_URL was given and is
        not a loopback address (Telegram refuses buttons to those, and the card with them)."""
        host = (urlsplit(self.public_url).hostname or "").lower()
        return self.public_url_set and host not in ("localhost", "127.0.0.1", "::1")

    @property
    def app_url(self) -> str | None:
        """The organizers' Mini App address, or None: Telegram opens Mini Apps over https
        only, so without an https CASEBOT_PUBLIC_URL no button offers it."""
        return f"{self.public_url}/app/" if self.public_url.startswith("https://") else None

    @property
    def zone(self) -> ZoneInfo:
        """The zone organizers type hearing times in."""
        return ZoneInfo(self.timezone)


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Parse `1d,2h,30m` into offsets, largest first; raise ValueError on bad input."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise ValueError("empty list")
    offsets: set[timedelta] = set()
    for item in items:
        match = OFFSET_RE.match(item.lower())
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"{item!r} is not an offset like 30m, 2h, 1d or 7d")
        offsets.add(timedelta(seconds=int(match.group(1)) * OFFSET_UNITS[match.group(2)]))
    return tuple(sorted(offsets, reverse=True))


def format_offset(offset: timedelta) -> str:
    """Format an offset back into the compact `1d` / `2h` / `30m` form."""
    seconds = int(offset.total_seconds())
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def _read_environment(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        for key, value in dotenv_values(env_file).items():
            if key in VARIABLES and value is not None:
                values[key] = value
    for key in VARIABLES:
        if key in environ:
            values[key] = environ[key]
    return {key: value.strip() for key, value in values.items()}


def _check_api_url(raw: str, problems: list[str]) -> str:
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            "TELEGRAM_API_URL must be an http:// or https:// address such as "
            "https://api.telegram.org"
        )
    return url


def _check_app_max_age(raw: str, problems: list[str]) -> timedelta:
    if re.fullmatch(r"[0-9]{1,7}", raw) and 60 <= int(raw) <= 7 * 86400:
        return timedelta(seconds=int(raw))
    problems.append("CASEBOT_APP_MAX_AGE must be a number of seconds from 60 to 604800")
    return timedelta(hours=1)


def _check_admins(raw: str, problems: list[str]) -> frozenset[int]:
    admins: set[int] = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if not re.fullmatch(r"-?[0-9]{1,20}", item):
            problems.append(
                f"CASEBOT_ADMINS must be comma-separated Telegram user ids (numbers); "
                f"{item[:40]!r} is not one"
            )
            continue
        admins.add(int(item))
    return frozenset(admins)


def _check_public_url(raw: str, problems: list[str]) -> str:
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        problems.append(
            "CASEBOT_PUBLIC_URL must be the website's http:// or https:// address, such as "
            "https://cases.example.org"
        )
    return url


def _check_username(raw: str, problems: list[str]) -> str | None:
    name = raw.removeprefix("@")
    if not name:
        return None
    if not USERNAME_RE.match(name):
        problems.append("CASEBOT_BOT_USERNAME must be the bot's @username, such as casebot_bot")
        return None
    return name


def _check_timezone(raw: str, problems: list[str]) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"CASEBOT_TIMEZONE {raw[:60]!r} is not a known IANA time zone (for example Asia/Almaty)"
        )
    return raw


def _check_offsets(name: str, raw: str, problems: list[str]) -> tuple[timedelta, ...]:
    try:
        return parse_offsets(raw)
    except ValueError as exc:
        problems.append(f"{name} must be offsets like 1d,2h,30m: {exc}")
        return ()


def _check_approval(raw: str, over: str, problems: list[str]) -> tuple[str, int]:
    mode = raw.lower()
    if mode not in APPROVAL_MODES:
        problems.append("CASEBOT_APPROVAL must be off, urgent or all")
        mode = "urgent"
    if not re.fullmatch(r"[0-9]{1,9}", over):
        problems.append("CASEBOT_APPROVAL_OVER must be a whole number of subscribers, such as 1000")
        return mode, 1000
    return mode, int(over)


def _check_rate(raw: str, problems: list[str]) -> int:
    if re.fullmatch(r"[0-9]{1,6}", raw) and 1 <= int(raw) <= MAX_RATE:
        return int(raw)
    problems.append(f"CASEBOT_RATE must be a whole number of messages per second, 1 to {MAX_RATE}")
    return 30


def _check_database_url(url: str, problems: list[str]) -> None:
    if "://" not in url:
        problems.append(
            "DATABASE_URL must be an SQLAlchemy URL such as sqlite:///data/casebot.db "
            "or postgresql+psycopg://user@host/dbname"
        )


def _check_paid(raw: str, problems: list[str]) -> str:
    mode = raw.lower()
    if mode in PAID_MODES:
        return mode
    problems.append(
        f"CASEBOT_PAID_BROADCAST must be off, urgent or all; {raw[:40]!r} is not one of them"
    )
    return "off"


def _check_budget(raw: str, problems: list[str]) -> int:
    if re.fullmatch(r"[0-9]{1,7}", raw) and int(raw) <= MAX_BUDGET:
        return int(raw)
    problems.append(
        f"CASEBOT_PAID_BUDGET must be a whole number of Stars a day, 0 to {MAX_BUDGET:,}"
    )
    return 0


def _check_paid_rate(rate: int, mode: str, budget: int, problems: list[str]) -> None:
    """A rate above Telegram's free 30/s is only possible with paid broadcasts."""
    if rate <= FREE_RATE:
        return
    if mode == "off":
        problems.append(
            f"CASEBOT_RATE={rate} is above Telegram's free limit of {FREE_RATE} messages a "
            "second, which only paid broadcasts may exceed (Telegram answers the excess with "
            "429 Too Many Requests). Set CASEBOT_RATE=30, or turn on paid broadcasts with "
            "CASEBOT_PAID_BROADCAST=urgent (or all) and a daily cap in CASEBOT_PAID_BUDGET "
            "(Stars; each message above 30 a second costs 0.1 Star)"
        )
    elif budget == 0:
        problems.append(
            f"CASEBOT_RATE={rate} needs paid broadcasts, but CASEBOT_PAID_BUDGET is 0 Stars a "
            "day, so none could be paid for: set a daily cap such as CASEBOT_PAID_BUDGET=10000"
        )


def _check_stall(
    raw: str,
    problems: list[str],
    *,
    name: str = "CASEBOT_STALL_AFTER",
    default: timedelta = timedelta(minutes=10),
) -> timedelta:
    offsets = _check_offsets(name, raw, problems)
    if len(offsets) > 1:
        problems.append(f"{name} must be one duration such as 10m, 1h or 90d")
    return offsets[0] if offsets else default


def _check_import_size(raw: str, problems: list[str]) -> int:
    match = SIZE_RE.match(raw)
    size = int(match.group(1)) * SIZE_UNITS[(match.group(2) or "").lower()] if match else 0
    low, high = IMPORT_SIZES
    if low <= size <= high:
        return size
    problems.append(
        f"CASEBOT_IMPORT_MAX_BYTES must be a size from 1K to 1G, in bytes or with a unit "
        f"(K, M or G, in units of 1024), such as 20M; {raw[:40]!r} is not one"
    )
    return MAX_FILE_BYTES


def _check_token(token: str | None, require_token: bool, problems: list[str]) -> str | None:
    if token is not None and not TOKEN_RE.match(token):
        problems.append(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
            "about 35 letters, digits, '-' or '_'); copy it again from @BotFather"
        )
    if token is None and require_token:
        problems.append(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
            "(send /newbot), put the token it gives you in TELEGRAM_BOT_TOKEN or in a .env "
            "file, and start again. To try the bot without Telegram, run: casebot chat --demo"
        )
    return token


def _casework(values: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """CASEBOT_APPROVAL, CASEBOT_APPROVAL_OVER and CASEBOT_STALE_AFTER, as Settings fields."""
    approval, approval_over = _check_approval(
        values.get("CASEBOT_APPROVAL") or "urgent",
        values.get("CASEBOT_APPROVAL_OVER") or "1000",
        problems,
    )
    stale_after = _check_stall(
        values.get("CASEBOT_STALE_AFTER") or "90d",
        problems,
        name="CASEBOT_STALE_AFTER",
        default=timedelta(days=90),
    )
    return {"approval": approval, "approval_over": approval_over, "stale_after": stale_after}


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    require_token: bool = False,
) -> Settings:
    """Read and validate the settings; raise SettingsError listing every bad value.

    `environ` wins over the `.env` file. With `require_token`, a missing token is
    an error too (the message says how to get one).
    """
    values = _read_environment(os.environ if environ is None else environ, env_file)
    problems: list[str] = []

    token = _check_token(values.get("TELEGRAM_BOT_TOKEN") or None, require_token, problems)

    api_url = _check_api_url(values.get("TELEGRAM_API_URL") or "https://api.telegram.org", problems)
    data_dir = Path(values.get("CASEBOT_DATA_DIR") or "./data")
    database_url = values.get("DATABASE_URL") or f"sqlite:///{data_dir / 'casebot.db'}"
    _check_database_url(database_url, problems)
    settings = Settings(
        token=token,
        api_url=api_url,
        database_url=database_url,
        data_dir=data_dir,
        admins=_check_admins(values.get("CASEBOT_ADMINS", ""), problems),
        timezone=_check_timezone(values.get("CASEBOT_TIMEZONE") or "Asia/Almaty", problems),
        reminders=_check_offsets(
            "CASEBOT_REMINDERS", values.get("CASEBOT_REMINDERS") or "1d,2h", problems
        ),
        release_reminders=_check_offsets(
            "CASEBOT_RELEASE_REMINDERS",
            values.get("CASEBOT_RELEASE_REMINDERS") or "7d,1d",
            problems,
        ),
        rate=_check_rate(values.get("CASEBOT_RATE") or "30", problems),
        stall_after=_check_stall(values.get("CASEBOT_STALL_AFTER") or "10m", problems),
        import_max_bytes=_check_import_size(
            values.get("CASEBOT_IMPORT_MAX_BYTES") or str(MAX_FILE_BYTES), problems
        ),
        **_casework(values, problems),
        paid_broadcast=_check_paid(values.get("CASEBOT_PAID_BROADCAST") or "off", problems),
        paid_budget=_check_budget(values.get("CASEBOT_PAID_BUDGET") or "0", problems),
        public_url=_check_public_url(
            values.get("CASEBOT_PUBLIC_URL") or DEFAULT_PUBLIC_URL, problems
        ),
        public_url_set=bool(values.get("CASEBOT_PUBLIC_URL")),
        bot_username=_check_username(values.get("CASEBOT_BOT_USERNAME", ""), problems),
        app_max_age=_check_app_max_age(values.get("CASEBOT_APP_MAX_AGE") or "3600", problems),
    )
    _check_paid_rate(settings.rate, settings.paid_broadcast, settings.paid_budget, problems)
    if problems:
        raise SettingsError(problems)
    return settings
