"""Guide insight's pure half: what a record holds, and how the gaps report reads."""

from __future__ import annotations

import json

import pytest

from bot import replies
from bot.insight import Count, Gaps, Lookup, Outcome, format_gaps, lookup_of, normalize_query
from bot.matching import Matcher
from bot.store import Snapshot
from tests.conftest import make_framework, make_guide

MATCHER = Matcher(make_guide().frameworks)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Django", "django"),
        ("  DJANGO \t rest\nframework ", "django rest framework"),
        ("\uff21\uff33\uff30.\uff2e\uff25\uff34", "asp.net"),  # full-width ASP.NET
        ("c#", "c#"),  # punctuation is what a maintainer wants to read
        ("dj\u200bango\u202e", "django"),  # zero-width and direction marks go
        ("<@123> @everyone", "<@123> @everyone"),  # kept as text; escaped where it is shown
        ("", ""),
        (" \u200b ", ""),
    ],
)
def test_queries_are_normalized(text: str, normalized: str) -> None:
    assert normalize_query(text) == normalized


def test_a_normalized_query_is_at_most_100_characters() -> None:
    assert len(normalize_query("a" * 6000)) == 100
    assert normalize_query("a" * 99 + " b") == "a" * 99  # no trailing space where it was cut


@pytest.mark.parametrize(
    ("query", "outcome", "framework"),
    [
        ("Django", Outcome.ANSWERED, "django"),
        ("djagno", Outcome.ANSWERED, "django"),
        ("flsk djngo", Outcome.SUGGESTED, None),
        ("zzzzzzzz", Outcome.NOT_FOUND, None),
    ],
)
def test_a_lookup_records_how_it_went(query: str, outcome: Outcome, framework: str | None) -> None:
    lookup = lookup_of("framework", query, MATCHER.lookup(query))
    assert lookup is not None
    assert (lookup.command, lookup.outcome, lookup.framework) == ("framework", outcome, framework)
    assert lookup.query == normalize_query(query)


def test_an_empty_query_is_no_lookup() -> None:
    assert lookup_of("resources", "   ", MATCHER.lookup("   ")) is None


GAPS = Gaps(
    misses=(Count("fastapi", 3), Count("flsk djngo", 1)),
    answered=(Count("django", 12), Count("flask", 2)),
    lookups=18,
    answered_at_once=14,
)


def test_the_json_report_has_exactly_the_documented_shape() -> None:
    # The contract: {"misses": [{"query": ..., "count": ...}, ...],
    # "answered": [{"framework": ..., "count": ...}, ...], "lookups": N}
    assert json.loads(json.dumps(GAPS.to_json())) == {
        "misses": [{"query": "fastapi", "count": 3}, {"query": "flsk djngo", "count": 1}],
        "answered": [{"framework": "django", "count": 12}, {"framework": "flask", "count": 2}],
        "lookups": 18,
    }


def test_a_report_named_by_the_guide_keeps_the_keys_it_no_longer_has() -> None:
    named = GAPS.named(make_guide(make_framework("Django")))
    assert named.answered == (Count("Django", 12), Count("flask", 2))
    assert named.misses == GAPS.misses


def test_the_share_answered_at_once() -> None:
    assert GAPS.share_answered == pytest.approx(14 / 18)
    assert Gaps(misses=(), answered=(), lookups=0, answered_at_once=0).share_answered is None


def test_the_text_report_lists_misses_then_frameworks() -> None:
    assert format_gaps(GAPS, days=30, guild_id=None).splitlines() == [
        "Lookups in the last 30 days, all servers: 18, 14 answered at once (78%)",
        "",
        "Most asked, found nothing:",
        "  3  fastapi",
        "  1  flsk djngo",
        "",
        "Most asked frameworks:",
        "  12  django",
        "   2  flask",
    ]


def test_the_text_report_of_an_empty_window() -> None:
    empty = Gaps(misses=(), answered=(), lookups=0, answered_at_once=0)
    assert format_gaps(empty, days=1, guild_id=42).splitlines() == [
        "Lookups in the last day, server 42: 0, 0 answered at once (no lookups)",
        "",
        "Most asked, found nothing:",
        "  (none)",
        "",
        "Most asked frameworks:",
        "  (none)",
    ]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda s: replies.framework_reply(s, "Djagno", asker=7),
            Lookup(
                command="framework", query="djagno", outcome=Outcome.ANSWERED, framework="django"
            ),
        ),
        (
            lambda s: replies.framework_reply(s, "zzzzzzzz", asker=7, hide=True),
            Lookup(
                command="framework", query="zzzzzzzz", outcome=Outcome.NOT_FOUND, framework=None
            ),
        ),
        (
            lambda s: replies.resources_reply(s, "flsk djngo", asker=7, kind="video"),
            Lookup(
                command="resources", query="flsk djngo", outcome=Outcome.SUGGESTED, framework=None
            ),
        ),
        (
            # The framework answered; that it has no video is the guide's answer, not a miss.
            lambda s: replies.resources_reply(s, "flask", asker=7, kind="video"),
            Lookup(command="resources", query="flask", outcome=Outcome.ANSWERED, framework="flask"),
        ),
        (lambda s: replies.framework_reply(s, "", asker=7), None),  # the list: no lookup
    ],
)
def test_a_lookup_reply_carries_what_to_record(build, expected) -> None:
    assert build(Snapshot.of(make_guide())).lookup == expected
