"""Stale cases through the real bot: /stale and the weekly digest list exactly the cases
that qualify (release passed with custody held, a hearing passed with nothing recorded,
unconfirmed for CASEBOT_STALE_AFTER), with "Nothing changed" and "Update" per case; the
digest goes once a week to each organizer through the outbox; strangers are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers import callbacks as cb
from jobs.schedule import run_planner
from storage.database.engine import session_scope
from storage.database.models import Case, Delivery, JobState, Organizer
from storage.usecases.changes import change_status, confirm_case, set_next_hearing
from storage.usecases.editing import create_case
from tests.conftest import Clock, RunningBot
from tests.e2e.test_alerts_e2e import settle

ADMIN, ORGANIZER, STRANGER = 900, 901, 3001
ALMATY = ZoneInfo("Asia/Almaty")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ALMATY).astimezone(UTC)


@pytest.fixture
def cases(running_bot: RunningBot, engine: Engine) -> Iterator[dict[str, int]]:
    """Six cases, three of which need a look on Monday 3 June 2030."""
    made: dict[str, int] = {}
    with session_scope(engine) as session:
        session.add(Organizer(user_id=ORGANIZER, added_by=ADMIN))

        def new(name: str, day: date) -> int:
            case = create_case(session, name=name, lang="en", actor_id=ADMIN, now=at(day))
            assert case.id is not None
            made[name] = case.id
            return case.id

        new("Fresh Case", date(2030, 5, 20))
        new("Old Case", date(2030, 1, 1))  # nothing since: unconfirmed for over 90 days
        release = new("Release Case", date(2030, 5, 25))
        change_status(session, case_id=release, dimension="custody", key="detained",
                      now=at(date(2030, 5, 25)))  # fmt: skip
        case = session.get(Case, release)
        assert case is not None
        case.release_on = date(2030, 5, 30)  # passed, custody still detained
        for name, recorded in (("Hearing Case", False), ("Recorded Case", True)):
            hearing = new(name, date(2030, 5, 25))
            set_next_hearing(session, case_id=hearing, starts_at=at(date(2030, 6, 1)),
                             tz="Asia/Almaty", now=at(date(2030, 5, 25)))  # fmt: skip
            if recorded:  # the outcome, the day after
                change_status(session, case_id=hearing, dimension="proceedings", key="trial",
                              now=at(date(2030, 6, 2)))  # fmt: skip
        confirmed = new("Confirmed Case", date(2030, 1, 1))
        confirm_case(session, case_id=confirmed, actor_id=ADMIN, today=date(2030, 5, 30),
                     now=at(date(2030, 5, 30)))  # fmt: skip
    running_bot.clock.now = at(date(2030, 6, 3))  # a Monday, 10:00 in Almaty
    forget_first_run(engine)
    yield made


def forget_first_run(engine: Engine) -> None:
    """Forget the start-up planner run (at the real time): each test says when the bot began."""
    with session_scope(engine) as session:
        state = session.get(JobState, "stale_digest")
        if state is not None:
            session.delete(state)


def listed(message: Any) -> list[str]:
    """The case lines of a stale list (number. name: reasons)."""
    return [line for line in message.text.splitlines() if line[:1].isdigit()]


def test_stale_lists_exactly_the_cases_that_qualify(
    running_bot: RunningBot, cases: dict[str, int]
) -> None:
    bot = running_bot
    [refused] = bot.ask("/stale", user_id=STRANGER)
    assert "Nothing was changed" in refused.plain_text

    [reply] = bot.ask("/stale", user_id=ADMIN)
    assert "3 cases need a look" in reply.text
    old, release, hearing = cases["Old Case"], cases["Release Case"], cases["Hearing Case"]
    assert listed(reply) == [
        f"{old}. Old Case: nothing confirmed since January 1, 2030",
        f"{release}. Release Case: the expected release passed, custody still says held",
        f"{hearing}. Hearing Case: a hearing passed, no outcome recorded",
    ]
    data = [button[1] for button in reply.buttons()]
    assert data == [
        cb.StaleConfirm(old).data, cb.GuidedStart(old).data,
        cb.StaleConfirm(release).data, cb.GuidedStart(release).data,
        cb.StaleConfirm(hearing).data, cb.GuidedStart(hearing).data,
    ]  # fmt: skip

    # A stranger's forged "Nothing changed" is refused and changes nothing.
    [no] = bot.ask("/case 1", user_id=STRANGER)
    [refused] = bot.press(no, cb.StaleConfirm(old).data, user_id=STRANGER, check=False)
    assert "Nothing was changed" in refused.plain_text
    [still] = bot.ask("/stale", user_id=ADMIN)
    assert len(listed(still)) == 3
    [noted] = bot.press(reply, cb.StaleConfirm(old).data, user_id=ADMIN)
    assert "Old Case was checked today and nothing changed" in noted.text
    [after] = bot.ask("/stale", user_id=ADMIN)
    assert [line.split(".")[0] for line in listed(after)] == [str(release), str(hearing)]

    # "Update" opens the guided /update on that case.
    [guided] = bot.press(after, cb.GuidedStart(hearing).data, user_id=ADMIN)
    assert "What changes for Hearing Case?" in guided.text

    # "Nothing changed" on a case deleted since it was listed says so and lists the cases.
    [gone] = bot.press(after, cb.StaleConfirm(99_999).data, user_id=ADMIN, check=False)
    assert "This case no longer exists" in gone.text


def test_weekly_digest_once_a_week_to_each_organizer(
    running_bot: RunningBot, cases: dict[str, int]
) -> None:
    bot = running_bot
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = at(date(2030, 5, 28))  # the bot first runs: no digest that week
    run_planner(bot.services)
    clock.now = at(date(2030, 6, 3), 8)  # Monday before 09:00: not yet
    run_planner(bot.services)
    settle(bot)
    assert bot.server.outbox(ADMIN) == []
    clock.now = at(date(2030, 6, 3), 9) + timedelta(minutes=1)
    run_planner(bot.services)
    run_planner(bot.services)  # a rerun adds nothing
    settle(bot)
    with session_scope(bot.services.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "stale_digest")).all()
        assert sorted(row.chat_id for row in rows) == [ADMIN, ORGANIZER]
        assert {row.payload["week"] for row in rows} == {"2030-W23"}
    [digest] = bot.server.outbox(ADMIN)
    assert "Weekly check: 3 cases need a look" in digest.text
    assert len(listed(digest)) == 3
    [to_organizer] = bot.server.outbox(ORGANIZER)
    assert to_organizer.text == digest.text

    # "Nothing changed" on the digest: the case is confirmed (organizers only).
    release = cases["Release Case"]
    [noted] = bot.press(digest, cb.StaleConfirm(release).data, user_id=ADMIN)
    assert "checked today and nothing changed" in noted.text

    clock.now = at(date(2030, 6, 3), 12)  # the same week: nothing more
    run_planner(bot.services)
    settle(bot)
    assert len(bot.server.outbox(ORGANIZER)) == 1
    clock.now = at(date(2030, 6, 10), 9) + timedelta(minutes=1)  # next Monday
    run_planner(bot.services)
    settle(bot)
    [_, second] = bot.server.outbox(ORGANIZER)
    assert "Weekly check: 2 cases need a look" in second.text
    assert str(release) not in [line.split(".")[0] for line in listed(second)]


def test_a_new_installation_waits_for_next_week(
    running_bot: RunningBot, cases: dict[str, int]
) -> None:
    bot = running_bot
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = at(date(2030, 6, 3), 9)  # first run: Monday 09:00 itself
    run_planner(bot.services)
    clock.now = at(date(2030, 6, 9), 23)
    run_planner(bot.services)
    settle(bot)
    assert bot.server.outbox(ADMIN) == []
    clock.now = at(date(2030, 6, 10), 9)
    run_planner(bot.services)
    settle(bot)
    [digest] = bot.server.outbox(ADMIN)
    assert "Weekly check: 3 cases need a look" in digest.text


def test_no_digest_in_a_week_with_nothing_to_look_at(running_bot: RunningBot) -> None:
    bot = running_bot
    forget_first_run(bot.services.engine)
    bot.clock.now = at(date(2030, 5, 27))
    run_planner(bot.services)
    bot.clock.now = at(date(2030, 6, 3))
    with session_scope(bot.services.engine) as session:
        create_case(session, name="Fresh Case", lang="en", actor_id=ADMIN, now=at(date(2030, 6, 1)))
    run_planner(bot.services)
    settle(bot)
    assert bot.server.outbox(ADMIN) == []
    [reply] = bot.ask("/stale", user_id=ADMIN)
    assert "No case needs a look" in reply.text
