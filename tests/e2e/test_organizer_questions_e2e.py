"""Organizer edits through the real bot that ask first or read as people write: a new
case named like an existing one, dates as DD.MM.YYYY, events and verdicts dated after
today, and courts named in any language or spelling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from storage.database.engine import session_scope
from storage.database.models import Case, Court, Draft, Hearing, TimelineEvent
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import FIXED_NOW, RunningBot
from tests.e2e.test_organizers_e2e import ADMIN, admin, press_send, snapshot


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    """The sample cases, one follower, and "today" fixed at 19 June 2026 (Almaty)."""
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    running_bot.clock.now = FIXED_NOW
    running_bot.ask("/subscribe Alimuly", user_id=2003, language_code="en")
    yield running_bot


def count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def data_of(message: Any, label: str) -> str:
    return next(str(data) for text, data, _url in message.buttons() if text == label)


def press(bot: RunningBot, message: Any, label: str, *, edits: int = 1) -> Any:
    """Press a button of the message by its label; return the message once edited."""
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=message.message_id, data=data_of(message, label)
    )
    return bot.wait_for_edit(ADMIN, message.message_id, edits=edits)


# ---------------------------------------------------------------- 10. /newcase twice


def test_newcase_with_an_existing_name_warns_and_offers_the_case(
    bot: RunningBot, engine: Engine
) -> None:
    before = snapshot(engine)
    [warning] = admin(bot, "/newcase Murager Alimuly")
    assert "already exists" in warning.text and "1. Murager Alimuly" in warning.text
    assert ("Open the existing case", "card:1", None) in warning.buttons()
    assert [label for label, _d, _u in warning.buttons()][1:] == ["Create anyway", "Cancel"]
    assert snapshot(engine) == before  # nothing is created before the answer
    [card] = bot.press(warning, "card:1", user_id=ADMIN)
    assert "Murager Alimuly" in card.text and "Case No 1" in card.text
    created = press(bot, warning, "Create anyway")
    assert "Case No 6 created: Murager Alimuly" in created.text
    assert created.buttons() == []
    bot.server.press_button(  # a second press creates nothing more
        user_id=ADMIN,
        chat_id=ADMIN,
        message_id=warning.message_id,
        data=data_of(warning, "Create anyway"),
        check=False,
    )
    bot.wait_idle()
    assert count(engine, Case) == 6


def test_newcase_warns_for_another_script_or_a_close_spelling_and_cancel_keeps_nothing(
    bot: RunningBot, engine: Engine
) -> None:
    for name in ("Мұрагер Әлімұлы", "Murager Alimly", "Qaster Musakhanuli"):
        [warning] = admin(bot, f"/newcase {name}")
        assert "already exists" in warning.text, name
        cancelled = press(bot, warning, "Cancel")
        assert "Cancelled" in cancelled.text and cancelled.buttons() == []
    assert count(engine, Case) == 5
    [aidos] = admin(bot, "/newcase Aidos Serikuly")
    assert "created" in aidos.text
    [aidar] = admin(bot, "/newcase Aidar Serikuly")  # close to Aidos Serikuly: asked
    assert "7. Aidos Serikuly" not in aidar.text and "6. Aidos Serikuly" in aidar.text


def test_another_organizer_cannot_answer_and_a_late_answer_creates_nothing(
    bot: RunningBot, engine: Engine
) -> None:
    admin(bot, "/organizer add 777")
    [warning] = admin(bot, "/newcase Qaisha Aqan")
    [own] = bot.ask("/stats", user_id=777)
    bot.server.press_button(  # the admin's question, forged in another organizer's chat
        user_id=777,
        chat_id=777,
        message_id=own.message_id,
        data=data_of(warning, "Create anyway"),
        check=False,
    )
    bot.wait_idle()
    assert count(engine, Case) == 5
    assert bot.clock.now is not None
    bot.clock.now += timedelta(minutes=20)
    expired = press(bot, warning, "Create anyway")
    assert "expired" in expired.text
    assert count(engine, Case) == 5


def test_the_slug_follows_the_names_own_latin_spelling(bot: RunningBot) -> None:
    [created] = admin(bot, "/newcase Aibek Serikuly")
    assert "(short name: aibek-serikuly)" in created.text
    [cyrillic] = admin(bot, "/newcase Бағашар Мәлікұлы")
    assert "(short name: baghashar-malikuly)" in cyrillic.text
    [card] = bot.ask("/case aibek-serikuly", user_id=5000)
    assert "Aibek Serikuly" in card.text


# ---------------------------------------------------------------- 11. dates as written


def test_dates_typed_day_first_are_accepted_everywhere(bot: RunningBot, engine: Engine) -> None:
    [preview] = admin(bot, "/sethearing Alimuly 20.12.2026 10:00")
    assert "December 20, 2026, 10:00 (UTC+5)" in preview.text
    press_send(bot, preview)
    with session_scope(engine) as session:
        hearing = session.exec(select(Hearing).where(Hearing.status == "scheduled")).one()
        assert hearing.starts_at.isoformat() == "2026-12-20T05:00:00+00:00"
    [month] = admin(bot, "/addevent Alimuly 05.2020 Released from prison")
    [day] = admin(bot, "/addevent Alimuly 2.3.2021 Interviewed")
    assert "added" in month.text and "added" in day.text
    with session_scope(engine) as session:
        events = session.exec(
            select(TimelineEvent).order_by(TimelineEvent.id.desc()).limit(2)  # type: ignore[union-attr]
        ).all()
        assert [(e.occurred_on, e.precision) for e in events] == [
            (date(2021, 3, 2), "day"),
            (date(2020, 5, 1), "month"),
        ]
    [sentence] = admin(bot, "/setsentence Alimuly term=2y detained=18.10.2019 verdict=21.01.2020")
    assert "Preview" in sentence.text or "Sentence saved" in sentence.text
    with session_scope(engine) as session:
        assert session.get(Case, 1).detained_on == date(2019, 10, 18)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("/sethearing Alimuly 31.02.2027 10:00", "“31.02.2027” is not a date that exists"),
        ("/sethearing Alimuly 20/12/2026 10:00", "“20/12/2026” is not a date that exists"),
        ("/addevent Alimuly 13.2020 Text", "“13.2020” is not a date that exists"),
        ("/setsentence Alimuly verdict=32.01.2020", "“32.01.2020” is not a date that exists"),
    ],
)
def test_an_impossible_date_names_the_accepted_formats(
    bot: RunningBot, engine: Engine, command: str, shown: str
) -> None:
    before = snapshot(engine)
    [reply] = admin(bot, command)
    assert shown in reply.text and "DD.MM.YYYY" in reply.text and "YYYY-MM-DD" in reply.text
    if command.startswith("/addevent"):
        assert "MM.YYYY or YYYY" in reply.text
    assert snapshot(engine) == before


# ---------------------------------------------------------------- 14. dated after today


def test_an_event_dated_after_today_asks_first(bot: RunningBot, engine: Engine) -> None:
    events = count(engine, TimelineEvent)
    [question] = admin(bot, "/addevent Alimuly 2027-01-01 Released")
    assert "after today (June 19, 2026)" in question.text and "January 1, 2027" in question.text
    assert [label for label, _d, _u in question.buttons()] == ["Add anyway", "Cancel"]
    assert count(engine, TimelineEvent) == events
    added = press(bot, question, "Add anyway")
    assert "added to Murager Alimuly" in added.text
    assert count(engine, TimelineEvent) == events + 1
    [again] = admin(bot, "/addevent Alimuly 2027 Released")
    assert "2027" in again.text and "after today" in again.text
    assert "Cancelled" in press(bot, again, "Cancel").text
    assert count(engine, TimelineEvent) == events + 1
    [this_month] = admin(bot, "/addevent Alimuly 06.2026 Moved to another colony")
    assert "added" in this_month.text and this_month.buttons() == []
    [today] = admin(bot, "/addevent Alimuly 19.06.2026 Visited by his lawyer")
    assert "added" in today.text and today.buttons() == []


def test_a_verdict_after_today_asks_before_the_preview(bot: RunningBot, engine: Engine) -> None:
    before = snapshot(engine)
    [question] = admin(bot, "/setsentence Alimuly verdict=2027-01-01")
    assert "The verdict date January 1, 2027 is after today" in question.text
    assert snapshot(engine)[:4] == before[:4]
    with session_scope(engine) as session:
        assert session.get(Case, 1).verdict_on == date(2020, 1, 21)  # type: ignore[union-attr]
    [preview] = bot.press(question, data_of(question, "Add anyway"), user_id=ADMIN)
    assert "Preview" in preview.text or "Sentence saved" in preview.text
    assert "kept as you typed it" in bot.wait_for_edit(ADMIN, question.message_id).text
    if preview.buttons():
        press_send(bot, preview)
    bot.wait_idle()
    with session_scope(engine) as session:
        assert session.get(Case, 1).verdict_on == date(2027, 1, 1)  # type: ignore[union-attr]
    [detained] = admin(bot, "/setsentence Alimuly detained=2026-07-01")
    assert "The detention date" in detained.text and "after today" in detained.text
    [release] = admin(bot, "/setsentence Alimuly release=2027-03-01")  # a release may be ahead
    assert "after today" not in release.text


def test_the_guided_update_asks_too(bot: RunningBot, engine: Engine) -> None:
    [what] = admin(bot, "/update Alimuly")
    bot.press(what, "gu:event:1", user_id=ADMIN)
    [question] = admin(bot, "2027-01 Released")
    assert "after today" in question.text
    with session_scope(engine) as session:
        asked = session.exec(select(Draft).where(Draft.state == "ask")).one()
        assert asked.kind == "ask_event" and asked.case_id == 1


# ---------------------------------------------------------------- 15. courts


@pytest.mark.parametrize(
    ("lang", "court"),
    [
        ("ru", "Зайсанский суд, Зайсан"),
        ("kk", "Зайсан соты, Зайсан"),
        ("en", "Zaysan court, Zaysan"),
        ("en", "Zaisan cort, Zaysan"),
        ("ru", "Зайсанкий суд"),
        ("en", "zaysan-court"),
    ],
)
def test_a_court_is_matched_across_languages_and_spellings(
    bot: RunningBot, engine: Engine, lang: str, court: str
) -> None:
    courts = count(engine, Court)
    [preview] = bot.ask(
        f"/sethearing Alimuly 2030-05-10 10:00 {court}", user_id=ADMIN, language_code=lang
    )
    assert "Zaysan court" in preview.text or "Зайсан" in preview.text
    press_send(bot, preview)
    assert count(engine, Court) == courts
    with session_scope(engine) as session:
        hearing = session.exec(select(Hearing).where(Hearing.status == "scheduled")).one()
        assert session.get(Court, hearing.court_id).slug == "zaysan-court"  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_usage_example_names_the_court_as_stored(
    bot: RunningBot, engine: Engine, lang: str
) -> None:
    [usage] = bot.ask("/sethearing", user_id=ADMIN, language_code=lang)
    example = re.fullmatch(
        r"(\S+) (\S+) (\S+) ([^,]+), (.+)", usage.text.rsplit("/sethearing ")[-1]
    )
    assert example is not None, usage.text
    case, _day, clock, court, city = example.groups()
    with session_scope(engine) as session:
        stored = {text for c in session.exec(select(Court)).all() for text in c.name.values()}
    assert court in stored
    courts = count(engine, Court)
    [preview] = bot.ask(
        f"/sethearing {case} 2030-05-10 {clock} {court}, {city}", user_id=ADMIN, language_code=lang
    )
    press_send(bot, preview)
    assert count(engine, Court) == courts


def test_a_new_court_is_still_created(bot: RunningBot, engine: Engine) -> None:
    courts = count(engine, Court)
    [preview] = admin(bot, "/sethearing Alimuly 2030-05-10 10:00 Almaty city court, Almaty")
    press_send(bot, preview)
    assert count(engine, Court) == courts + 1
