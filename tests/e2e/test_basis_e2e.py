"""How a fact is known, through the real bot: a status change and a timeline event carry
their basis and source; the preview, the alert, the card and the timeline say it in words,
and an urgent alert on an unconfirmed basis says so at its top."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers import callbacks as cb
from storage.database.engine import session_scope
from storage.database.models import Case, TimelineEvent
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import RunningBot
from tests.e2e.test_alerts_e2e import settle, texts
from tests.e2e.test_organizers_e2e import admin, press_send

EN, RU = 6001, 6002


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def send(bot: RunningBot, command: str) -> Any:
    [preview] = admin(bot, command)
    press_send(bot, preview)
    settle(bot)
    return preview


def test_basis_in_preview_alert_card_and_timeline(bot: RunningBot) -> None:
    bot.ask("/subscribe Alimuly", user_id=EN)
    bot.ask("/subscribe Alimuly", user_id=RU, language_code="ru")
    marks = {user: len(bot.server.outbox(user)) for user in (EN, RU)}

    preview = send(
        bot,
        "/setstatus Alimuly deportation_ordered basis=media An official announced it "
        "https://example.org/news/1",
    )
    assert "How it is known: reported by media, not yet confirmed" in preview.text
    [alert] = texts(bot, EN, marks[EN])
    first, *rest = alert.splitlines()
    assert first == "⚠️ <b>NOT YET CONFIRMED: reported by media, not yet confirmed</b>"
    assert any(line.startswith("How it is known: reported by media") for line in rest)
    assert '<a href="https://example.org/news/1">source</a>' in alert
    assert "An official announced it" in alert and "https://" not in alert.split("href")[0]
    [alert_ru] = texts(bot, RU, marks[RU])
    assert alert_ru.startswith("⚠️ <b>ЕЩЁ НЕ ПОДТВЕРЖДЕНО: сообщают СМИ, пока не подтверждено")
    with session_scope(bot.services.engine) as session:
        case = session.get(Case, 1)
        assert case is not None
        assert case.basis["risk"] == {"basis": "media", "source": "https://example.org/news/1"}

    [card] = bot.ask("/case Alimuly", user_id=EN)
    risk = next(line for line in card.text.splitlines() if line.startswith("<b>Deportation risk"))
    assert "deportation ordered — <i>reported by media, not yet confirmed (<a" in risk

    # A court document confirms a later change: no warning on top; the card says so.
    marks = {user: len(bot.server.outbox(user)) for user in (EN, RU)}
    send(bot, "/setstatus Alimuly deportation_blocked basis=court The court stopped it")
    [alert] = texts(bot, EN, marks[EN])
    assert "NOT YET CONFIRMED" not in alert
    assert "How it is known: according to a court document" in alert
    [card] = bot.ask("/case Alimuly", user_id=EN)
    assert "deportation blocked by a court — <i>according to a court document</i>" in card.text

    # An urgent change from the lawyer is not marked unconfirmed; one with no basis says none.
    marks = {user: len(bot.server.outbox(user)) for user in (EN, RU)}
    send(bot, "/setstatus Alimuly deportation_threat basis=lawyer")
    send(bot, "/setstatus Alimuly detained")
    new = texts(bot, EN, marks[EN])
    assert len(new) == 2 and "NOT YET CONFIRMED" not in new[0]
    assert "according to the lawyer" in new[0] and "How it is known" not in new[1]

    # A timeline event with its basis: a timeline follower reads it in words.
    [settings] = bot.ask("/settings", user_id=EN)
    bot.press(settings, cb.TimelineFollow("on").data, user_id=EN)
    mark = len(bot.server.outbox(EN))
    admin(bot, "/addevent Alimuly 2020-05 Met his lawyer basis=family https://example.org/2")
    settle(bot)
    with session_scope(bot.services.engine) as session:
        event = session.exec(
            select(TimelineEvent).where(TimelineEvent.source_url == "https://example.org/2")
        ).one()
        assert (event.basis, event.text) == ("family", {"en": "Met his lawyer"})
    [alert] = texts(bot, EN, mark)
    assert "Met his lawyer (according to the family; <a href=" in alert


def test_a_wrong_basis_gets_the_usage(bot: RunningBot) -> None:
    [reply] = admin(bot, "/setstatus Alimuly released basis=rumour")
    assert "“rumour” is not a basis" in reply.text
    assert "basis=court, lawyer, family, media or unconfirmed" in reply.text
    with session_scope(bot.services.engine) as session:
        case = session.get(Case, 1)
        assert case is not None and case.custody != "released"
