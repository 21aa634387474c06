"""Find the framework a learner means, and suggest names while they type.

`Matcher.lookup` answers `/framework <name>`: one confident framework or, failing that, a few
suggestions for a "Did you mean..." reply. `Matcher.suggest` feeds the slash command's
autocomplete. Both compare names through `name_key`, so case, spaces, punctuation and a ".js"
suffix never matter, and both are built for guides far larger than ours: the index is built once,
and every query does dictionary look-ups, binary searches and one rapidfuzz pass over a slice of
a prebuilt list, never a Python loop over the whole guide.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.guide import Framework, name_key

AUTOCOMPLETE_LIMIT = 25
"""Most choices an autocomplete may return: Discord rejects a response with more than 25."""

NOT_FOUND_SUGGESTIONS = 5
"""Suggestions in a "Did you mean..." reply: enough to cover a typo, few enough to read at once."""

MIN_FUZZY_LENGTH = 3
"""Shortest query (in `name_key` characters) compared by similarity rather than only exactly.

Measured with rapidfuzz 3.14: a 2-character query is one edit from every 3-letter name ("gn"
scores 80 against "gin", enough for `MATCH_CUTOFF`), and WRatio gives "tf" 60 against flask,
fastapi, tornado and streamlit alike. Below 3 characters a fuzzy score is noise.
"""

MIN_SUBSTRING_LENGTH = 2
"""Shortest autocomplete query matched inside names: one letter occurs in nearly every name."""

MIN_WORD_LENGTH = 3
"""Shortest word of a name that autocomplete matches on its own ("core", "boot"; not "on")."""

MATCH_CUTOFF = 80.0
"""Lowest `fuzz.ratio` (0-100) for a confident typo match.

`fuzz.ratio` (Indel similarity) was measured against `WRatio`, `QRatio`, OSA, Damerau-Levenshtein
and Jaro-Winkler on the seed names: it scores typos 80-95 and the unrelated words tried at most
62, while WRatio's partial matching gives "djagno" 90 against the alias "dj" and "ruby" 90
against "rubyonrails", and Jaro-Winkler lifts unrelated words into the 70s. It is also the
cheapest: an `extract` over 28,000 keys takes about 2 ms, against about 30 ms for WRatio.

The cutoff comes from `python -m bench.tune` (one-edit typos of the seed names; 87 words that
name no framework). On the seed guide, at 80: 97% of typos found, 2 misses answered ("sails" and
"grails", one letter from the alias "rails"). At 75: 100% found, but 5 misses answered; at 85:
85% found. The typos lost at 80 are one-letter changes to 4-letter names, which are mostly real
words anyway ("mode" and "best" score 75 against "node" and "nest").
"""

MATCH_MARGIN = 8.0
"""Points by which the best framework must beat the runner-up (another framework) to be chosen.

A query as close to two frameworks as to one is a question, not an answer: "falco" scores 91
against both Falcon and Falcor. Measured with `python -m bench.tune` on 10,000 synthetic
frameworks, at `MATCH_CUTOFF`: margin 0 finds 96% of typos but answers 2.6% with a wrong
framework and 40% of misses with some framework; margin 4 gives 92% / 1.1% / 24%; margin 8
gives 86% / 0.7% / 14%; margin 12 gives 72% / 0.4% / 5%. From 4 to 8, 6 points of typos buy
10 points fewer misses answered; from 8 to 12, 14 points of typos would buy only 9. On the seed
guide no two names are that close, and the margin changes nothing.
"""

SUGGEST_CUTOFF = 60.0
"""Lowest `fuzz.ratio` for a name to be suggested (autocomplete, or "Did you mean...").

Lower than `MATCH_CUTOFF` on purpose: a learner halfway through a misspelt name ("sprnb" scores
67 against "springboot", "djagn" 73 against "django") should still see it. Measured with
`python -m bench.tune` on misspelt beginnings of the seed names: the intended framework is among
the first five suggestions for 94% of them at 60, 92% at 65 and 82% at 70, while unrelated words
get 0.1 suggestions each on the seed guide ("python" scores 62 against "phoenix"). A wrong
suggestion costs a glance; a missing one costs retyping.
"""

MAX_QUERY_LENGTH = 100
"""Characters of a query that are read; the rest is ignored.

Discord lets an option string run to 6,000 characters, but no name in a guide comes near 100
(Discord's own limit for a choice name), and it bounds the work a pasted paragraph can cause.
"""

MIN_RUN_KEY_LENGTH = 2
"""Shortest name or alias found exactly among other words: "dj tutorial" finds Django, "i" nothing.

The whole query is always compared exactly, however short; this floor is for words inside it.
"""

MAX_NGRAM_WORDS = 4
"""Longest run of query words compared as one name ("ruby on rails" is 3, "asp net core" is 3)."""

MAX_FUZZY_RUNS = 16
"""Most runs of query words compared by similarity in one lookup.

Each run costs one rapidfuzz pass (about 2 ms at 10,000 frameworks), and a pasted sentence has
a hundred. Single words go first, then pairs and so on, each in query order: names are mostly
one or two words. 16 covers every run of a 5-word question ("how do i use fastapi" has 1).
"""

FILLER_WORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "beginner",
        "beginners",
        "course",
        "do",
        "doc",
        "docs",
        "documentation",
        "for",
        "framework",
        "get",
        "getting",
        "guide",
        "help",
        "how",
        "i",
        "in",
        "intro",
        "introduction",
        "is",
        "learn",
        "learning",
        "me",
        "of",
        "on",
        "or",
        "please",
        "show",
        "start",
        "started",
        "the",
        "to",
        "tutorial",
        "tutorials",
        "use",
        "using",
        "vs",
        "what",
        "with",
    }
)
"""Words a learner wraps around a name ("how do i use express", "flask tutorial").

They never match a framework on their own, and a typo is not looked for in them. The languages of
the guide are added per guide ("spring boot java"). A name that contains one ("Ruby on Rails")
still matches: only a run of query words that starts or ends with a filler word is skipped.
"""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A framework offered to the learner, with how well it matched."""

    key: str
    """The framework's `Framework.key`."""
    label: str
    """What to show: the framework's name."""
    score: float
    """Similarity, 0-100: 100 for an exact name or alias, 0 when nothing was compared (empty query).

    Within one list, scores only rank entries of the same kind (exact, prefix, substring, typo).
    """


@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer to a lookup: a confident framework, or suggestions."""

    framework: Framework | None
    """The framework the query names, when there is no doubt."""
    suggestions: tuple[Suggestion, ...]
    """Best first, one per framework, at most `NOT_FOUND_SUGGESTIONS`; empty when found."""


class _Bucket(NamedTuple):
    """The prefix and substring keys of one length, sorted, with their frameworks' indices."""

    keys: list[str]
    owners: list[tuple[int, ...]]
    haystack: str
    """The keys joined by newlines, so that substring search runs in C (`str.find`). Keys are
    alphanumeric, so a query never matches across a newline, and they all have one length, so
    an offset divided by (length + 1) is the key's position."""


class Matcher:
    """An index of a guide's names and aliases, built once, for lookups and autocomplete.

    Args:
        frameworks: The guide's frameworks, in the guide's (curated) order, which breaks ties.
    """

    def __init__(self, frameworks: Sequence[Framework]) -> None:
        self._frameworks = tuple(frameworks)
        name_owner: dict[str, int] = {}
        owners: dict[str, list[int]] = {}
        words: dict[str, list[int]] = {}
        for index, framework in enumerate(self._frameworks):
            name = name_key(framework.name)
            name_owner.setdefault(name, index)
            for key in (name, framework.key, *(name_key(alias) for alias in framework.aliases)):
                _add(owners, key, index)
            own_words = {
                name_key(word)
                for text in (framework.name, *framework.aliases)
                for word in _NAME_WORD_SEPARATORS.split(text)
            }
            for word in own_words:
                _add(words, word, index)

        # A name beats an alias: an alias can never take a name away from its framework.
        self._exact: dict[str, tuple[int, ...]] = {
            key: (name_owner[key],) if key in name_owner else tuple(indices)
            for key, indices in owners.items()
            if key
        }

        # Fuzzy matching runs over the names and aliases sorted by length, so that a query only
        # scans the slice whose lengths can reach the cutoff (see `_length_slice`).
        by_length = sorted(self._exact, key=lambda key: (len(key), key))
        self._fuzzy_keys = by_length
        self._fuzzy_lengths = [len(key) for key in by_length]
        self._fuzzy_owners = [self._exact[key] for key in by_length]

        # Prefix and substring matching also know the words of names ("boot", "core").
        partial = {key: list(indices) for key, indices in self._exact.items()}
        for word, indices in words.items():
            if len(word) >= MIN_WORD_LENGTH:
                known = partial.setdefault(word, [])
                known.extend(sorted(set(indices) - set(known)))
        # Shorter completions rank first, so the keys are kept in one bucket per length, each
        # sorted: a query reads the shortest lengths only until it has enough frameworks, not the
        # thousand keys a single letter starts at 10,000 frameworks.
        grouped: dict[int, list[str]] = {}
        for key in sorted(partial):
            grouped.setdefault(len(key), []).append(key)
        self._buckets = {
            length: _Bucket(keys, [tuple(partial[key]) for key in keys], "\n".join(keys))
            for length, keys in grouped.items()
        }
        self._lengths = sorted(self._buckets)

        languages = {name_key(framework.language) for framework in self._frameworks}
        self._filler = FILLER_WORDS | {language for language in languages if language}
        # A query that is one word of exactly one framework's names names it: ".net" is ASP.NET
        # Core, not the NestJS a fuzzy match would pick; a word that many share names none.
        self._name_words: dict[str, tuple[int, ...]] = {
            word: tuple(indices)
            for word, indices in words.items()
            if len(word) >= MIN_WORD_LENGTH and word not in self._filler
        }

    def lookup(self, query: str) -> Lookup:
        """Return the framework `query` names, or suggestions when it names none for sure.

        An exact name or alias wins, even inside other words ("learn django"). Otherwise the
        closest name is taken only when it is close enough (`MATCH_CUTOFF`) and clearly closer
        than any other framework's (`MATCH_MARGIN`); queries shorter than `MIN_FUZZY_LENGTH`
        are matched exactly or not at all.

        Args:
            query: What the learner typed; any text, of any length.

        Returns:
            The framework, or `None` and up to `NOT_FOUND_SUGGESTIONS` suggestions, best first.
        """
        folded = unicodedata.normalize("NFKC", query[:MAX_QUERY_LENGTH]).casefold()
        whole = name_key(folded)
        if not whole:
            return Lookup(framework=None, suggestions=())
        exact = (
            self._exact.get(whole)
            or self._exact_in_words(_words(folded))
            or self._name_words.get(whole, ())
        )
        if len(exact) == 1:
            return Lookup(framework=self._frameworks[exact[0]], suggestions=())
        if exact:
            return Lookup(framework=None, suggestions=self._suggestions(exact, 100.0))

        scores = self._fuzzy_scores(folded, whole)
        ranked = sorted(scores, key=lambda index: (-scores[index], index))
        if ranked and scores[ranked[0]] >= MATCH_CUTOFF:
            runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
            if scores[ranked[0]] - runner_up >= MATCH_MARGIN:
                return Lookup(framework=self._frameworks[ranked[0]], suggestions=())

        best = ranked[:NOT_FOUND_SUGGESTIONS]
        chosen = {index: scores[index] for index in best if scores[index] >= SUGGEST_CUTOFF}
        # Names that start with or contain the query fill the rest ("boot": Spring Boot); the
        # fuzzy tier of `suggest` would only repeat the comparison made above.
        self._fill(
            chosen, whole, NOT_FOUND_SUGGESTIONS, (self._prefix_scores, self._substring_scores)
        )
        return Lookup(
            framework=None,
            suggestions=tuple(self._suggestion(index, score) for index, score in chosen.items()),
        )

    def suggest(self, query: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Suggestion]:
        """Return autocomplete suggestions for `query`, best first, one per framework.

        Exact names and aliases come first, then names, aliases and words of names that start
        with the query (a whole word first), then those that contain it, then names close to it
        (`SUGGEST_CUTOFF`). Within each kind, ties go to the shorter name, then to guide order.
        An empty query lists the guide in order.

        Args:
            query: What the learner has typed so far.
            limit: Most suggestions to return; never more than `AUTOCOMPLETE_LIMIT`.

        Returns:
            At most `limit` suggestions, labelled with the framework's name.
        """
        limit = max(0, min(limit, AUTOCOMPLETE_LIMIT))
        text = query[:MAX_QUERY_LENGTH]
        if not text.strip():
            return [
                self._suggestion(index, 0.0) for index in range(min(limit, len(self._frameworks)))
            ]
        key = name_key(text)
        if not key:
            return []
        tiers = (
            self._exact_scores,
            self._prefix_scores,
            self._substring_scores,
            self._fuzzy_tier_scores,
        )
        chosen = self._fill({}, key, limit, tiers)
        return [self._suggestion(index, score) for index, score in chosen.items()]

    def _fill(
        self,
        chosen: dict[int, float],
        key: str,
        limit: int,
        tiers: Iterable[Callable[[str, Container[int], int], dict[int, float]]],
    ) -> dict[int, float]:
        """Add frameworks from each tier in turn to `chosen` until it holds `limit` of them.

        Each tier's frameworks go in by (-score, guide order); a costlier tier is never run once
        `chosen` is full. A tier is told how many frameworks not yet chosen it must find, and may
        stop there, as long as it returns every framework that ties with the last one it keeps.
        """
        for tier in tiers:
            if len(chosen) >= limit:
                break
            scores = tier(key, chosen, limit - len(chosen))
            fresh = sorted(
                (index for index in scores if index not in chosen),
                key=lambda index: (-scores[index], index),
            )
            for index in fresh[: limit - len(chosen)]:
                chosen[index] = scores[index]
        return chosen

    def _exact_in_words(self, words: list[str]) -> tuple[int, ...]:
        """Return the frameworks named exactly by runs of `words`, keeping only the longest runs.

        A run inside a longer matching run does not count ("spring" in "spring boot"). A run of
        one filler word never counts, nor does a key shorter than `MIN_RUN_KEY_LENGTH`.
        """
        spans: list[tuple[int, int, tuple[int, ...]]] = []
        for start, end, key in _runs(words):
            if end - start == 1 and words[start] in self._filler:
                continue
            if len(key) >= MIN_RUN_KEY_LENGTH and key in self._exact:
                spans.append((start, end, self._exact[key]))
        found: dict[int, None] = {}
        for start, end, indices in spans:
            inside = any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
            if not inside:
                found.update(dict.fromkeys(indices))
        return tuple(found)

    def _fuzzy_scores(self, folded: str, whole: str) -> dict[int, float]:
        """Return each framework's best similarity to any run of the query's words.

        Runs that start or end with a filler word are left out: "learn djagno" is compared as
        "djagno" only, and "java" alone, a language, is compared with nothing.
        """
        if len(whole) < MIN_FUZZY_LENGTH:
            return {}
        words = _words(folded)
        runs = sorted(
            (end - start, start, key)
            for start, end, key in _runs(words)
            if words[start] not in self._filler and words[end - 1] not in self._filler
            if len(key) >= MIN_FUZZY_LENGTH
        )
        candidates = list(dict.fromkeys(key for _, _, key in runs))[:MAX_FUZZY_RUNS]
        cutoff = min(SUGGEST_CUTOFF, MATCH_CUTOFF - MATCH_MARGIN)
        scores: dict[int, float] = {}
        for candidate in candidates:
            for index, score in self._fuzzy(candidate, cutoff):
                if score > scores.get(index, -1.0):
                    scores[index] = score
        return scores

    def _fuzzy(self, key: str, cutoff: float) -> Iterable[tuple[int, float]]:
        """Yield (framework index, score) for names and aliases within `cutoff` of `key`."""
        low, high = _length_slice(self._fuzzy_lengths, len(key), cutoff)
        results = process.extract(
            key,
            self._fuzzy_keys[low:high],
            scorer=fuzz.ratio,
            # Keys and query are already `name_key`s (casefolded, alphanumeric). rapidfuzz 3.x
            # defaults to processor=None, which is what we want here; spelled out so nobody adds
            # a processor that would strip the query differently from the names.
            processor=None,
            score_cutoff=cutoff,
            limit=None,
        )
        for _choice, score, position in results:
            for index in self._fuzzy_owners[low + position]:
                yield index, score

    def _exact_scores(self, key: str, _chosen: Container[int], _need: int) -> dict[int, float]:
        return dict.fromkeys(self._exact.get(key, ()), 100.0)

    def _prefix_scores(self, key: str, chosen: Container[int], need: int) -> dict[int, float]:
        def starting(bucket: _Bucket) -> Iterable[int]:
            position = bisect.bisect_left(bucket.keys, key)
            while position < len(bucket.keys) and bucket.keys[position].startswith(key):
                yield position
                position += 1

        return self._by_length(key, chosen, need, starting)

    def _substring_scores(self, key: str, chosen: Container[int], need: int) -> dict[int, float]:
        if len(key) < MIN_SUBSTRING_LENGTH:
            return {}

        def containing(bucket: _Bucket) -> Iterable[int]:
            stride = len(bucket.keys[0]) + 1
            found = bucket.haystack.find(key)
            while found != -1:
                yield found // stride
                found = bucket.haystack.find(key, found + 1)

        return self._by_length(key, chosen, need, containing)

    def _by_length(
        self,
        key: str,
        chosen: Container[int],
        need: int,
        matches: Callable[[_Bucket], Iterable[int]],
    ) -> dict[int, float]:
        """Score the frameworks of the keys `matches` finds, shortest keys first.

        A key of length m containing `key` (length n) scores `fuzz.ratio`, 200 * n / (n + m),
        which falls as m grows: once a whole length has been read and `need` frameworks not in
        `chosen` were found, no longer key can displace them.
        """
        scores: dict[int, float] = {}
        fresh = 0
        for length in self._lengths[bisect.bisect_left(self._lengths, len(key)) :]:
            if fresh >= need:
                break
            bucket = self._buckets[length]
            score = 200.0 * len(key) / (len(key) + length)
            for position in matches(bucket):
                for index in bucket.owners[position]:
                    if index not in scores:
                        scores[index] = score
                        fresh += index not in chosen
        return scores

    def _fuzzy_tier_scores(self, key: str, _chosen: Container[int], _need: int) -> dict[int, float]:
        scores: dict[int, float] = {}
        if len(key) >= MIN_FUZZY_LENGTH:
            for index, score in self._fuzzy(key, SUGGEST_CUTOFF):
                if score > scores.get(index, -1.0):
                    scores[index] = score
        return scores

    def _suggestion(self, index: int, score: float) -> Suggestion:
        framework = self._frameworks[index]
        return Suggestion(key=framework.key, label=framework.name, score=score)

    def _suggestions(self, indices: Iterable[int], score: float) -> tuple[Suggestion, ...]:
        chosen = list(indices)[:NOT_FOUND_SUGGESTIONS]
        return tuple(self._suggestion(index, score) for index in chosen)


_NAME_WORD_SEPARATORS = re.compile(r"[\W_]+")
"""What splits a name into words: "ASP.NET Core" has the words asp, net and core."""


def _add(mapping: dict[str, list[int]], key: str, index: int) -> None:
    """Add `index` under `key`; callers add indices in increasing order, so the last tells."""
    indices = mapping.setdefault(key, [])
    if not indices or indices[-1] != index:
        indices.append(index)


def _words(folded: str) -> list[str]:
    """Split casefolded text into runs of letters and digits, as `name_key` sees characters."""
    words: list[str] = []
    current: list[str] = []
    for char in folded:
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _runs(words: list[str]) -> Iterable[tuple[int, int, str]]:
    """Yield (start, end, key) for every run of up to `MAX_NGRAM_WORDS` consecutive words."""
    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_NGRAM_WORDS, len(words)) + 1):
            yield start, end, name_key("".join(words[start:end]))


def _length_slice(lengths: list[int], length: int, cutoff: float) -> tuple[int, int]:
    """Return the slice of `lengths` (sorted) whose keys can reach `cutoff` against `length`.

    `fuzz.ratio` is at most 200 * min(n, m) / (n + m) for lengths n and m, so a key of length m
    can only reach the cutoff c when c * n / (200 - c) <= m <= n * (200 - c) / c.
    """
    if cutoff <= 0:
        return 0, len(lengths)
    shortest = math.ceil(cutoff * length / (200.0 - cutoff) - 1e-9)
    longest = math.floor(length * (200.0 - cutoff) / cutoff + 1e-9)
    return bisect.bisect_left(lengths, shortest), bisect.bisect_right(lengths, longest)
