"""`casebot chat`: the real bot, talking to a person in a terminal.

The Application runs unchanged against a local Bot API server (`botsim`) on
127.0.0.1; typed lines become the user's messages, the bot's messages are
printed as plain text, and their buttons are numbered: typing a number presses
the button. Alerts and reminders appear whenever the bot sends them.

One terminal can play several Telegram users: `/as ID [language]` (handled
here, never sent to the bot) makes later lines and button presses come from
user ID in their own private chat, so an organizer's change and the alert a
subscriber gets can be watched in one session. Messages to the chat of the
user being played are printed as `bot>`; those to any other chat as
`bot to ID>`. Documents the bot sends are saved to a folder and their path is
printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from telegram.ext import Application

from botsim.server import BotApiServer, SentDocument, SentMessage

_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_AS = re.compile(r"/as(?:\s+(.*))?", re.DOTALL)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*", re.IGNORECASE)
_UNSAFE_IN_NAME = re.compile(r"[^\w.-]+")
MAX_FILE_NAME = 120
MAX_USER_ID = 2**52  # Telegram user ids fit in 52 bits
QUIET_SECONDS = 0.6
ANSWER_GRACE_SECONDS = 2.0
DRAIN_LIMIT_SECONDS = 10.0
AS_USAGE = "/as ID [kk|ru|en]"
INDENT = "     "


def html_to_text(text: str) -> str:
    """Telegram HTML as plain terminal text; links keep their address."""
    text = _LINK.sub(lambda match: f"{match.group(2)} [{html.unescape(match.group(1))}]", text)
    return html.unescape(_TAG.sub("", text))


@dataclass(frozen=True)
class SwitchUser:
    """A parsed `/as` line: the user to become (None: only say who you are)."""

    user_id: int | None
    language_code: str | None = None


def parse_as_command(text: str) -> SwitchUser | None:
    """Parse a typed `/as ID [language]`; None when `text` is not an `/as` line.

    Raises ValueError, with the usage, when it is one but the ID or the language is
    not valid.
    """
    match = _AS.fullmatch(text.strip())
    if match is None:
        return None
    words = (match.group(1) or "").split()
    if not words:
        return SwitchUser(None)
    if len(words) > 2 or not words[0].isdigit() or not 0 < int(words[0]) < MAX_USER_ID:
        raise ValueError(f"usage: {AS_USAGE}, with a positive user id, e.g. /as 2002")
    language = words[1].lower() if len(words) == 2 else None
    if language is not None and _LANGUAGE_CODE.fullmatch(language) is None:
        raise ValueError(f"usage: {AS_USAGE}; {words[1]!r} is not a language code")
    return SwitchUser(int(words[0]), language)


def safe_file_name(name: str, default: str = "document") -> str:
    """A file name made from what the bot called a document, safe to create in a folder.

    Only its last path component is kept; characters other than letters, digits,
    `.`, `-` and `_` become `_`; leading and trailing dots go (no hidden files, no
    `..`); it is cut to `MAX_FILE_NAME` characters, keeping the extension.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_IN_NAME.sub("_", base).strip(". ")
    if not base.strip("_"):
        return default
    if len(base) > MAX_FILE_NAME:
        stem, dot, extension = base.rpartition(".")
        if not dot or not stem or len(extension) > 10:
            stem, dot, extension = base, "", ""
        base = stem[: MAX_FILE_NAME - len(dot + extension)].rstrip(".") + dot + extension
    return base


@dataclass
class _Buttons:
    """The buttons of the latest message with buttons in one chat."""

    message_id: int
    buttons: list[tuple[str, str | None, str | None]]


class TerminalFrontEnd:
    """Prints what the bot sends, knows which user the terminal plays, keeps the buttons.

    `show` is called from the server's threads, everything else from the terminal's
    loop; a lock keeps lines whole. With `interactive` (both ends are a terminal) a
    prompt `[ID] > ` is shown while waiting for a line, and a message arriving then is
    printed above it.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        user_id: int,
        language_code: str,
        files_dir: Path | None = None,
        admins: Collection[int] = (),
        interactive: bool = False,
    ) -> None:
        self.out = out
        self.user_id = user_id
        self.default_language = language_code
        self.languages: dict[int, str] = {user_id: language_code}
        self.files_dir = files_dir
        self.admins = frozenset(admins)
        self.interactive = interactive
        self.last_activity = time.monotonic()
        self._buttons: dict[int, _Buttons] = {}
        self._saved: dict[tuple[int, int], str] = {}
        self._at_prompt = False
        self._lock = threading.Lock()

    @property
    def language_code(self) -> str:
        """The Telegram language of the user the terminal plays now."""
        return self.languages.get(self.user_id, self.default_language)

    @property
    def prompt(self) -> str:
        """What the terminal shows while it waits for a line: who you are."""
        return f"[{self.user_id}] > "

    # -- output -------------------------------------------------------------------

    def _write(self, lines: list[str]) -> None:
        """Print whole lines, above the prompt if it is showing (hold the lock)."""
        if self._at_prompt:
            self.out.write("\r\033[K")
        self.out.write("".join(f"{line}\n" for line in lines))
        if self._at_prompt:
            self.out.write(self.prompt)
        self.out.flush()

    def note(self, text: str) -> None:
        """Print one of the terminal's own remarks (not from the bot)."""
        with self._lock:
            self._write([f"{INDENT}({text})"])

    def waiting_for_input(self) -> None:
        """Show the prompt (interactive only) before a line is read."""
        with self._lock:
            if self.interactive:
                self.out.write(self.prompt)
                self.out.flush()
                self._at_prompt = True

    def got_input(self) -> None:
        """The user pressed Enter: the cursor is on a new line, no prompt is showing."""
        with self._lock:
            self._at_prompt = False

    def end_of_input(self) -> None:
        """Input ended (Ctrl-D): leave the terminal on a fresh line."""
        with self._lock:
            if self.interactive:
                self.out.write("\n")
                self.out.flush()

    def show(self, message: SentMessage) -> None:
        """Print one message sent or edited by the bot (called from the server's threads)."""
        with self._lock:
            self.last_activity = time.monotonic()
            mine = message.chat_id == self.user_id
            label = "bot" if mine else f"bot to {message.chat_id}"
            label += " (edited)>" if message.edited else ">"
            indent = INDENT if mine else " " * (len(label) + 1)
            text_lines = html_to_text(message.text or "").splitlines() or [""]
            lines = [f"{label} {text_lines[0]}", *(indent + line for line in text_lines[1:])]
            if message.document is not None:
                lines.append(indent + self._document_line(message, message.document))
            buttons = message.buttons()
            held = self._buttons.get(message.chat_id)
            if buttons:
                self._buttons[message.chat_id] = _Buttons(message.message_id, buttons)
            elif held is not None and held.message_id == message.message_id:
                del self._buttons[message.chat_id]  # edited away: nothing left to press
            if buttons and mine:
                lines.append(indent + _numbered(buttons))
            elif buttons:
                names = "  ".join(f"[{text}]" for text, _data, _url in buttons)
                lines.append(f"{indent}{names}  (/as {message.chat_id} to press them)")
            self._write(lines)

    def _document_line(self, message: SentMessage, document: SentDocument) -> str:
        size = len(document.content)
        described = f"[file: {document.filename}, {size} byte{'' if size == 1 else 's'}]"
        if self.files_dir is None:
            return described
        key = (message.chat_id, message.message_id)
        if key not in self._saved:
            try:
                self._saved[key] = f"saved as {self._save(document)}"
            except OSError as error:
                self._saved[key] = f"not saved: {error}"
        return f"{described} {self._saved[key]}"

    def _save(self, document: SentDocument) -> Path:
        """Write a document to a new file in `files_dir` (never over another); its path."""
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = safe_file_name(document.filename)
        stem, dot, extension = name.rpartition(".")
        if not stem:
            stem, dot, extension = name, "", ""
        for number in itertools.count(1):
            candidate = name if number == 1 else f"{stem}-{number}{dot}{extension}"
            path = (self.files_dir / candidate).absolute()
            try:
                with path.open("xb") as file:
                    file.write(document.content)
            except FileExistsError:
                continue
            return path
        raise AssertionError("unreachable")

    # -- input --------------------------------------------------------------------

    def button(self, number: int) -> tuple[int, str | None, str | None] | None:
        """`(message_id, callback_data, url)` of button `number` in your chat, if any."""
        with self._lock:
            held = self._buttons.get(self.user_id)
            if held is None or not 1 <= number <= len(held.buttons):
                return None
            _text, data, url = held.buttons[number - 1]
            return held.message_id, data, url

    def whoami(self) -> str:
        """Who the terminal plays, and how to become someone else."""
        role = " (an organizer: CASEBOT_ADMINS)" if self.user_id in self.admins else ""
        others = sorted(self.admins - {self.user_id})
        if others:
            hint = f"e.g. /as {others[0]} to act as an organizer"
        elif self.admins:
            hint = "e.g. /as 2002 to act as a supporter"
        else:
            hint = "start with CASEBOT_ADMINS=ID to make user ID an organizer"
        return (
            f"you are user {self.user_id}{role}, Telegram language {self.language_code}, "
            f"in your private chat with the bot; {AS_USAGE} switches user, {hint}"
        )

    def switch(self, user_id: int, language_code: str | None) -> None:
        """Become `user_id` (optionally with a Telegram language) and say so."""
        with self._lock:
            self.user_id = user_id
            if language_code is not None:
                self.languages[user_id] = language_code
            role = " (an organizer: CASEBOT_ADMINS)" if user_id in self.admins else ""
            lines = [
                f"{INDENT}(you are now user {user_id}{role}, Telegram language "
                f"{self.language_code}; what you type comes from their private chat)"
            ]
            held = self._buttons.get(user_id)
            if held is not None:
                lines.append(f"{INDENT}{_numbered(held.buttons)}")
            self._write(lines)


def _numbered(buttons: list[tuple[str, str | None, str | None]]) -> str:
    return "  ".join(f"[{number}] {text}" for number, (text, _d, _u) in enumerate(buttons, 1))


async def _read_line(stdin: TextIO) -> str:
    """One line of input, read in a daemon thread: Ctrl-C never waits for a blocked read."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(line: str, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line)

    def read() -> None:
        line, error = "", None
        try:
            line = stdin.readline()
        except Exception as exc:  # undecodable or closed input: the loop decides
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(deliver, line, error)

    threading.Thread(target=read, name="casebot-chat-input", daemon=True).start()
    return await future


def _press(server: BotApiServer, front: TerminalFrontEnd, number: int) -> None:
    pressed = front.button(number)
    if pressed is None:
        front.note("no button with that number")
        return
    message_id, data, url = pressed
    if url is not None:
        front.note(f"link: {url}")
    elif data is not None:
        try:
            server.press_button(
                user_id=front.user_id,
                chat_id=front.user_id,
                message_id=message_id,
                data=data,
                language_code=front.language_code,
            )
        except ValueError:
            front.note("that button is no longer there")


def _handle_line(server: BotApiServer, front: TerminalFrontEnd, text: str) -> None:
    """Act on one typed line: `/as`, a button number, or a message to the bot."""
    try:
        switch = parse_as_command(text)
    except ValueError as error:
        front.note(str(error))
        return
    if switch is not None:
        if switch.user_id is None:
            front.note(front.whoami())
        else:
            front.switch(switch.user_id, switch.language_code)
        return
    if text.isdigit():
        _press(server, front, int(text))
        return
    try:
        server.user_message(text, user_id=front.user_id, language_code=front.language_code)
    except ValueError as error:  # e.g. longer than Telegram allows
        front.note(str(error))


async def _serve(
    app: Application,  # type: ignore[type-arg]
    server: BotApiServer,
    front: TerminalFrontEnd,
    *,
    stdin: TextIO,
) -> None:
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()
    try:
        while True:
            front.waiting_for_input()
            try:
                line = await _read_line(stdin)
            except UnicodeDecodeError:
                front.got_input()
                front.note("that line is not valid text in this terminal's encoding")
                continue
            front.got_input()
            if not line:
                front.end_of_input()
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            _handle_line(server, front, text)
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
    files_dir: Path | None = None,
    admins: Collection[int] = (),
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the bot built by `build_app(api_url, token)` as a terminal chat; return 0.

    The terminal starts as `user_id` with Telegram language `language_code` (also
    the language of users first met with `/as`); documents are saved in `files_dir`
    (none: only described); `admins` are named as organizers by `/as`.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    server = BotApiServer(messages_per_second=None)
    server.start()
    front = TerminalFrontEnd(
        stdout,
        user_id=user_id,
        language_code=language_code,
        files_dir=files_dir,
        admins=admins,
        interactive=stdin.isatty() and stdout.isatty(),
    )
    server.on_send(front.show)
    if stdin.isatty():
        stdout.write(
            "casebot chat: type as a Telegram user would (try /start); "
            f"a number presses a button; {AS_USAGE} plays another user "
            "(/as alone says who you are); Ctrl-D quits.\n"
        )
        stdout.flush()
    try:
        app = build_app(server.url, server.token)
        asyncio.run(_serve(app, server, front, stdin=stdin))
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
