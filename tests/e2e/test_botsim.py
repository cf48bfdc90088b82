"""Tests for botsim, the local Telegram Bot API server.

Raw HTTP goes through httpx; a real ``telegram.Bot`` (via ``asyncio.run``) proves that
python-telegram-bot parses the responses and maps the errors as it does with Telegram.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from botsim import BotApiServer, SentMessage
from botsim.text import parse_text

T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[BotApiServer]:
    """A started server, stopped after the test."""
    with BotApiServer() as started:
        yield started


@pytest.fixture
def api(server: BotApiServer) -> Iterator[httpx.Client]:
    """An httpx client rooted at ``/bot<token>``."""
    with httpx.Client(base_url=f"{server.url}/bot{server.token}", timeout=10) as client:
        yield client


def run_bot(
    server: BotApiServer,
    action: Callable[[Bot], Awaitable[T]],
    *,
    token: str | None = None,
    read_timeout: float = 5.0,
) -> T:
    """Run ``action`` with a real PTB Bot pointed at ``server``."""

    async def main() -> T:
        bot = Bot(
            token or server.token,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            request=HTTPXRequest(read_timeout=read_timeout),
        )
        async with bot:
            return await action(bot)

    return asyncio.run(main())


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(d[:10] or "x", callback_data=d)] for d in data]
    )


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# -- basics ----------------------------------------------------------------------------


def test_get_me_raw_and_through_ptb(server: BotApiServer, api: httpx.Client) -> None:
    body = api.post("/getMe").json()
    assert body["ok"] is True
    me = body["result"]
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "casebot_test_bot"
    for key in ("first_name", "can_join_groups", "can_read_all_group_messages"):
        assert key in me
    assert me["supports_inline_queries"] is False

    user = run_bot(server, lambda bot: bot.get_me())
    assert user.username == "casebot_test_bot"
    assert user.id == 123456


def test_method_names_are_case_insensitive_and_unknown_is_404(
    server: BotApiServer, api: httpx.Client
) -> None:
    assert api.get("/getme").json()["result"]["id"] == 123456
    response = api.post("/noSuchMethod")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [call.method for call in server.calls()] == ["getMe", "noSuchMethod"]
    assert server.calls("GETME")[0].status == 200


def test_wrong_token_is_401_and_invalid_token(server: BotApiServer) -> None:
    response = httpx.post(f"{server.url}/bot999:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        run_bot(server, lambda bot: bot.get_me(), token="999:wrong")


def test_json_body_is_accepted(server: BotApiServer, api: httpx.Client) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "url": "https://example.org"}]]}
    response = api.post("/sendMessage", json={"chat_id": 7, "text": "hi", "reply_markup": markup})
    assert response.json()["result"]["reply_markup"] == markup
    assert server.outbox(7)[0].buttons() == [("Go", None, "https://example.org")]


# -- updates ---------------------------------------------------------------------------


def test_long_poll_returns_an_update_injected_from_another_thread(
    server: BotApiServer, api: httpx.Client
) -> None:
    timer = threading.Timer(0.1, lambda: server.user_message("hello", user_id=5))
    timer.start()
    started = time.monotonic()
    updates = api.post("/getUpdates", data={"timeout": "5"}).json()["result"]
    timer.join()
    assert [update["message"]["text"] for update in updates] == ["hello"]
    assert time.monotonic() - started < 4.5  # woke up early, not at the timeout


def test_long_poll_times_out_with_an_empty_list(api: httpx.Client) -> None:
    assert api.post("/getUpdates", data={"timeout": "0.2"}).json() == {"ok": True, "result": []}


def test_offset_acknowledges_updates(server: BotApiServer, api: httpx.Client) -> None:
    first = server.user_message("one", user_id=5)
    second = server.user_message("two", user_id=5)
    assert second["update_id"] == first["update_id"] + 1
    updates = api.post("/getUpdates").json()["result"]
    assert [u["update_id"] for u in updates] == [first["update_id"], second["update_id"]]
    # not acknowledged yet: delivered again
    assert len(api.post("/getUpdates").json()["result"]) == 2
    offset = str(second["update_id"])
    assert [
        u["message"]["text"]
        for u in api.post("/getUpdates", data={"offset": offset}).json()["result"]
    ] == ["two"]
    assert (
        api.post("/getUpdates", data={"offset": str(second["update_id"] + 1)}).json()["result"]
        == []
    )
    assert server.pending_updates == 0


def test_user_message_parses_in_ptb_with_command_entity(server: BotApiServer) -> None:
    raw = server.user_message(
        "/case@casebot_test_bot 42", user_id=5, language_code="kk", username="aigul"
    )
    update = run_bot(server, lambda bot: _de_json(raw, bot))
    assert update.message is not None
    assert update.message.text == "/case@casebot_test_bot 42"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "kk"
    assert update.message.chat.type == "private"
    assert update.message.parse_entities(["bot_command"]).popitem()[1] == "/case@casebot_test_bot"
    assert update.message.message_id == 1


async def _de_json(data: dict[str, Any], bot: Bot) -> Update:
    return Update.de_json(data, bot)


def test_group_message_and_shared_message_ids(server: BotApiServer, api: httpx.Client) -> None:
    server.user_message(
        "/start", user_id=5, chat_id=-100777, chat_type="supergroup", chat_title="Team"
    )
    sent = api.post("/sendMessage", data={"chat_id": "-100777", "text": "hi"}).json()["result"]
    assert sent["message_id"] == 2
    assert sent["chat"] == {"id": -100777, "type": "supergroup", "title": "Team"}
    with pytest.raises(ValueError, match=r"(?i)negative chat_id"):
        server.user_message("x", user_id=5, chat_type="group")


def test_webhook_blocks_get_updates_until_deleted(server: BotApiServer, api: httpx.Client) -> None:
    assert api.post("/setWebhook", data={"url": "https://example.org/hook"}).json()["result"]
    assert api.post("/getWebhookInfo").json()["result"]["url"] == "https://example.org/hook"
    with pytest.raises(Conflict):
        run_bot(server, lambda bot: bot.get_updates())
    assert api.post("/deleteWebhook").json()["result"] is True
    assert run_bot(server, lambda bot: bot.get_updates()) == ()


# -- sending ---------------------------------------------------------------------------


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


# -- failures --------------------------------------------------------------------------


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


# -- a whole Application ---------------------------------------------------------------


def test_unmodified_application_polls_and_replies(server: BotApiServer) -> None:
    seen: list[SentMessage] = []
    server.on_send(seen.append)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "<b>Hello</b>", reply_markup=keyboard("follow:1"), do_quote=True
        )

    async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Following {query.data}")

    async def main() -> None:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(f"{server.url}/bot")
            .base_file_url(f"{server.url}/file/bot")
            .build()
        )
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(follow))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=5)
            server.user_message("/start", user_id=5)
            [reply] = await asyncio.to_thread(server.wait_for_messages, 5)
            assert reply.plain_text == "Hello"
            assert reply.reply_to_message_id == 1
            server.press_button(user_id=5, chat_id=5, message_id=reply.message_id, data="follow:1")
            for _ in range(100):
                if server.outbox(5)[0].edited:
                    break
                await asyncio.sleep(0.02)
            await app.updater.stop()
            await app.stop()

    asyncio.run(main())
    [message] = server.outbox(5)
    assert message.plain_text == "Following follow:1"
    assert message.buttons() == []
    assert [(m.plain_text, m.edited) for m in seen] == [("Hello", 0), ("Following follow:1", 1)]
    assert server.calls("answerCallbackQuery")[0].status == 200


def test_menu_buttons_and_web_app_buttons_need_https(
    server: BotApiServer, api: httpx.Client
) -> None:
    server.user_message("/start", user_id=77)
    web_app = {"type": "web_app", "text": "Edit", "web_app": {"url": "https://x.example/app/"}}
    answer = api.post("/setChatMenuButton", json={"chat_id": 77, "menu_button": web_app})
    assert answer.json()["ok"]
    assert server.menu_button(77) == web_app
    assert api.post("/getChatMenuButton", json={"chat_id": 77}).json()["result"] == web_app
    plain = {**web_app, "web_app": {"url": "http://x.example/app/"}}
    refused = api.post("/setChatMenuButton", json={"chat_id": 77, "menu_button": plain})
    assert refused.status_code == 400 and "HTTPS" in refused.json()["description"]
    api.post("/setChatMenuButton", json={"chat_id": 77, "menu_button": {"type": "default"}})
    assert server.menu_button(77) == {"type": "default"}
    unknown = api.post("/setChatMenuButton", json={"chat_id": 78, "menu_button": web_app})
    assert unknown.json()["description"] == "Bad Request: chat not found"
    for url, ok in (("http://x.example/app/", False), ("https://x.example/app/?case=1", True)):
        markup = {"inline_keyboard": [[{"text": "Edit", "web_app": {"url": url}}]]}
        sent = api.post("/sendMessage", json={"chat_id": 77, "text": "x", "reply_markup": markup})
        assert sent.json()["ok"] is ok
