"""End-to-end: what the matcher decides, as a learner sees it through the real bot.

The did-you-mean buttons and the autocomplete list come from one ranking, so for the same text
they name the same frameworks in the same order; a language gets its frameworks.
"""

from __future__ import annotations

import pytest

from bot.guide import load_guide
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config
from tests.emulator.messages import components
from tests.emulator.plugin import RunBot

DID_YOU_MEAN = ["flsk djngo", "fast", "grails", "nxet", "symfony vs laravel", "exprss djang"]
"""Texts the shipped guide answers with suggestions, not a card."""


@pytest.mark.e2e
def test_suggestions_agree_with_autocomplete(run_bot: RunBot, emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        for text in DID_YOU_MEAN:
            for command, option in (("framework", "name"), ("resources", "framework")):
                miss = await emu.slash(command, {option: text})
                assert miss.data["embeds"][0]["title"] == "Not in the guide", text
                buttons = [c["label"] for c in components(miss.data) if "custom_id" in c]
                offered = await emu.autocomplete(command, {option: text}, focused=option)
                listed = [choice["value"] for choice in offered.choices]
                assert buttons, text
                assert buttons == listed[: len(buttons)], text

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_a_language_gets_its_frameworks(run_bot: RunBot, emulator: DiscordEmulator) -> None:
    guide = load_guide(SHIPPED_GUIDE)
    python = [fw.name for fw in guide.frameworks if fw.language == "Python"]
    javascript = [fw.name for fw in guide.frameworks if fw.language in ("JavaScript", "TypeScript")]

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        listed = await emu.slash("framework", {"name": "python"})
        (embed,) = listed.data["embeds"]
        assert embed["title"] == f"Python frameworks in {guide.title}"
        assert [field["name"] for field in embed["fields"]] == ["Python"]
        assert embed["fields"][0]["value"] == ", ".join(python)

        for text in ("js", "javascript"):
            choose = await emu.slash("resources", {"framework": text})
            assert choose.data["embeds"][0]["title"] == "JavaScript: choose a framework"
            buttons = [c["label"] for c in components(choose.data) if "custom_id" in c]
            assert buttons == javascript

        for typed in ("py", "pyth", "python"):
            offered = await emu.autocomplete("framework", {"name": typed}, focused="name")
            assert [choice["value"] for choice in offered.choices] == python, typed

        csharp = await emu.slash("framework", {"name": "c#"})
        assert csharp.data["embeds"][0]["fields"][0]["value"] == "ASP.NET Core"

    run_bot(scenario, config_text=bot_config(emulator))
