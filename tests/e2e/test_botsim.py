"""Tests for botsim, the local Telegram Bot API server: getMe, tokens and method names,
updates (long polling, offsets, group chats, webhooks), a whole unmodified Application,
and menu and web-app buttons. Sending is in test_botsim_sending, injected failures and
rate limits in test_botsim_failures.

Raw HTTP goes through httpx; a real ``telegram.Bot`` (via ``asyncio.run``) proves that
python-telegram-bot parses the responses and maps the errors as it does with Telegram.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from botsim import BotApiServer, SentMessage
from tests.e2e.botsim_support import keyboard, run_bot

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
