"""The Bot API methods :mod:`botsim` implements, and its table of them.

:class:`BotApiMethods` answers a decoded :class:`~botsim.wire.Request` against the
shared :class:`~botsim.state.TelegramState`, validating what Telegram validates
(chat ids, text length and entities, reply markup, reply targets, command lists…)
and raising :class:`~botsim.objects.ApiError` with Telegram's description when it
does not pass. Sends and edits first go through the fault injection and flood
control it is given.
"""

from __future__ import annotations

import copy
import mimetypes
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from botsim.inline import answer_inline_query, inline_target
from botsim.objects import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    SentDocument,
    SentMessage,
    normalize_reply_markup,
)
from botsim.params import int_param, opt_float, opt_int, opt_list, opt_str, truthy
from botsim.profile import ProfileMethods, chat_for
from botsim.state import TelegramState
from botsim.text import parse_text, utf16_len
from botsim.wire import Request

__all__ = ["BotApiMethods"]

JSONDict = dict[str, Any]
Handler = Callable[[Request], Any]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_MAX_POLL_TIMEOUT = 50.0


class _Content(NamedTuple):
    """A message's text or caption: as sent, its parse mode, and as the user sees it."""

    text: str
    parse_mode: str | None
    plain: str
    entities: list[JSONDict]


def _inline_of(markup: JSONDict | None) -> JSONDict | None:
    """Return ``markup`` if it is a non-empty inline keyboard, else None."""
    return markup if markup is not None and markup.get("inline_keyboard") else None


class BotApiMethods:
    """The Bot API methods over one :class:`~botsim.state.TelegramState`.

    ``apply_faults(request, chat)`` and ``check_rate(chat_id, paid)`` are called, with
    the lock held, before a send or edit acts; they raise :class:`ApiError` to refuse it.
    ``paid`` is whether the send carries ``allow_paid_broadcast=true``.
    """

    def __init__(
        self,
        state: TelegramState,
        *,
        apply_faults: Callable[[Request, JSONDict], None],
        check_rate: Callable[[int, bool], None],
    ) -> None:
        self._state = state
        self._apply_faults = apply_faults
        self._check_rate = check_rate
        self._profile = ProfileMethods(state)
        self._table: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._handlers()
        }

    def call(self, request: Request) -> Any:
        """Run the method ``request`` names (in any case) and return its result.

        Sets ``request.method`` to the method's canonical name. Raises
        :class:`ApiError`: 404 for an unknown method, else the method's own error.
        """
        entry = self._table.get(request.method.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        request.method, handler = entry
        return handler(request)

    def _handlers(self) -> list[tuple[str, Handler]]:
        return [
            ("getMe", self._api_get_me),
            ("getMyStarBalance", self._api_get_my_star_balance),
            ("getUpdates", self._api_get_updates),
            ("setWebhook", self._api_set_webhook),
            ("deleteWebhook", self._api_delete_webhook),
            ("getWebhookInfo", self._api_get_webhook_info),
            ("logOut", self._api_true),
            ("close", self._api_true),
            ("sendMessage", self._api_send_message),
            ("sendDocument", self._api_send_document),
            ("sendPhoto", self._api_send_photo),
            ("editMessageText", self._api_edit_message_text),
            ("editMessageCaption", self._api_edit_message_caption),
            ("editMessageReplyMarkup", self._api_edit_message_reply_markup),
            ("deleteMessage", self._api_delete_message),
            ("answerCallbackQuery", self._api_answer_callback_query),
            ("answerInlineQuery", lambda request: answer_inline_query(self._state, request.params)),
            ("sendChatAction", self._api_send_chat_action),
            ("getFile", self._api_get_file),
            *self._profile.handlers(),
        ]

    # -- helpers (call with the lock held) ------------------------------------------

    @staticmethod
    def _parse(params: JSONDict, text_key: str, entities_key: str, limit: int) -> _Content:
        value = params.get(text_key)
        text = "" if value is None else value if isinstance(value, str) else str(value)
        parse_mode = opt_str(params, "parse_mode") or None
        plain, entities = parse_text(text, parse_mode, opt_list(params, entities_key))
        if utf16_len(plain) > limit:
            what = "message caption" if text_key == "caption" else "message"
            raise ApiError(400, f"Bad Request: {what} is too long")
        return _Content(text, parse_mode, plain, entities)

    def _reply_target(self, params: JSONDict, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int_param(reply, "message_id")
            allow = truthy(reply.get("allow_sending_without_reply"))
        else:
            found = opt_int(params, "reply_to_message_id")
            if found is None:
                return None
            message_id = found
            allow = truthy(params.get("allow_sending_without_reply"))
        if self._state.message_by_id(chat_id, message_id) is None:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return message_id

    def _send(
        self, request: Request, chat: JSONDict, content: _Content, document: SentDocument | None
    ) -> JSONDict:
        """Finish a sendMessage/sendDocument: markup, reply, flood control, then record."""
        params = request.params
        markup = normalize_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, chat["id"])
        paid = truthy(params.get("allow_paid_broadcast"))
        self._check_rate(chat["id"], paid)
        if document is not None and document.file_id not in self._state.files:
            self._state.files[document.file_id] = document
        message = SentMessage(
            message_id=self._state.new_message_id(chat["id"]),
            chat_id=chat["id"],
            text=content.text,
            parse_mode=content.parse_mode,
            reply_markup=markup,
            document=document,
            edited=0,
            date=int(time.time()),
            method="sendMessage" if document is None else request.method,
            plain_text=content.plain,
            entities=content.entities,
            reply_to_message_id=reply_to,
            disable_notification=truthy(params.get("disable_notification")),
            paid_broadcast=paid,
        )
        result = self._state.record_sent(message)
        request.notify.append(message.snapshot())
        return result

    def _editable(self, request: Request) -> SentMessage:
        if request.params.get("inline_message_id"):
            return inline_target(self._state, request.params)
        chat = chat_for(self._state, request.params)
        message_id = int_param(request.params, "message_id")
        self._apply_faults(request, chat)
        message = self._state.bot_messages.get((chat["id"], message_id))
        if message is None or message.deleted:
            if (chat["id"], message_id) in self._state.user_messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _edited(self, request: Request, message: SentMessage) -> JSONDict | bool:
        result = self._state.record_edit(message)
        request.notify.append(message.snapshot())
        return True if message.method == "inline" else result  # Telegram's answer: true

    def _replace_content(
        self, request: Request, message: SentMessage, content: _Content
    ) -> JSONDict | bool:
        """Finish editMessageText/editMessageCaption: refuse a no-op, then edit."""
        markup = self._inline_markup(request.params)
        if (
            content.plain == message.plain_text
            and content.entities == message.entities
            and markup == _inline_of(message.reply_markup)
        ):
            raise ApiError(400, _NOT_MODIFIED)
        self._set_markup(message, markup)
        message.text, message.parse_mode = content.text, content.parse_mode
        message.plain_text, message.entities = content.plain, content.entities
        return self._edited(request, message)

    @staticmethod
    def _inline_markup(params: JSONDict) -> JSONDict | None:
        """Edits keep only inline keyboards; leaving reply_markup out removes it."""
        markup = normalize_reply_markup(params.get("reply_markup"))
        if markup is None or not markup.get("inline_keyboard"):
            if markup is not None and "inline_keyboard" not in markup:
                raise ApiError(400, "Bad Request: inline keyboard expected")
            return None
        return markup

    @staticmethod
    def _set_markup(message: SentMessage, markup: JSONDict | None) -> None:
        """Replace an inline keyboard; a reply keyboard (chat state) survives edits."""
        if markup is not None or _inline_of(message.reply_markup) is not None:
            message.reply_markup = markup

    def _document_from(self, request: Request, field: str = "document") -> SentDocument:
        value = request.params.get(field)
        upload = request.files.get(field)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = request.files.get(value[len("attach://") :])
            if upload is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if upload is None:
            if not value:
                raise ApiError(400, f"Bad Request: there is no {field} in the request")
            existing = self._state.files.get(str(value))
            if existing is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return existing
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        filename = upload.filename or field
        mime_type = upload.content_type
        if mime_type in ("", "application/octet-stream", "text/plain"):
            mime_type = mimetypes.guess_type(filename, strict=False)[0] or mime_type
        number = next(self._state.file_ids)
        return SentDocument(
            filename=filename,
            content=upload.data,
            mime_type=mime_type or "application/octet-stream",
            file_id=f"BQACAgIAAxkDAAIB{number:08X}botsim",
            file_unique_id=f"AgAD{number:06X}",
        )

    # -- the bot and its updates ----------------------------------------------------

    def _api_true(self, request: Request) -> bool:
        return True

    def _api_get_me(self, request: Request) -> JSONDict:
        return self._state.bot_user(full=True)

    def _api_get_my_star_balance(self, request: Request) -> JSONDict:
        stars, nano = divmod(self._state.star_balance_nano, 1_000_000_000)
        return {"amount": stars, "nanostar_amount": nano}

    def _api_get_updates(self, request: Request) -> list[JSONDict]:
        params = request.params
        offset = opt_int(params, "offset")
        limit = min(max(opt_int(params, "limit") or 100, 1), 100)
        timeout = min(max(opt_float(params, "timeout") or 0.0, 0.0), _MAX_POLL_TIMEOUT)
        allowed = opt_list(params, "allowed_updates")
        deadline = time.monotonic() + timeout
        state = self._state
        with state.cond:
            if state.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if allowed is not None:
                state.allowed_updates = [str(kind) for kind in allowed] or None
            state.poll_generation += 1
            generation = state.poll_generation
            state.cond.notify_all()
            if offset is not None and offset < 0:
                del state.updates[: max(len(state.updates) + offset, 0)]
            elif offset:
                state.updates = [u for u in state.updates if u["update_id"] >= offset]
            while True:
                if generation != state.poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                state.updates = [u for u in state.updates if state.is_allowed(u)]
                if state.updates or state.stopping:
                    return copy.deepcopy(state.updates[:limit])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                state.cond.wait(remaining)

    def _api_set_webhook(self, request: Request) -> bool:
        url = opt_str(request.params, "url") or ""
        with self._state.cond:
            if truthy(request.params.get("drop_pending_updates")):
                self._state.updates.clear()
            self._state.webhook = {**request.params} if url else None
            self._state.cond.notify_all()
        return True

    def _api_delete_webhook(self, request: Request) -> bool:
        with self._state.cond:
            if truthy(request.params.get("drop_pending_updates")):
                self._state.updates.clear()
            self._state.webhook = None
        return True

    def _api_get_webhook_info(self, request: Request) -> JSONDict:
        with self._state.lock:
            webhook = self._state.webhook
            info: JSONDict = {
                "url": (webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates),
            }
            if webhook is not None and webhook.get("allowed_updates"):
                info["allowed_updates"] = webhook["allowed_updates"]
            return info

    # -- messages -------------------------------------------------------------------

    def _api_send_message(self, request: Request) -> JSONDict:
        with self._state.cond:
            chat = chat_for(self._state, request.params)
            self._apply_faults(request, chat)
            content = self._parse(request.params, "text", "entities", MAX_TEXT_LENGTH)
            if not content.plain:
                raise ApiError(400, "Bad Request: message text is empty")
            return self._send(request, chat, content, None)

    def _api_send_document(self, request: Request) -> JSONDict:
        with self._state.cond:
            chat = chat_for(self._state, request.params)
            self._apply_faults(request, chat)
            document = self._document_from(request)
            content = self._parse(request.params, "caption", "caption_entities", MAX_CAPTION_LENGTH)
            return self._send(request, chat, content, document)

    def _api_send_photo(self, request: Request) -> JSONDict:
        """sendPhoto: recorded like a document (its bytes kept), answered with ``photo``."""
        with self._state.cond:
            chat = chat_for(self._state, request.params)
            self._apply_faults(request, chat)
            photo = self._document_from(request, "photo")
            content = self._parse(request.params, "caption", "caption_entities", MAX_CAPTION_LENGTH)
            return self._send(request, chat, content, photo)

    def _api_get_file(self, request: Request) -> JSONDict:
        file_id = opt_str(request.params, "file_id") or ""
        with self._state.lock:
            document = self._state.files.get(file_id)
            if document is None:
                raise ApiError(400, "Bad Request: invalid file_id")
            suffix = document.filename.rsplit(".", 1)[1] if "." in document.filename else ""
            path = f"documents/{document.file_unique_id}" + (f".{suffix}" if suffix else "")
            self._state.file_paths[path] = document
            return {
                "file_id": document.file_id,
                "file_unique_id": document.file_unique_id,
                "file_size": document.size,
                "file_path": path,
            }

    def _api_edit_message_text(self, request: Request) -> JSONDict | bool:
        with self._state.cond:
            message = self._editable(request)
            if message.document is not None:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            content = self._parse(request.params, "text", "entities", MAX_TEXT_LENGTH)
            if not content.plain:
                raise ApiError(400, "Bad Request: message text is empty")
            return self._replace_content(request, message, content)

    def _api_edit_message_caption(self, request: Request) -> JSONDict | bool:
        with self._state.cond:
            message = self._editable(request)
            if message.document is None:
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            content = self._parse(request.params, "caption", "caption_entities", MAX_CAPTION_LENGTH)
            return self._replace_content(request, message, content)

    def _api_edit_message_reply_markup(self, request: Request) -> JSONDict | bool:
        with self._state.cond:
            message = self._editable(request)
            markup = self._inline_markup(request.params)
            if markup == _inline_of(message.reply_markup):
                raise ApiError(400, _NOT_MODIFIED)
            self._set_markup(message, markup)
            return self._edited(request, message)

    def _api_delete_message(self, request: Request) -> bool:
        with self._state.cond:
            chat = chat_for(self._state, request.params)
            key = (chat["id"], int_param(request.params, "message_id"))
            message = self._state.bot_messages.get(key)
            if message is not None and not message.deleted:
                message.deleted = True
                self._state.cond.notify_all()
                return True
            if self._state.user_messages.pop(key, None) is not None:
                return True
            raise ApiError(400, "Bad Request: message to delete not found")

    def _api_answer_callback_query(self, request: Request) -> bool:
        query_id = opt_str(request.params, "callback_query_id") or ""
        text = opt_str(request.params, "text") or ""
        with self._state.lock:
            if self._state.callback_queries.get(query_id, True):
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or "
                    "query ID is invalid",
                )
            if utf16_len(text) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self._state.callback_queries[query_id] = True
        return True

    def _api_send_chat_action(self, request: Request) -> bool:
        with self._state.lock:
            chat = chat_for(self._state, request.params)
            self._apply_faults(request, chat)
            if opt_str(request.params, "action") not in _CHAT_ACTIONS:
                raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True
