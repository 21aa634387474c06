"""Measure how the matcher's thresholds trade typo recall against wrong and unwanted answers.

Run with `.venv/bin/python -m bench.tune`. For the seed guide, the confusable test guide of
`tests/confusable.py` and a 10,000-framework synthetic one it builds queries of two kinds:

- typos: every one-edit variant (deletion, doubled letter, adjacent transposition, substitution
  by a keyboard neighbour, insertion of a neighbour) of the seed names and aliases (and of the
  confusable guide's names);
- misses: names of other frameworks and words that are not in the guide (react, pizza, ...).

Then, for a grid of `Thresholds` passed to `Matcher`, it prints the share of typos found (right
framework), the share answered with a wrong framework, and the share of misses answered with any
framework. The defaults of `bot.matching.Thresholds` were chosen from these tables: the largest
recall with no miss answered and almost no wrong answer.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/tune.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import MISSES, synthetic_guide, typos
from bot.guide import Framework, name_key
from bot.matching import MIN_TYPO_LENGTH, Matcher, Thresholds
from tests.confusable import confusable_guide

GRID = {
    "short": (2, 3, 4),
    "careful": (4, 5, 6),
    "two_edits": (6, 7, 99),
}
"""Values tried for each field of `Thresholds` (99: never two edits)."""


def typo_queries(frameworks: list[Framework], sample: int) -> list[tuple[str, str]]:
    """Return (typo, framework key) for one-edit typos of the first `sample` frameworks' names."""
    queries: set[tuple[str, str]] = set()
    names = {name_key(text) for fw in frameworks for text in (fw.name, *fw.aliases)}
    for framework in frameworks[:sample]:
        for text in (framework.name, *framework.aliases):
            key = name_key(text)
            if len(key) < MIN_TYPO_LENGTH:
                continue
            queries.update((typo, framework.key) for typo in typos(key) if typo not in names)
    return sorted(queries)


def evaluate(label: str, frameworks: list[Framework], sample: int) -> None:
    """Print the grid's table for one guide."""
    typo_runs = typo_queries(frameworks, sample)
    names = {name_key(text) for fw in frameworks for text in (fw.name, *fw.aliases)}
    plain = Matcher(frameworks)
    misses = [m for m in MISSES if name_key(m) not in names and plain.lookup(m).language is None]
    print(f"{label}: {len(typo_runs)} typo queries, {len(misses)} misses")
    print(f"{'short':>6} {'careful':>8} {'two':>4} {'found':>7} {'wrong':>7} {'miss->fw':>9}")
    for short, careful, two_edits in itertools.product(*GRID.values()):
        matcher = Matcher(frameworks, Thresholds(short, careful, two_edits))
        answers = [matcher.lookup(query).framework for query, _ in typo_runs]
        keys = [None if fw is None else fw.key for fw in answers]
        found = sum(key == want for key, (_, want) in zip(keys, typo_runs, strict=True))
        wrong = sum(key not in (None, want) for key, (_, want) in zip(keys, typo_runs, strict=True))
        false = sum(matcher.lookup(miss).framework is not None for miss in misses)
        print(
            f"{short:>6} {careful:>8} {two_edits:>4} {found / len(typo_runs):7.1%} "
            f"{wrong / len(typo_runs):7.1%} {false / len(misses):9.1%}"
        )


def main() -> None:
    evaluate("seed guide", synthetic_guide(14), 14)
    evaluate("confusable guide", list(confusable_guide()), 60)
    evaluate("10,000 frameworks", synthetic_guide(10_000), 14)


if __name__ == "__main__":
    main()
