"""`casebot chat`: the real bot, talking to a person in a terminal.

The Application runs unchanged against a local Bot API server (`botsim`) on
127.0.0.1; typed lines become the user's messages, the bot's messages are
printed as plain text, and their buttons are numbered: typing a number presses
the button. Alerts and reminders appear whenever the bot sends them.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from telegram.ext import Application

from botsim.server import BotApiServer, SentMessage

_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
QUIET_SECONDS = 0.6
ANSWER_GRACE_SECONDS = 2.0
DRAIN_LIMIT_SECONDS = 10.0


def html_to_text(text: str) -> str:
    """Telegram HTML as plain terminal text; links keep their address."""
    text = _LINK.sub(lambda match: f"{match.group(2)} [{html.unescape(match.group(1))}]", text)
    return html.unescape(_TAG.sub("", text))


class TerminalFrontEnd:
    """Prints what the bot sends to one chat and remembers the buttons on screen."""

    def __init__(self, out: TextIO, chat_id: int) -> None:
        self.out = out
        self.chat_id = chat_id
        self.buttons: list[tuple[int, str | None, str | None]] = []
        self.last_activity = time.monotonic()
        self._lock = threading.Lock()

    def show(self, message: SentMessage) -> None:
        """Print one message (called from the server's thread)."""
        if message.chat_id != self.chat_id:
            return
        with self._lock:
            self.last_activity = time.monotonic()
            label = "bot (edited)>" if message.edited else "bot>"
            lines = [
                f"{label} {line}" if i == 0 else f"     {line}"
                for i, line in enumerate(html_to_text(message.text or "").splitlines() or [""])
            ]
            if message.document is not None:
                lines.append(
                    f"     [file: {message.document.filename}, "
                    f"{len(message.document.content)} bytes]"
                )
            buttons = message.buttons()
            if buttons:
                self.buttons = []
                labels = []
                for text, data, url in buttons:
                    self.buttons.append((message.message_id, data, url))
                    labels.append(f"[{len(self.buttons)}] {text}")
                lines.append("     " + "  ".join(labels))
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()

    def button(self, number: int) -> tuple[int, str | None, str | None] | None:
        """The button shown under `number`, if any."""
        with self._lock:
            if 1 <= number <= len(self.buttons):
                return self.buttons[number - 1]
            return None


async def _serve(
    app: Application,  # type: ignore[type-arg]
    server: BotApiServer,
    front: TerminalFrontEnd,
    *,
    user_id: int,
    language_code: str,
    stdin: TextIO,
) -> None:
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            if text.isdigit():
                pressed = front.button(int(text))
                if pressed is None:
                    front.out.write("     (no button with that number)\n")
                    front.out.flush()
                    continue
                message_id, data, url = pressed
                if url is not None:
                    front.out.write(f"     (link) {url}\n")
                    front.out.flush()
                elif data is not None:
                    server.press_button(
                        user_id=user_id,
                        chat_id=user_id,
                        message_id=message_id,
                        data=data,
                        language_code=language_code,
                    )
                continue
            server.user_message(text, user_id=user_id, language_code=language_code)
        # Input ended: let the bot answer what was typed last, then stop.
        typed_at = time.monotonic()
        deadline = typed_at + DRAIN_LIMIT_SECONDS
        while time.monotonic() < deadline:
            now = time.monotonic()
            answered = front.last_activity > typed_at or now - typed_at > ANSWER_GRACE_SECONDS
            if answered and now - front.last_activity > QUIET_SECONDS:
                break
            await asyncio.sleep(0.1)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()


def run_terminal_chat(
    build_app: Callable[[str, str], Any],
    *,
    user_id: int,
    language_code: str,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the bot built by `build_app(api_url, token)` as a terminal chat; return 0."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    server = BotApiServer(messages_per_second=None)
    server.start()
    front = TerminalFrontEnd(stdout, chat_id=user_id)
    server.on_send(front.show)
    if stdin.isatty():
        stdout.write(
            "casebot chat: type as a Telegram user would (try /start); "
            "a number presses a button; Ctrl-D quits.\n"
        )
        stdout.flush()
    try:
        app = build_app(server.url, server.token)
        asyncio.run(
            _serve(app, server, front, user_id=user_id, language_code=language_code, stdin=stdin)
        )
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
