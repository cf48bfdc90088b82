"""/audit and /organizer list through the real bot: who by name and id, when in the
organizers' zone, and each change in the organizer's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from storage.database.engine import session_scope
from storage.database.models import TimelineEvent
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import FIXED_NOW, RunningBot
from tests.e2e.test_organizers_e2e import ADMIN, press_send


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    """The sample cases; "now" is 19 June 2026, 06:00 UTC (11:00 in Almaty)."""
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    running_bot.clock.now = FIXED_NOW
    yield running_bot


def aigerim(bot: RunningBot, text: str, lang: str = "en") -> list[Any]:
    """The admin, with her Telegram username and first name."""
    return bot.ask(
        text, user_id=ADMIN, language_code=lang, username="aigerim_k", first_name="Aigerim"
    )


def test_audit_names_people_shows_local_times_and_describes_changes(
    bot: RunningBot, engine: Engine
) -> None:
    [preview] = aigerim(bot, "/sethearing Alimuly 20.12.2026 10:00 Zaysan court, Zaysan")
    press_send(bot, preview)
    [preview] = aigerim(bot, "/setstatus Alimuly released")
    press_send(bot, preview)
    aigerim(bot, "/addevent Alimuly 05.2020 Released from the colony")
    with session_scope(engine) as session:
        event = session.exec(select(TimelineEvent).order_by(TimelineEvent.id.desc())).first()  # type: ignore[union-attr]
        assert event is not None and event.id is not None
        number = event.id
    aigerim(bot, f"/translate {number} ru Вышел из колонии")
    [log] = aigerim(bot, "/audit Alimuly")
    text = log.text
    assert "Times in Asia/Almaty (UTC+5)." in text
    assert "19.06.2026 11:00 · Aigerim @aigerim_k (900) · " in text
    assert "hearing set: December 20, 2026, 10:00 (UTC+5), Zaysan court, Zaysan" in text
    assert "custody: in prison → released" in text
    assert f"event {number} added (May 2020, in English): Released from the colony" in text
    assert f"translation of event {number} into Russian: Вышел из колонии" in text
    for raw in ("T05:00", "UTC ·", "user 900", "event=", "ru=", "starts_at", "imprisoned"):
        assert raw not in text, raw
    [ru] = aigerim(bot, "/audit Alimuly", lang="ru")
    assert "заседание назначено: 20 декабря 2026\u202fг., 10:00 (UTC+5), Зайсанский суд" in ru.text
    assert "положение: в заключении → освобождён" in ru.text
    assert f"перевод события {number} на русский: Вышел из колонии" in ru.text
    [kk] = aigerim(bot, "/audit Alimuly", lang="kk")
    assert f"{number}-оқиғаның орысша аудармасы" in kk.text
    assert "Зайсан соты" in kk.text


def test_a_changed_name_is_shown_for_older_entries_too(
    bot: RunningBot,
) -> None:
    aigerim(bot, "/addname Alimuly alias Murat")
    bot.ask("/stats", user_id=ADMIN, username="aigerim_s", first_name="Aigerim")
    [log] = bot.ask("/audit Alimuly", user_id=ADMIN, username="aigerim_s", first_name="Aigerim")
    assert "Aigerim @aigerim_s (900) · another spelling added: Murat" in log.text
    assert "import" in log.text  # the sample file's own entries


def test_organizer_list_for_any_organizer(bot: RunningBot) -> None:
    aigerim(bot, "/organizer add 777")
    aigerim(bot, "/organizer add 778")
    [listed] = bot.ask("/organizer list", user_id=777, first_name="Daulet", username=None)
    text = listed.text
    assert "Admins (CASEBOT_ADMINS)" in text and "Aigerim @aigerim_k (900)" in text
    assert "Daulet (777) — added by Aigerim @aigerim_k (900) on 19.06.2026 11:00" in text
    assert "user 778 — added by" in text
    [ru] = bot.ask("/organizer list", user_id=777, language_code="ru", first_name="Daulet")
    assert "Администраторы" in ru.text and "добавил(а) Aigerim @aigerim_k (900)" in ru.text
    [refused] = bot.ask("/organizer list", user_id=4242)
    assert "organizers" in refused.text and "900" not in refused.text
    [not_admin] = bot.ask("/organizer remove 778", user_id=777)
    assert "Only admins" in not_admin.text
