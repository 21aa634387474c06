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
