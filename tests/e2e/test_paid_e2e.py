"""Paid broadcasts through the real bot and botsim: ``allow_paid_broadcast`` only on sends
beyond the free 30/s and only for the alerts opted into, the daily Stars cap falling
back to the free rate (admins told once, in their language), the balance in /stats and
/healthz, and CASEBOT_RATE above 30 refused without paid broadcasts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from botsim import BotApiServer
from jobs.health import HEALTH_KEY, application_health
from services import Services
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Subscriber, Subscription
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.changes import change_status
from tests.conftest import RunningBot, make_settings
from tests.e2e.test_alerts_e2e import settle
from tests.e2e.test_cli import clean_env, run_casebot

ALIMULY = 1
ADMIN = 900
FOLLOWERS = range(7_000_001, 7_000_121)  # 120 chats


class PaidBot:
    """A running bot with the given settings, on a database whose case 1 has followers."""

    def __init__(self, server: BotApiServer, tmp_path: Path, **env: str) -> None:
        self.settings = make_settings(tmp_path, CASEBOT_ADMINS=str(ADMIN), **env)
        self.engine: Engine = make_engine(self.settings.database_url)
        upgrade(self.engine)
        with session_scope(self.engine) as session:
            import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
            session.add_all(Subscriber(chat_id=chat, telegram_lang="en") for chat in FOLLOWERS)
            session.flush()
            session.add_all(Subscription(chat_id=chat, case_id=ALIMULY) for chat in FOLLOWERS)
        self.bot = RunningBot(server, Services(settings=self.settings, engine=self.engine))

    def __enter__(self) -> RunningBot:
        return self.bot.start()

    def __exit__(self, *exc: object) -> None:
        self.bot.stop()
        self.engine.dispose()


def alert(bot: RunningBot, key: str, dimension: str = "risk") -> int:
    """Write an alert for every follower of case 1, as pressing Send does; wake the sender."""
    with session_scope(bot.services.engine) as session:
        result = change_status(
            session,
            case_id=ALIMULY,
            dimension=dimension,
            key=key,
            note={},
            note_lang="en",
            now=datetime.now(UTC),
        )
    assert result is not None
    bot.loop.call_soon_threadsafe(bot.services.wake_dispatcher)
    return result.alerts


def delivered(server: BotApiServer) -> list[Any]:
    return [m for chat in FOLLOWERS for m in server.outbox(chat)]


@pytest.fixture
def paid_server() -> Iterator[BotApiServer]:
    server = BotApiServer("123456:TEST-token-for-botsim-only_0123456789")
    server.set_star_balance(500)
    server.start()
    yield server
    server.stop()


def test_only_urgent_alerts_beyond_the_free_rate_are_paid(
    paid_server: BotApiServer, tmp_path: Path
) -> None:
    env = {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "urgent", "CASEBOT_PAID_BUDGET": "50"}
    with PaidBot(paid_server, tmp_path, **env) as bot:
        assert alert(bot, "deportation_ordered") == len(FOLLOWERS)
        assert settle(bot) == {"sent": len(FOLLOWERS)}
        urgent = delivered(paid_server)
        paid = [m for m in urgent if m.paid_broadcast]
        # Beyond the free 30/s, and never instead of a free slot: some went free.
        assert 0 < len(paid) < len(urgent)
        assert all(len(paid_server.outbox(chat)) == 1 for chat in FOLLOWERS)
        assert paid_server.stats.paid == len(paid)
        assert paid_server.star_balance() == pytest.approx(500 - 0.1 * len(paid))
        assert bot.app.bot_data["dispatcher"].stats.paid == len(paid)

        # An acquittal is not urgent: the whole alert goes at the free rate, unflagged.
        assert alert(bot, "acquitted", dimension="proceedings") == len(FOLLOWERS)
        assert settle(bot, timeout=30) == {"sent": 2 * len(FOLLOWERS)}
        calm = [paid_server.outbox(chat)[1] for chat in FOLLOWERS]
        assert not any(m.paid_broadcast for m in calm)


def test_nothing_is_paid_with_paid_broadcasts_off(botapi: BotApiServer, tmp_path: Path) -> None:
    botapi.set_star_balance(500)
    with PaidBot(botapi, tmp_path) as bot:
        alert(bot, "deportation_ordered")
        assert settle(bot, timeout=30) == {"sent": len(FOLLOWERS)}
        assert not any(m.paid_broadcast for m in delivered(botapi))
        assert botapi.stats.paid == 0 and botapi.star_balance() == 500


def test_the_budget_cap_falls_back_to_the_free_rate_and_tells_admins_once(
    paid_server: BotApiServer, tmp_path: Path
) -> None:
    env = {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "all", "CASEBOT_PAID_BUDGET": "1"}
    with PaidBot(paid_server, tmp_path, **env) as bot:
        bot.ask("/language ru", user_id=ADMIN, language_code="en")
        alert(bot, "deportation_ordered")
        assert settle(bot, timeout=30) == {"sent": len(FOLLOWERS)}
        alert(bot, "acquitted", dimension="proceedings")
        assert settle(bot, timeout=30) == {"sent": 2 * len(FOLLOWERS)}
        # 1 Star a day = 10 paid messages, then the free rate for the rest of the day.
        assert paid_server.stats.paid == 10
        assert sum(m.paid_broadcast for m in delivered(paid_server)) == 10
        notices = [m for m in paid_server.outbox(ADMIN) if "CASEBOT_PAID_BUDGET" in m.text]
        assert len(notices) == 1
        assert "Платные рассылки израсходовали сегодняшний бюджет — 1 звёзд" in notices[0].text

        [stats] = bot.ask("/stats", user_id=ADMIN)
        assert "Баланс звёзд: 499" in stats.text
        assert "Потрачено сегодня: 1 из 1 звёзд" in stats.text
        assert "Бюджет на сегодня исчерпан" in stats.text


def test_the_balance_is_in_healthz(paid_server: BotApiServer, tmp_path: Path) -> None:
    env = {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "urgent", "CASEBOT_PAID_BUDGET": "50"}
    with PaidBot(paid_server, tmp_path, **env) as bot:
        check = bot.app.bot_data.get(HEALTH_KEY) or application_health(bot.app)

        async def run_check() -> Any:
            return await check()

        report = asyncio.run_coroutine_threadsafe(run_check(), bot.loop).result(10)
        paid = report.to_dict()["paid_broadcast"]
        assert paid["balance_stars"] == 500
        assert paid["mode"] == "urgent" and paid["budget_stars"] == 50
        assert paid["spent_today_stars"] == 0 and paid["exhausted"] is False


@pytest.mark.slow
def test_a_rate_above_30_without_paid_broadcasts_is_refused(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        CASEBOT_RATE="1000",
        TELEGRAM_BOT_TOKEN="123456:TEST-token-for-botsim-only_0123456789",
    )
    result = run_casebot("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "CASEBOT_RATE=1000 is above Telegram's free limit of 30" in result.stderr
    assert "CASEBOT_PAID_BROADCAST=urgent" in result.stderr
