"""/framework: a framework's card, or the list of every framework."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import replies
from bot.bot import GuideBot
from bot.respond import Responder
from bot.store import GuideStore


class Frameworks(commands.Cog):
    """Look up frameworks described in the guide."""

    def __init__(self, store: GuideStore, responder: Responder) -> None:
        self.store = store
        self.responder = responder

    @app_commands.command(name="framework")
    async def framework(
        self,
        interaction: discord.Interaction,
        name: str | None = None,
        hide: bool = False,
        mention: discord.User | None = None,
    ) -> None:
        """Show a framework's card from the guide, or every framework when no name is given.

        Args:
            name: The framework, for example "django" or "rails"; leave empty to list them all.
            hide: Show the answer only to you.
            mention: Someone to point the answer at; they are the only one pinged.
        """
        options = {"name": name, "hide": hide, "mention": replies.mention_of(mention)}
        await self.responder.command(interaction, self.store.current, "framework", options)

    @framework.autocomplete("name")
    async def framework_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest frameworks as the user types."""
        return replies.choices(self.store.current, current)


async def setup(bot: GuideBot) -> None:
    """Load the Frameworks cog."""
    await bot.add_cog(Frameworks(bot.store, bot.responder))
