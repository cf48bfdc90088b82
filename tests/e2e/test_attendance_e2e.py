"""Attendance through the real bot: answers on the card and on hearing reminders, a second
press changing the answer, organizers' counts (names only of those who agreed) on the card
and in /stats, /setcourt (and its refusal to strangers), and the evening-before note reaching
only attendees, in their language, with a map link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers import callbacks as cb
from jobs.schedule import run_planner
from storage.database.engine import session_scope
from storage.database.models import Attendance, Court, Delivery, Hearing
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.changes import set_next_hearing
from tests.conftest import Clock, RunningBot
from tests.e2e.test_alerts_e2e import ALIMULY, local, settle, texts, zaysan

ADMIN = 900
KK, RU, EN, LATE = 2001, 2002, 2003, 2004
LANGS = {KK: "kk", RU: "ru", EN: "en", LATE: "en"}
NAMES = {KK: "Aigul", RU: "Boris", EN: "Chloe", LATE: "Dana"}


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def ask(bot: RunningBot, text: str, user: int, count: int = 1) -> list[Any]:
    return bot.ask(
        text, user_id=user, language_code=LANGS.get(user, "en"), first_name=NAMES.get(user, "Org"),
        count=count,
    )  # fmt: skip


def press(bot: RunningBot, message: Any, data: str, user: int) -> Any:
    [reply] = bot.press(message, data, user_id=user, language_code=LANGS[user])
    return reply


def hearing_ahead(bot: RunningBot) -> int:
    clock = bot.clock
    clock.now = datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
    with session_scope(bot.services.engine) as session:
        result = set_next_hearing(
            session,
            case_id=ALIMULY,
            starts_at=local(2030, 5, 10, 10),
            tz="Asia/Almaty",
            court_id=zaysan(bot.services.engine),
            now=clock(),
        )
        assert result is not None
    with session_scope(bot.services.engine) as session:
        hearing = session.exec(
            select(Hearing).where(Hearing.case_id == ALIMULY, Hearing.starts_at > clock())
        ).one()
        assert hearing.id is not None
        return hearing.id


def answers(engine: Engine) -> dict[int, str]:
    with session_scope(engine) as session:
        return {row.chat_id: row.answer for row in session.exec(select(Attendance)).all()}


def answer_on_the_cards(bot: RunningBot, hearing: int) -> Any:
    """EN and RU agree (EN listed by name), KK agrees then changes to "can't come".

    Returns EN's card as it was before the answer, for the check that subscribers see no
    counts.
    """
    yes, no = cb.Attend(hearing, "yes").data, cb.Attend(hearing, "no").data
    [card] = ask(bot, "/case Alimuly", EN)
    assert ("I'll attend", yes, None) in card.buttons()
    assert ("Can't come", no, None) in card.buttons()
    reply = press(bot, card, yes, EN)
    assert "Thank you! You are coming to the hearing" in reply.text
    assert "May the organizers see your name" in reply.text  # asked once
    assert ("✓ I'll attend", yes, None) in reply.buttons()
    listed = press(bot, reply, cb.AttendListed("yes").data, EN)
    assert "Organizers will see your name" in listed.text

    [card_ru] = ask(bot, "/case Alimuly", RU)
    reply_ru = press(bot, card_ru, yes, RU)
    assert "Спасибо!" in reply_ru.text
    press(bot, reply_ru, cb.AttendListed("no").data, RU)  # counted only

    [card_kk] = ask(bot, "/case Alimuly", KK)
    first = press(bot, card_kk, yes, KK)
    assert "Рақмет!" in first.text
    second = press(bot, first, no, KK)  # a second press changes the answer
    assert "келе алмайсыз" in second.text
    assert "May" not in second.text and "Ұйымдастырушылар" not in second.text  # not asked twice
    assert answers(bot.services.engine) == {EN: "yes", RU: "yes", KK: "no"}
    [again] = ask(bot, "/case Alimuly", KK)
    assert ("✓ Келе алмаймын", no, None) in again.buttons()
    return card


def check_organizers_see_the_count_and_only_listed_names(bot: RunningBot, card: Any) -> None:
    """The organizer's card and /stats count the answers; a subscriber's card does not."""
    [org_card] = ask(bot, "/case Alimuly", ADMIN)
    assert "2 people will attend · 1 cannot come" in org_card.text
    assert "Listed: Chloe" in org_card.text and "Boris" not in org_card.text
    assert "people will attend" not in card.text  # subscribers do not see the counts
    [stats] = ask(bot, "/stats", ADMIN)
    assert "Attendance" in stats.text and "2 people will attend" in stats.text


def set_the_courts_place_and_note(bot: RunningBot) -> None:
    """/setcourt refuses a stranger, then saves the organizer's address, point and notes."""
    [refused] = ask(bot, "/setcourt zaysan-court address=Nowhere 1", EN)
    assert "organizer" in refused.text.lower()
    [saved] = ask(
        bot,
        "/setcourt zaysan-court address=12 Abay street, Zaysan 47.4667,84.8667 "
        "Entrance from the yard; bring an ID card",
        ADMIN,
    )
    assert "Saved for" in saved.text
    [saved_ru] = ask(
        bot, "/setcourt zaysan-court lang=ru Вход со двора; возьмите удостоверение", ADMIN
    )
    assert "Saved for" in saved_ru.text
    with session_scope(bot.services.engine) as session:
        court = session.exec(select(Court).where(Court.slug == "zaysan-court")).one()
        assert court.address == {"en": "12 Abay street, Zaysan"}
        assert (court.lat, court.lon) == (47.4667, 84.8667)
        assert set(court.note) == {"en", "ru"}


def answer_late_on_the_day_before_reminder(bot: RunningBot, hearing: int) -> None:
    """The 1-day reminder carries the answers; the late subscriber agrees there."""
    yes = cb.Attend(hearing, "yes").data
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = local(2030, 5, 9, 9, 55)
    run_planner(bot.services)
    clock.now = local(2030, 5, 9, 10, 0)
    marks = {user: len(bot.server.outbox(user)) for user in LANGS}
    settle(bot)
    [reminder] = bot.server.outbox(LATE)[marks[LATE] :]
    assert "Reminder:" in reminder.text and ("I'll attend", yes, None) in reminder.buttons()
    late = press(bot, reminder, yes, LATE)
    assert "Thank you!" in late.text
    assert answers(bot.services.engine)[LATE] == "yes"


def check_the_evening_note_reaches_only_attendees(bot: RunningBot) -> None:
    """At 18:00 the evening before, the note goes once to each attendee, in their language."""
    clock = bot.clock
    clock.now = local(2030, 5, 9, 17, 50)
    run_planner(bot.services)
    marks = {user: len(bot.server.outbox(user)) for user in LANGS}
    clock.now = local(2030, 5, 9, 18, 0)
    settle(bot)
    got = {user: texts(bot, user, marks[user]) for user in LANGS}
    assert got[KK] == []  # can't come
    [note_en] = got[EN]
    assert "what to know before you come" in note_en
    assert "Address: 12 Abay street, Zaysan" in note_en
    assert "Entrance from the yard; bring an ID card" in note_en
    assert "openstreetmap.org/?mlat=47.466700&amp;mlon=84.866700" in note_en
    [note_ru] = got[RU]
    assert "что знать перед приходом" in note_ru
    assert "Вход со двора; возьмите удостоверение" in note_ru  # their language's note
    assert "Entrance from the yard" not in note_ru
    assert "12 Abay street, Zaysan <i>(" in note_ru  # the address only in English, marked
    [note_late] = got[LATE]
    assert "Entrance from the yard" in note_late
    engine = bot.services.engine
    with session_scope(engine) as session:
        kinds = session.exec(select(Delivery.chat_id).where(Delivery.kind == "attend_note")).all()
    assert sorted(kinds) == sorted([EN, RU, LATE])
    run_planner(bot.services)  # a rerun adds nothing
    assert settle(bot).get("pending", 0) == 0
    with session_scope(engine) as session:
        again_kinds = session.exec(select(Delivery.id).where(Delivery.kind == "attend_note")).all()
    assert len(again_kinds) == 3


def test_attendance_counted_changed_and_noted_the_evening_before(bot: RunningBot) -> None:
    hearing = hearing_ahead(bot)
    for user in (KK, RU, EN, LATE):
        ask(bot, "/subscribe Alimuly", user)
    settle(bot)
    # On the card, while the hearing is ahead: the two answers.
    card = answer_on_the_cards(bot, hearing)
    # Organizers see the count, and only the listed name.
    check_organizers_see_the_count_and_only_listed_names(bot, card)
    # The court's place and note: strangers are refused and nothing changes.
    set_the_courts_place_and_note(bot)
    # The day before, the 1-day reminder carries the answers too; a late one answers there.
    answer_late_on_the_day_before_reminder(bot, hearing)
    # 18:00 the evening before, in the court's zone: only attendees get the note.
    check_the_evening_note_reaches_only_attendees(bot)


def test_changing_to_cant_come_before_the_evening_withdraws_the_note(bot: RunningBot) -> None:
    hearing = hearing_ahead(bot)
    ask(bot, "/setcourt zaysan-court Bring an ID card", ADMIN)
    [card] = ask(bot, "/case Alimuly", EN)
    press(bot, card, cb.Attend(hearing, "yes").data, EN)
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = local(2030, 5, 9, 17, 50)
    run_planner(bot.services)  # the note is written, due at 18:00
    [card] = ask(bot, "/case Alimuly", EN)
    press(bot, card, cb.Attend(hearing, "no").data, EN)
    mark = len(bot.server.outbox(EN))
    clock.now = local(2030, 5, 9, 18, 1)
    statuses = settle(bot)
    assert texts(bot, EN, mark) == []
    assert statuses.get("skipped", 0) == 1


def test_no_answers_once_the_hearing_began(bot: RunningBot) -> None:
    hearing = hearing_ahead(bot)
    [card] = ask(bot, "/case Alimuly", EN)
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = local(2030, 5, 10, 10, 5)
    reply = press(bot, card, cb.Attend(hearing, "yes").data, EN)
    assert "not ahead any more" in reply.text
    assert answers(bot.services.engine) == {}
    [card] = ask(bot, "/case Alimuly", EN)
    assert not any(data and data.startswith("att:") for _, data, _ in card.buttons())


def test_forget_deletes_answers(bot: RunningBot) -> None:
    hearing = hearing_ahead(bot)
    [card] = ask(bot, "/case Alimuly", EN)
    press(bot, card, cb.Attend(hearing, "yes").data, EN)
    [question] = ask(bot, "/forget", EN)
    yes = next(data for _, data, _ in question.buttons() if data == cb.Forget("yes").data)
    press(bot, question, yes, EN)
    assert answers(bot.services.engine) == {}
