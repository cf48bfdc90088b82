"""The organizer's progress message through the real bot and botsim: after Send the preview
becomes "N of M delivered", edited in place; Pause holds the broadcast's deliveries (in
the database, across a restart) and Resume finishes it with nothing lost and nothing
twice; the last edit gives the time it took (paused time not counted), and /stats lists
the broadcast with its duration. Times come from the test's clock."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from botsim import BotApiServer
from services import Services
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Subscriber, Subscription
from storage.files.importer import SAMPLE_FILE, import_file
from storage.outbox import count_by_status
from tests.conftest import FIXED_NOW, Clock, RunningBot, make_settings
from tests.e2e.test_alerts_e2e import settle

ADMIN = 900
FOLLOWERS = range(8_000_001, 8_000_201)  # 200 chats: more than the dispatcher claims at once


def press(bot: RunningBot, message: Any, data: str) -> None:
    bot.server.press_button(user_id=ADMIN, chat_id=ADMIN, message_id=message.message_id, data=data)
    bot.wait_idle()


def current(bot: RunningBot, message_id: int) -> Any:
    return next(m for m in bot.server.outbox(ADMIN) if m.message_id == message_id)


def wait_for_text(bot: RunningBot, message_id: int, text: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = current(bot, message_id)
        if text in message.text:
            return message
        time.sleep(0.05)
    raise AssertionError(current(bot, message_id).text)


def tick(bot: RunningBot) -> None:
    bot._run(bot.app.bot_data["progress"].tick())


def test_progress_pause_across_a_restart_and_resume(botapi: BotApiServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, CASEBOT_ADMINS=str(ADMIN))
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        session.add_all(Subscriber(chat_id=chat, telegram_lang="en") for chat in FOLLOWERS)
        session.flush()
        session.add_all(Subscription(chat_id=chat, case_id=1) for chat in FOLLOWERS)
    clock = Clock(FIXED_NOW)
    services = Services(settings=settings, engine=engine, clock=clock)
    bot = RunningBot(botapi, services).start()
    try:
        [preview] = bot.ask("/setstatus Alimuly deportation_ordered", user_id=ADMIN)
        assert preview.buttons()[0][1].startswith("draft:send:")
        press(bot, preview, preview.buttons()[0][1])
        shown = wait_for_text(bot, preview.message_id, "of 200 delivered")
        assert "Sent: 200 subscribers will get it." in shown.text
        assert [data for _, data, _ in shown.buttons()] == ["bc:pause:1"]

        press(bot, shown, "bc:pause:1")
        paused = wait_for_text(bot, preview.message_id, "paused")
        assert [data for _, data, _ in paused.buttons()] == ["bc:resume:1"]
        held = settle(bot)
        assert held.get("paused", 0) > 0, held
        assert held["paused"] + held.get("sent", 0) == 200
    finally:
        bot.stop()

    # A restart keeps the pause: nothing more of the broadcast goes out.
    clock.now = FIXED_NOW + timedelta(minutes=10)
    bot = RunningBot(botapi, services).start()
    try:
        assert settle(bot) == held
        with session_scope(engine) as session:
            assert count_by_status(session) == held

        press(bot, current(bot, preview.message_id), "bc:resume:1")
        clock.now = FIXED_NOW + timedelta(minutes=12)  # the rest goes out "two minutes later"
        assert settle(bot, timeout=30) == {"sent": 200}
        for chat in FOLLOWERS:  # nothing lost, nothing twice
            assert len(bot.server.outbox(chat)) == 1, chat

        clock.now = FIXED_NOW + timedelta(minutes=15)  # the end counts from the last delivery
        tick(bot)
        done = wait_for_text(bot, preview.message_id, "everyone reached in")
        # 12 minutes since Send, 10 of them paused.
        assert "200 of 200 delivered · everyone reached in 2 min" in done.text
        assert done.buttons() == []
        assert done.edited >= 3  # the progress, the pause, the end (at least)

        [stats] = bot.ask("/stats", user_id=ADMIN)
        assert "Recent broadcasts" in stats.text
        assert "200 subscribers, took 2 min" in stats.text
    finally:
        bot.stop()
        engine.dispose()
