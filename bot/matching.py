"""Find the framework a learner means, and suggest names while they type.

`Matcher.lookup` answers `/framework <name>`: one confident framework, a language's frameworks
when a language was named, or suggestions for a "Did you mean..." reply, which are always the
first entries of `Matcher.suggest` (the autocomplete list) for the same text.

How `lookup` decides, in order: an exact name or alias (case, spaces, punctuation and a ".js"
suffix never matter) is the answer; a name of other well-known software (`bot.names`) is not in
this guide; a language ("python", "js", "c#") gets its frameworks. Among several words, the
names and aliases found exactly win over words of names ("core"), and a name after "on",
"with"... ("express server on node") only sets the scene; languages and words that many names
share ("js", "web", "api", "framework") never decide. Then a prefix of one name only ("lara"),
then a misspelling: a swap of two letters counts as one edit (optimal string alignment), names of
up to `Thresholds.careful` letters forgive one typist's slip (never at the first letter, and a
wrong letter only from a neighbouring key), longer ones one edit, and from `Thresholds.two_edits`
letters two. A misspelling as close to another framework, or to other software, as to the best
one is a question, not an answer.

Built for guides far larger than ours: every query does dictionary look-ups, binary searches and
rapidfuzz passes over the names that share its first or second letter, never a Python loop over
the whole guide.
"""

from __future__ import annotations

import array
import bisect
import collections
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.guide import Framework, name_key
from bot.names import LANGUAGES, OTHER_SOFTWARE, RELATED_LANGUAGES

AUTOCOMPLETE_LIMIT = 25
"""Most choices an autocomplete may return: Discord rejects a response with more than 25."""

NOT_FOUND_SUGGESTIONS = 5
"""Suggestions in a "Did you mean..." reply: enough to cover a typo, few enough to read at once."""

MAX_QUERY_LENGTH = 100
"""Characters of a query that are read; the rest is ignored.

Discord lets an option string run to 6,000 characters, but no name in a guide comes near 100
(Discord's own limit for a choice name), and it bounds the work a pasted paragraph can cause.
"""

MIN_TYPO_LENGTH = 3
"""Shortest query (in key characters) compared by edits rather than only exactly: a 2-letter
query is one edit from every 3-letter name."""

MIN_PREFIX_LENGTH = 4
"""Shortest beginning of a name that `lookup` takes for the name ("lara" for Laravel; "la" or
"lar" could be the start of many a name not in the guide)."""

MIN_LANGUAGE_PREFIX = 2
"""Shortest beginning of a language that autocomplete completes to its frameworks ("py")."""

MIN_SUBSTRING_LENGTH = 2
"""Shortest autocomplete query matched inside names: one letter occurs in nearly every name."""

MIN_WORD_LENGTH = 3
"""Shortest word of a name that is matched on its own ("core", "boot"; not "on")."""

MIN_RUN_KEY_LENGTH = 2
"""Shortest name or alias found exactly among other words: "dj tutorial" finds Django, "i" nothing.

The whole query is always compared exactly, however short; this floor is for words inside it.
"""

MAX_NGRAM_WORDS = 4
"""Longest run of query words compared as one name ("ruby on rails" is 3, "asp net core" is 3)."""

MAX_TYPO_RUNS = 8
"""Most runs of query words compared by edits in one query; single words go first, then pairs
and so on, each in query order. 8 covers every run of a 5-word question that is no filler."""

_FILLER = """
    a about an and app apps application backend beginner beginners best course do doc docs
    documentation for framework frameworks get getting guide guides help how http i in intro
    introduction is learn learning library me my of on or please rest server show start started
    the to tutorial tutorials use using vs web what with api apis
    """
FILLER_WORDS = frozenset(_FILLER.split())
"""Words a learner wraps around a name ("how do i use express", "flask tutorial"), and words so
many names share that they single out none ("web", "api", "server").

They never match a framework on their own, nor are they looked at for typos; the languages (and
"js") are added to them. A name that contains one ("Ruby on Rails") still matches: only a run of
query words that starts or ends with a filler word is skipped.
"""

CONTEXT_WORDS = frozenset({"on", "with", "using", "in", "via", "over", "inside", "behind"})
"""Words after which a name sets the scene rather than says what is asked: in "express server on
node", the learner asks about Express."""

_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_OFFSETS = (0.0, 0.25, 0.75)


def _neighbour_keys() -> frozenset[tuple[str, str]]:
    """Return the pairs of letters next to each other on a QWERTY keyboard, rows included."""
    places = {
        char: (column + _ROW_OFFSETS[row], float(row))
        for row, letters in enumerate(_KEYBOARD)
        for column, char in enumerate(letters)
    }
    return frozenset(
        (a, b)
        for a, (ax, ay) in places.items()
        for b, (bx, by) in places.items()
        if a != b and (ax - bx) ** 2 + (ay - by) ** 2 <= 1.6
    )


NEIGHBOUR_KEYS = _neighbour_keys()
"""A wrong letter a typist hits: "flask" as "flasj" is a slip, "flash" a different word."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How far a misspelling may be from a name, by the name's length, for a confident answer.

    `python -m bench.tune` measures other values by passing them to `Matcher`.
    """

    short: int = 3
    """Names of up to this many letters accept only two letters swapped, a letter doubled, or
    a stray letter from a key next to the one beside it: "gni", "ginn" and "gimn" are Gin,
    "gen", "gim" or "gain" could be anything."""
    careful: int = 5
    """Names of up to this many letters accept one edit, but not at the first letter ("sails"
    and "grails" are not "rails") and a wrong letter only from a neighbouring key."""
    two_edits: int = 7
    """Names of at least this many letters accept two edits with the first letter right
    ("lavarel" is Laravel); shorter ones accept one."""


class Query(NamedTuple):
    """A query, read once: its folded words, and the key of them all."""

    words: list[str]
    key: str


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
    """The answer to a lookup: a confident framework, a language's frameworks, or suggestions."""

    framework: Framework | None
    """The framework the query names, when there is no doubt."""
    suggestions: tuple[Suggestion, ...]
    """Best first, one per framework; empty when found. For a language, all its frameworks in
    guide order; otherwise at most `NOT_FOUND_SUGGESTIONS`."""
    language: str | None = None
    """The language the query named instead of a framework, spelt as the guide spells it."""


class _Letter(NamedTuple):
    """The keys that start with one letter, in two orders."""

    keys: list[str]
    """Sorted by length, then alphabetically: a misspelling is compared with a few lengths."""
    bounds: list[tuple[int, int, int]]
    """(length, first, end) of each length's run of `keys`, shortest first."""
    alphabetical: list[str]
    """The same keys alphabetically: those that start with some letters are one slice."""

    @classmethod
    def of(cls, alphabetical: list[str]) -> _Letter:
        """Index `alphabetical`, keys that start with one letter, in alphabetical order."""
        keys = sorted(alphabetical, key=len)
        bounds = []
        low, end = 0, len(keys)
        while low < end:  # a step per length, not per key: no list of the keys' lengths
            length = len(keys[low])
            high = bisect.bisect_right(keys, length, low, key=len)
            bounds.append((length, low, high))
            low = high
        return cls(keys, bounds, alphabetical)

    def starting(self, start: str) -> list[str]:
        """Return the keys that start with `start`, alphabetically."""
        low = bisect.bisect_left(self.alphabetical, start)
        return self.alphabetical[
            low : bisect.bisect_left(self.alphabetical, start + "\U0010ffff", low)
        ]


def _by_first_letter(alphabetical: list[str]) -> dict[str, _Letter]:
    """Index `alphabetical`, keys in alphabetical order, by their first letter."""
    letters: dict[str, _Letter] = {}
    low = 0
    while low < len(alphabetical):  # one binary search per letter, not a step per key
        first = alphabetical[low][0]
        high = bisect.bisect_left(alphabetical, chr(ord(first) + 1), low)
        letters[first] = _Letter.of(alphabetical[low:high])
        low = high
    return letters


Tier = Callable[[Query, Container[int], int], dict[int, float]]


class Matcher:
    """An index of a guide's names and aliases, built once, for lookups and autocomplete.

    Args:
        frameworks: The guide's frameworks, in the guide's (curated) order, which breaks ties.
        thresholds: How far a misspelling may be from a name; the defaults suit any guide.
        pairs: Also index the names by each pair of letters in them, so that autocomplete
            reads only the names that contain a query's rarest pair, not all of them (the
            same answers). It costs about as much again as the rest of the build, and about
            2 MB at 10,000 frameworks (less the text of all names, then never read): the
            running bot's guide-parsing child (`bot.apart`) builds it, and the bot's own
            process only unpickles it.
    """

    def __init__(
        self,
        frameworks: Sequence[Framework],
        thresholds: Thresholds = Thresholds(),
        *,
        pairs: bool = False,
    ) -> None:
        self._frameworks = tuple(frameworks)
        self._thresholds = thresholds
        self._languages = _index_languages(self._frameworks)
        self._language_keys = sorted(self._languages)
        self._filler = FILLER_WORDS | {"js"} | self._languages.keys() | _LANGUAGE_ALIASES
        # Every name and alias is read in a few passes in C over the whole guide, and every
        # structure is built by C-level operations over all of them at once (dict(zip(...)),
        # map, compress, sorted): a Python statement per name would cost more than a rapidfuzz
        # pass over the names (see bench/README.md). The names come first (framework i's name
        # is text i), then every alias; each text's owners are its framework's one tuple.
        count = len(self._frameworks)
        alias_lists = list(map(operator.attrgetter("aliases"), self._frameworks))
        texts = [
            *map(operator.attrgetter("name"), self._frameworks),
            *itertools.chain.from_iterable(alias_lists),
        ]
        singles = list(zip(range(count)))
        owners = [
            *singles,
            *itertools.chain.from_iterable(map(itertools.repeat, singles, map(len, alias_lists))),
        ]
        # The spellings keep a ".js" ("nestjs" as well as "nest"): typos are measured on them.
        folded, spellings, keys, with_js = _read_all(texts, count)
        self._exact, shared = _exact_index(keys, owners, count)
        # Texts the guide tells apart (it compares by `name_key`) but folding joins ("Netify"
        # and "Dotnetify", as "dot net" folds to "net"): what was typed decides between them.
        as_typed: dict[str, set[int]] = collections.defaultdict(set)
        for text, key, (owner,) in zip(texts, keys, owners, strict=True) if shared else ():
            if key in shared:
                as_typed[name_key(text)].add(owner)
        self._as_typed = {
            text: owners.pop() for text, owners in as_typed.items() if len(owners) == 1
        }
        # A word of names, or a run of them ("boot", "aspnet"), names the frameworks it is in.
        several = list(itertools.compress(range(count), map(operator.ne, spellings, folded)))
        word_owners = _word_index(
            _split_all(list(map(folded.__getitem__, several))),
            list(map(singles.__getitem__, several)),
            self._filler,
        )
        self._name_words = word_owners  # read after `_exact`, which has the names and aliases
        self._other = frozenset(
            key
            for key in _OTHER_KEYS | (_LANGUAGE_ALIASES - self._languages.keys())
            if key not in self._exact and key not in word_owners
        )
        typed = dict(
            zip(map(spellings.__getitem__, with_js), map(owners.__getitem__, with_js), strict=True)
        )

        # One index serves every kind of match: the names, aliases and words of names, their
        # spellings with ".js", and the names of other software (no framework: empty owners),
        # by first letter, each sorted by length, then alphabetically. The keys of one length
        # that start with some letters are a slice, found by binary search: completions of what
        # is typed, shortest first, and the keys of about its length a misspelling is compared
        # with (those that start with one of its first two letters).
        partial = dict(self._exact)  # then what is not a name or alias, in this order
        known = list(map(partial.__contains__, word_owners))
        both = list(itertools.compress(word_owners, known))  # "flask" in "Quart Flask" too
        owners_of = map(word_owners.__getitem__, both), map(partial.__getitem__, both)
        for word in itertools.compress(both, map(operator.ne, *owners_of)):
            partial[word] = tuple(dict.fromkeys((*self._exact[word], *word_owners[word])))
        words = list(itertools.compress(word_owners, map(operator.not_, known)))
        partial.update(zip(words, map(word_owners.__getitem__, words), strict=True))
        for more in (typed, dict.fromkeys(self._other, ())):
            missing = more.keys() - partial.keys()
            partial.update(zip(missing, map(more.__getitem__, missing), strict=True))
        self._owners = partial
        self._letters = _by_first_letter(sorted(partial))
        # Substrings are looked for in names only (the words of a name are in it), shortest
        # first: one text of them all, so that the search runs in C (`str.find`).
        names = keys[:count]
        by_length = sorted(range(len(names)), key=list(map(len, names)).__getitem__)
        ordered = list(map(names.__getitem__, by_length))
        starts = itertools.accumulate(map((1).__add__, map(len, ordered)), initial=0)
        every: Names = ("\n".join(ordered), list(starts), by_length)
        # With the pairs, every name is in them, and the whole text is never read.
        self._every_name: Names | None = None if pairs else every
        self._pairs = _pair_index(every) if pairs else None

    # Lookup

    def lookup(self, query: str) -> Lookup:
        """Return the framework `query` names, or suggestions when it names none for sure.

        See the module's docstring for how it decides.

        Args:
            query: What the learner typed; any text, of any length.

        Returns:
            The framework; or a language's frameworks; or `None` and up to
            `NOT_FOUND_SUGGESTIONS` suggestions, the first entries of `suggest(query)`.
        """
        read = parse(query)
        if not read.key:
            return Lookup(framework=None, suggestions=())
        found = self._exact.get(read.key)
        if self._as_typed and (typed := self._as_typed.get(name_key(query))) is not None:
            found = (typed,)
        if found is None and read.key not in self._other:
            language = self._languages.get(read.key) or self._language_among(read.words)
            if language is not None:
                spelling, indices = language
                suggestions = tuple(self._suggestion(index, 100.0) for index in indices)
                return Lookup(framework=None, suggestions=suggestions, language=spelling)
            found = self._named(read.words) or self._by_prefix(read) or self._by_typo(read)
        if found is not None and len(found) == 1:
            return Lookup(framework=self._frameworks[found[0]], suggestions=())
        return Lookup(framework=None, suggestions=tuple(self.suggest(query, NOT_FOUND_SUGGESTIONS)))

    def _language_among(self, words: list[str]) -> tuple[str, tuple[int, ...]] | None:
        """Return the one language named by words that are all filler ("python frameworks")."""
        if not all(word in self._filler for word in words):
            return None
        named = {self._languages[word] for word in words if word in self._languages}
        return named.pop() if len(named) == 1 else None

    def _named(self, words: list[str]) -> tuple[int, ...] | None:
        """Return the frameworks that runs of `words` name exactly, the strongest evidence only.

        A name or alias outranks a word of a name, a longer run the runs inside it, and a name
        after a context word ("on node") counts only when nothing else is named.
        """
        spans: list[tuple[int, int, int, tuple[int, ...]]] = []  # start, end, strength, owners
        for start, end, key in _runs(words):
            lone_filler = end - start == 1 and words[start] in self._filler
            if lone_filler or len(key) < MIN_RUN_KEY_LENGTH:
                continue
            if key in self._exact:
                spans.append((start, end, 2, self._exact[key]))
            elif key in self._name_words:
                spans.append((start, end, 1, self._name_words[key]))
        spans = [
            span
            for span in spans
            if not any(s <= span[0] and span[1] <= e and (s, e) != span[:2] for s, e, *_ in spans)
        ]
        if not spans:
            return None
        strongest = max(strength for _, _, strength, _ in spans)
        spans = [span for span in spans if span[2] == strongest]
        leading = [s for s in spans if s[0] == 0 or words[s[0] - 1] not in CONTEXT_WORDS]
        return tuple(dict.fromkeys(i for *_, owners in leading or spans for i in owners))

    def _by_prefix(self, read: Query) -> tuple[int, ...] | None:
        """Return the frameworks whose names start with the query's words, if it is long enough.

        Other software starting the same way makes it ambiguous ("fast": FastAPI, Fastify).
        """
        key = key_of("".join(word for word in read.words if word not in self._filler))
        if len(key) < MIN_PREFIX_LENGTH:
            return None
        letter = self._letters.get(key[0])
        starting = list(map(self._owners.__getitem__, letter.starting(key) if letter else ()))
        if not all(starting):  # other software starts so too
            return ()
        found = tuple(dict.fromkeys(index for owners in starting for index in owners))
        return found or None

    def _by_typo(self, read: Query) -> tuple[int, ...] | None:
        """Return the framework the query's words misspell, when one is clearly closest.

        Each run of words that is not filler (single words first) is compared. The cheapest
        plausible misspelling wins (`typo_cost`: a doubled letter is cheaper than a swap, a swap
        than a stray letter), and any other framework or other software as cheap for its run
        makes the answer ambiguous.
        """
        best: tuple[int, ...] | None = None
        best_cost = 3.0
        for run in self._typo_runs(read):
            if run in self._other:
                continue
            # Two edits cost at least 1.5 and one at most 1: when a key one edit away will do,
            # none two edits away can win or rival it, and the far fewer keys within one edit
            # are all there is to read.
            for max_distance in (1, 2):
                near = [  # a name is its framework's, even where it is also a word of others
                    (cost, self._exact.get(key, owners), self._plausible(run, key, distance))
                    for key, distance, owners in self._near_keys(run, max_distance)
                    for cost in [typo_cost(run, key, distance)]
                ]
                plausible = [(c, owners) for c, owners, plausible in near if owners and plausible]
                if plausible:
                    break
            if not plausible:
                continue
            cost = min(cost for cost, _ in plausible)
            winners = {i for c, owners in plausible if c == cost for i in owners}
            rivals = any(
                c <= cost and (not owners or not winners.issuperset(owners))
                for c, owners, _ in near
            )
            answer = tuple(winners) if not rivals else ()
            if cost < best_cost:
                best, best_cost = answer, cost
            elif cost == best_cost and best is not None and set(answer) != set(best):
                best = ()
        return best

    def _typo_runs(self, read: Query) -> list[str]:
        """Return the keys of runs of words to compare by edits, single words first."""
        words = read.words
        runs = sorted(
            (end - start, start, key)
            for start, end, key in _runs(words)
            if words[start] not in self._filler and words[end - 1] not in self._filler
            if len(key) >= MIN_TYPO_LENGTH
        )
        return list(dict.fromkeys(key for _, _, key in runs))[:MAX_TYPO_RUNS]

    def _plausible(self, query: str, name: str, distance: int) -> bool:
        """Return whether `query` is a slip a typist makes when typing `name` (see `Thresholds`)."""
        limits = self._thresholds
        if distance == 0:
            return True
        if len(query) < MIN_TYPO_LENGTH:
            return False
        if distance == 2:
            return len(name) >= limits.two_edits and query[0] == name[0]
        if distance != 1:
            return False
        kind, position = _one_edit(query, name)
        if len(name) <= limits.short:  # a stray letter only from a key next to its neighbour
            stray = kind == "insert" and position > 0 and typo_cost(query, name, 1) < 1
            return stray or kind in {"swap", "double"}
        if len(name) <= limits.careful:
            if position == 0 and kind not in {"swap", "double", "undouble"}:
                return False
            return kind != "substitute" or (query[position], name[position]) in NEIGHBOUR_KEYS
        return True

    def _near_keys(
        self, query: str, max_distance: int, *, prefix: bool = False
    ) -> list[tuple[str, int, tuple[int, ...]]]:
        """Return (key, OSA distance, owners) for keys within `max_distance` of `query`.

        Only keys that start with the query's first or second letter are read (a swap of the
        first two letters, or a stray letter before them): a slip at the very first letter is
        rare, and not forgiven. With `prefix`, the query (at least 4
        letters) is compared with the beginning of each longer key, as typed so far ("djagn":
        "djang").
        """
        found: dict[str, tuple[str, int, tuple[int, ...]]] = {}
        keys: list[str] = []
        if prefix:
            # Beginnings are many more than whole names: their first three letters must be
            # right, or two of them swapped.
            starts = (query[:3], query[0] + query[2] + query[1], query[1] + query[0] + query[2])
            for start in dict.fromkeys(starts):
                letter = self._letters.get(start[0])
                if letter is not None:
                    keys += [key for key in letter.starting(start) if len(key) > len(query)]
        else:
            firsts = list(dict.fromkeys(query[:2]))
            if max_distance == 1 and len(firsts) == 2:
                # One edit from the query, a key that starts with its second letter is one of
                # four (the first letter dropped, swapped, typed for the second, or a stray one
                # before it): looked up, not read among the thousands a large guide has.
                second = query[1]
                for key in (query[1:], second + query[0] + query[2:], second + query[1:]):
                    if key in self._owners:
                        found[key] = (key, 1, self._owners[key])
                if (key := second + query) in self._owners:
                    found[key] = (key, 1, self._owners[key])
                del firsts[1]
            for first in firsts:
                letter = self._letters.get(first)
                if letter is not None:
                    low = bisect.bisect_left(letter.keys, len(query) - max_distance, key=len)
                    high = bisect.bisect_right(letter.keys, len(query) + max_distance, low, key=len)
                    keys += letter.keys[low:high]
        choices = [key[: len(query)] for key in keys] if prefix else keys
        for _, distance, position in process.extract(
            query,
            choices,
            scorer=OSA.distance,
            processor=None,
            score_cutoff=max_distance,
            limit=None,
        ):
            key = keys[position]
            if key not in found or distance < found[key][1]:
                found[key] = (key, int(distance), self._owners[key])
        return list(found.values())

    # Autocomplete

    def suggest(self, query: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Suggestion]:
        """Return autocomplete suggestions for `query`, best first, one per framework.

        Exact names and aliases come first, then frameworks named by words of the query, then
        names, aliases and words of names that start with the query (a whole word first), then
        the frameworks of a language the query names or begins ("py"), then names that contain
        the query, then names it misspells, whole or as far as typed. Within each kind, ties go
        to the shorter name, then to guide order. An empty query lists the guide in order.

        Args:
            query: What the learner has typed so far.
            limit: Most suggestions to return; never more than `AUTOCOMPLETE_LIMIT`.

        Returns:
            At most `limit` suggestions, labelled with the framework's name.
        """
        limit = max(0, min(limit, AUTOCOMPLETE_LIMIT))
        if not query[:MAX_QUERY_LENGTH].strip():
            return [
                self._suggestion(index, 0.0) for index in range(min(limit, len(self._frameworks)))
            ]
        read = parse(query)
        if not read.key:
            return []
        tiers: tuple[Tier, ...] = (
            self._exact_scores,
            self._named_scores,
            self._prefix_scores,
            self._language_scores,
            self._substring_scores,
            self._typo_scores,
        )
        chosen: dict[int, float] = {}
        for tier in tiers:
            if len(chosen) >= limit:
                break
            scores = tier(read, chosen, limit - len(chosen))
            fresh = sorted(
                [(-score, index) for index, score in scores.items() if index not in chosen]
            )
            for score, index in fresh[: limit - len(chosen)]:
                chosen[index] = -score
        return [self._suggestion(index, score) for index, score in chosen.items()]

    def _exact_scores(self, read: Query, _chosen: Container[int], _need: int) -> dict[int, float]:
        return dict.fromkeys(self._exact.get(read.key, ()), 100.0)

    def _named_scores(self, read: Query, _chosen: Container[int], _need: int) -> dict[int, float]:
        if len(read.words) < 2:
            return {}
        named = self._named(read.words) or ()
        return dict.fromkeys(named, 100.0)

    def _language_scores(self, read: Query, chosen: Container[int], need: int) -> dict[int, float]:
        """Score the frameworks of a language the query names or begins, the first `need` new.

        They score alike, so guide order ranks them: a language of a large guide has thousands.
        """
        language = self._languages.get(read.key)
        if language is None and len(read.key) >= MIN_LANGUAGE_PREFIX:
            position = bisect.bisect_left(self._language_keys, read.key)
            keys = self._language_keys[position : position + 1]
            if keys and keys[0].startswith(read.key):
                language = self._languages[keys[0]]
        if language is None:
            language = next(
                (self._languages[word] for word in read.words if word in self._languages), None
            )
        if language is None:
            return {}
        fresh = itertools.filterfalse(chosen.__contains__, language[1])
        return dict.fromkeys(itertools.islice(fresh, need), 50.0)

    def _prefix_scores(self, read: Query, chosen: Container[int], need: int) -> dict[int, float]:
        """Score the keys that start with the query, shortest first.

        A key of length m starting with the query (length n) scores 200 * n / (n + m), which
        falls as m grows: once a whole length has been read and `need` frameworks not in
        `chosen` were found, no longer key can displace them.
        """
        key = read.key
        scores: dict[int, float] = {}
        letter = self._letters.get(key[0])
        if letter is None:
            return scores
        fresh = 0
        for length, keys in self._by_length_starting(letter, key):
            if fresh >= need:
                break
            score = 200.0 * len(key) / (len(key) + length)
            for owners in map(self._owners.__getitem__, keys):
                for index in owners:
                    if index not in scores:
                        scores[index] = score
                        fresh += index not in chosen
        return scores

    def _by_length_starting(self, letter: _Letter, key: str) -> Iterable[tuple[int, list[str]]]:
        """Yield (length, keys) of the keys that start with `key`, shortest first."""
        if len(key) > MIN_WORD_LENGTH:  # few keys start so: sort them by length
            for length, keys in itertools.groupby(sorted(letter.starting(key), key=len), len):
                yield length, list(keys)
            return
        # Many do: read one length at a time, each length's keys a slice.
        for length, first, end in letter.bounds[bisect.bisect_left(letter.bounds, (len(key),)) :]:
            low = bisect.bisect_left(letter.keys, key, first, end)
            high = bisect.bisect_left(letter.keys, key + "\U0010ffff", low, end)
            if low < high:
                yield length, letter.keys[low:high]

    def _substring_scores(self, read: Query, chosen: Container[int], need: int) -> dict[int, float]:
        """Score the names that contain the query, shortest first, as `_prefix_scores` does."""
        key = read.key
        scores: dict[int, float] = {}
        if len(key) < MIN_SUBSTRING_LENGTH:
            return scores
        # With pairs, only the names that have the query's rarest pair of letters are read.
        pairs = self._pairs
        names = self._every_name if pairs is None else self._rarest_pair(pairs, key)
        if names is None:  # a pair of letters of the query is in no name
            return scores
        text, starts, indices = names
        fresh, last_length = 0, 0
        found = text.find(key)
        while found != -1:
            position = bisect.bisect_right(starts, found) - 1
            length = starts[position + 1] - starts[position] - 1
            if fresh >= need and length > last_length:
                break
            index = indices[position]
            if index not in scores:
                scores[index] = 200.0 * len(key) / (len(key) + length)
                fresh += index not in chosen
            last_length = length
            found = text.find(key, starts[position + 1])
        return scores

    @staticmethod
    def _rarest_pair(pairs: dict[str, Names], key: str) -> Names | None:
        """Return the names that contain the pair of letters of `key` that fewest names have.

        None when a pair is in no name: then neither is `key`.
        """
        rarest: Names | None = None
        for start in range(len(key) - 1):
            names = pairs.get(key[start : start + 2])
            if names is None:
                return None
            if rarest is None or len(names[0]) < len(rarest[0]):
                rarest = names
        return rarest

    def _typo_scores(self, read: Query, _chosen: Container[int], _need: int) -> dict[int, float]:
        """Score names the query's words misspell: whole names first, then beginnings."""
        scores: dict[int, float] = {}
        runs = [read.key] if len(read.words) < 2 else self._typo_runs(read)
        for run in runs:
            if len(run) < MIN_TYPO_LENGTH:
                continue
            limit = 1 if len(run) < self._thresholds.two_edits else 2
            for prefix, bonus in ((False, 50.0), (True, 0.0)):
                if prefix and len(run) <= MIN_TYPO_LENGTH:
                    continue
                for key, distance, owners in self._near_keys(run, limit, prefix=prefix):
                    score = bonus + 50.0 * (1 - distance / (len(key) + 1))
                    for index in owners:
                        scores[index] = max(score, scores.get(index, 0.0))
        return scores

    def _suggestion(self, index: int, score: float) -> Suggestion:
        framework = self._frameworks[index]
        return Suggestion(framework.key, framework.name, score)  # by position: a little faster


Names = tuple[str, Sequence[int], Sequence[int]]
"""Names joined on line breaks, shortest first; where each starts (and where the last ends);
and each one's framework."""


def _pair_index(every: Names) -> dict[str, Names]:
    """Return, for each pair of letters in the names of `every`, the names that contain it.

    Each pair's names keep their order in `every` (shortest first). Every pair of every name is
    grouped in C (a list per pair, appended to by `map`), then joined per pair.
    """
    text, _, indices = every
    ordered = text.split("\n")
    lines = itertools.chain.from_iterable(
        map(itertools.repeat, range(len(ordered)), map((1).__add__, map(len, ordered)))
    )
    found: dict[str, list[int]] = collections.defaultdict(list)
    pairs = map(operator.add, text, text[1:] + "\n")  # one per character, with its line's
    collections.deque(map(list.append, map(found.__getitem__, pairs), lines), maxlen=0)
    index: dict[str, Names] = {}
    for pair, lines_of in found.items():
        if "\n" in pair:
            continue
        each = list(dict.fromkeys(lines_of))  # a name with the pair twice is one name
        names = list(map(ordered.__getitem__, each))
        starts = itertools.accumulate(map((1).__add__, map(len, names)), initial=0)
        index[pair] = (
            "\n".join(names),
            array.array("i", starts),  # 4 bytes each, not a list's 8 and an int's 28
            array.array("i", map(indices.__getitem__, each)),
        )
    return index


def _index_languages(
    frameworks: Sequence[Framework],
) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Map what a learner may type for each language of the guide to its name and frameworks.

    A language's frameworks come in guide order, with those of related languages
    (`RELATED_LANGUAGES`) among them.
    """
    canonical = {
        key_of(fold(alias)): language
        for language, aliases in LANGUAGES.items()
        for alias in (language, *aliases)
    }
    texts = list(map(operator.attrgetter("language"), frameworks))
    named = {text: canonical.get(key, key) for text in set(texts) for key in [key_of(fold(text))]}
    members: dict[str, list[int]] = collections.defaultdict(list)
    groups = map(members.__getitem__, map(named.__getitem__, texts))  # each its language's list
    collections.deque(map(list.append, groups, range(len(texts))), maxlen=0)  # in C, in order
    spelling = {language: frameworks[indices[0]].language for language, indices in members.items()}
    index: dict[str, tuple[str, tuple[int, ...]]] = {}
    for language, indices in members.items():
        others = RELATED_LANGUAGES.get(language, ())
        related = [members[other] for other in others if other in members]
        together = sorted(set(indices).union(*related)) if related else indices
        entry = (spelling[language], tuple(together))
        index[language] = entry
        for alias, target in canonical.items():
            if target == language:
                index[alias] = entry
    return index


def _exact_index(
    keys: list[str], owners: list[tuple[int]], names: int
) -> tuple[dict[str, tuple[int, ...]], set[str]]:
    """Map each key to the frameworks it names: the one whose name it is, else all in order.

    The first `names` keys are the frameworks' names, and `owners` holds each key's framework,
    the same tuple for all of one framework's keys. A name beats an alias: an alias can never
    take a name away from its framework. In a valid guide two frameworks share a key only where
    folding joins what the guide tells apart ("c#" and "csharp"), which two passes in C rule
    out at once (each key's last owner owns every one of its texts); otherwise each key is
    looked at, and the shared keys are returned too.
    """
    exact: dict[str, tuple[int, ...]] = dict(zip(keys, owners))  # noqa: B905
    if all(map(operator.is_, map(exact.__getitem__, keys), owners)):
        exact.pop("", None)
        return exact, set()
    groups: dict[str, list[int]] = {}
    for key, (owner,) in zip(keys, owners):  # noqa: B905
        group = groups.setdefault(key, [])
        if owner not in group:
            group.append(owner)
    exact = {}
    for key, group in groups.items():
        named = [owner for owner in group if keys[owner] == key]
        exact[key] = (named[0],) if named else tuple(sorted(group))
    exact.pop("", None)
    return exact, {key for key, group in groups.items() if len(group) > 1}


def _word_index(
    names: list[list[str]], owners: list[tuple[int]], filler: frozenset[str]
) -> dict[str, tuple[int, ...]]:
    """Map the words of names, and runs of them (`_word_runs`), to the frameworks they are in.

    `names` holds the words of each name, `owners` its framework, in guide order. Filler words,
    and words shorter than `MIN_WORD_LENGTH`, name nothing. Names of one or two words (nearly
    all) are read in C; a word found more than once is looked at on its own.
    """
    counts = list(map(len, names))
    short = list(map((3).__gt__, counts))  # one or two words: the words; more: their runs
    words = list(itertools.chain.from_iterable(itertools.compress(names, short)))
    word_owners = list(
        itertools.chain.from_iterable(
            map(
                itertools.repeat,
                itertools.compress(owners, short),
                itertools.compress(counts, short),
            )
        )
    )
    longer = list(map(operator.not_, short))
    runs, run_owners = _long_name_runs(
        list(itertools.compress(names, longer)), list(itertools.compress(owners, longer)), filler
    )
    words += runs
    word_owners += run_owners
    index: dict[str, tuple[int, ...]] = dict(zip(words, word_owners))  # noqa: B905
    counted = collections.Counter(words)
    repeated = set(itertools.compress(counted, map((1).__lt__, counted.values())))
    gathered: dict[str, set[int]] = collections.defaultdict(set)
    for word, (owner,) in itertools.compress(
        zip(words, word_owners),  # noqa: B905
        map(repeated.__contains__, words),
    ):
        gathered[word].add(owner)
    for word, found in gathered.items():
        index[word] = tuple(sorted(found))
    too_short = itertools.compress(index, map(MIN_WORD_LENGTH.__gt__, map(len, index)))
    for word in [*too_short, *(index.keys() & filler)]:
        index.pop(word, None)
    return index


def _long_name_runs(
    names: list[list[str]], owners: list[tuple[int]], filler: frozenset[str]
) -> tuple[list[str], list[tuple[int]]]:
    """Return the runs of words (`_word_runs`) of names of three or more words, and their owners.

    Where at most one word of a name is not filler, or two that are its first and last ("Ruby
    on Rails"), its runs are those words alone: such names, nearly all, are read in C. The
    others are read one by one.
    """
    if not names:
        return [], []
    sizes = list(map(len, names))
    words = list(itertools.chain.from_iterable(names))
    named = list(map(operator.not_, map(filler.__contains__, words)))
    ends = list(itertools.accumulate(sizes))
    starts = [0, *ends[:-1]]
    before = list(itertools.accumulate(named, initial=0))
    kept = list(map(operator.sub, map(before.__getitem__, ends), map(before.__getitem__, starts)))
    outer = map(
        operator.and_,
        map(named.__getitem__, starts),
        map(named.__getitem__, map((-1).__add__, ends)),
    )
    alone = list(
        map(operator.or_, map((2).__gt__, kept), map(operator.and_, map((2).__eq__, kept), outer))
    )
    wanted = list(
        map(
            operator.and_, named, itertools.chain.from_iterable(map(itertools.repeat, alone, sizes))
        )
    )
    runs = _without_js_all(list(itertools.compress(words, wanted)))
    word_owners = itertools.chain.from_iterable(map(itertools.repeat, owners, sizes))
    run_owners = list(itertools.compress(word_owners, wanted))
    for parts, owned in itertools.compress(zip(names, owners), map(operator.not_, alone)):  # noqa: B905
        more = list(_word_runs(parts, filler))
        runs += more
        run_owners += itertools.repeat(owned, len(more))
    return runs, run_owners


_SHARP = re.compile(r"(?<![a-z0-9])([cf])\s*#")
_PLUS_PLUS = re.compile(r"(?<![a-z0-9])c\s*\+\+")
_DOT_NET = re.compile(r"dot\s*net")
"""Spellings whose letters alone say too little ("c#" would be "c"), or that are written out
("dotnet" for ".net"); names and queries are both read through them."""

_WORD = re.compile(r"[^\W_]+")
"""A word: a run of letters and digits, the characters `name_key` keeps."""
_NOT_ALNUM = re.compile(r"[^\w\n]|_")
_ASCII_SPACED = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) != "\n"}
)
_NOT_ASCII_ALNUM = str.maketrans(
    "", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum() and chr(c) != "\n")
)


def fold(text: str) -> str:
    """Return `text` (its first `MAX_QUERY_LENGTH` characters) as names are compared.

    Compatibility-normalized and casefolded, with `_SHARP`, `_PLUS_PLUS` and `_DOT_NET` applied.
    """
    return _fold_whole(text[:MAX_QUERY_LENGTH])


def _fold_whole(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "#" in text:  # each pattern runs only where it can match: guides are long texts
        text = _SHARP.sub(r"\1sharp", text)
    if "++" in text:
        text = _PLUS_PLUS.sub("cpp", text)
    if "dot" in text:
        text = _DOT_NET.sub("net", text)
    return text


def _read_all(texts: list[str], names: int) -> tuple[list[str], list[str], list[str], list[int]]:
    """Return `fold` of the first `names` texts, and the letters and digits and key of each text.

    Also the positions of the texts whose key is not their letters and digits (`_strip_js`).
    The texts are names and aliases, never longer than a query, read as one text, in C.
    """
    if not texts:
        return [], [], [], []
    folded = _fold_whole("\n".join(texts))
    alnum = _alnum(folded)
    spellings = alnum.split("\n")
    if len(spellings) != len(texts):  # a name with a line break: rare, and slower
        # The break becomes a space, as it is to words, so that the texts joined on line
        # breaks here and in `_split_all` come apart again where they were joined.
        folded = "\n".join(fold(text.replace("\n", " ")) for text in texts)
        alnum = _alnum(folded)
        spellings = alnum.split("\n")
    return folded.split("\n", names)[:names], spellings, *_strip_js(spellings, alnum)


def _without_js_all(texts: list[str], joined: str | None = None) -> list[str]:
    """Return `_without_js` of each of `texts` (joined on line breaks, if given), in one pass."""
    return _strip_js(texts, joined)[0]


def _strip_js(texts: list[str], joined: str | None = None) -> tuple[list[str], list[int]]:
    """Return `_without_js` of each of `texts`, and the positions of those it changed.

    `texts` may be joined on line breaks already (`joined`). The unchanged texts are the same
    objects: most keys are their spelling, so a copy of the list and a change at the few that
    end in "js" cost less than a new string for every text. The texts that end in "js" are
    found by splitting the joined text there, in C.
    """
    if not texts:
        return [], []
    if joined is None:
        joined = "\n".join(texts)
    # Between two "js\n" there are as many line breaks as texts that do not end so.
    parts = (joined + "\n").split("js\n")
    ends = list(itertools.accumulate(map(str.count, parts, itertools.repeat("\n"))))
    ends = list(map(operator.add, ends, range(len(ends))))[:-1]
    # "js" alone is itself (`_without_js`).
    longer = map((2).__lt__, map(len, map(texts.__getitem__, ends)))
    changed = list(itertools.compress(ends, longer))
    stripped = texts.copy()
    shortened = map(operator.getitem, map(texts.__getitem__, changed), itertools.repeat(_NO_JS))
    collections.deque(map(stripped.__setitem__, changed, shortened), maxlen=0)
    return stripped, changed


_NO_JS = slice(None, -2)


def _alnum(folded: str) -> str:
    """Return the letters, digits and line breaks of folded text."""
    if folded.isascii():
        return folded.translate(_NOT_ASCII_ALNUM)
    return _NOT_ALNUM.sub("", folded)


def _split_all(folded: list[str]) -> list[list[str]]:
    """Return the words of each folded text (as `_words` gives them), in one pass."""
    joined = "\n".join(folded)
    if not folded or not joined.isascii():
        return list(map(_words, folded))
    return list(map(str.split, joined.translate(_ASCII_SPACED).split("\n")))


def key_of(folded: str) -> str:
    """Return the key of folded text: its letters and digits, without a trailing "js".

    The same as `name_key` gives for the same characters.
    """
    return _without_js("".join(_WORD.findall(folded)))


def _without_js(alnum: str) -> str:
    return alnum[:-2] if alnum.endswith("js") and len(alnum) > 2 else alnum


def parse(query: str) -> Query:
    """Read a query once: its folded words, and the key of them all."""
    words = _words(fold(query))
    return Query(words=words, key=_without_js("".join(words)))


def _words(folded: str) -> list[str]:
    """Split casefolded text into runs of letters and digits, as `name_key` sees characters."""
    return _WORD.findall(folded)


def _word_runs(words: list[str], filler: Container[str]) -> Iterable[str]:
    """Yield the words of a name and the runs of them short of the whole ("asp", "aspnet").

    A run that starts or ends with a filler word ("on" in "Ruby on Rails") is no name's word.
    """
    for start in range(len(words)):
        if words[start] in filler:
            continue
        for end in range(start + 1, len(words) + (start > 0)):
            if words[end - 1] not in filler:
                yield _without_js("".join(words[start:end]))


def _runs(words: list[str]) -> Iterable[tuple[int, int, str]]:
    """Yield (start, end, key) for every run of up to `MAX_NGRAM_WORDS` consecutive words."""
    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_NGRAM_WORDS, len(words)) + 1):
            yield start, end, _without_js("".join(words[start:end]))


def typo_cost(query: str, name: str, distance: int) -> float:
    """Return how unlikely a slip `query` is for `name`, given their OSA distance.

    One edit costs 1, less for the slips typists make most: a letter doubled or a double typed
    once (0.5), two letters swapped (0.75), a neighbouring key hit or added (0.9). Two letters
    exchanged across one between them ("lavarel") cost 1.5; other edits cost their number.
    """
    exchanged = len(query) == len(name) and sorted(query) == sorted(name)
    if distance == 2 and exchanged and sum(a != b for a, b in zip(query, name)) == 2:  # noqa: B905
        return 1.5
    if distance != 1:
        return float(distance)
    kind, position = _one_edit(query, name)
    if kind in {"double", "undouble"}:
        return 0.5
    if kind == "swap":
        return 0.75
    if kind == "substitute":
        return 0.9 if (query[position], name[position]) in NEIGHBOUR_KEYS else 1.0
    if kind == "insert":
        char, around = (
            query[position],
            query[position - 1 : position] + name[position : position + 1],
        )
        return 0.9 if any((char, other) in NEIGHBOUR_KEYS for other in around) else 1.0
    return 1.0


def _one_edit(query: str, name: str) -> tuple[str, int]:
    """Return which single edit turns `name` into `query`, and where.

    The kinds are "swap" (two neighbouring letters), "substitute", "double" (a letter typed
    twice), "insert" (a stray letter), "undouble" (a double letter typed once) and "delete".
    """
    position = 0
    while position < min(len(query), len(name)) and query[position] == name[position]:
        position += 1
    if len(query) == len(name):
        swapped = query[position : position + 2] == name[position : position + 2][::-1]
        return ("swap" if swapped and position + 1 < len(name) else "substitute"), position
    if len(query) > len(name):
        char = query[position]
        doubled = char in (query[position - 1 : position], query[position + 1 : position + 2])
        return ("double" if doubled else "insert"), position
    char = name[position]
    doubled = char in (name[position - 1 : position], name[position + 1 : position + 2])
    return ("undouble" if doubled else "delete"), position


_OTHER_KEYS = frozenset(key_of(fold(name)) for name in OTHER_SOFTWARE)
"""Keys of `OTHER_SOFTWARE`; those a guide uses are its own (see `Matcher`)."""

_LANGUAGE_ALIASES = frozenset(
    key_of(fold(key)) for language, aliases in LANGUAGES.items() for key in (language, *aliases)
)
"""What learners type for languages, as `fold` and `key_of` leave it ("c#" is "csharp")."""
