"""The guide: its data model, and loading it from YAML with every problem reported at once."""

from __future__ import annotations

import importlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.validation import (
    Choice,
    ListNode,
    MapNode,
    Problem,
    Record,
    RecordList,
    Report,
    Text,
    TextList,
    check,
    compose,
    plain_text,
    quote,
)


class ResourceKind(StrEnum):
    """What sort of study material a resource is."""

    DOCS = "docs"
    TUTORIAL = "tutorial"
    VIDEO = "video"
    COURSE = "course"
    BOOK = "book"
    ARTICLE = "article"
    WEBSITE = "website"
    """A project's home page."""
    REPOSITORY = "repository"
    """A project's source code repository."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A link a learner can study from."""

    title: str
    url: str
    kind: ResourceKind | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Framework:
    """One framework (or runtime) of the guide."""

    key: str
    """Identity of the framework: `name_key(name)`, unique in the guide."""
    name: str
    language: str
    description: str
    resources: tuple[Resource, ...]
    aliases: tuple[str, ...] = ()
    summary: str | None = None
    """One line, short enough for an autocomplete or select description."""
    used_by: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    also_for: tuple[str, ...] = ()
    """Other languages whose learners can pick it, as JavaScript learners can a TypeScript one."""

    def is_for(self, language: str) -> bool:
        """Return whether a learner of `language` (any case) can pick this framework."""
        folded = language.casefold()
        return any(own.casefold() == folded for own in (self.language, *self.also_for))


@dataclass(frozen=True, slots=True, kw_only=True)
class Prerequisites:
    """What a learner should know before picking a framework."""

    text: str
    languages: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Guide:
    """A whole guide, validated; nothing downstream sees raw YAML."""

    title: str
    intro: str
    prerequisites: Prerequisites
    frameworks: tuple[Framework, ...]
    conclusion: str
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    """What the file does harmlessly but untidily, like an alias equal to its framework's name."""
    _by_key: dict[str, Framework] = field(init=False, repr=False, compare=False)
    _languages: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {fw.key: fw for fw in self.frameworks})
        object.__setattr__(self, "_languages", self._choosable_languages())

    def framework(self, key: str) -> Framework | None:
        """Return the framework whose key is `key`, if the guide has one."""
        return self._by_key.get(key)

    def languages(self) -> tuple[str, ...]:
        """Return the languages a learner can choose: the prerequisites' first, then the rest.

        Languages are compared without regard to case; a prerequisite language with no framework
        in the guide (written in it, or `also_for` it) is left out, since choosing it would lead
        nowhere. Worked out once per guide: each walkthrough click asks several times.
        """
        return self._languages

    def _choosable_languages(self) -> tuple[str, ...]:
        written = [language for fw in self.frameworks for language in (fw.language, *fw.also_for)]
        spoken = {language.casefold() for language in written}
        ordered: dict[str, str] = {}
        for language in (*self.prerequisites.languages, *written):
            folded = language.casefold()
            if folded in spoken and folded not in ordered:
                ordered[folded] = language
        return tuple(ordered.values())

    def frameworks_for(self, language: str) -> tuple[Framework, ...]:
        """Return the frameworks written in `language` (any case), in guide order."""
        folded = language.casefold()
        return tuple(fw for fw in self.frameworks if fw.language.casefold() == folded)

    def choices_for(self, language: str) -> tuple[Framework, ...]:
        """Return what a learner of `language` can pick: its own frameworks, then the rest."""
        own = self.frameworks_for(language)
        return own + tuple(fw for fw in self.frameworks if fw.is_for(language) and fw not in own)


def name_key(text: str) -> str:
    """Return the form of a name used to compare names, aliases and queries.

    Case, width, spaces and punctuation are ignored, and so is a trailing "js", so that
    "Node.js", "nodejs", "NODE JS" and "node" all give "node".
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    key = "".join(char for char in folded if char.isalnum())
    if key.endswith("js") and len(key) > len("js"):
        key = key.removesuffix("js")
    return key


# Loading and validating

GUIDE_MAX_BYTES = 8 * 1024 * 1024
"""Largest guide file read; a guide of 10,000 frameworks takes about 7 MB."""

# The guide contract: limits chosen so that what Discord shows can hold the text.
TITLE_MAX_CHARS = 256
"""Guide title: an embed title."""
LONG_TEXT_MAX_CHARS = 4096
"""Intro, prerequisites text, framework description, conclusion: an embed description."""
NAME_MAX_CHARS = 80
"""Framework name, alias and language: a button label."""
SUMMARY_MAX_CHARS = 100
"""Framework summary: a select option's or autocomplete choice's description."""
LIST_ITEM_MAX_CHARS = 100
"""One entry of used_by, features, prerequisites languages and concepts."""
RESOURCE_TITLE_MAX_CHARS = 200
"""Resource title: fits an embed field name (256) with room for the kind."""
URL_MAX_CHARS = 512
"""Resource URL: a link button's URL."""

DEFAULT_GUIDE_PATH = Path(importlib.import_module("bot.data").__path__[0]) / "guide.yaml"
"""The guide shipped inside the package: `data/guide.yaml` in the repository, which
pyproject.toml builds in as `bot.data`, so a wheel or pipx install finds it wherever it runs.

Found in the package's folder, as importlib.resources would find it there: that module and the
zipfile module it imports would cost the bot 0.4 MiB of memory and 3 ms of start-up for this one
path (bench/e2e.py)."""

# A NUL or another control character YAML refuses: all but what PyYAML's reader allows (tab,
# line feed, carriage return, x20-x7E, x85, xA0-xD7FF, xE000-xFFFD, x10000 and up). Listed as
# these few ranges it compiles in 0.7 ms; as a negated class of the allowed ones it took 7 ms,
# at every start of every guidebot command.
_NOT_YAML_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"
)
# What YAML (and so every position PyYAML gives) counts as the end of a line.
_YAML_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_ASCII_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _has_space_or_control(text: str) -> bool:
    if text.isascii():
        return _ASCII_SPACE_OR_CONTROL.search(text) is not None
    return any(char.isspace() or unicodedata.category(char).startswith("C") for char in text)


def _url_problem(url: str) -> str | None:
    """Return what is wrong with `url` as a resource link, or None if nothing is."""
    if _has_space_or_control(url):
        return f"{quote(url)} has spaces or control characters in it"
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:  # as for "http://[::1" (an unclosed IPv6 host)
        scheme, host = "", None
    if scheme not in {"http", "https"} or not host:
        return f"{quote(url)} is not an http(s) URL"
    return None


_TEXT_LIST = TextList(LIST_ITEM_MAX_CHARS)
_RESOURCE = Record(
    {
        "title": Text(RESOURCE_TITLE_MAX_CHARS, required=True),
        "url": Text(URL_MAX_CHARS, required=True, rule=_url_problem),
        "kind": Choice(tuple(kind.value for kind in ResourceKind), noun="kind"),
    }
)
_FRAMEWORK = Record(
    {
        "name": Text(NAME_MAX_CHARS, required=True),
        "aliases": TextList(NAME_MAX_CHARS),
        "language": Text(NAME_MAX_CHARS, required=True),
        "summary": Text(SUMMARY_MAX_CHARS),
        "description": Text(LONG_TEXT_MAX_CHARS, required=True),
        "used_by": _TEXT_LIST,
        "features": _TEXT_LIST,
        "also_for": TextList(NAME_MAX_CHARS),
        "resources": RecordList(_RESOURCE, "has no resources", required=True),
    }
)
GUIDE_SPEC = Record(
    {
        "title": Text(TITLE_MAX_CHARS, required=True),
        "intro": Text(LONG_TEXT_MAX_CHARS, required=True),
        "prerequisites": Record(
            {
                "text": Text(LONG_TEXT_MAX_CHARS, required=True),
                "languages": _TEXT_LIST,
                "concepts": _TEXT_LIST,
            },
            required=True,
        ),
        "frameworks": RecordList(_FRAMEWORK, "has no frameworks", required=True),
        "conclusion": Text(LONG_TEXT_MAX_CHARS, required=True),
    }
)
"""Every field of a guide file, its type, whether it is required, and its limits."""


class GuideError(ValueError):
    """The guide can't be used; `problems` says every reason, each at its place in the file."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def load_guide(path: Path) -> Guide:
    """Read and validate the guide file at `path`.

    Problems are reported against `str(path)`, so a relative path stays relative. The size is
    checked before the file is read, and only a regular file is opened.

    Raises:
        GuideError: The file can't be read or isn't a valid guide.
    """
    source = str(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise _file_error(source, "is not a regular file")
        with path.open("rb") as file:
            _check_size(os.fstat(file.fileno()).st_size, source)
            data = file.read(GUIDE_MAX_BYTES + 1)
    except OSError as exc:
        raise _file_error(source, f"can't be read: {exc.strerror or exc}") from exc
    _check_size(len(data), source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        byte = f"byte {data[exc.start]:#04x} can't be decoded"
        message = f"the file is not UTF-8 text: {byte} (is it binary, or in another encoding?)"
        raise GuideError([Problem(source, line, column, "", message)]) from exc
    return parse_guide(text, source=source)


def parse_guide(text: str, *, source: str = "<guide>") -> Guide:
    """Validate the YAML `text` of a guide and build it.

    Args:
        text: The guide file's text.
        source: What to call the file in problems, usually its path.

    Returns:
        The guide, with surrounding spaces stripped from every text.

    Raises:
        GuideError: Every problem found, sorted by line and column.
    """
    if len(text) > GUIDE_MAX_BYTES // 4:  # only a long text can be too many bytes
        _check_size(len(text.encode("utf-8", "surrogatepass")), source)
    report = Report(source)
    bad_char = _NOT_YAML_TEXT.search(text)
    if bad_char:
        line, column = _text_position(text, bad_char.start())
        report.add(line, column, "", _bad_char_message(bad_char.group()))
        raise GuideError(report.problems())
    root = compose(text, report)
    data = check(root, GUIDE_SPEC, "", report) if root is not None else None
    if isinstance(root, MapNode):
        _check_names(root, report)
        _check_urls(root, report)
    if data is not None and not report:
        return _build(data, report.warnings())
    raise GuideError(report.problems())


def _check_size(size: int, source: str) -> None:
    if size > GUIDE_MAX_BYTES:
        limit = f"{GUIDE_MAX_BYTES} ({GUIDE_MAX_BYTES // 2**20} MiB)"
        message = f"the file is {size} bytes; at most {limit} are read"
        raise GuideError([Problem(source, 1, 1, "", message)])


def _file_error(source: str, message: str) -> GuideError:
    return GuideError([Problem(source, 1, 1, "", f"the file {message}")])


def _text_position(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based line and column of `text[index]`, counting YAML's line breaks."""
    line, line_start = 1, 0
    for line_break in _YAML_LINE_BREAK.finditer(text, 0, index):
        line, line_start = line + 1, line_break.end()
    return line, index - line_start + 1


def _byte_position(data: bytes, index: int) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of byte `index` of `data`."""
    line_start = data.rfind(b"\n", 0, index) + 1
    column = len(data[line_start:index].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, index) + 1, column


def _bad_char_message(char: str) -> str:
    if char == "\0":
        return "the file has NUL bytes; is it a binary file?"
    return f"the file has the control character U+{ord(char):04X}, which YAML does not allow"


def _check_names(root: MapNode, report: Report) -> None:
    """Report names and aliases that collide, across the whole guide, by `name_key`.

    A collision between two frameworks is a problem: a learner typing it would get either. One
    within a framework (`aliases: [node, nodejs]` on Node.js) is only a warning: it is harmless.
    """
    owners: dict[str, tuple[int, str]] = {}  # name key -> (index of its framework, path of use)
    names: dict[int, str] = {}  # index of a framework -> its name, for messages
    for index, framework in _frameworks(root):
        base = f"frameworks[{index}]"
        name_path = f"{base}.name"
        uses = [(framework.get("name"), name_path)]
        aliases = framework.get("aliases")
        if isinstance(aliases, ListNode):
            uses += [(alias, f"{base}.aliases[{i}]") for i, alias in enumerate(aliases.items)]
        for node, path in uses:
            text = plain_text(node)
            if node is None or text is None:  # not text: reported by the spec check
                continue
            if path == name_path:
                names[index] = text
            key = name_key(text)
            if not key:
                report.at(node, path, f"{quote(text)} has no letters or digits")
                continue
            owner_index, owner_path = owners.setdefault(key, (index, path))
            if owner_path == path:
                continue
            if owner_index != index:
                owner = f"frameworks[{owner_index}]"
                if owner_index in names:
                    owner += f" ({names[owner_index]})"
                report.at(node, path, f"{quote(text)} is already used by {owner}")
            elif owner_path == name_path:
                report.warn(node, path, f"{quote(text)} is the framework's own name")
            else:
                same = owner_path.removeprefix(base + ".")
                report.warn(node, path, f"{quote(text)} duplicates {same}")


def _frameworks(root: MapNode) -> Iterator[tuple[int, MapNode]]:
    """Yield the index and node of each framework that is a mapping."""
    frameworks = root.get("frameworks")
    if isinstance(frameworks, ListNode):
        for index, framework in enumerate(frameworks.items):
            if isinstance(framework, MapNode):
                yield index, framework


def _check_urls(root: MapNode, report: Report) -> None:
    """Report a URL given twice in one framework, ignoring host case, fragment and final slash."""
    for index, framework in _frameworks(root):
        resources = framework.get("resources")
        if not isinstance(resources, ListNode):
            continue
        first_use: dict[str, int] = {}
        for position, resource in enumerate(resources.items):
            url_node = resource.get("url") if isinstance(resource, MapNode) else None
            url = plain_text(url_node)
            if url_node is None or url is None or _url_problem(url):
                continue
            first = first_use.setdefault(_comparable_url(url), position)
            if first != position:
                path = f"frameworks[{index}].resources[{position}].url"
                report.at(url_node, path, f"duplicates resources[{first}].url")


def _comparable_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _build(data: dict[str, Any], warnings: tuple[Problem, ...]) -> Guide:
    prerequisites = data["prerequisites"]
    return Guide(
        title=data["title"],
        intro=data["intro"],
        prerequisites=Prerequisites(
            text=prerequisites["text"],
            languages=prerequisites.get("languages", ()),
            concepts=prerequisites.get("concepts", ()),
        ),
        frameworks=tuple(_build_framework(framework) for framework in data["frameworks"]),
        conclusion=data["conclusion"],
        warnings=warnings,
    )


def _build_framework(data: dict[str, Any]) -> Framework:
    return Framework(
        key=name_key(data["name"]),
        name=data["name"],
        language=data["language"],
        description=data["description"],
        resources=tuple(
            Resource(
                title=resource["title"],
                url=resource["url"],
                kind=ResourceKind(resource["kind"]) if "kind" in resource else None,
            )
            for resource in data["resources"]
        ),
        aliases=data.get("aliases", ()),
        summary=data.get("summary"),
        used_by=data.get("used_by", ()),
        features=data.get("features", ()),
        also_for=data.get("also_for", ()),
    )


# Comparing two guides

_DIFF_NAMES_SHOWN = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class GuideDiff:
    """What changed between two guides, by framework, for a reload's log line and reply."""

    added: tuple[str, ...] = ()
    """Names of the frameworks only the new guide has, in its order."""
    removed: tuple[str, ...] = ()
    """Names of the frameworks only the old guide had, in its order."""
    changed: tuple[str, ...] = ()
    """Names (new spelling) of the frameworks both have that differ in any field."""
    other_changes: bool = False
    """Whether the title, intro, prerequisites, conclusion or the order of frameworks changed."""

    @property
    def has_changes(self) -> bool:
        """Whether anything at all changed."""
        return bool(self.added or self.removed or self.changed or self.other_changes)

    def summary(self) -> str:
        """Describe the changes in one line, like "1 added (Gin), 1 changed (Django)"."""
        parts = [
            f"{len(names)} {verb} ({_list_names(names)})"
            for verb, names in (
                ("added", self.added),
                ("removed", self.removed),
                ("changed", self.changed),
            )
            if names
        ]
        if self.other_changes:
            parts.append("other changes")
        return ", ".join(parts) or "no changes"


def _list_names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:_DIFF_NAMES_SHOWN])
    hidden = len(names) - _DIFF_NAMES_SHOWN
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def diff_guides(old: Guide, new: Guide) -> GuideDiff:
    """Compare two guides, matching frameworks by key.

    A framework whose name is respelt but keeps its key ("Node.js" to "NodeJS") is changed, not
    removed and added.
    """
    old_by_key = {framework.key: framework for framework in old.frameworks}
    new_by_key = {framework.key: framework for framework in new.frameworks}
    kept_old_order = [key for key in old_by_key if key in new_by_key]
    kept_new_order = [key for key in new_by_key if key in old_by_key]
    return GuideDiff(
        added=tuple(fw.name for fw in new.frameworks if fw.key not in old_by_key),
        removed=tuple(fw.name for fw in old.frameworks if fw.key not in new_by_key),
        changed=tuple(
            fw.name for fw in new.frameworks if fw.key in old_by_key and old_by_key[fw.key] != fw
        ),
        other_changes=(
            (old.title, old.intro, old.prerequisites, old.conclusion)
            != (new.title, new.intro, new.prerequisites, new.conclusion)
            or kept_old_order != kept_new_order
        ),
    )
