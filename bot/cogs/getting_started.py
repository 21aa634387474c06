"""/getting-started: the guide as a walkthrough, one step at a time."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import GuideBot
from bot.respond import Responder
from bot.store import GuideStore


class GettingStarted(commands.Cog):
    """Walk a learner through the guide."""

    def __init__(self, store: GuideStore, responder: Responder) -> None:
        self.store = store
        self.responder = responder

    @app_commands.command(name="getting-started")
    async def getting_started(self, interaction: discord.Interaction, hide: bool = False) -> None:
        """Walk through the guide: what backend is, what to learn, which framework, where next.

        Args:
            hide: Show the walkthrough only to you.
        """
        await self.responder.command(
            interaction, self.store.current, "getting-started", {"hide": hide}
        )


async def setup(bot: GuideBot) -> None:
    """Load the GettingStarted cog."""
    await bot.add_cog(GettingStarted(bot.store, bot.responder))
