"""`Matcher._near_keys` finds every key within one edit, whichever way it reads them.

A key that starts with the query's second letter is one of four strings (see `_near_keys`); this
compares what it returns with OSA distances computed over every key of the guide.
"""

import random

from rapidfuzz.distance import OSA

from bench.synth import synthetic_guide
from bot.matching import Matcher


def test_the_keys_one_edit_away_are_those_osa_finds_among_all():
    matcher = Matcher(synthetic_guide(1_000))
    keys = list(matcher._owners)
    rng = random.Random(8)
    queries = set()
    for key in rng.sample(keys, 400):
        queries.add(key)
        if len(key) > 2:
            at = rng.randrange(len(key) - 1)
            queries.add(key[:at] + key[at + 1] + key[at] + key[at + 2 :])  # a swap
            queries.add(key[:at] + key[at + 1 :])  # a letter dropped
            queries.add(key[:at] + rng.choice("aeiknrst") + key[at:])  # a stray letter
            queries.add(key[1] + key)  # the second letter typed first too
    for query in sorted(q for q in queries if len(q) >= 3):
        expected = {
            (key, OSA.distance(query, key))
            for key in keys
            if key[0] in query[:2] and OSA.distance(query, key) <= 1
        }
        found = {(key, distance) for key, distance, _ in matcher._near_keys(query, 1)}
        assert found == expected, query


def test_a_lookup_reads_keys_two_edits_away_only_when_none_one_edit_away_will_do():
    """The typo tier's shortcut (one edit first) answers as reading two edits at once would."""
    frameworks = synthetic_guide(1_000)
    fast, thorough = Matcher(frameworks), Matcher(frameworks)
    near = thorough._near_keys
    thorough._near_keys = lambda query, _max_distance, **kwargs: near(query, 2, **kwargs)  # type: ignore[method-assign]
    rng = random.Random(9)
    queries = []
    for framework in rng.sample(frameworks, 300):
        name = framework.name.casefold()
        for _ in range(3):
            typed = list(name)
            for _edit in range(rng.randint(1, 2)):
                at = rng.randrange(len(typed))
                match rng.randrange(3):
                    case 0 if at + 1 < len(typed):
                        typed[at], typed[at + 1] = typed[at + 1], typed[at]
                    case 1 if len(typed) > 3:
                        del typed[at]
                    case _:
                        typed.insert(at, rng.choice("aeiknrst"))
            queries.append("".join(typed))
    # (The reference reads two edits for the suggestions of a miss too; those are not compared.)
    found = [(fast.lookup(query).framework, thorough.lookup(query).framework) for query in queries]

    assert all(mine == theirs for mine, theirs in found)
    assert sum(mine is not None for mine, _ in found) > 300
