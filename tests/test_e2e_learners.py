"""End-to-end: what a learner notices in the walkthrough and the resource lists, on the real bot.

The bot serves the shipped guide against the Discord emulator; each test reads the messages as
Discord stores them after the bot's answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.guide import load_guide
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import running_bot
from tests.test_e2e_components import (
    _updated,
    bot_config,
    button,
    footer,
    link_urls,
    menu,
    option_value,
)


@pytest.mark.e2e
def test_a_javascript_learner_reaches_nestjs_with_every_menu_saying_what_it_asks(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    nest = load_guide(SHIPPED_GUIDE).framework("nest")
    assert nest is not None
    first_steps = next(r for r in nest.resources if r.kind == "tutorial")

    async def scenario() -> None:
        async with (
            emulator,
            running_bot(emulator, workdir=tmp_path, config_text=bot_config(emulator)),
        ):
            walk = await emulator.slash("getting-started")
            message_id = walk.message["id"]

            async def click(label: str) -> dict[str, Any]:
                current = emulator.message(message_id)
                clicked = await emulator.click(message_id, button(current, label)["custom_id"])
                return _updated(clicked, message_id)

            async def choose(label: str) -> dict[str, Any]:
                current = emulator.message(message_id)
                chosen = await emulator.select(
                    message_id, menu(current)["custom_id"], [option_value(current, label)]
                )
                return _updated(chosen, message_id)

            await click("Next ▶")
            step = await click("Next ▶")
            assert menu(step)["placeholder"] == "Choose the language you know best"

            step = await choose("JavaScript")
            assert footer(step) == "Step 4 of 6"
            assert menu(step)["placeholder"] == "Choose a framework for JavaScript"
            assert [o["label"] for o in menu(step)["options"]] == ["Node.js", "Express", "NestJS"]
            assert "• **NestJS** (TypeScript): " in step["embeds"][0]["description"]

            step = await choose("NestJS")
            assert step["embeds"][0]["title"] == "Study NestJS"
            marked = [
                line
                for line in step["embeds"][0]["description"].splitlines()
                if line.endswith("← **start here**")
            ]
            assert marked == [f"🧭 [{first_steps.title}]({first_steps.url}) ← **start here**"]
            assert link_urls(step) == [r.url for r in nest.resources]

            # Back on the language menu, a language already chosen keeps the prompt.
            await click("◀ Back")
            step = await click("◀ Back")
            assert menu(step)["placeholder"] == "Choose the language you know best"

    asyncio.run(scenario())


@pytest.mark.e2e
def test_resources_footer_says_what_each_icon_means(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            emulator,
            running_bot(emulator, workdir=tmp_path, config_text=bot_config(emulator)),
        ):
            gin = await emulator.slash("resources", {"framework": "gin"})
            node = await emulator.slash("resources", {"framework": "node", "kind": "video"})

            assert gin.data["embeds"][0]["footer"]["text"] == (
                "📘 docs · 🧭 tutorial · 📂 repository"
            )
            assert node.data["embeds"][0]["footer"]["text"] == "🎬 video"

    asyncio.run(scenario())
