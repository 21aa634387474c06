"""The guide the bot serves now, swapped whole on reload so no answer mixes two versions."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.custom_ids import framework_ref
from bot.guide import Framework, Guide, GuideDiff, GuideError, diff_guides, load_guide
from bot.matching import Matcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One loaded guide with its matcher: what a single answer is built from."""

    guide: Guide
    matcher: Matcher
    version: int = 1
    _by_ref: dict[str, Framework] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        refs = {framework_ref(fw.key): fw for fw in self.guide.frameworks}
        object.__setattr__(self, "_by_ref", refs)

    @classmethod
    def of(cls, guide: Guide, version: int = 1) -> Snapshot:
        """Build the snapshot of `guide`, with its matcher."""
        return cls(guide, Matcher(guide.frameworks), version)

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


class GuideStore:
    """Holds the current snapshot of a guide file and reloads it on request."""

    def __init__(self, path: Path, snapshot: Snapshot) -> None:
        self.path = path
        self.current = snapshot
        self._stamp = _stamp(path)

    @classmethod
    def open(cls, path: Path) -> GuideStore:
        """Load the guide at `path`.

        Raises:
            GuideError: the file is missing or broken; every problem is listed.
        """
        stamp = _stamp(path)
        store = cls(path, Snapshot.of(load_guide(path)))
        store._stamp = stamp
        return store

    def reload(self) -> Reload:
        """Load the file again; on any problem keep serving the last good guide."""
        stamp = _stamp(self.path)
        try:
            guide = load_guide(self.path)
        except GuideError as error:
            self._stamp = stamp
            log.warning("guide reload failed, keeping version %d:\n%s", self.current.version, error)
            return Reload(diff=None, error=error)
        old = self.current
        self.current = Snapshot.of(guide, old.version + 1)
        self._stamp = stamp
        diff = diff_guides(old.guide, guide)
        log.info("guide reloaded as version %d: %s", self.current.version, diff.summary())
        return Reload(diff=diff, error=None)

    def changed_on_disk(self) -> bool:
        """Return whether the file looks different from when it was last read."""
        return _stamp(self.path) != self._stamp


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)
