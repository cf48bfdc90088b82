"""Records and text rules for :mod:`botsim`, the local Telegram Bot API server.

This module holds the plain data the server records (:class:`SentMessage`,
:class:`SentDocument`, :class:`ApiCall`, :class:`Stats`) and the Telegram rules it
applies to what a bot sends: parsing ``parse_mode`` text (HTML, MarkdownV2 and legacy
Markdown) into plain text and entities, length limits, and inline keyboard checks.
Nothing here does any I/O.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "ApiCall",
    "ApiError",
    "SentDocument",
    "SentMessage",
    "Stats",
    "UploadedFile",
    "bot_command_entities",
    "normalize_reply_markup",
    "parse_text",
    "utf16_len",
]

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
"""Longest message text Telegram accepts, in UTF-16 code units after entity parsing."""
MAX_CAPTION_LENGTH = 1024
"""Longest media caption Telegram accepts, in UTF-16 code units after entity parsing."""
MAX_CALLBACK_DATA_BYTES = 64
"""Longest ``callback_data`` of an inline keyboard button, in UTF-8 bytes."""


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        """Return the JSON envelope Telegram sends for this error."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a ``multipart/form-data`` request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class SentDocument:
    """A document the bot sent: the uploaded name, bytes and MIME type, plus its ids."""

    filename: str
    content: bytes
    mime_type: str
    file_id: str
    file_unique_id: str

    @property
    def data(self) -> bytes:
        """Alias of :attr:`content`."""
        return self.content

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return len(self.content)

    def to_dict(self) -> JSONDict:
        """Return the Bot API ``Document`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": self.size,
        }


@dataclass
class SentMessage:
    """A message the bot sent, as it stands now (after any edits).

    ``text`` is what the bot sent, markup included (the caption for documents);
    ``plain_text`` is what the user sees once ``parse_mode`` is applied, and
    ``entities`` the formatting Telegram derived from it (UTF-16 offsets).
    ``edited`` counts successful edits; ``deleted`` is set by ``deleteMessage``
    (deleted messages stay in the outbox so indices remain stable).
    """

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    document: SentDocument | None
    edited: int
    date: int
    method: str
    plain_text: str = ""
    entities: list[JSONDict] = field(default_factory=list)
    reply_to_message_id: int | None = None
    disable_notification: bool = False
    deleted: bool = False
    edit_date: int | None = None
    paid_broadcast: bool = False
    """Sent with ``allow_paid_broadcast=true`` (and paid for in Stars)."""

    def buttons(self) -> list[tuple[str, str | None, str | None]]:
        """Return ``(text, callback_data, url)`` for each inline keyboard button, in order."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (str(button.get("text", "")), button.get("callback_data"), button.get("url"))
            for row in rows
            for button in row
        ]

    def snapshot(self) -> SentMessage:
        """Return an independent copy (documents share their immutable bytes)."""
        return copy.deepcopy(self)


@dataclass
class ApiCall:
    """One Bot API request the server received.

    ``params`` holds the decoded parameters (JSON-encoded form values such as
    ``reply_markup`` are decoded, numbers and booleans converted); file parts of a
    multipart request are in ``files``. ``timestamp`` is ``time.monotonic()`` when the
    request arrived; ``status`` the HTTP status returned and ``response`` the body.
    """

    method: str
    params: JSONDict
    timestamp: float
    status: int
    response: JSONDict
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200


@dataclass
class Stats:
    """Counters of what the server did.

    ``sent``: messages delivered (sendMessage/sendDocument); ``edited``: successful
    edits; ``rate_limited``: 429s issued by the built-in limiter; ``failed_injected``:
    failures from :meth:`BotApiServer.fail_next`; ``blocked``: 403s caused by
    :meth:`BotApiServer.block`; ``paid``: messages sent with ``allow_paid_broadcast``.
    """

    sent: int = 0
    edited: int = 0
    rate_limited: int = 0
    failed_injected: int = 0
    blocked: int = 0
    paid: int = 0


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class _Builder:
    """Accumulates plain text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _entity(kind: str, start: int, end: int, **extra: Any) -> JSONDict | None:
    if end <= start:
        return None
    entity: JSONDict = {"type": kind, "offset": start, "length": end - start}
    entity.update({key: value for key, value in extra.items() if value is not None})
    return entity


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-zA-Z]{2,4}));")


def _decode_html_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the entity at ``text[i]`` (an ``&``) the way Telegram does, or return None."""
    match = _HTML_ENTITY_RE.match(text, i)
    if match is None:
        return None
    hex_digits, dec_digits, name = match.groups()
    if name is not None:
        value = _NAMED_ENTITIES.get(name)
        return None if value is None else (value, match.end())
    code = int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


@dataclass
class _OpenTag:
    tag: str
    kind: str
    start: int
    byte_offset: int
    attrs: dict[str, str]


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into plain text and entities (mirrors tdlib's rules)."""
    out = _Builder()
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def fail(message: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {message}")

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                out.add("&")
                i += 1
            else:
                out.add(decoded[0])
                i = decoded[1]
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue

        begin = i
        offset = _byte_offset(text, begin)
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {offset}")
            i += 2
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            end_name = text[begin + 2 : i].lower()
            while i < n and text[i].isspace():
                i += 1
            open_tag = stack[-1]
            if end_name and end_name != open_tag.tag:
                raise fail(
                    f'Unmatched end tag at byte offset {offset}, expected "</{open_tag.tag}>", '
                    f'found "</{end_name}>"'
                )
            if i >= n or text[i] != ">":
                raise fail(f"Unclosed end tag at byte offset {offset}")
            i += 1
            stack.pop()
            _close_html_tag(open_tag, out.pos, entities)
            continue

        i += 1
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {offset}")
        tag = text[begin + 1 : i].lower()
        if tag not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {offset}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if text[i] == ">":
                break
            name_start = i
            while i < n and not text[i].isspace() and text[i] not in "=>":
                i += 1
            attr_name = text[name_start:i].lower()
            if not attr_name:
                raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != "=":
                if tag == "blockquote" and attr_name == "expandable":
                    attrs[attr_name] = ""
                    continue
                raise fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {offset}"
                )
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if text[i] not in "'\"":
                token_start = i
                while i < n and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                if i < n and not text[i].isspace() and text[i] != ">":
                    raise fail(
                        f"Unexpected end of name token at byte offset "
                        f"{_byte_offset(text, token_start)}"
                    )
                value = text[token_start:i].lower()
            else:
                quote = text[i]
                i += 1
                value_parts: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        decoded = _decode_html_entity(text, i)
                        if decoded is not None:
                            value_parts.append(decoded[0])
                            i = decoded[1]
                            continue
                    value_parts.append(text[i])
                    i += 1
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {offset}")
                i += 1
                value = "".join(value_parts)
            attrs[attr_name] = value
        i += 1  # the '>'
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise fail(f"Custom emoji entity must contain a valid emoji-id at byte offset {offset}")
        stack.append(_OpenTag(tag, _HTML_TAGS[tag], out.pos, offset, attrs))

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.text(), entities


def _close_html_tag(tag: _OpenTag, end: int, entities: list[JSONDict]) -> None:
    kind = tag.kind
    extra: dict[str, Any] = {}
    if kind == "text_link":
        url = tag.attrs.get("href", "")
        if not url:
            return
        user_match = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if user_match:
            kind = "text_mention"
            extra["user"] = {"id": int(user_match.group(1)), "is_bot": False, "first_name": ""}
        else:
            extra["url"] = url
    elif kind == "blockquote" and "expandable" in tag.attrs:
        kind = "expandable_blockquote"
    elif kind == "custom_emoji":
        extra["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif kind == "pre":
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        for index, inner in enumerate(entities):
            if (
                inner["type"] == "code"
                and inner["offset"] == tag.start
                and inner["offset"] + inner["length"] == end
            ):
                extra["language"] = inner.pop("_language", None)
                del entities[index]
                break
    entity = _entity(kind, tag.start, end, **extra)
    if entity is None:
        return
    if kind == "code":
        css = tag.attrs.get("class", "")
        if css.startswith("language-") and len(css) > len("language-"):
            entity["_language"] = css[len("language-") :]
    entities.append(entity)


# ---------------------------------------------------------------------------------------
# MarkdownV2 and legacy Markdown
# ---------------------------------------------------------------------------------------

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}


@dataclass
class _OpenMd:
    kind: str
    start: int
    byte_offset: int
    language: str | None = None


def _parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 into plain text and entities, enforcing the escaping rules."""
    out = _Builder()
    stack: list[_OpenMd] = []
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def fail(message: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {message}")

    def close(extra: dict[str, Any] | None = None) -> None:
        opened = stack.pop()
        entity = _entity(opened.kind, opened.start, out.pos, **(extra or {}))
        if entity is not None:
            entities.append(entity)

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        top = stack[-1].kind if stack else None
        if top == "code":
            if ch == "`":
                close()
            else:
                out.add(ch)
            i += 1
            continue
        if top == "pre":
            if text.startswith("```", i):
                close({"language": stack[-1].language})
                i += 3
            else:
                out.add(ch)
                i += 1
            continue
        if ch not in _MDV2_RESERVED:
            out.add(ch)
            i += 1
            continue

        offset = _byte_offset(text, i)
        if (top == "bold" and ch == "*") or (
            top == "italic" and ch == "_" and not text.startswith("__", i)
        ):
            close()
            i += 1
        elif top == "underline" and text.startswith("__", i):
            close()
            i += 2
        elif top == "strikethrough" and ch == "~":
            close()
            i += 1
        elif top == "spoiler" and text.startswith("||", i):
            close()
            i += 2
        elif top in ("text_link", "custom_emoji") and ch == "]":
            i += 1
            url: str | None = None
            if i < n and text[i] == "(":
                i += 1
                url_parts: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and text[i + 1] in ")\\":
                        i += 1
                    url_parts.append(text[i])
                    i += 1
                if i >= n:
                    raise fail(f"Can't find end of a URL at byte offset {offset}")
                i += 1
                url = "".join(url_parts)
            if top == "custom_emoji":
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url or "")
                if match is None:
                    raise fail(f"Custom emoji URL must have an emoji identifier at byte {offset}")
                close({"custom_emoji_id": match.group(1)})
            elif url:
                close({"url": url})
            else:
                stack.pop()
        elif ch == "_":
            if text.startswith("__", i):
                stack.append(_OpenMd("underline", out.pos, offset))
                i += 2
            else:
                stack.append(_OpenMd("italic", out.pos, offset))
                i += 1
        elif ch == "*":
            stack.append(_OpenMd("bold", out.pos, offset))
            i += 1
        elif ch == "~":
            stack.append(_OpenMd("strikethrough", out.pos, offset))
            i += 1
        elif ch == "|" and text.startswith("||", i):
            stack.append(_OpenMd("spoiler", out.pos, offset))
            i += 2
        elif ch == "[":
            stack.append(_OpenMd("text_link", out.pos, offset))
            i += 1
        elif ch == "!" and text.startswith("![", i):
            stack.append(_OpenMd("custom_emoji", out.pos, offset))
            i += 2
        elif ch == "`":
            if text.startswith("```", i):
                i += 3
                language: str | None = None
                newline = text.find("\n", i)
                closing = text.find("```", i)
                if newline != -1 and (closing == -1 or newline < closing):
                    candidate = text[i:newline]
                    if candidate and not any(c.isspace() or c == "`" for c in candidate):
                        language = candidate
                        i = newline + 1
                stack.append(_OpenMd("pre", out.pos, offset, language))
            else:
                stack.append(_OpenMd("code", out.pos, offset))
                i += 1
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # a blockquote line marker
        else:
            raise fail(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    if stack:
        opened = stack[-1]
        raise fail(
            f"Can't find end of {_MDV2_NAMES[opened.kind]} entity at byte offset "
            f"{opened.byte_offset}"
        )
    return out.text(), entities


_LEGACY_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def _parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, code, pre and links)."""
    out = _Builder()
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def fail(index: int) -> ApiError:
        return ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end of the entity starting at "
            f"byte offset {_byte_offset(text, index)}",
        )

    def add(entity: JSONDict | None) -> None:
        if entity is not None:
            entities.append(entity)

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        begin = i
        start = out.pos
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise fail(begin)
            body = text[i + 3 : end]
            language = None
            head, sep, rest = body.partition("\n")
            if sep and head and not any(c.isspace() for c in head):
                language, body = head, rest
            out.add(body)
            add(_entity("pre", start, out.pos, language=language))
            i = end + 3
        elif ch == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise fail(begin)
            label = text[i + 1 : close]
            out.add(label)
            i = close + 1
            if i < n and text[i] == "(":
                end = text.find(")", i + 1)
                if end == -1:
                    raise fail(begin)
                url = text[i + 1 : end]
                if url:
                    add(_entity("text_link", start, out.pos, url=url))
                i = end + 1
        else:
            end = text.find(ch, i + 1)
            if end == -1:
                raise fail(begin)
            out.add(text[i + 1 : end])
            add(_entity(_LEGACY_MARKERS[ch], start, out.pos))
            i = end + 1
    return out.text(), entities


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace as Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def parse_text(
    text: str, parse_mode: str | None, entities: list[JSONDict] | None = None
) -> tuple[str, list[JSONDict]]:
    """Apply ``parse_mode`` (or explicit ``entities``) to ``text`` like Telegram.

    Returns the plain text (surrounding whitespace stripped) and its entities with
    UTF-16 offsets. Raises :class:`ApiError` (400 ``can't parse entities``) for
    malformed markup or an unknown parse mode.
    """
    if entities is not None:
        plain, found = text, [dict(entity) for entity in entities]
    else:
        mode = (parse_mode or "").lower()
        if mode == "":
            plain, found = text, []
        elif mode == "html":
            plain, found = _parse_html(text)
        elif mode == "markdownv2":
            plain, found = _parse_markdown_v2(text)
        elif mode == "markdown":
            plain, found = _parse_markdown(text)
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
    for entity in found:
        entity.pop("_language", None)
    found.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return _strip(plain, found)


_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def bot_command_entities(text: str) -> list[JSONDict]:
    """Return the ``bot_command`` entities Telegram attaches to a user's ``text``."""
    entities: list[JSONDict] = []
    for match in _COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


# ---------------------------------------------------------------------------------------
# Reply markup
# ---------------------------------------------------------------------------------------

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_button_url(url: object) -> None:
    if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)", url)
    if match is None:
        return  # Telegram accepts "example.org/path" and prefixes http://
    scheme, host = match.group(1).lower(), match.group(2).lower()
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if scheme in ("http", "https") and (not host or host in ("localhost", "127.0.0.1")):
        raise ApiError(
            400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
        )


def normalize_reply_markup(markup: object) -> JSONDict | None:
    """Validate a ``reply_markup`` value and return it (None when absent).

    Enforces what Telegram rejects most often: malformed keyboards, buttons without
    an action, ``callback_data`` outside 1-64 bytes (``BUTTON_DATA_INVALID``) and
    unusable URLs.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "should be an Array of Arrays",
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "InlineKeyboardButton should be an Object",
                    )
                text = button.get("text")
                if not isinstance(text, str):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String',
                    )
                if not text.strip():
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                if not any(key in button for key in _BUTTON_ACTIONS):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if (
                        not isinstance(data, str)
                        or not data
                        or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button:
                    _check_button_url(button["url"])
        return {"inline_keyboard": copy.deepcopy(rows)}
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return copy.deepcopy(markup)
    raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
