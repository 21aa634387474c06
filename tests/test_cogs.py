"""The extensions load, and every command and option explains itself in Discord's UI."""

import asyncio

import discord
from discord import app_commands

from bot.bot import EXTENSIONS, GuideBot
from bot.config import Config
from bot.store import GuideStore
from tests.conftest import KIND_CHOICES, SHIPPED_GUIDE


def load_commands():
    async def load():
        store = GuideStore.open(SHIPPED_GUIDE)
        async with GuideBot(Config(), store) as bot:
            for extension in EXTENSIONS:
                await bot.load_extension(extension)
            commands = bot.tree.get_commands()
            return commands, [command.to_dict(bot.tree) for command in commands]

    return asyncio.run(load())


def test_cogs_register_the_expected_commands_once():
    commands, _ = load_commands()
    names = [command.name for command in commands]
    assert sorted(names) == ["framework", "getting-started", "guide", "resources"]


def test_cogs_every_command_and_option_has_a_real_description():
    _, payloads = load_commands()

    def walk(entries):
        for entry in entries:
            yield entry
            yield from walk(entry.get("options", []))

    for entry in walk(payloads):
        description = entry["description"]
        assert description
        assert description != "…"
        assert len(description) <= 100


def test_cogs_admin_group_is_hidden_from_members_by_default():
    commands, _ = load_commands()
    guide = next(c for c in commands if c.name == "guide")
    assert isinstance(guide, app_commands.Group)
    assert guide.default_permissions == discord.Permissions(manage_guild=True)
    assert guide.guild_only


def test_cogs_name_options_autocomplete():
    _, payloads = load_commands()
    options = {p["name"]: {o["name"]: o for o in p.get("options", [])} for p in payloads}
    assert options["framework"]["name"]["autocomplete"]
    assert options["resources"]["framework"]["autocomplete"]
    assert options["resources"]["framework"]["required"]
    kinds = [c["value"] for c in options["resources"]["kind"]["choices"]]
    assert kinds == KIND_CHOICES
