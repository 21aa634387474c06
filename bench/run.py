"""Time the matcher against a naive rapidfuzz scan, on guides of 14 to 100,000 frameworks.

Run with `.venv/bin/python -m bench.run` (or `python bench/run.py`); `--answers` checks the
answers only, untimed, on the smaller guides (CI runs it through `tests/test_bench.py`).

For each guide size it times building the `Matcher` (alone, and with the index of letter pairs
that the running bot's matcher has: `Matcher(pairs=True)`, built in its guide-parsing child),
lookups (exact hits, typos, misses) and autocomplete (the empty query, prefixes of 1 to 5
characters, misspelt names) on the bot's matcher, each query on its own, and prints the median
(p50) and the 99th percentile (p99) over the set's queries. The same queries also go through the
baseline: one `process.extract(query, names, scorer=fuzz.WRatio, processor=default_process,
limit=25)` over the flat list of names and aliases, which is what a first version of a matcher
would do. Its cost hardly depends on the query, so it is timed on
`BASELINE_QUERIES` of them, and the ratio column is the matcher's p99 over the baseline's median,
from the same run. The build is compared with one such baseline pass over every name.

The quality column says how well the matcher answered: the right framework for hits and for
the typos (the same typos of the seed names at every size, so a larger guide must not make them
unfindable, nor answer them wrongly), no card for misses, the intended framework among the
suggestions for misspelt autocomplete.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):  # run as `python bench/run.py`: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bench.synth import MISSES, SEED_TYPOS, synthetic_guide
from bot.guide import Framework
from bot.matching import Matcher

SIZES = (14, 1_000, 10_000, 100_000)
ANSWER_SIZES = (14, 1_000, 10_000)
"""Sizes `--answers` checks: enough to show that growth changes no answer, quick enough for CI."""
QUERIES_PER_SET = 24
BASELINE_QUERIES = 12
"""Queries timed through the baseline, two from each set: a linear scan costs about the same for
any, so their median is the baseline for every row of the size."""
REPEATS = 5
"""Each query is timed this many times and the best kept: the rest is the machine's noise."""
BUILD_REPEATS = 11
"""Builds timed, each beside a baseline pass, the best of each kept: a build is tens of
milliseconds of allocation, which other work on the machine slows by up to a fifth."""

T = TypeVar("T")
Query = tuple[str, str | None]
"""A query and the key of the framework it should find (None: it names none)."""


def baseline(names: Sequence[str]) -> Callable[[str], list[Any]]:
    """Return the naive matcher: WRatio over the flat list of names and aliases."""

    def extract(query: str) -> list[Any]:
        return process.extract(
            query, names, scorer=fuzz.WRatio, processor=default_process, limit=25
        )

    return extract


def times(function: Callable[[T], object], queries: Sequence[T], repeats: int) -> list[float]:
    """Return each query's best time of `repeats` calls, in seconds of this process's CPU.

    CPU time, not wall time: the machine may be busy with other work, which would otherwise
    count against whichever side happened to run while it was.
    """
    return [
        min(
            timeit.repeat(
                lambda query=query: function(query),
                repeat=repeats,
                number=1,
                timer=time.process_time,
            )
        )
        for query in queries
    ]


def p99(values: Sequence[float]) -> float:
    """Return the 99th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * len(ordered) + 0.5) - 1)]


def query_sets(frameworks: list[Framework], seed: int) -> dict[str, list[Query]]:
    """Return the named query sets, the same for the same guide and seed."""
    rng = random.Random(seed)
    sample = [rng.choice(frameworks) for _ in range(QUERIES_PER_SET)]
    hits = []
    for framework in sample:
        text = rng.choice((framework.name, *framework.aliases))
        dotted = text if text.casefold().endswith("js") else f"{text}.js"
        forms = (text, text.upper(), f"learn {text}", f"{text} tutorial", dotted)
        hits.append((rng.choice(forms), framework.key))
    sets: dict[str, list[Query]] = {
        "lookup hit": hits,
        "lookup typo": list(SEED_TYPOS),
        "lookup miss": [(miss, None) for miss in rng.sample(MISSES, QUERIES_PER_SET)],
        "suggest empty": [("", None)],
    }
    for length in range(1, 6):
        sets[f"suggest prefix {length}"] = [(fw.key[:length], fw.key) for fw in sample]
    sets["suggest typo"] = list(SEED_TYPOS)
    return sets


def quality(matcher: Matcher, name: str, queries: list[Query]) -> tuple[str, bool]:
    """Return how well the matcher answered a set (see the module's docstring), and if all did."""
    if name.startswith("lookup"):
        found = [matcher.lookup(query).framework for query, _ in queries]
        keys = [None if fw is None else fw.key for fw in found]
        right = sum(key == want for key, (_, want) in zip(keys, queries, strict=True))
        wrong = sum(key not in (None, want) for key, (_, want) in zip(keys, queries, strict=True))
        if name == "lookup miss":
            return f"{right}/{len(queries)} no card", right == len(queries)
        return f"{right}/{len(queries)} right, {wrong} wrong", right == len(queries)
    if name == "suggest typo":
        listed = sum(want in [s.key for s in matcher.suggest(query)[:5]] for query, want in queries)
        return f"{listed}/{len(queries)} in the first 5", listed == len(queries)
    return "", True


def check_answers(sizes: Sequence[int] = ANSWER_SIZES) -> list[str]:
    """Return the sets answered less than perfectly, as "size set: quality"; empty when none."""
    failures = []
    for size in sizes:
        frameworks = synthetic_guide(size)
        matcher = Matcher(frameworks, pairs=True)  # the bot's; the pairs change no answer
        for name, queries in query_sets(frameworks, seed=size).items():
            verdict, perfect = quality(matcher, name, queries)
            if not perfect:
                failures.append(f"{size} {name}: {verdict}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", action="store_true", help="check answers only, untimed")
    parser.add_argument("--sizes", type=int, nargs="+", help="guide sizes (default: all)")
    args = parser.parse_args()
    if args.answers:
        failures = check_answers(args.sizes or ANSWER_SIZES)
        print("\n".join(failures) or "every answer right")
        return 1 if failures else 0

    started = time.perf_counter()
    header = (
        f"{'size':>7}  {'operation':<17} {'p50 ms':>8} {'p99 ms':>8} {'base ms':>8} "
        f"{'ratio':>7}  quality"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes or SIZES:
        frameworks = synthetic_guide(size)
        names = [text for fw in frameworks for text in (fw.name, *fw.aliases)]
        repeats = 2 if size >= 100_000 else BUILD_REPEATS
        matcher, naive = Matcher(frameworks, pairs=True), baseline(names)
        sets = query_sets(frameworks, seed=size)
        sample = [query for queries in sets.values() for query, _ in queries[:2] if query]
        ours, paired, theirs = math.inf, math.inf, math.inf
        for _ in range(repeats):  # alternately, so that both see the same load on the machine
            ours = min(ours, *times(Matcher, [frameworks], 1))
            theirs = min(theirs, statistics.median(times(naive, sample[:BASELINE_QUERIES], 1)))
        for _ in range(repeats):  # after: its garbage would fall on the next build timed
            paired = min(paired, *times(_with_pairs, [frameworks], 1))
        print(
            f"{size:>7}  {'build':<17} {_ms(ours)} {'':>8} {_ms(theirs)} {ours / theirs:7.2f}  "
            f"{len(names)} names and aliases"
        )
        print(
            f"{size:>7}  {'build with pairs':<17} {_ms(paired)} {'':>8} {_ms(theirs)} "
            f"{paired / theirs:7.2f}  as the bot's parsing child builds it"
        )

        for name, queries in sets.items():
            function = matcher.lookup if name.startswith("lookup") else matcher.suggest
            ours_each = times(function, [query for query, _ in queries], REPEATS)
            print(
                f"{size:>7}  {name:<17} {_ms(statistics.median(ours_each))} {_ms(p99(ours_each))} "
                f"{_ms(theirs)} {p99(ours_each) / theirs:7.3f}  "
                f"{quality(matcher, name, queries)[0]}"
            )
    elapsed = time.perf_counter() - started
    print(
        f"\nms per call; ratio = matcher p99 / baseline p50, same run (build: matcher / one "
        f"baseline pass); {elapsed:.0f} s in all"
    )
    return 0


def _with_pairs(frameworks: list[Framework]) -> Matcher:
    return Matcher(frameworks, pairs=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f}"


if __name__ == "__main__":
    sys.exit(main())
