"""Reading YAML text into positioned nodes and checking them against a table of field specs.

Generic and pure: nothing here knows what a guide is (`bot.guide` holds the guide's field table
and the rules that span fields). Every problem is reported with the line and column of the YAML
node it is about, and checking goes on after a problem so that all of them are reported at once.

The composer is ours rather than `yaml.compose` because the file may be hostile: ours is a loop,
not a recursion, stops at `YAML_MAX_DEPTH` and `YAML_MAX_NODES`, refuses aliases (so a "billion
laughs" file cannot expand) and tags other than plain strings, lists and mappings, and reports a
key given twice instead of silently keeping the last. It reads the events of PyYAML's safe loader
(the libyaml one when available, which is also about twice as fast as libyaml's own composer
here) and keeps only what checking needs: values, tags and 1-based positions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import yaml

YAML_MAX_DEPTH = 50
"""Deepest nesting of lists and mappings read; a guide needs 5 levels."""
YAML_MAX_NODES = 1_000_000
"""Most values read from one file; a guide of 10,000 frameworks has about 450,000."""
PROBLEMS_MAX = 500
"""Most problems reported; past this the rest are only counted, so a hostile file can't flood."""
QUOTE_MAX_CHARS = 60
"""Longest value quoted whole in a message; longer ones are cut."""

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
"""What YAML counts as a line break."""

_TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = _TAG_PREFIX + "str"
NULL_TAG = _TAG_PREFIX + "null"
_COLLECTION_TAGS = frozenset({None, "!", _TAG_PREFIX + "seq", _TAG_PREFIX + "map"})
_SCALAR_KINDS = {
    STR_TAG: "a string",
    NULL_TAG: "nothing",
    _TAG_PREFIX + "int": "a number",
    _TAG_PREFIX + "float": "a number",
    _TAG_PREFIX + "bool": "a boolean",
    _TAG_PREFIX + "timestamp": "a date",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, at the YAML node it is about."""

    source: str
    """The file, as the caller named it."""
    line: int
    """1-based line of the offending node."""
    column: int
    """1-based column of the offending node."""
    field: str
    """Path of the value, like `frameworks[3].resources[1].url`; empty for the whole file."""
    message: str
    warning: bool = False
    """Whether the file still works despite it (`guidebot check --strict` refuses it anyway)."""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.column}"
        if self.warning:
            where += ": warning"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class Report:
    """The problems found in one file, in the order they were found, and its warnings apart."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._problems: list[Problem] = []
        self._dropped = 0
        self._warnings: list[Problem] = []

    def __bool__(self) -> bool:
        return bool(self._problems)

    def add(self, line: int, column: int, field: str, message: str) -> None:
        """Record a problem at a 1-based `line` and `column`."""
        if len(self._problems) < PROBLEMS_MAX:
            self._problems.append(Problem(self.source, line, column, field, message))
        else:
            self._dropped += 1

    def at(self, node: Node, field: str, message: str) -> None:
        """Record a problem at the position of `node`."""
        self.add(node.line, node.column, field, message)

    def warn(self, node: Node, field: str, message: str) -> None:
        """Record a warning at the position of `node`: harmless, but worth tidying."""
        if len(self._warnings) < PROBLEMS_MAX:
            problem = Problem(self.source, node.line, node.column, field, message, warning=True)
            self._warnings.append(problem)

    def warnings(self) -> tuple[Problem, ...]:
        """Return the warnings sorted by position (at most `PROBLEMS_MAX`)."""
        return tuple(sorted(self._warnings, key=lambda problem: (problem.line, problem.column)))

    def problems(self) -> tuple[Problem, ...]:
        """Return the problems sorted by position, then a count of any left out."""
        ordered = sorted(self._problems, key=lambda problem: (problem.line, problem.column))
        if self._dropped:
            last = ordered[-1]
            more = f"{self._dropped} more problems not shown; fix the ones above first"
            ordered.append(Problem(self.source, last.line, last.column, "", more))
        return tuple(ordered)


class ScalarNode:
    """A scalar, with the tag YAML resolved it to (`STR_TAG` for text)."""

    __slots__ = ("column", "line", "tag", "value")

    def __init__(self, value: str, tag: str, line: int, column: int) -> None:
        self.value = value
        self.tag = tag
        self.line = line
        self.column = column


class ListNode:
    """A sequence."""

    __slots__ = ("column", "items", "line")

    def __init__(self, line: int, column: int) -> None:
        self.items: list[Node] = []
        self.line = line
        self.column = column


class MapNode:
    """A mapping: its text keys in order, each with its key node and value node."""

    __slots__ = ("column", "entries", "line", "odd_keys")

    def __init__(self, line: int, column: int) -> None:
        self.entries: dict[str, tuple[ScalarNode, Node]] = {}
        self.odd_keys: list[Node] = []
        """Keys that are lists or mappings, which no field can have."""
        self.line = line
        self.column = column

    def get(self, key: str) -> Node | None:
        """Return the value node of `key`, if the mapping has it."""
        entry = self.entries.get(key)
        return None if entry is None else entry[1]


class BadNode:
    """Stands in for a value already reported (an alias, an unsupported tag); checks skip it."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


Node = ScalarNode | ListNode | MapNode | BadNode


class _StopReadingError(Exception):
    """Raised inside the composer after reporting a problem that ends reading."""


class _Open:
    """A list or mapping the composer is inside of."""

    __slots__ = ("key", "node", "tag_ok")

    def __init__(self, node: ListNode | MapNode, *, tag_ok: bool) -> None:
        self.node = node
        self.tag_ok = tag_ok
        self.key: Node | None = None
        """In a mapping, the key read whose value comes next."""


def _yaml() -> ModuleType:
    """Return PyYAML, imported on the first parse.

    The running bot parses its guide in a child process (`bot.apart`), so it never needs PyYAML:
    importing it would cost the bot 1.5 MiB of memory and 15 ms of start-up (bench/e2e.py).
    """
    import yaml

    return yaml


def _loader() -> Any:
    """Return PyYAML's safe loader: the libyaml one when available (twice as fast)."""
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, report: Report) -> Node | None:
    """Read the YAML document in `text` into nodes.

    Returns:
        The document's root node, or None if there is nothing to check: the text is empty, or a
        problem (a syntax error, nesting too deep, too many values) stopped the reading. Every
        problem found is in `report`.
    """
    yaml = _yaml()
    loader = _loader()(text)
    try:
        root = _compose(loader, report)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _place(mark, text) if mark else (1, 1)
        report.add(line, column, "", _syntax_message(exc, text))
        return None
    except yaml.YAMLError as exc:
        report.add(1, 1, "", f"YAML error: {exc}")
        return None
    except _StopReadingError:
        return None
    finally:
        loader.dispose()
    if root is None or is_null(root):
        report.add(1, 1, "", "the file is empty")
        return None
    return root


def _compose(loader: Any, report: Report) -> Node | None:
    yaml = _yaml()
    # The resolvers of the safe loader, by first character; "" is the empty scalar (null).
    implicit_tags = yaml.SafeLoader.yaml_implicit_resolvers
    stack: list[_Open] = []
    root: Node | None = None
    documents = 0
    count = 0
    get_event = loader.get_event
    while True:
        event = get_event()
        kind = type(event)
        node: Node
        if kind is yaml.ScalarEvent:
            mark = event.start_mark
            line, column = mark.line + 1, mark.column + 1
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(event.value, implicit_tags) if event.implicit[0] else STR_TAG
            if tag in _SCALAR_KINDS:
                node = ScalarNode(event.value, tag, line, column)
            else:
                report.add(line, column, _path(stack), _tag_message(tag))
                node = BadNode(line, column)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            mark = event.start_mark
            line, column = mark.line + 1, mark.column + 1
            if len(stack) >= YAML_MAX_DEPTH:
                report.add(line, column, "", f"nested more than {YAML_MAX_DEPTH} levels deep")
                raise _StopReadingError
            tag_ok = event.tag in _COLLECTION_TAGS
            if not tag_ok:
                report.add(line, column, _path(stack), _tag_message(event.tag))
            opened = MapNode if kind is yaml.MappingStartEvent else ListNode
            stack.append(_Open(opened(line, column), tag_ok=tag_ok))
            count += 1
            continue
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            closed = stack.pop()
            node = closed.node if closed.tag_ok else BadNode(closed.node.line, closed.node.column)
            count -= 1  # counted when opened
        elif kind is yaml.AliasEvent:
            mark = event.start_mark
            line, column = mark.line + 1, mark.column + 1
            message = f"YAML aliases (*{event.anchor}) are not supported; write the value out"
            report.add(line, column, _path(stack), message)
            node = BadNode(line, column)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                mark = event.start_mark
                message = "a second YAML document; the file must hold one"
                report.add(mark.line + 1, mark.column + 1, "", message)
                return root
            continue
        elif kind is yaml.StreamEndEvent:
            return root
        else:  # stream start, document end
            continue
        count += 1
        if count > YAML_MAX_NODES:
            report.at(node, "", f"holds more than {YAML_MAX_NODES} values")
            raise _StopReadingError
        if not stack:
            root = node
            continue
        parent = stack[-1].node
        if isinstance(parent, ListNode):
            parent.items.append(node)
        else:
            _add_to_mapping(stack, parent, node, report)


def _resolve(plain: str, implicit_tags: dict[str, Any]) -> str:
    """Return the tag YAML gives an untagged, unquoted scalar: int for `2048`, bool for `yes`."""
    for tag, pattern in implicit_tags.get(plain[:1], ()):
        if pattern.match(plain):
            # "<<" and "=" are special only when merging mappings, which we don't do
            return tag if tag in _SCALAR_KINDS else STR_TAG
    return STR_TAG


def _add_to_mapping(stack: list[_Open], parent: MapNode, node: Node, report: Report) -> None:
    """Add `node` to `parent`, the innermost open mapping: as a key, or as the last key's value."""
    top = stack[-1]
    key = top.key
    if key is None:
        top.key = node
        return
    top.key = None
    if isinstance(key, ScalarNode):
        first = parent.entries.get(key.value)
        if first is None:
            parent.entries[key.value] = (key, node)
        else:
            first_key = first[0]
            message = (
                f"duplicate key {quote(key.value)}"
                f" (first at line {first_key.line}, column {first_key.column})"
            )
            report.at(key, _path(stack), message)
    elif not isinstance(key, BadNode):
        parent.odd_keys.append(key)


def _path(stack: list[_Open]) -> str:
    """Return the field path of the next node to be read, like `frameworks[2].name`."""
    path = ""
    for frame in stack:
        node = frame.node
        if isinstance(node, ListNode):
            path += f"[{len(node.items)}]"
        elif frame.key is None:  # the next node is a key: report it at its mapping
            break
        else:
            key = _cut(frame.key.value) if isinstance(frame.key, ScalarNode) else "?"
            path = f"{path}.{key}" if path else key
    return path


def _place(mark: yaml.Mark, text: str) -> tuple[int, int]:
    """Return the 1-based line and column of `mark` in `text`.

    libyaml marks the end of the text as the start of a line after it, even when the text has
    no final line break; an editor has no such line, so the end is shown after the last
    character of the last line that has one.
    """
    if mark.index < len(text.rstrip("\r\n\x85\u2028\u2029")):
        return mark.line + 1, mark.column + 1
    lines = _LINE_BREAK.split(text.rstrip("\r\n\x85\u2028\u2029"))
    return len(lines), len(lines[-1]) + 1


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = exc.problem or exc.context or "not valid YAML"
    if "nesting depth" in problem:  # libyaml's own limit, deeper than ours
        return f"nested more than {YAML_MAX_DEPTH} levels deep"
    message = f"YAML syntax error: {problem}"
    mark = exc.context_mark
    if exc.problem and exc.context and mark:
        line, column = _place(mark, text)
        message += f" ({exc.context} at line {line}, column {column})"
    return message


def _tag_message(tag: str) -> str:
    shown = "!!" + tag.removeprefix(_TAG_PREFIX) if tag.startswith(_TAG_PREFIX) else tag
    return f"YAML tag {quote(shown)} is not supported; write plain text, lists and mappings"


# Checking against specs


@dataclass(frozen=True, slots=True)
class Text:
    """A non-empty string of at most `max_chars` characters, kept without surrounding spaces."""

    max_chars: int
    required: bool = False
    rule: Callable[[str], str | None] | None = None
    """A further rule: returns the message for a bad value, or None."""
    expected: ClassVar[str] = "a string"


@dataclass(frozen=True, slots=True)
class TextList:
    """A list of `Text`s, possibly empty."""

    item_max_chars: int
    required: bool = False
    expected: ClassVar[str] = "a list of strings"


@dataclass(frozen=True, slots=True)
class Choice:
    """A string from a closed set; `noun` names it in messages ("unknown kind 'x'")."""

    choices: tuple[str, ...]
    noun: str
    required: bool = False
    expected: ClassVar[str] = "a string"


@dataclass(frozen=True, slots=True)
class Record:
    """A mapping with these fields and no others; checks to a dict of the fields present."""

    fields: Mapping[str, Spec]
    required: bool = False
    expected: ClassVar[str] = "a mapping"


@dataclass(frozen=True, slots=True)
class RecordList:
    """A non-empty list of `record`s; `empty_message` is the problem when it is empty."""

    record: Record
    empty_message: str
    required: bool = False
    expected: ClassVar[str] = "a list"


Spec = Text | TextList | Choice | Record | RecordList


def check(node: Node, spec: Spec, path: str, report: Report) -> Any:
    """Check `node` against `spec`, reporting every problem under the field path `path`.

    Returns:
        The plain value (str, tuple of str, dict or list of dicts), or None when `node` is unusable.
        Parts with problems are left out, so build from it only when `report` is empty.
    """
    if isinstance(node, BadNode):
        return None
    if is_null(node):
        report.at(node, path, "is empty")
        return None
    match spec:
        case Text():
            return _check_text(node, spec.max_chars, spec.rule, path, report)
        case Choice():
            return _check_choice(node, spec, path, report)
        case TextList():
            if not isinstance(node, ListNode):
                return _wrong_type(node, spec, path, report)
            checked = (
                _check_text(item, spec.item_max_chars, None, f"{path}[{index}]", report)
                for index, item in enumerate(node.items)
            )
            return tuple(text for text in checked if text is not None)
        case Record():
            return _check_record(node, spec, path, report)
        case RecordList():
            if not isinstance(node, ListNode):
                return _wrong_type(node, spec, path, report)
            if not node.items:
                report.at(node, path, spec.empty_message)
            records = (
                check(item, spec.record, f"{path}[{index}]", report)
                for index, item in enumerate(node.items)
            )
            return [record for record in records if record is not None]


def _check_record(node: Node, spec: Record, path: str, report: Report) -> dict[str, Any] | None:
    if not isinstance(node, MapNode):
        _wrong_type(node, spec, path, report)
        return None
    for key in node.odd_keys:
        report.at(key, path, f"a key must be a string, got {describe(key)}")
    values: dict[str, Any] = {}
    for name, (key, value) in node.entries.items():
        field_spec = spec.fields.get(name)
        field_path = f"{path}.{name}" if path else name
        if field_spec is None:
            report.at(key, path, _unknown_message("key", name, tuple(spec.fields)))
        elif is_null(value):
            if field_spec.required:
                report.at(key, field_path, "missing a value")
        else:
            checked = check(value, field_spec, field_path, report)
            if checked is not None:
                values[name] = checked
    for name, field_spec in spec.fields.items():
        if field_spec.required and name not in node.entries:
            report.at(node, path, f"missing required field {quote(name)}")
    return values


def _check_text(
    node: Node,
    max_chars: int,
    rule: Callable[[str], str | None] | None,
    path: str,
    report: Report,
) -> str | None:
    text = string_value(node, path, report)
    if text is None:
        return None
    if len(text) > max_chars:
        report.at(node, path, f"is {len(text)} characters long; at most {max_chars} fit")
        return None
    message = rule(text) if rule else None
    if message:
        report.at(node, path, message)
        return None
    return text


def _check_choice(node: Node, spec: Choice, path: str, report: Report) -> str | None:
    text = string_value(node, path, report)
    if text is None or text in spec.choices:
        return text
    report.at(node, path, _unknown_message(spec.noun, text, spec.choices))
    return None


def string_value(node: Node, path: str, report: Report) -> str | None:
    """Return the text of a string node without surrounding spaces; report anything else."""
    if isinstance(node, BadNode):
        return None
    if not isinstance(node, ScalarNode):
        report.at(node, path, f"expected a string, got {describe(node)}")
        return None
    if node.tag == NULL_TAG:
        report.at(node, path, "is empty")
        return None
    if node.tag != STR_TAG:
        reads = f"YAML reads {quote(node.value)} as {describe(node)}"
        report.at(node, path, f"expected a string, but {reads}; put it in quotes")
        return None
    text = node.value.strip()
    if not text:
        report.at(node, path, "is empty")
        return None
    return text


def plain_text(node: Node | None) -> str | None:
    """Return the text of a string node without surrounding spaces, or None if it has none."""
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return node.value.strip() or None
    return None


def is_null(node: Node) -> bool:
    """Tell whether `node` is YAML's null: nothing written, `~` or `null`."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def describe(node: Node) -> str:
    """Name what `node` is, as in "got a list"."""
    if isinstance(node, MapNode):
        return "a mapping"
    if isinstance(node, ListNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return _SCALAR_KINDS.get(node.tag, "a value")
    return "an unsupported value"


def _wrong_type(node: Node, spec: Spec, path: str, report: Report) -> None:
    report.at(node, path, f"expected {spec.expected}, got {describe(node)}")


def _unknown_message(noun: str, value: str, allowed: tuple[str, ...]) -> str:
    close = closest(value.casefold(), allowed)
    hint = f"did you mean {quote(close)}?" if close else f"expected one of: {', '.join(allowed)}"
    return f"unknown {noun} {quote(value)} ({hint})"


def closest(word: str, options: Sequence[str]) -> str | None:
    """Return the option that `word` most likely misspells, if one is close enough.

    difflib is imported here, by the rare message that asks "did you mean": imported at start-up,
    it costs the bot 0.2 MiB of memory it never uses (bench/e2e.py).
    """
    from difflib import get_close_matches

    close = get_close_matches(word, options, n=1)
    return close[0] if close else None


def quote(value: str) -> str:
    """Quote `value` for a message, repr-style, cut to about `QUOTE_MAX_CHARS` characters."""
    return repr(_cut(value))


def _cut(value: str) -> str:
    if len(value) > QUOTE_MAX_CHARS:
        return value[: QUOTE_MAX_CHARS - 1] + "…"
    return value
