"""The real Application against the local Bot API server: welcome, help, menus,
language, unknown commands, and the error handler."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine

from bot import quiet_noisy_loggers
from botsim.server import BotApiServer
from messages import translator
from storage.database.engine import session_scope
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.subscribers import get_chosen_language
from tests.conftest import RunningBot

WELCOME = {
    "kk": "Casebot: ісі сотта қаралып жатқан адамдар туралы жаңалықтар",
    "ru": "Casebot: новости о людях под судом",
    "en": "Casebot: news of people on trial",
}


@pytest.mark.parametrize(
    ("code", "lang"),
    [("kk", "kk"), ("ru", "ru"), ("en", "en"), ("uk", "ru"), ("de", "en"), (None, "en")],
)
def test_start_answers_in_the_users_language(
    running_bot: RunningBot, code: str | None, lang: str
) -> None:
    [reply] = running_bot.ask("/start", language_code=code)
    assert WELCOME[lang] in reply.text
    assert reply.parse_mode == "HTML"
    labels = [text for text, _data, _url in reply.buttons()]
    assert translator(lang).gettext("Help") in labels


def test_start_counts_the_cases(running_bot: RunningBot, engine: Engine) -> None:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    [reply] = running_bot.ask("/start", language_code="ru")
    assert "5 делами" in reply.text


def test_command_menu_is_set_in_three_languages(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    menus = {lang: botapi.commands(language_code=lang) for lang in ("kk", "ru", "en")}
    default = botapi.commands()
    assert default is not None and default == menus["en"]
    descriptions = {
        lang: {c["command"]: c["description"] for c in menu or []} for lang, menu in menus.items()
    }
    expected = {
        "case",
        "timeline",
        "calendar",
        "subscribe",
        "unsubscribe",
        "mysubs",
        "settings",
        "language",
        "forget",
        "help",
        "whohelps",
    }
    assert set(descriptions["kk"]) == set(descriptions["ru"]) == expected
    assert descriptions["kk"]["help"] == "Ботты қалай пайдалану керек"
    assert descriptions["ru"]["help"] == "Как пользоваться ботом"
    assert descriptions["en"]["help"] == "How to use the bot"


def test_help_lists_commands_and_only_organizers_see_theirs(running_bot: RunningBot) -> None:
    [reply] = running_bot.ask("/help", language_code="ru")
    assert "/language" in reply.text and "Команды" in reply.text
    # Admin 900 (from the settings) sees the organizer section once those commands exist.
    [admin_reply] = running_bot.ask("/help", user_id=900, language_code="en")
    assert "/language" in admin_reply.text


def test_help_button(running_bot: RunningBot) -> None:
    [welcome] = running_bot.ask("/start", language_code="kk")
    [reply] = running_bot.press(welcome, "help", language_code="kk")
    assert "Командалар" in reply.text


def test_language_is_remembered_over_telegrams(running_bot: RunningBot, engine: Engine) -> None:
    [reply] = running_bot.ask("/language kk", language_code="en")
    assert reply.text == "Тіл таңдалды: қазақша."
    [welcome] = running_bot.ask("/start", language_code="en")
    assert WELCOME["kk"] in welcome.text
    with session_scope(engine) as session:
        assert get_chosen_language(session, chat_id=1001) == "kk"


def test_language_buttons(running_bot: RunningBot) -> None:
    [menu] = running_bot.ask("/language", language_code="en")
    assert [data for _t, data, _u in menu.buttons()] == ["lang:kk", "lang:ru", "lang:en"]
    [reply] = running_bot.press(menu, "lang:ru")
    assert reply.text == "Язык выбран: русский."
    [welcome] = running_bot.ask("/start", language_code="en")
    assert WELCOME["ru"] in welcome.text


@pytest.mark.parametrize("argument", ["xx", "kk ru", "<b>", "я" * 4000])
def test_bad_language_argument_gets_usage(running_bot: RunningBot, argument: str) -> None:
    [reply] = running_bot.ask(f"/language {argument}", language_code="ru")
    assert "Использование: /language kk" in reply.text


def test_unknown_command_points_to_help(running_bot: RunningBot) -> None:
    [reply] = running_bot.ask("/frobnicate now", language_code="kk")
    assert "/help" in reply.text and "Мұндай команда жоқ" in reply.text


def test_commands_addressed_to_the_bot_in_a_group(running_bot: RunningBot) -> None:
    [reply] = running_bot.ask(
        "/start@casebot_test_bot",
        user_id=1002,
        chat_id=-100500,
        chat_type="supergroup",
        chat_title="Supporters",
        language_code="ru",
    )
    assert WELCOME["ru"] in reply.text


def test_errors_get_an_apology_and_logs_hold_no_personal_data(
    running_bot: RunningBot, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    engine.dispose()
    # Break the database under the bot: every handler's query now fails.
    with session_scope(engine) as session:
        session.connection().exec_driver_sql("DROP TABLE subscribers")
    quiet_noisy_loggers()  # as `casebot run` does
    caplog.set_level(logging.INFO)
    secret_text = "/start my-private-words-123"
    [reply] = running_bot.ask(secret_text, user_id=777_000_111, language_code="ru")
    assert "Извините" in reply.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "command /start" in logged
    assert "my-private-words-123" not in logged
    assert "777000111" not in logged
    assert running_bot.server.token not in logged
