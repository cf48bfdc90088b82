"""The test driver of :mod:`botsim`: what tests do as Telegram's users, and what they inspect.

:class:`Driver` is the part of a :class:`~botsim.server.BotApiServer` that queues
what users do (:meth:`Driver.user_message`, :meth:`Driver.channel_post`,
:meth:`Driver.press_button`) and shows what the bot did (:meth:`Driver.outbox`,
:meth:`Driver.wait_for_messages`, :meth:`Driver.calls`, :meth:`Driver.commands`,
:attr:`Driver.stats`…), all on the shared :class:`~botsim.state.TelegramState` and
under its lock.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from botsim import inline
from botsim.objects import (
    MAX_TEXT_LENGTH,
    ApiCall,
    SentMessage,
    Stats,
)
from botsim.state import TelegramState
from botsim.text import bot_command_entities, utf16_len

__all__ = ["Driver"]

JSONDict = dict[str, Any]


def _check_user_message(text: str, user_id: int, chat_id: int | None, chat_type: str) -> int:
    """Refuse what a Telegram user cannot send; returns the chat id the message goes to."""
    if chat_type not in ("private", "group", "supergroup"):
        raise ValueError(f"chat_type must be private, group or supergroup: {chat_type!r}")
    if not text or not text.strip():
        raise ValueError("Telegram users cannot send an empty message")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise ValueError("Telegram users cannot send more than 4096 characters")
    if chat_type == "private":
        if chat_id is None:
            chat_id = user_id
        if chat_id != user_id:
            raise ValueError("in a private chat, chat_id must equal user_id")
    elif chat_id is None or chat_id >= 0:
        raise ValueError(f"a {chat_type} needs a negative chat_id")
    return chat_id


class Driver:
    """Users' actions and inspection of what the bot did. Every method is thread-safe."""

    def __init__(self, state: TelegramState) -> None:
        self._state = state

    # -- users' actions --------------------------------------------------------------

    def user_message(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Queue a ``message`` update as if a user sent ``text``; returns the Update.

        ``chat_id`` defaults to ``user_id`` in private chats and is required (negative)
        for ``group``/``supergroup``. Commands get ``bot_command`` entities as Telegram
        makes them. ``reply_to_message_id`` makes it a reply to a message in the chat.
        """
        chat_id = _check_user_message(text, user_id, chat_id, chat_type)
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        state = self._state
        with state.cond:
            state.users[user_id] = user
            if chat_type == "private":
                chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
                if username is not None:
                    chat["username"] = username
            else:
                old_title = state.chats.get(chat_id, {}).get("title")
                title = chat_title or old_title or f"Test {chat_type} {chat_id}"
                chat = {"id": chat_id, "type": chat_type, "title": title}
            message = self._incoming(chat, "from", dict(user), text)
            if reply_to_message_id is not None:
                target = state.message_by_id(chat_id, reply_to_message_id)
                if target is None:
                    raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
                message["reply_to_message"] = target
            return self._deliver("message", message)

    def channel_post(self, text: str, *, chat_id: int, chat_title: str | None = None) -> JSONDict:
        """Queue a ``channel_post`` update: an admin posted ``text`` in a channel the bot
        administers (channel posts carry no ``from``; only admins can post)."""
        if not text or not text.strip():
            raise ValueError("a channel post cannot be empty")
        if chat_id >= 0:
            raise ValueError("a channel needs a negative chat_id")
        with self._state.cond:
            title = chat_title or self._state.chats.get(chat_id, {}).get("title") or "Test channel"
            chat: JSONDict = {"id": chat_id, "type": "channel", "title": title}
            post = self._incoming(chat, "sender_chat", dict(chat), text)
            return self._deliver("channel_post", post)

    def _incoming(self, chat: JSONDict, sender_key: str, sender: JSONDict, text: str) -> JSONDict:
        """Make ``chat`` known and a new message in it from ``sender`` (lock held)."""
        self._state.chats[chat["id"]] = chat
        message: JSONDict = {
            "message_id": self._state.new_message_id(chat["id"]),
            sender_key: sender,
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        entities = bot_command_entities(text)
        if entities:
            message["entities"] = entities
        return message

    def _deliver(self, kind: str, message: JSONDict) -> JSONDict:
        """Keep a user's ``message`` and queue it as an update of ``kind`` (lock held)."""
        self._state.user_messages[(message["chat"]["id"], message["message_id"])] = message
        return self._state.queue_update({kind: message})

    def press_button(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        language_code: str | None = "en",
        check: bool = True,
    ) -> JSONDict:
        """Queue a ``callback_query`` update for a button on a message the bot sent.

        With ``check`` (the default) the message must currently show an inline button
        with this ``callback_data``, as in Telegram; ``check=False`` allows forged data.
        """
        state = self._state
        with state.cond:
            message = state.bot_messages.get((chat_id, message_id))
            if message is None or message.deleted:
                raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
            if check and data not in [button[1] for button in message.buttons()]:
                raise ValueError(
                    f"message {message_id} in chat {chat_id} has no button with "
                    f"callback_data {data!r}; its buttons: {message.buttons()}"
                )
            chat = state.chats[chat_id]
            if chat["type"] == "private" and user_id != chat_id:
                raise ValueError("in a private chat, only its user can press buttons")
            user = dict(state.users.get(user_id) or state.user(user_id))
            user.pop("language_code", None)
            if language_code is not None:
                user["language_code"] = language_code
            query_id = str(4_000_000_000_000 + next(state.query_ids))
            state.callback_queries[query_id] = False
            query: JSONDict = {
                "id": query_id,
                "from": user,
                "message": state.message_dict(message),
                "chat_instance": str(abs(chat_id) * 7919 + 1_000_000_007),
                "data": data,
            }
            return state.queue_update({"callback_query": query})

    def inline_query(
        self,
        query: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        chat_type: str = "private",
    ) -> str:
        """Queue an ``inline_query`` (the user typed ``@bot query``); returns its id."""
        with self._state.cond:
            return inline.queue_inline_query(
                self._state,
                query,
                user_id=user_id,
                language_code=language_code,
                chat_type=chat_type,
            )

    def wait_for_inline_answer(self, query_id: str, timeout: float = 10.0) -> list[JSONDict]:
        """The results the bot answered an inline query with (waiting for them)."""
        deadline = time.monotonic() + timeout
        with self._state.cond:
            while query_id not in self._state.inline_answers:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"inline query {query_id} was not answered")
                self._state.cond.wait(left)
            return copy.deepcopy(self._state.inline_answers[query_id])

    def choose_inline_result(self, query_id: str, result_id: str, *, chat_id: int) -> str | None:
        """Send the chosen result in ``chat_id``; its ``inline_message_id`` (None without
        buttons). The message is then at :meth:`inline_message`."""
        with self._state.cond:
            message = inline.choose_result(self._state, query_id, result_id, chat_id)
            found = [key for key, value in self._state.inline_messages.items() if value is message]
            return found[0] if found else None

    def inline_message(self, inline_message_id: str) -> SentMessage:
        """A message sent via the bot, as it stands now (after any edits)."""
        with self._state.lock:
            return self._state.inline_messages[inline_message_id].snapshot()

    def press_inline_button(
        self,
        inline_message_id: str,
        data: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
    ) -> JSONDict:
        """Queue the ``callback_query`` of a button on a message sent via the bot."""
        with self._state.cond:
            return inline.queue_inline_press(
                self._state,
                inline_message_id=inline_message_id,
                data=data,
                user_id=user_id,
                language_code=language_code,
            )

    # -- what the bot did ------------------------------------------------------------

    def outbox(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (to ``chat_id``, or to anyone), in order, as they are now.

        Returned objects are snapshots; call again to see later edits.
        """
        with self._state.lock:
            return [
                message.snapshot()
                for message in self._state.outbox
                if chat_id is None or message.chat_id == chat_id
            ]

    def wait_for_messages(
        self, chat_id: int, count: int = 1, *, timeout: float = 10.0, since: int = 0
    ) -> list[SentMessage]:
        """Block until ``outbox(chat_id)`` has at least ``count`` messages after ``since``.

        Returns ``outbox(chat_id)[since:]``. Raises :class:`TimeoutError` describing
        what was sent (and which calls failed) when they do not arrive in time.
        """
        deadline = time.monotonic() + timeout
        with self._state.cond:
            while True:
                messages = [m for m in self._state.outbox if m.chat_id == chat_id]
                if len(messages) - since >= count:
                    return [message.snapshot() for message in messages[since:]]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        self._describe_wait(chat_id, count, since, messages, timeout)
                    )
                self._state.cond.wait(remaining)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every API call received so far (optionally only ``method``, any case), in order."""
        with self._state.lock:
            if method is None:
                return list(self._state.calls)
            wanted = method.lower()
            return [call for call in self._state.calls if call.method.lower() == wanted]

    def commands(
        self, language_code: str | None = None, scope: str = "default"
    ) -> list[JSONDict] | None:
        """The command list set for ``scope`` and ``language_code``, or None if unset.

        ``scope`` is the BotCommandScope type, with ids for chat scopes:
        ``"default"``, ``"all_private_chats"``, ``"chat:<chat_id>"``,
        ``"chat_member:<chat_id>:<user_id>"`` and so on.
        """
        with self._state.lock:
            stored = self._state.commands.get((scope, language_code or ""))
            return copy.deepcopy(stored) if stored is not None else None

    def menu_button(self, chat_id: int | None = None) -> JSONDict:
        """The menu button set with setChatMenuButton for ``chat_id`` (None: the default),
        ``{"type": "default"}`` when none is set."""
        with self._state.lock:
            found = self._state.menu_buttons.get(chat_id or 0)
            return copy.deepcopy(found) if found else {"type": "default"}

    def description(self, language_code: str | None = None) -> str | None:
        """The description set with setMyDescription for ``language_code``, or None."""
        with self._state.lock:
            return self._state.descriptions.get(("description", language_code or ""))

    def short_description(self, language_code: str | None = None) -> str | None:
        """The short description set with setMyShortDescription, or None."""
        with self._state.lock:
            return self._state.descriptions.get(("short_description", language_code or ""))

    @property
    def webhook(self) -> JSONDict | None:
        """The parameters of the last setWebhook call, or None when no webhook is set."""
        with self._state.lock:
            webhook = self._state.webhook
            return dict(webhook) if webhook is not None else None

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters (sent, edited, rate_limited, failed_injected, blocked)."""
        with self._state.lock:
            return dataclasses.replace(self._state.stats)

    @property
    def pending_updates(self) -> int:
        """How many updates wait to be fetched (and acknowledged) with getUpdates."""
        with self._state.lock:
            return len(self._state.updates)

    def set_admins(self, chat_id: int, user_ids: list[int], *, owner: int | None = None) -> None:
        """Make ``user_ids`` the administrators of ``chat_id`` (and ``owner`` its creator)."""
        with self._state.lock:
            self._state.admins[chat_id] = list(user_ids)
            if owner is None:
                self._state.owners.pop(chat_id, None)
            else:
                self._state.owners[chat_id] = owner

    def on_send(self, callback: Callable[[SentMessage], None]) -> None:
        """Call ``callback`` (from a server thread) with each message sent or edited."""
        with self._state.lock:
            self._state.callbacks.append(callback)

    def _describe_wait(
        self, chat_id: int, count: int, since: int, messages: list[SentMessage], timeout: float
    ) -> str:
        """Why wait_for_messages timed out: what was sent and failed, what is pending."""
        state = self._state
        lines = [
            f"waited {timeout}s for {count} message(s) to chat {chat_id} after index {since}; "
            f"{max(len(messages) - since, 0)} arrived."
        ]
        if messages:
            lines.append(f"Messages to chat {chat_id}:")
            for index, message in enumerate(messages):
                flags = " (deleted)" if message.deleted else ""
                shown = message.text if len(message.text) <= 200 else message.text[:200] + "…"
                if message.document is not None:
                    shown = f"[document {message.document.filename}] {shown}"
                lines.append(
                    f"  [{index}] #{message.message_id} {message.method}{flags}: {shown!r}"
                    + (f" buttons={message.buttons()}" if message.buttons() else "")
                )
        failed = [
            call
            for call in state.calls
            if call.status != 200 and str(call.params.get("chat_id")) == str(chat_id)
        ]
        if failed:
            lines.append(f"Failed calls for chat {chat_id}:")
            lines.extend(
                f"  {call.method} -> {call.status} {call.response.get('description')}"
                for call in failed[-10:]
            )
        others: dict[int, int] = {}
        for message in state.outbox:
            if message.chat_id != chat_id:
                others[message.chat_id] = others.get(message.chat_id, 0) + 1
        if others:
            lines.append(f"Messages to other chats: {others}")
        if state.updates:
            lines.append(
                f"{len(state.updates)} update(s) not yet acknowledged through getUpdates "
                "(is the bot polling?)"
            )
        return "\n".join(lines)
