"""The real `casebot run`, killed with SIGKILL in the middle of a broadcast and started
again: every alert is delivered, and the only duplicates are the messages that had
reached Telegram but were not yet recorded as sent when the process died."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from botsim.server import BotApiServer
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Delivery, Subscriber, Subscription
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.changes import change_status
from tests.e2e.test_cli import casebot_command, clean_env

pytestmark = pytest.mark.slow
FOLLOWERS = 150
FIRST_CHAT = 50_000


def start_bot(tmp_path: Path, server: BotApiServer) -> subprocess.Popen[str]:
    env = clean_env(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url, CASEBOT_RATE="30"
    )
    return subprocess.Popen(
        [*casebot_command(), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def received(server: BotApiServer) -> Counter[int]:
    return Counter(
        message.chat_id
        for message in server.outbox()
        if FIRST_CHAT <= message.chat_id < FIRST_CHAT + FOLLOWERS
    )


def wait_until(predicate: object, timeout: float, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0])
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not get there in time")
        time.sleep(0.05)


def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'casebot.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        chats = range(FIRST_CHAT, FIRST_CHAT + FOLLOWERS)
        session.add_all(
            Subscriber(chat_id=chat, lang=("kk", "ru", "en")[chat % 3]) for chat in chats
        )
        session.flush()
        session.add_all(Subscription(chat_id=chat, case_id=1) for chat in chats)
        session.flush()
        result = change_status(
            session, case_id=1, dimension="risk", key="deportation_ordered", now=datetime.now(UTC)
        )
    assert result is not None and result.alerts == FOLLOWERS

    with BotApiServer(messages_per_second=30) as server:
        process = start_bot(tmp_path, server)
        try:
            wait_until(lambda: sum(received(server).values()) >= 40, 60, process)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        at_kill = sum(received(server).values())
        with session_scope(engine) as session:
            recorded = session.exec(
                select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
            ).one()
        assert 40 <= at_kill < FOLLOWERS  # killed mid-broadcast
        unrecorded = at_kill - recorded  # reached Telegram, not yet marked sent

        process = start_bot(tmp_path, server)
        try:
            wait_until(lambda: len(received(server)) == FOLLOWERS, 60, process)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, output

        counts = received(server)
        duplicates = sum(counts.values()) - FOLLOWERS
        assert set(counts) == set(range(FIRST_CHAT, FIRST_CHAT + FOLLOWERS))
        print(f"killed after {at_kill} sends, {recorded} recorded; duplicates {duplicates}")
        assert duplicates <= unrecorded, (duplicates, unrecorded)
    with session_scope(engine) as session:
        statuses = Counter(session.exec(select(Delivery.status)).all())
    assert statuses == {"sent": FOLLOWERS}
    engine.dispose()
