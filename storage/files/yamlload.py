"""Reading the YAML of a case file safely, with the line of everything in it.

`load_yaml` parses with a subclass of PyYAML's safe loader whose mappings
(`LineDict`) remember the line they start on and the line of each key, and
whose lists (`LineList`) the line of each item, so every problem can name its
line. It refuses, as one clear `CaseFileError` instead of a crash or a hang:

- text that is not valid YAML, as "line L, column C: reason" from PyYAML;
- lists and mappings nested more than `MAX_DEPTH` deep (Python would run out
  of stack long before a real case file gets there);
- aliases (`*name`) that repeat more items than the file itself holds, the
  "billion laughs" that make a small file expand without end, and aliases that
  stand for a list or mapping holding them;
- numbers too long to be any field's value, which are kept as text so that
  the checks report them like any other bad value.

Dates stay text too: `storage.files.casefile` checks them and names the line.

`Checker` then reads the loaded data field by field, checking each value's
type before using it: text where a list belongs is one problem naming the
field and its line, never one per character.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from storage.files.filesafety import CaseFileError, Problems

MAX_DEPTH = 32
"""The deepest nesting of lists and mappings read; a case file needs about six."""

MAX_REPEATED = 10_000
"""Items aliases may repeat beyond the number of items the file holds."""

MAX_NUMBER_CHARS = 20
"""A longer number is kept as text (no field holds one; Python refuses over 4,300 digits)."""


class LineDict(dict[str, Any]):
    """A YAML mapping with its line (`line`) and the line of each key (`line_of`)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line `key` is written on, else the mapping's own line."""
        lines: dict[str, int] = getattr(self, "key_lines", {})
        return lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML list with the line of each item (`lines`) and of the list itself (`line`)."""

    line: int = 0
    lines: list[int]


def _construct_mapping(loader: _Loader, node: MappingNode) -> LineDict:
    pairs = loader.construct_mapping(node, deep=True)
    mapping = LineDict({str(key): value for key, value in pairs.items()})
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {
        str(loader.construct_object(key_node)): key_node.start_mark.line + 1
        for key_node, _ in node.value
    }
    return mapping


def _construct_sequence(loader: _Loader, node: SequenceNode) -> LineList:
    items = LineList(loader.construct_sequence(node, deep=True))
    items.line = node.start_mark.line + 1
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


def _construct_timestamp_as_text(loader: _Loader, node: ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_int(loader: _Loader, node: ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    if len(text) > MAX_NUMBER_CHARS:
        return text
    number: int = loader.construct_yaml_int(node)
    return number


def _mark(event: yaml.Event) -> yaml.Mark | None:
    mark = event.start_mark
    return mark if isinstance(mark, yaml.Mark) else None


class _Loader(yaml.SafeLoader):
    """The safe loader, with lines kept and the limits of this module enforced."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0  # lists and mappings open around the node being composed
        self._items = 0  # nodes composed from the text itself
        self._repeated = 0  # nodes that aliases stand for
        self._shapes: dict[int, tuple[int, int]] = {}  # id(collection) → (nodes, depth)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if node is not None:
                self._count_alias(node, event)
            return node
        self._items += 1
        if isinstance(event, yaml.ScalarEvent):
            scalar = super().compose_node(parent, index)
            if scalar is not None:
                scalar.end_mark = None  # unused once composed; a quarter of the memory
            return scalar
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"lists and mappings nested more than {MAX_DEPTH} deep",
                _mark(event),
            )
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, CollectionNode):
            node.end_mark = None
            children = (
                [child for pair in node.value for child in pair]
                if isinstance(node, MappingNode)
                else list(node.value)
            )
            shapes = [self._shapes.get(id(child), (1, 0)) for child in children]
            self._shapes[id(node)] = (
                1 + sum(size for size, _ in shapes),
                1 + max((depth for _, depth in shapes), default=0),
            )
        return node

    def _count_alias(self, node: Node, event: yaml.AliasEvent) -> None:
        size, depth = 1, 0
        if isinstance(node, CollectionNode):
            shape = self._shapes.get(id(node))
            if shape is None:
                raise ComposerError(
                    None,
                    None,
                    f"alias *{str(event.anchor)[:40]} stands for a list or mapping that holds it",
                    _mark(event),
                )
            size, depth = shape
        if self._depth + depth > MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"lists and mappings nested more than {MAX_DEPTH} deep "
                f"(through alias *{str(event.anchor)[:40]})",
                _mark(event),
            )
        self._repeated += size
        if self._repeated > max(MAX_REPEATED, self._items):
            raise ComposerError(
                None,
                None,
                f"aliases (*{str(event.anchor)[:40]} and others) repeat more items than the "
                "file holds; write the items out instead",
                _mark(event),
            )


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> str:
    """PyYAML's error as "line L, column C: reason (while …, at line L, column C)"."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        reason = (exc.problem or "not valid YAML")[:200]
        context = exc.context_mark
        if exc.context:
            at = "" if context is None or context.index == mark.index else f" at {_where(context)}"
            reason += f" ({exc.context[:100]}{at})"
        return f"{_where(mark)}: {reason}"
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.position, int):
        position = min(exc.position, len(text))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = exc.character
        code = ord(character) if isinstance(character, str) and len(character) == 1 else character
        shown = f"U+{code:04X}" if isinstance(code, int) else "a character"
        return f"line {line}, column {column}: {shown} is not allowed in YAML ({exc.reason})"
    return f"line 1: not valid YAML ({str(exc)[:200]})"


def load_yaml(text: str) -> Any:
    """The data of a YAML text, lines kept; raise CaseFileError when it cannot be read."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise CaseFileError([describe_yaml_error(exc, text)]) from exc
    except RecursionError as exc:  # a backstop: MAX_DEPTH keeps the stack far from its end
        raise CaseFileError(["line 1: lists and mappings are nested too deeply to read"]) from exc


def kind_of(value: Any) -> str:
    """What a value is, for a problem message: `text`, `a list`, `a mapping`, …"""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def quoted(value: Any, limit: int = 40) -> str:
    """A value quoted for a problem message, cut to `limit`; a list or mapping by its kind."""
    if isinstance(value, dict | list | set):
        return kind_of(value)
    text = str(value)
    return repr(text[:limit] + "…" if len(text) > limit else text)


class Checker:
    """Reads fields of loaded YAML, checking each one's type, and collects the problems.

    Every method takes the line to blame from the data (`LineDict.line_of`,
    `LineList.lines`); problems go to `problems`, which keeps the first ones
    by line (see `storage.files.filesafety.Problems`).
    """

    def __init__(self) -> None:
        self.problems = Problems()

    def fail(self, line: int, message: str) -> None:
        """Record a problem on `line`."""
        self.problems.add(line, message)

    def mapping(self, value: Any, line: int, what: str) -> LineDict | None:
        """`value` when it is a mapping; else None, and a problem on `line`."""
        if isinstance(value, LineDict):
            return value
        self.fail(line, f"{what} must be a mapping, not {kind_of(value)}")
        return None

    def records(self, data: LineDict, key: str, what: str) -> list[LineDict]:
        """The mappings listed under `key`; a non-list, or an item that is no mapping, is reported.

        Text (or a mapping) where the list belongs is one problem, never one per
        character (or key).
        """
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, LineList):
            self.fail(data.line_of(key), f"{key!r} must be a list, not {kind_of(value)}")
            return []
        found: list[LineDict] = []
        for line, item in zip(value.lines, value, strict=True):
            if isinstance(item, LineDict):
                found.append(item)
            else:
                self.fail(line, f"{what} in {key!r} must be a mapping, not {kind_of(item)}")
        return found

    def keys(self, data: LineDict, allowed: set[str], required: set[str], what: str) -> None:
        """Report each key of `data` not `allowed`, and each `required` one missing."""
        for key in sorted(set(data) - allowed, key=str):
            self.fail(data.line_of(key), f"unknown key {key[:40]!r} in {what}")
        for key in sorted(required - set(data)):
            self.fail(data.line, f"{what} lacks {key!r}")

    def word(self, data: LineDict, key: str, what: str) -> str | None:
        """A one-word field (a slug, a zone, a date, a time) as text; None when absent or bad."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dict | list | set):
            self.fail(data.line_of(key), f"{what} must be text, not {kind_of(value)}")
            return None
        return str(value)

    def text(self, value: Any, line: int, what: str, *, limit: int) -> str | None:
        """A text field, trimmed, of at most `limit` characters; None when empty or bad."""
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(line, f"{what} must be text, not {kind_of(value)}")
            return None
        text = str(value).strip()
        if len(text) > limit:
            self.fail(line, f"{what} is longer than {limit} characters")
            return None
        return text or None

    def position(self, data: LineDict, key: str, what: str) -> int:
        """A small whole number (0 to 999) that orders items; 0 when absent or bad."""
        value = data.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 999:
            self.fail(data.line_of(key), f"{what} must be a whole number from 0 to 999")
            return 0
        return value

    def day(self, data: LineDict, key: str, what: str) -> date | None:
        """A `YYYY-MM-DD` field as a date; None when absent or bad."""
        text = self.word(data, key, what)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(data.line_of(key), f"{what} {text[:40]!r} is not a date like 2020-01-21")
            return None

    def choice(self, value: Any, line: int, what: str, allowed: tuple[str, ...]) -> str | None:
        """`value` when it is one of `allowed`; None when absent or bad."""
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            self.fail(line, f"{what} {quoted(value)} is not one of: {', '.join(allowed)}")
            return None
        return value
