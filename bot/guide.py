"""The guide: its data model, and loading it from YAML with every problem reported at once."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum


class ResourceKind(StrEnum):
    """What sort of study material a resource is."""

    DOCS = "docs"
    TUTORIAL = "tutorial"
    VIDEO = "video"
    COURSE = "course"
    BOOK = "book"
    ARTICLE = "article"


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
    _by_key: dict[str, Framework] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {fw.key: fw for fw in self.frameworks})

    def framework(self, key: str) -> Framework | None:
        """Return the framework whose key is `key`, if the guide has one."""
        return self._by_key.get(key)

    def languages(self) -> tuple[str, ...]:
        """Return the languages a learner can choose: the prerequisites' first, then the rest.

        Languages are compared without regard to case; a prerequisite language with no framework
        in the guide is left out, since choosing it would lead nowhere.
        """
        spoken = {fw.language.casefold() for fw in self.frameworks}
        ordered: dict[str, str] = {}
        for language in (*self.prerequisites.languages, *(fw.language for fw in self.frameworks)):
            folded = language.casefold()
            if folded in spoken and folded not in ordered:
                ordered[folded] = language
        return tuple(ordered.values())

    def frameworks_for(self, language: str) -> tuple[Framework, ...]:
        """Return the frameworks written in `language` (any case), in guide order."""
        folded = language.casefold()
        return tuple(fw for fw in self.frameworks if fw.language.casefold() == folded)


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
