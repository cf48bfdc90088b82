"""Telegram's text rules for :mod:`botsim`: HTML ``parse_mode`` into plain text and
entities, UTF-16 lengths, and the ``bot_command`` entities of what a user types.

casebot sends HTML only (``bot.py: BOT_DEFAULTS``), so botsim parses HTML the way
tdlib does, strictly enough to catch every mistake Telegram would refuse; any other
``parse_mode`` is answered with a 400 that says so, rather than with a parser no
test of casebot would exercise. Nothing here does any I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botsim.objects import ApiError

__all__ = ["bot_command_entities", "parse_text", "utf16_len"]

JSONDict = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _entity(kind: str, start: int, end: int, **extra: Any) -> JSONDict | None:
    if end <= start:
        return None
    entity: JSONDict = {"type": kind, "offset": start, "length": end - start}
    entity.update({key: value for key, value in extra.items() if value is not None})
    return entity


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


class _HtmlReader:
    """One pass over Telegram-flavoured HTML (mirrors tdlib's rules), building the
    plain text, its UTF-16 position, and the entities of closed tags."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.parts: list[str] = []
        self.pos = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []
        self.tag_offset = 0

    @staticmethod
    def fail(message: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {message}")

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def skip_spaces(self) -> None:
        while self.i < self.n and self.text[self.i].isspace():
            self.i += 1

    def skip_name(self, stop: str = ">") -> None:
        while self.i < self.n and not self.text[self.i].isspace() and self.text[self.i] not in stop:
            self.i += 1

    def unclosed(self) -> ApiError:
        return self.fail(f"Unclosed start tag at byte offset {self.tag_offset}")

    def read(self) -> tuple[str, list[JSONDict]]:
        while self.i < self.n:
            ch = self.text[self.i]
            if ch == "&":
                self.entity_reference()
            elif ch != "<":
                self.emit(ch)
                self.i += 1
            elif self.i + 1 < self.n and self.text[self.i + 1] == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            tag = self.stack[-1].tag
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return "".join(self.parts), self.entities

    def entity_reference(self) -> None:
        decoded = _decode_html_entity(self.text, self.i)
        if decoded is None:
            self.emit("&")
            self.i += 1
        else:
            self.emit(decoded[0])
            self.i = decoded[1]

    def end_tag(self) -> None:
        begin, offset = self.i, _byte_offset(self.text, self.i)
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {offset}")
        self.i += 2
        self.skip_name()
        end_name = self.text[begin + 2 : self.i].lower()
        self.skip_spaces()
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.tag:
            raise self.fail(
                f'Unmatched end tag at byte offset {offset}, expected "</{open_tag.tag}>", '
                f'found "</{end_name}>"'
            )
        if self.i >= self.n or self.text[self.i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {offset}")
        self.i += 1
        self.stack.pop()
        _close_html_tag(open_tag, self.pos, self.entities)

    def start_tag(self) -> None:
        begin = self.i
        self.tag_offset = offset = _byte_offset(self.text, begin)
        self.i += 1
        self.skip_name()
        if self.i >= self.n:
            raise self.unclosed()
        tag = self.text[begin + 1 : self.i].lower()
        if tag not in _HTML_TAGS:
            raise self.fail(f'Unsupported start tag "{tag}" at byte offset {offset}')
        attrs = self.attributes(tag)
        self.i += 1  # the '>'
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.fail(
                f"Custom emoji entity must contain a valid emoji-id at byte offset {offset}"
            )
        self.stack.append(_OpenTag(tag, _HTML_TAGS[tag], self.pos, offset, attrs))

    def attributes(self, tag: str) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if self.i >= self.n:
                raise self.unclosed()
            if self.text[self.i] == ">":
                return attrs
            name_start = self.i
            self.skip_name("=>")
            name = self.text[name_start : self.i].lower()
            if not name:
                raise self.fail(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.tag_offset}'
                )
            self.skip_spaces()
            if self.i >= self.n or self.text[self.i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.tag_offset}"
                )
            self.i += 1
            self.skip_spaces()
            if self.i >= self.n:
                raise self.unclosed()
            attrs[name] = self.quoted_value() if self.text[self.i] in "'\"" else self.token()

    def token(self) -> str:
        start = self.i
        while self.i < self.n and (self.text[self.i].isalnum() or self.text[self.i] in ".-"):
            self.i += 1
        if self.i < self.n and not self.text[self.i].isspace() and self.text[self.i] != ">":
            raise self.fail(
                f"Unexpected end of name token at byte offset {_byte_offset(self.text, start)}"
            )
        return self.text[start : self.i].lower()

    def quoted_value(self) -> str:
        quote = self.text[self.i]
        self.i += 1
        value: list[str] = []
        while self.i < self.n and self.text[self.i] != quote:
            if self.text[self.i] == "&":
                decoded = _decode_html_entity(self.text, self.i)
                if decoded is not None:
                    value.append(decoded[0])
                    self.i = decoded[1]
                    continue
            value.append(self.text[self.i])
            self.i += 1
        if self.i >= self.n:
            raise self.unclosed()
        self.i += 1
        return "".join(value)


def _link_extra(tag: _OpenTag) -> tuple[str, dict[str, Any]] | None:
    url = tag.attrs.get("href", "")
    if not url:
        return None
    user_match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if user_match:
        return "text_mention", {
            "user": {"id": int(user_match.group(1)), "is_bot": False, "first_name": ""}
        }
    return "text_link", {"url": url}


def _close_html_tag(tag: _OpenTag, end: int, entities: list[JSONDict]) -> None:
    kind = tag.kind
    extra: dict[str, Any] = {}
    if kind == "text_link":
        link = _link_extra(tag)
        if link is None:
            return
        kind, extra = link
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
    malformed HTML, and a 400 for any parse mode but HTML (casebot sends no other).
    """
    if entities is not None:
        plain, found = text, [dict(entity) for entity in entities]
    else:
        mode = (parse_mode or "").lower()
        if mode == "":
            plain, found = text, []
        elif mode == "html":
            plain, found = _HtmlReader(text).read()
        else:
            raise ApiError(400, f"Bad Request: botsim parses HTML only, not {parse_mode}")
    for entity in found:
        entity.pop("_language", None)
    found.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return _strip(plain, found)


_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def bot_command_entities(text: str) -> list[JSONDict]:
    """Return the ``bot_command`` entities Telegram attaches to a user's ``text``."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND_RE.finditer(text)
    ]
