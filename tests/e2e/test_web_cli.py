"""`casebot web` and `casebot run --web` as real processes: the website answers on its
listener (alone, beside long polling, and on the webhook's listener), and stops on
SIGTERM with exit 0."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from botsim.server import BotApiServer
from tests.e2e.test_cli import casebot_command, clean_env


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get_when_up(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()[0]
        try:
            return httpx.get(url, timeout=5)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


def test_casebot_web_alone_serves_the_demo_cases(tmp_path: Path) -> None:
    port = _port()
    env = clean_env(tmp_path, CASEBOT_BOT_USERNAME="casebot_demo_bot")
    process = subprocess.Popen(
        [*casebot_command(), "web", "--demo", "--listen", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/kk/cases/murager-alimuly", process)
        assert page.status_code == 200
        assert "Мұрагер Әлімұлы" in page.text
        assert "https://t.me/casebot_demo_bot?start=sub_murager-alimuly" in page.text
        dataset = httpx.get(f"http://127.0.0.1:{port}/data/cases.json", timeout=10)
    finally:
        _stop(process)
    # The open dataset loads into an empty database with `casebot import`.
    (tmp_path / "cases.json").write_bytes(dataset.content)
    other = tmp_path / "elsewhere"
    other.mkdir()
    result = subprocess.run(
        [*casebot_command(), "import", str(tmp_path / "cases.json")],
        cwd=other,
        env=clean_env(other),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "5" in result.stdout


def test_run_with_web_beside_polling(tmp_path: Path, botapi: BotApiServer) -> None:
    port = _port()
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    process = subprocess.Popen(
        [*casebot_command(), "run", "--demo", "--web", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        listing = _get_when_up(f"http://127.0.0.1:{port}/ru/", process)
        assert listing.status_code == 200 and "Сауытбай" in listing.text
        botapi.user_message("/case Sauytbay", user_id=5252, language_code="ru")
        [card] = botapi.wait_for_messages(5252, 1, timeout=30)
        assert "Сауытбай" in card.text
        page = httpx.get(f"http://127.0.0.1:{port}/en/cases/sayragul-sauytbay", timeout=10)
        assert f"https://t.me/{botapi.username}?start=sub_sayragul-sauytbay" in page.text
    finally:
        _stop(process)


def test_run_in_webhook_mode_serves_the_site_on_its_listener(
    tmp_path: Path, botapi: BotApiServer
) -> None:
    port = _port()
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    command = [
        *casebot_command(),
        "run",
        "--demo",
        "--webhook",
        f"http://127.0.0.1:{port}",
        "--listen",
        f"127.0.0.1:{port}",
        "--web",
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
        page = httpx.get(f"http://127.0.0.1:{port}/en/cases/murager-alimuly", timeout=10)
        assert page.status_code == 200 and "Murager Alimuly" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code in (200, 503)
    finally:
        _stop(process)


def test_run_refuses_a_web_address_in_webhook_mode(tmp_path: Path) -> None:
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN="123456:" + "A" * 35)
    result = subprocess.run(
        [*casebot_command(), "run", "--webhook", "https://x.example", "--web", "127.0.0.1:9"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "shares its listener" in result.stderr


def test_the_website_child_ends_with_a_killed_bot(tmp_path: Path, botapi: BotApiServer) -> None:
    port = _port()
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, TELEGRAM_API_URL=botapi.url)
    process = subprocess.Popen(
        [*casebot_command(), "run", "--demo", "--web", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert _get_when_up(f"http://127.0.0.1:{port}/en/", process).status_code == 200
    process.kill()  # no SIGTERM, no clean stop: the child sees its standard input close
    process.communicate(timeout=30)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/en/", timeout=2)
        except httpx.HTTPError:
            break
        assert time.monotonic() < deadline, "the website outlived the bot"
        time.sleep(0.2)
