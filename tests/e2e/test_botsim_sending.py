"""Tests for botsim's sending methods: messages and their HTML checked as Telegram checks
it, callback data, edits and deletes, button presses and callback answers, documents,
commands, descriptions, chats and members.

Raw HTTP goes through httpx; a real ``telegram.Bot`` (via ``asyncio.run``) proves that
python-telegram-bot parses the responses and maps the errors as it does with Telegram.
"""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest

from botsim import BotApiServer
from botsim.text import parse_text
from tests.e2e.botsim_support import keyboard, run_bot


def test_send_message_is_recorded_and_parsed_by_ptb(server: BotApiServer) -> None:
    message = run_bot(
        server,
        lambda bot: bot.send_message(
            5,
            "<b>Case</b> №42 &amp; <a href='https://example.org'>more</a>",
            parse_mode="HTML",
            reply_markup=keyboard("case:42"),
            disable_notification=True,
        ),
    )
    assert message.from_user is not None and message.from_user.is_bot
    assert message.text == "Case №42 & more"
    assert message.text_html.startswith("<b>Case</b>")
    assert message.reply_markup is not None

    [sent] = server.outbox(5)
    assert sent.text.startswith("<b>Case</b>")
    assert sent.plain_text == "Case №42 & more"
    assert sent.parse_mode == "HTML"
    assert sent.buttons() == [("case:42", "case:42", None)]
    assert sent.method == "sendMessage"
    assert sent.disable_notification
    call = server.calls("sendMessage")[0]
    assert call.params["chat_id"] == 5
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "case:42"
    assert server.stats.sent == 1


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("x" * 4097, "Bad Request: message is too long"),
        ("<b>" + "&lt;" * 4097 + "</b>", "Bad Request: message is too long"),
        ("", "Bad Request: message text is empty"),
        ("<b> </b>", "Bad Request: message text is empty"),
        ("<b>bold", "Bad Request: can't parse entities: Can't find end tag"),
        ("<blink>x</blink>", 'Bad Request: can\'t parse entities: Unsupported start tag "blink"'),
        ("<b>x</i>", "Bad Request: can't parse entities: Unmatched end tag"),
        ("1 < 2", "Bad Request: can't parse entities: Unsupported start tag"),
        ("<span>x</span>", 'Bad Request: can\'t parse entities: Tag "span" must have class'),
    ],
)
def test_html_validation(api: httpx.Client, text: str, description: str) -> None:
    response = api.post("/sendMessage", data={"chat_id": "5", "text": text, "parse_mode": "HTML"})
    assert response.status_code == 400
    assert response.json()["description"].startswith(description)


def test_html_within_limits_is_accepted(server: BotApiServer, api: httpx.Client) -> None:
    text = "<b>" + "&amp;" * 4000 + "</b>" + "<i>" + "x" * 96 + "</i>"
    assert api.post(
        "/sendMessage", data={"chat_id": "5", "text": text, "parse_mode": "HTML"}
    ).json()["ok"]
    supported = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>t</strike><del>d</del><a href="https://example.org">a</a><code>c</code>'
        '<pre><code class="language-python">p</code></pre><span class="tg-spoiler">h</span>'
        "<tg-spoiler>g</tg-spoiler><blockquote expandable>q</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &#8470; &#x41; &nbsp;'
    )
    result = api.post(
        "/sendMessage", data={"chat_id": "5", "text": supported, "parse_mode": "HTML"}
    ).json()
    assert result["ok"], result
    assert result["result"]["text"].endswith("№ A &nbsp;")
    pre = [e for e in result["result"]["entities"] if e["type"] == "pre"]
    assert pre[0]["language"] == "python"


def test_ptb_raises_bad_request_for_bad_html(server: BotApiServer) -> None:
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        run_bot(server, lambda bot: bot.send_message(5, "<b>oops", parse_mode="HTML"))
    with pytest.raises(BadRequest, match=r"(?i)html only"):
        run_bot(server, lambda bot: bot.send_message(5, "*v1.0*", parse_mode="MarkdownV2"))
    assert server.outbox() == []


def test_parse_text_counts_utf16_and_strips() -> None:
    plain, entities = parse_text("  <b>😀 hi</b>\n", "HTML")
    assert plain == "😀 hi"
    assert entities == [{"type": "bold", "offset": 0, "length": 5}]
    assert parse_text("  plain  ", None) == ("plain", [])


def test_callback_data_is_limited_to_64_bytes(server: BotApiServer) -> None:
    run_bot(server, lambda bot: bot.send_message(5, "ok", reply_markup=keyboard("x" * 64)))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        run_bot(server, lambda bot: bot.send_message(5, "no", reply_markup=keyboard("x" * 65)))
    with pytest.raises(
        BadRequest, match=r"(?i)BUTTON_DATA_INVALID"
    ):  # 33 Cyrillic letters = 66 bytes
        run_bot(server, lambda bot: bot.send_message(5, "no", reply_markup=keyboard("ж" * 33)))
    assert len(server.outbox(5)) == 1


def test_edit_message_text_and_not_modified(server: BotApiServer) -> None:
    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(5, "Pick", reply_markup=keyboard("a", "b"))
        edited = await bot.edit_message_text(
            "Picked <b>a</b>", 5, sent.message_id, parse_mode="HTML"
        )
        assert not isinstance(edited, bool) and edited.text == "Picked a"
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Picked <b>a</b>", 5, sent.message_id, parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", 5, 999)
        await bot.edit_message_reply_markup(5, sent.message_id, reply_markup=keyboard("c"))
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(5, sent.message_id, reply_markup=keyboard("c"))
        assert await bot.delete_message(5, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("gone", 5, sent.message_id)

    run_bot(server, scenario)
    [message] = server.outbox(5)
    assert message.plain_text == "Picked a"
    assert message.text == "Picked <b>a</b>"
    assert message.edited == 2
    assert message.buttons() == [("c", "c", None)]  # editMessageText without markup removed a, b
    assert message.deleted
    assert server.stats.edited == 2


def test_press_button_and_answer_callback_query(server: BotApiServer) -> None:
    run_bot(server, lambda bot: bot.send_message(5, "Pick", reply_markup=keyboard("yes", "no")))
    [message] = server.outbox(5)
    raw = server.press_button(user_id=5, chat_id=5, message_id=message.message_id, data="no")
    with pytest.raises(ValueError, match=r"(?i)no button"):
        server.press_button(user_id=5, chat_id=5, message_id=message.message_id, data="maybe")

    async def scenario(bot: Bot) -> None:
        [update] = await bot.get_updates()
        assert update.callback_query is not None
        assert update.callback_query.data == "no"
        assert update.callback_query.message is not None
        assert update.callback_query.message.message_id == message.message_id
        assert await update.callback_query.answer("Saved")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await update.callback_query.answer()

    assert raw["callback_query"]["from"]["id"] == 5
    run_bot(server, scenario)
    assert server.calls("answerCallbackQuery")[0].params["text"] == "Saved"


def test_send_document_multipart(server: BotApiServer) -> None:
    payload = bytes(range(256)) * 40 + b"\r\n--boundary--\r\n"

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_document(
            5, payload, filename="дело-42.pdf", caption="<i>Case file</i>", parse_mode="HTML"
        )
        assert sent.document is not None
        assert sent.document.file_size == len(payload)
        assert sent.caption == "Case file"
        again = await bot.send_document(5, sent.document.file_id)
        assert again.document is not None and again.document.file_id == sent.document.file_id
        downloaded = await (await sent.document.get_file()).download_as_bytearray()
        assert bytes(downloaded) == payload

    run_bot(server, scenario)
    first, second = server.outbox(5)
    assert first.document is not None and second.document is not None
    assert first.document.content == payload
    assert first.document.filename == "дело-42.pdf"
    assert first.document.mime_type == "application/pdf"
    assert first.text == "<i>Case file</i>"
    assert first.method == "sendDocument"
    assert second.document.content == payload
    assert "document" in server.calls("sendDocument")[0].files


def test_set_my_commands_per_language_and_scope(server: BotApiServer) -> None:
    async def scenario(bot: Bot) -> tuple[BotCommand, ...]:
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("case", "Case")])
        await bot.set_my_commands([BotCommand("start", "Бастау")], language_code="kk")
        await bot.set_my_commands(
            [BotCommand("admin", "Admin")], scope=BotCommandScopeChat(-100777)
        )
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("Start", "bad")])
        return await bot.get_my_commands(language_code="kk")

    fetched = run_bot(server, scenario)
    assert [c.description for c in fetched] == ["Бастау"]
    assert server.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "case", "description": "Case"},
    ]
    assert server.commands("kk") == [{"command": "start", "description": "Бастау"}]
    assert server.commands("ru") is None
    assert server.commands(scope="chat:-100777") == [{"command": "admin", "description": "Admin"}]
    run_bot(server, lambda bot: bot.delete_my_commands(language_code="kk"))
    assert server.commands("kk") is None


def test_descriptions_chat_and_members(server: BotApiServer) -> None:
    server.user_message(
        "/start", user_id=5, chat_id=-42, chat_type="group", chat_title="Supporters"
    )
    server.set_admins(-42, [5, 6], owner=6)

    async def scenario(bot: Bot) -> None:
        assert await bot.set_my_description("Follows cases", language_code="en")
        assert await bot.set_my_short_description("Cases")
        chat = await bot.get_chat(-42)
        assert chat.title == "Supporters"
        assert (await bot.get_chat_member(-42, 5)).status == "administrator"
        assert (await bot.get_chat_member(-42, 6)).status == "creator"
        assert (await bot.get_chat_member(-42, 7)).status == "member"
        assert (await bot.get_chat_member(5, 5)).status == "member"
        admins = await bot.get_chat_administrators(-42)
        assert [a.user.id for a in admins] == [6, 5]
        assert await bot.send_chat_action(-42, "typing")

    run_bot(server, scenario)
    assert server.description("en") == "Follows cases"
    assert server.short_description() == "Cases"
