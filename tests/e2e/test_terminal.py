"""The terminal chat: its rendering of Telegram HTML, `/as` (playing several users in
one terminal), messages to other chats, documents saved to files, and the whole
organizer → subscriber loop of `casebot chat` through a pipe."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from botsim.objects import SentDocument, SentMessage
from botsim.terminal import (
    SwitchUser,
    TerminalFrontEnd,
    html_to_text,
    parse_as_command,
    safe_file_name,
)
from tests.e2e.test_cli import casebot_command, clean_env, read_until

ADMIN = 900
SUPPORTER = 2002


def test_links_keep_their_address_and_entities_are_unescaped() -> None:
    html = (
        'x (<a href="https://a.b/c?d=1&amp;e=2">Fergana</a>) <b>y</b> &lt;z&gt; <i>(in English)</i>'
    )
    assert html_to_text(html) == "x (Fergana [https://a.b/c?d=1&e=2]) y <z> (in English)"


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("/as", SwitchUser(None)),
        ("/as 2002", SwitchUser(2002)),
        ("  /as   2002   RU ", SwitchUser(2002, "ru")),
        ("/as 900 kk", SwitchUser(900, "kk")),
        ("/as 5 pt-BR", SwitchUser(5, "pt-br")),
        ("/ask 2002", None),
        ("/start", None),
        ("as 2002", None),
    ],
)
def test_as_lines_are_parsed(line: str, parsed: SwitchUser | None) -> None:
    assert parse_as_command(line) == parsed


@pytest.mark.parametrize("line", ["/as abc", "/as 0", "/as -5", "/as 2002 r!", "/as 1 en x"])
def test_bad_as_lines_give_the_usage(line: str) -> None:
    with pytest.raises(ValueError, match=r"usage: /as ID \[kk\|ru\|en\]"):
        parse_as_command(line)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("murager-alimuly-hearings.ics", "murager-alimuly-hearings.ics"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "document"),
        (".hidden.ics", "hidden.ics"),
        ("a b;rm -rf~.ics", "a_b_rm_-rf_.ics"),
        ("сауытбай.ics", "сауытбай.ics"),
        ("", "document"),
        ("x" * 300 + ".ics", "x" * 116 + ".ics"),
    ],
)
def test_document_names_become_safe_file_names(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def message(
    chat_id: int,
    text: str,
    *,
    message_id: int = 1,
    buttons: list[str] | None = None,
    document: SentDocument | None = None,
    edited: int = 0,
) -> SentMessage:
    """A message as the server reports it to the terminal."""
    markup: dict[str, Any] | None = None
    if buttons:
        markup = {"inline_keyboard": [[{"text": b, "callback_data": f"cb:{b}"} for b in buttons]]}
    return SentMessage(
        message_id=message_id,
        chat_id=chat_id,
        text=text,
        parse_mode="HTML",
        reply_markup=markup,
        document=document,
        edited=edited,
        date=0,
        method="sendDocument" if document else "sendMessage",
    )


def front_end(**options: Any) -> tuple[TerminalFrontEnd, io.StringIO]:
    out = io.StringIO()
    settings: dict[str, Any] = {"user_id": ADMIN, "language_code": "en", "admins": {ADMIN}}
    return TerminalFrontEnd(out, **{**settings, **options}), out


def test_messages_to_other_chats_are_marked_and_their_buttons_wait_for_as() -> None:
    front, out = front_end()
    front.show(message(ADMIN, "<b>Preview</b>\nsecond line", buttons=["Send", "Cancel"]))
    front.show(message(SUPPORTER, "⚠️ alert\nfrom → to", message_id=7, buttons=["Card"]))
    assert out.getvalue().splitlines() == [
        "bot> Preview",
        "     second line",
        "     [1] Send  [2] Cancel",
        "bot to 2002> ⚠️ alert",
        "             from → to",
        "             [Card]  (/as 2002 to press them)",
    ]
    assert front.button(1) == (1, "cb:Send", None)
    assert front.button(3) is None
    front.switch(SUPPORTER, "ru")
    assert out.getvalue().splitlines()[-2:] == [
        "     (you are now user 2002, Telegram language ru; what you type comes from their "
        "private chat)",
        "     [1] Card",
    ]
    assert (front.user_id, front.language_code, front.prompt) == (SUPPORTER, "ru", "[2002] > ")
    assert front.button(1) == (7, "cb:Card", None)  # the alert's button, pressed as 2002
    front.switch(ADMIN, None)
    assert "(an organizer: CASEBOT_ADMINS), Telegram language en" in out.getvalue()
    front.show(message(ADMIN, "Sent.", edited=1))  # the preview, its buttons edited away
    assert out.getvalue().splitlines()[-1] == "bot (edited)> Sent."
    assert front.button(1) is None


def test_as_alone_says_who_you_are_and_how_to_switch() -> None:
    front, _out = front_end(user_id=1001)
    assert front.whoami() == (
        "you are user 1001, Telegram language en, in your private chat with the bot; "
        "/as ID [kk|ru|en] switches user, e.g. /as 900 to act as an organizer"
    )
    lonely, _out = front_end(user_id=1001, admins=())
    assert "start with CASEBOT_ADMINS=ID to make user ID an organizer" in lonely.whoami()


def test_the_prompt_says_who_you_are_and_stays_below_what_arrives() -> None:
    front, out = front_end(interactive=True)
    front.waiting_for_input()
    front.show(message(SUPPORTER, "alert"))
    assert out.getvalue() == "[900] > \r\x1b[Kbot to 2002> alert\n[900] > "
    front.got_input()
    front.switch(SUPPORTER, None)
    front.waiting_for_input()
    assert out.getvalue().endswith("private chat)\n[2002] > ")


def test_documents_are_saved_under_new_safe_names_and_their_paths_printed(
    tmp_path: Path,
) -> None:
    files = tmp_path / "data" / "chat-files"
    front, out = front_end(files_dir=files)
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    document = SentDocument("../x/case-hearings.ics", ics, "text/calendar", "id1", "u1")
    front.show(message(ADMIN, "1 upcoming hearing", message_id=3, document=document))
    front.show(message(ADMIN, "1 upcoming hearing", message_id=3, document=document, edited=1))
    front.show(message(SUPPORTER, "1 upcoming hearing", message_id=4, document=document))
    paths = re.findall(r"saved as (.+)$", out.getvalue(), re.MULTILINE)
    assert paths == [
        str(files / "case-hearings.ics"),
        str(files / "case-hearings.ics"),  # an edited caption is not saved again
        str(files / "case-hearings-2.ics"),  # never over another file
    ]
    assert sorted(path.name for path in files.iterdir()) == [
        "case-hearings-2.ics",
        "case-hearings.ics",
    ]
    assert (files / "case-hearings.ics").read_bytes() == ics
    assert f"[file: ../x/case-hearings.ics, {len(ics)} bytes] saved as" in out.getvalue()


def test_documents_are_described_when_there_is_nowhere_to_save_them() -> None:
    front, out = front_end()
    document = SentDocument("a.ics", b"x", "text/calendar", "id1", "u1")
    front.show(message(ADMIN, "caption", document=document))
    assert out.getvalue().splitlines() == ["bot> caption", "     [file: a.ics, 1 byte]"]


# -- `casebot chat` through a pipe, as the README shows it ------------------------------


def start_chat(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`CASEBOT_ADMINS=900 casebot chat --demo ARGS` with its input and output piped."""
    return subprocess.Popen(
        [*casebot_command(), "chat", "--demo", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, CASEBOT_ADMINS=str(ADMIN)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def type_lines(process: subprocess.Popen[str], *lines: str) -> None:
    assert process.stdin is not None
    process.stdin.write("".join(f"{line}\n" for line in lines))
    process.stdin.flush()


def screen_until(process: subprocess.Popen[str], marker: str) -> str:
    assert process.stdout is not None
    return "".join(read_until(process.stdout, marker))


def press(process: subprocess.Popen[str], screen: str, label: str) -> None:
    """Type the number of the button called `label` on the last buttons shown."""
    [number] = re.findall(rf"\[(\d+)\] {label}\b", screen)[-1:]
    type_lines(process, number)


def finish(process: subprocess.Popen[str]) -> None:
    try:
        _output, errors = process.communicate("", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors


@pytest.mark.slow
def test_one_terminal_plays_the_organizer_and_sees_the_subscriber_alerted(
    tmp_path: Path,
) -> None:
    process = start_chat(tmp_path, "--user", str(ADMIN))
    try:
        type_lines(process, "/as", "/as 2002 ru", "/subscribe Alimuly")
        who = screen_until(process, "you are user 900")
        assert "(an organizer: CASEBOT_ADMINS)" in who and "/as 2002" in who
        assert "you are now user 2002, Telegram language ru" in screen_until(process, "now user")
        confirmation = screen_until(process, "[1]")
        assert confirmation.startswith("bot> ") and "/unsubscribe" in confirmation

        type_lines(process, "/as 900", "/setstatus Alimuly deportation_ordered Court ruled")
        assert "(an organizer: CASEBOT_ADMINS)" in screen_until(process, "now user 900")
        preview = screen_until(process, "] Send")
        assert preview.startswith("bot> ") and "Court ruled" in preview
        press(process, preview, "Send")
        screen = screen_until(process, "bot to 2002>")
        alert = screen[screen.index("bot to 2002>") :] + screen_until(process, "to press them")
        assert "⚠️" in alert and "Мурагер Алимулы" in alert and "Court ruled" in alert
        assert alert.rstrip().endswith("(/as 2002 to press them)")

        type_lines(process, "/as 2002")
        screen_until(process, "now user 2002")
        alert_buttons = screen_until(process, "[1]")
        assert alert_buttons.startswith("     [1] ")
        type_lines(process, "1")  # the alert's first button, as the subscriber: the card
        card = screen_until(process, "[1]")
        assert card.startswith("bot> Мурагер Алимулы") and "⚠️" in card
    finally:
        finish(process)


@pytest.mark.slow
def test_calendar_is_saved_to_a_file_whose_path_is_printed(tmp_path: Path) -> None:
    process = start_chat(tmp_path, "--user", str(ADMIN))
    try:
        type_lines(process, "/sethearing Alimuly 2090-05-10 10:00 Zaysan court, Zaysan")
        press(process, screen_until(process, "] Send"), "Send")
        screen_until(process, "bot (edited)>")  # Sent: the hearing is stored
        type_lines(process, "/calendar Alimuly")
        screen = screen_until(process, "saved as")
    finally:
        finish(process)
    [line] = [line for line in screen.splitlines() if "saved as" in line]
    assert "[file: murager-alimuly-hearings.ics, " in line
    path = Path(line.split("saved as ", 1)[1])
    assert path == tmp_path / "data" / "chat-files" / "murager-alimuly-hearings.ics"
    calendar = path.read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR") and "20900510" in calendar
