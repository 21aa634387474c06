"""Component custom_ids: one codec per kind of component, encode and decode side by side.

Every button and menu the bot sends carries its whole state in its custom_id, so a click works
after a restart or a reload. Each kind of id is a frozen dataclass whose `encode` builds the id
and whose `decode` reads it back (None for an id of another shape), from the same `PATTERN`
that routes the click. Encoding checks each field against the range its pattern reads, so an id
can never be built in a shape its handler does not read, and every id stays within Discord's
100 characters whatever the guide holds (the tests check the longest one of each kind).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, Self

from bot.guide import ResourceKind

PREFIX = "gb"
"""What every guidebot custom_id starts with."""
REF_BYTES = 6
"""Bytes of hash in a framework reference: 12 hex characters fit a custom_id with room to spare,
and a clash among even 10,000 frameworks has odds of about one in five billion."""
SNOWFLAKE_MAX = 2**64 - 1
"""Discord ids are unsigned 64-bit numbers: at most 20 digits."""
NUMBER_MAX = 2**32 - 1
"""Pages and positions: more than any guide holds, at most 10 digits or 8 hex characters."""
NO_KIND = "-"
"""Stands for "every kind of resource" where a kind goes."""
LABEL_SUFFIX = ":here"
"""Ends the id of a disabled label button (a page counter): it matches no handler."""

_SNOWFLAKE = r"\d{1,20}"
_NUMBER = r"\d{1,10}"
_HEX_NUMBER = r"[0-9a-f]{1,8}"
_REF = rf"[0-9a-f]{{{2 * REF_BYTES}}}"
_KIND = r"[a-z-]{1,20}"
_STATE = rf"[0-9a-f.]{{0,{3 * 8 + 2 * REF_BYTES + 3}}}"
"""A walkthrough state as `WalkState` writes it (three hex numbers, a reference, three dots),
or one mangled in the same characters, which the handler reads as a fresh start."""
_KINDS = frozenset(kind.value for kind in ResourceKind)


def framework_ref(key: str) -> str:
    """Return a short, stable reference to a framework key, for component custom_ids."""
    return hashlib.blake2b(key.encode(), digest_size=REF_BYTES).hexdigest()


@dataclass(frozen=True, slots=True)
class DeleteId:
    """The Delete button under a public answer: only its asker (or a moderator) may use it."""

    owner: int
    PATTERN: ClassVar[str] = rf"{PREFIX}:del:(?P<owner>{_SNOWFLAKE})"

    def encode(self) -> str:
        """Return the custom_id."""
        return f"{PREFIX}:del:{_snowflake(self.owner)}"

    @classmethod
    def decode(cls, custom_id: str) -> Self | None:
        """Return the id that `custom_id` encodes, or None if it is of another kind."""
        match = re.fullmatch(cls.PATTERN, custom_id)
        return cls(owner=int(match["owner"])) if match else None


@dataclass(frozen=True, slots=True)
class PickId:
    """A "did you mean" suggestion: answers as the command it suggests for would have."""

    what: Literal["fw", "rs"]
    """Which command was asked: "fw" for /framework, "rs" for /resources."""
    ref: str
    """The suggested framework, by `framework_ref`."""
    kind: str | None
    """The /resources kind filter, if any."""
    hide: bool
    mention: int | None
    """Whom the answer pings; None (written 0, which no Discord id is) for nobody."""
    PATTERN: ClassVar[str] = (
        rf"{PREFIX}:pick:(?P<what>fw|rs):(?P<ref>{_REF}):(?P<kind>{_KIND}):(?P<hide>[01])"
        rf":(?P<mention>{_SNOWFLAKE})"
    )

    def encode(self) -> str:
        """Return the custom_id."""
        if self.what not in ("fw", "rs"):
            raise ValueError(f"unknown command {self.what!r}")
        mention = _snowflake(self.mention or 0)
        kind = _kind(self.kind)
        return f"{PREFIX}:pick:{self.what}:{_ref(self.ref)}:{kind}:{int(self.hide)}:{mention}"

    @classmethod
    def decode(cls, custom_id: str) -> Self | None:
        """Return the id that `custom_id` encodes, or None if it is of another kind."""
        match = re.fullmatch(cls.PATTERN, custom_id)
        if match is None:
            return None
        return cls(
            what="fw" if match["what"] == "fw" else "rs",
            ref=match["ref"],
            kind=None if match["kind"] == NO_KIND else match["kind"],
            hide=match["hide"] == "1",
            mention=int(match["mention"]) or None,
        )


@dataclass(frozen=True, slots=True)
class ResourcePageId:
    """A page button of a framework's resource list."""

    ref: str
    kind: str | None
    page: int
    owner: int
    """Who asked: their click turns the page in place, anyone else's gets a private copy."""
    PATTERN: ClassVar[str] = (
        rf"{PREFIX}:rp:(?P<ref>{_REF}):(?P<kind>{_KIND}):(?P<page>{_NUMBER})"
        rf":(?P<owner>{_SNOWFLAKE})"
    )

    def encode(self) -> str:
        """Return the custom_id."""
        ref, kind, page = _ref(self.ref), _kind(self.kind), _number(self.page)
        return f"{PREFIX}:rp:{ref}:{kind}:{page}:{_snowflake(self.owner)}"

    @classmethod
    def decode(cls, custom_id: str) -> Self | None:
        """Return the id that `custom_id` encodes, or None if it is of another kind."""
        match = re.fullmatch(cls.PATTERN, custom_id)
        if match is None:
            return None
        return cls(
            ref=match["ref"],
            kind=None if match["kind"] == NO_KIND else match["kind"],
            page=int(match["page"]),
            owner=int(match["owner"]),
        )


@dataclass(frozen=True, slots=True)
class ListPageId:
    """A page button of the list of every framework, or of one language's ("/framework python")."""

    page: int
    owner: int
    language: int | None = None
    """Position in the guide's languages of the language listed; None for every framework."""
    PATTERN: ClassVar[str] = (
        rf"{PREFIX}:lp:(?P<page>{_NUMBER}):(?P<owner>{_SNOWFLAKE})(?::(?P<language>{_NUMBER}))?"
    )

    def encode(self) -> str:
        """Return the custom_id."""
        language = "" if self.language is None else f":{_number(self.language)}"
        return f"{PREFIX}:lp:{_number(self.page)}:{_snowflake(self.owner)}{language}"

    @classmethod
    def decode(cls, custom_id: str) -> Self | None:
        """Return the id that `custom_id` encodes, or None if it is of another kind."""
        match = re.fullmatch(cls.PATTERN, custom_id)
        if match is None:
            return None
        language = match["language"]
        return cls(
            page=int(match["page"]),
            owner=int(match["owner"]),
            language=None if language is None else int(language),
        )


class WalkAction(StrEnum):
    """What a walkthrough component does."""

    BACK = "b"
    NEXT = "n"
    RESTART = "s"
    CHOOSE = "m"
    """The step's select menu; the others are buttons."""


@dataclass(frozen=True, slots=True)
class WalkState:
    """Where a walkthrough is, by positions in the guide, so that it fits a custom_id."""

    step: int
    language: int | None
    """Position in the guide's languages; a name may be 80 characters of anything."""
    framework: str | None
    """The chosen framework, by `framework_ref`."""
    page: int
    """Which page of the language or framework menu shows."""

    def encode(self) -> str:
        """Return the state as dot-separated hex: step, language, framework, page."""
        language = "" if self.language is None else _hex(self.language)
        framework = "" if self.framework is None else _ref(self.framework)
        return f"{_hex(self.step)}.{language}.{framework}.{_hex(self.page)}"

    @classmethod
    def decode(cls, text: str) -> Self | None:
        """Return the state `text` encodes, or None when it is mangled."""
        match = re.fullmatch(
            rf"(?P<step>{_HEX_NUMBER})\.(?P<language>{_HEX_NUMBER})?\.(?P<framework>{_REF})?"
            rf"\.(?P<page>{_HEX_NUMBER})",
            text,
        )
        if match is None:
            return None
        language = match["language"]
        return cls(
            step=int(match["step"], 16),
            language=None if language is None else int(language, 16),
            framework=match["framework"],
            page=int(match["page"], 16),
        )


@dataclass(frozen=True, slots=True)
class WalkId:
    """A walkthrough button or menu; the state is None for Start over (and a mangled id)."""

    action: WalkAction
    owner: int
    state: WalkState | None
    PATTERN: ClassVar[str] = (
        rf"{PREFIX}:wk:(?P<action>[bns]):(?P<owner>{_SNOWFLAKE}):(?P<state>{_STATE})"
    )
    MENU_PATTERN: ClassVar[str] = (
        rf"{PREFIX}:wk:(?P<action>m):(?P<owner>{_SNOWFLAKE}):(?P<state>{_STATE})"
    )

    def encode(self) -> str:
        """Return the custom_id."""
        state = "" if self.state is None else self.state.encode()
        return f"{PREFIX}:wk:{WalkAction(self.action)}:{_snowflake(self.owner)}:{state}"

    @classmethod
    def decode(cls, custom_id: str) -> Self | None:
        """Return the id that `custom_id` encodes, or None if it is of another kind."""
        match = re.fullmatch(cls.PATTERN, custom_id) or re.fullmatch(cls.MENU_PATTERN, custom_id)
        if match is None:
            return None
        return cls(
            action=WalkAction(match["action"]),
            owner=int(match["owner"]),
            state=WalkState.decode(match["state"]),
        )


ComponentId = DeleteId | PickId | ResourcePageId | ListPageId | WalkId
KINDS: tuple[type[ComponentId], ...] = (DeleteId, PickId, ResourcePageId, ListPageId, WalkId)


def decode(custom_id: str) -> ComponentId | None:
    """Return what a clicked component's custom_id says, or None if no kind reads it."""
    for kind in KINDS:
        decoded = kind.decode(custom_id)
        if decoded is not None:
            return decoded
    return None


def label_id(beside: ComponentId) -> str:
    """Return the custom_id of a disabled label button beside `beside`, unique in a message."""
    return beside.encode() + LABEL_SUFFIX


def _snowflake(value: int) -> str:
    return str(_in_range(value, SNOWFLAKE_MAX, "a Discord id"))


def _number(value: int) -> str:
    return str(_in_range(value, NUMBER_MAX, "a page"))


def _hex(value: int) -> str:
    return format(_in_range(value, NUMBER_MAX, "a position"), "x")


def _in_range(value: int, top: int, what: str) -> int:
    if not 0 <= value <= top:
        raise ValueError(f"{value} is not {what} (0 to {top})")
    return value


def _ref(ref: str) -> str:
    if not re.fullmatch(_REF, ref):
        raise ValueError(f"{ref!r} is not a framework reference")
    return ref


def _kind(kind: str | None) -> str:
    if kind is None:
        return NO_KIND
    if kind not in _KINDS:
        raise ValueError(f"{kind!r} is not a resource kind")
    return kind
