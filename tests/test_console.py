import discord
import pytest

from bot.console import OptionSpec, UsageError, convert_options, parse_invocation, render_reply
from bot.replies import Mention, Reply

STRING = discord.AppCommandOptionType.string
COMMANDS = {
    "resources": [
        OptionSpec("framework", STRING, required=True, autocomplete=True),
        OptionSpec("kind", STRING, required=False, choices=("docs", "video")),
        OptionSpec("hide", discord.AppCommandOptionType.boolean, required=False),
        OptionSpec("mention", discord.AppCommandOptionType.user, required=False),
    ],
    "getting-started": [],
}


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("/resources node", {"framework": "node"}),
        ("/resources framework:node", {"framework": "node"}),
        ("resources  ruby on rails  kind:video", {"framework": "ruby on rails", "kind": "video"}),
        ("/resources kind:docs framework:a:b c", {"kind": "docs", "framework": "a:b c"}),
        ("/resources what is kind: of", {"framework": "what is", "kind": "of"}),
        ("/resources foo:bar", {"framework": "foo:bar"}),
        ("/RESOURCES x hide:yes", {"framework": "x", "hide": "yes"}),
    ],
)
def test_console_parse_reads_options_as_discord_does(text, values):
    assert parse_invocation(text, COMMANDS).values == values


def test_console_parse_remembers_the_last_option_for_autocomplete():
    assert parse_invocation("/resources fl kind:docs", COMMANDS).last == "kind"
    assert parse_invocation("/resources fl", COMMANDS).last == "framework"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/nope", "unknown command '/nope'"),
        ("/resources x framework:y", "option 'framework' is given twice"),
        ("/getting-started extra", "/getting-started takes no options"),
    ],
)
def test_console_parse_rejects_what_discord_would_not_send(text, message):
    with pytest.raises(UsageError, match=message):
        parse_invocation(text, COMMANDS)


def test_console_convert_types_the_values():
    invocation = parse_invocation("/resources x kind:VIDEO hide:true mention:<@!42>", COMMANDS)
    assert convert_options(invocation, COMMANDS["resources"]) == {
        "framework": "x",
        "kind": "video",
        "hide": True,
        "mention": Mention(42),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/resources kind:docs", "needs framework"),
        ("/resources x kind:podcast", "kind takes one of: docs, video"),
        ("/resources x hide:maybe", "hide takes true or false"),
        ("/resources x mention:bob", "mention takes a user ID"),
    ],
)
def test_console_convert_rejects_bad_values(text, message):
    invocation = parse_invocation(text, COMMANDS)
    with pytest.raises(UsageError, match=message):
        convert_options(invocation, COMMANDS["resources"])


def test_render_reply_shows_the_private_note_after_a_public_answer():
    reply = Reply(embeds=(), content="Hello.", note="<@9> was not mentioned: that is you.")

    assert render_reply(reply).splitlines() == [
        "Hello.",
        "(then, only to you)",
        "<@9> was not mentioned: that is you.",
    ]
