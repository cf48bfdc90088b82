"""One user's trouble is theirs alone: a chat paused by a 429 for ten minutes, or a reply
that failed while Telegram was down, delays only that chat's reply, which is sent later;
everyone else is answered at once, and SIGTERM still stops the bot within seconds."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from botsim.server import BotApiServer
from tests.conftest import RunningBot
from tests.e2e.test_cli import casebot_command, clean_env

ALICE, BOB, CAROL = 1001, 1002, 1003


def test_a_long_429_for_one_chat_does_not_hold_up_the_others(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    botapi.fail_next(ALICE, 429, retry_after=600)
    botapi.user_message("/help", user_id=ALICE)
    botapi.user_message("/help", user_id=BOB)
    botapi.user_message("/help", user_id=CAROL)
    for user in (BOB, CAROL):
        [reply] = botapi.wait_for_messages(user, 1)
        assert "/case" in reply.text
    limiter = running_bot.app.bot_data["limiter"]
    deadline = time.monotonic() + 10
    while limiter.deferred.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert limiter.deferred.waiting == 1  # Alice's reply waits out her pause, in the bot
    assert botapi.outbox(ALICE) == []
    [bob_again] = running_bot.ask("/help", user_id=BOB)  # and the bot goes on answering
    assert "/case" in bob_again.text


def test_a_reply_deferred_by_a_429_arrives_after_the_pause_in_order(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    botapi.fail_next(ALICE, 429, retry_after=3)
    botapi.user_message("/help", user_id=ALICE)
    botapi.user_message("/language", user_id=ALICE)  # queued behind the deferred reply
    [bob] = running_bot.ask("/help", user_id=BOB)
    assert "/case" in bob.text
    first, second = botapi.wait_for_messages(ALICE, 2, timeout=20)
    assert "/case" in first.text  # /help's answer first, then /language's
    assert "/case" not in second.text
    time.sleep(0.5)
    assert len(botapi.outbox(ALICE)) == 2  # each once


def test_a_reply_that_failed_during_an_outage_is_sent_when_telegram_is_back(
    running_bot: RunningBot, botapi: BotApiServer
) -> None:
    botapi.fail_next(ALICE, 502, times=3)
    botapi.user_message("/start", user_id=ALICE)
    [welcome] = botapi.wait_for_messages(ALICE, 1, timeout=30)
    assert welcome.text
    failed = [call for call in botapi.calls("sendMessage") if call.status == 502]
    assert len(failed) == 3


@pytest.mark.slow
def test_sigterm_during_a_long_429_exits_at_once(tmp_path: Path, botapi: BotApiServer) -> None:
    """The real `casebot run`: one chat waits out retry_after=600, another user is answered,
    and SIGTERM ends the process with exit code 0 in a few seconds, saying what was left."""
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    process = subprocess.Popen(
        [*casebot_command(), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not botapi.calls("getUpdates") and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.05)
        botapi.fail_next(ALICE, 429, retry_after=600)
        botapi.user_message("/help", user_id=ALICE)
        botapi.user_message("/help", user_id=BOB)
        [reply] = botapi.wait_for_messages(BOB, 1, timeout=30)
        assert "/case" in reply.text
        time.sleep(0.5)  # Alice's 429 has been answered by now
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "1 deferred replies were not sent" in output
    assert botapi.token not in output
