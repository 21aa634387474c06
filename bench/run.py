"""Time the matcher against a naive rapidfuzz scan, on guides of 14, 1,000 and 10,000 frameworks.

Run with `.venv/bin/python -m bench.run` (or `python bench/run.py`). For each guide size it times
building the `Matcher`, lookups (exact hits, typos, misses) and autocomplete (the empty query,
prefixes of 1 to 5 characters, misspelt names), and the same queries through the baseline: one
`process.extract(query, names, scorer=fuzz.WRatio, processor=default_process, limit=25)` over the
flat list of names and aliases, which is what a first version of a matcher would do.

Machines are noisy, so absolute times mean little: compare the ratio column, matcher time over
baseline time measured in the same run (below 1 means the matcher is faster). Each time is the
best of several timeit-style repeats, per call; "worst" is the slowest single query of the set.
The last column says how well the matcher answered: the right framework for hits and typos, no
framework for misses, the intended framework among the suggestions for misspelt autocomplete.
"""

from __future__ import annotations

import random
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/run.py`: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bench.synth import MISSES, synthetic_guide, typos
from bot.guide import Framework, name_key
from bot.matching import Matcher

SIZES = (14, 1_000, 10_000)
QUERIES_PER_SET = 12
"""Queries per set: enough to mix easy and hard ones, few enough for the slow baseline at 10k."""
REPEATS = 3
MIN_BATCH_SECONDS = 0.02
"""Shortest timed batch, as `timeit.autorange` does: shorter ones are mostly timer noise."""

Query = tuple[str, str | None]
"""A query and the key of the framework it should find (None: it names none)."""


def baseline(names: Sequence[str]) -> Callable[[str], list[Any]]:
    """Return the naive matcher: WRatio over the flat list of names and aliases."""

    def extract(query: str) -> list[Any]:
        return process.extract(
            query, names, scorer=fuzz.WRatio, processor=default_process, limit=25
        )

    return extract


def per_call(function: Callable[[str], object], queries: Sequence[str]) -> float:
    """Return the best time of one call, in seconds, over `REPEATS` batches of all `queries`."""

    def batch() -> None:
        for query in queries:
            function(query)

    timer = timeit.Timer(batch)
    number = 1
    while (elapsed := timer.timeit(number)) < MIN_BATCH_SECONDS and number < 1_000:
        number *= 4
    return min(elapsed, *timer.repeat(REPEATS - 1, number)) / number / len(queries)


def worst_call(function: Callable[[str], object], queries: Sequence[str]) -> float:
    """Return the slowest query's best-of-`REPEATS` time, in seconds."""
    return max(
        min(timeit.repeat(lambda query=query: function(query), repeat=REPEATS, number=1))
        for query in queries
    )


def query_sets(frameworks: list[Framework], seed: int) -> dict[str, list[Query]]:
    """Return the named query sets, the same for the same guide and seed."""
    rng = random.Random(seed)
    sample = rng.sample(frameworks, min(QUERIES_PER_SET, len(frameworks)))
    hits, misspelt = [], []
    for framework in sample:
        text = rng.choice((framework.name, *framework.aliases))
        forms = (text, text.upper(), f"learn {text}", f"{text} tutorial", f"{text}.js")
        hits.append((rng.choice(forms), framework.key))
        typo = rng.choice(sorted(set(typos(name_key(framework.name))) - {framework.key}))
        misspelt.append((typo, framework.key))
    sets: dict[str, list[Query]] = {
        "lookup hit": hits,
        "lookup typo": misspelt,
        "lookup miss": [(miss, None) for miss in rng.sample(MISSES, QUERIES_PER_SET)],
        "suggest empty": [("", None)],
    }
    for length in range(1, 6):
        sets[f"suggest prefix {length}"] = [(fw.key[:length], fw.key) for fw in sample]
    sets["suggest typo"] = misspelt
    return sets


def quality(matcher: Matcher, name: str, queries: list[Query]) -> str:
    """Return how well the matcher answered a set (see the module's docstring)."""
    if name.startswith("lookup"):
        found = [matcher.lookup(query).framework for query, _ in queries]
        right = sum(
            (None if fw is None else fw.key) == want
            for fw, (_, want) in zip(found, queries, strict=True)
        )
        return f"{right}/{len(queries)} {'none' if name == 'lookup miss' else 'right'}"
    if name == "suggest typo":
        listed = sum(want in [s.key for s in matcher.suggest(query)] for query, want in queries)
        return f"{listed}/{len(queries)} listed"
    return ""


def main() -> None:
    started = time.perf_counter()
    header = (
        f"{'size':>6}  {'operation':<17} {'matcher':>9} {'worst':>9} {'baseline':>9} "
        f"{'ratio':>7}  quality"
    )
    print(header)
    print("-" * len(header))
    for size in SIZES:
        frameworks = synthetic_guide(size)
        names = [text for fw in frameworks for text in (fw.name, *fw.aliases)]

        def build(frameworks: list[Framework] = frameworks) -> Matcher:
            return Matcher(frameworks)

        def flat(frameworks: list[Framework] = frameworks) -> list[str]:
            return [text for fw in frameworks for text in (fw.name, *fw.aliases)]

        ours = min(timeit.repeat(build, repeat=REPEATS, number=1))
        theirs = min(timeit.repeat(flat, repeat=REPEATS, number=1))
        print(
            f"{size:>6}  {'build':<17} {_ms(ours)} {'':>9} {_ms(theirs)} {ours / theirs:7.0f}  "
            f"{len(names)} names and aliases"
        )

        matcher, naive = build(), baseline(names)
        for name, queries in query_sets(frameworks, seed=size).items():
            function = matcher.lookup if name.startswith("lookup") else matcher.suggest
            texts = [query for query, _ in queries]
            ours, theirs = per_call(function, texts), per_call(naive, texts)
            print(
                f"{size:>6}  {name:<17} {_ms(ours)} {_ms(worst_call(function, texts))} "
                f"{_ms(theirs)} {ours / theirs:7.3f}  {quality(matcher, name, queries)}"
            )
    elapsed = time.perf_counter() - started
    print(f"\nms per call; ratio = matcher / baseline, same run; {elapsed:.0f} s in all")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.3f}"


if __name__ == "__main__":
    main()
