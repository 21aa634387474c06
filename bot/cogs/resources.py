"""/resources: a framework's study links, optionally of one kind, paged when long."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import replies
from bot.bot import GuideBot
from bot.guide import ResourceKind
from bot.respond import Responder
from bot.store import GuideStore

KIND_CHOICES = [app_commands.Choice(name=kind.value, value=kind.value) for kind in ResourceKind]


class Resources(commands.Cog):
    """List the study resources the guide gives for a framework."""

    def __init__(self, store: GuideStore, responder: Responder) -> None:
        self.store = store
        self.responder = responder

    @app_commands.command(name="resources")
    @app_commands.choices(kind=KIND_CHOICES)
    async def resources(
        self,
        interaction: discord.Interaction,
        framework: str,
        kind: app_commands.Choice[str] | None = None,
        hide: bool = False,
        mention: discord.User | None = None,
    ) -> None:
        """List the study resources for a framework: docs, tutorials, videos and more.

        Args:
            framework: The framework, for example "flask" or "node".
            kind: Only this kind of resource.
            hide: Show the answer only to you.
            mention: Someone to point the answer at; they are the only one pinged.
        """
        options = {
            "framework": framework,
            "kind": kind.value if kind else None,
            "hide": hide,
            "mention": replies.mention_of(mention),
        }
        await self.responder.command(interaction, self.store.current, "resources", options)

    @resources.autocomplete("framework")
    async def resources_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest frameworks as the user types."""
        return replies.choices(self.store.current, current)


async def setup(bot: GuideBot) -> None:
    """Load the Resources cog."""
    await bot.add_cog(Resources(bot.store, bot.responder))
