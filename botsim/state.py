"""The simulated Telegram of :mod:`botsim`: chats, users, messages, updates and settings.

One :class:`TelegramState` holds what the parts of a
:class:`~botsim.server.BotApiServer` share: the Bot API methods change it, the test
driver adds users' messages to it and reads what the bot did, fault injection counts
in its :class:`~botsim.objects.Stats`. It is guarded by one re-entrant lock and a
condition on that lock (:attr:`TelegramState.cond`), notified whenever an update is
queued, a message is sent, edited or deleted, or the server stops, so that long polls
and ``wait_for_messages`` wake up. Methods that say so expect the caller to hold the
lock.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from botsim.objects import ApiCall, SentDocument, SentMessage, Stats

__all__ = ["BotProfile", "TelegramState"]

JSONDict = dict[str, Any]

_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class BotProfile(Protocol):
    """Who the bot is. Read whenever needed, so a change shows in the next answer."""

    bot_id: int
    username: str
    first_name: str


class TelegramState:
    """Everything the simulated Telegram knows, behind :attr:`lock`.

    Attributes are shared by the server's parts; read or change them only while
    holding :attr:`lock` (or :attr:`cond`, the same lock), and notify :attr:`cond`
    after a change a waiter may be waiting for.
    """

    def __init__(self, bot: BotProfile) -> None:
        self.bot = bot
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.stopping = False

        self.updates: list[JSONDict] = []
        self.update_ids = itertools.count(1)
        self.poll_generation = 0
        self.allowed_updates: list[str] | None = None
        self.webhook: JSONDict | None = None

        self.chats: dict[int, JSONDict] = {}
        self.users: dict[int, JSONDict] = {}
        self.next_message_id: dict[int, int] = {}
        self.user_messages: dict[tuple[int, int], JSONDict] = {}
        self.bot_messages: dict[tuple[int, int], SentMessage] = {}
        self.outbox: list[SentMessage] = []
        self.files: dict[str, SentDocument] = {}
        self.file_paths: dict[str, SentDocument] = {}
        self.file_ids = itertools.count(1)
        self.query_ids = itertools.count(1)
        self.callback_queries: dict[str, bool] = {}
        self.inline_queries: dict[str, JSONDict] = {}
        self.inline_answers: dict[str, list[JSONDict]] = {}
        self.inline_messages: dict[str, SentMessage] = {}

        self.calls: list[ApiCall] = []
        self.stats = Stats()
        self.star_balance_nano = 0
        """The bot's Stars balance in nanostars (10⁹ a Star); paid broadcasts spend it."""
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int, JSONDict] = {}  # chat id (0: the default) → MenuButton
        self.admins: dict[int, list[int]] = {}
        self.owners: dict[int, int] = {}
        self.callbacks: list[Callable[[SentMessage], None]] = []

    def stop(self) -> None:
        """Mark the server as stopping and wake every waiter (long polls answer at once)."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def record_call(self, call: ApiCall, sent: list[SentMessage]) -> None:
        """Log a finished API call, then pass what it sent or edited to the on_send callbacks.

        The callbacks run in the calling thread, without the lock; one that raises is
        reported and the others still run.
        """
        with self.lock:
            self.calls.append(call)
            callbacks = list(self.callbacks)
        for message in sent:
            for callback in callbacks:
                try:
                    callback(message.snapshot())
                except Exception:
                    traceback.print_exc()

    # -- helpers for callers holding the lock ---------------------------------------

    def queue_update(self, payload: JSONDict) -> JSONDict:
        """Queue an update (``payload`` plus a new ``update_id``); returns a copy (lock held)."""
        update = {"update_id": next(self.update_ids), **payload}
        self.updates.append(update)
        self.cond.notify_all()
        return copy.deepcopy(update)

    def is_allowed(self, update: JSONDict) -> bool:
        """Whether getUpdates delivers ``update`` under the current allowed_updates."""
        kind = next((key for key in update if key != "update_id"), "")
        if self.allowed_updates is None:
            return kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED
        return kind in self.allowed_updates

    def new_message_id(self, chat_id: int) -> int:
        """The next message id in ``chat_id`` (user's and bot's messages share them)."""
        message_id = self.next_message_id.get(chat_id, 1)
        self.next_message_id[chat_id] = message_id + 1
        return message_id

    def bot_user(self, *, full: bool = False) -> JSONDict:
        """The bot as a ``User`` (``full``: with the fields only getMe returns)."""
        user: JSONDict = {
            "id": self.bot.bot_id,
            "is_bot": True,
            "first_name": self.bot.first_name,
            "username": self.bot.username,
        }
        if full:
            user.update(
                can_join_groups=True,
                can_read_all_group_messages=True,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return user

    def user(self, user_id: int) -> JSONDict:
        """The ``User`` with ``user_id``: the bot, a user seen before, or a made-up one."""
        if user_id == self.bot.bot_id:
            return self.bot_user()
        known = self.users.get(user_id)
        if known is not None:
            return dict(known)
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def chat(self, chat_id: int) -> JSONDict:
        """The ``Chat`` with ``chat_id``, made up (private, group or supergroup) if new."""
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                user = self.user(chat_id)
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": f"Test {kind} {chat_id}"}
            self.chats[chat_id] = chat
        return chat

    def message_by_id(self, chat_id: int, message_id: int) -> JSONDict | None:
        """A message in ``chat_id`` (the bot's or a user's) as a ``Message``, or None."""
        sent = self.bot_messages.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            return self.message_dict(sent, nested=False)
        received = self.user_messages.get((chat_id, message_id))
        if received is not None:
            result = copy.deepcopy(received)
            result.pop("reply_to_message", None)
            return result
        return None

    def message_dict(self, message: SentMessage, *, nested: bool = True) -> JSONDict:
        """A message the bot sent as a ``Message`` (``nested``: with the one it replies to)."""
        result: JSONDict = {
            "message_id": message.message_id,
            "from": self.bot_user(),
            "chat": dict(self.chat(message.chat_id)),
            "date": message.date,
        }
        if message.document is not None and message.method == "sendPhoto":
            result["photo"] = [photo_size(message.document)]
        if message.document is not None:
            if message.method != "sendPhoto":
                result["document"] = message.document.to_dict()
            if message.plain_text:
                result["caption"] = message.plain_text
                if message.entities:
                    result["caption_entities"] = copy.deepcopy(message.entities)
        else:
            result["text"] = message.plain_text
            if message.entities:
                result["entities"] = copy.deepcopy(message.entities)
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        markup = message.reply_markup or {}
        if markup.get("inline_keyboard"):
            result["reply_markup"] = copy.deepcopy(markup)
        if nested and message.reply_to_message_id is not None:
            target = self.message_by_id(message.chat_id, message.reply_to_message_id)
            if target is not None:
                result["reply_to_message"] = target
        return result

    def record_sent(self, message: SentMessage) -> JSONDict:
        """Add a message the bot just sent to the outbox; returns it as a ``Message``."""
        self.outbox.append(message)
        self.bot_messages[(message.chat_id, message.message_id)] = message
        self.stats.sent += 1
        self.cond.notify_all()
        return self.message_dict(message)

    def record_edit(self, message: SentMessage) -> JSONDict:
        """Count a successful edit of ``message``; returns it as a ``Message``."""
        message.edited += 1
        message.edit_date = int(time.time())
        self.stats.edited += 1
        self.cond.notify_all()
        return self.message_dict(message)


def photo_size(photo: SentDocument) -> JSONDict:
    """A ``PhotoSize`` of a sent picture (its size read from a PNG header, else 0 x 0)."""
    data = photo.content
    width = height = 0
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return {
        "file_id": photo.file_id,
        "file_unique_id": photo.file_unique_id,
        "width": width,
        "height": height,
        "file_size": photo.size,
    }
