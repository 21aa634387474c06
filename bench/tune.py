"""Measure how the lookup thresholds trade typo recall against confident wrong answers.

Run with `.venv/bin/python -m bench.tune`. For the seed guide and a 10,000-framework synthetic one
it builds queries of two kinds:

- typos: every one-edit variant (deletion, doubled letter, adjacent transposition, substitution by
  a keyboard neighbour, insertion of a neighbour) of the seed names and aliases, and of a sample of
  the synthetic names;
- misses: names of frameworks and words that are not in the guide (react, pizza, python, ...).

Then, for a grid of `MATCH_CUTOFF` and `MATCH_MARGIN` values, it prints the share of typos found
(right framework), the share answered with a wrong framework, and the share of misses answered
with any framework. A second table does the same for autocomplete and `SUGGEST_CUTOFF`: how often
a misspelt beginning of a seed name ("djagn", "sprng b") lists that framework, and how many
suggestions a miss gets. The constants in `bot/matching.py` were chosen from these tables.
"""

from __future__ import annotations

import random

from bench.synth import MISSES, synthetic_guide, typos
from bot import matching
from bot.guide import Framework, name_key
from bot.matching import Matcher


def typo_queries(
    frameworks: list[Framework], sample: int, rng: random.Random
) -> list[tuple[str, str]]:
    chosen = frameworks[:14] + rng.sample(frameworks[14:], min(sample, len(frameworks) - 14))
    queries: set[tuple[str, str]] = set()
    for framework in chosen:
        for text in (framework.name, *framework.aliases):
            key = name_key(text)
            if len(key) < matching.MIN_FUZZY_LENGTH + 1:
                continue
            for typo in typos(key):
                if typo != key:
                    queries.add((typo, framework.key))
    return sorted(queries)


def evaluate(frameworks: list[Framework], sample: int) -> None:
    rng = random.Random(7)
    matcher = Matcher(frameworks)
    keys = [framework.key for framework in frameworks]
    matching.SUGGEST_CUTOFF = 50.0  # collect low runner-up scores once, decide per grid point
    matching.MATCH_CUTOFF, matching.MATCH_MARGIN = 60.0, 0.0

    # The tables need each query's two best scores once, then decide for every grid point: this
    # reads the matcher's internals instead of calling `lookup` once per query and grid point.
    def ranked(query: str) -> tuple[str | None, list[tuple[float, str]]]:
        folded = query.casefold()
        exact = matcher._exact.get(name_key(folded))
        if exact:
            return (keys[exact[0]] if len(exact) == 1 else "?"), []
        scores = matcher._fuzzy_scores(folded, name_key(folded))
        return None, sorted(((-score, keys[index]) for index, score in scores.items()))[:2]

    typo_runs = [(want, ranked(query)) for query, want in typo_queries(frameworks, sample, rng)]
    miss_runs = [ranked(query) for query in MISSES if name_key(query) not in matcher._exact]

    def decide(
        run: tuple[str | None, list[tuple[float, str]]], cutoff: float, margin: float
    ) -> str | None:
        exact, top = run
        if exact is not None:
            return exact
        if not top or -top[0][0] < cutoff:
            return None
        runner_up = -top[1][0] if len(top) > 1 else 0.0
        return top[0][1] if -top[0][0] - runner_up >= margin else None

    print(f"{len(frameworks)} frameworks: {len(typo_runs)} typo queries, {len(miss_runs)} misses")
    print(f"{'cutoff':>7} {'margin':>7} {'found':>7} {'wrong':>7} {'miss->fw':>9}")
    for cutoff in (70.0, 75.0, 80.0, 85.0):
        for margin in (0.0, 4.0, 8.0, 12.0):
            found = sum(decide(run, cutoff, margin) == want for want, run in typo_runs)
            wrong = sum(decide(run, cutoff, margin) not in (None, want) for want, run in typo_runs)
            false = sum(decide(run, cutoff, margin) is not None for run in miss_runs)
            print(
                f"{cutoff:7.0f} {margin:7.0f} {found / len(typo_runs):7.1%} "
                f"{wrong / len(typo_runs):7.1%} {false / len(miss_runs):9.1%}"
            )


def evaluate_suggest(frameworks: list[Framework]) -> None:
    matcher = Matcher(frameworks)
    queries: set[tuple[str, str]] = set()
    for framework in frameworks[:14]:
        key = name_key(framework.name)
        for length in range(matching.MIN_FUZZY_LENGTH + 1, len(key) + 1):
            queries.update((typo, framework.key) for typo in typos(key[:length]))
    print(f"{len(frameworks)} frameworks: {len(queries)} misspelt beginnings of seed names")
    print(f"{'cutoff':>7} {'in top 5':>9} {'in top 25':>10} {'per miss':>9}")
    for cutoff in (50.0, 55.0, 60.0, 65.0, 70.0):
        matching.SUGGEST_CUTOFF = cutoff
        ranks = []
        for query, want in sorted(queries):
            keys = [suggestion.key for suggestion in matcher.suggest(query)]
            ranks.append(keys.index(want) if want in keys else None)
        top5 = sum(rank is not None and rank < 5 for rank in ranks) / len(ranks)
        top25 = sum(rank is not None for rank in ranks) / len(ranks)
        noise = sum(len(matcher.suggest(query)) for query in MISSES) / len(MISSES)
        print(f"{cutoff:7.0f} {top5:9.1%} {top25:10.1%} {noise:9.1f}")


def main() -> None:
    defaults = matching.MATCH_CUTOFF, matching.MATCH_MARGIN, matching.SUGGEST_CUTOFF
    for size, sample in ((14, 0), (10_000, 40)):
        frameworks = synthetic_guide(size)
        evaluate(frameworks, sample)
        evaluate_suggest(frameworks)
        matching.MATCH_CUTOFF, matching.MATCH_MARGIN, matching.SUGGEST_CUTOFF = defaults


if __name__ == "__main__":
    main()
