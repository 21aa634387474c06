"""The guide the bot serves now, swapped whole on reload so no answer mixes two versions."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bot.custom_ids import framework_ref
from bot.guide import Framework, Guide, GuideDiff, GuideError, diff_guides, load_guide
from bot.matching import Matcher

log = logging.getLogger(__name__)

VERSION_BYTES = 4
"""Bytes of hash in a guide version: 8 hex characters, as short as a version an admin reads
back should be, and two edits of one guide sharing one is a one-in-four-billion chance."""


def guide_version(guide: Guide) -> str:
    """Return the guide's version: a short hash of its content.

    The same content gives the same version in any process, on any day; layout, comments and
    anything else the guide does not keep leave it as it is.
    """
    digest = hashlib.blake2b(digest_size=VERSION_BYTES)
    for part in _canonical_json(guide):
        digest.update(part.encode())
    return digest.hexdigest()


def _canonical_json(guide: Guide) -> Iterator[str]:
    """Yield `json.dumps(_plain(guide), ensure_ascii=False)` piece by piece.

    One framework at a time: the text of a 10,000-framework guide, and the lists it is made
    from, would otherwise be built whole only to be hashed, and the memory they took would
    stay with the process.
    """
    for position, name in enumerate(_compared_fields(Guide) or ()):
        yield "[" if position == 0 else ", "
        value = getattr(guide, name)
        if name == "frameworks":
            for index, framework in enumerate(value):
                yield ("[" if index == 0 else ", ") + _dumps(_plain(framework))
            yield "]" if value else "[]"
        else:
            yield _dumps(_plain(value))
    yield "]"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _plain(value: object) -> object:
    """Return `value` as JSON-ready data: a dataclass as the list of the fields it compares."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    names = _compared_fields(type(value))
    if names is None:
        return value
    return [_plain(getattr(value, name)) for name in names]


_COMPARED_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _compared_fields(kind: type) -> tuple[str, ...] | None:
    """Return the fields a dataclass compares, in order (None for any other type), once each."""
    if kind not in _COMPARED_FIELDS:
        compared = tuple(f.name for f in fields(kind) if f.compare) if is_dataclass(kind) else None
        _COMPARED_FIELDS[kind] = compared
    return _COMPARED_FIELDS[kind]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One loaded guide with its matcher: what a single answer is built from."""

    guide: Guide
    matcher: Matcher
    version: str
    _by_ref: dict[str, Framework] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        refs = {framework_ref(fw.key): fw for fw in self.guide.frameworks}
        object.__setattr__(self, "_by_ref", refs)

    @classmethod
    def of(cls, guide: Guide, *, pairs: bool = False) -> Snapshot:
        """Build the snapshot of `guide`, with its matcher and version.

        `pairs`: the matcher indexes its names by pairs of letters (see `Matcher`), as the
        running bot's does.
        """
        version = guide_version(guide)
        return cls(guide, Matcher(guide.frameworks, pairs=pairs), version)

    def by_ref(self, ref: str) -> Framework | None:
        """Return the framework behind a reference made by `framework_ref`."""
        return self._by_ref.get(ref)


@dataclass(frozen=True, slots=True)
class Reload:
    """What a reload did: the changes it brought, or why it kept the old guide."""

    diff: GuideDiff | None
    error: GuideError | None

    @property
    def ok(self) -> bool:
        """Return whether the new guide is now served."""
        return self.error is None


ReloadCause = Literal["command", "file watcher"]


@dataclass(frozen=True, slots=True)
class Failure:
    """A reload that kept the old guide: when, what started it, and why."""

    when: datetime
    by: ReloadCause
    error: GuideError


Loader = Callable[[Path], "Guide | Snapshot"]
"""What reads a guide file: to a guide, or to a whole snapshot (`bot.apart` builds one)."""


class GuideStore:
    """Holds the current snapshot of a guide file and reloads it on request."""

    def __init__(
        self,
        path: Path,
        snapshot: Snapshot,
        *,
        shown_as: str | None = None,
        loader: Loader = load_guide,
    ) -> None:
        self.path = path
        self._load = loader
        self.shown_as = shown_as or path.name
        """The path as replies show it; never the server's absolute path."""
        self.current = snapshot
        self.last_failure: Failure | None = None
        """The latest failed reload, until a good reload replaces it."""
        self._stamp = _stamp(path)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        shown_as: str | None = None,
        loader: Loader = load_guide,
    ) -> GuideStore:
        """Load the guide at `path`; replies call it `shown_as` (by default its file name).

        `loader` reads the file, now and on every reload, to a guide or to its whole snapshot
        (the running bot's does so in a child process: `bot.apart`).

        Raises:
            GuideError: the file is missing or broken; every problem is listed.
        """
        stamp = _stamp(path)
        store = cls(path, _snapshot(loader(path)), shown_as=shown_as, loader=loader)
        store._stamp = stamp
        return store

    def reload(self, by: ReloadCause = "command") -> Reload:
        """Load the file again; on any problem keep serving the last good guide.

        A file whose content is unchanged keeps the snapshot, and so the version, it had.
        """
        stamp = _stamp(self.path)
        try:
            loaded = self._load(self.path)
        except GuideError as error:
            self._stamp = stamp
            self.last_failure = Failure(datetime.now(UTC), by, error)
            log.warning("guide reload failed, keeping version %s:\n%s", self.current.version, error)
            return Reload(diff=None, error=error)
        old = self.current
        self._stamp = stamp
        self.last_failure = None
        guide = loaded.guide if isinstance(loaded, Snapshot) else loaded
        diff = diff_guides(old.guide, guide)
        if _version(loaded) != old.version:
            self.current = _snapshot(loaded)
        log.info("guide reloaded as version %s: %s", self.current.version, diff.summary())
        return Reload(diff=diff, error=None)

    def changed_on_disk(self) -> bool:
        """Return whether the file looks different from when it was last read."""
        return _stamp(self.path) != self._stamp


def _snapshot(loaded: Guide | Snapshot) -> Snapshot:
    return loaded if isinstance(loaded, Snapshot) else Snapshot.of(loaded)


def _version(loaded: Guide | Snapshot) -> str:
    return loaded.version if isinstance(loaded, Snapshot) else guide_version(loaded)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)
