"""The reminder planner as a plain function over a real SQLite file: which reminder
rows one run writes, for whom and when, without a bot (the end-to-end tests check
that they reach chats)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from jobs.planner import plan, release_instant
from storage.database.engine import session_scope
from storage.database.models import Delivery
from tests.factories import add_case, add_follower, add_hearing, sentenced

NOW = datetime(2030, 3, 1, 6, 0, tzinfo=UTC)
DEFAULT = (timedelta(days=1), timedelta(hours=2))
RELEASE = (timedelta(days=7), timedelta(days=1))


def run(engine: Engine, now: datetime = NOW) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        report = plan(
            session, now=now, reminders=DEFAULT, release_reminders=RELEASE, zone="Asia/Almaty"
        )
    return report.hearing_reminders, report.release_reminders, report.dropped


def rows(engine: Engine) -> list[tuple[int, str, datetime]]:
    with session_scope(engine) as session:
        found = session.exec(select(Delivery.chat_id, Delivery.kind, Delivery.due_at)).all()
    return sorted((chat, kind, due) for chat, kind, due in found)


def test_a_hearing_soon_gets_each_followers_reminders_at_their_own_times(engine: Engine) -> None:
    starts = NOW + timedelta(hours=2, minutes=10)  # the 1-day reminder is overdue
    with session_scope(engine) as session:
        case = add_case(session)
        add_hearing(session, case, starts_at=starts)
        add_follower(session, case, chat_id=1)
        add_follower(session, case, chat_id=2, reminders="3h")
        add_follower(session, case, chat_id=3, reminders="none")
        add_follower(session, case, chat_id=4, blocked=True)
    assert run(engine) == (3, 0, 0)
    assert rows(engine) == [
        (1, "hearing_reminder", NOW),  # the overdue 1-day reminder goes now, once
        (1, "hearing_reminder", starts - timedelta(hours=2)),  # due within the lookahead
        (2, "hearing_reminder", NOW),  # the 3-hour preset, overdue too
    ]


def test_reminders_are_written_only_when_they_come_near(engine: Engine) -> None:
    starts = NOW + timedelta(days=3)
    with session_scope(engine) as session:
        case = add_case(session)
        add_hearing(session, case, starts_at=starts)
        add_follower(session, case, chat_id=1)
    assert run(engine)[0] == 0
    assert run(engine, starts - timedelta(days=1, minutes=10))[0] == 1
    assert run(engine, starts - timedelta(days=1, minutes=9))[0] == 0  # never twice
    assert run(engine, starts - timedelta(hours=2, minutes=5))[0] == 1
    assert rows(engine) == [
        (1, "hearing_reminder", starts - timedelta(days=1)),
        (1, "hearing_reminder", starts - timedelta(hours=2)),
    ]


def test_reminders_due_before_the_subscription_are_not_made(engine: Engine) -> None:
    starts = NOW + timedelta(hours=2, minutes=10)
    with session_scope(engine) as session:
        case = add_case(session)
        add_hearing(session, case, starts_at=starts)
        add_follower(session, case, chat_id=1, since=NOW - timedelta(minutes=5))
    assert run(engine)[0] == 1
    assert rows(engine) == [(1, "hearing_reminder", starts - timedelta(hours=2))]


def test_cancelled_and_past_hearings_get_no_reminders(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = add_case(session)
        add_hearing(session, case, starts_at=NOW + timedelta(hours=5), status="cancelled")
        add_hearing(session, case, starts_at=NOW - timedelta(hours=1))
        add_follower(session, case, chat_id=1)
    assert run(engine)[:2] == (0, 0)
    assert rows(engine) == []


def test_a_release_in_six_days_gets_the_missed_week_reminder_now(engine: Engine) -> None:
    release = date(2030, 3, 7)
    with session_scope(engine) as session:
        case = add_case(session, release_on=release)
        add_follower(session, case, chat_id=1)
    morning = release_instant(release, "Asia/Almaty")
    assert morning == datetime(2030, 3, 7, 4, 0, tzinfo=UTC)  # 09:00 in Almaty
    assert run(engine) == (0, 1, 0)  # the 7-day one was due yesterday: sent now
    assert run(engine, morning - timedelta(days=1, minutes=5)) == (0, 1, 0)
    assert rows(engine) == [
        (1, "release_reminder", NOW),
        (1, "release_reminder", morning - timedelta(days=1)),
    ]


def test_a_computed_release_is_planned_and_a_suspended_sentence_is_not(engine: Engine) -> None:
    # Detained 2029-06-01, verdict 2029-12-01: 183 days, credited 1.5× as 275; 14 months
    # from detention is 2030-08-01, less the 92 extra days credited: 2030-05-01.
    terms = sentenced(date(2029, 6, 1), date(2029, 12, 1), 14)
    with session_scope(engine) as session:
        kept = add_case(session, slug="kept", **terms)
        free = add_case(session, slug="free", **{**terms, "suspended": True})
        add_follower(session, kept, chat_id=1)
        add_follower(session, free, chat_id=2)
    week_before = release_instant(date(2030, 5, 1), "Asia/Almaty") - timedelta(days=7)
    assert run(engine)[1] == 0
    assert run(engine, week_before - timedelta(minutes=16))[1] == 0
    assert run(engine, week_before - timedelta(minutes=14))[1] == 1
    assert rows(engine) == [(1, "release_reminder", week_before)]


def test_a_run_after_downtime_counts_the_reminders_it_dropped(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = add_case(session)
        add_hearing(session, case, starts_at=NOW + timedelta(hours=3))
        add_follower(session, case, chat_id=1)
    run(engine, NOW - timedelta(days=3))
    assert run(engine, NOW + timedelta(hours=4)) == (0, 0, 2)  # both reminders were missed
