"""The bot's side of the website: the card's Picture and Web page buttons, and the bot's
description in kk, ru and en set at start (against botsim, a real SQLite file)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine

from botsim import BotApiServer
from services import Services
from storage.database.engine import session_scope
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import FIXED_NOW, Clock, RunningBot, make_settings


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    running_bot.clock.now = FIXED_NOW
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def test_picture_button_sends_the_share_picture(bot: RunningBot) -> None:
    [card] = bot.ask("/case Alimuly", language_code="kk")
    buttons = {text: data for text, data, _url in card.buttons()}
    assert "Сурет" in buttons
    assert not any(url for _text, _data, url in card.buttons())  # no CASEBOT_PUBLIC_URL set
    [photo] = bot.press(card, buttons["Сурет"], language_code="kk")
    assert photo.method == "sendPhoto"
    assert photo.document is not None
    image = Image.open(io.BytesIO(photo.document.content))
    assert image.size == (1200, 630)
    assert "Мұрагер Әлімұлы" in photo.text
    assert all(call.status < 400 for call in bot.server.calls())


def test_profile_is_set_in_three_languages(bot: RunningBot) -> None:
    assert "ұсталғандардың" in (bot.server.description("kk") or "")
    assert "задержанных" in (bot.server.description("ru") or "")
    assert "detainees" in (bot.server.description("en") or "")
    for lang in ("kk", "ru", "en", None):
        short = bot.server.short_description(lang)
        assert short and len(short) <= 120


def test_web_page_button_when_the_public_url_is_set(
    botapi: BotApiServer, engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, CASEBOT_PUBLIC_URL="https://cases.example.org/")
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    services = Services(settings=settings, engine=engine, clock=Clock(FIXED_NOW))
    running = RunningBot(botapi, services).start()
    try:
        [card] = running.ask("/case Alimuly", language_code="ru")
        urls = [url for _text, _data, url in card.buttons() if url]
        assert urls == ["https://cases.example.org/ru/cases/murager-alimuly"]
    finally:
        running.stop()


def test_inline_mode_shares_a_card_in_the_querys_language(bot: RunningBot) -> None:
    server = bot.server
    query_id = server.inline_query("Сауытбай", user_id=1001, language_code="kk")
    results = server.wait_for_inline_answer(query_id)
    first = results[0]
    assert "Сауытбай" in first["title"]
    content = first["input_message_content"]
    assert "Сайрагүл Сауытбай" in content["message_text"]
    assert content["parse_mode"] == "HTML"
    inline_id = server.choose_inline_result(query_id, first["id"], chat_id=-100777)
    assert inline_id is not None
    shared = server.inline_message(inline_id)
    labels = {text: (data, url) for text, data, url in shared.buttons()}
    follow = labels["Бақылау"][1]
    assert follow is not None and follow.endswith("?start=sub_sayragul-sauytbay")
    # Another reader, in Russian, opens the timeline: it stays in Kazakh, edited in place.
    server.press_inline_button(inline_id, labels["Хронология"][0] or "", language_code="ru")
    bot.wait_idle()
    edited = server.inline_message(inline_id)
    assert edited.edited == 1
    assert edited.text != shared.text
    card_button = next(data for text, data, _url in edited.buttons() if text == "Іс карточкасы")
    server.press_inline_button(inline_id, card_button or "", language_code="ru")
    bot.wait_idle()
    assert server.inline_message(inline_id).plain_text == shared.plain_text
    assert all(call.status < 400 for call in server.calls())


def test_inline_mode_with_an_empty_or_unknown_query(bot: RunningBot) -> None:
    server = bot.server
    everything = server.wait_for_inline_answer(server.inline_query("", language_code="en"))
    assert 1 <= len(everything) <= 10
    nothing = server.wait_for_inline_answer(server.inline_query("Zzyzx Qwerty"))
    assert nothing == []


def test_no_web_page_button_to_a_loopback_address(
    botapi: BotApiServer, engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, CASEBOT_PUBLIC_URL="http://127.0.0.1:8080")
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    services = Services(settings=settings, engine=engine, clock=Clock(FIXED_NOW))
    running = RunningBot(botapi, services).start()
    try:
        [card] = running.ask("/case Alimuly", language_code="ru")
        assert not [url for _text, _data, url in card.buttons() if url]
        assert all(call.status < 400 for call in botapi.calls())
    finally:
        running.stop()
