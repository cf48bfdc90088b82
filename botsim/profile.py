"""The Bot API methods about the bot itself and its chats: commands, descriptions,
name and menu buttons; getChat and its members. :class:`botsim.methods.BotApiMethods`
adds their table to its own.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from botsim.objects import ApiError, check_web_app
from botsim.params import int_param, opt_int, opt_list, opt_str
from botsim.state import TelegramState
from botsim.wire import Request

__all__ = ["ProfileMethods", "chat_for"]

JSONDict = dict[str, Any]
Handler = Callable[[Request], Any]

_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


def chat_for(state: TelegramState, params: JSONDict) -> JSONDict:
    """The chat `params` names by id or @username (call with the lock held)."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(value, str) and value.startswith("@"):
        for chat in state.chats.values():
            if chat.get("username", "").lower() == value[1:].lower():
                return chat
        raise ApiError(400, "Bad Request: chat not found")
    try:
        chat_id = int_param(params, "chat_id")
    except ApiError:
        raise ApiError(400, "Bad Request: chat not found") from None
    if chat_id == 0:
        raise ApiError(400, "Bad Request: chat not found")
    return state.chat(chat_id)


class ProfileMethods:
    """The bot's profile and chat methods over one :class:`~botsim.state.TelegramState`."""

    def __init__(self, state: TelegramState) -> None:
        self._state = state

    def handlers(self) -> list[tuple[str, Handler]]:
        """(method name, handler) for each method here."""
        return [
            ("setMyCommands", self._api_set_my_commands),
            ("getMyCommands", self._api_get_my_commands),
            ("deleteMyCommands", self._api_delete_my_commands),
            ("getChat", self._api_get_chat),
            ("getChatMember", self._api_get_chat_member),
            ("getChatAdministrators", self._api_get_chat_administrators),
            ("setMyDescription", self._description_setter("description")),
            ("getMyDescription", self._description_getter("description")),
            ("setMyShortDescription", self._description_setter("short_description")),
            ("getMyShortDescription", self._description_getter("short_description")),
            ("setMyName", self._description_setter("name")),
            ("getMyName", self._description_getter("name")),
            ("setChatMenuButton", self._api_set_chat_menu_button),
            ("getChatMenuButton", self._api_get_chat_menu_button),
        ]

    @staticmethod
    def _scope_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key = kind
        elif kind in ("chat", "chat_administrators"):
            key = f"{kind}:{int_param(scope, 'chat_id')}"
        elif kind == "chat_member":
            key = f"{kind}:{int_param(scope, 'chat_id')}:{int_param(scope, 'user_id')}"
        else:
            raise ApiError(400, "Bad Request: wrong scope type specified")
        return key, opt_str(params, "language_code") or ""

    def _member(self, chat: JSONDict, user_id: int) -> JSONDict:
        user = self._state.user(user_id)
        if chat["type"] != "private":
            if self._state.owners.get(chat["id"]) == user_id:
                return {"status": "creator", "user": user, "is_anonymous": False}
            if user_id in self._state.admins.get(chat["id"], []):
                return {
                    "status": "administrator",
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
        return {"status": "member", "user": user}

    # -- the bot's commands, descriptions and name ----------------------------------

    def _api_set_my_commands(self, request: Request) -> bool:
        commands = opt_list(request.params, "commands")
        if commands is None:
            raise ApiError(400, "Bad Request: commands is empty")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        stored: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        key = self._scope_key(request.params)
        with self._state.lock:
            self._state.commands[key] = stored
        return True

    def _api_get_my_commands(self, request: Request) -> list[JSONDict]:
        key = self._scope_key(request.params)
        with self._state.lock:
            return copy.deepcopy(self._state.commands.get(key, []))

    def _api_delete_my_commands(self, request: Request) -> bool:
        key = self._scope_key(request.params)
        with self._state.lock:
            self._state.commands.pop(key, None)
        return True

    def _api_set_chat_menu_button(self, request: Request) -> bool:
        chat_id = opt_int(request.params, "chat_id") or 0
        button = request.params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("default", "commands", "web_app"):
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        if kind == "web_app":
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            check_web_app(button.get("web_app"))
        with self._state.lock:
            if chat_id and chat_id not in self._state.chats:
                raise ApiError(400, "Bad Request: chat not found")
            if kind == "default":
                self._state.menu_buttons.pop(chat_id, None)
            else:
                self._state.menu_buttons[chat_id] = copy.deepcopy(button)
        return True

    def _api_get_chat_menu_button(self, request: Request) -> JSONDict:
        chat_id = opt_int(request.params, "chat_id") or 0
        with self._state.lock:
            found = self._state.menu_buttons.get(chat_id) or self._state.menu_buttons.get(0)
            return copy.deepcopy(found) if found else {"type": "default"}

    def _description_setter(self, field_name: str) -> Handler:
        def handler(request: Request) -> bool:
            value = opt_str(request.params, field_name) or ""
            key = (field_name, opt_str(request.params, "language_code") or "")
            with self._state.lock:
                if value:
                    self._state.descriptions[key] = value
                else:
                    self._state.descriptions.pop(key, None)
            return True

        return handler

    def _description_getter(self, field_name: str) -> Handler:
        def handler(request: Request) -> JSONDict:
            language = opt_str(request.params, "language_code") or ""
            with self._state.lock:
                value = self._state.descriptions.get((field_name, language))
                if value is None:
                    value = self._state.descriptions.get((field_name, ""), "")
            if field_name == "name" and not value:
                value = self._state.bot.first_name
            return {field_name: value}

        return handler

    # -- chats and their members ----------------------------------------------------

    def _api_get_chat(self, request: Request) -> JSONDict:
        with self._state.lock:
            chat = dict(chat_for(self._state, request.params))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _api_get_chat_member(self, request: Request) -> JSONDict:
        with self._state.lock:
            chat = chat_for(self._state, request.params)
            return self._member(chat, int_param(request.params, "user_id"))

    def _api_get_chat_administrators(self, request: Request) -> list[JSONDict]:
        with self._state.lock:
            chat = chat_for(self._state, request.params)
            if chat["type"] == "private":
                raise ApiError(400, "Bad Request: there are no administrators in the private chat")
            ids: list[int] = []
            owner = self._state.owners.get(chat["id"])
            if owner is not None:
                ids.append(owner)
            ids.extend(uid for uid in self._state.admins.get(chat["id"], []) if uid != owner)
            return [self._member(chat, uid) for uid in ids]
