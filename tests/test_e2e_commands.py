"""End-to-end: the real bot, started against the Discord emulator, answering slash commands.

Each test starts the bot once and drives it as users would, then asserts on what the bot sent:
the IDENTIFY, the registered commands and the recorded interaction callbacks. The `emulator`
fixture also fails a test if anything the bot sent breaks Discord's schema or limits.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot import cli
from bot.guide import load_guide
from tests.conftest import KIND_CHOICES, SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config
from tests.emulator.messages import (
    NO_PINGS,
    assert_pings_nobody,
    components,
    custom_ids,
    link_buttons,
)
from tests.emulator.payloads import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    EPHEMERAL,
    MANAGE_GUILD,
    UPDATE_MESSAGE,
    walk_components,
)
from tests.emulator.plugin import RunBot
from tests.helpers import SUGGESTING_QUERY


@pytest.mark.e2e
def test_startup_identifies_with_no_intents_and_syncs_to_the_dev_guild_only(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        assert [identify["intents"] for identify in emu.gateway.identifies] == [0]
        assert emu.gateway.ready_sent == 1
        assert [guild for guild, _names in emu.command_syncs] == [emu.guild_id]
        assert emu.commands(None) == []
        command_routes = [
            request
            for request in emu.requests
            if request.route and request.route.startswith("/applications/{application_id}/")
        ]
        assert command_routes, "the bot registered no commands"
        assert all("{guild_id}" in request.route for request in command_routes)

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_registered_commands_have_described_typed_options(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        registered = {c["name"]: c for c in emu.commands(emu.guild_id)}
        assert sorted(registered) == ["framework", "getting-started", "guide", "resources"]
        for command in registered.values():
            described = [command, *_nested_options(command)]
            for item in described:
                text = item["description"]
                assert text.strip(), f"{item['name']} has no description"
                assert len(text) <= 100, f"{item['name']}: {text!r}"
                assert not text.endswith("…"), f"{item['name']} was cut: {text!r}"
        assert _option_shapes(registered["framework"]) == [
            ("name", 3, False, True),
            ("hide", 5, False, False),
            ("mention", 6, False, False),
        ]
        resources = registered["resources"]
        assert _option_shapes(resources) == [
            ("framework", 3, True, True),
            ("kind", 3, False, False),
            ("hide", 5, False, False),
            ("mention", 6, False, False),
        ]
        kind = resources["options"][1]
        assert [choice["value"] for choice in kind["choices"]] == KIND_CHOICES
        assert _option_shapes(registered["getting-started"]) == [("hide", 5, False, False)]
        guide = registered["guide"]
        assert guide["default_member_permissions"] == str(MANAGE_GUILD)
        assert guide["contexts"] == [0]
        assert [(o["name"], o["type"]) for o in guide["options"]] == [
            ("reload", 1),
            ("status", 1),
            ("gaps", 1),
        ]

    run_bot(scenario, config_text=bot_config(emulator))


def _nested_options(command: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for option in command.get("options") or []:
        found += [option, *_nested_options(option)]
    return found


def _option_shapes(command: dict[str, Any]) -> list[tuple[str, int, bool, bool]]:
    return [
        (o["name"], o["type"], bool(o.get("required")), bool(o.get("autocomplete")))
        for o in command.get("options") or []
    ]


@pytest.mark.e2e
def test_framework_answers_a_card_the_list_and_a_hidden_card(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    guide = load_guide(SHIPPED_GUIDE)

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        card = await emu.slash("framework", {"name": "djagno"})
        assert card.type == CHANNEL_MESSAGE
        assert not card.data.get("flags")
        (embed,) = card.data["embeds"]
        assert embed["title"] == "Django"
        assert [f["name"] for f in embed["fields"]] == [
            "Language",
            "Used by",
            "Key features",
            "Resources",
        ]
        assert embed["fields"][0]["value"] == "Python"
        links = link_buttons(card.data)
        assert links
        assert all(button["url"].startswith("https://") for button in links)
        assert custom_ids(card.data) == [f"gb:del:{emu.user['id']}"]
        assert card.data["allowed_mentions"] == NO_PINGS

        listing = await emu.slash("framework")
        assert listing.type == CHANNEL_MESSAGE
        fields = {f["name"]: f["value"] for f in listing.data["embeds"][0]["fields"]}
        assert list(fields) == list(guide.languages())
        for framework in guide.frameworks:
            assert framework.name in fields[framework.language], framework.name

        hidden = await emu.slash("framework", {"name": "django", "hide": True})
        assert hidden.type == CHANNEL_MESSAGE
        assert hidden.data["flags"] == EPHEMERAL
        assert hidden.data["embeds"][0]["title"] == "Django"
        assert not [i for i in custom_ids(hidden.data) if i.startswith("gb:del:")]
        assert hidden.ephemeral

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_resources_answers_links_of_a_kind_and_says_when_there_are_none(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    flask = load_guide(SHIPPED_GUIDE).framework("flask")
    assert flask is not None

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        node = await emu.slash("resources", {"framework": "node"})
        assert node.type == CHANNEL_MESSAGE
        assert not node.data.get("flags")
        assert node.data["embeds"][0]["title"] == "Resources for Node.js"
        assert "https://nodejs.org/" in node.data["embeds"][0]["description"]
        assert link_buttons(node.data)
        assert custom_ids(node.data) == [f"gb:del:{emu.user['id']}"]

        tutorials = await emu.slash("resources", {"framework": "flask", "kind": "tutorial"})
        assert tutorials.data["embeds"][0]["title"] == "Resources for Flask (tutorial)"
        wanted = [r.url for r in flask.resources if r.kind == "tutorial"]
        assert [b["url"] for b in link_buttons(tutorials.data)] == wanted
        assert tutorials.data["embeds"][0]["description"].count("🧭") == len(wanted)

        kinds = {r.kind for r in flask.resources}
        missing = next(k for k in ("video", "course", "book", "article") if k not in kinds)
        none = await emu.slash("resources", {"framework": "flask", "kind": missing})
        assert none.type == CHANNEL_MESSAGE
        assert none.data["flags"] == EPHEMERAL
        assert none.data["embeds"][0]["title"] == f"No {missing} resources for Flask"
        assert not components(none.data)

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_getting_started_answers_step_one_with_back_disabled(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        walk = await emu.slash("getting-started")
        assert walk.type == CHANNEL_MESSAGE
        assert not walk.data.get("flags")
        (embed,) = walk.data["embeds"]
        assert embed["footer"]["text"] == "Step 1 of 6"
        buttons = {c["label"]: c for c in components(walk.data)}
        assert buttons["◀ Back"]["disabled"] is True
        assert buttons["Next ▶"]["disabled"] is False
        assert walk.data["allowed_mentions"] == NO_PINGS

        hidden = await emu.slash("getting-started", {"hide": True})
        assert hidden.data["flags"] == EPHEMERAL
        assert hidden.data["embeds"][0]["footer"]["text"] == "Step 1 of 6"

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_autocomplete_ranks_matches_first_and_never_offers_more_than_25(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    guide = load_guide(SHIPPED_GUIDE)
    weird = "\uff44\uff4a\u200b🐍<@&1>`*_~" + "Z\u0301\u0336" * 30 + "\U0010fffd" * 5

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        typed = await emu.autocomplete("framework", {"name": "dj"}, focused="name")
        assert typed.type == AUTOCOMPLETE_RESULT
        assert typed.choices[0] == {"name": "Django (Python)", "value": "Django"}

        empty = await emu.autocomplete("framework", focused="name")
        expected = [fw.name for fw in guide.frameworks][:25]
        assert [choice["value"] for choice in empty.choices] == expected

        for command, option in (("framework", "name"), ("resources", "framework")):
            odd = await emu.autocomplete(command, {option: weird}, focused=option)
            assert odd.type == AUTOCOMPLETE_RESULT
            assert len(odd.choices) <= 25
            for choice in odd.choices:
                assert 1 <= len(choice["name"]) <= 100
                assert 1 <= len(choice["value"]) <= 100

        node = await emu.autocomplete("resources", {"framework": "no"}, focused="framework")
        assert node.choices[0]["value"] == "Node.js"

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_not_found_suggestions_answer_when_clicked(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        miss = await emu.slash("framework", {"name": SUGGESTING_QUERY})
        assert miss.type == CHANNEL_MESSAGE
        assert miss.data["flags"] == EPHEMERAL
        assert miss.data["embeds"][0]["title"] == "Not in the guide"
        suggestions = [c for c in components(miss.data) if "custom_id" in c]
        assert {"Django", "Flask"} <= {c["label"] for c in suggestions}
        assert all(c["custom_id"].startswith("gb:pick:fw:") for c in suggestions)

        first = suggestions[0]
        picked = await emu.click(miss.message, first["custom_id"])
        card = (await picked.wait_webhook("POST *")).json
        assert not card.get("flags")
        assert card["embeds"][0]["title"] == first["label"]
        assert custom_ids(card) == [f"gb:del:{emu.user['id']}"]

        # With hide, the card stays private: a new ephemeral message or the "did you mean"
        # replaced in place.
        hidden = await emu.slash("framework", {"name": SUGGESTING_QUERY, "hide": True})
        button = next(c for c in components(hidden.data) if "custom_id" in c)
        picked_hidden = await emu.click(hidden.message, button["custom_id"])
        assert picked_hidden.type in (CHANNEL_MESSAGE, UPDATE_MESSAGE)
        assert picked_hidden.ephemeral
        assert picked_hidden.message["embeds"][0]["title"] == button["label"]
        assert not custom_ids(picked_hidden.message)

        miss_rs = await emu.slash("resources", {"framework": SUGGESTING_QUERY, "kind": "docs"})
        button = next(c for c in components(miss_rs.data) if c.get("label") == "Flask")
        resources = await emu.click(miss_rs.message, button["custom_id"])
        posted = (await resources.wait_webhook("POST *")).json
        assert posted["embeds"][0]["title"] == "Resources for Flask (docs)"

        pizza = await emu.slash("framework", {"name": "pizza"})
        assert pizza.data["flags"] == EPHEMERAL
        assert pizza.data["embeds"][0]["title"] == "Not in the guide"
        assert "`pizza`" in pizza.data["embeds"][0]["description"]
        assert not components(pizza.data)

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_mention_pings_only_the_named_user_and_typed_mentions_ping_nobody(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    friend = emulator.make_user("friend")
    hostile = "@everyone @here <@&123> <@456> <@!789>"

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        card = await emu.slash("framework", {"name": "django", "mention": friend})
        assert f"<@{friend['id']}>" in card.data["content"]
        assert_pings_nobody(card.data, except_user=friend["id"])

        links = await emu.slash("resources", {"framework": "flask", "mention": friend})
        assert f"<@{friend['id']}>" in links.data["content"]
        assert_pings_nobody(links.data, except_user=friend["id"])

        answers = [
            await emu.slash("framework", {"name": hostile}),
            await emu.slash("framework", {"name": hostile, "mention": friend}),
            await emu.slash("resources", {"framework": hostile}),
            await emu.slash("framework", {"name": f"djagno {hostile}"}),
        ]
        for answer in answers:
            assert answer.type == CHANNEL_MESSAGE
            assert_pings_nobody(answer.data)
            assert "@everyone" not in (answer.data.get("content") or "")

        # Discord always resolves a user option; without it the bot still pings that ID alone.
        unresolved = emu.build_slash("framework", {"name": "django", "mention": friend})
        del unresolved["data"]["resolved"]
        bare = await emu.interact(unresolved)
        assert bare.data["content"].startswith(f"<@{friend['id']}>")
        assert_pings_nobody(bare.data, except_user=friend["id"])

        # A suggestion carries the mention to the card, and only that user is pinged.
        miss = await emu.slash("framework", {"name": SUGGESTING_QUERY, "mention": friend})
        button = next(c for c in components(miss.data) if "custom_id" in c)
        picked = await emu.click(miss.message, button["custom_id"])
        card = (await picked.wait_webhook("POST *")).json
        assert f"<@{friend['id']}>" in card["content"]
        assert_pings_nobody(card, except_user=friend["id"])
        assert_pings_nobody(picked.data)

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_command_errors_reach_the_user_ephemerally_and_the_bot_keeps_serving(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        stale = emu.build_slash("resources", {"framework": "flask", "kind": "docs"})
        stale["data"]["options"][1]["value"] = "podcast"
        unreadable = await emu.interact(stale)
        assert unreadable.type == CHANNEL_MESSAGE
        assert unreadable.data["flags"] == EPHEMERAL
        assert "could not read" in unreadable.data["embeds"][0]["description"]
        assert_pings_nobody(unreadable.data)

        # A string option sent as a number: the command itself raises.
        numeric = emu.build_slash("framework", {"name": "django"})
        numeric["data"]["options"] = [{"name": "name", "type": 4, "value": 1234}]
        failed = await emu.interact(numeric)
        assert failed.type == CHANNEL_MESSAGE
        assert failed.data["flags"] == EPHEMERAL
        description = failed.data["embeds"][0]["description"]
        assert "Something went wrong" in description
        assert "Traceback" not in description
        await emu.wait_until(
            lambda: "Traceback" in bot.log() and f"interaction {failed.id}" in bot.log(),
            what="the traceback in the bot's log",
        )

        after = await emu.slash("framework", {"name": "flask"})
        assert after.type == CHANNEL_MESSAGE
        assert after.data["embeds"][0]["title"] == "Flask"
        assert bot.returncode is None

    run_bot(scenario, config_text=bot_config(emulator))


CLI_CASES = (
    ("/framework django", {"name": "django"}),
    ("/framework django hide:true", {"name": "django", "hide": True}),
    (f"/framework {SUGGESTING_QUERY}", {"name": SUGGESTING_QUERY}),
    ("/framework pizza", {"name": "pizza"}),
    ("/resources flask kind:tutorial", {"framework": "flask", "kind": "tutorial"}),
    ("/getting-started", {}),
)
"""What `guidebot ask` is given, and the same command's options as sent from Discord."""


@pytest.mark.e2e
def test_cli_json_is_the_body_the_bot_posts(
    run_bot: RunBot, emulator: DiscordEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    posted = {}

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        for text, options in CLI_CASES:
            name = text.split()[0].removeprefix("/")
            answer = await emu.slash(name, options)
            posted[text] = _as_offline_user(answer.callback.json, emu.user["id"])

    run_bot(scenario, config_text=bot_config(emulator))
    for text, _options in CLI_CASES:
        capsys.readouterr()
        code = cli.main(["ask", "--json", "--guide", str(SHIPPED_GUIDE), text])
        assert code in (cli.EXIT_OK, cli.EXIT_NOT_FOUND), text
        assert posted[text] == json.loads(capsys.readouterr().out), text


def _as_offline_user(body: dict[str, Any], user_id: str) -> dict[str, Any]:
    """Return `body` with the asker's ID in custom_ids replaced by the CLI's user, 0."""
    body = copy.deepcopy(body)
    for component in walk_components((body.get("data") or {}).get("components") or []):
        if "custom_id" in component:
            component["custom_id"] = component["custom_id"].replace(user_id, "0")
    return body
