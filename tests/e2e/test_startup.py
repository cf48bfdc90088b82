"""`casebot run` and `casebot worker` at start, as real processes against the local Bot API
server: a rejected token is one line and exit 2; an unreachable server is waited for,
one line per attempt and no traceback, until it answers; SIGTERM ends the wait; the
planner runs at start, so an overdue reminder goes out at once."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from sqlmodel import select
from telegram.error import InvalidToken, NetworkError, TimedOut

from botsim.server import BotApiServer
from jobs.startup import (
    TOKEN_REJECTED,
    PollingErrors,
    StoppedError,
    TokenRejectedError,
    backoff,
    connect,
    public_url,
    unless_stopped,
)
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Delivery, Subscriber, Subscription
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.changes import set_next_hearing
from tests.conftest import make_settings
from tests.e2e.test_cli import casebot_command, clean_env
from tests.e2e.webhook_support import free_port

WRONG_TOKEN = "987654321:AAHwrongTokenNobodyHas_0123456789abcdef"
UNREACHABLE = "cannot reach the Telegram Bot API at"


class Output:
    """Collects a process's output lines in a thread, so a test can wait for one."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, marker: str, *, count: int = 1, timeout: float = 60.0) -> None:
        """Wait until `count` lines hold `marker`; AssertionError with the output if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(marker in line for line in self.lines) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no {marker!r} in:\n{self.text}")
                self._changed.wait(min(left, 0.5))

    def finish(self) -> str:
        """All the output, once the stream has ended."""
        self._thread.join(30)
        return self.text

    @property
    def text(self) -> str:
        """The output so far."""
        return "".join(self.lines)


def start_casebot(command: str, cwd: Path, **env: str) -> tuple[subprocess.Popen[str], Output]:
    """Start `casebot COMMAND` with its stdout and stderr merged into one collected stream."""
    process = subprocess.Popen(
        [*casebot_command(), command],
        cwd=cwd,
        env=clean_env(cwd, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    return process, Output(process.stdout)


def stop(process: subprocess.Popen[str]) -> int:
    """SIGTERM, then the exit code (killed after 30 s)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["run", "worker", "run --webhook"])
def test_a_rejected_token_is_one_line_and_exit_2(
    mode: str, tmp_path: Path, botapi: BotApiServer
) -> None:
    args = mode.split()
    if "--webhook" in args:
        port = free_port()
        args += [f"http://127.0.0.1:{port}", "--listen", f"127.0.0.1:{port}"]
    result = subprocess.run(
        [*casebot_command(), *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_URL=botapi.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines().count(TOKEN_REJECTED) == 1, result.stderr
    secret = WRONG_TOKEN.partition(":")[2]
    assert secret not in result.stderr and secret not in result.stdout
    assert "Traceback" not in result.stderr
    assert "casebot is running" not in result.stderr
    assert botapi.calls("getMe"), "the token was never tried"


@pytest.mark.slow
def test_run_waits_for_an_unreachable_bot_api_then_answers(tmp_path: Path) -> None:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    token = "123456:TEST-token-for-botsim-only_0123456789"
    process, output = start_casebot(
        "run", tmp_path, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_URL=api_url
    )
    server: BotApiServer | None = None
    try:
        output.wait_for(f"{UNREACHABLE} {api_url} (", count=2)
        assert "casebot is running" not in output.text
        server = BotApiServer(token, port=port).start()
        output.wait_for("casebot is running")
        server.user_message("/start", user_id=4343, language_code="en")
        [reply] = server.wait_for_messages(4343, 1, timeout=30)
        assert "Casebot: news of people on trial" in reply.text
        server.stop()  # the network goes away while the bot runs, and stays away at stop
        output.wait_for("polling goes on")
        code = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
        if server is not None:
            server.stop()
    text = output.finish()
    assert code == 0, text
    assert "Traceback" not in text
    assert text.count("casebot is running") == 1
    assert text.index(UNREACHABLE) < text.index("casebot is running")
    starting = text[: text.index("casebot is running")].splitlines()
    assert all("trying again in" in line for line in starting if UNREACHABLE in line), text
    assert token not in text and token.partition(":")[2] not in text


@pytest.mark.slow
def test_worker_waits_for_an_unreachable_bot_api(tmp_path: Path) -> None:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    token = "123456:TEST-token-for-botsim-only_0123456789"
    process, output = start_casebot(
        "worker", tmp_path, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_URL=api_url
    )
    server: BotApiServer | None = None
    try:
        output.wait_for(f"{UNREACHABLE} {api_url} (")
        assert "is sending" not in output.text
        server = BotApiServer(token, port=port).start()
        output.wait_for("worker worker:1 is sending")
        code = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
        if server is not None:
            server.stop()
    text = output.finish()
    assert code == 0, text
    assert "Traceback" not in text
    assert token not in text


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "worker"])
def test_sigterm_while_waiting_for_the_bot_api_exits_zero(command: str, tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}"
    process, output = start_casebot(
        command,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-token-for-botsim-only_0123456789",
        TELEGRAM_API_URL=api_url,
    )
    try:
        output.wait_for("trying again in 2 s")  # now in a wait of 2 s, then 4 s, 8 s …
        code = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
    text = output.finish()
    assert code == 0, text
    assert "Traceback" not in text
    assert "casebot is running" not in text and "is sending" not in text


@pytest.mark.slow
def test_an_overdue_reminder_goes_out_right_after_start(
    tmp_path: Path, botapi: BotApiServer
) -> None:
    # The 2h reminder of a hearing an hour from now fell due while the bot was down.
    settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        set_next_hearing(
            session, case_id=1, starts_at=now + timedelta(hours=1), tz="Asia/Almaty", now=now
        )
        session.add(Subscriber(chat_id=7007, lang="en", created_at=now - timedelta(days=3)))
        session.flush()
        session.add(Subscription(chat_id=7007, case_id=1, created_at=now - timedelta(days=3)))
    process, output = start_casebot(
        "run", tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url
    )
    try:
        output.wait_for("casebot is running")
        # The planner used to run first a minute after start: half of that is plenty.
        [reminder] = botapi.wait_for_messages(7007, 1, timeout=30)
        code = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, output.finish()
    assert "Murager Alimuly" in reminder.text
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.chat_id == 7007)).all()
        assert [(row.kind, row.status) for row in rows] == [("hearing_reminder", "sent")]
    engine.dispose()


# -- the pieces ----------------------------------------------------------------------------


def test_backoff_doubles_up_to_a_minute() -> None:
    waits = backoff()
    assert [next(waits) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_public_url_drops_credentials_and_query() -> None:
    assert public_url("https://user:pw@api.example.org:8443/x/?q=1") == (
        "https://api.example.org:8443/x"
    )
    assert public_url("https://api.telegram.org") == "https://api.telegram.org"


def test_connect_retries_network_errors_with_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [NetworkError("httpx.ConnectError: All connection attempts failed"), TimedOut()]

    async def initialize() -> None:
        if failures:
            raise failures.pop(0)

    async def main() -> bool:
        return await connect(
            initialize, api_url="http://127.0.0.1:9", stop=asyncio.Event(), delays=[0.0, 0.0]
        )

    caplog.set_level(logging.INFO, logger="casebot")
    assert asyncio.run(main()) is True
    lines = [r for r in caplog.records if "cannot reach" in r.getMessage()]
    assert len(lines) == 2
    assert all(r.exc_info is None and "http://127.0.0.1:9" in r.getMessage() for r in lines)
    assert "reached the Telegram Bot API" in caplog.text


def test_connect_turns_a_rejected_token_into_an_error_without_it() -> None:
    async def initialize() -> None:
        try:
            raise InvalidToken("Unauthorized")
        except InvalidToken as exc:
            raise InvalidToken(f"The token `{WRONG_TOKEN}` was rejected.") from exc

    async def main() -> bool:
        return await connect(initialize, api_url="http://127.0.0.1:9", stop=asyncio.Event())

    with pytest.raises(TokenRejectedError) as caught:
        asyncio.run(main())
    assert str(caught.value) == TOKEN_REJECTED
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_connect_gives_up_when_stopped_during_a_wait_or_an_attempt() -> None:
    async def failing() -> None:
        raise NetworkError("down")

    async def hanging() -> None:
        await asyncio.sleep(3600)

    async def main() -> tuple[bool, bool]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, stop.set)
        waited = await connect(failing, api_url="http://x", stop=stop, delays=[3600.0])
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, stop.set)
        attempted = await connect(hanging, api_url="http://x", stop=stop)
        return waited, attempted

    assert asyncio.run(asyncio.wait_for(main(), timeout=30)) == (False, False)


def test_unless_stopped_returns_the_result_or_raises_stopped() -> None:
    async def main() -> None:
        stop = asyncio.Event()

        async def value() -> int:
            return 7

        assert await unless_stopped(value(), stop) == 7
        stop.set()
        with pytest.raises(StoppedError):
            await unless_stopped(asyncio.sleep(3600), stop)

    asyncio.run(asyncio.wait_for(main(), timeout=30))


def test_polling_errors_are_one_line_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="casebot")
    errors = PollingErrors("http://127.0.0.1:9", interval=3600)
    for _ in range(5):
        errors(NetworkError("httpx.ConnectError: All connection attempts failed"))
    lines = [r for r in caplog.records if "polling goes on" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
