"""Subscriptions and alerts through the real bot: subscribing in three languages, status
changes reaching every follower once in their language, moved hearings, reminders at
the right UTC instant, blocked users, 429s on one chat."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from jobs.schedule import run_planner
from storage.database.engine import session_scope
from storage.database.models import Court, Delivery, Subscriber
from storage.files.importer import SAMPLE_FILE, import_file
from storage.outbox import count_by_status
from storage.usecases.changes import cancel_next_hearing, change_status, set_next_hearing
from tests.conftest import RunningBot

ALIMULY = 1  # case numbers of the sample file
ALMATY = ZoneInfo("Asia/Almaty")
READERS = {2001: "kk", 2002: "ru", 2003: "en"}


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def subscribe_readers(bot: RunningBot, case: str = "Alimuly") -> None:
    for user_id, lang in READERS.items():
        bot.ask(f"/subscribe {case}", user_id=user_id, language_code=lang)


def wake(bot: RunningBot) -> None:
    bot.loop.call_soon_threadsafe(bot.services.wake_dispatcher)


def settle(bot: RunningBot, timeout: float = 20.0) -> dict[str, int]:
    """Wait until no delivery is due (by the bot's clock) or being sent; return the statuses.

    Rows waiting for a retry are waited for too (their time is a few seconds at most);
    rows planned for later by the bot's clock are not.
    """
    dispatcher = bot.app.bot_data["dispatcher"]
    deadline = time.monotonic() + timeout
    while True:
        wake(bot)
        bot._run(dispatcher.drain(timeout), timeout + 5)
        with session_scope(bot.services.engine) as session:
            statuses = count_by_status(session)
            busy = session.exec(
                select(Delivery.id).where(
                    (col(Delivery.status) == "sending")
                    | (
                        (col(Delivery.status) == "pending")
                        & (col(Delivery.due_at) <= bot.services.clock() + timedelta(seconds=10))
                    )
                )
            ).first()
        if busy is None:
            return statuses
        if time.monotonic() > deadline:
            raise TimeoutError(statuses)
        time.sleep(0.1)


def texts(bot: RunningBot, chat_id: int, since: int = 0) -> list[str]:
    return [message.text for message in bot.server.outbox(chat_id)[since:]]


def test_subscribe_in_three_languages(bot: RunningBot) -> None:
    [kk] = bot.ask("/subscribe Alimuly", user_id=2001, language_code="kk")
    [ru] = bot.ask("/subscribe Алимулы", user_id=2002, language_code="ru")
    [en] = bot.ask("/subscribe murager-alimuly", user_id=2003, language_code="en")
    assert "Енді сіз Мұрагер Әлімұлы ісін қадағалайсыз" in kk.text
    assert "/unsubscribe 1" in kk.text
    assert "Теперь вы следите за делом: Мурагер Алимулы" in ru.text
    assert "You now follow Murager Alimuly" in en.text and "/unsubscribe 1" in en.text
    [again] = bot.ask("/subscribe Alimuly", user_id=2002, language_code="ru")
    assert "Вы уже следите за делом" in again.text
    [mine] = bot.ask("/mysubs", user_id=2002, language_code="ru")
    assert "Вы следите за 1 делом" in mine.text
    assert ("1. Мурагер Алимулы", "card:1", None) in mine.buttons()


def test_card_button_and_deep_link_subscribe(bot: RunningBot) -> None:
    [card] = bot.ask("/case Aqan", user_id=2004, language_code="en")
    assert ("Subscribe", "sub:4", None) in card.buttons()
    [done] = bot.press(card, "sub:4", user_id=2004)
    assert "You now follow Qaisha Aqan" in done.text
    [card] = bot.ask("/case Aqan", user_id=2004, language_code="en")
    assert ("Unsubscribe", "unsub:4", None) in card.buttons()
    [linked] = bot.ask("/start sub_tilek-tabarikuly", user_id=2005, language_code="ru")
    assert "Теперь вы следите за делом: Тилек Табарикулы" in linked.text


def test_unsubscribe_and_forget(bot: RunningBot, engine: Engine) -> None:
    subscribe_readers(bot)
    [gone] = bot.ask("/unsubscribe 1", user_id=2003)
    assert "You no longer follow Murager Alimuly" in gone.text
    [never] = bot.ask("/unsubscribe 1", user_id=2003)
    assert "You were not following" in never.text
    [ask] = bot.ask("/forget", user_id=2002, language_code="ru")
    [kept] = bot.press(ask, "forget:no", user_id=2002, language_code="ru")
    assert "Ничего не удалено" in kept.text
    with session_scope(engine) as session:
        assert session.get(Subscriber, 2002) is not None
    [done] = bot.press(ask, "forget:yes", user_id=2002, language_code="ru")
    assert "ничего не хранит" in done.text
    with session_scope(engine) as session:
        assert session.get(Subscriber, 2002) is None


def test_status_change_reaches_each_follower_once_in_their_language(bot: RunningBot) -> None:
    subscribe_readers(bot)
    marks = {chat: len(bot.server.outbox(chat)) for chat in READERS}
    with session_scope(bot.services.engine) as session:
        result = change_status(
            session,
            case_id=ALIMULY,
            dimension="risk",
            key="deportation_ordered",
            note={"en": "Announced in court."},
            note_lang="en",
            now=datetime.now(UTC),
        )
    assert result is not None and result.alerts == 3
    statuses = settle(bot)
    assert statuses == {"sent": 3}
    got = {chat: texts(bot, chat, marks[chat]) for chat in READERS}
    assert all(len(messages) == 1 for messages in got.values()), got
    assert "вынесено решение о депортации" in got[2002][0]
    assert "депортация туралы шешім шықты" in got[2001][0]
    assert "deportation ordered" in got[2003][0] and "⚠️" in got[2003][0]
    assert "Announced in court. <i>(на английском)</i>" in got[2002][0]
    buttons = bot.server.outbox(2003)[-1].buttons()
    assert ("Open the case", "card:1", None) in buttons
    assert ("Unsubscribe", "unsub:1", None) in buttons
    # The same change again writes nothing and sends nothing.
    with session_scope(bot.services.engine) as session:
        assert (
            change_status(
                session,
                case_id=ALIMULY,
                dimension="risk",
                key="deportation_ordered",
                now=datetime.now(UTC),
            )
            is None
        )
    assert settle(bot) == {"sent": 3}


def test_alert_language_is_the_one_at_send_time(bot: RunningBot) -> None:
    subscribe_readers(bot)
    bot.ask("/language kk", user_id=2003, language_code="en")
    mark = len(bot.server.outbox(2003))
    with session_scope(bot.services.engine) as session:
        change_status(
            session, case_id=ALIMULY, dimension="custody", key="released", now=datetime.now(UTC)
        )
    settle(bot)
    [alert] = texts(bot, 2003, mark)
    assert "босатылды" in alert


def zaysan(engine: Engine) -> int:
    with session_scope(engine) as session:
        court = session.exec(select(Court).where(Court.slug == "zaysan-court")).one()
        assert court.id is not None
        return court.id


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ALMATY).astimezone(UTC)


def set_hearing(bot: RunningBot, court: int, starts_at: datetime) -> str:
    """Set Alimuly's next hearing at Zaysan court by the bot's clock; return the change's kind."""
    with session_scope(bot.services.engine) as session:
        change = set_next_hearing(
            session,
            case_id=ALIMULY,
            starts_at=starts_at,
            tz="Asia/Almaty",
            court_id=court,
            now=bot.clock(),
        )
    assert change is not None
    return change.kind


def check_one_moved_alert_per_reader(bot: RunningBot, marks: dict[int, int]) -> None:
    """Each reader got exactly one 'hearing moved' alert, old and new time in their language."""
    moved_texts = {chat: texts(bot, chat, marks[chat]) for chat in READERS}
    assert all(len(messages) == 1 for messages in moved_texts.values()), moved_texts
    assert "Now: May 12, 2030, 15:00 (UTC+5)" in moved_texts[2003][0]
    assert "Was: May 10, 2030, 10:00 (UTC+5)" in moved_texts[2003][0]  # in words
    assert "<s>" not in moved_texts[2003][0]
    assert "Было:" in moved_texts[2002][0] and "Теперь:" in moved_texts[2002][0]
    assert "заседание перенесено" in moved_texts[2002][0]


def check_reminders_only_for_the_new_time(bot: RunningBot) -> None:
    """Around 24 h and 2 h before 12 May 15:00, two reminders each, none for 10 May."""
    clock = bot.clock
    marks = {chat: len(bot.server.outbox(chat)) for chat in READERS}
    for moment in (
        local(2030, 5, 11, 14, 59),
        local(2030, 5, 11, 15, 1),
        local(2030, 5, 12, 12, 59),
        local(2030, 5, 12, 13, 1),
    ):
        clock.now = moment
        run_planner(bot.services)
        settle(bot)
    reminders = {chat: texts(bot, chat, marks[chat]) for chat in READERS}
    assert [len(messages) for messages in reminders.values()] == [2, 2, 2]
    for message in reminders[2003]:
        assert "May 12, 2030, 15:00" in message and "May 10" not in message
    assert "in 24 hours" in reminders[2003][0] and "in 2 hours" in reminders[2003][1]
    assert "2 сағаттан кейін" in reminders[2001][1]
    with session_scope(bot.services.engine) as session:
        skipped = session.exec(select(Delivery).where(Delivery.status == "skipped")).all()
        assert {row.kind for row in skipped} == {"hearing_reminder"}


def test_moved_hearing_one_alert_and_reminders_only_for_the_new_time(bot: RunningBot) -> None:
    clock = bot.clock
    clock.now = datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
    subscribe_readers(bot)
    court = zaysan(bot.services.engine)
    assert set_hearing(bot, court, local(2030, 5, 10, 10)) == "hearing_set"
    settle(bot)
    # The day before the first date: its reminder is planned (not yet due)...
    clock.now = local(2030, 5, 9, 9, 50)
    run_planner(bot.services)
    # ...then the hearing moves to 12 May at 15:00 before that reminder goes out.
    marks = {chat: len(bot.server.outbox(chat)) for chat in READERS}
    assert set_hearing(bot, court, local(2030, 5, 12, 15)) == "hearing_moved"
    clock.now = local(2030, 5, 9, 10, 1)  # the old reminder's moment passes
    settle(bot)
    check_one_moved_alert_per_reader(bot, marks)
    # The reminders that come are for the new time only.
    check_reminders_only_for_the_new_time(bot)


@pytest.mark.parametrize(
    ("hearing", "reminder_utc"),
    [
        # Zaysan at 10:00 local: UTC+6 in January 2020, UTC+5 after March 2024.
        (local(2020, 1, 21, 10), datetime(2020, 1, 20, 4, 0, tzinfo=UTC)),
        (local(2025, 3, 4, 10), datetime(2025, 3, 3, 5, 0, tzinfo=UTC)),
    ],
)
def test_reminder_fires_at_the_right_utc_instant(
    bot: RunningBot, hearing: datetime, reminder_utc: datetime
) -> None:
    clock = bot.clock
    clock.now = hearing - timedelta(days=5)
    bot.ask("/subscribe Alimuly", user_id=2003)
    with session_scope(bot.services.engine) as session:
        set_next_hearing(
            session,
            case_id=ALIMULY,
            starts_at=hearing,
            tz="Asia/Almaty",
            court_id=zaysan(bot.services.engine),
            now=clock(),
        )
    settle(bot)
    mark = len(bot.server.outbox(2003))
    clock.now = reminder_utc - timedelta(minutes=10)
    run_planner(bot.services)
    with session_scope(bot.services.engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "hearing_reminder")).one()
        assert row.due_at == reminder_utc
    settle(bot)
    assert texts(bot, 2003, mark) == []  # not yet
    clock.now = reminder_utc + timedelta(seconds=1)
    settle(bot)
    [reminder] = texts(bot, 2003, mark)
    assert "10:00 (UTC+" in reminder


def test_reminders_missed_while_down_are_sent_once_if_still_ahead(bot: RunningBot) -> None:
    clock = bot.clock
    clock.now = local(2030, 6, 1, 0)
    bot.ask("/subscribe Alimuly", user_id=2003)
    with session_scope(bot.services.engine) as session:
        set_next_hearing(
            session,
            case_id=ALIMULY,
            starts_at=local(2030, 6, 10, 10),
            tz="Asia/Almaty",
            court_id=zaysan(bot.services.engine),
            now=clock(),
        )
    settle(bot)
    mark = len(bot.server.outbox(2003))
    clock.now = local(2030, 6, 10, 9)  # both 1d and 2h moments passed while "down"
    run_planner(bot.services)
    run_planner(bot.services)
    settle(bot)
    [reminder] = texts(bot, 2003, mark)
    assert "in 1 hour" in reminder
    clock.now = local(2030, 6, 10, 11)  # the hearing began: nothing more
    run_planner(bot.services)
    settle(bot)
    assert len(texts(bot, 2003, mark)) == 1


def test_cancelled_hearing_alerts_and_retires_reminders(bot: RunningBot) -> None:
    clock = bot.clock
    clock.now = local(2030, 7, 1, 0)
    subscribe_readers(bot)
    with session_scope(bot.services.engine) as session:
        set_next_hearing(
            session,
            case_id=ALIMULY,
            starts_at=local(2030, 7, 2, 10),
            tz="Asia/Almaty",
            court_id=zaysan(bot.services.engine),
            now=clock(),
        )
    clock.now = local(2030, 7, 1, 9, 55)
    run_planner(bot.services)
    mark = len(bot.server.outbox(2002))
    with session_scope(bot.services.engine) as session:
        assert cancel_next_hearing(session, case_id=ALIMULY, now=clock()) is not None
    clock.now = local(2030, 7, 1, 10, 5)
    settle(bot)
    new = texts(bot, 2002, mark)
    assert len(new) == 2 and "заседание отменено" in new[-1]  # set, then cancelled


def test_blocked_user_is_marked_and_skipped(bot: RunningBot, engine: Engine) -> None:
    subscribe_readers(bot)
    bot.server.block(2002)
    with session_scope(engine) as session:
        change_status(
            session, case_id=ALIMULY, dimension="custody", key="released", now=datetime.now(UTC)
        )
    assert settle(bot) == {"sent": 2, "blocked": 1}
    with session_scope(engine) as session:
        assert session.get(Subscriber, 2002).blocked  # type: ignore[union-attr]
        result = change_status(
            session, case_id=ALIMULY, dimension="custody", key="abroad", now=datetime.now(UTC)
        )
    assert result is not None and result.alerts == 2
    assert settle(bot) == {"sent": 4, "blocked": 1}


def test_a_429_on_one_chat_does_not_delay_the_others(bot: RunningBot, engine: Engine) -> None:
    followers = list(range(3001, 3011))
    for chat in followers:
        bot.ask("/subscribe Alimuly", user_id=chat)
    bot.server.fail_next(3001, 429, retry_after=2)
    start = len(bot.server.calls())
    with session_scope(engine) as session:
        change_status(
            session, case_id=ALIMULY, dimension="custody", key="released", now=datetime.now(UTC)
        )
    assert settle(bot) == {"sent": 10}
    sends = [c for c in bot.server.calls()[start:] if c.method == "sendMessage"]
    order = [call.params["chat_id"] for call in sends if call.status == 200]
    assert order[-1] == 3001  # the paused chat is served last...
    assert sorted(order) == followers  # ...everyone exactly once
    assert len([call for call in sends if call.status == 429]) == 1


def test_only_group_admins_subscribe_a_group_and_alerts_go_to_the_group(
    bot: RunningBot, engine: Engine
) -> None:
    group = -100_900
    [refused] = bot.ask(
        "/subscribe Alimuly",
        user_id=2101,
        chat_id=group,
        chat_type="supergroup",
        chat_title="Supporters",
        language_code="ru",
    )
    assert "только её администраторы" in refused.text
    with session_scope(engine) as session:
        assert session.get(Subscriber, group) is None
    bot.server.set_admins(group, [2102])
    [done] = bot.ask(
        "/subscribe Alimuly",
        user_id=2102,
        chat_id=group,
        chat_type="supergroup",
        chat_title="Supporters",
        language_code="ru",
    )
    assert "Теперь вы следите за делом" in done.text
    mark = len(bot.server.outbox(group))
    with session_scope(engine) as session:
        change_status(
            session, case_id=ALIMULY, dimension="custody", key="released", now=datetime.now(UTC)
        )
    settle(bot)
    [alert] = texts(bot, group, mark)
    assert "освобождён(а)" in alert


def test_a_channel_subscribes_by_posting_and_gets_alerts(bot: RunningBot, engine: Engine) -> None:
    channel = -1_001_777
    since = len(bot.server.outbox(channel))
    bot.server.channel_post("/subscribe Alimuly", chat_id=channel, chat_title="Free them")
    [done] = bot.server.wait_for_messages(channel, 1, since=since)
    assert "You now follow Murager Alimuly" in done.text
    with session_scope(engine) as session:
        assert session.get(Subscriber, channel).chat_type == "channel"  # type: ignore[union-attr]
        change_status(
            session, case_id=ALIMULY, dimension="custody", key="released", now=datetime.now(UTC)
        )
    settle(bot)
    assert "released" in bot.server.outbox(channel)[-1].text
