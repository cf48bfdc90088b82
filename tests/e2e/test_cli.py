"""The `casebot` command as a user runs it: run (with SIGTERM), chat, import, db upgrade."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from botsim.server import BotApiServer
from storage.files.importer import SAMPLE_FILE

pytestmark = pytest.mark.slow


def casebot_command() -> list[str]:
    script = Path(sys.executable).parent / "casebot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def read_until(stream: IO[str], marker: str, limit: int = 60) -> list[str]:
    """Lines from the bot's terminal up to the first one holding `marker`."""
    lines: list[str] = []
    while len(lines) < limit:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError("".join(lines))


def run_casebot(
    *args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `casebot ARGS` in `cwd` (with a clean environment there unless one is given)."""
    return subprocess.run(
        [*casebot_command(), *args],
        cwd=cwd,
        env=env if env is not None else clean_env(cwd),
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "CASEBOT_", "DATABASE_URL"))
    }
    env.update({"CASEBOT_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", **extra})
    return env


def test_run_without_token_explains_what_to_do(tmp_path: Path) -> None:
    result = run_casebot("run", cwd=tmp_path)
    assert result.returncode != 0
    assert "@BotFather" in result.stderr and "casebot chat" in result.stderr


def test_run_with_a_bad_setting_names_it(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        CASEBOT_REMINDERS="banana",
        TELEGRAM_BOT_TOKEN="123456:TEST-token-for-botsim-only_0123456789",
    )
    result = run_casebot("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "CASEBOT_REMINDERS" in result.stderr and "banana" in result.stderr
    assert "TEST-token" not in result.stderr


def test_run_answers_start_and_exits_zero_on_sigterm(tmp_path: Path, botapi: BotApiServer) -> None:
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    process = subprocess.Popen(
        [*casebot_command(), "run", "--demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while botapi.commands(language_code="ru") is None:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the bot never set its commands"
            time.sleep(0.1)
        botapi.user_message("/start", user_id=4242, language_code="kk")
        [reply] = botapi.wait_for_messages(4242, 1, timeout=30)
        assert "Casebot: ісі сотта қаралып жатқан адамдар туралы жаңалықтар" in reply.text
        assert "5 істі" in reply.text
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "casebot stopped" in output
    assert botapi.token not in output


def test_chat_demo_answers_start_and_buttons_through_a_pipe(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*casebot_command(), "chat", "--demo", "--lang", "ru"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("/start\n")
        process.stdin.flush()
        lines = read_until(process.stdout, "[1]")
        screen = "".join(lines)
        assert "Casebot: новости о людях под судом" in screen
        assert "5 делами" in screen
        assert "[3] Справка" in lines[-1]
        process.stdin.write("3\n")
        process.stdin.flush()
        assert "Команды" in process.stdout.readline()
        process.stdin.write("/case Сауытбай\n")
        process.stdin.flush()
        card = "".join(read_until(process.stdout, "[1]"))
        assert "Сайрагуль Сауытбай" in card and "за рубежом" in card
        _output, errors = process.communicate("", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors


def test_import_twice_and_db_upgrade(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    upgrade = run_casebot("db", "upgrade", cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "data" / "casebot.db").exists()
    first = run_casebot("import", str(SAMPLE_FILE), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "Added 5 cases" in first.stdout
    second = run_casebot("import", str(SAMPLE_FILE), cwd=tmp_path, env=env)
    assert second.returncode == 0
    assert "No change" in second.stdout


def test_import_of_a_bad_file_lists_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: casebot-cases/1\ncases:\n  - slug: Bad Slug\n", encoding="utf-8")
    result = run_casebot("import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "nothing changed" in result.stderr and "line 3" in result.stderr


def test_export_then_import_elsewhere(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    run_casebot("import", str(SAMPLE_FILE), cwd=first, check=True)
    for name in ("cases.yaml", "cases.csv"):
        exported = run_casebot("export", str(tmp_path / name), cwd=first)
        assert exported.returncode == 0, exported.stderr
        assert "Exported 5 cases" in exported.stdout
    loaded = run_casebot("import", str(tmp_path / "cases.csv"), cwd=second)
    assert "Added 5 cases" in loaded.stdout, loaded.stderr
    again = run_casebot("import", str(tmp_path / "cases.yaml"), cwd=second)
    assert "No change" in again.stdout, again.stdout
    wrong = run_casebot("export", str(tmp_path / "cases.txt"), cwd=first)
    assert wrong.returncode == 2 and ".csv" in wrong.stderr


def test_backup_copies_the_live_database(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    run_casebot("import", str(SAMPLE_FILE), cwd=tmp_path, env=env, check=True)
    target = tmp_path / "backup" / "copy.db"
    done = run_casebot("backup", str(target), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM cases").fetchone() == (5,)
    again = run_casebot("backup", str(target), cwd=tmp_path, env=env)
    assert again.returncode == 2 and "--force" in again.stderr


def test_run_in_webhook_mode_as_a_real_process(tmp_path: Path, botapi: BotApiServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    command = [
        *casebot_command(),
        "run",
        "--webhook",
        f"http://127.0.0.1:{port}",
        "--listen",
        f"127.0.0.1:{port}",
    ]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while botapi.webhook is None:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the webhook was never set"
            time.sleep(0.1)
        hook = botapi.webhook
        url, secret = hook["url"], hook["secret_token"]
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "/start",
                "chat": {"id": 5151, "type": "private", "first_name": "W"},
                "from": {"id": 5151, "is_bot": False, "first_name": "W", "language_code": "kk"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        refused = httpx.post(url, json=update, timeout=10)
        assert refused.status_code == 403
        accepted = httpx.post(
            url, json=update, timeout=10, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        assert accepted.status_code == 200
        [reply] = botapi.wait_for_messages(5151, 1, timeout=30)
        assert "Casebot: ісі сотта қаралып жатқан адамдар туралы жаңалықтар" in reply.text
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.json()["database"] is True
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert botapi.token not in output and secret not in output
