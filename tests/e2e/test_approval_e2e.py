"""Two-person approval through the real bot: an urgent alert waits for a second organizer;
the first approval sends it, the author cannot approve their own and strangers are refused;
a rejection or 30 minutes without approval cancels it and tells the author; each step is in
the audit. A single organizer sends at once, and /stats says which rule holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from botsim.server import BotApiServer
from handlers import callbacks as cb
from jobs.schedule import run_planner
from services import Services
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import AuditEntry, Case, Delivery, Organizer
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.drafts import CORRECTION_DELAY
from tests.conftest import Clock, RunningBot, make_settings
from tests.e2e.test_alerts_e2e import settle, texts

AUTHOR, SECOND, THIRD, STRANGER = 900, 901, 902, 3001
READERS = (7001, 7002, 7003)


def start_bot(botapi: BotApiServer, tmp_path: Path, **env: str) -> tuple[RunningBot, Engine]:
    settings = make_settings(tmp_path, CASEBOT_ADMINS=str(AUTHOR), **env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    services = Services(settings=settings, engine=engine, clock=Clock())
    return RunningBot(botapi, services).start(), engine


@pytest.fixture
def bot(botapi: BotApiServer, tmp_path: Path) -> Iterator[RunningBot]:
    running, engine = start_bot(botapi, tmp_path)
    with session_scope(engine) as session:
        session.add_all([Organizer(user_id=SECOND), Organizer(user_id=THIRD)])
    for reader in READERS:
        running.ask("/subscribe Alimuly", user_id=reader)
    yield running
    running.stop()
    engine.dispose()


def propose(bot: RunningBot, command: str) -> Any:
    [preview] = bot.ask(command, user_id=AUTHOR)
    return preview


def tap(bot: RunningBot, chat_id: int, message: Any, button: int, *, of: Any = None) -> None:
    """``chat_id`` presses the ``button``-th button (counted across rows) on ``message``, as
    ``of`` shows it (the message after an edit; by default ``message`` itself)."""
    data = str((of or message).buttons()[button][1])
    bot.server.press_button(
        user_id=chat_id, chat_id=chat_id, message_id=message.message_id, data=data
    )


def press_send(bot: RunningBot, preview: Any) -> Any:
    tap(bot, AUTHOR, preview, 0)
    return bot.wait_for_edit(AUTHOR, preview.message_id)


def request_for(bot: RunningBot, organizer: int, since: int = 0) -> Any:
    [request] = bot.server.wait_for_messages(organizer, 1, since=since)
    return request


def draft_of(request: Any) -> int:
    return int(str(request.buttons()[0][1]).rsplit(":", 1)[1])


def risk(engine: Engine) -> str | None:
    with session_scope(engine) as session:
        case = session.get(Case, 1)
        assert case is not None
        return case.risk


def actions(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEntry.action)
            .where(col(AuditEntry.action).startswith("approval"))
            .order_by(col(AuditEntry.id))
        )
        return list(rows.all())


def test_an_urgent_alert_waits_for_a_second_organizer(bot: RunningBot) -> None:
    engine = bot.services.engine
    [stats] = bot.ask("/stats", user_id=AUTHOR)
    assert "urgent alerts, and alerts to more than 1000 subscribers" in stats.text
    before = risk(engine)
    preview = propose(bot, "/setstatus Alimuly deportation_ordered Announced today")
    waiting = press_send(bot, preview)
    assert "Waiting for another organizer's approval (asked 2 organizers" in waiting.plain_text
    request = request_for(bot, SECOND)
    assert "asks you to approve this alert to 3 subscribers" in request.text
    assert "deportation ordered" in request.text and "Announced today" in request.text
    assert request_for(bot, THIRD).text == request.text
    draft = draft_of(request)
    assert risk(engine) == before  # nothing changed, nothing queued
    with session_scope(engine) as session:
        assert session.exec(select(Delivery).where(Delivery.kind == "status")).first() is None

    # The author cannot approve their own change; a stranger is refused; nothing changes.
    [own] = bot.press(preview, cb.Approval("approve", draft).data, user_id=AUTHOR, check=False)
    assert "You cannot approve your own change" in own.text
    [no] = bot.ask("/case 1", user_id=STRANGER)
    [refused] = bot.press(no, cb.Approval("approve", draft).data, user_id=STRANGER, check=False)
    assert "Nothing was changed" in refused.plain_text
    assert risk(engine) == before

    # The first approval sends; a later one finds it decided.
    marks = {reader: len(bot.server.outbox(reader)) for reader in READERS}
    author_mark = len(bot.server.outbox(AUTHOR))
    tap(bot, SECOND, request, 0)
    approved = bot.wait_for_edit(SECOND, request.message_id)
    assert "Approved and sent: 3 subscribers will get it." in approved.text
    settle(bot)
    assert risk(engine) == "deportation_ordered"
    for reader in READERS:
        [alert] = texts(bot, reader, marks[reader])
        assert "deportation ordered" in alert
    [notice] = texts(bot, AUTHOR, author_mark)
    assert "was approved by another organizer and sent" in notice
    assert "You can undo it for 10 minutes." in notice
    [message] = bot.server.outbox(AUTHOR)[author_mark:]
    assert [text for text, _, _ in message.buttons()] == ["Undo", "Open the case"]
    assert message.buttons()[0][1] == cb.DraftAction("undo", draft, 3).data
    third = request_for(bot, THIRD)
    tap(bot, THIRD, third, 0)
    assert "Already decided" in bot.wait_for_edit(THIRD, third.message_id).text
    assert actions(engine) == ["approval_asked", "approval_self_refused", "approval_approved"]


def test_the_author_undoes_a_change_another_organizer_approved(bot: RunningBot) -> None:
    engine = bot.services.engine
    before = risk(engine)
    press_send(bot, propose(bot, "/setstatus Alimuly deportation_ordered"))
    request = request_for(bot, SECOND)
    author_mark = len(bot.server.outbox(AUTHOR))
    tap(bot, SECOND, request, 0)
    bot.wait_for_edit(SECOND, request.message_id)
    settle(bot)
    [notice] = bot.server.outbox(AUTHOR)[author_mark:]
    marks = {reader: len(bot.server.outbox(reader)) for reader in READERS}
    # Undo asks once more, with the count, as after the author's own Send; Yes undoes it.
    tap(bot, AUTHOR, notice, 0)
    question = bot.wait_for_edit(AUTHOR, notice.message_id)
    assert "Undo the alert to 3 subscribers?" in question.text
    tap(bot, AUTHOR, notice, 0, of=question)
    assert "Undone. 3 subscribers" in bot.wait_for_edit(AUTHOR, notice.message_id, edits=2).text
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    clock.now = clock() + CORRECTION_DELAY  # corrections wait a moment for alerts in flight
    settle(bot)
    assert risk(engine) == before
    for reader in READERS:
        [correction] = texts(bot, reader, marks[reader])
        assert "Correction" in correction


def test_rejection_and_expiry_cancel_and_tell_the_author(bot: RunningBot) -> None:
    engine = bot.services.engine
    before = risk(engine)
    press_send(bot, propose(bot, "/setstatus Alimuly deportation_threat"))
    request = request_for(bot, THIRD)
    author_mark = len(bot.server.outbox(AUTHOR))
    tap(bot, THIRD, request, 1)
    assert "Rejected: nothing was sent" in bot.wait_for_edit(THIRD, request.message_id).text
    settle(bot)
    [notice] = texts(bot, AUTHOR, author_mark)
    assert "Another organizer rejected your change to Murager Alimuly" in notice
    assert risk(engine) == before

    since = len(bot.server.outbox(SECOND))
    press_send(bot, propose(bot, "/setstatus Alimuly deportation_ordered"))
    request = request_for(bot, SECOND, since)
    clock = bot.services.clock
    assert isinstance(clock, Clock)
    start = clock()
    clock.now = start + timedelta(minutes=29)
    run_planner(bot.services)
    settle(bot)
    assert "got no approval" not in " ".join(texts(bot, AUTHOR, author_mark))
    clock.now = start + timedelta(minutes=31)
    author_mark = len(bot.server.outbox(AUTHOR))
    run_planner(bot.services)
    settle(bot)
    [expired] = texts(bot, AUTHOR, author_mark)
    assert "got no approval within 30 minutes: nothing was sent" in expired
    tap(bot, SECOND, request, 0)
    assert "Too late" in bot.wait_for_edit(SECOND, request.message_id).text
    assert risk(engine) == before
    assert actions(engine) == [
        "approval_asked", "approval_rejected", "approval_asked", "approval_expired",
    ]  # fmt: skip


def test_a_small_non_urgent_alert_needs_no_approval(bot: RunningBot) -> None:
    sent = press_send(bot, propose(bot, "/setstatus Alimuly released"))
    assert "Sent: 3 subscribers will get it." in sent.text
    assert actions(bot.services.engine) == []


def test_all_mode_and_a_single_organizer(botapi: BotApiServer, tmp_path: Path) -> None:
    bot, engine = start_bot(botapi, tmp_path / "all", CASEBOT_APPROVAL="all")
    try:
        [stats] = bot.ask("/stats", user_id=AUTHOR)
        assert "Approval by a second organizer: off, as there is only one organizer." in stats.text
        sent = press_send(bot, propose(bot, "/setstatus Alimuly deportation_ordered"))
        assert "Sent:" in sent.text  # one organizer: approval is off
        bot.wait_idle()  # the Undo offer follows the edit
        with session_scope(engine) as session:
            session.add(Organizer(user_id=SECOND))
        [stats] = bot.ask("/stats", user_id=AUTHOR)
        assert "Approval by a second organizer: every alert." in stats.text
        waiting = press_send(bot, propose(bot, "/setstatus Alimuly released"))
        assert "asked 1 organizer;" in waiting.text
    finally:
        bot.stop()
        engine.dispose()
