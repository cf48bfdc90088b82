"""Property-based tests: arbitrary arguments to every command and forged data on every
button, against one real bot for the whole module.

Properties, for every example:

- nothing reaches the error handler (no ERROR record on ``casebot.errors`` or ``telegram``);
- every Bot API call the bot makes is accepted by botsim, which checks Telegram's limits
  (HTML entities, 4096 characters, 64-byte callback data): no status >= 400, except
  "message is not modified" (an edit that changes nothing, which forged presses on an
  arbitrary message cause; Telegram answers it the same way and it changes nothing);
- a command always gets a reply; a button press may get none, but the bot keeps
  answering.

After each example the harness waits until the bot has fetched and fully handled every
update (``RunningBot.wait_idle``), so everything the example caused has been done (and
logged). The whole module runs twice: on SQLite and on PostgreSQL (where NULs and
over-long values are refused by the database itself, so they must be caught before).

Hypothesis runs derandomized (a fixed seed, no example database), so CI sees the same
examples on every run. The bot's flood control and its per-group pacing (one message
every three seconds) are relaxed for this module: they are tested elsewhere, and here
hundreds of updates come from the same few users as fast as the bot answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from botsim.objects import MAX_CALLBACK_DATA_BYTES, MAX_TEXT_LENGTH, ApiCall
from botsim.server import BotApiServer
from botsim.text import utf16_len
from handlers import callbacks
from handlers.flood import BOT_DATA_KEY
from services import Services
from storage.database.engine import make_engine, session_scope, upgrade
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import TEST_TOKEN, RunningBot, make_settings, private_pg_schema

STRANGER = 1001
ADMIN = 900
SENTINEL = 4242
GROUP = -100_777

PUBLIC_COMMANDS = (
    "start", "help", "language", "case", "timeline", "calendar",
    "subscribe", "unsubscribe", "mysubs", "settings", "forget", "whohelps", "cancel",
)  # fmt: skip
ORGANIZER_COMMANDS = (
    "newcase", "sethearing", "cancelhearing", "setstatus", "addevent", "setsentence",
    "addname", "organizer", "stats", "audit", "translate", "update", "confirm",
    "setcourt", "setletters", "letterguide", "stale",
)  # fmt: skip
COMMANDS = PUBLIC_COMMANDS + ORGANIZER_COMMANDS
# Each button prefix, with how many ":"-separated fields its real data has.
BUTTON_FIELDS = {kind.PREFIX: len(fields(cast(Any, kind))) for kind in callbacks.KINDS}
BUTTONS = {prefix + (":" if arity else ""): arity for prefix, arity in BUTTON_FIELDS.items()} | {
    "cases:": 1
}  # every button kind, and a prefix no button has (any more)
BUTTON_PREFIXES = tuple(BUTTONS)

# (user, chat, chat type) of who sends.
ACTORS = {
    "stranger-private": (STRANGER, STRANGER, "private"),
    "admin-private": (ADMIN, ADMIN, "private"),
    "stranger-group": (STRANGER, GROUP, "group"),
    "admin-group": (ADMIN, GROUP, "group"),
}

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)

# -- strategies ----------------------------------------------------------------------

TRICKY = (
    # HTML-ish: the bot replies in HTML parse mode and quotes what it was given
    "<b>", "</b>", "</a>", '<a href="tg://user?id=1">x</a>', "&amp;", "&", "&lt;", "<", ">",
    "&#0;", "&#x110000;", "<pre><code>", "<tg-spoiler>", "<!--", "]]>", '"', "'", "\\",
    # scripts, direction marks, emoji, invisible and combining characters
    "مرحبا بالعالم", "שלום", "\u202eevil\u202c", "\u200f", "\u200b", "\u2060", "\ufeff",
    "👍🏽", "👨\u200d👩\u200d👧", "🇰🇿", "Z̤͔ͧ̑̓", "ﷺ", "𒐫", "Қастер", "Мұрагер Әлімұлы", "Алимулы",
    # control characters
    "\x00", "\x07", "\x1b[31m", "\t", "\r", "\n", "\x7f", "\u0085", "\u2028",
    # numbers of every shape
    "0", "1", "2", "5", "6", "-1", "+1", "#1", "#2", "#", "##3", "1.5", "1,5", "1e9", "NaN",
    "99999999999999999999", "00000000001", "²", "١٢", "٣", "𝟙", "Ⅻ", "½", "0x10",
    # dates and times that do and do not exist
    "2030-01-15", "2030-1-5", "2020-02-30", "2030-13-01", "2030-00-10", "9999-12-31",
    "0000-01-01", "2030", "2030-02", "2019-12", "٢٠٣٠-٠١-١٥", "2030/01/15", "15.01.2030",
    "10:00", "25:99", "23:59", "24:00", "9:5", "١٠:٣٠", "10:00:00", "-1:00",
    # the cases, by number, slug and name
    "murager-alimuly", "qaster-musakhanuly", "qaisha-aqan", "Sauytbay", "Alimuly",
    "Qaster Musakhanuly", "Табарикұлы", "case_murager-alimuly", "sub_qaisha-aqan",
    # the organizers' vocabulary
    "released", "detained", "trial", "refugee", "deportation_ordered", "RELEASED", "free",
    "term=1y", "term=99y999m9999d", "term=", "term=0d", "term=²y", "ratio=1.5", "ratio=3",
    "ratio=1,5", "detained=2020-02-30", "release=none", "verdict=2019-12-31",
    "suspended=yes", "suspended=maybe", "=", "x=y", "kk", "ru", "en", "alias", "xx", "add",
    "remove", "900", "1001", "https://example.org/a?b=<c>&d=1", "http://", "Zaysan court,",
    ",", "Zharkent, Almaty region",
)  # fmt: skip

token = st.one_of(
    st.sampled_from(TRICKY),
    st.text(min_size=1, max_size=12),
    st.integers(-(10**12), 10**12).map(str),
)
words = st.lists(token, min_size=1, max_size=8).map(" ".join)
unicode_text = st.text(
    alphabet=st.characters(
        categories=("L", "M", "N", "P", "S", "Zs", "Cc", "Cf"), exclude_characters="\n"
    ),
    max_size=120,
)


def _repeat(fragment: str, length: int) -> str:
    return (fragment * (length // len(fragment) + 1))[:length]


long_text = st.builds(
    _repeat,
    st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=10)),
    st.integers(3_800, 4_090),
)
argument = st.one_of(
    st.just(""),
    words,
    st.text(max_size=200),
    unicode_text,
    st.sampled_from(("case_", "sub_")).flatmap(lambda p: words.map(lambda w: p + w)),
)


def message_text(command: str, arg: str, mention: bool) -> str:
    """`/command[@bot] arg`, as a Telegram user can send it (1 to 4096 characters)."""
    text = f"/{command}{'@casebot_test_bot' if mention else ''} {arg}".rstrip(" ")
    assume(utf16_len(text) <= MAX_TEXT_LENGTH)
    return text


def clip_bytes(text: str, limit: int = MAX_CALLBACK_DATA_BYTES) -> str:
    """The longest prefix of `text` that fits in `limit` UTF-8 bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


NUMBERISH = (
    "0", "1", "2", "5", "999999999", "9999999999", "1" * 20, "-1", "-0", " 1", "1 ", "01",
    "Ⅻ", "½", "1.0", "0x1", "1e3",
)  # fmt: skip
UNICODE_DIGITS = ("²", "¹⁰", "³", "١", "٣٤", "𝟙", "߁", "१२")  # some int() reads, some not
FIELD_WORDS = (
    "", "card", "tl", "upd", "default", "day", "none", "yes", "no", "send", "cancel",
    "undo", "custody", "risk", "released", "kk", "ru", "en", "menu", "::",
)  # fmt: skip
field_value = st.one_of(
    st.sampled_from(NUMBERISH),
    st.sampled_from(UNICODE_DIGITS),
    st.sampled_from(FIELD_WORDS),
    st.integers(-5, 12).map(str),
    st.text(max_size=8),
)


def _fields(prefix: str) -> st.SearchStrategy[str]:
    """Fields for a prefix: as many as its real data has (mostly), or any number."""
    arity = BUTTONS[prefix]
    count = st.one_of(st.just(arity), st.just(arity), st.integers(0, 3))
    return count.flatmap(lambda n: st.lists(field_value, min_size=n, max_size=n).map(":".join)).map(
        lambda fields: prefix + fields
    )


structured_data = st.sampled_from(BUTTON_PREFIXES).flatmap(_fields).map(clip_bytes)
random_data = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(BUTTON_PREFIXES), st.text()),
    st.binary(min_size=1, max_size=MAX_CALLBACK_DATA_BYTES).map(
        lambda raw: raw.decode("utf-8", "replace")
    ),
).map(clip_bytes)


# -- the bot -------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _benign(call: ApiCall) -> bool:
    description = str(call.response.get("description", ""))
    return call.method == "editMessageText" and "message is not modified" in description


@dataclass
class Harness:
    """One running bot with sample cases, subscriptions and a message to press on per chat."""

    bot: RunningBot
    errors: _Collect
    hosts: dict[int, Any] = field(default_factory=dict)
    benign: int = 0

    @property
    def server(self) -> BotApiServer:
        return self.bot.server

    def check(self, action: Callable[[], object], chat_id: int, *, replies: int) -> list[Any]:
        """Run `action`; check it led to `replies` messages, no failed call and no error."""
        calls, errors = len(self.server.calls()), len(self.errors.records)
        since = len(self.server.outbox(chat_id))
        action()
        if replies:
            self.server.wait_for_messages(chat_id, replies, since=since)
        self.bot.wait_idle()
        failed = [call for call in self.server.calls()[calls:] if call.status >= 400]
        self.benign += sum(1 for call in failed if _benign(call))
        failed = [call for call in failed if not _benign(call)]
        assert not failed, [(c.method, c.status, c.response, c.params) for c in failed]
        logged = [record.getMessage() for record in self.errors.records[errors:]]
        assert not logged, logged
        return self.server.outbox(chat_id)[since:]

    def command(self, text: str, actor: str) -> list[Any]:
        user, chat, chat_type = ACTORS[actor]
        return self.check(
            lambda: self.server.user_message(
                text, user_id=user, chat_id=chat, chat_type=chat_type, language_code="en"
            ),
            chat,
            replies=1,
        )

    def press(self, data: str, actor: str) -> list[Any]:
        user, chat, _ = ACTORS[actor]
        host = self.hosts[chat]
        return self.check(
            lambda: self.server.press_button(
                user_id=user,
                chat_id=chat,
                message_id=host.message_id,
                data=data,
                check=False,
            ),
            chat,
            replies=0,
        )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The suite runs on SQLite and on PostgreSQL (None: the SQLite file of the settings)."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (no PostgreSQL server to test against)")
    with private_pg_schema(base) as url:
        yield url


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Iterator[Harness]:
    """The bot, with the sample cases, two subscriptions and a card to press on per chat."""
    extra = {"DATABASE_URL": database_url} if database_url else {}
    app_settings = make_settings(
        tmp_path_factory.mktemp("fuzz"), CASEBOT_ADMINS=str(ADMIN), **extra
    )
    engine = make_engine(app_settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    server = BotApiServer(TEST_TOKEN)
    server.start()
    bot = RunningBot(server, Services(settings=app_settings, engine=engine))
    collect = _Collect()
    watched = [logging.getLogger("casebot.errors"), logging.getLogger("telegram")]
    for logger in watched:
        logger.addHandler(collect)
    try:
        bot.start()
        bot.app.bot_data[BOT_DATA_KEY].burst = 1_000_000  # flood control: tests/e2e/test_flood.py
        bot.app.bot_data["limiter"].pacer.group_interval = 0.0  # group pacing: test_ratelimit
        server.set_admins(GROUP, [ADMIN])
        harness = Harness(bot, collect)
        bot.ask("/subscribe 1", user_id=STRANGER)
        bot.ask("/subscribe 2", user_id=ADMIN, chat_id=GROUP, chat_type="group")
        for user, chat, chat_type in ACTORS.values():
            [card] = bot.ask("/case 1", user_id=user, chat_id=chat, chat_type=chat_type)
            harness.hosts[chat] = card
        bot.ask("/help", user_id=SENTINEL)
        assert not collect.records
        yield harness
    finally:
        for logger in watched:
            logger.removeHandler(collect)
        bot.stop()
        server.stop()
        engine.dispose()


# -- properties ----------------------------------------------------------------------


@pytest.mark.parametrize("actor", list(ACTORS))
@FUZZ
@given(command=st.sampled_from(COMMANDS), arg=argument, mention=st.booleans())
def test_any_command_with_any_argument_gets_a_valid_reply(
    fuzz: Harness, actor: str, command: str, arg: str, mention: bool
) -> None:
    replies = fuzz.command(message_text(command, arg, mention), actor)
    assert replies and all(reply.plain_text.strip() or reply.document for reply in replies)


@pytest.mark.parametrize(
    "text",
    [
        "/start case_a\x00b",  # a NUL in a deep link (PostgreSQL refuses NUL in text)
        "/start sub_a\x00b",
        "/start case_" + "щ" * 60,  # no slug can hold this
        "/newcase " + "щ" * 200,  # its search key is 800 letters long (щ → shch)
        "/addname 1 alias " + "Щ" * 200,
        "/case " + "щ" * 4000,
        "/sethearing 1 2030-05-10 10:00 " + "щ" * 200 + ", " + "ц" * 200,
    ],
    ids=["nul-case", "nul-sub", "wide-slug", "newcase-key", "addname-key", "case-key", "court"],
)
def test_inputs_postgresql_refused_get_a_clear_answer(fuzz: Harness, text: str) -> None:
    """Found by an attack pass: each raised DataError on PostgreSQL and got the apology."""
    [reply] = fuzz.command(text, "admin-private")
    assert "Sorry" not in reply.text


@settings(FUZZ, max_examples=40)
@given(command=st.sampled_from(ORGANIZER_COMMANDS), arg=words)
def test_organizer_commands_with_near_miss_arguments(fuzz: Harness, command: str, arg: str) -> None:
    """Tokens that almost fit the syntax reach the parsers and the storage behind the guard."""
    assert fuzz.command(message_text(command, arg, False), "admin-private")


@pytest.mark.parametrize("actor", ["admin-private", "stranger-group"])
@settings(FUZZ, max_examples=10)
@given(command=st.sampled_from(COMMANDS), arg=long_text)
def test_arguments_near_the_length_limit(fuzz: Harness, actor: str, command: str, arg: str) -> None:
    assert fuzz.command(message_text(command, arg, False), actor)


@pytest.mark.parametrize("actor", list(ACTORS))
@FUZZ
@given(data=structured_data)
def test_forged_button_data_never_crashes(fuzz: Harness, actor: str, data: str) -> None:
    """Every button prefix with missing, extra, huge, negative or exotic fields."""
    fuzz.press(data, actor)


@pytest.mark.parametrize("actor", ["stranger-private", "admin-group"])
@settings(FUZZ, max_examples=15)
@given(data=random_data)
def test_random_button_data_is_ignored_or_answered(fuzz: Harness, actor: str, data: str) -> None:
    assume(data)
    fuzz.press(data, actor)


@settings(FUZZ, max_examples=20)
@given(text=st.one_of(words, unicode_text, long_text))
def test_typed_hearing_after_the_guided_update(fuzz: Harness, text: str) -> None:
    """After Next hearing in /update, whatever the organizer types is parsed, not crashed on."""
    assume(text.strip() and not text.startswith("/") and utf16_len(text) <= MAX_TEXT_LENGTH)
    fuzz.press("gu:hearing:1", "admin-private")
    user, chat, _ = ACTORS["admin-private"]
    replies = fuzz.check(lambda: fuzz.server.user_message(text, user_id=user), chat, replies=1)
    assert replies


@pytest.mark.parametrize(
    "data",
    [
        "card:²", "tl:²:0", "tlp:1:²", "cal:²", "list:card:²", "sub:²", "unsub:³",
        "draft:send:²", "draft:undo:1:²", "audit:1:²", "upd:²", "gu:dimension:¹⁰:custody",
        "gu:key:²:released", "gu:hearing:²", "gu:cancel:²",
    ],
)  # fmt: skip
def test_superscript_digits_in_button_data(fuzz: Harness, data: str) -> None:
    """Superscript digits pass str.isdigit() but not int(): found by the fuzzing above."""
    fuzz.press(data, "admin-private")


def test_the_fuzzed_commands_are_every_command_the_bot_answers(running_bot: RunningBot) -> None:
    assert set(running_bot.app.bot_data["commands"]) == set(COMMANDS)
