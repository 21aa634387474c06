"""The index of letter pairs (`Matcher(pairs=True)`) changes how fast names are found, never which.

The running bot's matcher has it (`bot.apart` builds it in the guide-parsing child); every other
matcher reads all names instead. Both must give the same suggestions, in the same order.
"""

import itertools

import pytest

from bench.synth import synthetic_guide
from bot.guide import load_guide
from bot.matching import Matcher, _pair_index
from tests.conftest import SHIPPED_GUIDE
from tests.confusable import confusable_guide

GUIDES = {
    "shipped": lambda: load_guide(SHIPPED_GUIDE).frameworks,
    "confusable": confusable_guide,
    "synthetic 1,000": lambda: synthetic_guide(1_000),
}
NAMES_ASKED = 60
"""Frameworks whose names are cut into queries: all of the shipped and confusable guides'."""


def queries(frameworks):
    """Every piece of two to six letters of every name, some with two letters swapped, and more."""
    found = {"", "zq", "qz", "xx", "a b", "js", "py", "net", "core", "é", "ßt", "c#", "ruby on"}
    for framework in frameworks[:NAMES_ASKED]:
        for text in (framework.name, *framework.aliases):
            letters = text.casefold()
            for start, size in itertools.product(range(len(letters)), range(2, 7)):
                piece = letters[start : start + size]
                found.add(piece)
                if len(piece) > 3:
                    found.add(piece[0] + piece[2] + piece[1] + piece[3:])
    return sorted(found)


@pytest.mark.parametrize("guide", GUIDES)
def test_the_pairs_give_the_same_suggestions_as_reading_every_name(guide):
    frameworks = GUIDES[guide]()
    reading, indexed = Matcher(frameworks), Matcher(frameworks, pairs=True)
    for query in queries(frameworks):
        for limit in (25, 5):
            assert indexed.suggest(query, limit) == reading.suggest(query, limit), query
        assert indexed.lookup(query) == reading.lookup(query), query


def test_a_pair_lists_each_name_that_has_it_once_shortest_first():
    pairs = _pair_index(("ab\naba\ncabab\nxyz", [0, 3, 7, 13, 17], [7, 8, 9, 10]))
    names, starts, frameworks = pairs["ab"]
    assert names == "ab\naba\ncabab"
    assert list(starts) == [0, 3, 7, 13]  # where each name starts, and where the last ends
    assert list(frameworks) == [7, 8, 9]
    assert set(pairs) == {"ab", "ba", "ca", "xy", "yz"}  # none across two names
