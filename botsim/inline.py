"""Inline mode in botsim: inline queries, answerInlineQuery, chosen results and their
messages (edited by ``inline_message_id``), as Telegram does them.

A test plays the user: :func:`queue_inline_query` types ``@bot query`` (an
``inline_query`` update), the bot answers with ``answerInlineQuery`` (kept per query,
checked like Telegram: at most 50 results, unique ids, each with content), then
:func:`choose_result` posts the chosen result's message in a chat, as the user's
message sent via the bot, and queues ``chosen_inline_result``. A result with a
keyboard gets an ``inline_message_id``: its buttons' presses are callback queries
without ``message`` (:func:`queue_inline_press`), and ``editMessageText`` with that id
edits it (the answer is ``true``, not a Message).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from botsim.objects import ApiError, SentMessage, normalize_reply_markup
from botsim.params import opt_list, opt_str
from botsim.state import TelegramState
from botsim.text import parse_text

JSONDict = dict[str, Any]
MAX_RESULTS = 50
RESULT_TYPES = frozenset({"article", "photo", "document"})
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def queue_inline_query(
    state: TelegramState, query: str, *, user_id: int, language_code: str | None, chat_type: str
) -> str:
    """Queue an ``inline_query`` update; returns its id (lock held by the caller)."""
    user = dict(state.users.get(user_id) or state.user(user_id))
    user.pop("language_code", None)
    if language_code is not None:
        user["language_code"] = language_code
    query_id = str(5_000_000_000_000 + next(state.query_ids))
    state.inline_queries[query_id] = {"from": user, "query": query}
    state.queue_update(
        {
            "inline_query": {
                "id": query_id,
                "from": user,
                "query": query[:256],
                "offset": "",
                "chat_type": chat_type,
            }
        }
    )
    return query_id


def answer_inline_query(state: TelegramState, params: JSONDict) -> bool:
    """``answerInlineQuery``: keep the results of a query, refusing what Telegram refuses."""
    query_id = opt_str(params, "inline_query_id") or ""
    results = opt_list(params, "results") or []
    with state.cond:
        if query_id not in state.inline_queries or query_id in state.inline_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(results) > MAX_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results if isinstance(result, dict)]
        if len(ids) != len(results) or len(set(ids)) != len(ids) or not all(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            if result.get("type") not in RESULT_TYPES:
                raise ApiError(400, "Bad Request: RESULT_TYPE_INVALID")
            content = result.get("input_message_content") or {}
            if result.get("type") == "article" and not content.get("message_text"):
                raise ApiError(400, "Bad Request: MESSAGE_EMPTY")
        state.inline_answers[query_id] = copy.deepcopy(results)
        state.cond.notify_all()
    return True


def choose_result(state: TelegramState, query_id: str, result_id: str, chat_id: int) -> SentMessage:
    """Post the chosen result in `chat_id` via the bot; queue ``chosen_inline_result``."""
    results = state.inline_answers.get(query_id)
    if results is None:
        raise ValueError(f"the bot has not answered inline query {query_id}")
    result = next((item for item in results if str(item.get("id")) == result_id), None)
    if result is None:
        raise ValueError(f"inline query {query_id} has no result {result_id!r}")
    content = result.get("input_message_content") or {}
    text = str(content.get("message_text", ""))
    parse_mode = content.get("parse_mode") or None
    plain, entities = parse_text(text, parse_mode, content.get("entities"))
    markup = normalize_reply_markup(result.get("reply_markup"))
    inline_id = f"AgAAA{len(state.inline_messages) + 1:06d}botsim" if markup else None
    message = SentMessage(
        message_id=state.new_message_id(chat_id),
        chat_id=chat_id,
        text=text,
        parse_mode=parse_mode,
        reply_markup=markup,
        document=None,
        edited=0,
        date=int(time.time()),
        method="inline",
        plain_text=plain,
        entities=entities,
    )
    if inline_id is not None:
        state.inline_messages[inline_id] = message
    chosen: JSONDict = {
        "result_id": result_id,
        "from": state.inline_queries[query_id]["from"],
        "query": state.inline_queries[query_id]["query"],
    }
    if inline_id is not None:
        chosen["inline_message_id"] = inline_id
    state.queue_update({"chosen_inline_result": chosen})
    return message


def queue_inline_press(
    state: TelegramState,
    *,
    inline_message_id: str,
    data: str,
    user_id: int,
    language_code: str | None,
) -> JSONDict:
    """Queue the ``callback_query`` of a button on a message sent via the bot."""
    message = state.inline_messages.get(inline_message_id)
    if message is None:
        raise ValueError(f"no inline message {inline_message_id}")
    if data not in [button[1] for button in message.buttons()]:
        raise ValueError(f"inline message {inline_message_id} has no button {data!r}")
    user = dict(state.users.get(user_id) or state.user(user_id))
    user.pop("language_code", None)
    if language_code is not None:
        user["language_code"] = language_code
    query_id = str(4_000_000_000_000 + next(state.query_ids))
    state.callback_queries[query_id] = False
    query: JSONDict = {
        "id": query_id,
        "from": user,
        "inline_message_id": inline_message_id,
        "chat_instance": str(abs(message.chat_id) * 7919 + 1_000_000_007),
        "data": data,
    }
    return state.queue_update({"callback_query": query})


def inline_target(state: TelegramState, params: JSONDict) -> SentMessage:
    """The message an edit with ``inline_message_id`` names (lock held)."""
    found = state.inline_messages.get(str(params.get("inline_message_id")))
    if found is None:
        raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
    return found
