"""End-to-end: what a learner notices in the walkthrough and the resource lists, on the real bot.

The bot serves the shipped guide against the Discord emulator; each test reads the messages as
Discord stores them after the bot's answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.guide import load_guide
from tests.conftest import SHIPPED_GUIDE
from tests.emulator import payloads
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config
from tests.emulator.messages import (
    UPDATE_MESSAGE,
    button,
    choose_in_place,
    click_in_place,
    components,
    footer,
    link_urls,
    menu,
)
from tests.emulator.payloads import EPHEMERAL
from tests.emulator.plugin import RunBot

SUCCESS_STYLE = 3


@pytest.mark.e2e
def test_a_javascript_learner_reaches_nestjs_with_every_menu_saying_what_it_asks(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    nest = load_guide(SHIPPED_GUIDE).framework("nest")
    assert nest is not None
    first_steps = next(r for r in nest.resources if r.kind == "tutorial")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        walk = await emu.slash("getting-started")
        message_id = walk.message["id"]

        await click_in_place(emu, message_id, "Next ▶")
        step = await click_in_place(emu, message_id, "Next ▶")
        assert menu(step)["placeholder"] == "Choose the language you know best"

        step = await choose_in_place(emu, message_id, "JavaScript")
        assert footer(step) == "Step 4 of 6"
        assert menu(step)["placeholder"] == "Choose a framework for JavaScript"
        assert [o["label"] for o in menu(step)["options"]] == ["Node.js", "Express", "NestJS"]
        assert "• **NestJS** (TypeScript): " in step["embeds"][0]["description"]

        step = await choose_in_place(emu, message_id, "NestJS")
        assert step["embeds"][0]["title"] == "Study NestJS"
        marked = [
            line
            for line in step["embeds"][0]["description"].splitlines()
            if line.endswith("← **start here**")
        ]
        assert marked == [f"🧭 [{first_steps.title}]({first_steps.url}) ← **start here**"]
        assert link_urls(step) == [r.url for r in nest.resources]

        # Back on the language menu, a language already chosen keeps the prompt.
        await click_in_place(emu, message_id, "◀ Back")
        step = await click_in_place(emu, message_id, "◀ Back")
        assert menu(step)["placeholder"] == "Choose the language you know best"

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_resources_footer_says_what_each_icon_means(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        gin = await emu.slash("resources", {"framework": "gin"})
        node = await emu.slash("resources", {"framework": "node", "kind": "video"})

        assert gin.data["embeds"][0]["footer"]["text"] == ("📘 docs · 🧭 tutorial · 📂 repository")
        assert node.data["embeds"][0]["footer"]["text"] == "🎬 video"

    run_bot(scenario, config_text=bot_config(emulator))


# --- Mentions -------------------------------------------------------------------------------


def pings(data: dict[str, Any]) -> list[str]:
    """Return whom a message body may ping, after checking it allows no mass or role pings."""
    mentions = data["allowed_mentions"]
    assert mentions["parse"] == []
    assert not mentions.get("roles")
    assert not mentions.get("replied_user")
    return [str(user) for user in mentions.get("users", [])]


@pytest.mark.e2e
def test_the_cooldown_never_swallows_a_mention(run_bot: RunBot, emulator: DiscordEmulator) -> None:
    bob = emulator.make_user("bob")
    carol = emulator.make_user("carol")
    dave = emulator.make_user("dave")
    config = bot_config(emulator, answers={"cooldown_seconds": 300})

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        first = await emu.slash("framework", {"name": "django"})
        assert first.message is not None
        earlier = (
            f"https://discord.com/channels/{emu.guild_id}/{emu.channel_id}/{first.message['id']}"
        )

        pointed = await emu.slash("framework", {"name": "django", "mention": carol}, user=bob)

        assert not pointed.data.get("flags")
        assert pointed.data["content"] == f"<@{carol['id']}>, this one is for you: {earlier}"
        assert pings(pointed.data) == [carol["id"]]
        assert button(pointed.data, "Delete")["custom_id"] == f"gb:del:{bob['id']}"

        # Without a mention the cooldown still keeps the channel tidy.
        again = await emu.slash("framework", {"name": "django"}, user=bob)
        assert again.data["flags"] == EPHEMERAL
        assert again.data["embeds"][0]["title"] == "Already answered"

        # A "did you mean" that carries the mention reaches Dave the same way.
        miss = await emu.slash("framework", {"name": "flsk djngo", "mention": dave}, user=bob)
        picked = await emu.click(miss.message, button(miss.data, "Django")["custom_id"], user=bob)
        pointer = (await picked.wait_webhook("POST *")).json
        assert pointer["content"] == f"<@{dave['id']}>, this one is for you: {earlier}"
        assert pings(pointer) == [dave["id"]]
        assert pings(picked.data) == []

        # Resources too.
        await emu.slash("resources", {"framework": "flask"})
        links = await emu.slash("resources", {"framework": "flask", "mention": carol})
        assert links.data["content"].startswith(f"<@{carol['id']}>, this one is for you: ")
        assert pings(links.data) == [carol["id"]]

    run_bot(scenario, config_text=config)


@pytest.mark.e2e
def test_a_mention_that_cannot_be_honoured_is_told_to_the_asker_in_one_line(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    asker = emulator.make_user("asker")
    carol = emulator.make_user("carol")
    other_bot = payloads.user(emulator.snowflake(), "otherbot", bot=True)

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        hidden = await emu.slash(
            "framework", {"name": "django", "hide": True, "mention": carol}, user=asker
        )
        assert hidden.data["flags"] == EPHEMERAL
        assert hidden.data["content"] == (
            f"<@{carol['id']}> was not mentioned: a hidden answer is shown to you alone."
        )
        assert hidden.data["embeds"][0]["title"] == "Django"
        assert pings(hidden.data) == []

        cases = {
            "the list": ({"mention": carol}, carol, "only a framework's card or resources "),
            "the asker": ({"name": "flask", "mention": asker}, asker, "that is you"),
            "a bot": ({"name": "gin", "mention": other_bot}, other_bot, "bots are not pinged"),
        }
        for what, (options, target, reason) in cases.items():
            answer = await emu.slash("framework", options, user=asker)
            note = await answer.wait_webhook("POST *")

            assert not answer.data.get("flags"), what
            assert not answer.data.get("content"), what
            assert pings(answer.data) == [], what
            assert note.json["flags"] == EPHEMERAL, what
            assert note.json["content"].startswith(
                f"<@{target['id']}> was not mentioned: {reason}"
            ), what
            assert "\n" not in note.json["content"]
            assert pings(note.json) == [], what

        # Through /resources and a "did you mean" as well.
        bot_resources = await emu.slash(
            "resources", {"framework": "flask", "mention": emu.bot_user}, user=asker
        )
        note = await bot_resources.wait_webhook("POST *")
        assert note.json["content"] == (
            f"<@{emu.bot_user['id']}> was not mentioned: bots are not pinged."
        )
        miss = await emu.slash(
            "framework", {"name": "flsk djngo", "mention": other_bot}, user=asker
        )
        assert miss.data["flags"] == EPHEMERAL
        assert miss.data["content"] == (
            f"<@{other_bot['id']}> was not mentioned: bots are not pinged."
        )
        picked = await emu.click(miss.message, button(miss.data, "Django")["custom_id"], user=asker)
        card = (await picked.wait_webhook("POST *")).json
        assert card["embeds"][0]["title"] == "Django"
        assert not card.get("content")
        assert pings(card) == []

    run_bot(scenario, config_text=bot_config(emulator))


# --- Closing what was used, deleting what was posted -------------------------------------------


@pytest.mark.e2e
def test_a_did_you_mean_that_was_used_is_closed_showing_the_choice(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        miss = await emu.slash("framework", {"name": "flsk djngo"})
        assert miss.message is not None
        before = [c["label"] for c in components(miss.data) if "custom_id" in c]
        assert {"Django", "Flask"} <= set(before)

        picked = await emu.click(miss.message, button(miss.data, "Flask")["custom_id"])

        assert picked.type == UPDATE_MESSAGE
        closed = emu.message(miss.message["id"])
        assert closed["flags"] & EPHEMERAL
        assert closed["content"] == "You chose **Flask**."
        assert closed["embeds"][0]["title"] == "Not in the guide"
        buttons = [c for c in components(closed) if "custom_id" in c]
        assert [c["label"] for c in buttons] == before
        assert all(c["disabled"] for c in buttons)
        assert [c["label"] for c in buttons if c["style"] == SUCCESS_STYLE] == ["Flask"]
        card = (await picked.wait_webhook("POST *")).json
        assert not card.get("flags")
        assert card["embeds"][0]["title"] == "Flask"
        with pytest.raises(ValueError, match="disabled"):
            await emu.click(closed, button(closed, "Django")["custom_id"])

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_the_public_walkthrough_has_the_same_delete_control_as_every_public_answer(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    other = emulator.make_user("other")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        hidden = await emu.slash("getting-started", {"hide": True})
        assert "Delete" not in [c.get("label") for c in components(hidden.data)]

        walk = await emu.slash("getting-started")
        message_id = walk.message["id"]
        delete_id = f"gb:del:{emu.user['id']}"
        assert button(walk.data, "Delete")["custom_id"] == delete_id

        # It stays on every step, and someone else's click is refused privately.
        step = await emu.click(message_id, button(walk.data, "Next ▶")["custom_id"])
        assert button(step.message, "Delete")["custom_id"] == delete_id
        refused = await emu.click(message_id, delete_id, user=other)
        assert refused.data["flags"] == EPHEMERAL
        assert refused.data["embeds"][0]["title"] == "Not yours"
        assert emu.message(message_id)

        deleted = await emu.click(message_id, delete_id)
        await deleted.wait_webhook("DELETE */@original")
        with pytest.raises(LookupError):
            emu.message(message_id)

    run_bot(scenario, config_text=bot_config(emulator))
