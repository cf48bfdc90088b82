"""Organizers through the real bot: rights, strict parsing, preview and Send / Cancel /
Undo, the guided flow, audit and stats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from storage.database.engine import session_scope
from storage.database.models import (
    AuditEntry,
    Case,
    CaseName,
    Court,
    Delivery,
    Hearing,
    Organizer,
    TimelineEvent,
)
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import RunningBot
from tests.e2e.test_alerts_e2e import settle

ADMIN = 900
STRANGER = 4242
FOLLOWERS = {2001: "kk", 2002: "ru", 2003: "en"}


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    for chat, lang in FOLLOWERS.items():
        running_bot.ask("/subscribe Alimuly", user_id=chat, language_code=lang)
    yield running_bot


def snapshot(engine: Engine) -> list[Any]:
    with session_scope(engine) as session:
        return [
            sorted(repr(row.model_dump()) for row in session.exec(select(model)).all())
            for model in (Case, CaseName, Hearing, TimelineEvent, Organizer, AuditEntry)
        ]


def admin(bot: RunningBot, text: str, count: int = 1) -> list[Any]:
    return bot.ask(text, user_id=ADMIN, language_code="en", count=count)


ORGANIZER_COMMANDS = [
    "/newcase Someone New",
    "/sethearing Alimuly 2030-05-10 10:00",
    "/cancelhearing Alimuly",
    "/setstatus Alimuly released",
    "/addevent Alimuly 2020-05 Released",
    "/setsentence Alimuly term=2y",
    "/addname Alimuly alias Murat",
    "/organizer add 5",
    "/stats",
    "/audit Alimuly",
    "/translate 1 kk мәтін",
    "/update",
]


@pytest.mark.parametrize("command", ORGANIZER_COMMANDS)
def test_strangers_are_refused_and_nothing_changes(
    bot: RunningBot, engine: Engine, command: str
) -> None:
    before = snapshot(engine)
    [reply] = bot.ask(command, user_id=STRANGER, language_code="ru")
    assert "для организаторов кампании" in reply.text
    assert snapshot(engine) == before


def test_organizer_commands_in_a_group_ask_for_a_private_chat(bot: RunningBot) -> None:
    [reply] = bot.ask(
        "/stats",
        user_id=ADMIN,
        chat_id=-100300,
        chat_type="supergroup",
        chat_title="Organizers",
        language_code="en",
    )
    assert "private chat" in reply.text


def test_status_preview_send_once_and_undo(bot: RunningBot, engine: Engine) -> None:
    [preview] = admin(bot, "/setstatus Alimuly deportation_ordered Announced by the court")
    assert "Preview: 3 subscribers will get this message." in preview.text
    assert "deportation ordered" in preview.text and "Announced by the court" in preview.text
    assert preview.buttons()[0][1].startswith("draft:send:")
    with session_scope(engine) as session:
        assert session.get(Case, 1).risk == "deportation_blocked"  # type: ignore[union-attr]
    send = preview.buttons()[0][1]
    offer = press_send(bot, preview)
    sent = bot.wait_for_edit(ADMIN, preview.message_id)
    assert "Sent: 3 subscribers will get it." in sent.text
    # Nothing is left where Send was (a second tap sends nothing): only the broadcast's Pause.
    assert [data for _, data, _ in sent.buttons()] == [f"bc:pause:{1}"]
    assert "You can undo it for 10 minutes." in offer.text
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=preview.message_id, data=send, check=False
    )  # a second press
    settle(bot)
    for chat in FOLLOWERS:
        alerts = [m for m in bot.server.outbox(chat) if "⚠️" in m.text]
        assert len(alerts) == 1, chat
    with session_scope(engine) as session:
        assert session.get(Case, 1).risk == "deportation_ordered"  # type: ignore[union-attr]
    # Undo asks once more; No keeps the change; Yes puts the case back and corrects.
    question = press_undo(bot, offer)
    assert "Undo the alert to 3 subscribers?" in question.text
    no = question.buttons()[1][1]
    bot.server.press_button(user_id=ADMIN, chat_id=ADMIN, message_id=offer.message_id, data=no)
    again = bot.wait_for_edit(ADMIN, offer.message_id, edits=2)
    assert "You can undo it" in again.text
    question = press_undo(bot, again, edits=3)
    undone = confirm_undo(bot, question, edits=4)
    assert "Undone. 3 subscribers" in undone.text
    settle(bot)
    correction = bot.server.outbox(2002)[-1].text
    assert "Поправка по делу" in correction
    # What is true now, not only that the alert was a mistake:
    assert "Риск депортации — по-прежнему: суд не допустил депортацию" in correction
    assert "Deportation risk is still: deportation blocked by a court" in (
        bot.server.outbox(2003)[-1].text
    )
    with session_scope(engine) as session:
        assert session.get(Case, 1).risk == "deportation_blocked"  # type: ignore[union-attr]
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
        assert "status" in actions and "undo" in actions


def press_send(bot: RunningBot, preview: Any) -> Any:
    """Press Send on a preview; return the new message that offers Undo."""
    since = len(bot.server.outbox(ADMIN))
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=preview.message_id, data=preview.buttons()[0][1]
    )
    offers = bot.server.wait_for_messages(ADMIN, 1, since=since)
    return next(
        m for m in offers if m.buttons() and str(m.buttons()[0][1]).startswith("draft:undo:")
    )


def press_undo(bot: RunningBot, offer: Any, *, edits: int = 1) -> Any:
    """Press Undo; return the message, now asking whether to undo."""
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=offer.message_id, data=offer.buttons()[0][1]
    )
    return bot.wait_for_edit(ADMIN, offer.message_id, edits=edits)


def confirm_undo(bot: RunningBot, question: Any, *, edits: int = 2) -> Any:
    """Press Yes on the undo question; return the message saying what was undone."""
    yes = str(question.buttons()[0][1])
    assert yes.startswith("draft:undoyes:")
    bot.server.press_button(user_id=ADMIN, chat_id=ADMIN, message_id=question.message_id, data=yes)
    return bot.wait_for_edit(ADMIN, question.message_id, edits=edits)


def wait_for_status(engine: Engine, chat_id: int, status: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            row = session.exec(select(Delivery).where(Delivery.chat_id == chat_id)).first()
            if row is not None and row.status == status:
                return
        time.sleep(0.05)
    raise TimeoutError(status)


def test_undo_spares_those_who_did_not_get_the_alert(bot: RunningBot, engine: Engine) -> None:
    bot.server.fail_next(2003, 429, retry_after=30)
    [preview] = admin(bot, "/setstatus Alimuly released")
    offer = press_send(bot, preview)
    bot.server.wait_for_messages(2001, 2)  # confirmation + the alert
    bot.server.wait_for_messages(2002, 2)
    wait_for_status(engine, 2003, "pending")  # its 429 is recorded: it waits for a retry
    undone = confirm_undo(bot, press_undo(bot, offer))
    assert "Undone. 2 subscribers" in undone.text
    settle(bot)
    assert len(bot.server.outbox(2003)) == 1  # only its subscription confirmation


def test_cancel_and_late_press(bot: RunningBot, engine: Engine) -> None:
    before = snapshot(engine)
    [preview] = admin(bot, "/setstatus Alimuly released")
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=preview.message_id, data=preview.buttons()[1][1]
    )
    assert "Cancelled" in bot.wait_for_edit(ADMIN, preview.message_id).text
    [late] = admin(bot, "/setstatus Alimuly released")
    saved = bot.clock.now
    bot.clock.now = bot.clock() + timedelta(minutes=20)
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=late.message_id, data=late.buttons()[0][1]
    )
    assert "expired" in bot.wait_for_edit(ADMIN, late.message_id).text
    bot.clock.now = saved
    assert snapshot(engine)[:4] == before[:4]  # no case data changed


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/setstatus Alimuly on_the_moon", "“on_the_moon” is not a status key"),
        ("/setstatus", "Usage: /setstatus"),
        ("/setstatus Alimuly", "The status key is missing"),
        ("/sethearing Alimuly 2030-02-30 10:00", "“2030-02-30” is not a date that exists"),
        ("/sethearing Alimuly 2030-03-01 25:99", "“25:99” is not a time"),
        ("/sethearing Alimuly 2030-03-01", "The time is missing"),
        ("/sethearing Alimuly", "The date is missing"),
        ("/sethearing Alimuly 2020-03-01 10:00", "already passed"),
        ("/addevent Alimuly 2020-13 Text", "“2020-13” is not a date that exists"),
        ("/addevent Alimuly 2020-05", "The text is missing"),
        ("/addevent Alimuly 2020 " + "x" * 1200, "at most 1000 characters"),
        ("/setsentence Alimuly term=forever", "“forever” is not a term"),
        ("/setsentence Alimuly ratio=3", "“3” is not a ratio"),
        ("/setsentence Alimuly", "Nothing to set"),
        ("/addname Alimuly xx Name", "The language must be"),
        ("/addname Alimuly alias", "The text is missing"),
        ("/organizer promote 5", "Say list, add or remove"),
        ("/organizer add bob", "“bob” is not a Telegram user id"),
        ("/translate x kk text", "“x” is not an event number"),
        ("/translate 1 de Text", "The language must be"),
        ("/cancelhearing", "Usage: /cancelhearing"),
        ("/audit", "Usage: /audit"),
        ("/newcase", "Usage: /newcase"),
        ("/setstatus Nobody released", "No case matches “Nobody”"),
    ],
)
def test_bad_arguments_get_usage_and_change_nothing(
    bot: RunningBot, engine: Engine, command: str, expected: str
) -> None:
    before = snapshot(engine)
    [reply] = admin(bot, command)
    assert expected in reply.text, reply.text
    assert "Sorry" not in reply.text
    assert snapshot(engine) == before


def test_usage_lists_valid_status_keys_in_the_organizers_language(bot: RunningBot) -> None:
    [reply] = bot.ask("/setstatus Alimuly lost", user_id=ADMIN, language_code="ru")
    assert "не ключ статуса" in reply.text
    assert "deportation_ordered" in reply.text and "asylum_seeker" in reply.text


def test_a_name_matching_several_cases_asks_for_the_number(bot: RunningBot) -> None:
    admin(bot, "/newcase Aidos Serikuly")
    [close] = admin(bot, "/newcase Aidar Serikuly")  # close to Aidos Serikuly: asked first
    create = next(data for label, data, _url in close.buttons() if label == "Create anyway")
    bot.server.press_button(user_id=ADMIN, chat_id=ADMIN, message_id=close.message_id, data=create)
    assert "Case No 7 created" in bot.wait_for_edit(ADMIN, close.message_id).text
    [reply] = admin(bot, "/setstatus Serikuly released")
    assert "Several cases match “Serikuly”" in reply.text and "Use the case number" in reply.text


def test_newcase_addname_and_search(bot: RunningBot) -> None:
    [created] = admin(bot, "/newcase Baghashar Malikuly")
    assert "Case No 6 created: Baghashar Malikuly" in created.text
    [added] = admin(bot, "/addname 6 kk Бағашар Мәлікұлы")
    assert "Name added" in added.text
    [card] = bot.ask("/case Мәлікұлы", user_id=5000, language_code="kk")
    assert "Бағашар Мәлікұлы" in card.text
    [again] = admin(bot, "/addname 6 kk Бағашар Мәлікұлы")
    assert "already has this name" in again.text


def test_sethearing_multiword_case_court_and_city(bot: RunningBot, engine: Engine) -> None:
    [preview] = admin(bot, "/sethearing Qaster Musakhanuly 2030-05-10 10:00 Zaysan court, Zaysan")
    assert "a hearing is set" in preview.text
    assert "May 10, 2030, 10:00 (UTC+5)" in preview.text
    assert "Zaysan court, Zaysan" in preview.text
    press_send(bot, preview)
    with session_scope(engine) as session:
        hearing = session.exec(select(Hearing).where(Hearing.status == "scheduled")).one()
        assert hearing.case_id == 2 and hearing.tz == "Asia/Almaty"
        assert hearing.starts_at.isoformat() == "2030-05-10T05:00:00+00:00"
    [cancel] = admin(bot, "/cancelhearing Musakhanuly")
    assert "the hearing is cancelled" in cancel.text
    [nothing] = admin(bot, "/cancelhearing Aqan")
    assert "Nothing to send" in nothing.text


def test_addevent_is_marked_for_other_languages_and_translatable(
    bot: RunningBot, engine: Engine
) -> None:
    [added] = admin(bot, "/addevent Alimuly 2020-05 Освобождён из колонии https://example.org/a")
    assert "written in Russian" in added.text
    with session_scope(engine) as session:
        event = session.exec(select(TimelineEvent).order_by(TimelineEvent.id.desc())).first()  # type: ignore[union-attr]
        assert event is not None and event.lang == "ru"
        assert event.source_url == "https://example.org/a"
        number = event.id
    [page] = bot.ask("/timeline Alimuly", user_id=5001, language_code="en")
    pages = [page]
    while "tlp:1:" in str(pages[-1].buttons()) and "▶" in str(pages[-1].buttons()):
        data = next(d for t, d, _u in pages[-1].buttons() if t == "▶")
        bot.server.press_button(user_id=5001, chat_id=5001, message_id=page.message_id, data=data)
        pages.append(bot.wait_for_edit(5001, page.message_id, edits=len(pages)))
    assert "Освобождён из колонии <i>(in Russian)</i>" in pages[-1].text
    [saved] = admin(bot, f"/translate {number} en Released from the penal colony")
    assert "saved" in saved.text


def test_setsentence_alerts_only_when_the_release_moves(bot: RunningBot) -> None:
    [preview] = admin(bot, "/setsentence Alimuly term=2y")
    assert "expected release date changed" in preview.text
    assert "Preview: 3 subscribers" in preview.text
    [quiet] = admin(bot, "/setsentence Alimuly suspended=no")
    assert "Nothing to send" in quiet.text or "no one is alerted" in quiet.text


def test_organizers_added_by_admins_only(bot: RunningBot) -> None:
    [refused] = bot.ask("/stats", user_id=777, language_code="en")
    assert "organizers" in refused.text
    [added] = admin(bot, "/organizer add 777")
    assert "User 777 is now an organizer" in added.text
    [stats] = bot.ask("/stats", user_id=777, language_code="en")
    assert "Chats: 3" in stats.text and "Murager Alimuly: 3" in stats.text
    [not_admin] = bot.ask("/organizer add 778", user_id=777, language_code="en")
    assert "Only admins" in not_admin.text
    [removed] = admin(bot, "/organizer remove 777")
    assert "no longer an organizer" in removed.text


def test_audit_newest_first(bot: RunningBot) -> None:
    admin(bot, "/addname Alimuly alias Murager A.")
    admin(bot, "/addevent Alimuly 2020-05 Released")
    [log] = admin(bot, "/audit Alimuly")
    assert log.text.index("Released") < log.text.index("another spelling added: Murager A.")
    assert "Test (900)" in log.text


def test_guided_update_flow(bot: RunningBot) -> None:
    [start] = admin(bot, "/update")
    assert ("1. Murager Alimuly", "upd:1", None) in start.buttons()
    [what] = bot.press(start, "upd:1", user_id=ADMIN)
    labels = [label for label, _data, _url in what.buttons()]
    for offered in ("Custody", "Next hearing", "Sentence", "Timeline event", "Another name"):
        assert any(label.startswith(offered) for label in labels), offered
    [keys] = bot.press(what, "gu:dimension:1:custody", user_id=ADMIN)
    [ask_note] = bot.press(keys, "gu:key:1:released", user_id=ADMIN)
    assert "note" in ask_note.text
    [preview] = admin(bot, "Released this morning")
    assert "Preview: 3 subscribers" in preview.text and "released" in preview.text
    assert "Released this morning" in preview.text
    [ask] = bot.press(what, "gu:hearing:1", user_id=ADMIN)
    assert "YYYY-MM-DD HH:MM" in ask.text
    [hearing] = admin(bot, "2030-06-01 11:30 Zaysan court, Zaysan")
    assert "a hearing is set" in hearing.text and "11:30" in hearing.text


def test_guided_update_without_a_note_and_other_steps(bot: RunningBot, engine: Engine) -> None:
    [what] = admin(bot, "/update Alimuly")
    [keys] = bot.press(what, "gu:dimension:1:custody", user_id=ADMIN)
    [ask_note] = bot.press(keys, "gu:key:1:released", user_id=ADMIN)
    [preview] = bot.press(ask_note, "gu:note:1:released", user_id=ADMIN)
    assert "Preview: 3 subscribers" in preview.text
    bot.press(what, "gu:event:1", user_id=ADMIN)
    [added] = admin(bot, "2020-05 Released from prison")
    assert "Event" in added.text and "added" in added.text
    bot.press(what, "gu:name:1", user_id=ADMIN)
    [named] = admin(bot, "alias Muraager")
    assert "Name added" in named.text
    with session_scope(engine) as session:
        assert session.exec(select(CaseName).where(CaseName.text == "Muraager")).one()


def test_an_error_in_the_flow_repeats_its_own_question(bot: RunningBot) -> None:
    [what] = admin(bot, "/update Alimuly")
    bot.press(what, "gu:hearing:1", user_id=ADMIN)
    [error] = admin(bot, "next tuesday")
    assert "YYYY-MM-DD HH:MM" in error.text and "Usage: /sethearing" not in error.text
    [hearing] = admin(bot, "2030-06-01 11:30")  # still in the flow after the error
    assert "a hearing is set" in hearing.text


def test_any_command_ends_the_flow_and_is_answered(bot: RunningBot) -> None:
    [what] = admin(bot, "/update Alimuly")
    bot.press(what, "gu:hearing:1", user_id=ADMIN)
    [error] = admin(bot, "soon")
    assert "YYYY-MM-DD" in error.text
    [card] = admin(bot, "/case Aqan")  # another command: answered, and the flow is over
    assert "Qaisha Aqan" in card.text
    [search] = admin(bot, "Sauytbay")  # plain text is a search again
    assert "Sayragul Sauytbay" in search.text
    assert "YYYY-MM-DD" not in search.text


def test_cancel_ends_the_flow(bot: RunningBot) -> None:
    [what] = admin(bot, "/update Alimuly")
    bot.press(what, "gu:hearing:1", user_id=ADMIN)
    [stopped] = admin(bot, "/cancel")
    assert "Stopped /update" in stopped.text
    [nothing] = admin(bot, "/cancel")
    assert "nothing to cancel" in nothing.text
    [search] = admin(bot, "Alimuly")
    assert "Murager Alimuly" in search.text


def test_the_flow_times_out_and_says_so(bot: RunningBot) -> None:
    [what] = admin(bot, "/update Alimuly")
    bot.press(what, "gu:hearing:1", user_id=ADMIN)
    [flow] = [h for h in bot.app.handlers[-1] if h.__class__.__name__ == "ConversationHandler"]
    since = len(bot.server.outbox(ADMIN))
    bot.wait_idle()
    job = flow.timeout_jobs[(ADMIN, ADMIN)]  # the flow's ten-minute timeout, scheduled
    bot._run(job.run(bot.app))  # run it now instead of waiting ten minutes
    [expired] = bot.server.wait_for_messages(ADMIN, 1, since=since)
    assert "has stopped" in expired.text
    [search] = admin(bot, "Alimuly")
    assert "Murager Alimuly" in search.text


def test_a_cancelled_hearing_preview_stores_not_even_its_new_court(
    bot: RunningBot, engine: Engine
) -> None:
    before = snapshot(engine)
    with session_scope(engine) as session:
        courts = len(session.exec(select(Court)).all())
    [preview] = admin(bot, "/sethearing Alimuly 2030-05-10 10:00 Almaty city court, Almaty")
    assert "Almaty city court, Almaty" in preview.text
    bot.server.press_button(
        user_id=ADMIN, chat_id=ADMIN, message_id=preview.message_id, data=preview.buttons()[1][1]
    )
    bot.wait_for_edit(ADMIN, preview.message_id)
    with session_scope(engine) as session:
        assert len(session.exec(select(Court)).all()) == courts
    assert snapshot(engine) == before
