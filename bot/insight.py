"""Guide insight: what learners looked up, and the report of what the guide is missing.

The pure half: what one record holds and how a report reads. Storing records is the adapter's
job (`bot.insight_store`, `bot.recorder`); nothing here does I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bot import matching
from bot.guide import Guide

SQLITE_PREFIX = "sqlite:///"
"""An insight URL naming a SQLite file: sqlite:///relative/path or sqlite:////absolute/path."""
DEFAULT_INSIGHT_URL = SQLITE_PREFIX + "var/insight.sqlite3"
"""Relative to the config file (git ignores var/)."""
QUERY_LIMIT = 100
"""Characters of a normalized query that are kept."""
DEFAULT_DAYS = 30
"""The window a gaps report looks back over when none is asked for."""
MAX_DAYS = 36_500
"""The longest window a report can ask for (a century: older rows are long gone)."""
DEFAULT_LIMIT = 10
"""Rows in each list of a gaps report when none is asked for."""

Command = Literal["framework", "resources"]
"""The commands whose lookups are recorded."""


class Outcome(StrEnum):
    """How a lookup went."""

    ANSWERED = "answered"
    """A framework answered at once."""
    SUGGESTED = "suggested"
    """No framework for sure, but a "did you mean" with suggestions."""
    NOT_FOUND = "not_found"
    """Nothing close."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """What a learner looked up and how it went; no user, no server, no time yet."""

    command: Command
    query: str
    """Normalized by `normalize_query`."""
    outcome: Outcome
    framework: str | None
    """The key of the framework that answered; None unless answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One lookup as it is stored: in which server, and when. No user id, ever."""

    command: Command
    query: str
    outcome: Outcome
    framework: str | None
    guild_id: int | None
    """None for a lookup in a direct message."""
    at: datetime
    """Timezone-aware (UTC)."""

    @classmethod
    def of(cls, lookup: Lookup, *, guild_id: int | None, at: datetime) -> Record:
        """Return the record of `lookup`, made in `guild_id` at `at`."""
        return cls(
            command=lookup.command,
            query=lookup.query,
            outcome=lookup.outcome,
            framework=lookup.framework,
            guild_id=guild_id,
            at=at,
        )


def normalize_query(text: str) -> str:
    """Return `text` as it is recorded: one case, one kind of space, no invisibles, <= 100 chars.

    "Django", " django " and "DJANGO" are one query in the report; what is kept is the text a
    maintainer would want to read, so punctuation stays ("c#", "asp.net").
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii() and folded.isprintable():  # most queries: no invisible, no odd space
        visible = folded
    else:
        visible = "".join(
            " " if char.isspace() else char
            for char in folded
            if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
        )
    return " ".join(visible.split())[:QUERY_LIMIT].rstrip()


def lookup_of(command: Command, query: str, found: matching.Lookup) -> Lookup | None:
    """Return what to record of the matcher's answer to `query`; None for an empty query."""
    normalized = normalize_query(query)
    if not normalized:
        return None
    if found.framework is not None:
        outcome, framework = Outcome.ANSWERED, found.framework.key
    else:
        outcome = Outcome.SUGGESTED if found.suggestions else Outcome.NOT_FOUND
        framework = None
    return Lookup(command=command, query=normalized, outcome=outcome, framework=framework)


@dataclass(frozen=True, slots=True)
class Count:
    """A query or a framework key, and how often it came up."""

    name: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Gaps:
    """What learners looked for over a window: the misses first, then what answered."""

    misses: tuple[Count, ...]
    """Queries that no framework answered at once (suggested or not found), most asked first."""
    answered: tuple[Count, ...]
    """Frameworks that answered, most asked first."""
    lookups: int
    """Every lookup in the window, whatever its outcome."""
    answered_at_once: int

    @property
    def share_answered(self) -> float | None:
        """The share of lookups a framework answered at once, 0-1; None with no lookups."""
        return self.answered_at_once / self.lookups if self.lookups else None

    def named(self, guide: Guide) -> Gaps:
        """Return this report with each framework key as `guide` names it, for people to read.

        A key the guide no longer has (a framework since removed) stays as it is.
        """
        answered = tuple(
            Count(
                framework.name if (framework := guide.framework(hit.name)) else hit.name, hit.count
            )
            for hit in self.answered
        )
        return replace(self, answered=answered)

    def to_json(self) -> dict[str, object]:
        """Return the report as `guidebot gaps --json` prints it."""
        return {
            "misses": [{"query": miss.name, "count": miss.count} for miss in self.misses],
            "answered": [{"framework": hit.name, "count": hit.count} for hit in self.answered],
            "lookups": self.lookups,
        }


def percent(share: float | None) -> str:
    """Return a share as a whole percentage, or "no lookups"."""
    return "no lookups" if share is None else f"{share:.0%}"


def span(days: int) -> str:
    """Return "the last 30 days" (or "the last day") for a report's heading."""
    return "the last day" if days == 1 else f"the last {days} days"


def format_gaps(gaps: Gaps, *, days: int, guild_id: int | None) -> str:
    """Return the report as plain text for a terminal."""
    lines = [
        f"Lookups in {span(days)}, {'all servers' if guild_id is None else f'server {guild_id}'}: "
        f"{gaps.lookups}, "
        f"{gaps.answered_at_once} answered at once ({percent(gaps.share_answered)})",
        "",
        "Most asked, found nothing:",
        *_count_lines(gaps.misses),
        "",
        "Most asked frameworks:",
        *_count_lines(gaps.answered),
    ]
    return "\n".join(lines)


def _count_lines(counts: Sequence[Count]) -> list[str]:
    if not counts:
        return ["  (none)"]
    width = len(str(counts[0].count))
    return [f"  {count.count:>{width}}  {count.name}" for count in counts]
