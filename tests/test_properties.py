"""Property tests: whatever a learner types into any text option, the bot's answer holds up.

Every command's text options (`/framework name`, `/resources framework`, and the autocomplete
of both) get any Unicode: empty, up to Discord's 6,000 characters, invisibles, direction marks,
emoji, markdown, mention syntax and links. The answer must never raise, must be a body Discord
accepts (the emulator's OpenAPI and limit checks), must ping nobody but the one `mention`
target, and must echo the query only as inert inline code.
"""

import asyncio
import functools
import json
import re
import unicodedata
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot import render, replies
from bot.guide import ResourceKind, load_guide, parse_guide
from bot.payload import callback_body
from bot.replies import Reply
from bot.store import Snapshot
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.validation import CALLBACK, SpecValidator, json_path, limit_problems

settings.register_profile(
    "guidebot-properties",
    max_examples=200,
    deadline=None,  # a cold start of the JSON-schema validator takes longer than the default
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("guidebot-properties")

OPTION_MAX_CHARS = 6000
"""The longest value Discord sends for a string option."""
SNOWFLAKE_MAX = 2**63 - 1

NASTY_PIECES = [
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",
    "\u2069",
    "\u0301",  # combining acute accent
    "\ud800",  # a lone surrogate, as JSON's \ud800 escape decodes
    "\U000e0001",  # language tag
    "\uf8ff",  # private use
    "😀",
    "👩‍💻",
    "🏳️‍🌈",
    "🇫🇷",
    "\uff44\uff4a\uff41\uff4e\uff47\uff4f",  # fullwidth "django"
    "İ",
    "ß",
    "ﬀ",
    "Ⅻ",
    "مرحبا",
    "שלום",
    "*",
    "**bold**",
    "__",
    "~~",
    "||spoiler||",
    "`",
    "```py\nprint()\n```",
    "> ",
    "# ",
    "-# ",
    "\\",
    "[click](https://evil.example)",
    "<https://evil.example>",
    "https://evil.example/x?y=(z)",
    "discord.gg/invite",
    "@everyone",
    "@here",
    "<@1>",
    "<@!1>",
    "<@&2>",
    "<#3>",
    "</framework:4>",
    "<:emoji:5>",
    "<t:0:R>",
    "django",
    "dj",
    "node.js",
    "rails",
]


def hostile_guide_text() -> str:
    """Return a valid guide at every limit, with markdown and mention syntax in every name."""
    frameworks = []
    for number in range(30):
        name = f"@everyone <@&2> **F{number}** [x](https://e.example) `|`"
        frameworks.append(
            {
                "name": (name + "w" * 80)[:80],
                "aliases": [f"@here a{number}", f"<@1> b{number}"],
                "language": ("L*_~`|>" * 20)[: 80 - 3] + f"{number % 3:03}",
                "summary": ("**" * 60)[:100],
                "description": ("<@1> @everyone [x](https://e.example) " * 200)[:4096],
                "used_by": [("@here " * 20)[:100]] * 20,
                "features": [("~~x~~ " * 20)[:100]] * 20,
                "resources": [
                    {
                        "title": (f"](https://evil.example) {number}.{r} " + "t" * 200)[:200],
                        "url": f"https://e.example/{number}/{r}?q=({'p' * 400})"[:512],
                        "kind": [kind.value for kind in ResourceKind][r % len(ResourceKind)],
                    }
                    for r in range(30)
                ],
            }
        )
    guide = {
        "title": ("@everyone " * 30)[:256],
        "intro": "i" * 4096,
        "prerequisites": {"text": "p" * 4096, "languages": ["Python"], "concepts": ["HTTP"]},
        "frameworks": frameworks,
        "conclusion": "c" * 4096,
    }
    return json.dumps(guide, ensure_ascii=False)


SNAPSHOTS = {
    "shipped": Snapshot.of(load_guide(SHIPPED_GUIDE)),
    "hostile": Snapshot.of(parse_guide(hostile_guide_text(), source="hostile.json")),
}
names = sorted(
    {fw.name for snapshot in SNAPSHOTS.values() for fw in snapshot.guide.frameworks}
    | {
        alias
        for snapshot in SNAPSHOTS.values()
        for fw in snapshot.guide.frameworks
        for alias in fw.aliases
    }
)


@st.composite
def near_names(draw: st.DrawFn) -> str:
    """A framework name or alias with a typo, to reach the "did you mean" answers."""
    name = draw(st.sampled_from(names))
    at = draw(st.integers(0, len(name)))
    cut = draw(st.integers(0, 2))
    inserted = draw(st.sampled_from(NASTY_PIECES) | st.text(max_size=2))
    return name[:at] + inserted + name[at + cut :]


nasty_text = st.lists(
    st.sampled_from(NASTY_PIECES) | st.text(max_size=4), min_size=0, max_size=40
).map("".join)
long_text = st.builds(
    lambda piece, times: (piece * times)[:OPTION_MAX_CHARS],
    st.sampled_from(NASTY_PIECES[1:]) | st.text(min_size=1, max_size=12),
    st.integers(1, OPTION_MAX_CHARS),
)
queries = st.one_of(
    st.text(),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"])),
    st.text(max_size=OPTION_MAX_CHARS),
    nasty_text,
    long_text,
    near_names(),
    near_names(),  # twice the weight: typos reach the "did you mean" answers
    st.sampled_from(NASTY_PIECES),
    st.just("x" * OPTION_MAX_CHARS),
)
mentions = st.none() | st.integers(1, SNOWFLAKE_MAX)
kinds = st.none() | st.sampled_from([kind.value for kind in ResourceKind])


snapshots = pytest.mark.parametrize("snapshot", SNAPSHOTS.values(), ids=SNAPSHOTS.keys())


@functools.cache
def validator() -> SpecValidator:
    """Return the emulator's validator, built once: building it reads the whole spec."""
    return SpecValidator()


def problems_of(body: dict[str, Any]) -> list[str]:
    """Return what Discord would reject in an interaction callback body (the emulator's checks)."""
    found = validator().match("POST", "/interactions/1/token/callback")
    assert found is not None
    operation, _ = found
    problems = validator().check_request(operation, body) + limit_problems("POST", CALLBACK, body)
    return [f"{p.kind} {json_path(p.path)}: {p.message}" for p in problems]


def body_of(reply: Reply) -> dict[str, Any]:
    """Return the callback body for `reply`, built in a loop as discord.py's views want."""

    async def build() -> dict[str, Any]:
        return callback_body(reply)

    return asyncio.run(build())


def check_message_body(reply: Reply, *, mention: int | None) -> dict[str, Any]:
    """Assert the reply's callback body is valid and pings at most `mention`; return it."""
    body = body_of(reply)
    assert problems_of(body) == []
    # The body must survive the trip to Discord as JSON.
    json.dumps(body, ensure_ascii=True)
    data = body["data"]
    allowed = data["allowed_mentions"]
    assert allowed["parse"] == []
    assert not allowed.get("roles")
    assert not allowed.get("replied_user")
    pinged = allowed.get("users", [])
    assert pinged == ([mention] if reply.mention is not None else [])
    assert reply.mention in (None, mention)
    content = data.get("content") or ""
    assert set(re.findall(r"<@[!&]?(\d+)>", content)) <= {str(user) for user in pinged}
    assert bool(data.get("flags", 0) & 64) == reply.ephemeral
    return body


@snapshots
@PROFILE
@given(query=queries, hide=st.booleans(), mention=mentions)
def test_framework_reply_any_name_gives_a_valid_body_that_pings_only_the_target(
    snapshot, query, hide, mention
):
    reply = replies.framework_reply(snapshot, query, asker=1, hide=hide, mention=mention)

    body = check_message_body(reply, mention=mention)

    event("not found" if reply.not_found else "answered")
    if reply.not_found:
        event(f"{len(reply.rows[0]) if reply.rows else 0} suggestions")
        assert reply.ephemeral
        assert body["data"]["allowed_mentions"] == {"parse": []}
        assert_query_echoed_inert(reply, query, snapshot)


@snapshots
@PROFILE
@given(query=queries, kind=kinds, hide=st.booleans(), mention=mentions)
def test_resources_reply_any_framework_gives_a_valid_body_that_pings_only_the_target(
    snapshot, query, kind, hide, mention
):
    reply = replies.resources_reply(snapshot, query, asker=1, kind=kind, hide=hide, mention=mention)

    body = check_message_body(reply, mention=mention)

    event("not found" if reply.not_found else "answered")
    if reply.not_found:
        assert reply.ephemeral
        assert body["data"]["allowed_mentions"] == {"parse": []}
        if reply.embeds[0].title == "Not in the guide":  # else: no resource of that kind
            assert_query_echoed_inert(reply, query, snapshot)


@snapshots
@PROFILE
@given(current=queries)
def test_choices_any_typed_text_gives_a_valid_autocomplete_answer(snapshot, current):
    choices = replies.choices(snapshot, current)
    event(f"{'no' if not choices else 'some'} choices")

    body = {"type": 8, "data": {"choices": [choice.to_dict() for choice in choices]}}
    assert problems_of(body) == []
    assert len(choices) <= 25
    guide_names = {fw.name for fw in snapshot.guide.frameworks}
    # A choice only ever offers a framework of the guide, never the typed text back.
    assert all(choice.value in guide_names for choice in choices)
    assert len({choice.value for choice in choices}) == len(choices)


ECHO = re.compile(r"There is no framework called (?P<quoted>`[^`\n]*`|\(nothing\)) in the guide\.")


def assert_query_echoed_inert(reply: Reply, query: str, snapshot: Snapshot) -> None:
    """The not-found embed shows the query only as quote_query made it; the rest is ours."""
    embed = reply.embeds[0].to_dict()
    assert embed["title"] == "Not in the guide"
    echo = ECHO.match(embed["description"])
    assert echo is not None, embed["description"]
    assert echo["quoted"] == render.quote_query(query)
    rest = embed["description"][echo.end() :]
    if rest == "\nTry `/framework` with no name to see every framework in the guide.":
        return
    # Otherwise the rest lists suggestions, which are names from the guide, escaped.
    guide_names = {discord.utils.escape_markdown(fw.name) for fw in snapshot.guide.frameworks}
    head, _, tail = rest.partition("\n\n")
    assert tail == "Pick one below, or try `/framework` to see them all."
    lines = head.splitlines()
    assert lines[:2] == ["", "Did you mean:"]
    assert lines[2:]
    assert all(line.removeprefix("• ") in guide_names for line in lines[2:]), lines


@PROFILE
@given(text=queries)
def test_quote_query_cannot_carry_markdown_links_or_mentions_out(text):
    quoted = render.quote_query(text)

    if quoted == "(nothing)":
        assert not "".join(
            c for c in text if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
        ).strip()
        return
    assert quoted.startswith("`")
    assert quoted.endswith("`")
    inner = quoted[1:-1]
    # One code span, closed where we close it: Discord renders no markdown, link or mention in it.
    assert inner
    assert "`" not in inner
    assert inner == inner.strip()
    assert len(inner) <= render.QUERY_ECHO_LIMIT
    for char in inner:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}, (
            f"U+{ord(char):04X}"
        )
        assert not char.isspace() or char == " "
    assert "  " not in inner


@pytest.mark.parametrize(
    "query", ["@everyone", "<@1>", "<@&2>", "[x](https://evil.example)", "**b**", "a`b"]
)
def test_quote_query_leaves_hostile_text_inside_one_code_span(query):
    quoted = render.quote_query(query)

    assert quoted.count("`") == 2
    assert quoted.strip("`").replace("\u02cb", "`") == query
