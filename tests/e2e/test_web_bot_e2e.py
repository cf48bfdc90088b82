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
from settings import Services
from storage.database.engine import session_scope
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import FIXED_NOW, Clock, RunningBot, make_settings


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    running_bot.services.clock = Clock(FIXED_NOW)
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
    running = RunningBot(botapi, Services(settings=settings, engine=engine)).start()
    try:
        running.services.clock = Clock(FIXED_NOW)
        [card] = running.ask("/case Alimuly", language_code="ru")
        urls = [url for _text, _data, url in card.buttons() if url]
        assert urls == ["https://cases.example.org/ru/cases/murager-alimuly"]
    finally:
        running.stop()
