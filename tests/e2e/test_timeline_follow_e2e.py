"""Following the timeline through the real bot: /settings offers new timeline events too;
a new event reaches the followers who chose them, in their language, and no one else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers import callbacks as cb
from storage.database.engine import session_scope
from storage.database.models import Delivery
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import RunningBot
from tests.e2e.test_alerts_e2e import settle, texts

ADMIN = 900
ON_EN, ON_RU, OFF, TURNED_OFF, ELSEWHERE = 5001, 5002, 5003, 5004, 5005


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def choose(bot: RunningBot, user: int, answer: str, lang: str = "en") -> str:
    [settings] = bot.ask("/settings", user_id=user, language_code=lang)
    assert cb.TimelineFollow(answer).data in [data for _, data, _ in settings.buttons()]
    [reply] = bot.press(settings, cb.TimelineFollow(answer).data, user_id=user, language_code=lang)
    return str(reply.text)


def test_timeline_followers_get_new_events_and_others_not(bot: RunningBot) -> None:
    for user, lang in ((ON_EN, "en"), (ON_RU, "ru"), (OFF, "en"), (TURNED_OFF, "en")):
        bot.ask("/subscribe Alimuly", user_id=user, language_code=lang)
    bot.ask("/subscribe Sauytbay", user_id=ELSEWHERE)
    [settings] = bot.ask("/settings", user_id=OFF)
    assert ("✓ No timeline events", cb.TimelineFollow("off").data, None) in settings.buttons()
    assert "You will also get new timeline events" in choose(bot, ON_EN, "on")
    assert "Теперь вы будете получать" in choose(bot, ON_RU, "on", "ru")
    choose(bot, TURNED_OFF, "on")
    assert "not timeline events" in choose(bot, TURNED_OFF, "off")
    choose(bot, ELSEWHERE, "on")  # follows another case
    [settings] = bot.ask("/settings", user_id=ON_EN)
    assert ("✓ Timeline events too", cb.TimelineFollow("on").data, None) in settings.buttons()
    settle(bot)
    marks = {
        user: len(bot.server.outbox(user)) for user in (ON_EN, ON_RU, OFF, TURNED_OFF, ELSEWHERE)
    }

    [added] = bot.ask(
        "/addevent Alimuly 2026-06-18 Lawyers filed an appeal https://example.org/appeal",
        user_id=ADMIN,
    )
    assert "Lawyers filed an appeal" in added.text or "added" in added.text.lower()
    settle(bot)
    [alert] = texts(bot, ON_EN, marks[ON_EN])
    assert "new in the timeline" in alert and "Lawyers filed an appeal" in alert
    assert 'href="https://example.org/appeal"' in alert
    [alert_ru] = texts(bot, ON_RU, marks[ON_RU])
    assert "новое в хронологии" in alert_ru
    assert "Lawyers filed an appeal <i>(" in alert_ru  # written in English, marked
    for user in (OFF, TURNED_OFF, ELSEWHERE):
        assert texts(bot, user, marks[user]) == []
    with session_scope(bot.services.engine) as session:
        chats = session.exec(select(Delivery.chat_id).where(Delivery.kind == "timeline_event"))
        assert sorted(chats.all()) == [ON_EN, ON_RU]
