"""Tests for botsim's failures: injected 429s and errors mapped to python-telegram-bot's
exceptions, the global and per-chat rate limits, blocked chats, slow answers that make
the client time out, and what a timed-out wait for messages explains.
"""

from __future__ import annotations

import datetime as dtm
import warnings

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from botsim import BotApiServer
from tests.e2e.botsim_support import run_bot


def retry_seconds(error: RetryAfter) -> float:
    """The wait a RetryAfter asks for, in seconds (without PTB's deprecation warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_injected_429_is_retry_after(server: BotApiServer) -> None:
    server.fail_next(5, 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        run_bot(server, lambda bot: bot.send_message(5, "hi"))
    assert retry_seconds(caught.value) == 3
    assert server.calls("sendMessage")[0].response["parameters"] == {"retry_after": 3}
    run_bot(server, lambda bot: bot.send_message(5, "hi"))  # only the next one failed
    assert server.stats.failed_injected == 1
    assert server.stats.sent == 1


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (403, Forbidden, "bot was blocked by the user"),
        (400, BadRequest, "Chat not found"),
        (500, NetworkError, "Internal Server Error"),
    ],
)
def test_injected_errors_map_to_ptb_exceptions(
    server: BotApiServer, status: int, error: type[Exception], message: str
) -> None:
    server.fail_next(5, status, times=2)
    for _ in range(2):
        with pytest.raises(error, match=message) as caught:
            run_bot(server, lambda bot: bot.send_message(5, "hi"))
        if status == 500:
            assert not isinstance(caught.value, BadRequest)
    run_bot(server, lambda bot: bot.send_message(5, "hi"))
    assert [call.status for call in server.calls("sendMessage")] == [status, status, 200]


def test_rate_limiter_allows_at_most_30_per_second(server: BotApiServer, api: httpx.Client) -> None:
    statuses = [
        api.post("/sendMessage", data={"chat_id": str(100 + n % 4), "text": f"#{n}"}).status_code
        for n in range(40)
    ]
    assert 429 in statuses
    calls = server.calls("sendMessage")
    first = calls[0].timestamp
    assert sum(1 for c in calls if c.status == 200 and c.timestamp - first < 1.0) <= 30
    limited = [c for c in calls if c.status == 429]
    assert server.stats.rate_limited == len(limited)
    assert limited[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    # edits are not rate limited
    edit = api.post(
        "/editMessageText", data={"chat_id": "100", "message_id": "1", "text": "edited"}
    )
    assert edit.status_code == 200


def test_per_chat_rate_limit() -> None:
    server = BotApiServer(messages_per_second=None, per_chat_per_second=2)
    with server, httpx.Client(base_url=f"{server.url}/bot{server.token}") as api:
        codes = [
            api.post("/sendMessage", data={"chat_id": chat, "text": "x"}).status_code
            for chat in ("1", "1", "1", "2")
        ]
    assert codes == [200, 200, 429, 200]


def test_block_and_unblock(server: BotApiServer) -> None:
    server.block(5)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        run_bot(server, lambda bot: bot.send_message(5, "hi"))
    with pytest.raises(Forbidden):
        run_bot(server, lambda bot: bot.send_chat_action(5, "typing"))
    run_bot(server, lambda bot: bot.send_message(6, "others still work"))
    server.unblock(5)
    run_bot(server, lambda bot: bot.send_message(5, "hi again"))
    assert [m.text for m in server.outbox(5)] == ["hi again"]
    assert server.stats.blocked == 2


def test_delay_next_makes_the_client_time_out(server: BotApiServer) -> None:
    server.delay_next(5, 0.5)
    with pytest.raises(TimedOut):
        run_bot(server, lambda bot: bot.send_message(5, "slow"), read_timeout=0.1)
    # Telegram often delivers what a timed-out client sent; so does botsim.
    assert [m.text for m in server.wait_for_messages(5)] == ["slow"]


def test_wait_for_messages_timeout_explains(server: BotApiServer, api: httpx.Client) -> None:
    api.post("/sendMessage", data={"chat_id": "5", "text": "first"})
    api.post("/sendMessage", data={"chat_id": "5", "text": "<b>", "parse_mode": "HTML"})
    with pytest.raises(TimeoutError) as caught:
        server.wait_for_messages(5, 2, timeout=0.1)
    assert "'first'" in str(caught.value)
    assert "can't parse entities" in str(caught.value)
    assert [m.text for m in server.wait_for_messages(5, 1, timeout=0.1)] == ["first"]
